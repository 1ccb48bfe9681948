public enum DeliveryTool: String, Sendable, Hashable, CaseIterable {
    case argocd
    case flux
}

public struct DeliverySettings: Sendable {
    public var tool: Traced<DeliveryTool>
    public var repositoryURL: Traced<String>
    public var revision: Traced<String>
    /// Path of the environment's manifests inside the repository; nil = derived from the output folder.
    public var path: Traced<String?>
    /// Namespace of the Argo CD or Flux controller objects (`openshift-gitops`, `argocd`, `flux-system`).
    public var controllerNamespace: Traced<String?>
    /// Delete objects that left the specs (superseded validation Jobs included). Argo CD
    /// `syncPolicy.automated.prune`, Flux `spec.prune`.
    public var prune: Traced<Bool>
    /// Argo CD `syncPolicy.automated.selfHeal`: revert changes made in the cluster.
    public var selfHeal: Traced<Bool>
    /// Argo CD `syncPolicy.syncOptions` (a list: an overlay replaces it whole).
    public var syncOptions: Traced<[String]>
    /// `delivery.argocd.instancePatch: emit`: write an `ArgoCD` resource patch (operator CR) to
    /// `delivery/` that lifts the instance's exclusions of kinds nbgitops emits.
    public var argocdInstancePatch: Traced<Bool> = .byDefault(false, DeliverySettings.instancePatchReason)
    /// `delivery.cluster`: the cluster the environment's objects go to, when not the one the
    /// controller runs in (one overlay sets it whole). See `DeliveryDestination`.
    public var cluster: Traced<DeliveryCluster?> = .byDefault(nil, DeliveryCluster.inClusterReason)
    /// `delivery.argocd.project`: an AppProject that exists already; nbgitops then writes none.
    public var argocdProject: Traced<String?> = .byDefault(nil, DeliveryCluster.ownProjectReason)
    /// `delivery.flux.secretRef`: the Secret (in the Flux namespace) with the credentials of a
    /// private repository, named on the GitRepository.
    public var fluxSecretRef: Traced<String?> = .byDefault(nil, DeliveryCluster.publicRepositoryReason)
    /// `delivery.split`: one delivery unit per environment, or one per stage (`DeliverySplit`).
    public var split: Traced<DeliverySplitMode> = .byDefault(.none, DeliverySplitMode.reason)

    public init(
        tool: Traced<DeliveryTool>, repositoryURL: Traced<String>, revision: Traced<String>, path: Traced<String?>,
        controllerNamespace: Traced<String?>,
        prune: Traced<Bool> = .byDefault(true, DeliverySettings.pruneReason),
        selfHeal: Traced<Bool> = .byDefault(true, DeliverySettings.selfHealReason),
        syncOptions: Traced<[String]> = .byDefault(DeliverySettings.defaultSyncOptions, DeliverySettings.syncOptionsReason)
    ) {
        self.tool = tool
        self.repositoryURL = repositoryURL
        self.revision = revision
        self.path = path
        self.controllerNamespace = controllerNamespace
        self.prune = prune
        self.selfHeal = selfHeal
        self.syncOptions = syncOptions
    }

    public static let defaultSyncOptions = ["PruneLast=true"]
    public static let pruneReason = "superseded validation Jobs (new content, new name) must be deleted"
    public static let selfHealReason = "the cluster follows git; manual changes are reverted"
    public static let instancePatchReason = "the Argo CD instance is configured by its administrators"
    public static let syncOptionsReason = "delete removed objects only after the rest is applied and healthy"
}

/// `delivery.cluster` of an overlay: where the environment's manifests are applied. Argo CD
/// names a cluster registered with it by `name` or by API `server` URL, never both (an
/// Application's `spec.destination`); Flux reaches another cluster through a kubeconfig Secret
/// in its own namespace (`Kustomization.spec.kubeConfig.secretRef`).
public struct DeliveryCluster: Sendable, Hashable {
    public var name: String?
    public var server: String?
    public var kubeConfigSecret: String?

    public init(name: String? = nil, server: String? = nil, kubeConfigSecret: String? = nil) {
        self.name = name
        self.server = server
        self.kubeConfigSecret = kubeConfigSecret
    }

    public static let inClusterReason = "the cluster the delivery controller runs in"
    public static let ownProjectReason = "the environment's own AppProject, written by nbgitops"
    public static let publicRepositoryReason = "a repository Flux clones without credentials"
}
