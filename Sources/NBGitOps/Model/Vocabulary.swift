/// The words the Plan and Check stages share, defined once: label and annotation keys, the
/// Pod Security levels and OpenShift SCCs, the image tag prefix. A planner that writes a key
/// and a rule that reads it name the same constant, so they cannot drift apart.

/// Label keys nbgitops writes or reads.
public enum LabelKey {
    public static let managedBy = "app.kubernetes.io/managed-by"
    public static let name = "app.kubernetes.io/name"
    public static let instance = "app.kubernetes.io/instance"
    public static let component = "app.kubernetes.io/component"
    /// Argo CD reads `argocd-cm` only with `part-of: argocd`.
    public static let partOf = "app.kubernetes.io/part-of"
    /// On a Namespace: the Argo CD instance that manages it (OpenShift GitOps).
    public static let argoManagedBy = "argocd.argoproj.io/managed-by"
    /// On a validation Job (not its pod template, which the Job's name hashes): the environment
    /// it was rendered for (`nbgitops results` tells environments sharing a cluster apart by it).
    public static let environment = "nbgitops.dev/environment"

    /// Flux's owner labels on every object a Kustomization applies (fluxcd/pkg ssa
    /// `SetOwnerLabels`, group `kustomize.toolkit.fluxcd.io`).
    public static let fluxOwnerName = "kustomize.toolkit.fluxcd.io/name"
    public static let fluxOwnerNamespace = "kustomize.toolkit.fluxcd.io/namespace"

    /// Pod Security admission labels of a Namespace (kubernetes.io/docs/concepts/security/pod-security-admission).
    public static let podSecurityEnforce = "pod-security.kubernetes.io/enforce"
    public static let podSecurityEnforceVersion = "pod-security.kubernetes.io/enforce-version"
    public static let podSecurityAudit = "pod-security.kubernetes.io/audit"
    public static let podSecurityWarn = "pod-security.kubernetes.io/warn"
}

/// Label values nbgitops writes.
public enum LabelValue {
    /// `app.kubernetes.io/managed-by` of every object nbgitops creates.
    public static let managedBy = "nbgitops"
    /// `app.kubernetes.io/name` of every validation pod: the NetworkPolicy selects them by it.
    public static let validationPod = "notebook-validation"
}

/// Annotation keys nbgitops writes or reads.
public enum AnnotationKey {
    /// Argo CD's apply-order annotation; its value must be a string.
    public static let argoSyncWave = "argocd.argoproj.io/sync-wave"
    public static let argoSyncOptions = "argocd.argoproj.io/sync-options"
    /// Argo CD's annotation tracking: `<app>:<group>/<kind>:<namespace>/<name>` (argo-cd
    /// common/common.go AnnotationKeyAppInstance, util/argo/resource_tracking.go).
    public static let argoTrackingID = "argocd.argoproj.io/tracking-id"
    public static let fluxPrune = "kustomize.toolkit.fluxcd.io/prune"
    public static let fluxForce = "kustomize.toolkit.fluxcd.io/force"
    /// Tekton's pruner leaves an object with this annotation alone.
    public static let tektonPruneSkip = "operator.tekton.dev/prune.skip"
    /// Hash of the scripts ConfigMap on each Job's pod template: new scripts give new Jobs.
    public static let scriptsChecksum = "nbgitops.dev/scripts-checksum"
    /// On a spec document: `RULE-ID: reason` entries (`RuleEngine`).
    public static let waive = "nbgitops.dev/waive"
    /// On a spec document: the platforms it is planned for.
    public static let platforms = "nbgitops.dev/platforms"
    /// On a passed-through workload: the claims (and paths) it writes.
    public static let writes = "nbgitops.dev/writes"
    /// On a spec document: where its validation Job saves its results (`ResultsAnnotation`).
    public static let results = "nbgitops.dev/results"
    /// On a validation Job (not its pod template): the spec file it was rendered from, as the
    /// project names it (`nbgitops results` reports it for a Job whose spec is gone).
    public static let specFile = "nbgitops.dev/spec-file"
    /// On an ImageStream: the tag its Argo CD health waits for.
    public static let awaitTag = "nbgitops.dev/await-tag"
    /// On a PersistentVolumeClaim no pod in the output mounts (`outside`): Argo CD's health check
    /// from nbgitops reads it as Healthy while Pending (`templates/argocd/health-pvc.lua`).
    public static let firstConsumer = "nbgitops.dev/first-consumer"
}

/// Pod Security admission levels, least privileged first (the order `security.privilegeCap`
/// compares in on Kubernetes).
public enum PodSecurityLevel: String, CaseIterable, Comparable, Sendable {
    case restricted, baseline, privileged

    var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// The SecurityContextConstraints OpenShift ships that nbgitops reasons about, least privileged
/// first (`security.privilegeCap` on OpenShift); pipelines-scc comes with OpenShift Pipelines.
public enum OpenShiftSCC: String, CaseIterable, Comparable, Sendable {
    case restrictedV2 = "restricted-v2"
    case nonrootV2 = "nonroot-v2"
    case anyuid
    case pipelinesSCC = "pipelines-scc"
    case privileged

    var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }

    /// The SCC a name means (`restricted` and `nonroot` are the v1 names of the v2 SCCs).
    public init?(named name: String) {
        let normalized = name == "restricted" ? "restricted-v2" : (name == "nonroot" ? "nonroot-v2" : name)
        self.init(rawValue: normalized)
    }
}

/// The tags nbgitops gives the images it builds: `nbgitops-<8 hex of the build's inputs>`.
public enum ImageTag {
    public static let prefix = "nbgitops-"

    /// The tag for an input hash.
    static func forInputs(hash: String) -> String { prefix + hash }

    /// The input hash of one of these tags (nil for any other tag).
    static func inputHash(of tag: String) -> Substring? {
        tag.hasPrefix(prefix) ? tag.dropFirst(prefix.count) : nil
    }
}
