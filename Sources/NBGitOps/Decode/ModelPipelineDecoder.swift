/// Decodes `ModelPipeline` documents (`nbgitops.dev/v1alpha1`) against `modelPipelineSpec` of
/// `Resources/nbgitops-schemas.yaml`, with located errors like every other kind.
enum ModelPipelineDecoder {
    static let kind = "ModelPipeline"
    static let apiVersions = ["nbgitops.dev/v1alpha1"]

    static func decode(_ document: YAMLDocument, diagnostics: DiagnosticCollector) -> ModelPipeline? {
        let root = document.root
        let errorsBefore = diagnostics.errorCount
        guard let schema = CRDSchemas.modelPipelineSpec else {
            diagnostics.error(
                .documentKind, "the bundled ModelPipeline schema cannot be loaded", at: root.location,
                help: "reinstall nbgitops; its resource bundle is missing")
            return nil
        }
        _ = SpecDecoder.checkEnvelope(root, kind: kind, apiVersions: apiVersions, diagnostics: diagnostics)
        let metadata = MetadataDecoder.decode(root, kind: kind, nameRule: .dnsLabel, diagnostics: diagnostics)
        guard let specNode = root["spec"] else {
            diagnostics.error(
                .fieldRequired, "missing required field 'spec' in ModelPipeline", at: root.location,
                help: "add a 'spec:' with source, size and serving")
            return nil
        }
        if let metadata, let list = metadata.annotations[AnnotationKey.platforms] {
            let annotation = root["metadata"]?["annotations"]?[AnnotationKey.platforms]
            SpecDecoder.checkPlatforms(
                list, job: metadata.name.value, at: annotation?.location ?? metadata.name.location, diagnostics: diagnostics)
        }
        var validator = SchemaValidator(subject: kind, diagnostics: diagnostics)
        guard let spec = validator.validate(specNode, against: schema, path: "spec"), let metadata else { return nil }
        let sourceMap = validator.sourceMap
        func located(_ path: String) -> Located<String>? {
            guard let value = spec.value(at: path.dropPrefix("spec."))?.stringValue else { return nil }
            return Located(value, at: sourceMap.nearest(path) ?? specNode.location)
        }
        func integer(_ path: String) -> Located<Int>? {
            guard case .int(let value)? = spec.value(at: path.dropPrefix("spec.")) else { return nil }
            return Located(value, at: sourceMap.nearest(path) ?? specNode.location)
        }
        guard let job = located("spec.source.notebookOutput.job"),
            let volume = located("spec.source.notebookOutput.volume"),
            let path = located("spec.source.notebookOutput.path"),
            let size = located("spec.size.model"),
            let format = located("spec.serving.modelFormat.name")
        else { return nil }
        // (The schema's pattern keeps `path` inside the claim: relative, no `.` or `..` folders.)
        if Quantity.value(size.value) == nil {
            diagnostics.error(
                .quantity, "size.model '\(size.value)' is not a quantity nbgitops can use", at: size.location,
                help: "write the model's size with a binary suffix, e.g. 4Gi")
        }
        let minReplicas = integer("spec.serving.minReplicas")
        let maxReplicas = integer("spec.serving.maxReplicas")
        if let minReplicas, let maxReplicas, minReplicas.value > maxReplicas.value {
            diagnostics.error(
                .fieldRange, "serving.minReplicas (\(minReplicas.value)) is above serving.maxReplicas (\(maxReplicas.value))",
                at: minReplicas.location, help: "lower minReplicas or raise maxReplicas")
        }
        guard diagnostics.errorCount == errorsBefore else { return nil }
        return ModelPipeline(
            name: metadata.name, namespace: metadata.namespace, annotations: metadata.annotations,
            source: ModelPipeline.NotebookOutput(job: job, volume: volume, path: path), modelSize: size,
            serving: ModelPipeline.Serving(
                modelFormat: format, modelFormatVersion: located("spec.serving.modelFormat.version"),
                runtime: located("spec.serving.runtime"), minReplicas: minReplicas, maxReplicas: maxReplicas,
                resources: spec.value(at: "serving.resources"),
                location: sourceMap.nearest("spec.serving") ?? specNode.location),
            sourceMap: sourceMap, file: document.file, documentIndex: document.index)
    }
}
