import Foundation

/// Platform facts read from a live cluster with read-only `kubectl get -o json` calls
/// (`nbgitops platform --from-cluster` / `--verify`). A fact that cannot be read (no
/// permission, a CRD or ConfigMap that is not installed) is left out, unknown, with a note:
/// never guessed.
public struct ClusterFacts: Sendable {
    /// One fact: its overlay path (`platform.versions.kubernetes`), its value and the object it
    /// was read from (`ClusterVersion/version status.desired.version`).
    public struct Fact: Sendable, Hashable {
        public var path: String
        public var value: ManifestNode
        public var source: String
    }

    public var facts: [Fact] = []
    /// What could not be read, one line each (printed on standard error).
    public var notes: [String] = []

    public init() {}

    public func value(at path: String) -> Fact? { facts.first { $0.path == path } }

    mutating func add(_ path: String, _ value: ManifestNode, from source: String) {
        facts.append(Fact(path: path, value: value, source: source))
    }
}

/// Reads `ClusterFacts` through kubectl (`KubectlReader.get`, the same client `results` uses).
public enum ClusterFactReader {
    /// `get`: runs kubectl with these arguments (context already applied) and returns its output.
    public static func read(_ get: ([String]) throws -> Data) -> ClusterFacts {
        var facts = ClusterFacts()
        // Notes of failed reads are kept apart: `facts` is borrowed (inout) while this runs.
        var failures: [String] = []
        func object(_ arguments: [String], _ what: String) -> [String: Any]? {
            do {
                let data = try get(arguments + ["--output", "json"])
                guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    failures.append("\(what): kubectl did not return a JSON object; left unknown")
                    return nil
                }
                return json
            } catch {
                failures.append("\(what): cannot be read (\(error)); left unknown")
                return nil
            }
        }
        readVersions(&facts, object)
        readTekton(&facts, object)
        readKServe(&facts, object)
        readArgoCD(&facts, object)
        readStorageClasses(&facts, object)
        readNodes(&facts, object)
        facts.notes = failures + facts.notes
        return facts
    }

    typealias Getter = ([String], String) -> [String: Any]?

    /// `MAJOR.MINOR` of a version string (`v1.31.4+k3s1`, `4.18.12` → `1.31`, `4.18`).
    static func majorMinor(_ text: String) -> String? {
        let digits = text.drop { $0 == "v" }
        let parts = digits.split(separator: ".", maxSplits: 2).map { String($0.prefix { $0.isNumber }) }
        guard parts.count >= 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return parts[0] + "." + parts[1]
    }

    static func readVersions(_ facts: inout ClusterFacts, _ object: Getter) {
        if let version = object(["version"], "kubectl version (server version)"),
            let server = version["serverVersion"] as? [String: Any],
            let git = server["gitVersion"] as? String, let value = majorMinor(git)
        {
            facts.add("platform.versions.kubernetes", .string(value), from: "kubectl version: serverVersion.gitVersion")
        }
        // OpenShift only: the ClusterVersion named `version` (config.openshift.io/v1).
        if let cluster = object(["get", "clusterversion", "version"], "ClusterVersion/version (OpenShift)"),
            let status = cluster["status"] as? [String: Any], let desired = status["desired"] as? [String: Any],
            let text = desired["version"] as? String, let value = majorMinor(text)
        {
            facts.add("platform.name", .string("openshift"), from: "ClusterVersion/version exists")
            facts.add("platform.versions.openshift", .string(value), from: "ClusterVersion/version status.desired.version")
        } else if facts.value(at: "platform.versions.kubernetes") != nil {
            facts.add("platform.name", .string("kubernetes"), from: "no ClusterVersion/version")
        }
    }

    /// Tekton's ConfigMaps, in `tekton-pipelines` (upstream) or `openshift-pipelines` (OpenShift
    /// Pipelines): tektoncd/pipeline `config/config-feature-flags.yaml`, `config/config-defaults.yaml`.
    static func readTekton(_ facts: inout ClusterFacts, _ object: Getter) {
        for namespace in ["tekton-pipelines", "openshift-pipelines"] {
            guard
                let flags = object(
                    ["get", "configmap", "feature-flags", "--namespace", namespace],
                    "ConfigMap \(namespace)/feature-flags (Tekton)")
            else { continue }
            let data = flags["data"] as? [String: String] ?? [:]
            let source = "ConfigMap \(namespace)/feature-flags"
            if let value = data["set-security-context"], let flag = Bool(value) {
                facts.add("platform.tekton.setSecurityContext", .bool(flag), from: source + " set-security-context")
            }
            if let value = data["coschedule"] {
                facts.add("platform.tekton.coschedule", .string(value), from: source + " coschedule")
            }
            if let defaults = object(
                ["get", "configmap", "config-defaults", "--namespace", namespace],
                "ConfigMap \(namespace)/config-defaults (Tekton)"),
                let data = defaults["data"] as? [String: String], let text = data["default-timeout-minutes"],
                let minutes = Int(text)
            {
                facts.add(
                    "platform.tekton.defaultTimeoutMinutes", .int(minutes),
                    from: "ConfigMap \(namespace)/config-defaults default-timeout-minutes")
            }
            return
        }
    }

    /// KServe's `inferenceservice-config` (kserve/kserve `config/configmap/inferenceservice.yaml`;
    /// OpenShift AI keeps it in `redhat-ods-applications`): `deploy` and `storageInitializer` are
    /// JSON documents inside the ConfigMap's data.
    static func readKServe(_ facts: inout ClusterFacts, _ object: Getter) {
        for namespace in ["kserve", "redhat-ods-applications", "opendatahub"] {
            guard
                let map = object(
                    ["get", "configmap", "inferenceservice-config", "--namespace", namespace],
                    "ConfigMap \(namespace)/inferenceservice-config (KServe)"),
                let data = map["data"] as? [String: String]
            else { continue }
            let source = "ConfigMap \(namespace)/inferenceservice-config"
            func json(_ key: String) -> [String: Any]? {
                guard let text = data[key], let bytes = text.data(using: .utf8) else { return nil }
                return (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any]
            }
            if let deploy = json("deploy"), let mode = deploy["defaultDeploymentMode"] as? String {
                facts.add("platform.kserve.defaultDeploymentMode", .string(mode), from: source + " deploy.defaultDeploymentMode")
            }
            if let initializer = json("storageInitializer") {
                if let enable = initializer["enableModelcar"] as? Bool {
                    facts.add(
                        "platform.kserve.enableModelcar", .bool(enable), from: source + " storageInitializer.enableModelcar")
                }
                // Absent: the modelcar containers get no runAsUser (the unset value of the fact).
                if let uid = initializer["uidModelcar"] as? Int {
                    facts.add("kserve.uidModelcar", .int(uid), from: source + " storageInitializer.uidModelcar")
                } else {
                    facts.add(
                        "kserve.uidModelcar", .string(KServeSettings.uidModelcarUnset),
                        from: source + " storageInitializer (no uidModelcar)")
                }
            }
            return
        }
    }

    /// The Argo CD instance: an `ArgoCD` resource (argocd-operator / OpenShift GitOps, which
    /// rebuilds argocd-cm from it) or, without that CRD, a plain install's `argocd-cm`.
    static func readArgoCD(_ facts: inout ClusterFacts, _ object: Getter) {
        if let list = object(["get", "argocds.argoproj.io", "--all-namespaces"], "ArgoCD resources (argocd-operator)"),
            let items = list["items"] as? [[String: Any]]
        {
            let names = items.compactMap { item -> (String, String)? in
                guard let metadata = item["metadata"] as? [String: Any], let namespace = metadata["namespace"] as? String,
                    let name = metadata["name"] as? String
                else { return nil }
                return (namespace, name)
            }.sorted { $0 < $1 }
            guard let first = names.first else { return }
            if names.count > 1 {
                facts.notes.append(
                    "\(names.count) ArgoCD resources; platform.argocd describes \(first.0)/\(first.1), the first by namespace")
            }
            facts.add("platform.argocd.namespace", .string(first.0), from: "ArgoCD \(first.0)/\(first.1)")
            facts.add("platform.argocd.operatorManaged", .bool(true), from: "ArgoCD \(first.0)/\(first.1) exists")
            // Platform fact: resourceExclusions stay unknown here (the operator merges its own
            // defaults with spec.resourceExclusions); declare them with a profile overlay.
            facts.notes.append("platform.argocd.resourceExclusions: not read from the ArgoCD resource; left unknown")
            return
        }
        if object(["get", "configmap", "argocd-cm", "--namespace", "argocd"], "ConfigMap argocd/argocd-cm") != nil {
            facts.add("platform.argocd.namespace", .string("argocd"), from: "ConfigMap argocd/argocd-cm")
            facts.add("platform.argocd.operatorManaged", .bool(false), from: "ConfigMap argocd/argocd-cm, no ArgoCD resource")
        }
    }

    /// StorageClasses: name, binding mode, default marker; `zonal` only when `allowedTopologies`
    /// pins zones. Access modes depend on the driver's capabilities, which no object states:
    /// left unknown.
    static func readStorageClasses(_ facts: inout ClusterFacts, _ object: Getter) {
        guard let list = object(["get", "storageclasses"], "StorageClasses"), let items = list["items"] as? [[String: Any]]
        else { return }
        var classes: [ManifestNode] = []
        for item in items {
            guard let metadata = item["metadata"] as? [String: Any], let name = metadata["name"] as? String else { continue }
            let annotations = metadata["annotations"] as? [String: String] ?? [:]
            let isDefault = annotations["storageclass.kubernetes.io/is-default-class"] == "true"
            let topologies = item["allowedTopologies"] as? [[String: Any]] ?? []
            let zonal = topologies.contains { topology in
                let terms = topology["matchLabelExpressions"] as? [[String: Any]] ?? []
                return terms.contains {
                    ["topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"].contains(
                        $0["key"] as? String ?? "")
                }
            }
            classes.append(
                .object([
                    ("name", .string(name)),
                    ("volumeBindingMode", (item["volumeBindingMode"] as? String).map { .string($0) }),
                    ("zonal", zonal ? .bool(true) : nil),
                    ("default", .bool(isDefault)),
                ]))
        }
        classes.sort { ($0["name"]?.stringValue ?? "") < ($1["name"]?.stringValue ?? "") }
        facts.add("platform.storageClasses", .list(classes), from: "StorageClasses (kubectl get storageclasses)")
    }

    /// Nodes grouped into `cluster.nodePools`: one pool per set of labels (host names left out)
    /// and taints, named after its instance type and zone; its allocatable is its first node's.
    static func readNodes(_ facts: inout ClusterFacts, _ object: Getter) {
        guard let list = object(["get", "nodes"], "Nodes"), let items = list["items"] as? [[String: Any]] else { return }
        struct Pool {
            var key: String
            var name: String
            var count = 0
            var labels: [String: String]
            var taints: [[String: String]]
            var allocatable: [String: String]
        }
        var pools: [String: Pool] = [:]
        for item in items {
            guard let metadata = item["metadata"] as? [String: Any] else { continue }
            var labels = metadata["labels"] as? [String: String] ?? [:]
            for volatile in ["kubernetes.io/hostname", "node.kubernetes.io/exclude-from-external-load-balancers"] {
                labels[volatile] = nil
            }
            let spec = item["spec"] as? [String: Any] ?? [:]
            let taints = (spec["taints"] as? [[String: Any]] ?? []).compactMap { taint -> [String: String]? in
                guard let key = taint["key"] as? String, let effect = taint["effect"] as? String else { return nil }
                var result = ["key": key, "effect": effect]
                if let value = taint["value"] as? String { result["value"] = value }
                return result
            }.sorted { ($0["key"] ?? "") < ($1["key"] ?? "") }
            let status = item["status"] as? [String: Any] ?? [:]
            let allocatable = status["allocatable"] as? [String: String] ?? [:]
            let type = labels["node.kubernetes.io/instance-type"] ?? "pool"
            let zone = labels["topology.kubernetes.io/zone"]
            let taintKey = taints.map { "\($0["key"] ?? "")=\($0["value"] ?? ""):\($0["effect"] ?? "")" }
            let labelKey = labels.keys.sorted().map { "\($0)=\(labels[$0] ?? "")" }
            let key = ([type, zone ?? ""] + taintKey + labelKey).joined(separator: "|")
            var pool =
                pools[key]
                ?? Pool(
                    key: key, name: [type, zone].compactMap { $0 }.joined(separator: "-"), labels: labels,
                    taints: taints, allocatable: allocatable)
            pool.count += 1
            pool.labels = pool.labels.filter { labels[$0.key] == $0.value }
            pools[key] = pool
        }
        // A pool name is a DNS label (NBG105): `g5.2xlarge-us-east-1a` → `g5-2xlarge-us-east-1a`.
        func label(_ text: String) -> String {
            let mapped = String(text.lowercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "-" })
            let trimmed = mapped.prefix(60).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
            return trimmed.isEmpty ? "pool" : trimmed
        }
        var nodePools: [ManifestNode] = []
        var used: [String: Int] = [:]
        for pool in pools.values.sorted(by: { $0.key < $1.key }) {
            // Two pools of the same type and zone (other taints) get distinct names.
            let base = label(pool.name)
            used[base, default: 0] += 1
            let name = (used[base] ?? 1) > 1 ? "\(base)-\(used[base] ?? 1)" : base
            nodePools.append(
                .object([
                    ("name", .string(name)),
                    ("count", .int(pool.count)),
                    ("labels", pool.labels.isEmpty ? nil : .strings(pool.labels)),
                    ("taints", pool.taints.isEmpty ? nil : .list(pool.taints.map { .strings($0) })),
                    ("allocatable", pool.allocatable.isEmpty ? nil : .strings(pool.allocatable)),
                ]))
        }
        if !nodePools.isEmpty {
            facts.add(
                "cluster.nodePools", .list(nodePools),
                from: "Nodes (kubectl get nodes), grouped by labels and taints")
        }
        facts.notes.append("Namespaces' Pod Security labels: not an overlay fact; not written")
    }
}

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
        return diagnostics
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

extension KubectlReader {
    /// Runs `kubectl [--context CTX] ARGUMENTS` (read-only `get`/`version` calls only).
    public func platformFacts() -> ClusterFacts {
        ClusterFactReader.read { arguments in try get((context.map { ["--context", $0] } ?? []) + arguments) }
    }
}
