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
