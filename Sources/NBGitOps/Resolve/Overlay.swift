import Foundation

/// One overlay file, decoded: the settings it sets, each with the location that set it.
/// Absent fields leave the layers below untouched.
public struct Overlay: Sendable {
    public var reference: OverlayReference
    /// The validated `spec`, and where each of its fields was written.
    public var spec: ManifestNode
    public var sourceMap: SourceMap
    /// The `spec` as loaded (with marks): the Patch stage reads `metadata` and `patches` from
    /// it, so each patch value keeps the line it was written on.
    public var specNode: YAMLNode? = nil
}

/// The Decode stage for overlays: finds an overlay by built-in name or path, checks it against
/// the overlay schema, and returns it.
public enum OverlayLoader {
    public static let apiVersion = "nbgitops.dev/v1alpha1"
    public static let kind = "Overlay"

    /// Names of the overlays shipped in `overlays/`.
    public static func builtinNames(resourceRoot: String) -> [String] {
        let folder = (resourceRoot as NSString).appendingPathComponent("overlays")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// Resolves `nameOrPath`: a bare name (no `/`, no `.yaml`) is a built-in overlay of
    /// `resourceRoot/overlays/`; anything else is a path relative to `baseDirectory`.
    public static func locate(
        _ nameOrPath: Located<String>, baseDirectory: String, resourceRoot: String, diagnostics: DiagnosticCollector
    ) -> OverlayReference? {
        let text = nameOrPath.value
        let isPath = text.contains("/") || text.hasSuffix(".yaml") || text.hasSuffix(".yml")
        if !isPath {
            let file = ((resourceRoot as NSString).appendingPathComponent("overlays") as NSString).appendingPathComponent(
                "\(text).yaml")
            guard FileManager.default.fileExists(atPath: file) else {
                let builtins = builtinNames(resourceRoot: resourceRoot)
                var help = "built-in overlays: \(builtins.joined(separator: ", ")); or give a path to an overlay file"
                if let suggestion = Suggestions.closest(to: text, in: builtins) { help = "did you mean '\(suggestion)'? " + help }
                diagnostics.error(.overlayNotFound, "no built-in overlay named '\(text)'", at: nameOrPath.location, help: help)
                return nil
            }
            return OverlayReference(name: text, file: "overlays/\(text).yaml", isBuiltin: true)
        }
        let file = text.hasPrefix("/") ? text : (baseDirectory as NSString).appendingPathComponent(text)
        guard FileManager.default.fileExists(atPath: file) else {
            diagnostics.error(
                .overlayNotFound, "overlay file '\(text)' does not exist", at: nameOrPath.location,
                help: "check the path (relative to the project file), or use a built-in overlay name")
            return nil
        }
        let name = ((text as NSString).lastPathComponent as NSString).deletingPathExtension
        return OverlayReference(name: name, file: displayPath(file, relativeTo: baseDirectory), isBuiltin: false, path: file)
    }

    /// Whether an overlay file given by path resolves (symbolic links followed) inside `root`;
    /// reports NBG160 when it does not. Built-in overlays and a nil root always pass.
    public static func isConfined(
        _ reference: OverlayReference, to root: String?, at location: SourceLocation, diagnostics: DiagnosticCollector
    ) -> Bool {
        guard let root, !reference.isBuiltin, let path = reference.path else { return true }
        let realRoot = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
        let real = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        if real == realRoot || real.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") { return true }
        diagnostics.error(
            .overlayNotFound, "overlay file '\(reference.file)' resolves outside the repository (to \(real))",
            at: location,
            help: "keep overlay files inside the repository (\(realRoot)); symbolic links may not leave it")
        return false
    }

    /// Loads and validates an overlay file.
    public static func load(_ reference: OverlayReference, resourceRoot: String, diagnostics: DiagnosticCollector) -> Overlay? {
        let path =
            reference.isBuiltin
            ? (resourceRoot as NSString).appendingPathComponent(reference.file) : (reference.path ?? reference.file)
        let documents = YAMLLoader.load(path: path, displayName: reference.file, diagnostics: diagnostics)
        guard let document = documents.first else {
            if !diagnostics.hasErrors {
                diagnostics.error(
                    .documentKind, "overlay file is empty", at: .startOf(reference.file),
                    help: "an overlay is one document: apiVersion: \(apiVersion), kind: \(kind), spec: {...}")
            }
            return nil
        }
        if documents.count > 1 {
            diagnostics.error(
                .documentKind, "an overlay file holds exactly one document", at: documents[1].root.location,
                help: "put each overlay in its own file")
        }
        guard let root = OwnDocument.check(document, kind: kind, diagnostics: diagnostics),
            let schema = CRDSchemas.overlaySpec
        else { return nil }
        var validator = SchemaValidator(subject: kind, diagnostics: diagnostics)
        let specNode = root["spec"] ?? YAMLNode(.mapping([]), at: root.location)
        guard let spec = validator.validate(specNode, against: schema, path: "spec") else { return nil }
        return Overlay(reference: reference, spec: spec, sourceMap: validator.sourceMap, specNode: specNode)
    }

    /// A path as shown in messages and file headers: relative to `base` (the project folder,
    /// or the current folder ad hoc) when inside it, else as given. Never relative to the
    /// folder a command happens to run from, so output does not depend on it.
    public static func displayPath(_ path: String, relativeTo base: String) -> String {
        let current = FileManager.default.currentDirectoryPath
        func standardized(_ path: String) -> String {
            // Lexical only: a symlinked spec is named by its link, not by its target.
            URL(fileURLWithPath: path.hasPrefix("/") ? path : (current as NSString).appendingPathComponent(path)).standardized
                .path
        }
        let file = standardized(path)
        let folder = standardized(base)
        if file.hasPrefix(folder + "/") { return String(file.dropFirst(folder.count + 1)) }
        return path
    }

    /// `displayPath(_:relativeTo:)` against the current folder.
    public static func displayPath(_ path: String) -> String {
        displayPath(path, relativeTo: FileManager.default.currentDirectoryPath)
    }
}

/// Checks the envelope of nbgitops' own files (`apiVersion`, `kind`, `metadata`, `spec`).
enum OwnDocument {
    static func check(_ document: YAMLDocument, kind: String, diagnostics: DiagnosticCollector) -> YAMLNode? {
        let root = document.root
        guard let pairs = root.pairs else {
            diagnostics.error(
                .documentKind, "expected a mapping, found \(root.kindDescription)", at: root.location,
                help: "write apiVersion: \(OverlayLoader.apiVersion), kind: \(kind), spec: {...}")
            return nil
        }
        let before = diagnostics.errorCount
        if root["apiVersion"]?.scalar?.value != OverlayLoader.apiVersion {
            diagnostics.error(
                .documentKind, "apiVersion must be \(OverlayLoader.apiVersion)",
                at: root["apiVersion"]?.location ?? root.location,
                help: "set apiVersion: \(OverlayLoader.apiVersion)")
        }
        if root["kind"]?.scalar?.value != kind {
            diagnostics.error(
                .documentKind, "kind must be \(kind)", at: root["kind"]?.location ?? root.location,
                help: "set kind: \(kind)")
        }
        for pair in pairs {
            guard let key = pair.key.scalar?.value, !["apiVersion", "kind", "metadata", "spec"].contains(key) else { continue }
            diagnostics.error(
                .fieldUnknown, "unknown field '\(key)' in \(kind)", at: pair.key.location,
                help: Suggestions.closest(to: key, in: ["apiVersion", "kind", "metadata", "spec"]).map { "did you mean '\($0)'?" }
                    ?? "remove it")
        }
        if let metadata = root["metadata"] {
            for pair in metadata.pairs ?? [] {
                guard let key = pair.key.scalar?.value, !["name", "annotations", "labels"].contains(key) else { continue }
                diagnostics.error(
                    .fieldUnknown, "unknown field '\(key)' in 'metadata'", at: pair.key.location,
                    help: "use name, labels or annotations")
            }
        }
        return diagnostics.errorCount == before ? root : nil
    }
}
