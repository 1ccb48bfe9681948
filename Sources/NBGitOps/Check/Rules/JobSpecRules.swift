/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let volumeReserved: RuleID = "NBG124"
    public static let envReserved: RuleID = "NBG133"
    public static let namespaceUnmapped: RuleID = "NBG134"
}

/// Rules over what a NotebookValidationJob spec itself asks for, run with the other plan rules.
enum JobSpecRules {
    /// NBG124: user volumes and mounts must not collide with the ones nbgitops puts in every
    /// validation pod (ADR-053's "volume name collision" risk). The reserved set comes from
    /// `PodLayout`, the same values the planner uses, so it cannot drift.
    static let reservedVolumes = PlanRule(
        .volumeReserved, .error, "a volume name or mount path collides with one nbgitops uses", waivable: false
    ) { context in
        for job in context.specs.jobs {
            let subject = context.subject(for: job)
            for volume in job.podConfig.volumes where PodLayout.isReservedVolumeName(volume.name.value) {
                context.report(
                    "volume name '\(volume.name.value)' uses the prefix '\(PodLayout.reservedVolumeNamePrefix)' reserved for nbgitops' own volumes",
                    at: volume.name.location, help: "rename the volume (and its volumeMounts)", subject: subject)
            }
            for mount in job.podConfig.volumeMounts {
                guard let reserved = PodLayout.collision(forMountPath: mount.mountPath.value) else { continue }
                context.report(
                    "mount path '\(mount.mountPath.value)' collides with \(reserved.path), where nbgitops mounts \(reserved.purpose)",
                    at: mount.mountPath.location, help: "mount the volume elsewhere, e.g. /mnt/\(mount.name.value)",
                    subject: subject)
            }
        }
    }

    /// NBG133: the validation container's variables nbgitops sets (`NBG_*`, and HOME and the
    /// caches it points into the writable workspace) cannot be set by the spec: the reserved
    /// names come from `PodLayout`, the list the planner uses.
    static let reservedEnvironment = PlanRule(
        .envReserved, .error, "a user env variable collides with one nbgitops sets", waivable: false
    ) { context in
        for job in context.specs.jobs {
            for (index, variable) in job.podConfig.env.enumerated() {
                let name = variable["name"]?.stringValue ?? ""
                guard PodLayout.isReservedEnvName(name) else { continue }
                let names = job.podConfig.envNames
                let location =
                    names.indices.contains(index) && names[index].value == name
                    ? names[index].location : (names.first { $0.value == name }?.location ?? job.name.location)
                context.report(
                    "env variable '\(name)' is set by nbgitops in the validation container", at: location,
                    help: name.hasPrefix("NBG_")
                        ? "remove it; nbgitops derives it from the NotebookValidationJob's spec"
                        : "remove it; nbgitops points \(name) into the writable workspace (\(PodLayout.homeDirectory)) so the pod works under any UID",
                    notes: [DiagnosticNote("reserved names: \(PodLayout.reservedEnvNames.joined(separator: ", "))")],
                    subject: context.subject(for: job))
            }
        }
    }

    /// NBG134: an environment that maps namespaces (`naming.namespaces`) does not map one a
    /// spec file names, and has no `naming.namespacePrefix`: its objects land in the namespace
    /// as written — in every environment the same one, beside the mapped teams' (a missing
    /// entry, most likely).
    static let namespaceUnmapped = PlanRule(
        .namespaceUnmapped, .warning, "a spec's namespace is not mapped by an environment that maps namespaces"
    ) { context in
        let naming = context.environment.naming
        guard !naming.namespaces.isEmpty else { return }
        let mapped = naming.namespaces.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let firstEntry = mapped.first.flatMap { naming.namespaces[$0]?.origin.location }
        func check(_ written: Located<String>?, subject: DocumentKey) {
            guard let written, !naming.maps(written.value) else { return }
            context.report(
                "namespace '\(written.value)' is not mapped by environment '\(context.plan.environment.name)''s "
                    + "naming.namespaces; its objects land in '\(written.value)' as written",
                at: written.location,
                help: "add '\(written.value): <namespace>' to naming.namespaces in an overlay of the environment",
                notes: [DiagnosticNote("mapped: \(mapped.joined(separator: ", "))", at: firstEntry)],
                subject: subject)
        }
        for job in context.specs.jobs { check(job.namespace, subject: context.subject(for: job)) }
        for pipeline in context.specs.modelPipelines {
            check(pipeline.namespace, subject: DocumentKey(file: pipeline.file, index: pipeline.documentIndex))
        }
        for object in context.specs.supportingObjects {
            check(object.namespace, subject: DocumentKey(file: object.file, index: object.documentIndex))
        }
    }
}
