import Foundation

/// The Decode stage for spec files: YAML documents → `NotebookValidationJob`s and supporting
/// objects, checked against the operator's CRD (every field, constraint and default), the
/// operator webhook's volume rules, and nbgitops' own rules for git sources, names and secrets.
public enum SpecDecoder {
    public static let jobKind = "NotebookValidationJob"
    /// Accepted API versions: the current group and the operator's older one.
    public static let jobAPIVersions = ["mlops.mlops.dev/v1alpha1", "mlops.redhat.com/v1alpha1"]

    /// Errors reported from one file's documents: past them, that file's further diagnostics
    /// are summed up in one error (the run fails either way; a generated file of thousands of
    /// broken documents must not print, or keep, thousands of messages).
    public static let maxErrorsPerFile = 100

    /// Decodes every document of every file. Reports problems and skips what cannot be used.
    public static func decode(_ documents: [YAMLDocument], diagnostics: DiagnosticCollector) -> SpecSet {
        // Documents decode independently: in parallel, each into its own collector, merged
        // in document order (the diagnostics and the set are those of a sequential run).
        let decoded = Parallel.map(documents) { document -> (DecodedSpec?, [Diagnostic]) in
            let local = DiagnosticCollector()
            guard document.root.pairs != nil else {
                local.error(
                    .documentKind,
                    "document \(document.index) is \(document.root.kindDescription), expected a Kubernetes object (a mapping)",
                    at: document.root.location, help: "each YAML document must be a mapping with apiVersion, kind and metadata")
                return (nil, local.diagnostics)
            }
            // A spec kind nbgitops compiles goes to its decoder (`SpecKinds`); any other
            // Kubernetes object is passed through.
            let kind = document.root["kind"]?.scalar?.value
            if let specKind = SpecKinds.entry(forKind: kind) {
                return (specKind.decode(document, local), local.diagnostics)
            }
            return (SupportingObjectDecoder.decode(document, diagnostics: local).map(DecodedSpec.supporting), local.diagnostics)
        }
        var set = SpecSet()
        var errorsByFile: [String: Int] = [:]
        var unreported: [String: (count: Int, first: SourceLocation?)] = [:]
        for (document, (result, reported)) in zip(documents, decoded) {
            let errors = reported.filter { $0.severity == .error }.count
            let before = errorsByFile[document.file, default: 0]
            if before >= maxErrorsPerFile, errors > 0 {
                let previous = unreported[document.file]
                unreported[document.file] = (
                    (previous?.count ?? 0) + errors, previous?.first ?? reported.first { $0.severity == .error }?.location
                )
                continue
            }
            errorsByFile[document.file] = before + errors
            for diagnostic in reported { diagnostics.report(diagnostic) }
            result?.add(to: &set)
        }
        for (file, skipped) in unreported.sorted(by: { $0.key < $1.key }) {
            diagnostics.error(
                .yamlLimit,
                "\(skipped.count) more error(s) in this file not reported: decoding stops reporting after "
                    + "\(maxErrorsPerFile) errors in one file",
                at: skipped.first ?? .startOf(file),
                help: "fix the errors above and run again; the file may have been generated wrongly")
        }
        checkDuplicates(set, diagnostics: diagnostics)
        return set
    }

    /// NBG132 for each spec of `kind` whose name an earlier one of the kind already has in the
    /// same written namespace (the same name in two namespaces is two objects; where the
    /// environment maps two namespaces onto one, the plan's duplicate check reports it).
    private static func reportRepeatedNames(
        _ names: [(name: Located<String>, namespace: Located<String>?)], kind: String, diagnostics: DiagnosticCollector
    ) {
        var seen: [String: SourceLocation] = [:]
        for (name, namespace) in names {
            let key = (namespace?.value ?? "") + "/" + name.value
            if let first = seen[key] {
                diagnostics.error(
                    .objectDuplicate, "\(kind) '\(name.value)' is defined twice" + inNamespace(namespace),
                    at: name.location,
                    help: "rename one of them; names must be unique in a namespace",
                    notes: [DiagnosticNote("first defined here", at: first)])
            } else {
                seen[key] = name.location
            }
        }
    }

    private static func inNamespace(_ namespace: Located<String>?) -> String {
        namespace.map { " in namespace '\($0.value)'" } ?? ""
    }

    private static func checkDuplicates(_ set: SpecSet, diagnostics: DiagnosticCollector) {
        reportRepeatedNames(set.jobs.map { ($0.name, $0.namespace) }, kind: jobKind, diagnostics: diagnostics)
        reportRepeatedNames(
            set.modelPipelines.map { ($0.name, $0.namespace) }, kind: ModelPipelineDecoder.kind, diagnostics: diagnostics)
        var seenObjects: [String: SourceLocation] = [:]
        for object in set.supportingObjects {
            let group = object.apiVersion.split(separator: "/").dropLast().joined()
            let key = "\(group)/\(object.kind)/\(object.namespace?.value ?? "")/\(object.name.value)"
            if let first = seenObjects[key] {
                diagnostics.error(
                    .objectDuplicate, "\(object.kind) '\(object.name.value)' is defined twice" + inNamespace(object.namespace),
                    at: object.name.location,
                    help: "remove or rename one of them", notes: [DiagnosticNote("first defined here", at: first)])
            } else {
                seenObjects[key] = object.name.location
            }
        }
    }

    static func decodeJob(_ document: YAMLDocument, diagnostics: DiagnosticCollector) -> NotebookValidationJob? {
        let root = document.root
        let errorsBefore = diagnostics.errorCount
        guard let schema = CRDSchemas.notebookValidationJobSpec else {
            diagnostics.error(
                .documentKind, "the bundled NotebookValidationJob schema cannot be loaded", at: root.location,
                help: "reinstall nbgitops; its resource bundle is missing")
            return nil
        }
        let apiVersion = checkEnvelope(root, kind: jobKind, apiVersions: jobAPIVersions, diagnostics: diagnostics)
        let metadata = MetadataDecoder.decode(root, kind: jobKind, nameRule: .dnsLabel, diagnostics: diagnostics)
        guard let specNode = root["spec"] else {
            diagnostics.error(
                .fieldRequired, "missing required field 'spec' in NotebookValidationJob", at: root.location,
                help: "add a 'spec:' with notebook and podConfig")
            return nil
        }
        var validator = SchemaValidator(subject: jobKind, diagnostics: diagnostics) { path, key, diagnostics in
            guard key.scalar?.value == "hostPath", path.contains(".volumes[") else { return false }
            diagnostics.error(
                .volumeHostPath, "hostPath volumes are not allowed", at: key.location,
                help: "use a persistentVolumeClaim, configMap, secret or emptyDir volume")
            return true
        }
        guard let spec = validator.validate(specNode, against: schema, path: "spec"), let metadata else { return nil }
        var sourceMap = validator.sourceMap
        sourceMap.locations["metadata.name"] = metadata.name.location
        for pair in root["metadata"]?["annotations"]?.pairs ?? [] {
            guard let key = pair.key.scalar?.value else { continue }
            sourceMap.locations["metadata.annotations" + SourceMap.component(key)] = pair.value.location
            if key == AnnotationKey.platforms, let list = pair.value.scalar?.value {
                checkPlatforms(list, job: metadata.name.value, at: pair.value.location, diagnostics: diagnostics)
            }
        }
        let context = JobContext(spec: spec, sourceMap: sourceMap, fallback: specNode.location, diagnostics: diagnostics)
        let job = context.makeJob(document: document, apiVersion: apiVersion, metadata: metadata)
        return diagnostics.errorCount == errorsBefore ? job : nil
    }

    /// The top level every spec kind shares: one of the kind's `apiVersions`, and no fields but
    /// apiVersion, kind, metadata and spec. Returns the apiVersion as written.
    static func checkEnvelope(
        _ root: YAMLNode, kind: String, apiVersions: [String], diagnostics: DiagnosticCollector
    ) -> String {
        let apiVersionNode = root["apiVersion"]
        let apiVersion = apiVersionNode?.scalar?.value ?? ""
        if !apiVersions.contains(apiVersion) {
            diagnostics.error(
                .documentKind, "\(kind) has apiVersion '\(apiVersion)'", at: apiVersionNode?.location ?? root.location,
                help: "use apiVersion: \(apiVersions[0])" + (apiVersions.count > 1 ? " (or \(apiVersions[1]))" : ""))
        }
        let topLevel = ["apiVersion", "kind", "metadata", "spec"]
        for pair in root.pairs ?? [] {
            guard let key = pair.key.scalar?.value, !topLevel.contains(key) else { continue }
            let help =
                key == "status"
                ? "status is written by a controller; remove it from the spec file"
                : Suggestions.closest(to: key, in: topLevel).map { "did you mean '\($0)'?" } ?? "remove it"
            diagnostics.error(.fieldUnknown, "unknown field '\(key)' in \(kind)", at: pair.key.location, help: help)
        }
        return apiVersion
    }

    /// `nbgitops.dev/platforms`: a comma-separated list of known platforms (the job is planned
    /// only there; `EnvironmentPlanner.isPlanned`).
    static func checkPlatforms(_ list: String, job: String, at location: SourceLocation, diagnostics: DiagnosticCollector) {
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard names.isEmpty || names.contains(where: { Platform(rawValue: $0) == nil }) else { return }
        diagnostics.error(
            .fieldPattern, "annotation \(AnnotationKey.platforms) of '\(job)' names unknown platforms: '\(list)'",
            at: location,
            help: "write a comma-separated list of \(Platform.allCases.map(\.rawValue).joined(separator: ", "))")
    }
}

extension String {
    func dropPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
