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
    /// An object any spec of the environment may contribute to (the default ServiceAccount and
    /// its RBAC, the Namespaces objects are placed in): its file header names the environment,
    /// not `sources`, so adding or removing a spec leaves the file unchanged. `explain` still
    /// answers from `sources`.
    public var shared = false
    /// Where the main fields' values came from, keyed by manifest path
    /// (`spec.activeDeadlineSeconds`, `spec.template.spec.containers[0].image`). `explain`
    /// answers from the longest key that is a prefix of the asked path, else from `sources`.
    ///
    /// Computed on demand: only `explain` reads it, and building it for every object of
    /// every environment on each render cost time and memory for nothing.
    public var provenance: [String: FieldOrigin] {
        get { provenanceSource() }
        set { provenanceSource = { newValue } }
    }
    private var provenanceSource: @Sendable () -> [String: FieldOrigin]
    /// The names the planner derived for this object (its own, its namespace, …), checked by
    /// the Check stage (`NameRules.derivedNames`).
    public var derivedNames: [DerivedName] = []
    /// For a claim: the one workload (`PipelineRun/<namespace>/<name>`) that writes it, once, and that every
    /// other workload mounting it waits for (a later sync wave, a Flux `dependsOn`). The
    /// ReadWriteOnce rules do not count that writer as concurrent with the claim's readers.
    public var writtenOnceBy: String? = nil
    /// Fields an overlay's patch or metadata setting set or removed (manifest path → the patch
    /// line): a rule's finding on such a field points at the patch (`RuleContext.location`).
    public var patchedFields: [String: SourceLocation] = [:]
    /// The folder below the environment's folder this object is written to when the
    /// environment is split (`delivery.split`: `base`, `validation`, `apps`, …); nil: the
    /// usual folder (`manifests`, `builds`, `serving`, `delivery`).
    public var part: String? = nil
    /// For an object named after its content (a validation Job, `<base>-<hash of spec>`): how
    /// the name is derived, so that a patch changing that content derives it again.
    public var contentAddress: ContentAddress? = nil

    public init(
        apiVersion: String, kind: String, name: String, namespace: String?, manifest: ManifestNode, wave: SyncWave,
        sources: [SourceLocation], provenance: [String: FieldOrigin] = [:]
    ) {
        self.init(
            apiVersion: apiVersion, kind: kind, name: name, namespace: namespace, manifest: manifest, wave: wave,
            sources: sources, lazyProvenance: { provenance })
    }

    /// An object whose provenance is computed when first asked for (each time: it is asked
    /// for rarely).
    public init(
        apiVersion: String, kind: String, name: String, namespace: String?, manifest: ManifestNode, wave: SyncWave,
        sources: [SourceLocation], lazyProvenance: @escaping @Sendable () -> [String: FieldOrigin]
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.manifest = manifest
        self.wave = wave
        self.sources = sources
        self.provenanceSource = lazyProvenance
    }

    /// This object with `names` recorded for the Check stage's name rule.
    func checking(_ names: DerivedName...) -> PlannedObject {
        var object = self
        object.derivedNames += names
        return object
    }

    /// Replaces the provenance by `transform` of it, applied on demand.
    public mutating func deriveProvenance(
        _ transform: @escaping @Sendable ([String: FieldOrigin]) -> [String: FieldOrigin]
    ) {
        let base = provenanceSource
        provenanceSource = { transform(base()) }
    }
}

/// How a content-addressed object's name is derived: `base`, a dash, and the first 8 hex
/// digits of the structural hash of the manifest's subtree at `hashedPath`. An object whose
/// content cannot change in place (a Job's pod template) gets a new name when it changes.
public struct ContentAddress: Sendable, Hashable {
    public var base: String
    /// The manifest path whose content the name hashes (`spec`).
    public var hashedPath: String

    public init(base: String, hashedPath: String) {
        self.base = base
        self.hashedPath = hashedPath
    }

    /// The name `manifest`'s content gives, or nil when it has nothing at `hashedPath`.
    public func name(for manifest: ManifestNode) -> String? {
        manifest.value(at: hashedPath).map { "\(base)-\(StableHash.shortHex($0))" }
    }
}

/// Where one emitted field came from, and the lowering rule that shaped it.
public struct FieldOrigin: Sendable, Hashable {
    /// The spec or overlay line that set the value, or the built-in default and why.
    public var origin: Origin
    /// The input field, as written there (`spec.timeout`, `storage.claimSize`), when there is one.
    public var field: String?
    /// How nbgitops turned the input into the output value ("30m → seconds, rounded up").
    public var rule: String?

    public init(_ origin: Origin, field: String? = nil, rule: String? = nil) {
        self.origin = origin
        self.field = field
        self.rule = rule
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
    /// Model serving (KServe InferenceServices) after the Jobs that write the models.
    case serving = 6

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
    /// Flux only: model serving objects (KServe InferenceServices), applied from `<env>/serving`
    /// by their own Kustomization that `dependsOn` the validation one, so a model is served
    /// only after the Job writing it succeeded (under Argo CD they are in `objects`, wave 6).
    public var servingObjects: [PlannedObject] = []
    /// Objects written next to the delivery objects but listed in no kustomization: snippets an
    /// administrator merges by hand into controller configuration (the `argocd-cm` health checks).
    public var snippets: [PlannedObject]
    /// Objects the planner left out because an earlier one has the same kind, namespace and
    /// name (a supporting object shadowing a generated one), each with that earlier object's
    /// first source; reported by the Check stage (`ObjectRules.duplicates`).
    public var droppedDuplicates: [(dropped: PlannedObject, firstSource: SourceLocation?)] = []
    /// nbgitops' own templates the plan needed but could not use (missing or malformed);
    /// reported by the Check stage (NBG153, `BuildRules.unbuildable`).
    public var unusableTemplates: [UnusableTemplate] = []
    /// Where the delivery objects point (the output folder in the repository) and whether the
    /// render must deliver: the Check stage validates the delivery settings against it.
    public var delivery: DeliveryTarget = .project(outputPath: "gitops")

    public init(
        environment: Environment, objects: [PlannedObject], deliveryObjects: [PlannedObject],
        snippets: [PlannedObject] = []
    ) {
        self.environment = environment
        self.objects = objects
        self.deliveryObjects = deliveryObjects
        self.snippets = snippets
    }
}

/// One of nbgitops' templates (`templates/tekton/…`, `templates/argocd/…`) a plan needed but
/// could not use.
public struct UnusableTemplate: Sendable, Hashable {
    /// The template's path under the resource root.
    public var file: String
    /// What is wrong with it, as the diagnostic says it.
    public var problem: String

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
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
