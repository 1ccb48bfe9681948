/// A `ModelPipeline` spec (`nbgitops.dev/v1alpha1`): a model KServe serves, and where it comes
/// from — a NotebookValidationJob's claim (`source.notebookOutput`, served from
/// `pvc://<claim>/<path>` after that Job succeeded) or a Hugging Face repository at one commit
/// (`source.huggingFace`), downloaded by a Tekton pipeline and delivered as a ModelCar OCI
/// image (`delivery: modelcar`) or on a claim (`delivery: pvc`).
public struct ModelPipeline: Sendable {
    public var name: Located<String>
    public var namespace: Located<String>?
    public var annotations: [String: String]
    /// Exactly one of `notebookOutput` and `huggingFace` is set (the decoder refuses both or neither).
    public var notebookOutput: NotebookOutput?
    public var huggingFace: HuggingFace?
    /// `size.model`: the model's size on disk, as written.
    public var modelSize: Located<String>
    /// `size.largestFile`: the largest single file (a ModelCar layer); nil = not stated.
    public var largestFile: Located<String>? = nil
    /// `delivery` as written; nil = by the environment's `models.modelcarLimit`.
    public var delivery: Located<ModelDelivery>? = nil
    /// `modelcar`: how the image is packaged and where it is pushed.
    public var modelcar: Modelcar? = nil
    /// `workspace.size`: a fixed size for the download workspace (nil = nbgitops' formula).
    public var workspaceSize: Located<String>? = nil
    /// `timeout`: the PipelineRun's timeout as written (nil = derived from size and throughput).
    public var timeout: Located<String>? = nil
    public var serving: Serving
    /// The whole validated document (`metadata` labels and annotations, `spec` with defaults
    /// applied), for rules that read every field (NBG140).
    public var document: ManifestNode = .null
    /// Where each `spec` field was written (`spec.serving.runtime` → line and column).
    public var sourceMap: SourceMap
    public var file: String
    public var documentIndex: Int

    public init(
        name: Located<String>, namespace: Located<String>?, annotations: [String: String],
        notebookOutput: NotebookOutput? = nil, huggingFace: HuggingFace? = nil, modelSize: Located<String>,
        serving: Serving, sourceMap: SourceMap, file: String, documentIndex: Int
    ) {
        self.name = name
        self.namespace = namespace
        self.annotations = annotations
        self.notebookOutput = notebookOutput
        self.huggingFace = huggingFace
        self.modelSize = modelSize
        self.serving = serving
        self.sourceMap = sourceMap
        self.file = file
        self.documentIndex = documentIndex
    }

    /// `source.notebookOutput`: the job, its volume and the model's folder inside the claim.
    public struct NotebookOutput: Sendable {
        public var job: Located<String>
        public var volume: Located<String>
        public var path: Located<String>

        public init(job: Located<String>, volume: Located<String>, path: Located<String>) {
            self.job = job
            self.volume = volume
            self.path = path
        }
    }

    /// `serving.vllm`: the generated vLLM ServingRuntime.
    public struct VLLM: Sendable {
        public var image: Located<String>?
        public var args: [Located<String>]
        public var shmSize: Located<String>?
        public var location: SourceLocation

        /// vLLM's OpenAI-compatible server 0.8.5, by digest.
        public static let defaultImage =
            "docker.io/vllm/vllm-openai:v0.8.5@sha256:6cf9808ca8810fc6c3fd0451c2e7784fb224590d81f7db338e7eaf3c02a33d33"

        public init(image: Located<String>?, args: [Located<String>], shmSize: Located<String>?, location: SourceLocation) {
            self.image = image
            self.args = args
            self.shmSize = shmSize
            self.location = location
        }
    }

    /// `source.huggingFace`: one commit of a Hugging Face model repository.
    public struct HuggingFace: Sendable {
        /// `owner/name`.
        public var repo: Located<String>
        /// A full 40-hex commit SHA (the decoder refuses branches and tags, NBG285).
        public var revision: Located<String>
        /// The files to fetch (fnmatch patterns, as `huggingface_hub` reads them); the default
        /// fetches safetensors weights and the small config/tokenizer files.
        public var allowPatterns: [Located<String>]
        public var ignorePatterns: [Located<String>]
        /// False when `allowPatterns` is the default.
        public var allowPatternsWritten: Bool
        /// A Secret (by name) whose `token` key holds a Hugging Face token; mounted as a file in
        /// the download step only.
        public var tokenSecret: Located<String>?
        public var location: SourceLocation

        public static let defaultAllowPatterns = [
            "*.safetensors", "*.json", "*.txt", "*.model", "*.tiktoken", "*.jinja",
        ]

        public init(
            repo: Located<String>, revision: Located<String>, allowPatterns: [Located<String>],
            ignorePatterns: [Located<String>], allowPatternsWritten: Bool, tokenSecret: Located<String>?,
            location: SourceLocation
        ) {
            self.repo = repo
            self.revision = revision
            self.allowPatterns = allowPatterns
            self.ignorePatterns = ignorePatterns
            self.allowPatternsWritten = allowPatternsWritten
            self.tokenSecret = tokenSecret
            self.location = location
        }
    }

    /// `modelcar`: the packager, the base image and the push destinations.
    public struct Modelcar: Sendable {
        /// `olot` (the only packager this version plans: one uncompressed layer per file under
        /// `/models`, written without a daemon or privileges).
        public var packager: Located<String>?
        /// A digest-pinned image that has `sh` (KServe's modelcar container runs `sh -c`).
        public var baseImage: Located<String>?
        public var destinations: [Destination]
        public var location: SourceLocation

        public init(
            packager: Located<String>?, baseImage: Located<String>?, destinations: [Destination],
            location: SourceLocation
        ) {
            self.packager = packager
            self.baseImage = baseImage
            self.destinations = destinations
            self.location = location
        }

        /// The ModelCar base KServe's modelcar-catalog uses (ubi-micro has `sh`), by digest.
        public static let defaultBaseImage =
            "registry.access.redhat.com/ubi9/ubi-micro@sha256:1c8483e0fda0e990175eb9855a5f15e0910d2038dd397d9e2b357630f0321e6d"
    }

    /// Where a ModelCar image is pushed.
    public enum Destination: Sendable {
        /// An ImageStream of the environment's namespace in OpenShift's internal registry
        /// (pushed with the push ServiceAccount's token; TLS verified with the service CA).
        case imageStream(Located<String>, at: SourceLocation)
        /// `repository` (`registry/path`, no tag) pushed with the dockerconfigjson Secret `pushSecret`.
        case registry(repository: Located<String>, pushSecret: Located<String>, at: SourceLocation)

        public var location: SourceLocation {
            switch self {
            case .imageStream(_, let at), .registry(_, _, let at): return at
            }
        }
    }

    /// `serving`: what the InferenceService's predictor runs.
    public struct Serving: Sendable {
        public var modelFormat: Located<String>
        public var modelFormatVersion: Located<String>?
        public var runtime: Located<String>?
        public var minReplicas: Located<Int>?
        public var maxReplicas: Located<Int>?
        /// `serving.resources` as written (requests and limits).
        public var resources: ManifestNode?
        /// `serving.vllm`: the generated vLLM ServingRuntime's settings (nil: defaults, when generated).
        public var vllm: VLLM? = nil
        /// `serving.placement`: the predictor's own node selector and tolerations.
        public var nodeSelector: [String: String] = [:]
        public var tolerations: [ManifestNode] = []
        public var location: SourceLocation

        /// Whether nbgitops generates the ServingRuntime: no `runtime` named, and vLLM asked for.
        public var generatesRuntime: Bool {
            runtime == nil && (vllm != nil || modelFormat.value.lowercased() == "vllm")
        }

        public init(
            modelFormat: Located<String>, modelFormatVersion: Located<String>? = nil, runtime: Located<String>? = nil,
            minReplicas: Located<Int>? = nil, maxReplicas: Located<Int>? = nil, resources: ManifestNode? = nil,
            location: SourceLocation
        ) {
            self.modelFormat = modelFormat
            self.modelFormatVersion = modelFormatVersion
            self.runtime = runtime
            self.minReplicas = minReplicas
            self.maxReplicas = maxReplicas
            self.resources = resources
            self.location = location
        }
    }
}

/// How a ModelPipeline's model reaches the predictor.
public enum ModelDelivery: String, Sendable, Hashable, CaseIterable {
    /// An OCI image KServe runs as a sidecar (`oci://…`, KServe's `enableModelcar`).
    case modelcar
    /// A PersistentVolumeClaim the predictor mounts read-only (`pvc://claim/path`).
    case pvc
}
