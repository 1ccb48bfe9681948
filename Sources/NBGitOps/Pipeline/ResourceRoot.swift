import Foundation

/// Where the compiler's own resources live: `overlays/` (the built-in overlays), `templates/`
/// (the pod scripts and YAML bodies) and `docs/rules/` (the rule pages `nbgitops rules` prints).
/// The schemas the decoder validates against are compiled into the library, not read from here.
///
/// Installed, the folder is `<prefix>/share/nbgitops` beside `<prefix>/bin/nbgitops`
/// (`make install`, the container image); in a source checkout it is the checkout itself, found
/// by walking up from the built executable (`.build/<configuration>/nbgitops`, pre-commit's
/// `swift_env*/.build/release/nbgitops`). Either way the resources are the ones that came with
/// the binary, never a folder that happens to lie near the project being compiled.
public struct ResourceRoot: Sendable, Hashable {
    public var path: String

    public init(path: String) {
        self.path = path
    }

    /// The folders every resource root holds.
    public static let requiredFolders = ["overlays", "templates/scripts", "templates/tekton", "templates/argocd", "docs/rules"]

    /// `<prefix>/share/nbgitops` for an executable at `<prefix>/bin/nbgitops`.
    public static let installedRelativePath = "../share/nbgitops"

    /// The required folders missing under `path` (empty: a usable root).
    public static func missingFolders(at path: String) -> [String] {
        requiredFolders.filter { folder in
            var isDirectory: ObjCBool = false
            let full = (path as NSString).appendingPathComponent(folder)
            return !(FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) && isDirectory.boolValue)
        }
    }

    public static func isValid(_ path: String) -> Bool { missingFolders(at: path).isEmpty }

    /// Finds the resources for an executable.
    ///
    /// - `home`: the value of `NBGITOPS_HOME`, if set. It must be a complete resource root: a
    ///   set but unusable `NBGITOPS_HOME` is an error, never silently passed over.
    /// - `executable`: the running executable's real path (`/proc/self/exe`); its installed
    ///   layout is tried first, then its ancestors (a source checkout).
    ///
    /// On failure reports one located error that names what is missing and every place looked.
    public static func locate(home: String?, executable: String?, diagnostics: DiagnosticCollector) -> ResourceRoot? {
        let required = requiredFolders.map { $0 + "/" }.joined(separator: ", ")
        if let home, !home.isEmpty {
            let missing = missingFolders(at: home)
            if missing.isEmpty { return ResourceRoot(path: standardized(home)) }
            diagnostics.error(
                .resourcesMissing,
                "NBGITOPS_HOME='\(home)' is not an nbgitops resource folder: it has no \(missing.map { $0 + "/" }.joined(separator: ", "))",
                at: environmentLocation,
                help:
                    "point NBGITOPS_HOME at a folder laid out like <prefix>/share/nbgitops (\(required)), or unset it to use the resources installed with the binary"
            )
            return nil
        }
        var looked: [String] = []
        if let executable {
            let folder = (standardized(executable) as NSString).deletingLastPathComponent
            let installed = standardized((folder as NSString).appendingPathComponent(installedRelativePath))
            looked.append(installed)
            if isValid(installed) { return ResourceRoot(path: installed) }
            var current = folder
            for _ in 0..<12 {
                looked.append(current)
                if isValid(current) { return ResourceRoot(path: current) }
                let parent = (current as NSString).deletingLastPathComponent
                if parent == current || parent.isEmpty { break }
                current = parent
            }
        }
        let places = looked.isEmpty ? "(the executable's path is unknown)" : looked.joined(separator: ", ")
        diagnostics.error(
            .resourcesMissing,
            "cannot find nbgitops' resources (\(required)); looked in \(places)",
            at: environmentLocation,
            help:
                "install nbgitops with `make install PREFIX=<prefix>` (binary in <prefix>/bin, resources in <prefix>/share/nbgitops), run it from a source checkout, or set NBGITOPS_HOME to a resource folder"
        )
        return nil
    }

    /// Where errors about the installation point: the process environment, not a file.
    static let environmentLocation = SourceLocation(file: "<environment>", line: 1, column: 1)

    /// The real path of the running executable: `/proc/self/exe` on Linux (symbolic links in
    /// `PATH` resolved), else `argv[0]` made absolute.
    public static func currentExecutablePath() -> String? {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return resolved
        }
        guard let first = CommandLine.arguments.first, !first.isEmpty else { return nil }
        if first.hasPrefix("/") { return URL(fileURLWithPath: first).resolvingSymlinksInPath().path }
        if first.contains("/") {
            let absolute = (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(first)
            return URL(fileURLWithPath: absolute).resolvingSymlinksInPath().path
        }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = (String(folder) as NSString).appendingPathComponent(first)
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return URL(fileURLWithPath: candidate).resolvingSymlinksInPath().path
            }
        }
        return nil
    }

    private static func standardized(_ path: String) -> String {
        let absolute =
            path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        return URL(fileURLWithPath: absolute).standardized.path
    }

    /// The pod scripts shipped in `templates/scripts/` (top level only; tests excluded).
    public func scripts(diagnostics: DiagnosticCollector) -> [ScriptFile] {
        let folder = (path as NSString).appendingPathComponent("templates/scripts")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".sh") || $0.hasSuffix(".py") }.sorted()
        return names.compactMap { name in
            let file = (folder as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                diagnostics.error(.ioRead, "cannot read template script", at: .startOf("templates/scripts/\(name)"))
                return nil
            }
            return ScriptFile(name: name, contents: text)
        }
    }

    /// The image-build templates: Tekton Tasks and scripts in `templates/tekton/`, Argo CD
    /// health checks in `templates/argocd/`. Missing folders give empty templates (the Plan
    /// stage reports NBG153 only when a job actually builds).
    public func buildTemplates(diagnostics: DiagnosticCollector) -> BuildTemplates {
        var templates = BuildTemplates()
        let manager = FileManager.default
        let tekton = (path as NSString).appendingPathComponent("templates/tekton")
        for name in ((try? manager.contentsOfDirectory(atPath: tekton)) ?? []).sorted() {
            let file = (tekton as NSString).appendingPathComponent(name)
            let display = "templates/tekton/\(name)"
            if name.hasSuffix(".yaml") {
                for document in YAMLLoader.load(path: file, displayName: display, diagnostics: diagnostics) {
                    templates.tasks.append(
                        BuildTemplates.Template(
                            file: display, manifest: ManifestConversion.convert(document.root)))
                }
            } else if name.hasSuffix(".sh") || name.hasSuffix(".py"), let text = Self.text(file) {
                templates.scripts.append(ScriptFile(name: name, contents: text))
            }
        }
        return templates
    }

    private static func text(_ file: String) -> String? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return String(data: data, encoding: .utf8)
    }
}
