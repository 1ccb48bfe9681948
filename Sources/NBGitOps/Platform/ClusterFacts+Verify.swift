import Foundation

extension ClusterFacts {
    /// The facts as an overlay document (`kind: Overlay`, `spec.platform…`, `spec.cluster.nodePools`),
    /// rendered by the project's emitter. libyaml's emitter writes no comments, so where each value
    /// came from is a `# from:` header block (fact path → object) before the document.
    public func overlay(name: String) -> Result<[UInt8], ManifestRenderer.EmitFailure> {
        var spec = ManifestNode.map([])
        for fact in facts { spec = Self.inserting(fact.value, at: fact.path.split(separator: ".").map(String.init), into: spec) }
        let document = ManifestNode.object([
            ("apiVersion", .string("nbgitops.dev/v1alpha1")),
            ("kind", .string("Overlay")),
            ("metadata", .object([("name", .string(name))])),
            ("spec", spec),
        ])
        var header = "# Platform facts read from the cluster by `nbgitops platform --from-cluster`.\n# from:\n"
        for fact in facts {
            header += "#   spec.\(Self.commentSafe(fact.path)): \(Self.commentSafe(fact.source))\n"
        }
        return ManifestRenderer.emit([document], after: Array(header.utf8))
    }

    /// One line of a comment: control characters (a newline would end the comment) become spaces.
    static func commentSafe(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
    }

    static func inserting(_ value: ManifestNode, at path: [String], into node: ManifestNode) -> ManifestNode {
        guard let key = path.first else { return value }
        var entries = node.entries ?? []
        if let index = entries.firstIndex(where: { $0.key == key }) {
            entries[index].value = inserting(value, at: Array(path.dropFirst()), into: entries[index].value)
        } else {
            entries.append(ManifestEntry(key, inserting(value, at: Array(path.dropFirst()), into: .map([]))))
        }
        return .map(entries)
    }

    /// The scalar facts an environment declares that the cluster contradicts: one located error
    /// each (NBG334), at the overlay line that set the fact. Facts the environment leaves unknown,
    /// or the cluster does not show, are not compared.
    public func differences(from environment: Environment) -> [Diagnostic] {
        let facts = environment.facts
        var declared: [(path: String, value: String?, origin: Origin)] = []
        for component in [PlatformFacts.Component.kubernetes, .openshift] {
            if let version = facts.versions[component] {
                declared.append(("platform.versions.\(component.rawValue)", version.value, version.origin))
            }
        }
        declared.append(
            (
                "platform.tekton.setSecurityContext", facts.tektonSetSecurityContext.value.map { String($0) },
                facts.tektonSetSecurityContext.origin
            ))
        declared.append(("platform.tekton.coschedule", facts.tektonCoschedule.value, facts.tektonCoschedule.origin))
        declared.append(
            (
                "platform.tekton.defaultTimeoutMinutes", facts.tektonDefaultTimeoutMinutes.value.map { String($0) },
                facts.tektonDefaultTimeoutMinutes.origin
            ))
        declared.append(
            (
                "platform.kserve.defaultDeploymentMode", facts.kserveDefaultDeploymentMode.value,
                facts.kserveDefaultDeploymentMode.origin
            ))
        let kserve = environment.kserve
        declared.append(
            ("platform.kserve.enableModelcar", kserve.enableModelcar.value.map { String($0) }, kserve.enableModelcar.origin))
        declared.append(
            (
                "kserve.uidModelcar",
                kserve.uidModelcar.origin.location == nil
                    ? nil : kserve.uidModelcar.value.map { String($0) } ?? KServeSettings.uidModelcarUnset,
                kserve.uidModelcar.origin
            ))
        declared.append(("platform.argocd.name", facts.argocdName.value, facts.argocdName.origin))
        declared.append(("platform.argocd.namespace", facts.argocdNamespace.value, facts.argocdNamespace.origin))
        declared.append(
            (
                "platform.argocd.operatorManaged", facts.argocdOperatorManaged.value.map { String($0) },
                facts.argocdOperatorManaged.origin
            ))
        var diagnostics: [Diagnostic] = []
        for (path, value, origin) in declared {
            // Only what an overlay declared: a built-in default is not a claim about the cluster.
            guard let location = origin.location, let value, let fact = self.value(at: path),
                let seen = Self.scalar(fact.value)
            else { continue }
            let matches =
                path.hasPrefix("platform.versions.")
                ? Self.version(value, covers: seen) : value == seen
            if matches { continue }
            diagnostics.append(
                Diagnostic(
                    .platformFactMismatch, .error, "platform fact \(path) is \(value) here, \(seen) on the cluster",
                    at: location,
                    help:
                        "read from \(fact.source); correct the overlay (or stack the output of `nbgitops platform --from-cluster`)"
                ))
        }
        diagnostics += storageClassDifferences(facts.storageClasses)
        diagnostics += nodePoolDifferences(environment.nodePools)
        return diagnostics
    }

    static let verifyHelp =
        "correct the overlay (or stack the output of `nbgitops platform --from-cluster`)"

    /// Declared `platform.storageClasses` against the cluster's StorageClasses: a class on one
    /// side only, and per class the binding mode, the default marker and (where the cluster's
    /// provisioner makes them known) the access modes. One NBG334 per difference.
    func storageClassDifferences(_ declared: Traced<[PlatformFacts.StorageClass]?>) -> [Diagnostic] {
        guard let classes = declared.value, let location = declared.origin.location,
            let fact = value(at: "platform.storageClasses"), let seen = fact.value.elements
        else { return [] }
        var result: [Diagnostic] = []
        func report(_ message: String) {
            result.append(
                Diagnostic(
                    .platformFactMismatch, .error, message, at: location,
                    help: "read from \(fact.source); " + Self.verifyHelp))
        }
        var cluster: [String: ManifestNode] = [:]
        for item in seen { if let name = item["name"]?.stringValue { cluster[name] = item } }
        for storageClass in classes {
            let path = "platform.storageClasses[\(storageClass.name)]"
            guard let item = cluster[storageClass.name] else {
                report("\(path) is declared here, but the cluster has no StorageClass \(storageClass.name)")
                continue
            }
            if let mode = storageClass.volumeBindingMode, let other = item["volumeBindingMode"]?.stringValue, mode != other {
                report("\(path).volumeBindingMode is \(mode) here, \(other) on the cluster")
            }
            if let flag = storageClass.isDefault, let other = item["default"]?.boolValue, flag != other {
                report("\(path).default is \(flag) here, \(other) on the cluster")
            }
            if let modes = storageClass.accessModes, let other = item["accessModes"]?.elements?.compactMap(\.stringValue),
                Set(modes) != Set(other)
            {
                report(
                    "\(path).accessModes are [\(modes.joined(separator: ", "))] here, [\(other.joined(separator: ", "))] "
                        + "on the cluster (its provisioner's)")
            }
        }
        let names = Set(classes.map(\.name))
        for name in cluster.keys.sorted() where !names.contains(name) {
            report("the cluster has StorageClass \(name), which platform.storageClasses does not declare")
        }
        return result
    }

    /// Declared `cluster.nodePools` against the cluster's nodes (grouped as `--from-cluster`
    /// groups them). A cluster group belongs to the declared pool whose labels it all carries,
    /// with the same taints (the pool with the most labels when several match). Differences: a
    /// pool no node matches, a node count, a node resource the pool declares beyond what its
    /// nodes offer (the schedulability rules would prove pods on capacity that is not there),
    /// and nodes in no declared pool. One NBG334 per difference.
    func nodePoolDifferences(_ declared: Traced<[NodePool]>) -> [Diagnostic] {
        guard !declared.value.isEmpty, let location = declared.origin.location,
            let fact = value(at: "cluster.nodePools"), let seen = fact.value.elements
        else { return [] }
        var result: [Diagnostic] = []
        func report(_ message: String) {
            result.append(
                Diagnostic(
                    .platformFactMismatch, .error, message, at: location,
                    help: "read from \(fact.source); " + Self.verifyHelp))
        }
        func taints(_ node: ManifestNode) -> Set<String> {
            Set(
                (node["taints"]?.elements ?? []).map {
                    "\($0["key"]?.stringValue ?? "")=\($0["value"]?.stringValue ?? ""):\($0["effect"]?.stringValue ?? "")"
                })
        }
        var members: [Int: [ManifestNode]] = [:]
        var unmatched: [String] = []
        for group in seen {
            var labels: [String: String] = [:]
            for entry in group["labels"]?.entries ?? [] { labels[entry.key] = entry.value.stringValue ?? "" }
            let groupTaints = taints(group)
            let candidates = declared.value.enumerated().filter { _, pool in
                pool.labels.allSatisfy { labels[$0.key] == $0.value }
                    && Set(pool.taints.map { "\($0.key)=\($0.value ?? ""):\($0.effect)" }) == groupTaints
            }
            guard let best = candidates.max(by: { $0.element.labels.count < $1.element.labels.count }) else {
                let count = group["count"]?.intValue ?? 0
                unmatched.append("\(group["name"]?.stringValue ?? "?") (\(count) node\(count == 1 ? "" : "s"))")
                continue
            }
            members[best.offset, default: []].append(group)
        }
        for (index, pool) in declared.value.enumerated() {
            let path = "cluster.nodePools[\(pool.name)]"
            guard let groups = members[index] else {
                report("\(path) matches no node on the cluster (none carries its labels with its taints)")
                continue
            }
            let count = groups.reduce(0) { NodePool.total($0, $1["count"]?.intValue ?? 0) }
            if count != pool.count {
                report("\(path).count is \(pool.count) here, \(count) matching node\(count == 1 ? "" : "s") on the cluster")
            }
            for resource in pool.allocatable.keys.sorted() {
                guard let text = pool.allocatable[resource], let wanted = Quantity.value(text) else { continue }
                let offered = groups.map { ($0["allocatable"]?[resource]?.stringValue).flatMap(Quantity.value) ?? 0 }
                guard let least = offered.min(), least < wanted else { continue }
                let smallest = offered.firstIndex(of: least).map { groups[$0] }
                let shown = smallest?["allocatable"]?[resource]?.stringValue ?? "none"
                report("\(path).allocatable.\(resource) is \(text) here, the cluster's matching nodes offer \(shown)")
            }
        }
        if !unmatched.isEmpty {
            report("nodes on the cluster belong to no declared pool: \(unmatched.joined(separator: ", "))")
        }
        return result
    }

    static func scalar(_ node: ManifestNode) -> String? {
        switch node {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .bool(let flag): return String(flag)
        default: return nil
        }
    }

    /// A declared version covers the cluster's when its components are a prefix of it (`"2"`
    /// covers `2.16`; `"1.31"` covers `1.31`).
    static func version(_ declared: String, covers seen: String) -> Bool {
        let mine = declared.split(separator: ".")
        let theirs = seen.split(separator: ".")
        return mine.count <= theirs.count && zip(mine, theirs).allSatisfy { $0 == $1 }
    }
}
