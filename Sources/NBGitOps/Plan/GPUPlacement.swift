/// Where a validation pod may run, given whether it asks for the environment's GPU resource.
///
/// Pods that request the GPU (`environment.gpu.resourceName` in `resources.limits` or
/// `resources.requests`) tolerate exactly the GPU nodes' taints and carry their node labels;
/// pods that do not get nothing GPU-related from nbgitops, so they never land on (and block)
/// a GPU node. Without the tolerations a GPU pod stays Pending forever ("had untolerated taint
/// {nvidia.com/gpu: true}").
///
/// Extended resources cannot be overcommitted: Kubernetes rejects a pod whose GPU request has
/// no equal limit. A GPU given only under `requests` is therefore copied to `limits` here; a
/// limit that differs from the request is left for the Check stage to report.
struct GPUPlacement {
    /// Who put an entry into the pod's placement, recorded as it is added (for `explain`).
    enum Source: Sendable, Equatable {
        /// The spec's own entry (`spec.podConfig.tolerations[index]`, or a nodeSelector key).
        case spec(index: Int)
        /// Added for the environment's GPU nodes (`gpu.taints[index]`, or a `gpu.nodeSelector` key).
        case gpu(index: Int)
    }

    var requestsGPU: Bool
    /// The container's `resources`, with a requests-only GPU copied to limits.
    var resources: ManifestNode?
    /// The user's selector merged with the GPU nodes' labels (user keys win).
    var nodeSelector: [String: String]
    /// The user's tolerations, then one per GPU taint the user does not already tolerate.
    var tolerations: [ManifestNode]
    /// Parallel to `tolerations`: where each came from.
    var tolerationSources: [Source]
    /// For each key of `nodeSelector`: the spec's or the GPU nodes'.
    var nodeSelectorSources: [String: Source]

    init(podConfig: PodConfig, gpu: GPUSettings) {
        self.init(
            resources: podConfig.resources, nodeSelector: podConfig.nodeSelector, tolerations: podConfig.tolerations,
            gpu: gpu)
    }

    /// The placement of any pod nbgitops builds (a validation pod, a KServe predictor) from its
    /// container's resources and its own selector and tolerations.
    init(
        resources containerResources: ManifestNode?, nodeSelector ownSelector: [String: String],
        tolerations ownTolerations: [ManifestNode], gpu: GPUSettings
    ) {
        let podConfig = (resources: containerResources, nodeSelector: ownSelector, tolerations: ownTolerations)
        let resourceName = gpu.resourceName.value
        var resources = podConfig.resources
        let limit = resources?["limits"]?[resourceName]
        let request = resources?["requests"]?[resourceName]
        requestsGPU = !resourceName.isEmpty && (limit != nil || request != nil)

        nodeSelector = podConfig.nodeSelector
        tolerations = podConfig.tolerations
        tolerationSources = podConfig.tolerations.indices.map { Source.spec(index: $0) }
        nodeSelectorSources = [:]
        for key in podConfig.nodeSelector.keys { nodeSelectorSources[key] = .spec(index: 0) }
        guard requestsGPU else {
            self.resources = resources
            return
        }
        if limit == nil, let request, resources != nil {
            var limits = resources?["limits"] ?? .map([])
            limits[resourceName] = request
            resources?["limits"] = limits
        }
        self.resources = resources
        for (key, value) in gpu.nodeSelector.value where nodeSelector[key] == nil {
            nodeSelector[key] = value
            nodeSelectorSources[key] = .gpu(index: 0)
        }
        for (index, taint) in gpu.taints.value.enumerated()
        where !tolerations.contains(where: { Self.tolerates($0, taint) }) {
            tolerations.append(Self.toleration(for: taint))
            tolerationSources.append(.gpu(index: index))
        }
    }

    /// The toleration nbgitops adds for a GPU node taint.
    static func toleration(for taint: Taint) -> ManifestNode {
        if let value = taint.value {
            return [
                "key": .string(taint.key), "operator": "Equal", "value": .string(value),
                "effect": .string(taint.effect),
            ]
        }
        return ["key": .string(taint.key), "operator": "Exists", "effect": .string(taint.effect)]
    }

    /// Kubernetes' `Toleration.ToleratesTaint`: an empty effect matches every effect, an empty
    /// key with `Exists` matches every key, `Equal` (the default) compares values.
    static func tolerates(_ toleration: ManifestNode, _ taint: Taint) -> Bool {
        let effect = toleration["effect"]?.stringValue ?? ""
        if !effect.isEmpty && effect != taint.effect { return false }
        let key = toleration["key"]?.stringValue ?? ""
        let op = toleration["operator"]?.stringValue ?? "Equal"
        if key.isEmpty { return op == "Exists" }
        if key != taint.key { return false }
        switch op {
        case "Exists": return true
        case "Equal", "": return (toleration["value"]?.stringValue ?? "") == (taint.value ?? "")
        default: return false
        }
    }
}
