import Foundation

/// An environment as the project file (or the command line) asks for it: a name and an
/// ordered overlay stack (built-in names or paths).
public struct EnvironmentRequest: Sendable {
    public var name: Located<String>
    public var overlays: [Located<String>]

    public init(name: Located<String>, overlays: [Located<String>]) {
        self.name = name
        self.overlays = overlays
    }
}

/// `nbgitops.yaml`: which spec files, which environments, and where output goes.
public struct Project: Sendable {
    public static let kind = "Project"
    public static let defaultFileName = "nbgitops.yaml"

    /// The project file's path as shown in messages.
    public var file: String
    /// The folder paths in the project file are relative to.
    public var baseDirectory: String
    public var specs: [Located<String>]
    /// Output folder, absolute or relative to `baseDirectory` (default `gitops`); anywhere but
    /// the project folder or a folder holding it.
    public var output: Located<String>
    public var environments: [EnvironmentRequest]
    /// `metadata.name`: qualifies the names of the delivery objects, which share the Argo CD or
    /// Flux namespace with other projects' (`DeliveryNames`).
    public var name: Located<String>?

    /// Loads and validates a project file. Its path is shown relative to `displayBase` (the
    /// project folder: `nbgitops.yaml`), like every input of the project.
    public static func load(path: String, displayBase: String? = nil, diagnostics: DiagnosticCollector) -> Project? {
        let display =
            displayBase.map { OverlayLoader.displayPath(path, relativeTo: $0) } ?? OverlayLoader.displayPath(path)
        let documents = YAMLLoader.load(path: path, displayName: display, diagnostics: diagnostics)
        guard let document = documents.first else {
            if !diagnostics.hasErrors {
                diagnostics.error(
                    .projectInvalid, "project file is empty", at: .startOf(display),
                    help: "see docs/reference/project.md for the nbgitops.yaml format")
            }
            return nil
        }
        guard let root = OwnDocument.check(document, kind: kind, diagnostics: diagnostics),
            let schema = CRDSchemas.projectSpec
        else { return nil }
        guard let specNode = root["spec"] else {
            diagnostics.error(
                .fieldRequired, "missing required field 'spec' in Project", at: root.location,
                help: "add spec: with specs and environments")
            return nil
        }
        var validator = SchemaValidator(subject: kind, diagnostics: diagnostics)
        guard let spec = validator.validate(specNode, against: schema, path: "spec"), !diagnostics.hasErrors else { return nil }
        let map = validator.sourceMap
        func located(_ path: String) -> Located<String>? {
            guard let text = spec.value(at: path.dropPrefix("spec."))?.stringValue else { return nil }
            return Located(text, at: map.nearest(path) ?? root.location)
        }
        let specs = (spec["specs"]?.elements ?? []).indices.compactMap { located("spec.specs[\($0)]") }
        var environments: [EnvironmentRequest] = []
        var seen: [String: SourceLocation] = [:]
        for index in (spec["environments"]?.elements ?? []).indices {
            guard let name = located("spec.environments[\(index)].name") else { continue }
            if let first = seen[name.value] {
                diagnostics.error(
                    .projectInvalid, "environment '\(name.value)' is defined twice", at: name.location,
                    help: "give every environment a unique name", notes: [DiagnosticNote("first defined here", at: first)])
                continue
            }
            seen[name.value] = name.location
            let count = spec.value(at: "environments[\(index)].overlays")?.elements?.count ?? 0
            let overlays = (0..<count).compactMap { located("spec.environments[\(index)].overlays[\($0)]") }
            environments.append(EnvironmentRequest(name: name, overlays: overlays))
        }
        let output = located("spec.output") ?? Located("gitops", at: root.location)
        // The output may be anywhere (another checkout, a preview folder), but never the project
        // folder itself or a folder that holds it: environment folders would land among the specs.
        var base = (path as NSString).deletingLastPathComponent
        if !base.hasPrefix("/") { base = FileManager.default.currentDirectoryPath + "/" + base }
        let standardBase = (base as NSString).standardizingPath
        let outputRoot = ((output.value.hasPrefix("/") ? output.value : standardBase + "/" + output.value) as NSString)
            .standardizingPath
        if output.value.isEmpty || output.value.utf8.contains(0) || outputRoot == standardBase
            || standardBase.hasPrefix(outputRoot == "/" ? "/" : outputRoot + "/")
        {
            diagnostics.error(
                .outputPath,
                "output folder '\(output.value)' must be a folder of its own, not the project folder or one holding it",
                at: output.location, help: "use a folder such as gitops")
            return nil
        }
        // Rendered files inside a spec path would be read back as specs by the next run (and a
        // spec folder inside the output would be pruned by it); git's own folder is no output.
        if outputRoot.split(separator: "/").contains(".git") {
            diagnostics.error(
                .outputPath, "output folder '\(output.value)' lies in a '.git' folder, git's own data",
                at: output.location, help: "use a folder of the work tree such as gitops")
            return nil
        }
        for spec in specs {
            let specRoot = ((spec.value.hasPrefix("/") ? spec.value : standardBase + "/" + spec.value) as NSString)
                .standardizingPath
            let outputInSpecs = outputRoot == specRoot || outputRoot.hasPrefix(specRoot == "/" ? "/" : specRoot + "/")
            guard outputInSpecs || specRoot.hasPrefix(outputRoot + "/") else { continue }
            diagnostics.error(
                .outputPath,
                outputInSpecs
                    ? "output folder '\(output.value)' lies inside the spec path '\(spec.value)': the next run would read the rendered manifests as specs"
                    : "spec path '\(spec.value)' lies inside the output folder '\(output.value)': rendering would prune or overwrite it",
                at: output.location, help: "keep the output folder (e.g. gitops) apart from every spec path",
                notes: [DiagnosticNote("the spec path is named here", at: spec.location)])
            return nil
        }
        var project = Project(
            file: display, baseDirectory: (path as NSString).deletingLastPathComponent, specs: specs, output: output,
            environments: environments)
        if let name = root["metadata"]?["name"], let text = name.scalar?.value, !text.isEmpty {
            project.name = Located(text, at: name.location)
        }
        return project
    }
}

/// Finds the spec files a project names: files as given, folders searched recursively for
/// `*.yaml`/`*.yml`. Paths that leave the project through `..` or symlinks are refused.
public enum SpecFileFinder {
    public struct Found: Sendable, Hashable {
        /// Absolute or cwd-relative path to read.
        public var path: String
        /// Path shown in diagnostics.
        public var displayPath: String
        /// The file's bytes when they come from memory (the fuzz target) rather than `path`.
        public var contents: [UInt8]?

        public init(path: String, displayPath: String, contents: [UInt8]? = nil) {
            self.path = path
            self.displayPath = displayPath
            self.contents = contents
        }
    }

    public static func find(
        _ entries: [Located<String>], baseDirectory: String, confineTo root: String?, diagnostics: DiagnosticCollector
    ) -> [Found] {
        let manager = FileManager.default
        var found: Set<Found> = []
        let realRoot = root.map { URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath().path }
        for entry in entries {
            let path = entry.value.hasPrefix("/") ? entry.value : (baseDirectory as NSString).appendingPathComponent(entry.value)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.error(
                    .specNotFound, "spec path '\(entry.value)' does not exist", at: entry.location,
                    help: "check the path; it is relative to the project file")
                continue
            }
            var candidates: [String] = []
            if isDirectory.boolValue {
                var visited: Set<String> = []
                // Symbolic links to folders are followed only while they stay inside the project
                // (ad hoc: inside the folder named), so `specs/x -> /` is reported, not crawled.
                let confinement =
                    realRoot ?? URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
                var escapes: [(path: String, target: String)] = []
                collectYAMLFiles(
                    in: path, into: &candidates, visited: &visited, confinedTo: confinement, escapes: &escapes)
                for escape in escapes {
                    diagnostics.error(
                        .specNotFound,
                        "spec folder '\(OverlayLoader.displayPath(escape.path, relativeTo: baseDirectory))' resolves outside the project (to \(escape.target)); it was not searched",
                        at: entry.location, help: "keep spec files inside the project; symbolic links may not leave it")
                }
            } else {
                candidates.append(path)
            }
            for candidate in candidates.sorted() {
                let display = OverlayLoader.displayPath(candidate, relativeTo: baseDirectory)
                if let realRoot {
                    let real = URL(fileURLWithPath: candidate).standardizedFileURL.resolvingSymlinksInPath().path
                    if real != realRoot && !real.hasPrefix(realRoot + "/") {
                        diagnostics.error(
                            .specNotFound, "spec file '\(display)' resolves outside the project (\(real))",
                            at: entry.location, help: "keep spec files inside the project; symlinks may not leave it")
                        continue
                    }
                }
                found.insert(Found(path: candidate, displayPath: display))
            }
        }
        return found.sorted { $0.displayPath < $1.displayPath }
    }

    /// Walks a folder for `*.yaml`/`*.yml`, following symlinked folders (their targets are then
    /// confined like any file) and never visiting a real folder twice (symlink loops).
    static func collectYAMLFiles(
        in folder: String, into result: inout [String], visited: inout Set<String>, confinedTo root: String,
        escapes: inout [(path: String, target: String)]
    ) {
        let real = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        if real != root && !real.hasPrefix(root == "/" ? "/" : root + "/") {
            escapes.append((folder, real))
            return
        }
        guard visited.insert(real).inserted else { return }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        for name in names where !name.hasPrefix(".") {
            let path = (folder as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                if name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                    // A folder named like a spec file is reported when it is read.
                    result.append(path)
                } else {
                    collectYAMLFiles(in: path, into: &result, visited: &visited, confinedTo: root, escapes: &escapes)
                }
            } else if name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                result.append(path)
            }
        }
    }
}
