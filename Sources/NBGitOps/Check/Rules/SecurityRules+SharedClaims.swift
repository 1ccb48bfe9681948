import Foundation

/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let sharedVolumeUIDs: RuleID = "NBG240"
    public static let uidOutsideRange: RuleID = "NBG241"
}

/// NBG240 and NBG241: the identities pods use on shared claims (part of `SecurityRules`).
extension SecurityRules {
    // MARK: Identities on shared claims

    /// Who a pod is on a shared volume: its UID (or how one is assigned) and its groups.
    struct Identity: Equatable {
        var user: String
        var groups: Set<Int>
        var location: SourceLocation?
    }

    static func identity(_ unit: PodUnit, context: RuleContext) -> Identity {
        let openshift = context.platform == .openshift
        var users: [Int?] = []
        var location: SourceLocation?
        for container in unit.containers {
            if let (value, path, object) = securityField("runAsUser", container: container, unit: unit), let uid = value.intValue
            {
                users.append(uid)
                if location == nil { location = context.location(of: object, path: path, specPath: nil) }
            } else {
                users.append(nil)
            }
        }
        let explicit = Set(users.compactMap { $0 })
        // Groups every process of the pod has: the pod's fsGroup and supplementalGroups, and
        // each container's primary group (runAsGroup, the container's or the pod's).
        var podGroups: Set<Int> = []
        if let gid = unit.podSpec.value(at: "securityContext.fsGroup")?.intValue { podGroups.insert(gid) }
        for gid in unit.podSpec.value(at: "securityContext.supplementalGroups")?.elements ?? [] {
            if let value = gid.intValue { podGroups.insert(value) }
        }
        var admitting: SCC?
        if openshift {
            let needs = needs(unit, context: context)
            let usable = usableSCCs(
                unit.serviceAccount, namespace: unit.object.namespace, capRank: openshiftCapRank(context) ?? capLevels.count - 1,
                context: context)
            admitting = admittingSCC(needs, usable: usable)
            // An SCC with fsGroup MustRunAs (restricted-v2, nonroot-v2, pipelines-scc) gives the
            // pod the namespace's fsGroup: shared by every pod it admits.
            if admitting?.assignsFSGroup == true, unit.podSpec.value(at: "securityContext.fsGroup") == nil {
                podGroups.insert(context.environment.security.uidRange.value?.lowerBound ?? -1)
            }
        }
        let user: String
        if explicit.count == 1, !users.contains(where: { $0 == nil }), let uid = explicit.first {
            user = "UID \(uid)"
        } else if explicit.isEmpty {
            // On OpenShift a pod without runAsUser gets a UID from the namespace's range, unless
            // the SCC admitting it lets it keep the image's user (anyuid, nonroot-v2, …).
            user =
                openshift && admitting?.allowsUIDOutsideRange != true
                ? "the namespace's assigned UID" : "the image's default user"
        } else {
            user = "UIDs " + users.map { $0.map(String.init) ?? "default" }.joined(separator: "/")
        }
        var groups: Set<Int>?
        for container in unit.containers {
            var own = podGroups
            if let (value, _, _) = securityField("runAsGroup", container: container, unit: unit), let gid = value.intValue {
                own.insert(gid)
            } else if openshift, admitting?.name == "restricted-v2",
                securityField("runAsUser", container: container, unit: unit) == nil
            {
                // restricted-v2 runs the container as an assigned UID whose primary group is 0
                // (why images make their directories group-0 writable).
                own.insert(0)
            }
            groups = groups.map { $0.intersection(own) } ?? own
        }
        return Identity(user: user, groups: groups ?? podGroups, location: location)
    }

    /// NBG240: two pods (tasks, Jobs) use one claim as different users with no common group:
    /// files one writes (mode 0644/0600, owned by its UID) the other cannot read or replace
    /// (a root build task's OCI archive unreadable by the push task; a PVC workspace another step cannot write).
    static let sharedVolumeUIDs = PlanRule(
        .sharedVolumeUIDs, .error, "containers share a volume as different users with no common group"
    ) { context in
        var byClaim: [String: [(PodUnit, ClaimUse, Identity)]] = [:]
        var order: [String] = []
        for unit in context.units {
            let id = identity(unit, context: context)
            for use in unit.claims {
                if byClaim[use.claim] == nil { order.append(use.claim) }
                byClaim[use.claim, default: []].append((unit, use, id))
            }
        }
        struct Who: Hashable {
            var user: String
            var groups: Set<Int>
        }
        for claim in order {
            let entries = byClaim[claim] ?? []
            // The last position of each distinct user/groups pair seen so far: pods of a claim
            // are many, their identities few, so the search below stays linear in the pods.
            var lastSeen: [Who: Int] = [:]
            for (position, entry) in entries.enumerated() {
                defer { lastSeen[Who(user: entry.2.user, groups: entry.2.groups)] = position }
                // Each user of the claim is reported once, against the nearest earlier one it conflicts with.
                let conflicting = lastSeen.filter { who, _ in
                    who.user != entry.2.user && who.groups.isDisjoint(with: entry.2.groups)
                }
                guard let nearest = conflicting.values.max() else { continue }
                let first = entries[nearest]
                let reportLocation = entry.2.location ?? StorageRules.location(entry.1, context: context)
                context.report(
                    "\(entry.0.displayName) uses claim '\(claim)' as \(entry.2.user), but \(first.0.displayName) uses it as \(first.2.user), with no group in common; files one writes are unreadable by the other (permission denied)",
                    at: reportLocation,
                    help:
                        "run both with the same fsGroup (e.g. securityContext.fsGroup in the podTemplate) and group-readable files, or with the same runAsUser",
                    notes: [
                        DiagnosticNote(
                            "\(first.0.displayName) is set here",
                            at: first.2.location ?? StorageRules.location(first.1, context: context))
                    ],
                    subject: context.subject(for: entry.0.object))
            }
        }
        for unit in context.units { checkContainersSharingVolumes(unit, context: context) }
    }

    /// Within one pod: containers (or the steps of one Tekton task) that share a writable
    /// volume as different users with no common group (a step writing a script into
    /// the PVC workspace that the next step, as another user, cannot execute).
    static func checkContainersSharingVolumes(_ unit: PodUnit, context: RuleContext) {
        guard unit.containers.count >= 2 else { return }
        var podGroups: Set<Int> = []
        for field in ["fsGroup", "runAsGroup"] {
            if let gid = unit.podSpec.value(at: "securityContext.\(field)")?.intValue { podGroups.insert(gid) }
        }
        for gid in unit.podSpec.value(at: "securityContext.supplementalGroups")?.elements ?? [] {
            if let value = gid.intValue { podGroups.insert(value) }
        }
        struct Member {
            var container: ContainerRef
            var user: String
            var groups: Set<Int>
            /// Where the user is set (looked up only when a finding is reported).
            var object: PlannedObject
            var path: String
            func location(_ context: RuleContext) -> SourceLocation? { context.location(of: object, path: path) }
        }
        func member(_ container: ContainerRef) -> Member {
            var groups = podGroups
            if let gid = securityField("runAsGroup", container: container, unit: unit)?.0.intValue { groups.insert(gid) }
            if let (value, path, object) = securityField("runAsUser", container: container, unit: unit), let uid = value.intValue
            {
                return Member(container: container, user: "UID \(uid)", groups: groups, object: object, path: path)
            }
            return Member(
                container: container, user: "the default user", groups: groups, object: container.object,
                path: container.path)
        }
        // Volumes shared by two or more containers: for Tekton, the task's workspaces (every
        // step mounts them); for pods, writable emptyDir and PVC volumes mounted by several.
        var shared: [(String, [Member])] = []
        if case .tektonTask = unit.origin {
            if !unit.claims.isEmpty { shared.append(("the task's workspaces", unit.containers.map(member))) }
        } else {
            for volume in unit.podSpec["volumes"]?.elements ?? [] {
                guard volume["emptyDir"] != nil || volume["persistentVolumeClaim"] != nil,
                    let name = volume["name"]?.stringValue
                else { continue }
                let users = unit.containers.filter { container in
                    (container.node["volumeMounts"]?.elements ?? []).contains { $0["name"]?.stringValue == name }
                }
                if users.count >= 2 { shared.append(("volume '\(name)'", users.map(member))) }
            }
        }
        for (what, members) in shared {
            for (position, entry) in members.enumerated() {
                guard
                    let first = members[..<position].last(where: {
                        $0.user != entry.user && $0.groups.isDisjoint(with: entry.groups)
                    })
                else { continue }
                context.report(
                    "\(unit.displayName): container '\(entry.container.name)' uses \(what) as \(entry.user), but container '\(first.container.name)' uses it as \(first.user), with no group in common; files one writes are unreadable by the other (permission denied)",
                    at: entry.location(context),
                    help: "run the containers as the same user, or give the pod an fsGroup both share",
                    notes: [DiagnosticNote("container '\(first.container.name)' is set here", at: first.location(context))],
                    subject: context.subject(for: unit.object))
            }
        }
    }

    /// The UID range of `namespace`: `security.uidRange` pins the environment's own namespace
    /// only (`PlanContext.placed(at:)`); another namespace's is its `security.namespaces` entry,
    /// else OpenShift's to allocate.
    static func namespaceRange(_ namespace: String?, context: RuleContext) -> Traced<ClosedRange<Int>?> {
        let home = context.environment.naming.namespace.value
        guard let namespace, namespace != home else { return context.environment.security.uidRange }
        return context.environment.security.namespaceRanges[namespace]?.uidRange
            ?? .byDefault(nil, SecuritySettings.otherNamespaceRangeReason)
    }

    /// NBG241: under OpenShift's restricted-v2 (MustRunAsRange) a fixed runAsUser, runAsGroup
    /// or fsGroup outside the namespace's range is rejected at admission.
    static let uidRange = PlanRule(
        .uidOutsideRange, .error, "a fixed runAsUser/fsGroup on OpenShift outside the namespace's UID range"
    ) { context in
        guard context.platform == .openshift else { return }
        for unit in context.units where context.job(for: unit.object) == nil {
            let range = namespaceRange(unit.object.namespace, context: context)
            if grants(unit.serviceAccount, namespace: unit.object.namespace, context: context).contains(where: {
                $0.level >= OpenShiftSCC.nonrootV2.rank
            }) {
                continue
            }
            var fields: [(ManifestNode, String, PlannedObject)] = []
            for field in ["runAsUser", "runAsGroup", "fsGroup"] {
                if let value = unit.podSpec.value(at: "securityContext.\(field)") {
                    fields.append((value, "\(unit.podPath).securityContext.\(field)", unit.object))
                }
                for container in unit.containers {
                    if let value = container.node.value(at: "securityContext.\(field)") {
                        fields.append((value, "\(container.path).securityContext.\(field)", container.object))
                    }
                }
            }
            for (value, path, object) in fields {
                guard let id = value.intValue, id != 0, !(range.value?.contains(id) ?? false) else { continue }
                let rangeText = range.value.map { "\($0.lowerBound)-\($0.upperBound)" }
                context.report(
                    "\(unit.displayName) fixes \(path.split(separator: ".").last ?? "") \(id), "
                        + (rangeText.map { "outside the namespace's UID range \($0)" }
                            ?? "but the environment declares no UID range")
                        + "; restricted-v2 rejects the pod",
                    at: context.location(of: object, path: path),
                    help:
                        "remove the fixed ID (OpenShift assigns one from the range), or declare security.uidRange in an overlay",
                    notes: range.value == nil ? [] : [DiagnosticNote("the range is \(range.origin)", at: range.origin.location)],
                    subject: context.subject(for: unit.object))
            }
        }
    }
}
