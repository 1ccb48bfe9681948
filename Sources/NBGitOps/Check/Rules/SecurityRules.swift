import Foundation

/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let privilegeCapped: RuleID = "NBG250"
    public static let privilegeExcess: RuleID = "NBG251"
}

/// Identities and privilege: who owns the files on a shared claim, fixed
/// UIDs under OpenShift's restricted SCC, and the least Pod Security level or SCC each
/// ServiceAccount needs for the pods it runs.
enum SecurityRules {
    // MARK: Levels

    static let podSecurityLevels = PodSecurityLevel.allCases.map(\.rawValue)
    /// The SCCs a pod's needs are ranked on (OpenShift): the ladder of SCCs OpenShift ships.
    static let sccNeedLadder: [OpenShiftSCC] = [.restrictedV2, .nonrootV2, .anyuid, .privileged]
    static let sccLevels = sccNeedLadder.map(\.rawValue)

    /// A privilege a pod needs, said once for both platforms: the least Pod Security level
    /// (Kubernetes) and the least SCC of the ladder (OpenShift) that allow it.
    struct Privilege: Sendable {
        var podSecurity: PodSecurityLevel
        var scc: OpenShiftSCC

        static let none = Privilege(podSecurity: .restricted, scc: .restrictedV2)
        /// Host namespaces, hostPath, privileged containers.
        static let hostOrPrivileged = Privilege(podSecurity: .privileged, scc: .privileged)
        /// Root, privilege escalation.
        static let root = Privilege(podSecurity: .baseline, scc: .anyuid)
        /// A fixed UID outside the namespace's range (OpenShift only).
        static let uidOutsideRange = Privilege(podSecurity: .restricted, scc: .nonrootV2)
        /// Missing `restricted` fields (Kubernetes only).
        static let notRestricted = Privilege(podSecurity: .baseline, scc: .restrictedV2)

        /// Its index in the platform's ladder (`levels(platform)`).
        func level(on platform: Platform) -> Int {
            platform == .openshift
                ? (sccNeedLadder.firstIndex(of: scc) ?? sccNeedLadder.count - 1) : podSecurity.rank
        }
    }

    /// What an SCC admits, from the SCCs OpenShift ships (restricted-v2, nonroot-v2, anyuid,
    /// privileged) and the one OpenShift Pipelines ships for buildah: `pipelines-scc` (runAsUser
    /// RunAsAny, allowedCapabilities [SETFCAP], allowPrivilegeEscalation false, no privileged
    /// containers, no host namespaces or hostPath, fsGroup MustRunAs). SCCs are not a chain:
    /// pipelines-scc admits root with SETFCAP, which anyuid does not, and refuses privilege
    /// escalation, which anyuid allows. `capRank` orders them for `security.privilegeCap` and
    /// for over-grants (NBG251): pipelines-scc ranks with anyuid there (it adds one
    /// capability and takes away escalation), below privileged.
    struct SCC: Sendable {
        var constraint: OpenShiftSCC
        var name: String { constraint.rawValue }
        /// Index in `capLevels` (the order of `OpenShiftSCC`).
        var capRank: Int { constraint.rank }
        /// Rank for over-grants: a grant ranked above the least SCC admitting the pods is excess.
        var grantRank: Int
        /// SCC priority: a granted SCC with a priority is tried first (anyuid: 10).
        var priority: Int
        var allowsUIDOutsideRange: Bool
        var allowsRoot: Bool
        var allowsEscalation: Bool
        /// Capabilities pods may add beyond NET_BIND_SERVICE; nil: any.
        var allowedCapabilities: Set<String>?
        var allowsHostAndPrivileged: Bool
        /// fsGroup MustRunAs: the pod gets the namespace's fsGroup as a supplemental group.
        var assignsFSGroup: Bool

        func admits(_ requirement: Requirement) -> Bool {
            switch requirement {
            case .nothing: return true
            case .uidOutsideRange: return allowsUIDOutsideRange
            case .root: return allowsRoot
            case .escalation: return allowsEscalation
            case .capabilities(let added): return allowedCapabilities.map { added.isSubset(of: $0) } ?? true
            case .hostOrPrivileged: return allowsHostAndPrivileged
            }
        }

        func admits(_ needs: [Need]) -> Bool { needs.allSatisfy { admits($0.requirement) } }
    }

    static let sccs: [SCC] = [
        SCC(
            constraint: .restrictedV2, grantRank: 0, priority: 0, allowsUIDOutsideRange: false, allowsRoot: false,
            allowsEscalation: false, allowedCapabilities: [], allowsHostAndPrivileged: false, assignsFSGroup: true),
        SCC(
            constraint: .nonrootV2, grantRank: 1, priority: 0, allowsUIDOutsideRange: true, allowsRoot: false,
            allowsEscalation: false, allowedCapabilities: [], allowsHostAndPrivileged: false, assignsFSGroup: true),
        SCC(
            constraint: .anyuid, grantRank: 2, priority: 10, allowsUIDOutsideRange: true, allowsRoot: true,
            allowsEscalation: true, allowedCapabilities: [], allowsHostAndPrivileged: false, assignsFSGroup: false),
        SCC(
            constraint: .pipelinesSCC, grantRank: 2, priority: 0, allowsUIDOutsideRange: true, allowsRoot: true,
            allowsEscalation: false, allowedCapabilities: ["SETFCAP"], allowsHostAndPrivileged: false,
            assignsFSGroup: true),
        SCC(
            constraint: .privileged, grantRank: 3, priority: 0, allowsUIDOutsideRange: true, allowsRoot: true,
            allowsEscalation: true, allowedCapabilities: nil, allowsHostAndPrivileged: true, assignsFSGroup: false),
    ]

    /// `security.privilegeCap` values on OpenShift, least first.
    static let capLevels = sccs.map(\.name)

    static func scc(named name: String) -> SCC? {
        guard let constraint = OpenShiftSCC(named: name) else { return nil }
        return sccs.first { $0.constraint == constraint }
    }

    /// The ClusterRoles that grant `use` of an SCC: OpenShift's `system:openshift:scc:<name>`
    /// for its own SCCs (no `system:openshift:scc:pipelines-scc` ClusterRole exists).
    /// OpenShift Pipelines' `pipelines-scc-clusterrole` grants whatever SCC TektonConfig's
    /// `platforms.openshift.scc.default` names (tektoncd/operator
    /// `pkg/reconciler/openshift/tektonconfig/rbac.go` `ensurePipelinesSCClusterRole`), which an
    /// administrator may set to restricted-v2: an unknown SCC, so it counts as granting none.
    /// Platform fact: a declared TektonConfig default SCC would name what it grants.
    static func sccGranted(byClusterRole role: String) -> String? {
        let prefix = "system:openshift:scc:"
        guard role.hasPrefix(prefix) else { return nil }
        let name = String(role.dropFirst(prefix.count))
        return name == "pipelines-scc" ? nil : name
    }

    static func levels(_ platform: Platform) -> [String] {
        platform == .openshift ? sccLevels : podSecurityLevels
    }

    /// Capabilities Pod Security `baseline` allows to add.
    static let baselineCapabilities: Set<String> = [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP",
        "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    ]

    /// Why a pod needs a level: the level's index, a reason and where it is written.
    struct Need: Sendable {
        /// Index in the platform's ladder (`Privilege.level(on:)`).
        var level: Int
        var reason: String
        var location: SourceLocation?
        /// What an SCC must allow for it (OpenShift).
        var requirement: Requirement = .nothing

        init(
            _ privilege: Privilege, on platform: Platform, reason: String, location: SourceLocation?,
            requirement: Requirement = .nothing
        ) {
            self.level = privilege.level(on: platform)
            self.reason = reason
            self.location = location
            self.requirement = requirement
        }
    }

    enum Requirement: Equatable, Sendable {
        case nothing, uidOutsideRange, root, escalation, hostOrPrivileged
        case capabilities(Set<String>)
    }

    /// A security context field: the container's, its step template's, else the pod's.
    static func securityField(_ field: String, container: ContainerRef, unit: PodUnit) -> (ManifestNode, String, PlannedObject)? {
        // `field` may be dotted (`capabilities.drop`); looked up from the securityContext node.
        if let value = container.node["securityContext"]?.value(at: field) {
            return (value, "\(container.path).securityContext.\(field)", container.object)
        }
        if let value = container.template?["securityContext"]?.value(at: field) {
            return (value, "spec.stepTemplate.securityContext.\(field)", container.object)
        }
        if let value = unit.podSpec["securityContext"]?.value(at: field) {
            return (value, "\(unit.podPath).securityContext.\(field)", unit.object)
        }
        return nil
    }

    /// The most privileged need of a pod shape.
    static func need(_ unit: PodUnit, context: RuleContext) -> Need {
        let all = needs(unit, context: context)
        return all.max { $0.level < $1.level } ?? all[0]
    }

    /// Everything a pod shape needs beyond the default (the first entry is the default).
    /// Computed once per unit and environment (several rules ask, some more than once).
    static func needs(_ unit: PodUnit, context: RuleContext) -> [Need] {
        if let cached = context.needsByUnit, cached.indices.contains(unit.position) {
            return cached[unit.position]
        }
        return computeNeeds(unit, context: context)
    }

    static func computeNeeds(_ unit: PodUnit, context: RuleContext) -> [Need] {
        let platform = context.platform
        let openshift = platform == .openshift
        var needs: [Need] = [Need(.none, on: platform, reason: "nothing beyond the default", location: nil)]
        func at(_ object: PlannedObject, _ path: String) -> SourceLocation? { context.location(of: object, path: path) }
        for host in ["hostNetwork", "hostPID", "hostIPC"] where unit.podSpec[host]?.boolValue == true {
            needs.append(
                Need(
                    .hostOrPrivileged, on: platform, reason: "\(host): true",
                    location: at(unit.object, "\(unit.podPath).\(host)"),
                    requirement: .hostOrPrivileged))
        }
        for (index, volume) in (unit.podSpec["volumes"]?.elements ?? []).enumerated() where volume["hostPath"] != nil {
            needs.append(
                Need(
                    .hostOrPrivileged, on: platform, reason: "a hostPath volume",
                    location: at(unit.object, "\(unit.podPath).volumes[\(index)]"), requirement: .hostOrPrivileged))
        }
        for container in unit.containers {
            let name = "container '\(container.name)'"
            if let (value, path, object) = securityField("privileged", container: container, unit: unit), value.boolValue == true
            {
                needs.append(
                    Need(
                        .hostOrPrivileged, on: platform, reason: "\(name) is privileged", location: at(object, path),
                        requirement: .hostOrPrivileged))
            }
            if let (value, path, object) = securityField("capabilities.add", container: container, unit: unit) {
                let added = (value.elements ?? []).compactMap(\.stringValue).map {
                    $0.uppercased().replacingOccurrences(of: "CAP_", with: "")
                }
                let extra = added.filter { $0 != "NET_BIND_SERVICE" }
                if !extra.isEmpty {
                    // Of the SCCs OpenShift ships only `privileged` adds capabilities (anyuid
                    // does not); pipelines-scc admits SETFCAP (see `SCC`). Pod
                    // Security `baseline` allows a fixed set.
                    let privilege = Privilege(
                        podSecurity: extra.allSatisfy { baselineCapabilities.contains($0) } ? .baseline : .privileged,
                        scc: .privileged)
                    needs.append(
                        Need(
                            privilege, on: platform, reason: "\(name) adds \(extra.joined(separator: ", "))",
                            location: at(object, path),
                            requirement: .capabilities(Set(extra))))
                }
            }
            if let (value, path, object) = securityField("runAsUser", container: container, unit: unit), let uid = value.intValue
            {
                if uid == 0 {
                    needs.append(
                        Need(
                            .root, on: platform, reason: "\(name) runs as root (runAsUser: 0)", location: at(object, path),
                            requirement: .root))
                } else if openshift, !(namespaceRange(unit.object.namespace, context: context).value?.contains(uid) ?? false) {
                    needs.append(
                        Need(
                            .uidOutsideRange, on: platform,
                            reason: "\(name) runs as UID \(uid), outside the namespace's UID range",
                            location: at(object, path), requirement: .uidOutsideRange))
                }
            }
            if let (value, path, object) = securityField("allowPrivilegeEscalation", container: container, unit: unit),
                value.boolValue == true
            {
                needs.append(
                    Need(
                        .root, on: platform, reason: "\(name) allows privilege escalation", location: at(object, path),
                        requirement: .escalation))
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
                            .notRestricted, on: platform, reason: "\(name) lacks \(missing.joined(separator: ", "))",
                            location: at(container.object, container.path)))
                }
            }
        }
        return needs
    }

    /// SCCs granted to a ServiceAccount by RoleBindings in the plan (OpenShift): a ClusterRole
    /// that grants an SCC (`system:openshift:scc:<name>`), or a
    /// Role allowing `use` of the SCC. `level` is the SCC's `capRank`.
    static func grants(_ account: String, namespace: String?, context: RuleContext) -> [(
        level: Int, name: String, object: PlannedObject
    )] {
        var result: [(Int, String, PlannedObject)] = []
        for binding in context.roleBindings(naming: account, namespace: namespace) {
            let roleName = binding.manifest.value(at: "roleRef.name")?.stringValue ?? ""
            let roleKind = binding.manifest.value(at: "roleRef.kind")?.stringValue
            var names: [String] = []
            if roleKind == "ClusterRole", let granted = sccGranted(byClusterRole: roleName) { names.append(granted) }
            if let role = context.role(kind: roleKind ?? "Role", name: roleName, namespace: binding.namespace) {
                for rule in role.manifest["rules"]?.elements ?? [] {
                    let resources = (rule["resources"]?.elements ?? []).compactMap(\.stringValue)
                    let verbs = (rule["verbs"]?.elements ?? []).compactMap(\.stringValue)
                    guard resources.contains("securitycontextconstraints"), verbs.contains("use") || verbs.contains("*") else {
                        continue
                    }
                    names += (rule["resourceNames"]?.elements ?? []).compactMap(\.stringValue)
                }
            }
            for name in names {
                if let scc = scc(named: name) { result.append((scc.capRank, name, binding)) }
            }
        }
        return result
    }

    /// The SCC OpenShift admits a pod with among those usable by its account: SCCs with a
    /// priority first (anyuid), then the most restrictive; nil when none admits the pod.
    static func admittingSCC(_ needs: [Need], usable: [SCC]) -> SCC? {
        usable.sorted { ($0.priority, -$0.capRank) > ($1.priority, -$1.capRank) }.first { $0.admits(needs) }
    }

    /// The SCCs a ServiceAccount may use in this environment: restricted-v2 (every account) and
    /// the granted ones, up to `security.privilegeCap`.
    static func usableSCCs(_ account: String, namespace: String?, capRank: Int, context: RuleContext) -> [SCC] {
        var result = [sccs[0]]
        for grant in grants(account, namespace: namespace, context: context) where grant.level <= capRank {
            if let scc = scc(named: grant.name), !result.contains(where: { $0.name == scc.name }) { result.append(scc) }
        }
        return result
    }

    /// The OpenShift cap (an index in `capLevels`), or nil after reporting an unknown value.
    static func openshiftCapRank(_ context: RuleContext) -> Int? {
        guard let text = context.environment.security.privilegeCap.value else { return capLevels.count - 1 }
        return scc(named: text)?.capRank
    }

    /// Kubernetes: the Pod Security level a pod may reach: `security.privilegeCap`, else the
    /// `enforce` label of its namespace when nbgitops emits the Namespace (the build namespace is
    /// `baseline`), else `restricted`.
    static func kubernetesCap(_ unit: PodUnit, context: RuleContext) -> (index: Int, why: String, location: SourceLocation?) {
        let cap = context.environment.security.privilegeCap
        if let text = cap.value, let index = podSecurityLevels.firstIndex(of: text) {
            return (index, "the environment caps privilege at \(text): \(cap.origin)", cap.origin.location)
        }
        if let namespace = unit.object.namespace,
            let object = context.object(kind: "Namespace", name: namespace),
            let label = object.manifest.value(at: "metadata.labels")?[LabelKey.podSecurityEnforce]?.stringValue,
            let index = podSecurityLevels.firstIndex(of: label)
        {
            return (
                index, "namespace '\(namespace)' enforces Pod Security \(label)",
                context.location(of: object, path: "metadata.labels")
            )
        }
        return (0, "the environment caps privilege at restricted: \(cap.origin)", cap.origin.location)
    }

    /// NBG250/NBG251: the least level each ServiceAccount's pods need, against the
    /// environment's cap and (OpenShift) the SCCs bound to the account.
    static let privilege = PlanRule(
        .privilegeCapped, .error, "a ServiceAccount's pods need more privilege than the environment or its bindings allow",
        alsoDescribes: [.check(.privilegeExcess, .warning, "a binding grants a ServiceAccount more privilege than its pods need")]
    ) { context in
        let openshift = context.platform == .openshift
        let cap = context.environment.security.privilegeCap
        let allowed = openshift ? capLevels : podSecurityLevels
        if let text = cap.value, openshift ? scc(named: text) == nil : !podSecurityLevels.contains(text) {
            context.report(
                "security.privilegeCap '\(text)' is not a level of \(context.platform.rawValue) (\(allowed.joined(separator: ", ")))",
                at: cap.origin.location, help: "use one of \(allowed.joined(separator: ", "))", subject: nil)
            return
        }
        if openshift { checkOpenShift(context) } else { checkKubernetes(context) }
    }

    static func checkKubernetes(_ context: RuleContext) {
        let names = podSecurityLevels
        // Per account, the most privileged need that exceeds what its namespace allows.
        var order: [String] = []
        var worst: [String: (need: Need, unit: PodUnit, cap: (index: Int, why: String, location: SourceLocation?))] = [:]
        for unit in context.units {
            let need = need(unit, context: context)
            let cap = kubernetesCap(unit, context: context)
            guard need.level > cap.index else { continue }
            if let current = worst[unit.serviceAccount] {
                if need.level > current.need.level { worst[unit.serviceAccount] = (need, unit, cap) }
            } else {
                worst[unit.serviceAccount] = (need, unit, cap)
                order.append(unit.serviceAccount)
            }
        }
        for account in order {
            guard let (need, unit, cap) = worst[account] else { continue }
            context.report(
                "ServiceAccount '\(unit.serviceAccount)' runs \(unit.displayName), which needs Pod Security level \(names[need.level]) (\(need.reason)), but the environment allows only \(names[cap.index])",
                at: need.location ?? unit.object.sources.first,
                help: "drop what needs the privilege, or grant the account \(names[need.level]) and raise security.privilegeCap",
                notes: [DiagnosticNote(cap.why, at: cap.location)], subject: context.subject(for: unit.object))
        }
    }

    static func checkOpenShift(_ context: RuleContext) {
        let names = sccLevels
        let cap = context.environment.security.privilegeCap
        let capRank = openshiftCapRank(context) ?? capLevels.count - 1
        // A ServiceAccount is one per namespace and name.
        var order: [NamespacedName] = []
        var unitsOf: [NamespacedName: [PodUnit]] = [:]
        for unit in context.units {
            let key = NamespacedName(namespace: unit.object.namespace ?? "", name: unit.serviceAccount)
            if unitsOf[key] == nil { order.append(key) }
            unitsOf[key, default: []].append(unit)
        }
        for key in order {
            let account = key.name
            let units = unitsOf[key] ?? []
            let granted = grants(account, namespace: key.namespace, context: context)
            let usable = usableSCCs(account, namespace: key.namespace, capRank: capRank, context: context)
            // The most privileged need among the pods no usable SCC admits.
            var failing: (need: Need, unit: PodUnit)?
            var leastGrantRank = 0
            for unit in units {
                let needs = needs(unit, context: context)
                let need = needs.max { $0.level < $1.level } ?? needs[0]
                // Over-grants are judged against the SCCs every cluster has (pipelines-scc exists
                // only with OpenShift Pipelines), so a pipelines-scc grant is never suggested.
                let least = sccs.first { $0.name != "pipelines-scc" && $0.admits(needs) }
                leastGrantRank = max(leastGrantRank, least?.grantRank ?? 3)
                if admittingSCC(needs, usable: usable) == nil, need.level > (failing?.need.level ?? -1) {
                    failing = (need, unit)
                }
            }
            if let (worst, unit) = failing {
                var notes: [DiagnosticNote] = []
                let best = granted.max { $0.level < $1.level }
                // Name what the best usable SCC refuses (pipelines-scc admits SETFCAP but not
                // privilege escalation); the message's SCC is the least built-in one admitting all.
                let bestUsable = usable.max { $0.capRank < $1.capRank } ?? sccs[0]
                let refused = needs(unit, context: context).filter { !bestUsable.admits($0.requirement) }
                var need = refused.max { $0.level < $1.level } ?? worst
                need.level = worst.level
                // Limited by the bindings when the best grant is below the cap, else by the cap.
                let limitedByBinding = (best?.level ?? 0) < capRank
                let effective: String
                if limitedByBinding {
                    if let best {
                        notes.append(
                            DiagnosticNote(
                                "the account is granted SCC \(best.name) here",
                                at: context.location(of: best.object, path: "roleRef.name")))
                        effective = best.level <= capRank ? best.name : capLevels[capRank]
                    } else {
                        notes.append(DiagnosticNote("no RoleBinding grants the account an SCC: it gets restricted-v2"))
                        effective = "restricted-v2"
                    }
                } else {
                    notes.append(
                        DiagnosticNote(
                            "the environment caps privilege at \(capLevels[capRank]): \(cap.origin)", at: cap.origin.location))
                    effective = capLevels[capRank]
                }
                let setfcapOnly = need.requirement == .capabilities(["SETFCAP"])
                context.report(
                    "ServiceAccount '\(account)' runs \(unit.displayName), which needs SCC \(names[need.level]) (\(need.reason)), but \(limitedByBinding ? "is granted" : "the environment allows") only \(effective)",
                    at: need.location ?? unit.object.sources.first,
                    help: need.level == Privilege.hostOrPrivileged.level(on: .openshift)
                        ? "adding capabilities (buildah's SETFCAP) needs SCC privileged, anyuid is not enough; prefer a rootless build (buildah --storage-driver=vfs without added capabilities, or S2I), "
                            + (setfcapOnly
                                ? "or with OpenShift Pipelines bind this account only to a Role allowing 'use' of securitycontextconstraints 'pipelines-scc' by name (root with SETFCAP only; the ClusterRole pipelines-scc-clusterrole grants TektonConfig's default SCC, whichever that is)"
                                : "or bind system:openshift:scc:privileged to this account only")
                        : "drop what needs the privilege, or grant the account \(names[need.level]) and raise security.privilegeCap",
                    notes: notes, subject: context.subject(for: unit.object))
            } else {
                for grant in granted {
                    guard let scc = scc(named: grant.name), scc.grantRank > leastGrantRank else { continue }
                    let least = sccs.first { $0.name != "pipelines-scc" && $0.grantRank == leastGrantRank }?.name ?? names[0]
                    context.report(
                        "RoleBinding '\(grant.object.name)' grants ServiceAccount '\(account)' SCC \(grant.name), but its pods need only \(least)",
                        at: context.location(of: grant.object, path: "roleRef.name"), rule: .privilegeExcess,
                        help: "bind the least SCC the pods need", subject: context.subject(for: grant.object))
                }
            }
        }
    }
}
