/// The spec kinds nbgitops compiles, and the one place a document is routed by its `kind`:
/// kind → decoder (here) → planner (`KindPlanners.all`) → rules (`PlanRules`).
/// Adding a kind is an entry here, a case of `DecodedSpec` and a field of `SpecSet` for its
/// decoded values, its planner, and its rules; the shared planners (identity, API access,
/// storage) take its `WorkloadUnit`s.
public enum SpecKinds {
    public struct Entry: Sendable {
        /// `kind:` of its documents.
        public var kind: String
        /// Accepted `apiVersion:` values (the decoder reports any other).
        public var apiVersions: [String]
        /// Decodes one document of the kind, reporting into the collector; nil when unusable.
        public var decode: @Sendable (YAMLDocument, DiagnosticCollector) -> DecodedSpec?
    }

    public static let all: [Entry] = [
        Entry(kind: SpecDecoder.jobKind, apiVersions: SpecDecoder.jobAPIVersions) { document, diagnostics in
            SpecDecoder.decodeJob(document, diagnostics: diagnostics).map(DecodedSpec.notebookValidationJob)
        },
        Entry(kind: ModelPipelineDecoder.kind, apiVersions: ModelPipelineDecoder.apiVersions) { document, diagnostics in
            ModelPipelineDecoder.decode(document, diagnostics: diagnostics).map(DecodedSpec.modelPipeline)
        },
    ]

    public static func entry(forKind kind: String?) -> Entry? {
        guard let kind else { return nil }
        return all.first { $0.kind == kind }
    }
}

/// One decoded document: a spec of a kind nbgitops compiles, or an object passed through.
public enum DecodedSpec: Sendable {
    case notebookValidationJob(NotebookValidationJob)
    case modelPipeline(ModelPipeline)
    case supporting(SupportingObject)

    /// Files the value into its field of the set.
    func add(to set: inout SpecSet) {
        switch self {
        case .notebookValidationJob(let job): set.jobs.append(job)
        case .modelPipeline(let pipeline): set.modelPipelines.append(pipeline)
        case .supporting(let object): set.supportingObjects.append(object)
        }
    }
}

/// One decoded spec document, whatever its kind: what the spec index and waivers read.
public struct SpecDocument: Sendable {
    /// `kind:` of the document.
    public var kind: String
    /// The document's identity: its file and position there.
    public var key: DocumentKey
    /// `metadata.name` as written.
    public var name: Located<String>
    /// `metadata.annotations` with text values.
    public var annotations: [String: String]
    /// Where each field was written.
    public var sourceMap: SourceMap
    /// Where the document is anchored when no field is: its name, or a passed-through object's start.
    public var location: SourceLocation
}

extension SpecDocument {
    init(_ job: NotebookValidationJob) {
        self.init(
            kind: SpecDecoder.jobKind, key: DocumentKey(file: job.file, index: job.documentIndex), name: job.name,
            annotations: job.annotations, sourceMap: job.sourceMap, location: job.name.location)
    }

    init(_ pipeline: ModelPipeline) {
        self.init(
            kind: ModelPipelineDecoder.kind, key: DocumentKey(file: pipeline.file, index: pipeline.documentIndex),
            name: pipeline.name, annotations: pipeline.annotations, sourceMap: pipeline.sourceMap,
            location: pipeline.name.location)
    }

    init(_ object: SupportingObject) {
        var annotations: [String: String] = [:]
        for entry in object.manifest["metadata"]?["annotations"]?.entries ?? [] {
            if let text = entry.value.stringValue { annotations[entry.key] = text }
        }
        self.init(
            kind: object.kind, key: DocumentKey(file: object.file, index: object.documentIndex), name: object.name,
            annotations: annotations, sourceMap: object.sourceMap, location: object.location)
    }
}

extension SpecKinds {
    /// The spec documents of a spec set, one list per field of `SpecSet`: each compiled kind's
    /// (an entry of `all`), then the passed-through objects. The spec index and waivers see
    /// documents only through it, so every kind's waivers apply to their own document.
    public static let documentLists: [@Sendable (SpecSet) -> [SpecDocument]] = [
        { $0.jobs.map(SpecDocument.init) },
        { $0.modelPipelines.map(SpecDocument.init) },
        { $0.supportingObjects.map(SpecDocument.init) },
    ]

    /// Every spec document of `specs`, of every kind.
    public static func documents(in specs: SpecSet) -> [SpecDocument] { documentLists.flatMap { $0(specs) } }
}
