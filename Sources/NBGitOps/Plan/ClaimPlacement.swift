/// Where each PersistentVolumeClaim is applied, so that its health never blocks its own wave.
///
/// A claim of a `WaitForFirstConsumer` storage class (OpenShift's `gp3-csi`, the default
/// classes of most cloud CSI drivers) stays `Pending` until a pod uses it. Argo CD waits for
/// every resource of a sync wave to be Healthy before the next wave, and reads a Pending claim
/// as Progressing (gitops-engine `pkg/health/health_pvc.go`: `ClaimPending` →
/// `HealthStatusProgressing`; `pkg/sync/sync_context.go` `Sync()` keeps the operation running
/// "waiting for healthy state of" until then, with no default timeout). A claim in an earlier
/// wave than every pod that mounts it therefore waits forever, and the running operation
/// blocks every later auto-sync. Flux's kstatus likewise reads any claim that is not Bound as
/// InProgress (cli-utils `pkg/kstatus/status/core.go` `pvcConditions`), so a Kustomization
/// with `wait: true` waits for it.
///
/// By construction, then: each claim moves to the wave of its first consumer in the output
/// (a PipelineRun workspace, a Job's or predictor's volume, an InferenceService `pvc://`
/// storage URI), applied with the pods that bind it; under Flux a claim only serving objects
/// mount moves with them to the serving Kustomization. A claim nothing in the output mounts is
/// marked `nbgitops.dev/first-consumer: outside`, and the Argo CD health check
/// `templates/argocd/health-pvc.lua` reads such a claim as Healthy while Pending.
///
/// Newer Argo CD trees (gitops-engine merged into argo-cd as `gitops-engine/v3`) read a Pending
/// claim waiting for its first consumer as Healthy; the placement is safe on either behaviour.
// Platform fact: a declared Argo CD version whose built-in check reads WaitForFirstConsumer
// claims as Healthy would make the PVC health check unnecessary.
enum ClaimPlacement {
    /// The claims an object's pods mount, by name (in the object's namespace).
    static func claims(mountedBy object: PlannedObject) -> Set<String> {
        guard object.kind != "PersistentVolumeClaim" else { return [] }
        var names: Set<String> = []
        collect(object.manifest, into: &names)
        return names
    }

    private static func collect(_ node: ManifestNode, into names: inout Set<String>) {
        switch node {
        case .map(let entries):
            for entry in entries {
                if entry.key == "persistentVolumeClaim", let name = entry.value["claimName"]?.stringValue {
                    names.insert(name)
                }
                // KServe's storage URI `pvc://<claim>/<path>` mounts the claim into the predictor
                // (only there: the same text in a ConfigMap or an environment variable mounts nothing).
                if entry.key == "storageUri", let text = entry.value.stringValue, text.hasPrefix("pvc://") {
                    let name = text.dropFirst("pvc://".count).split(separator: "/", maxSplits: 1).first.map(String.init)
                    if let name, !name.isEmpty { names.insert(name) }
                }
                collect(entry.value, into: &names)
            }
        case .list(let items):
            for item in items { collect(item, into: &names) }
        default:
            break
        }
    }

    /// The first wave in which a pod mounts each claim, over `objects`.
    static func firstConsumerWaves(_ objects: [PlannedObject]) -> [NamespacedName: SyncWave] {
        var waves: [NamespacedName: SyncWave] = [:]
        for object in objects {
            for claim in claims(mountedBy: object) {
                let key = NamespacedName(namespace: object.namespace ?? "", name: claim)
                waves[key] = min(waves[key] ?? object.wave, object.wave)
            }
        }
        return waves
    }

    /// `objects` (applied from the manifests folder) with each claim in its first consumer's
    /// wave; claims only `serving` objects mount (Flux: applied by the serving Kustomization)
    /// are returned apart, to be applied with them.
    static func placed(_ objects: [PlannedObject], serving: [PlannedObject]) -> (
        objects: [PlannedObject], servingClaims: [PlannedObject]
    ) {
        let here = firstConsumerWaves(objects)
        let there = firstConsumerWaves(serving)
        var kept: [PlannedObject] = []
        var servingClaims: [PlannedObject] = []
        for object in objects {
            guard object.kind == "PersistentVolumeClaim" else {
                kept.append(object)
                continue
            }
            var claim = object
            let key = NamespacedName(namespace: object.namespace ?? "", name: object.name)
            if let wave = here[key] {
                claim.wave = max(claim.wave, wave)
                kept.append(claim)
            } else if let wave = there[key] {
                claim.wave = max(claim.wave, wave)
                servingClaims.append(claim)
            } else {
                // Platform fact: a storage class declared `Immediate` binds without a consumer and needs no mark.
                if claim.manifest.value(at: "metadata.annotations[\(AnnotationKey.firstConsumer)]") == nil {
                    claim.manifest = PlanMetadata.setting(
                        "annotations", AnnotationKey.firstConsumer, to: firstConsumerOutside, in: claim.manifest)
                }
                kept.append(claim)
            }
        }
        return (kept, servingClaims)
    }

    /// The mark of a claim no pod in the output mounts.
    static let firstConsumerOutside = "outside"
}
