/// Where a zonal model claim is bound, so the GPU predictor that serves it can reach it.
///
/// A ReadWriteOnce model claim of a `WaitForFirstConsumer` class (EBS `gp3-csi`, most cloud
/// block storage) gets its volume in the zone of its first consumer: the PipelineRun that
/// downloads the model (with Tekton's default `coschedule: workspaces`, its affinity assistant).
/// Those run on CPU nodes; the predictor then needs a GPU node in that same zone, or stays
/// Pending with "volume node affinity conflict". When the environment declares the zones of
/// its node pools (`cluster.nodePools[].zone`) and every pool the predictor fits lies in one
/// zone, the PipelineRun's pods are pinned there: `taskRunTemplate.podTemplate.nodeSelector`
/// `topology.kubernetes.io/zone`, which Tekton passes to the TaskRun pods and to the affinity
/// assistant (tektoncd/pipeline `pkg/apis/pipeline/pod/affinity_assistant_template.go`:
/// `AffinityAssistantTemplate` carries `NodeSelector` and `Tolerations`, not `Affinity`). When
/// the predictor fits pools in several zones, or no pool the pipeline fits is in that zone,
/// nothing is pinned and `StorageRules.modelClaimZone` (NBG204) warns.
enum ModelClaimZones {
    static let zoneLabel = "topology.kubernetes.io/zone"

    /// The pools a pod with this node selector and these tolerations may run on.
    static func pools(
        _ pools: [NodePool], nodeSelector: [String: String], tolerations: [ManifestNode]
    ) -> [NodePool] {
        pools.filter { pool in
            nodeSelector.allSatisfy { pool.labels[$0.key] == $0.value }
                && pool.taints.allSatisfy { taint in
                    taint.effect == "PreferNoSchedule" || tolerations.contains { GPUPlacement.tolerates($0, taint) }
                }
        }
    }

    static func selector(_ node: ManifestNode?) -> [String: String] {
        guard case .map(let entries) = node else { return [:] }
        var result: [String: String] = [:]
        for entry in entries { if let value = entry.value.stringValue { result[entry.key] = value } }
        return result
    }

    /// A model PipelineRun writing a claim an InferenceService serves, with the zones involved.
    struct Finding {
        var pipelineRun: PlannedObject
        var claim: String
        var service: PlannedObject
        /// Zones of the pools the predictor fits, and of those the pipeline's pods fit.
        var servingZones: Set<String>
        var pipelineZones: Set<String>
    }

    /// The PipelineRuns in `objects` whose written claim (single-node access) is served by an
    /// InferenceService in `objects + serving`, when every node pool declares its zone.
    static func findings(
        _ objects: [PlannedObject], serving: [PlannedObject], environment: Environment
    ) -> [Finding] {
        let pools = environment.nodePools.value
        guard !pools.isEmpty, pools.allSatisfy({ $0.labels[zoneLabel] != nil }) else { return [] }
        let all = objects + serving
        var result: [Finding] = []
        for run in objects where run.kind == "PipelineRun" {
            let workspaces = run.manifest.value(at: "spec.workspaces")?.elements ?? []
            let claims = workspaces.compactMap { $0.value(at: "persistentVolumeClaim.claimName")?.stringValue }
            for claim in claims {
                guard singleNode(claim, namespace: run.namespace, objects: all, environment: environment) else { continue }
                for service in all where service.kind == "InferenceService" && service.namespace == run.namespace {
                    guard ClaimPlacement.claims(mountedBy: service).contains(claim) else { continue }
                    let predictor = service.manifest.value(at: "spec.predictor")
                    let servingPools = Self.pools(
                        pools, nodeSelector: selector(predictor?["nodeSelector"]),
                        tolerations: predictor?["tolerations"]?.elements ?? [])
                    let template = run.manifest.value(at: "spec.taskRunTemplate.podTemplate")
                    let pipelinePools = Self.pools(
                        pools, nodeSelector: selector(template?["nodeSelector"]),
                        tolerations: template?["tolerations"]?.elements ?? [])
                    result.append(
                        Finding(
                            pipelineRun: run, claim: claim, service: service,
                            servingZones: Set(servingPools.compactMap { $0.labels[zoneLabel] }),
                            pipelineZones: Set(pipelinePools.compactMap { $0.labels[zoneLabel] })))
                }
            }
        }
        return result
    }

    /// Whether one node attaches the claim (ReadWriteOnce, ReadWriteOncePod): such volumes are
    /// zonal on the block storage that offers them.
    static func singleNode(_ claim: String, namespace: String?, objects: [PlannedObject], environment: Environment)
        -> Bool
    {
        let pvc = objects.first { $0.kind == "PersistentVolumeClaim" && $0.name == claim && $0.namespace == namespace }
        let modes =
            pvc?.manifest.value(at: "spec.accessModes")?.elements?.compactMap(\.stringValue)
            ?? [environment.storage.accessMode.value.rawValue]
        return !modes.contains(AccessMode.readWriteMany.rawValue) && !modes.contains(AccessMode.readOnlyMany.rawValue)
    }

    /// `objects` with each model PipelineRun pinned to its predictor's zone where that zone is
    /// one and some pool the pipeline fits lies in it.
    static func pinned(_ objects: [PlannedObject], serving: [PlannedObject], environment: Environment)
        -> [PlannedObject]
    {
        var zones: [String: String] = [:]
        var conflicting: Set<String> = []
        for finding in findings(objects, serving: serving, environment: environment)
        where !finding.pipelineZones.isSubset(of: finding.servingZones) {
            let key = "\(finding.pipelineRun.namespace ?? "")/\(finding.pipelineRun.name)"
            guard finding.servingZones.count == 1, let zone = finding.servingZones.first,
                finding.pipelineZones.contains(zone)
            else {
                conflicting.insert(key)
                continue
            }
            if let other = zones[key], other != zone { conflicting.insert(key) }
            zones[key] = zone
        }
        return objects.map { object in
            let key = "\(object.namespace ?? "")/\(object.name)"
            guard object.kind == "PipelineRun", !conflicting.contains(key), let zone = zones[key] else { return object }
            var object = object
            var spec = object.manifest["spec"] ?? .map([])
            var template = spec["taskRunTemplate"] ?? .map([])
            var podTemplate = template["podTemplate"] ?? .map([])
            var selector = podTemplate["nodeSelector"] ?? .map([])
            selector[zoneLabel] = .string(zone)
            podTemplate["nodeSelector"] = selector
            template["podTemplate"] = podTemplate
            spec["taskRunTemplate"] = template
            object.manifest["spec"] = spec
            let origin = FieldOrigin(
                .builtinDefault(
                    "the served claim's volume is created in the zone of its first consumer (this PipelineRun); "
                        + "every node pool its predictor fits is in \(zone)"),
                field: "cluster.nodePools[].zone")
            object.deriveProvenance { base in
                var origins = base
                origins["spec.taskRunTemplate.podTemplate.nodeSelector[\(zoneLabel)]"] = origin
                return origins
            }
            return object
        }
    }
}
