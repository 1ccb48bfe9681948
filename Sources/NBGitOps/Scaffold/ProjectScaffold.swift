import Foundation

/// The starter repository `nbgitops init` writes: a project file with two environments
/// (OpenShift + Argo CD, Kubernetes + Flux), a commented site overlay, one example spec and a
/// CI workflow that runs the reusable action.
///
/// The files are plain YAML under `templates/init/` of the resource root, copied byte for byte
/// so their comments survive. Each is loaded before anything is written: a template that does
/// not parse is an error, never a broken scaffold. The one value `init` fills in, the
/// repository URL, is placed at the node the parser found for `spec.delivery.repositoryURL`,
/// and the patched file is parsed again to prove the tree now holds exactly that URL.
public enum ProjectScaffold {
    /// Under the resource root.
    public static let templateFolder = "templates/init"
    /// The overlay that carries the repository URL.
    public static let siteOverlay = "overlays/site.yaml"

    public struct File: Sendable, Hashable {
        /// Relative to the target folder.
        public var path: String
        public var bytes: [UInt8]
    }

    /// The scaffold's files, sorted by path; nil (with errors) when a template is missing or
    /// invalid, or `repositoryURL` is not a URL Argo CD and Flux both clone.
    public static func files(
        resources: ResourceRoot, repositoryURL: String?, diagnostics: DiagnosticCollector
    ) -> [File]? {
        let root = (resources.path as NSString).appendingPathComponent(templateFolder)
        let paths = templatePaths(under: root)
        guard paths.contains(siteOverlay), paths.contains(Project.defaultFileName) else {
            diagnostics.error(
                .resourcesMissing, "the init templates are missing from '\(root)'",
                at: .startOf("\(templateFolder)/\(Project.defaultFileName)"),
                help: "reinstall nbgitops: the resource folder must hold \(templateFolder)/")
            return nil
        }
        var files: [File] = []
        for path in paths {
            let display = "\(templateFolder)/\(path)"
            guard let data = FileManager.default.contents(atPath: (root as NSString).appendingPathComponent(path)) else {
                diagnostics.error(.ioRead, "cannot read the init template", at: .startOf(display))
                return nil
            }
            var bytes = [UInt8](data)
            if path.hasSuffix(".yaml") || path.hasSuffix(".yml") {
                let errors = diagnostics.errorCount
                let documents = YAMLLoader.load(bytes: bytes, file: display, diagnostics: diagnostics)
                guard diagnostics.errorCount == errors, !documents.isEmpty else { return nil }
                if path == siteOverlay, let repositoryURL {
                    guard let patched = patchRepositoryURL(bytes, url: repositoryURL, display: display, diagnostics: diagnostics)
                    else { return nil }
                    bytes = patched
                }
            }
            files.append(File(path: path, bytes: bytes))
        }
        return files
    }

    /// Writes `files` into `directory` (created if missing). Refuses, writing nothing, when any
    /// of them already exists: `init` never overwrites a file.
    public static func write(_ files: [File], into directory: String, diagnostics: DiagnosticCollector) -> Bool {
        let manager = FileManager.default
        let existing = files.map(\.path).filter { path in
            var isDirectory: ObjCBool = false
            return manager.fileExists(atPath: (directory as NSString).appendingPathComponent(path), isDirectory: &isDirectory)
        }
        if !existing.isEmpty {
            diagnostics.error(
                .outputWrite,
                "'\(directory)' already has \(existing.joined(separator: ", ")); nbgitops init does not overwrite files",
                at: SourceLocation(file: "<command line>", line: 1, column: 1),
                help: "run it in an empty folder (nbgitops init DIR), or move those files away first")
            return false
        }
        for file in files {
            let target = (directory as NSString).appendingPathComponent(file.path)
            do {
                try manager.createDirectory(
                    atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            } catch {
                diagnostics.error(.outputWrite, "cannot create the folder for \(target): \(error)", at: nil)
                return false
            }
            guard manager.createFile(atPath: target, contents: Data(file.bytes)) else {
                diagnostics.error(.outputWrite, "cannot write \(target)", at: nil)
                return false
            }
        }
        return true
    }

    /// Every file under `root` (dot folders such as `.github/` included), relative, sorted.
    static func templatePaths(under root: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var paths: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let full = (root as NSString).appendingPathComponent(path)
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                paths.append(path)
            }
        }
        return paths.sorted(by: precedesInByteOrder)
    }

    /// The characters a repository URL may hold here: printable ASCII without quotes,
    /// backslashes or spaces, so that it is one double-quoted YAML scalar with no escapes.
    static func urlProblem(_ url: String) -> String? {
        guard url.hasPrefix("https://") || url.hasPrefix("http://") || url.hasPrefix("ssh://") else {
            return "it must start with https://, http:// or ssh:// (Flux's GitRepository accepts no other form)"
        }
        guard url.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" }) else {
            return "it must be printable ASCII without spaces, quotes or backslashes"
        }
        return nil
    }

    /// Replaces the empty `repositoryURL: ""` value at the parser's location with `"<url>"`.
    static func patchRepositoryURL(
        _ bytes: [UInt8], url: String, display: String, diagnostics: DiagnosticCollector
    ) -> [UInt8]? {
        let commandLine = SourceLocation(file: "<command line>", line: 1, column: 1)
        if let problem = urlProblem(url) {
            diagnostics.error(
                .gitURL, "--repository-url '\(url)' is not a repository URL: \(problem)", at: commandLine,
                help: "pass the URL Argo CD and Flux clone, e.g. https://github.com/org/repo.git")
            return nil
        }
        let node = YAMLLoader.load(bytes: bytes, file: display, diagnostics: DiagnosticCollector())
            .first?.root["spec"]?["delivery"]?["repositoryURL"]
        guard let node, node.scalar?.value == "", let offset = byteOffset(of: node.location, in: bytes),
            bytes[offset...].starts(with: Array("\"\"".utf8))
        else {
            diagnostics.error(
                .buildTemplateInvalid, "the init template has no empty spec.delivery.repositoryURL: \"\" to fill in",
                at: .startOf(display), help: "reinstall nbgitops")
            return nil
        }
        let patched = Array(bytes[..<offset]) + Array("\"\(url)\"".utf8) + Array(bytes[(offset + 2)...])
        let check = YAMLLoader.load(bytes: patched, file: display, diagnostics: DiagnosticCollector())
        guard check.first?.root["spec"]?["delivery"]?["repositoryURL"]?.scalar?.value == url else {
            diagnostics.error(
                .buildTemplateInvalid, "filling in the repository URL did not give a valid overlay", at: .startOf(display))
            return nil
        }
        return patched
    }

    /// The byte offset of a 1-based line and column in ASCII text.
    static func byteOffset(of location: SourceLocation, in bytes: [UInt8]) -> Int? {
        var line = 1
        var index = 0
        while line < location.line {
            guard let newline = bytes[index...].firstIndex(of: 0x0A) else { return nil }
            index = newline + 1
            line += 1
        }
        let offset = index + location.column - 1
        return offset < bytes.count ? offset : nil
    }
}
