/// One environment: an ordered stack of overlays resolved into concrete settings.
/// Every value remembers which overlay file and line set it, or that it is a built-in default.
public struct Environment: Sendable {
    public var name: String
    /// Where the environment is defined (its name in the project file, or the command line).
    public var definedAt: SourceLocation? = nil
    /// The overlays in stacking order (later ones override earlier ones field by field).
    public var overlays: [OverlayReference]
    public var platform: Traced<Platform>
    public var storage: StorageSettings
    public var gpu: GPUSettings
    public var tekton: TektonSettings
    public var images: ImageSettings
    public var naming: NamingSettings
    public var delivery: DeliverySettings
    /// What the cluster lets pods do (privilege cap, OpenShift UID range). Defaults to what
    /// nbgitops itself enforces: Pod Security `restricted` / SCC `restricted-v2`, no fixed UIDs.
    public var security = SecuritySettings()
    /// Environment defaults for what specs leave unset (`defaults` of an overlay).
    public var defaults = SpecDefaults()
    /// KServe as the cluster has it configured (`kserve` of an overlay).
    public var kserve = KServeSettings()
    /// `serving.deploymentMode`: how every InferenceService is deployed, always written on it.
    public var servingDeploymentMode: Traced<ServingDeploymentMode> = .byDefault(
        .rawDeployment, ServingDeploymentMode.defaultReason)
    /// What the overlays declare about the platform that runs the output (`platform` as a
    /// mapping); every fact no overlay declares is nil (unknown).
    public var facts = PlatformFacts()
    /// What the cluster offers model pipelines (`models` of an overlay).
    public var models = ModelSettings()
    /// The cluster's node pools (`cluster.nodePools`); empty = schedulability not checked.
    public var nodePools: Traced<[NodePool]> = .byDefault([], "no node pools declared")
    /// Where validation Jobs save the executed notebook and the full report (`results`).
    public var results = ResultsSettings()

    public init(
        name: String, overlays: [OverlayReference], platform: Traced<Platform>, storage: StorageSettings,
        gpu: GPUSettings, tekton: TektonSettings, images: ImageSettings, naming: NamingSettings,
        delivery: DeliverySettings
    ) {
        self.name = name
        self.overlays = overlays
        self.platform = platform
        self.storage = storage
        self.gpu = gpu
        self.tekton = tekton
        self.images = images
        self.naming = naming
        self.delivery = delivery
    }
}

/// An overlay as named in a stack: a built-in name or a file path, and the file it resolved to.
public struct OverlayReference: Sendable, Hashable {
    public var name: String
    /// The file as shown in messages and origins (`overlays/rwo.yaml` for built-ins, a path
    /// relative to the project folder otherwise).
    public var file: String
    public var isBuiltin: Bool
    /// The path to read a user overlay from (nil: `file`, relative to the current folder).
    public var path: String?

    public init(name: String, file: String, isBuiltin: Bool, path: String? = nil) {
        self.name = name
        self.file = file
        self.isBuiltin = isBuiltin
        self.path = path
    }
}

public enum Platform: String, Sendable, Hashable, CaseIterable {
    case openshift
    case kubernetes
}

public enum AccessMode: String, Sendable, Hashable, CaseIterable {
    case readWriteOnce = "ReadWriteOnce"
    case readWriteMany = "ReadWriteMany"
    case readWriteOncePod = "ReadWriteOncePod"
    case readOnlyMany = "ReadOnlyMany"
}

public struct StorageSettings: Sendable {
    public var accessMode: Traced<AccessMode>
    /// nil: the cluster's default storage class.
    public var storageClassName: Traced<String?>
    /// Size of each PVC nbgitops creates for a spec's claim (a Kubernetes quantity).
    public var claimSize: Traced<String>
    /// Size of per-run build workspaces (used by builds).
    public var workspaceSize: Traced<String>
    /// Claims the environment says exist already (not managed by nbgitops).
    public var existingClaims: Traced<[String]>
    /// When true, every claim a job mounts is created by nbgitops (none pre-exist).
    public var manageAllClaims: Traced<Bool>

    public init(
        accessMode: Traced<AccessMode>, storageClassName: Traced<String?>, claimSize: Traced<String>,
        workspaceSize: Traced<String>, existingClaims: Traced<[String]>, manageAllClaims: Traced<Bool>
    ) {
        self.accessMode = accessMode
        self.storageClassName = storageClassName
        self.claimSize = claimSize
        self.workspaceSize = workspaceSize
        self.existingClaims = existingClaims
        self.manageAllClaims = manageAllClaims
    }
}

public struct Taint: Sendable, Hashable {
    public var key: String
    public var value: String?
    public var effect: String

    public init(key: String, value: String?, effect: String) {
        self.key = key
        self.value = value
        self.effect = effect
    }
}

public struct GPUSettings: Sendable {
    /// The extended resource name GPU pods request (`nvidia.com/gpu`).
    public var resourceName: Traced<String>
    /// Taints on the GPU nodes; pods that request the GPU resource tolerate exactly these.
    public var taints: Traced<[Taint]>
    /// Node labels GPU pods are placed with.
    public var nodeSelector: Traced<[String: String]>

    public init(resourceName: Traced<String>, taints: Traced<[Taint]>, nodeSelector: Traced<[String: String]>) {
        self.resourceName = resourceName
        self.taints = taints
        self.nodeSelector = nodeSelector
    }
}

/// Tekton's `coschedule` feature flag as the cluster has it (affects affinity assistants).
public enum CoscheduleMode: String, Sendable, Hashable, CaseIterable {
    case workspaces
    case pipelineruns
    case isolatePipelinerun = "isolate-pipelinerun"
    case disabled
}

/// KServe's cluster configuration (its `inferenceservice-config` ConfigMap), as overlays declare it.
public struct KServeSettings: Sendable {
    /// How an overlay declares that the inferenceservice-config has no `uidModelcar`.
    public static let uidModelcarUnset = "unset"
    /// `storageInitializer.enableModelcar`: whether `oci://` (ModelCar) storage URIs are served;
    /// nil when no overlay says (nbgitops does not guess a cluster's configuration).
    public var enableModelcar: Traced<Bool?>

    /// `storageInitializer.uidModelcar`: the modelcar container's UID; nil when not declared.
    public var uidModelcar: Traced<Int?>

    public init(
        enableModelcar: Traced<Bool?> = .byDefault(nil, "not declared by any overlay"),
        uidModelcar: Traced<Int?> = .byDefault(nil, "not declared by any overlay")
    ) {
        self.enableModelcar = enableModelcar
        self.uidModelcar = uidModelcar
    }
}

/// A pool of identical nodes (`cluster.nodePools[]` of an overlay).
public struct NodePool: Sendable {
    /// Node counts added without overflow (an overlay's `count` is any 64-bit integer): saturates.
    static func total(_ lhs: Int, _ rhs: Int) -> Int {
        let sum = lhs.addingReportingOverflow(rhs)
        return sum.overflow ? Int.max : sum.partialValue
    }

    public var name: String
    public var count: Int
    /// Node labels (the zone, when declared, included as topology.kubernetes.io/zone).
    public var labels: [String: String]
    public var taints: [Taint]
    /// One node's allocatable resources, as quantities.
    public var allocatable: [String: String]

    public init(name: String, count: Int, labels: [String: String], taints: [Taint], allocatable: [String: String]) {
        self.name = name
        self.count = count
        self.labels = labels
        self.taints = taints
        self.allocatable = allocatable
    }
}

/// What the cluster offers ModelPipelines (`models` of an overlay), and the images their steps run.
public struct ModelSettings: Sendable {
    /// Without `delivery`, a model below this size is a ModelCar, one from it on a PVC.
    public var modelcarLimit: Traced<String>
    /// The largest layer the registry accepts.
    public var registryLayerLimit: Traced<String>
    /// Free ephemeral storage on a pipeline node; nil = unknown.
    public var nodeEphemeralFree: Traced<String?>
    /// Free image-filesystem space on a serving node; nil = unknown.
    public var nodeImageFsFree: Traced<String?>
    /// Bytes per second (a quantity) of a Hugging Face download and of a registry push.
    public var downloadThroughput: Traced<String>
    public var pushThroughput: Traced<String>
    /// The Python image of the download and packaging steps, and the skopeo image.
    public var toolsImage: Traced<String>
    public var skopeoImage: Traced<String>

    public static let defaultModelcarLimit = "40Gi"
    public static let defaultRegistryLayerLimit = "50Gi"
    public static let defaultDownloadThroughput = "20Mi"
    public static let defaultPushThroughput = "10Mi"
    /// ubi9/python-312 by digest. The download step needs huggingface_hub at the version
    /// `templates/tekton/model-download.yaml` pins (NBG_HF_HUB_VERSION): the image's own when it is
    /// that version, else pip installs it onto the workspace (as the package step does olot).
    public static let defaultToolsImage =
        "registry.access.redhat.com/ubi9/python-312@sha256:57731b9fb128bfa9be6c00d3ae0b0f6dd8f4f23c7e2572bde1cae15c8fb16c90"
    /// skopeo 1.22.2 by digest.
    public static let defaultSkopeoImage =
        "quay.io/skopeo/stable:v1.22.2@sha256:0b98d4296bfd35680c09fd40a5bff17b8569715258a4bee0a7ae3ca500eaaece"

    public init(
        modelcarLimit: Traced<String> = .byDefault(
            defaultModelcarLimit, "above ~40 GB the private-ai-demo abandoned ModelCars for PVCs"),
        registryLayerLimit: Traced<String> = .byDefault(
            defaultRegistryLayerLimit, "Quay's and S3-backed registries' usual per-layer limit"),
        nodeEphemeralFree: Traced<String?> = .byDefault(nil, "not declared by any overlay"),
        nodeImageFsFree: Traced<String?> = .byDefault(nil, "not declared by any overlay"),
        downloadThroughput: Traced<String> = .byDefault(
            defaultDownloadThroughput, "a cautious sustained Hugging Face download rate"),
        pushThroughput: Traced<String> = .byDefault(defaultPushThroughput, "a cautious sustained registry push rate"),
        toolsImage: Traced<String> = .byDefault(defaultToolsImage, "ubi9/python-312, pinned by digest"),
        skopeoImage: Traced<String> = .byDefault(defaultSkopeoImage, "skopeo 1.22.2, pinned by digest")
    ) {
        self.modelcarLimit = modelcarLimit
        self.registryLayerLimit = registryLayerLimit
        self.nodeEphemeralFree = nodeEphemeralFree
        self.nodeImageFsFree = nodeImageFsFree
        self.downloadThroughput = downloadThroughput
        self.pushThroughput = pushThroughput
        self.toolsImage = toolsImage
        self.skopeoImage = skopeoImage
    }
}

public struct TektonSettings: Sendable {
    public var coschedule: Traced<CoscheduleMode>

    public init(coschedule: Traced<CoscheduleMode>) {
        self.coschedule = coschedule
    }
}

public struct ImageMirror: Sendable, Hashable {
    /// A registry or repository prefix as written in specs (`quay.io/jupyter`).
    public var source: String
    /// Its replacement (`mirror.example.com/quay/jupyter`).
    public var mirror: String

    public init(source: String, mirror: String) {
        self.source = source
        self.mirror = mirror
    }
}

public struct ImageSettings: Sendable {
    /// Registry built images are pushed to (used by builds); nil = platform default.
    public var registry: Traced<String?>
    /// Prefix rewrites applied to every image reference nbgitops emits.
    public var mirrors: Traced<[ImageMirror]>
    /// Image of the git-clone init container (needs git and ssh).
    public var gitClone: Traced<String>
    /// A `kubernetes.io/dockerconfigjson` Secret in the build namespace that buildah pushes
    /// with (by name only; nil = the registry needs no credentials or the platform provides them).
    public var pushSecret: Traced<String?>
    /// A `kubernetes.io/dockerconfigjson` Secret in the validation namespace that validation pods
    /// pull built images with (nil = none needed).
    public var pullSecret: Traced<String?>
    /// The image of the buildah step of the image-build Task (`images.buildah`).
    public var buildah: Traced<String>

    /// buildah v1.38.0, the release the Task body was written against. Named by tag only: no
    /// digest of it could be verified when this default was chosen, so NBG137 asks each site
    /// to pin the image it runs (`images.buildah: IMAGE:TAG@sha256:...`).
    public static let defaultBuildahImage = "quay.io/buildah/stable:v1.38.0"

    public init(
        registry: Traced<String?>, mirrors: Traced<[ImageMirror]>, gitClone: Traced<String>,
        pushSecret: Traced<String?> = .byDefault(nil, "no push credentials"),
        pullSecret: Traced<String?> = .byDefault(nil, "no pull credentials"),
        buildah: Traced<String> = .byDefault(defaultBuildahImage, "buildah 1.38.0, by tag (pin it with images.buildah)")
    ) {
        self.registry = registry
        self.mirrors = mirrors
        self.gitClone = gitClone
        self.pushSecret = pushSecret
        self.pullSecret = pullSecret
        self.buildah = buildah
    }
}

public struct NamingSettings: Sendable {
    /// The environment's own namespace: where every spec and supporting object without a
    /// `metadata.namespace` lands.
    public var namespace: Traced<String>
    /// Prepended to every object name nbgitops derives.
    public var namePrefix: Traced<String>
    /// `naming.namespaces`: where a `metadata.namespace` written in the specs lands in this
    /// environment (`team-a` → `ml-team-a-prod`), each entry with the overlay line that set it.
    public var namespaces: [String: Traced<String>]
    /// `naming.namespacePrefix`: prepended to a written namespace that `namespaces` does not map.
    public var namespacePrefix: Traced<String>

    public init(
        namespace: Traced<String>, namePrefix: Traced<String>, namespaces: [String: Traced<String>] = [:],
        namespacePrefix: Traced<String> = .byDefault("", "namespaces land as written")
    ) {
        self.namespace = namespace
        self.namePrefix = namePrefix
        self.namespaces = namespaces
        self.namespacePrefix = namespacePrefix
    }

    /// Where an object whose spec file says `metadata.namespace: <written>` lands: the
    /// `naming.namespaces` entry for it; else the environment's namespace when that is what is
    /// written; else `namespacePrefix + written`; else the namespace as written. Absent: the
    /// environment's namespace.
    public func target(of written: Located<String>?) -> Traced<String> {
        guard let written else { return namespace }
        if let mapped = namespaces[written.value] { return mapped }
        if written.value == namespace.value { return namespace }
        if !namespacePrefix.value.isEmpty {
            return Traced(namespacePrefix.value + written.value, namespacePrefix.origin)
        }
        return Traced(written.value, .spec(written.location))
    }

    /// Whether the environment maps `written` itself (an entry, its own namespace, or a prefix)
    /// rather than using it as written.
    public func maps(_ written: String) -> Bool {
        namespaces[written] != nil || written == namespace.value || !namespacePrefix.value.isEmpty
    }
}

/// `security` of an overlay: what the cluster lets this environment's pods do.
public struct SecuritySettings: Sendable {
    /// The highest Pod Security level (`restricted`, `baseline`, `privileged`) or SCC
    /// (`restricted-v2`, `nonroot-v2`, `anyuid`, `privileged`) the namespace allows; nil: the
    /// platform's default for a namespace nbgitops creates (`restricted` / `restricted-v2`).
    public var privilegeCap: Traced<String?>
    /// OpenShift's `openshift.io/sa.scc.uid-range` of the namespace (first UID, count).
    public var uidRange: Traced<ClosedRange<Int>?>

    /// OpenShift's `openshift.io/sa.scc.mcs` of the namespace (`s0:c26,c15`). With `uidRange`
    /// it pins the namespace's ranges: nbgitops writes the three annotations on the Namespace
    /// (OpenShift's allocator then leaves it alone) and validation pods run as the range's
    /// first UID.
    public var mcs: Traced<String?>
    /// `security.namespaces`: the pinned ranges of namespaces other than the environment's own
    /// (a team's namespace), by namespace name. A namespace not listed keeps what OpenShift's
    /// allocator gives it.
    public var namespaceRanges: [String: NamespaceRange] = [:]
    /// The UID validation pods run as on Kubernetes (group 100, the Jupyter images' `users`).
    public var runAsUser: Traced<Int>
    /// Secrets created outside git (by hand, Vault, a sealed-secrets controller in another
    /// repository) that pods may reference without warning NBG129.
    public var existingSecrets: Traced<[String]>

    public init(
        privilegeCap: Traced<String?> = .byDefault(nil, "the platform's most restrictive level"),
        uidRange: Traced<ClosedRange<Int>?> = .byDefault(nil, "no UID range declared"),
        mcs: Traced<String?> = .byDefault(nil, "no MCS level declared"),
        runAsUser: Traced<Int> = .byDefault(SecuritySettings.defaultRunAsUser, SecuritySettings.runAsUserReason),
        existingSecrets: Traced<[String]> = .byDefault([], SecuritySettings.existingSecretsReason)
    ) {
        self.existingSecrets = existingSecrets
        self.privilegeCap = privilegeCap
        self.uidRange = uidRange
        self.mcs = mcs
        self.runAsUser = runAsUser
    }

    public static let existingSecretsReason = "no Secrets declared as created outside git"
    public static let otherNamespaceRangeReason =
        "security.uidRange and security.mcs pin the environment's own namespace only; OpenShift allocates this one's"

    /// High (≥ 10000, outside the UIDs of host accounts) and not the images' own 1000: the
    /// Jupyter images make their directories writable by group 100, which pods keep.
    public static let defaultRunAsUser = 10001
    public static let runAsUserReason =
        "a high UID no host account uses; group 100 keeps the Jupyter images' directories writable"

    /// Whether the namespace's UID range is pinned (OpenShift, `uidRange` and `mcs` declared):
    /// then pods may, and do, name the range's first UID.
    public func pinnedUID(on platform: Platform) -> Int? {
        guard platform == .openshift, mcs.value != nil, let range = uidRange.value else { return nil }
        return range.lowerBound
    }
}

/// One namespace's pinned OpenShift ranges (`security.namespaces.<name>` of an overlay).
public struct NamespaceRange: Sendable {
    public var uidRange: Traced<ClosedRange<Int>?>
    public var mcs: Traced<String?>

    public init(uidRange: Traced<ClosedRange<Int>?>, mcs: Traced<String?>) {
        self.uidRange = uidRange
        self.mcs = mcs
    }
}

/// `defaults` of an overlay: values used where a spec leaves a field unset (specs always win).
public struct SpecDefaults: Sendable {
    /// `resources.requests` / `resources.limits` of the notebook container, by resource name
    /// (`cpu`, `memory`, `ephemeral-storage`), each remembering the overlay line that set it.
    public var requests: [String: Traced<String>]
    public var limits: [String: Traced<String>]

    public init(requests: [String: Traced<String>] = [:], limits: [String: Traced<String>] = [:]) {
        self.requests = requests
        self.limits = limits
    }

    /// The resources a default may fill in.
    public static let resourceNames = ["cpu", "memory", "ephemeral-storage"]
}

extension Environment {
    /// The platform facts with the ones kept under their older names (`kserve.enableModelcar`,
    /// `kserve.uidModelcar`), sorted by path: what `nbgitops explain ENV platform` prints.
    public var platformFactEntries: [(path: String, value: String, origin: Origin)] {
        var result = facts.entries
        result.append(
            (
                "platform.kserve.enableModelcar", kserve.enableModelcar.value.map { "\($0)" } ?? "unknown",
                kserve.enableModelcar.origin
            ))
        result.append(
            ("platform.kserve.uidModelcar", kserve.uidModelcar.value.map { "\($0)" } ?? "unknown", kserve.uidModelcar.origin))
        result.append(("platform.name", platform.value.rawValue, platform.origin))
        return result.sorted { $0.path < $1.path }
    }

    /// `explain ENV platform[.path]`: each fact under `path`, its value and where it was set;
    /// nil when no fact is under `path`.
    public func explainPlatform(_ path: String) -> String? {
        let chosen = platformFactEntries.filter { $0.path == path || $0.path.hasPrefix(path + ".") }
        guard !chosen.isEmpty else { return nil }
        return chosen.map { "\($0.path): \($0.value)\n  \($0.origin)\n" }.joined()
    }
}

/// KServe's per-InferenceService deployment mode (`serving.kserve.io/deploymentMode`), chosen by
/// `serving.deploymentMode` and always written, so the cluster's default never decides.
public enum ServingDeploymentMode: String, Sendable, Hashable, CaseIterable {
    case rawDeployment = "RawDeployment"
    case serverless = "Serverless"

    public static let defaultReason =
        "RawDeployment: the predictor is a Deployment, which accepts every field nbgitops writes; Serverless (Knative) "
        + "rejects pod-level securityContext, nodeSelector, tolerations and claims unless the cluster enabled them"
}
