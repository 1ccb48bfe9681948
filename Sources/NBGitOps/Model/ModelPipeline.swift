/// A `ModelPipeline` spec (`nbgitops.dev/v1alpha1`): a model KServe serves, and where it comes
/// from. This version plans the `notebookOutput` source with `pvc` delivery: a
/// NotebookValidationJob writes the model into one of its PersistentVolumeClaims and an
/// InferenceService serves it from `pvc://<claim>/<path>`, applied only after that Job succeeded.
public struct ModelPipeline: Sendable {
    public var name: Located<String>
    public var namespace: Located<String>?
    public var annotations: [String: String]
    public var source: NotebookOutput
    /// `size.model`: the model's size on disk, as written.
    public var modelSize: Located<String>
    public var serving: Serving
    /// Where each `spec` field was written (`spec.serving.runtime` → line and column).
    public var sourceMap: SourceMap
    public var file: String
    public var documentIndex: Int

    public init(
        name: Located<String>, namespace: Located<String>?, annotations: [String: String], source: NotebookOutput,
        modelSize: Located<String>, serving: Serving, sourceMap: SourceMap, file: String, documentIndex: Int
    ) {
        self.name = name
        self.namespace = namespace
        self.annotations = annotations
        self.source = source
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

    /// `serving`: what the InferenceService's predictor runs.
    public struct Serving: Sendable {
        public var modelFormat: Located<String>
        public var modelFormatVersion: Located<String>?
        public var runtime: Located<String>?
        public var minReplicas: Located<Int>?
        public var maxReplicas: Located<Int>?
        /// `serving.resources` as written (requests and limits).
        public var resources: ManifestNode?
        public var location: SourceLocation

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
