/// Static scheduling of one pod against the node pools an overlay declares
/// (`cluster.nodePools`), as kube-scheduler's filter plugins decide it for a node of each pool,
/// in their default order, stopping at a node's first failing filter:
///
/// - **TaintToleration**: every `NoSchedule` / `NoExecute` taint of the node must be tolerated
///   (`PreferNoSchedule` never filters), a toleration matching by `ToleratesTaint` — empty
///   effect matches every effect, empty key with `Exists` every key, `Exists` any value, `Equal`
///   (the default) the same value (k8s.io/component-helpers `scheduling/corev1/helpers.go`
///   `FindMatchingUntoleratedTaint`; `GPUPlacement.tolerates`).
/// - **NodeAffinity**: every `nodeSelector` label equal, and one of the required node-affinity
///   terms (ORed) whose `matchExpressions` all hold (ANDed; an empty term matches nothing):
///   `In`, `NotIn` (also when the label is absent), `Exists`, `DoesNotExist`, `Gt`/`Lt` (both
///   integers) (component-helpers `scheduling/corev1/nodeaffinity/nodeaffinity.go`,
///   `RequiredNodeAffinity.Match`). `matchFields` (a node's name) cannot be known for a pool and
///   is not evaluated.
/// - **NodeResourcesFit**: the pod's requests — the sum over its containers (a request missing
///   where a limit is set defaults to the limit), at least the largest init container's — within
///   one node's allocatable, for each resource the pool declares (an undeclared resource is
///   unknown and not checked).
/// - The **affinity assistant** (Tekton): a task bound to the assistant runs only on the node
///   the assistant's pod went to; a pool the assistant cannot use fails with "didn't match pod
///   affinity rules".
struct PodPlacement {
    var nodeSelector: [String: String]
    var requiredTerms: [ManifestNode]?
    var tolerations: [ManifestNode]
    /// Resource → amount (cores, bytes, devices).
    var requests: [String: Double]

    init(podSpec: ManifestNode, containers: [ManifestNode], initContainers: [ManifestNode] = []) {
        var selector: [String: String] = [:]
        for entry in podSpec["nodeSelector"]?.entries ?? [] { selector[entry.key] = entry.value.stringValue ?? "" }
        nodeSelector = selector
        requiredTerms =
            podSpec.value(at: "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution")?[
                "nodeSelectorTerms"]?.elements
        tolerations = podSpec["tolerations"]?.elements ?? []
        func requests(of container: ManifestNode) -> [String: Double] {
            var result: [String: Double] = [:]
            let resources = container["resources"] ?? container["computeResources"]
            for section in ["limits", "requests"] {
                for entry in resources?[section]?.entries ?? [] {
                    if let amount = Quantity.value(entry.value) { result[entry.key] = amount }
                }
            }
            return result
        }
        var total: [String: Double] = [:]
        for container in containers {
            for (resource, amount) in requests(of: container) { total[resource, default: 0] += amount }
        }
        for container in initContainers {
            for (resource, amount) in requests(of: container) { total[resource] = max(total[resource] ?? 0, amount) }
        }
        self.requests = total
    }
}

enum NodePoolFit {
    /// Why a node of a pool cannot take the pod, as kube-scheduler words it.
    enum Reason: Hashable {
        case untoleratedTaint(Taint)
        case nodeAffinity
        case insufficient(String)
        case podAffinity

        var text: String {
            switch self {
            case .untoleratedTaint(let taint): return "node(s) had untolerated taint {\(taint.key): \(taint.value ?? "")}"
            case .nodeAffinity: return "node(s) didn't match Pod's node affinity/selector"
            case .insufficient(let resource): return "Insufficient \(resource)"
            case .podAffinity: return "node(s) didn't match pod affinity rules"
            }
        }
    }

    /// The first failing filter for a node of `pool`, nil when the pod fits.
    static func reason(_ pod: PodPlacement, pool: NodePool) -> Reason? {
        for taint in pool.taints where taint.effect == "NoSchedule" || taint.effect == "NoExecute" {
            if !pod.tolerations.contains(where: { GPUPlacement.tolerates($0, taint) }) { return .untoleratedTaint(taint) }
        }
        if !matchesAffinity(pod, labels: pool.labels) { return .nodeAffinity }
        for resource in pod.requests.keys.sorted() {
            guard let amount = pod.requests[resource], amount > 0, let text = pool.allocatable[resource] else { continue }
            if amount > (Quantity.value(text) ?? 0) { return .insufficient(resource) }
        }
        return nil
    }

    static func matchesAffinity(_ pod: PodPlacement, labels: [String: String]) -> Bool {
        for (key, value) in pod.nodeSelector where labels[key] != value { return false }
        guard let terms = pod.requiredTerms else { return true }
        return terms.contains { term in
            let expressions = term["matchExpressions"]?.elements ?? []
            guard !expressions.isEmpty || term["matchFields"] != nil else { return false }
            return expressions.allSatisfy { matches($0, labels: labels) }
        }
    }

    static func matches(_ expression: ManifestNode, labels: [String: String]) -> Bool {
        guard let key = expression["key"]?.stringValue else { return false }
        let values = (expression["values"]?.elements ?? []).compactMap(\.stringValue)
        let label = labels[key]
        switch expression["operator"]?.stringValue ?? "" {
        case "In": return label.map(values.contains) ?? false
        case "NotIn": return label.map { !values.contains($0) } ?? true
        case "Exists": return label != nil
        case "DoesNotExist": return label == nil
        case "Gt", "Lt":
            guard let label, let have = Int64(label), values.count == 1, let want = Int64(values[0]) else { return false }
            return expression["operator"]?.stringValue == "Gt" ? have > want : have < want
        default: return false
        }
    }

    /// `0/7 nodes are available: 1 node(s) had untolerated taint {…}, 3 Insufficient cpu.` —
    /// each reason counted over the nodes it stops, the parts sorted as kube-scheduler's
    /// `FitError` sorts them.
    static func breakdown(_ reasons: [(pool: NodePool, reason: Reason)], nodes: Int) -> String {
        var counts: [String: Int] = [:]
        for (pool, reason) in reasons { counts[reason.text] = NodePool.total(counts[reason.text, default: 0], pool.count) }
        let parts = counts.map { "\($0.value) \($0.key)" }.sorted()
        return "0/\(nodes) nodes are available: \(parts.joined(separator: ", "))"
    }
}
