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
    /// The starter spec: commented out (`uncommented` gives the spec), so that a scaffold
    /// rendered and committed as it is deploys no Job cloning a repository that does not exist.
    public static let starterSpec = "specs/example.yaml"
    /// What `init` says about the starter spec.
    public static let starterNote =
        "\(starterSpec) is commented out: no notebook is validated until you uncomment it and set its repository, notebook and image"

    public struct File: Sendable, Hashable {
        /// Relative to the target folder.
        public var path: String
        public var bytes: [UInt8]
    }

    /// The scaffold's files, sorted by path; nil (with errors) when a template is missing or
    /// invalid, or `repositoryURL` is not a URL Argo CD and Flux both clone.
    public static func files(
        resources: ResourceRoot, repositoryURL: String?, revision: String? = nil, diagnostics: DiagnosticCollector
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
                // The starter spec must be a spec once uncommented, and nothing before.
                let documents = YAMLLoader.load(
                    bytes: path == starterSpec ? uncommented(bytes) : bytes, file: display, diagnostics: diagnostics)
                guard diagnostics.errorCount == errors, !documents.isEmpty,
                    path != starterSpec
                        || (YAMLLoader.load(bytes: bytes, file: display, diagnostics: diagnostics).isEmpty
                            && documents.first?.root["kind"]?.scalar?.value == "NotebookValidationJob")
                else {
                    if diagnostics.errorCount == errors {
                        diagnostics.error(
                            .buildTemplateInvalid, "the init template holds no document of the expected shape",
                            at: .startOf(display), help: "reinstall nbgitops")
                    }
                    return nil
                }
                if path == siteOverlay, let repositoryURL {
                    guard let patched = patchRepositoryURL(bytes, url: repositoryURL, display: display, diagnostics: diagnostics)
                    else { return nil }
                    bytes = patched
                }
                if path == siteOverlay, let revision, revision != templateRevision {
                    guard
                        let patched = patchScalar(
                            bytes, field: "revision", from: templateRevision, to: revision, display: display,
                            diagnostics: diagnostics)
                    else { return nil }
                    bytes = patched
                }
            }
            files.append(File(path: path, bytes: bytes))
        }
        return files
    }

    /// The commented starter spec with its spec lines uncommented: every line from the first
    /// `# apiVersion:` on loses its leading `# ` (a lone `#` becomes an empty line).
    public static func uncommented(_ bytes: [UInt8]) -> [UInt8] {
        var lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.hasPrefix("# apiVersion:") }) else { return [] }
        for index in start..<lines.count {
            if lines[index].hasPrefix("# ") {
                lines[index].removeFirst(2)
            } else if lines[index] == "#" {
                lines[index] = ""
            }
        }
        return Array(lines[start...].joined(separator: "\n").utf8)
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
            return
                "it must start with https://, http:// or ssh://, or be git's [user@]host:path form (Flux's GitRepository accepts no other)"
        }
        guard url.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" }) else {
            return "it must be printable ASCII without spaces, quotes or backslashes"
        }
        return nil
    }

    /// The revision the site overlay template follows until `init` knows the branch.
    public static let templateRevision = "main"

    /// Replaces the empty `repositoryURL: ""` value at the parser's location with `"<url>"`.
    static func patchRepositoryURL(
        _ bytes: [UInt8], url: String, display: String, diagnostics: DiagnosticCollector
    ) -> [UInt8]? {
        let commandLine = SourceLocation(file: "<command line>", line: 1, column: 1)
        if let problem = urlProblem(url) {
            diagnostics.error(
                .gitURL, "--repository-url '\(GitChecks.redacted(url))' is not a repository URL: \(problem)",
                at: commandLine,
                help:
                    "pass the URL Argo CD and Flux clone, e.g. https://github.com/org/repo.git or git@github.com:org/repo.git")
            return nil
        }
        // Credentials, a missing repository path, an unknown scheme: the render's own checks.
        let errors = diagnostics.errorCount
        GitChecks.checkURL(Located(url, at: commandLine), diagnostics: diagnostics)
        guard diagnostics.errorCount == errors else { return nil }
        return patchScalar(bytes, field: "repositoryURL", from: "", to: url, display: display, diagnostics: diagnostics)
    }

    /// Replaces the value of `spec.delivery.<field>` (written `from`: `""` or a plain scalar)
    /// at the parser's location with `"<to>"`, and parses the result again to prove it.
    static func patchScalar(
        _ bytes: [UInt8], field: String, from: String, to value: String, display: String,
        diagnostics: DiagnosticCollector
    ) -> [UInt8]? {
        let written = Array((from.isEmpty ? "\"\"" : from).utf8)
        let node = YAMLLoader.load(bytes: bytes, file: display, diagnostics: DiagnosticCollector())
            .first?.root["spec"]?["delivery"]?[field]
        guard let node, node.scalar?.value == from, let offset = byteOffset(of: node.location, in: bytes),
            bytes[offset...].starts(with: written)
        else {
            diagnostics.error(
                .buildTemplateInvalid,
                "the init template has no spec.delivery.\(field): \(from.isEmpty ? "\"\"" : from) to fill in",
                at: .startOf(display), help: "reinstall nbgitops")
            return nil
        }
        let patched = Array(bytes[..<offset]) + Array("\"\(value)\"".utf8) + Array(bytes[(offset + written.count)...])
        let check = YAMLLoader.load(bytes: patched, file: display, diagnostics: DiagnosticCollector())
        guard check.first?.root["spec"]?["delivery"]?[field]?.scalar?.value == value else {
            diagnostics.error(
                .buildTemplateInvalid, "filling in delivery.\(field) did not give a valid overlay", at: .startOf(display))
            return nil
        }
        return patched
    }

    /// A remote as git prints it, in the form Argo CD and Flux both clone. The scp-like form
    /// `[user@]host:path` (`git@github.com:org/repo.git`) becomes `ssh://[user@]host/path`:
    /// Flux's GitRepository accepts only `http://`, `https://` and `ssh://` URLs (its CRD's
    /// `spec.url` pattern), Argo CD accepts both forms. Anything else is returned as it is.
    public static func cloneURL(_ remote: String) -> (url: String, converted: Bool) {
        guard !remote.contains("://"), let colon = remote.firstIndex(of: ":") else { return (remote, false) }
        let authority = remote[..<colon]
        var path = remote[remote.index(after: colon)...]
        // git reads `a/b:c` as a local path: a slash before the first colon is no scp form.
        guard !authority.isEmpty, !authority.contains("/"), !path.isEmpty else { return (remote, false) }
        let host = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        guard !host.isEmpty, !host.hasPrefix("[") || host.hasSuffix("]") else { return (remote, false) }
        if path.hasPrefix("/") { path = path.dropFirst() }
        return ("ssh://\(authority)/\(path)", true)
    }

    /// What git says about the repository a folder is in: its `origin` remote and the branch
    /// HEAD is on. `note` says why either is missing (no git, not a repository, detached HEAD).
    public struct GitFacts: Sendable, Equatable {
        public var origin: String?
        public var branch: String?
        public var branchNote: String?
        public var originNote: String?
    }

    /// Asks git in `directory` (or, when it does not exist yet, its nearest existing parent).
    public static func gitFacts(at directory: String) -> GitFacts {
        // Absolute (against the current folder), then up while it does not exist.
        var url = URL(fileURLWithPath: directory).standardizedFileURL
        var isDirectory: ObjCBool = false
        while !(FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue),
            url.pathComponents.count > 1
        {
            url = url.deletingLastPathComponent()
        }
        let folder = url.path
        func git(_ arguments: [String]) -> Result<String, ExternalCommand.Failure> {
            do {
                let data = try ExternalCommand.output(of: "git", ["-C", folder] + arguments)
                return .success(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            } catch let failure as ExternalCommand.Failure {
                return .failure(failure)
            } catch {
                return .failure(.cannotRun("\(error)"))
            }
        }
        var facts = GitFacts()
        switch git(["rev-parse", "--is-inside-work-tree"]) {
        case .success:
            break
        case .failure(.cannotRun), .failure(.exited(127, _)):
            facts.originNote = "git cannot be run here"
            facts.branchNote = facts.originNote
            return facts
        case .failure:
            facts.originNote = "'\(folder)' is not in a git repository"
            facts.branchNote = facts.originNote
            return facts
        }
        // The URL as configured: `git remote get-url` applies this machine's `url.<base>.insteadOf`
        // rewrites, which the cluster's Argo CD or Flux do not have.
        switch git(["config", "--get", "remote.origin.url"]) {
        case .success(let url) where !url.isEmpty: facts.origin = url
        default: facts.originNote = "the git repository has no remote 'origin'"
        }
        // `symbolic-ref` names the branch of a repository without commits too; it fails on a
        // detached HEAD, where `rev-parse --abbrev-ref HEAD` would print "HEAD".
        switch git(["symbolic-ref", "--short", "-q", "HEAD"]) {
        case .success(let branch) where !branch.isEmpty: facts.branch = branch
        default: facts.branchNote = "HEAD is detached (on no branch)"
        }
        return facts
    }

    /// The repository URL and revision `init` writes, and what it tells the user about them.
    public struct Settings: Sendable, Equatable {
        /// Nil: overlays/site.yaml keeps its empty repositoryURL (render stops there until set).
        public var repositoryURL: String?
        public var revision: String
        /// One line each: where a value came from, or why the default was kept.
        public var notes: [String]
    }

    /// `--repository-url` (or, without it, git's `origin` of `directory`) in the form Argo CD
    /// and Flux clone, and `--revision` (or the current branch; `main` on a detached HEAD or
    /// outside git). Nil, with an error, when a value the user passed cannot be written.
    public static func settings(
        repositoryURL given: String?, revision givenRevision: String?, directory: String,
        diagnostics: DiagnosticCollector
    ) -> Settings? {
        let commandLine = SourceLocation(file: "<command line>", line: 1, column: 1)
        let facts =
            given == nil || givenRevision == nil
            ? gitFacts(at: directory) : GitFacts(origin: nil, branch: nil, branchNote: nil, originNote: nil)
        var settings = Settings(repositoryURL: nil, revision: templateRevision, notes: [])
        if let given {
            let clone = cloneURL(given)
            settings.repositoryURL = clone.url
            if clone.converted {
                settings.notes.append(
                    "delivery.repositoryURL: \(clone.url), written for '\(given)': Flux's GitRepository accepts only http://, https:// and ssh:// URLs (Argo CD clones either form)"
                )
            }
        } else if let origin = facts.origin {
            let clone = cloneURL(origin)
            let quiet = DiagnosticCollector()
            GitChecks.checkURL(Located(clone.url, at: commandLine), diagnostics: quiet)
            if let problem = urlProblem(clone.url) ?? quiet.diagnostics.first(where: { $0.severity == .error })?.message {
                settings.notes.append(
                    "delivery.repositoryURL left empty: the remote 'origin' (\(GitChecks.redacted(origin))) is not a URL Argo CD and Flux can clone (\(problem)); set it in overlays/site.yaml"
                )
            } else {
                settings.repositoryURL = clone.url
                settings.notes.append(
                    "delivery.repositoryURL: \(clone.url), from git's remote 'origin'"
                        + (clone.converted
                            ? " ('\(origin)'; Flux's GitRepository accepts only http://, https:// and ssh:// URLs)" : ""))
            }
        } else {
            settings.notes.append(
                "delivery.repositoryURL left empty: no --repository-url and \(facts.originNote ?? "no remote 'origin'")")
        }
        if let givenRevision {
            if let problem = revisionProblem(givenRevision) {
                diagnostics.error(
                    .gitRef, "--revision '\(givenRevision)' cannot be delivery.revision: \(problem)", at: commandLine,
                    help: "pass the branch, tag or commit Argo CD and Flux follow, e.g. main")
                return nil
            }
            settings.revision = givenRevision
        } else if let branch = facts.branch, revisionProblem(branch) == nil {
            settings.revision = branch
            settings.notes.append("delivery.revision: \(branch), the current branch")
        } else {
            let why = facts.branch.map { "the current branch '\($0)' cannot be written there" } ?? facts.branchNote ?? "no branch"
            settings.notes.append(
                "delivery.revision: \(templateRevision), the default (\(why)); set it in overlays/site.yaml to the branch Argo CD and Flux follow, or pass --revision"
            )
        }
        return settings
    }

    /// Why `revision` cannot be written as delivery.revision, or nil.
    static func revisionProblem(_ revision: String) -> String? {
        guard revision.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" })
        else { return "it must be printable ASCII without spaces, quotes or backslashes" }
        let quiet = DiagnosticCollector()
        GitChecks.checkRef(Located(revision, at: .startOf("<command line>")), diagnostics: quiet)
        return quiet.hasErrors ? "it is not a valid git branch, tag or commit name" : nil
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
