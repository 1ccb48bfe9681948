/// Objects whose deletion loses data nbgitops cannot regenerate: the Namespaces it plans
/// (deleting one deletes everything in it, other teams' objects included) and the claims it
/// creates that hold data (notebook output, populated models a predictor serves from).
/// They are marked for the environment's delivery tool so that neither pruning nor deleting
/// the Application / Kustomization removes them; a spec removed from Git leaves them in place.
///
/// - Argo CD: `Prune=false` (kept and reported `PruneSkipped`) and `Delete=false` (kept when
///   the Application is deleted), argoproj/gitops-engine `pkg/sync/common/types.go`
///   (`SyncOptionDisablePrune`, `SyncOptionDisableDeletion`).
/// - Flux: `kustomize.toolkit.fluxcd.io/prune: disabled`, which fluxcd/pkg `ssa` excludes from
///   garbage collection; Flux applies, then prunes, then health-checks
///   (kustomize-controller `kustomization_controller.go` `reconcile`), so without it the model
///   claim a live predictor mounts would be deleted before serving moves to the new one.
enum PruneProtection {
    static let argoOptions = "Prune=false,Delete=false"
    static let fluxValue = "disabled"

    /// The annotation that keeps an object for the environment's delivery tool.
    static func annotations(_ context: PlanContext) -> [String: String] {
        switch context.deliveryTool {
        case .argocd: return [AnnotationKey.argoSyncOptions: argoOptions]
        case .flux: return [AnnotationKey.fluxPrune: fluxValue]
        }
    }

    /// The provenance of that annotation.
    static func origin(_ context: PlanContext, holds what: String) -> FieldOrigin {
        FieldProvenance.traced(
            context.environment.delivery.tool, field: "delivery.tool",
            rule: "never pruned nor deleted with the delivery object: " + what)
    }
}

/// The Tekton operator's job pruner (OpenShift Pipelines, Tekton operator on Kubernetes)
/// deletes finished PipelineRuns beyond `keep` per namespace. It reads the `prune.*`
/// annotations from the **Namespace** only (tektoncd/operator
/// `pkg/reconciler/common/prune.go` `getPruneConfig(namespace *corev1.Namespace)`; the
/// annotation on a PipelineRun does nothing), and a run it deletes is re-created by Argo CD
/// self-heal / Flux drift correction and runs again. So the Namespaces nbgitops plans for its
/// own PipelineRuns carry `operator.tekton.dev/prune.skip: "true"`; the runs do not. Every
/// namespace a run lands in is one nbgitops plans (a Namespace in the spec files is refused,
/// NBG135), so no run is left in a namespace without it.
enum TektonPruner {
    /// The namespaces holding the PipelineRuns nbgitops generates (`planned`: its own objects,
    /// never passed-through ones).
    static func runNamespaces(_ planned: [PlannedObject]) -> Set<String> {
        Set(planned.filter { $0.kind == "PipelineRun" && $0.apiVersion.hasPrefix("tekton.dev/") }.compactMap(\.namespace))
    }

    /// `objects` with the skip annotation on each of nbgitops' own Namespaces in `namespaces`.
    static func marking(_ objects: [PlannedObject], namespaces: Set<String>, context: PlanContext) -> [PlannedObject] {
        objects.map { object in
            guard object.kind == "Namespace", object.namespace == nil, namespaces.contains(object.name) else {
                return object
            }
            var object = object
            object.manifest = PlanMetadata.setting(
                "annotations", AnnotationKey.tektonPruneSkip, to: "true", in: object.manifest)
            if context.recordsProvenance {
                let origin = FieldOrigin(
                    .builtinDefault(
                        "this namespace holds nbgitops' PipelineRuns: the Tekton operator's pruner reads "
                            + "prune.skip from the namespace only, and a pruned run would be re-created and run again"),
                    field: "kind PipelineRun")
                object.deriveProvenance { base in
                    var origins = base
                    origins["metadata.annotations[\(AnnotationKey.tektonPruneSkip)]"] = origin
                    return origins
                }
            }
            return object
        }
    }
}
