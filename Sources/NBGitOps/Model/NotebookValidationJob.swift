/// The decoded `NotebookValidationJob` (operator group `mlops.mlops.dev/v1alpha1`, or the older
/// `mlops.redhat.com/v1alpha1`), validated against the operator's CRD with its defaults applied.
///
/// Kubernetes-typed parts the compiler only carries over (resources, affinity, tolerations,
/// env sources) are kept as `ManifestNode`s already checked against the CRD schema.
public struct NotebookValidationJob: Sendable {
    public var apiVersion: String
    public var name: Located<String>
    /// `metadata.namespace` as written, if any (the environment decides the real namespace).
    public var namespace: Located<String>?
    public var labels: [String: String]
    public var annotations: [String: String]
    public var notebook: NotebookSource
    public var goldenNotebook: NotebookSource?
    public var podConfig: PodConfig
    /// `spec.timeout` (CRD default `30m`), in whole seconds rounded up.
    public var timeoutSeconds: Located<Int>
    /// `spec.comparisonConfig` with CRD defaults applied (always present: the defaults matter).
    public var comparisonConfig: ManifestNode
    /// `spec.validationConfig` with CRD defaults applied.
    public var validationConfig: ManifestNode
    /// `spec.modelValidation` with CRD defaults applied, when given.
    public var modelValidation: ManifestNode?
    /// The whole validated document (defaults applied), for rules that need more.
    public var document: ManifestNode
    /// Where every field of the document was written.
    public var sourceMap: SourceMap
    /// The file the document came from and its 0-based index there.
    public var file: String
    public var documentIndex: Int

    public init(
        apiVersion: String, name: Located<String>, namespace: Located<String>?, labels: [String: String],
        annotations: [String: String], notebook: NotebookSource, goldenNotebook: NotebookSource?, podConfig: PodConfig,
        timeoutSeconds: Located<Int>, comparisonConfig: ManifestNode, validationConfig: ManifestNode,
        modelValidation: ManifestNode?, document: ManifestNode, sourceMap: SourceMap, file: String, documentIndex: Int
    ) {
        self.apiVersion = apiVersion
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
        self.notebook = notebook
        self.goldenNotebook = goldenNotebook
        self.podConfig = podConfig
        self.timeoutSeconds = timeoutSeconds
        self.comparisonConfig = comparisonConfig
        self.validationConfig = validationConfig
        self.modelValidation = modelValidation
        self.document = document
        self.sourceMap = sourceMap
        self.file = file
        self.documentIndex = documentIndex
    }
}

/// A notebook in a git repository (`spec.notebook` or `spec.goldenNotebook`).
public struct NotebookSource: Sendable, Hashable {
    public var git: GitSource
    /// Relative path of the `.ipynb` inside the repository (validated: no `..`, not absolute).
    public var path: Located<String>

    public init(git: GitSource, path: Located<String>) {
        self.git = git
        self.path = path
    }
}

public enum GitTransport: String, Sendable, Hashable {
    case https
    case http
    case ssh
    case git
}

public struct GitSource: Sendable, Hashable {
    public var url: Located<String>
    /// Branch, tag or full commit SHA.
    public var ref: Located<String>
    /// Name of a Secret holding credentials (keys `username`/`password` for HTTPS,
    /// `ssh-privatekey`/`known_hosts` for SSH). Never the credentials themselves.
    public var credentialsSecret: Located<String>?
    public var transport: GitTransport

    public init(url: Located<String>, ref: Located<String>, credentialsSecret: Located<String>?, transport: GitTransport) {
        self.url = url
        self.ref = ref
        self.credentialsSecret = credentialsSecret
        self.transport = transport
    }
}

/// `spec.podConfig`.
public struct PodConfig: Sendable {
    public var containerImage: Located<String>
    /// As written; nil when unset or the CRD default `default` (nbgitops then uses its own
    /// least-privilege ServiceAccount).
    public var serviceAccountName: Located<String>?
    /// Validated `EnvVar` objects, in input order.
    public var env: [ManifestNode]
    public var envNames: [Located<String>]
    /// Validated `EnvFromSource` objects, including those the `credentials` sugar expands to.
    public var envFrom: [ManifestNode]
    /// `resources` as a `ResourceRequirements` object, or nil.
    public var resources: ManifestNode?
    public var nodeSelector: [String: String]
    public var tolerations: [ManifestNode]
    public var affinity: ManifestNode?
    public var volumes: [VolumeSpec]
    public var volumeMounts: [VolumeMountSpec]
    public var buildConfig: BuildConfigSpec?

    public init(
        containerImage: Located<String>, serviceAccountName: Located<String>?, env: [ManifestNode],
        envNames: [Located<String>], envFrom: [ManifestNode], resources: ManifestNode?,
        nodeSelector: [String: String], tolerations: [ManifestNode], affinity: ManifestNode?,
        volumes: [VolumeSpec], volumeMounts: [VolumeMountSpec], buildConfig: BuildConfigSpec?
    ) {
        self.containerImage = containerImage
        self.serviceAccountName = serviceAccountName
        self.env = env
        self.envNames = envNames
        self.envFrom = envFrom
        self.resources = resources
        self.nodeSelector = nodeSelector
        self.tolerations = tolerations
        self.affinity = affinity
        self.volumes = volumes
        self.volumeMounts = volumeMounts
        self.buildConfig = buildConfig
    }
}

public struct VolumeSpec: Sendable {
    public enum Source: Sendable {
        case persistentVolumeClaim(claimName: Located<String>, readOnly: Bool)
        case configMap(name: String)
        case secret(secretName: String)
        case emptyDir
    }

    public var name: Located<String>
    public var source: Source
    /// The validated Kubernetes `Volume` object, ready to place in a pod spec.
    public var manifest: ManifestNode

    public init(name: Located<String>, source: Source, manifest: ManifestNode) {
        self.name = name
        self.source = source
        self.manifest = manifest
    }
}

public struct VolumeMountSpec: Sendable {
    public var name: Located<String>
    public var mountPath: Located<String>
    public var readOnly: Bool
    /// The validated Kubernetes `VolumeMount` object.
    public var manifest: ManifestNode

    public init(name: Located<String>, mountPath: Located<String>, readOnly: Bool, manifest: ManifestNode) {
        self.name = name
        self.mountPath = mountPath
        self.readOnly = readOnly
        self.manifest = manifest
    }
}

/// `spec.podConfig.buildConfig`, with CRD defaults applied.
public struct BuildConfigSpec: Sendable {
    public var enabled: Bool
    public var strategy: Located<String>
    public var location: SourceLocation
    public var manifest: ManifestNode
    /// `baseImage` (CRD default `quay.io/jupyter/minimal-notebook:latest`).
    public var baseImage: Located<String>
    public var autoGenerateRequirements: Bool
    public var preferDockerfile: Bool
    /// `dockerfile`: a Dockerfile path in the repository, used as is.
    public var dockerfile: Located<String>?
    /// `requirementsFile`: the first requirements file tried.
    public var requirementsFile: Located<String>?
    /// `requirementsSources`: tried in order after `requirementsFile`.
    public var requirementsSources: [Located<String>]
    /// `fallbackStrategy`: `warn`, `fail` or `auto` when no requirements file is found.
    public var fallbackStrategy: String
    /// `timeout` (CRD default `15m`) in whole seconds.
    public var timeoutSeconds: Located<Int>

    public init(
        enabled: Bool, strategy: Located<String>, location: SourceLocation, manifest: ManifestNode,
        baseImage: Located<String>? = nil, autoGenerateRequirements: Bool = true, preferDockerfile: Bool = false,
        dockerfile: Located<String>? = nil, requirementsFile: Located<String>? = nil,
        requirementsSources: [Located<String>] = [], fallbackStrategy: String = "warn",
        timeoutSeconds: Located<Int>? = nil
    ) {
        self.enabled = enabled
        self.strategy = strategy
        self.location = location
        self.manifest = manifest
        self.baseImage = baseImage ?? Located("quay.io/jupyter/minimal-notebook:latest", at: location)
        self.autoGenerateRequirements = autoGenerateRequirements
        self.preferDockerfile = preferDockerfile
        self.dockerfile = dockerfile
        self.requirementsFile = requirementsFile
        self.requirementsSources = requirementsSources
        self.fallbackStrategy = fallbackStrategy
        self.timeoutSeconds = timeoutSeconds ?? Located(900, at: location)
    }
}

/// A plain Kubernetes object carried in a spec file (ConfigMap, ServiceAccount, Role, …).
/// It passes into the environment's output after validation.
public struct SupportingObject: Sendable {
    public var apiVersion: String
    public var kind: String
    public var name: Located<String>
    /// Whether the kind lives in a namespace (the environment's namespace is then set on it).
    public var namespaced: Bool
    /// `metadata.namespace` as written (nil: the environment's namespace); the environment maps
    /// it (`NamingSettings.target(of:)`).
    public var namespace: Located<String>?
    public var manifest: ManifestNode
    public var file: String
    public var documentIndex: Int
    public var location: SourceLocation
    /// Where every field of the object was written (`spec.template.spec.containers[0].image`),
    /// so plan rules can point into a passed-through object.
    public var sourceMap = SourceMap()

    public init(
        apiVersion: String, kind: String, name: Located<String>, namespaced: Bool, manifest: ManifestNode,
        file: String, documentIndex: Int, location: SourceLocation
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.namespaced = namespaced
        self.manifest = manifest
        self.file = file
        self.documentIndex = documentIndex
        self.location = location
    }
}

/// Everything decoded from the spec files of a run.
public struct SpecSet: Sendable {
    public var jobs: [NotebookValidationJob]
    public var modelPipelines: [ModelPipeline]
    public var supportingObjects: [SupportingObject]

    public init(
        jobs: [NotebookValidationJob] = [], modelPipelines: [ModelPipeline] = [], supportingObjects: [SupportingObject] = []
    ) {
        self.jobs = jobs
        self.modelPipelines = modelPipelines
        self.supportingObjects = supportingObjects
    }
}
