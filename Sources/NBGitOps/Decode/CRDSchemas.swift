import Foundation

/// The schemas nbgitops decodes against, parsed once per process from the resource files
/// compiled into the library (`Resources/*.yaml`, embedded by the EmbedResources plugin).
public enum CRDSchemas {
    /// `spec` schema of the operator's NotebookValidationJob CRD (v1alpha1).
    public static let notebookValidationJobSpec: Schema? = loadNotebookValidationJobSpec()

    /// `spec` of an nbgitops `Overlay` file.
    public static let overlaySpec: Schema? = ownSchemas?["overlaySpec"].map(Schema.parse)
    /// `spec` of the `Project` file (`nbgitops.yaml`).
    public static let projectSpec: Schema? = ownSchemas?["projectSpec"].map(Schema.parse)
    /// `spec` of a `ModelPipeline`.
    public static let modelPipelineSpec: Schema? = ownSchemas?["modelPipelineSpec"].map(Schema.parse)

    private static let ownSchemas: YAMLNode? = {
        guard let text = EmbeddedResources.files["nbgitops-schemas.yaml"] else { return nil }
        let diagnostics = DiagnosticCollector()
        return YAMLLoader.load(bytes: Array(text.utf8), file: "nbgitops-schemas.yaml", diagnostics: diagnostics).first?.root
    }()

    private static func loadNotebookValidationJobSpec() -> Schema? {
        guard let text = EmbeddedResources.files["notebookvalidationjob-crd.yaml"] else { return nil }
        let diagnostics = DiagnosticCollector()
        let documents = YAMLLoader.load(
            bytes: Array(text.utf8), file: "notebookvalidationjob-crd.yaml", diagnostics: diagnostics)
        guard let root = documents.first?.root,
            let version = root["spec"]?["versions"]?.items?.first(where: { $0["name"]?.scalar?.value == "v1alpha1" }),
            let spec = version["schema"]?["openAPIV3Schema"]?["properties"]?["spec"]
        else { return nil }
        return Schema.parse(spec)
    }
}
