/// The Check stage: rules over the planned objects of one environment, after overlays are
/// resolved and before anything is rendered or written.
///
/// The rules are `PlanRule` values (see `RuleEngine`), listed in `PlanRules.all`; each has an id
/// in `RuleCatalog` and a doc page in `docs/rules/`.
public enum PlanChecker {
    /// Runs every plan rule over every environment's plan (waivers apply across environments).
    public static func check(_ plans: [EnvironmentPlan], specs: SpecSet, diagnostics: DiagnosticCollector) {
        RuleEngine.run(plans, specs: specs, rules: PlanRules.all, diagnostics: diagnostics)
    }

    /// One environment.
    public static func check(_ plan: EnvironmentPlan, specs: SpecSet, diagnostics: DiagnosticCollector) {
        check([plan], specs: specs, diagnostics: diagnostics)
    }

    /// A spec's own `metadata.namespace` does not decide where it lands: the environment does.
    static func checkNamespaces(_ plan: EnvironmentPlan, specs: SpecSet, diagnostics: DiagnosticCollector) {
        let target = plan.environment.naming.namespace
        for job in specs.jobs {
            guard let namespace = job.namespace, namespace.value != target.value else { continue }
            diagnostics.warning(
                .namespaceReplaced,
                "namespace '\(namespace.value)' is replaced by environment '\(plan.environment.name)''s namespace '\(target.value)'",
                at: namespace.location, help: "remove metadata.namespace from the spec, or set naming.namespace in an overlay",
                notes: [DiagnosticNote("the environment's namespace is \(target.origin)", at: target.origin.location)])
        }
    }

    /// User volumes and mounts must not collide with the ones nbgitops puts in every
    /// validation pod (ADR-053's "volume name collision" risk). The reserved set comes from
    /// `PodLayout`, the same values the planner uses, so it cannot drift.
    static func checkReservedVolumes(_ job: NotebookValidationJob, diagnostics: DiagnosticCollector) {
        for volume in job.podConfig.volumes where PodLayout.isReservedVolumeName(volume.name.value) {
            diagnostics.error(
                .volumeReserved,
                "volume name '\(volume.name.value)' uses the prefix '\(PodLayout.reservedVolumeNamePrefix)' reserved for nbgitops' own volumes",
                at: volume.name.location, help: "rename the volume (and its volumeMounts)")
        }
        for mount in job.podConfig.volumeMounts {
            guard let reserved = PodLayout.collision(forMountPath: mount.mountPath.value) else { continue }
            diagnostics.error(
                .volumeReserved,
                "mount path '\(mount.mountPath.value)' collides with \(reserved.path), where nbgitops mounts \(reserved.purpose)",
                at: mount.mountPath.location,
                help: "mount the volume elsewhere, e.g. /mnt/\(mount.name.value)")
        }
    }
}

/// Every plan rule, in id order.
public enum PlanRules {
    public static let all: [PlanRule] = [
        PlanRule(.volumeReserved) { context in
            for job in context.specs.jobs {
                let collector = DiagnosticCollector()
                PlanChecker.checkReservedVolumes(job, diagnostics: collector)
                for diagnostic in collector.diagnostics {
                    context.report(
                        diagnostic.message, at: diagnostic.location, help: diagnostic.help, notes: diagnostic.notes,
                        subject: context.subject(for: job))
                }
            }
        },
        PodRules.passthroughVolumes,
        StorageRules.undeclaredClaims,
        SecretReferenceRules.unprovidedSecrets,
        // NBG132 (an object emitted twice) is reported where duplicates are removed: the
        // decoder for specs and passed-through objects, the planner for a passed-through object
        // shadowing a generated one. Nothing duplicated reaches this stage.
        PlanRule(.namespaceReplaced) { context in
            let collector = DiagnosticCollector()
            PlanChecker.checkNamespaces(context.plan, specs: context.specs, diagnostics: collector)
            for diagnostic in collector.diagnostics {
                let job = context.specs.jobs.first { $0.namespace?.location == diagnostic.location }
                context.report(
                    diagnostic.message, at: diagnostic.location, help: diagnostic.help, notes: diagnostic.notes,
                    subject: job.map { context.subject(for: $0) })
            }
        },
        PlatformRules.secrets,
        StorageRules.concurrentMounts,
        StorageRules.mixedAccess,
        PodRules.gpuUntolerated,
        PodRules.gpuRequestLimit,
        PodRules.gpuTolerationWithoutRequest,
        TektonRules.assistantUnreachable,
        TektonRules.affinityOverwritten,
        TektonRules.workspacesPerTask,
        TektonRules.betaFieldsInV1,
        SecurityRules.sharedVolumeUIDs,
        SecurityRules.uidRange,
        SecurityRules.privilege,
        StorageRules.capacity,
        PlatformRules.s2iOnKubernetes,
        PlatformRules.openshiftAPI,
        PodRules.runtimeInstall,
        ResourceRules.resourcesUnset,
        DeliveryRules.pruneDisabled,
    ]
}
