import Foundation

/// Identities and privilege (seeds 001, 003, 004): who owns the files on a shared claim, fixed
/// UIDs under OpenShift's restricted SCC, and the least Pod Security level or SCC each
/// ServiceAccount needs for the pods it runs.
enum SecurityRules {
    // MARK: Levels

    static let podSecurityLevels = ["restricted", "baseline", "privileged"]
    static let sccLevels = ["restricted-v2", "nonroot-v2", "anyuid", "privileged"]

    static func levels(_ platform: Platform) -> [String] {
        platform == .openshift ? sccLevels : podSecurityLevels
    }

    /// Capabilities Pod Security `baseline` allows to add.
    static let baselineCapabilities: Set<String> = [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP",
        "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    ]

    /// Why a pod needs a level: the level's index, a reason and where it is written.
    struct Need {
        var level: Int
        var reason: String
        var location: SourceLocation?
    }

    /// A security context field: the container's, its step template's, else the pod's.
    static func securityField(_ field: String, container: ContainerRef, unit: PodUnit) -> (ManifestNode, String, PlannedObject)? {
        if let value = container.node.value(at: "securityContext.\(field)") {
            return (value, "\(container.path).securityContext.\(field)", container.object)
        }
        if let value = container.template?.value(at: "securityContext.\(field)") {
            return (value, "spec.stepTemplate.securityContext.\(field)", container.object)
        }
        if let value = unit.podSpec.value(at: "securityContext.\(field)") {
            return (value, "\(unit.podPath).securityContext.\(field)", unit.object)
        }
        return nil
    }

    /// The most privileged need of a pod shape.
    static func need(_ unit: PodUnit, context: RuleContext) -> Need {
        let openshift = context.platform == .openshift
        var needs: [Need] = [Need(level: 0, reason: "nothing beyond the default", location: nil)]
        func at(_ object: PlannedObject, _ path: String) -> SourceLocation? { context.location(of: object, path: path) }
        for host in ["hostNetwork", "hostPID", "hostIPC"] where unit.podSpec[host]?.boolValue == true {
            needs.append(
                Need(level: openshift ? 3 : 2, reason: "\(host): true", location: at(unit.object, "\(unit.podPath).\(host)")))
        }
        for (index, volume) in (unit.podSpec["volumes"]?.elements ?? []).enumerated() where volume["hostPath"] != nil {
            needs.append(
                Need(
                    level: openshift ? 3 : 2, reason: "a hostPath volume",
                    location: at(unit.object, "\(unit.podPath).volumes[\(index)]")))
        }
        for container in unit.containers {
            let name = "container '\(container.name)'"
            if let (value, path, object) = securityField("privileged", container: container, unit: unit), value.boolValue == true
            {
                needs.append(Need(level: openshift ? 3 : 2, reason: "\(name) is privileged", location: at(object, path)))
            }
            if let (value, path, object) = securityField("capabilities.add", container: container, unit: unit) {
                let added = (value.elements ?? []).compactMap(\.stringValue).map {
                    $0.uppercased().replacingOccurrences(of: "CAP_", with: "")
                }
                let extra = added.filter { $0 != "NET_BIND_SERVICE" }
                if !extra.isEmpty {
                    let level: Int
                    if openshift {
                        level = 3  // only `privileged` allows adding capabilities (anyuid does not: seed 004)
                    } else {
                        level = extra.allSatisfy { baselineCapabilities.contains($0) } ? 1 : 2
                    }
                    needs.append(
                        Need(level: level, reason: "\(name) adds \(extra.joined(separator: ", "))", location: at(object, path)))
                }
            }
            if let (value, path, object) = securityField("runAsUser", container: container, unit: unit), let uid = value.intValue
            {
                if uid == 0 {
                    needs.append(
                        Need(level: openshift ? 2 : 1, reason: "\(name) runs as root (runAsUser: 0)", location: at(object, path)))
                } else if openshift, !(context.environment.security.uidRange.value?.contains(uid) ?? false) {
                    needs.append(
                        Need(
                            level: 1, reason: "\(name) runs as UID \(uid), outside the namespace's UID range",
                            location: at(object, path)))
                }
            }
            if let (value, path, object) = securityField("allowPrivilegeEscalation", container: container, unit: unit),
                value.boolValue == true
            {
                needs.append(
                    Need(level: openshift ? 2 : 1, reason: "\(name) allows privilege escalation", location: at(object, path)))
            }
            if !openshift {
                // Pod Security `restricted` requires all of these on every container.
                var missing: [String] = []
                if securityField("runAsNonRoot", container: container, unit: unit)?.0.boolValue != true {
                    missing.append("runAsNonRoot: true")
                }
                if securityField("allowPrivilegeEscalation", container: container, unit: unit)?.0.boolValue != false {
                    missing.append("allowPrivilegeEscalation: false")
                }
                let drops = (securityField("capabilities.drop", container: container, unit: unit)?.0.elements ?? []).compactMap(
                    \.stringValue)
                if !drops.contains("ALL") { missing.append("capabilities.drop: [ALL]") }
                let seccomp = securityField("seccompProfile.type", container: container, unit: unit)?.0.stringValue
                if seccomp != "RuntimeDefault" && seccomp != "Localhost" { missing.append("seccompProfile.type: RuntimeDefault") }
                if !missing.isEmpty {
                    needs.append(
                        Need(
                            level: 1, reason: "\(name) lacks \(missing.joined(separator: ", "))",
                            location: at(container.object, container.path)))
                }
            }
        }
        return needs.max { $0.level < $1.level } ?? needs[0]
    }

    /// SCCs granted to a ServiceAccount by RoleBindings in the plan (OpenShift): the binding's
    /// ClusterRole `system:openshift:scc:<name>`, or a Role allowing `use` of the SCC.
    static func grants(_ account: String, context: RuleContext) -> [(level: Int, name: String, object: PlannedObject)] {
        var result: [(Int, String, PlannedObject)] = []
        for binding in context.plan.objects where binding.kind == "RoleBinding" {
            let subjects = binding.manifest["subjects"]?.elements ?? []
            guard subjects.contains(where: { $0["kind"]?.stringValue == "ServiceAccount" && $0["name"]?.stringValue == account })
            else { continue }
            let roleName = binding.manifest.value(at: "roleRef.name")?.stringValue ?? ""
            var sccs: [String] = []
            if roleName.hasPrefix("system:openshift:scc:") {
                sccs.append(String(roleName.dropFirst("system:openshift:scc:".count)))
            }
            if binding.manifest.value(at: "roleRef.kind")?.stringValue == "Role",
                let role = context.plan.objects.first(where: { $0.kind == "Role" && $0.name == roleName })
            {
                for rule in role.manifest["rules"]?.elements ?? [] {
                    let resources = (rule["resources"]?.elements ?? []).compactMap(\.stringValue)
                    let verbs = (rule["verbs"]?.elements ?? []).compactMap(\.stringValue)
                    guard resources.contains("securitycontextconstraints"), verbs.contains("use") || verbs.contains("*") else {
                        continue
                    }
                    sccs += (rule["resourceNames"]?.elements ?? []).compactMap(\.stringValue)
                }
            }
            for scc in sccs {
                let normalized = scc == "restricted" ? "restricted-v2" : (scc == "nonroot" ? "nonroot-v2" : scc)
                if let level = sccLevels.firstIndex(of: normalized) { result.append((level, scc, binding)) }
            }
        }
        return result
    }

    /// NBG250/NBG251: the least level each ServiceAccount's pods need, against the
    /// environment's cap and (OpenShift) the SCCs bound to the account.
    static let privilege = PlanRule(.privilegeCapped, alsoReports: [.privilegeExcess]) { context in
        let names = levels(context.platform)
        let cap = context.environment.security.privilegeCap
        var capIndex = context.platform == .openshift ? names.count - 1 : 0
        if let text = cap.value {
            guard let index = names.firstIndex(of: text) else {
                context.report(
                    "security.privilegeCap '\(text)' is not a level of \(context.platform.rawValue) (\(names.joined(separator: ", ")))",
                    at: cap.origin.location, help: "use one of \(names.joined(separator: ", "))", subject: nil)
                return
            }
            capIndex = index
        }
        var byAccount: [String: (need: Need, unit: PodUnit)] = [:]
        var order: [String] = []
        for unit in context.units {
            let need = need(unit, context: context)
            if let current = byAccount[unit.serviceAccount] {
                if need.level > current.need.level { byAccount[unit.serviceAccount] = (need, unit) }
            } else {
                byAccount[unit.serviceAccount] = (need, unit)
                order.append(unit.serviceAccount)
            }
        }
        for account in order {
            guard let (need, unit) = byAccount[account] else { continue }
            let granted = grants(account, context: context)
            let grantedIndex = context.platform == .openshift ? (granted.map(\.level).max() ?? 0) : names.count - 1
            let effective = min(capIndex, grantedIndex)
            if need.level > effective {
                var notes: [DiagnosticNote] = []
                let limitedByBinding = grantedIndex < capIndex
                if limitedByBinding {
                    if let best = granted.max(by: { $0.level < $1.level }) {
                        notes.append(
                            DiagnosticNote(
                                "the account is granted SCC \(best.name) here",
                                at: context.location(of: best.object, path: "roleRef.name")))
                    } else {
                        notes.append(DiagnosticNote("no RoleBinding grants the account an SCC: it gets restricted-v2"))
                    }
                } else {
                    notes.append(
                        DiagnosticNote(
                            "the environment caps privilege at \(names[capIndex]): \(cap.origin)", at: cap.origin.location))
                }
                context.report(
                    "ServiceAccount '\(account)' runs \(unit.displayName), which needs \(context.platform == .openshift ? "SCC" : "Pod Security level") \(names[need.level]) (\(need.reason)), but \(limitedByBinding ? "is granted" : "the environment allows") only \(names[effective])",
                    at: need.location ?? unit.object.sources.first,
                    help: need.level == 3 && context.platform == .openshift
                        ? "adding capabilities (buildah's SETFCAP) needs SCC privileged, anyuid is not enough (seed 004); prefer a rootless build (buildah --storage-driver=vfs without added capabilities, or S2I), or bind system:openshift:scc:privileged to this account only"
                        : "drop what needs the privilege, or grant the account \(names[need.level]) and raise security.privilegeCap",
                    notes: notes, subject: context.subject(for: unit.object))
            } else if context.platform == .openshift {
                for grant in granted where grant.level > need.level {
                    context.report(
                        "RoleBinding '\(grant.object.name)' grants ServiceAccount '\(account)' SCC \(grant.name), but its pods need only \(names[need.level])",
                        at: context.location(of: grant.object, path: "roleRef.name"), rule: .privilegeExcess,
                        help: "bind the least SCC the pods need", subject: context.subject(for: grant.object))
                }
            }
        }
    }

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
        let user: String
        if explicit.count == 1, !users.contains(where: { $0 == nil }), let uid = explicit.first {
            user = "UID \(uid)"
        } else if explicit.isEmpty {
            user = openshift ? "the namespace's assigned UID" : "the image's default user"
        } else {
            user = "UIDs " + users.map { $0.map(String.init) ?? "default" }.joined(separator: "/")
        }
        var groups: Set<Int> = []
        for field in ["fsGroup", "runAsGroup"] {
            if let gid = unit.podSpec.value(at: "securityContext.\(field)")?.intValue { groups.insert(gid) }
        }
        for gid in unit.podSpec.value(at: "securityContext.supplementalGroups")?.elements ?? [] {
            if let value = gid.intValue { groups.insert(value) }
        }
        if openshift, explicit.isEmpty, groups.isEmpty {
            // restricted-v2 assigns the fsGroup from the namespace's range: shared by such pods.
            groups.insert(context.environment.security.uidRange.value?.lowerBound ?? -1)
        }
        return Identity(user: user, groups: groups, location: location)
    }

    /// NBG240: two pods (tasks, Jobs) use one claim as different users with no common group:
    /// files one writes (mode 0644/0600, owned by its UID) the other cannot read or replace
    /// (seed 001: a root build task's OCI archive unreadable by the push task; seed 004).
    static let sharedVolumeUIDs = PlanRule(.sharedVolumeUIDs) { context in
        var byClaim: [String: [(PodUnit, ClaimUse, Identity)]] = [:]
        var order: [String] = []
        for unit in context.units {
            let id = identity(unit, context: context)
            for use in unit.claims {
                if byClaim[use.claim] == nil { order.append(use.claim) }
                byClaim[use.claim, default: []].append((unit, use, id))
            }
        }
        for claim in order {
            let entries = byClaim[claim] ?? []
            for (position, entry) in entries.enumerated() {
                // Each user of the claim is reported once, against the nearest earlier one it conflicts with.
                guard
                    let first = entries[..<position].last(where: {
                        $0.2.user != entry.2.user && $0.2.groups.isDisjoint(with: entry.2.groups)
                    })
                else { continue }
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
    /// volume as different users with no common group (seed 004: a step writing a script into
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
            var location: SourceLocation?
        }
        func member(_ container: ContainerRef) -> Member {
            var groups = podGroups
            if let gid = securityField("runAsGroup", container: container, unit: unit)?.0.intValue { groups.insert(gid) }
            if let (value, path, object) = securityField("runAsUser", container: container, unit: unit), let uid = value.intValue
            {
                return Member(
                    container: container, user: "UID \(uid)", groups: groups, location: context.location(of: object, path: path))
            }
            return Member(
                container: container, user: "the default user", groups: groups,
                location: context.location(of: container.object, path: container.path))
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
                    at: entry.location,
                    help: "run the containers as the same user, or give the pod an fsGroup both share",
                    notes: [DiagnosticNote("container '\(first.container.name)' is set here", at: first.location)],
                    subject: context.subject(for: unit.object))
            }
        }
    }

    /// NBG241: under OpenShift's restricted-v2 (MustRunAsRange) a fixed runAsUser, runAsGroup
    /// or fsGroup outside the namespace's range is rejected at admission.
    static let uidRange = PlanRule(.uidOutsideRange) { context in
        guard context.platform == .openshift else { return }
        let range = context.environment.security.uidRange
        for unit in context.units where context.job(for: unit.object) == nil {
            if grants(unit.serviceAccount, context: context).contains(where: { $0.level >= 1 }) { continue }
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
