/// The Check stage: rules over the planned objects of one environment, after overlays are
/// resolved and before anything is rendered or written.
public enum PlanChecker {
    public static func check(_ plan: EnvironmentPlan, specs: SpecSet, diagnostics: DiagnosticCollector) {
        checkDerivedNameCollisions(plan, diagnostics: diagnostics)
        for job in specs.jobs { checkReservedVolumes(job, diagnostics: diagnostics) }
        checkNamespaces(plan, specs: specs, diagnostics: diagnostics)
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
                .volumeReserved, "volume name '\(volume.name.value)' uses the prefix '\(PodLayout.reservedVolumeNamePrefix)' reserved for nbgitops' own volumes",
                at: volume.name.location, help: "rename the volume (and its volumeMounts)")
        }
        for mount in job.podConfig.volumeMounts {
            guard let reserved = PodLayout.collision(forMountPath: mount.mountPath.value) else { continue }
            diagnostics.error(
                .volumeReserved, "mount path '\(mount.mountPath.value)' collides with \(reserved.path), where nbgitops mounts \(reserved.purpose)",
                at: mount.mountPath.location,
                help: "mount the volume elsewhere, e.g. /mnt/\(mount.name.value)")
        }
    }

    /// Two inputs that derive the same object name would overwrite each other.
    static func checkDerivedNameCollisions(_ plan: EnvironmentPlan, diagnostics: DiagnosticCollector) {
        var seen: [String: PlannedObject] = [:]
        for object in plan.objects {
            let key = "\(object.apiVersion)/\(object.kind)/\(object.namespace ?? "")/\(object.name)"
            if let first = seen[key] {
                diagnostics.error(
                    .objectDuplicate,
                    "\(object.kind) '\(object.name)' would be emitted twice in environment '\(plan.environment.name)'",
                    at: object.sources.first, help: "rename one of the inputs so their derived names differ",
                    notes: first.sources.first.map { [DiagnosticNote("the other one comes from here", at: $0)] } ?? [])
            } else {
                seen[key] = object
            }
        }
    }
}
