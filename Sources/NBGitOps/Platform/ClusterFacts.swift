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
        readNamespaces(&facts, object)
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
    /// rebuilds argocd-cm from it) or, without that CRD, a plain install's `argocd-cm`. Its
    /// resource exclusions: the resource's `spec.resourceExclusions` (YAML text the operator
    /// copies into argocd-cm: argoproj-labs/argocd-operator `controllers/argocd/configmap.go`
    /// `reconcileArgoConfigMap`), else argocd-cm's `resource.exclusions` (argoproj/argo-cd
    /// `util/settings/settings.go`); an argocd-cm without the key excludes nothing beyond Argo
    /// CD's built-in defaults, which cover no kind nbgitops emits.
    static func readArgoCD(_ facts: inout ClusterFacts, _ object: Getter) {
        if let list = object(["get", "argocds.argoproj.io", "--all-namespaces"], "ArgoCD resources (argocd-operator)"),
            let items = list["items"] as? [[String: Any]]
        {
            let instances = items.compactMap { item -> (namespace: String, name: String, item: [String: Any])? in
                guard let metadata = item["metadata"] as? [String: Any], let namespace = metadata["namespace"] as? String,
                    let name = metadata["name"] as? String
                else { return nil }
                return (namespace, name, item)
            }.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
            guard let first = instances.first else { return }
            if instances.count > 1 {
                facts.notes.append(
                    "\(instances.count) ArgoCD resources; platform.argocd describes \(first.namespace)/\(first.name), the first by namespace"
                )
            }
            let source = "ArgoCD \(first.namespace)/\(first.name)"
            facts.add("platform.argocd.name", .string(first.name), from: source + " metadata.name")
            facts.add("platform.argocd.namespace", .string(first.namespace), from: source)
            facts.add("platform.argocd.operatorManaged", .bool(true), from: source + " exists")
            let spec = first.item["spec"] as? [String: Any] ?? [:]
            if let text = spec["resourceExclusions"] as? String {
                if let exclusions = exclusions(text) {
                    facts.add("platform.argocd.resourceExclusions", exclusions, from: source + " spec.resourceExclusions")
                } else {
                    facts.notes.append("\(source) spec.resourceExclusions is not a YAML list; left unknown")
                }
                return
            }
            readExclusions(&facts, object, namespace: first.namespace)
            return
        }
        if object(["get", "configmap", "argocd-cm", "--namespace", "argocd"], "ConfigMap argocd/argocd-cm") != nil {
            facts.add("platform.argocd.namespace", .string("argocd"), from: "ConfigMap argocd/argocd-cm")
            facts.add("platform.argocd.operatorManaged", .bool(false), from: "ConfigMap argocd/argocd-cm, no ArgoCD resource")
            readExclusions(&facts, object, namespace: "argocd")
        }
    }

    /// argocd-cm `resource.exclusions` of the instance in `namespace`.
    static func readExclusions(_ facts: inout ClusterFacts, _ object: Getter, namespace: String) {
        guard
            let map = object(
                ["get", "configmap", "argocd-cm", "--namespace", namespace], "ConfigMap \(namespace)/argocd-cm (Argo CD)")
        else { return }
        let data = map["data"] as? [String: String] ?? [:]
        let source = "ConfigMap \(namespace)/argocd-cm"
        guard let text = data["resource.exclusions"] else {
            facts.add("platform.argocd.resourceExclusions", .list([]), from: source + " (no resource.exclusions)")
            return
        }
        if let exclusions = exclusions(text) {
            facts.add("platform.argocd.resourceExclusions", exclusions, from: source + " resource.exclusions")
        } else {
            facts.notes.append("\(source) resource.exclusions is not a YAML list; left unknown")
        }
    }

    /// Argo CD's exclusion list (YAML text: `[{apiGroups, kinds, clusters}]`) as overlay facts;
    /// nil when the text is not such a list.
    static func exclusions(_ text: String) -> ManifestNode? {
        let quiet = DiagnosticCollector()
        let documents = YAMLLoader.load(bytes: Array(text.utf8), file: "resource.exclusions", diagnostics: quiet)
        guard let root = documents.first?.root else { return documents.isEmpty && !quiet.hasErrors ? .list([]) : nil }
        guard let items = root.items else { return nil }
        var result: [ManifestNode] = []
        for item in items {
            func strings(_ key: String) -> [ManifestNode]? {
                guard let node = item[key] else { return [] }
                guard let values = node.items else { return nil }
                let texts = values.compactMap { $0.scalar?.value }
                return texts.count == values.count ? texts.map { .string($0) } : nil
            }
            guard item.pairs != nil, let groups = strings("apiGroups"), let kinds = strings("kinds"),
                let clusters = strings("clusters")
            else { return nil }
            result.append(.object([("apiGroups", .list(groups)), ("kinds", .list(kinds)), ("clusters", .list(clusters))]))
        }
        return .list(result)
    }

    /// The access modes a provisioner's volumes offer, for the CSI drivers whose capabilities
    /// are published (each driver's documented `accessModes`); no Kubernetes object states them,
    /// so any other provisioner's are left unknown.
    static let knownAccessModes: [(provisioner: String, modes: [String])] = [
        // kubernetes-sigs/aws-ebs-csi-driver: block devices, one node (SINGLE_NODE_WRITER and
        // SINGLE_NODE_SINGLE_WRITER); the same for GCE PD and Azure Disk.
        ("ebs.csi.aws.com", ["ReadWriteOnce", "ReadWriteOncePod"]),
        ("pd.csi.storage.gke.io", ["ReadWriteOnce", "ReadWriteOncePod", "ReadOnlyMany"]),
        ("disk.csi.azure.com", ["ReadWriteOnce", "ReadWriteOncePod"]),
        // File systems shared between nodes.
        ("efs.csi.aws.com", ["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany"]),
        ("file.csi.azure.com", ["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany"]),
        ("openshift-storage.cephfs.csi.ceph.com", ["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany"]),
        ("cephfs.csi.ceph.com", ["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany"]),
        // Ceph RBD file systems: one node (RWX only for raw block volumes, which nbgitops never asks).
        ("openshift-storage.rbd.csi.ceph.com", ["ReadWriteOnce", "ReadWriteOncePod"]),
        ("rbd.csi.ceph.com", ["ReadWriteOnce", "ReadWriteOncePod"]),
        // rancher/local-path-provisioner: a host path on one node.
        ("rancher.io/local-path", ["ReadWriteOnce"]),
    ]

    /// StorageClasses: name, binding mode, default marker; `zonal` only when `allowedTopologies`
    /// pins zones; access modes from the provisioner where it is one of `knownAccessModes`.
    static func readStorageClasses(_ facts: inout ClusterFacts, _ object: Getter) {
        guard let list = object(["get", "storageclasses"], "StorageClasses"), let items = list["items"] as? [[String: Any]]
        else { return }
        var classes: [ManifestNode] = []
        var unknownModes: [String] = []
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
            let provisioner = item["provisioner"] as? String ?? ""
            let modes = knownAccessModes.first { $0.provisioner == provisioner }?.modes
            if modes == nil {
                unknownModes.append("\(name) (\(provisioner.isEmpty ? "no provisioner" : provisioner))")
            }
            classes.append(
                .object([
                    ("name", .string(name)),
                    ("accessModes", modes.map { .list($0.map { .string($0) }) }),
                    ("volumeBindingMode", (item["volumeBindingMode"] as? String).map { .string($0) }),
                    ("zonal", zonal ? .bool(true) : nil),
                    ("default", .bool(isDefault)),
                ]))
        }
        classes.sort { ($0["name"]?.stringValue ?? "") < ($1["name"]?.stringValue ?? "") }
        facts.add(
            "platform.storageClasses", .list(classes),
            from: "StorageClasses (kubectl get storageclasses); accessModes from the provisioner")
        if !unknownModes.isEmpty {
            facts.notes.append(
                "access modes of \(unknownModes.sorted().joined(separator: ", ")): provisioner not known; left unknown")
        }
    }

    /// Namespaces' Pod Security `enforce` labels (`pod-security.kubernetes.io/enforce`), for
    /// the namespaces that set one: `platform.podSecurity.namespaces`.
    static func readNamespaces(_ facts: inout ClusterFacts, _ object: Getter) {
        guard let list = object(["get", "namespaces"], "Namespaces"), let items = list["items"] as? [[String: Any]]
        else { return }
        var levels: [String: String] = [:]
        for item in items {
            guard let metadata = item["metadata"] as? [String: Any], let name = metadata["name"] as? String,
                let labels = metadata["labels"] as? [String: String],
                let level = labels["pod-security.kubernetes.io/enforce"],
                ["privileged", "baseline", "restricted"].contains(level)
            else { continue }
            levels[name] = level
        }
        guard !levels.isEmpty else { return }
        facts.add(
            "platform.podSecurity.namespaces", .strings(levels),
            from: "Namespaces (kubectl get namespaces), label pod-security.kubernetes.io/enforce")
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
    }
}

extension KubectlReader {
    /// Runs `kubectl [--context CTX] ARGUMENTS` (read-only `get`/`version` calls only).
    public func platformFacts() -> ClusterFacts {
        ClusterFactReader.read { arguments in try get((context.map { ["--context", $0] } ?? []) + arguments) }
    }
}
