/// A Kubernetes object the Plan stage decided to emit, with what Check and Render need to know.
public struct PlannedObject: Sendable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var namespace: String?
    /// The full object (`apiVersion`, `kind`, `metadata`, …).
    public var manifest: ManifestNode
    /// Ordering class: namespace → RBAC → storage → config → workloads (Argo CD sync waves
    /// and file order follow it).
    public var wave: SyncWave
    /// The inputs this object came from (spec files or templates), for headers and `explain`.
    public var sources: [SourceLocation]

    public init(
        apiVersion: String, kind: String, name: String, namespace: String?, manifest: ManifestNode, wave: SyncWave,
        sources: [SourceLocation]
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.manifest = manifest
        self.wave = wave
        self.sources = sources
    }
}

/// Apply order. Raw values are the Argo CD sync-wave numbers.
public enum SyncWave: Int, Sendable, Hashable, Comparable, CaseIterable {
    case namespace = 0
    case rbac = 1
    case storage = 2
    case config = 3
    /// Image builds (Tekton PipelineRuns, S2I BuildConfigs and the ImageStreams they fill):
    /// Argo CD waits for their health (see `BuildPlanner`) before the validation Jobs.
    case build = 4
    case workload = 5

    public static func < (lhs: SyncWave, rhs: SyncWave) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The planned output of one environment.
public struct EnvironmentPlan: Sendable {
    public var environment: Environment
    /// Objects applied by the delivery tool from the environment's manifests folder.
    public var objects: [PlannedObject]
    /// The delivery objects (Argo CD Application, or Flux GitRepository + Kustomization) that
    /// point the cluster at the manifests folder; they live outside it.
    public var deliveryObjects: [PlannedObject]
    /// Flux only: the image-build objects, applied by their own Kustomization from
    /// `<env>/builds` that the validation Kustomization `dependsOn` (empty without builds;
    /// under Argo CD builds are in `objects`, ordered by sync waves and health checks).
    public var buildObjects: [PlannedObject] = []
    /// Files for the delivery folder that are NOT applied with it (not listed in its
    /// kustomization): e.g. the Argo CD health customisations to merge into `argocd-cm`.
    public var deliveryExtras: [PlannedObject] = []

    public init(environment: Environment, objects: [PlannedObject], deliveryObjects: [PlannedObject]) {
        self.environment = environment
        self.objects = objects
        self.deliveryObjects = deliveryObjects
    }
}

/// A file the Render stage produced, relative to the output root.
public struct OutputFile: Sendable, Hashable {
    /// Relative path with `/` separators (`openshift-gpu/manifests/job-x.yaml`).
    public var path: String
    public var bytes: [UInt8]

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }
}
