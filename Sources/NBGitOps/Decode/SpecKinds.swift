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
