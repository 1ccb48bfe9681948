import Foundation

/// A commit of the GitOps repository.
public struct GitCommit: Sendable, Equatable {
    public var sha: String
    /// Committer date, `YYYY-MM-DD`.
    public var date: String
    public var subject: String

    public init(sha: String, date: String, subject: String) {
        self.sha = sha
        self.date = date
        self.subject = subject
    }

    public var shortSHA: String { String(sha.prefix(12)) }

    /// The subject cut to 72 characters (with `…`) for a one-line report; JSON keeps it whole.
    public var shortSubject: String { subject.count <= 72 ? subject : String(subject.prefix(71)) + "…" }
}

/// Which commit put each rendered file into an environment's tree: the git revision a Job was
/// rendered from. A Job's name is its content hash and `nbgitops check` keeps the tree equal to
/// what its commit's specs render, so the commit that added `…/5-job-<name>.yaml` is the one whose
/// specs produced that Job. The rendered bytes cannot hold that commit (they are part of it), so
/// `nbgitops results` reads it from the repository's history, with one `git log`.
public struct RenderHistory: Sendable, Equatable {
    /// By path relative to the environment's tree folder: the newest commit that added it.
    public var additions: [String: GitCommit]
    /// Files a shallow clone's oldest commits hold: committed, but by which commit is cut off
    /// (every file looks added there).
    public var cutOff: Set<String>
    /// Whether the tree is in a git work tree at all (if not, nothing is said about revisions).
    public var isTracked: Bool

    public init(additions: [String: GitCommit], cutOff: Set<String> = [], isTracked: Bool) {
        self.additions = additions
        self.cutOff = cutOff
        self.isTracked = isTracked
    }

    public static let untracked = RenderHistory(additions: [:], isTracked: false)

    /// Whether `file` is in a commit of the history.
    public func isCommitted(_ file: String) -> Bool { additions[file] != nil || cutOff.contains(file) }

    /// The history of `folder` (an environment's tree), or `untracked` when it is not in a git
    /// work tree or git cannot be run. `git` names the binary (tests may pass another).
    public static func read(folder: String, git: String = "git") -> RenderHistory {
        guard let prefix = run(git, ["-C", folder, "rev-parse", "--show-prefix"]) else { return .untracked }
        let treePrefix = prefix.trimmingCharacters(in: .whitespacesAndNewlines)
        // Newest first; --no-renames: a renamed Job file is a new Job (its name is its hash).
        guard
            let log = run(
                git,
                [
                    "-C", folder, "log", "--diff-filter=A", "--no-renames", "--name-only",
                    "--format=%x1e%H%x1f%cs%x1f%s", "--", ".",
                ])
        else { return .untracked }
        var history = RenderHistory(additions: parse(log: log, treePrefix: treePrefix), isTracked: true)
        // A shallow clone (actions/checkout's default depth 1) lists its oldest commits in
        // `$GIT_DIR/shallow`; what they "add" was added earlier, by a commit it does not have.
        if let path = run(git, ["-C", folder, "rev-parse", "--git-path", "shallow"])?
            .trimmingCharacters(in: .whitespacesAndNewlines),
            let text = try? String(
                contentsOfFile: path.hasPrefix("/") ? path : folder + "/" + path, encoding: .utf8)
        {
            history.cutOff(at: Set(text.split(separator: "\n").map(String.init)))
        }
        return history
    }

    /// Moves the additions of the `boundary` commits to `cutOff`.
    mutating func cutOff(at boundary: Set<String>) {
        for (file, commit) in additions where boundary.contains(commit.sha) {
            additions[file] = nil
            cutOff.insert(file)
        }
    }

    /// Parses `git log --name-only --format=%x1e%H%x1f%cs%x1f%s` output; paths (relative to the
    /// repository root) are made relative to `treePrefix`, and the first (newest) addition wins.
    static func parse(log: String, treePrefix: String) -> [String: GitCommit] {
        var additions: [String: GitCommit] = [:]
        for record in log.split(separator: "\u{1E}") {
            var lines = record.split(separator: "\n", omittingEmptySubsequences: true)
            guard !lines.isEmpty else { continue }
            let fields = lines.removeFirst().split(separator: "\u{1F}", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let commit = GitCommit(sha: String(fields[0]), date: String(fields[1]), subject: String(fields[2]))
            for line in lines {
                var path = String(line)
                guard path.hasPrefix(treePrefix) else { continue }
                path.removeFirst(treePrefix.count)
                if additions[path] == nil { additions[path] = commit }
            }
        }
        return additions
    }

    /// The commit that added the file of the Job `name` (for a Job the tree no longer has:
    /// any file of the tree's history named `<wave>-job-<name>.yaml`).
    public func commit(forFile file: String?, jobName name: String) -> GitCommit? {
        if let file { return additions[file] }
        let suffix = "-job-\(name).yaml"
        return additions.filter { $0.key.split(separator: "/").last?.hasSuffix(suffix) == true }
            .min { $0.key < $1.key }?.value
    }

    private static func run(_ git: String, _ arguments: [String]) -> String? {
        (try? ExternalCommand.output(of: git, arguments)).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// An Argo CD Application or Flux Kustomization an environment's tree renders (its `delivery/`
/// folder): what applies the Jobs, and whose status says from which git revision it did.
public struct RenderedDelivery: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case argoApplication = "Argo CD Application"
        case fluxKustomization = "Flux Kustomization"

        /// `kubectl get` resource name.
        public var resource: String {
            switch self {
            case .argoApplication: return "applications.argoproj.io"
            case .fluxKustomization: return "kustomizations.kustomize.toolkit.fluxcd.io"
            }
        }
    }

    public var kind: Kind
    public var name: String
    public var namespace: String

    public init(kind: Kind, name: String, namespace: String) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
    }

    public var description: String { "\(kind.rawValue) \(namespace)/\(name)" }

    /// Every Application / Kustomization under `folder` (an environment's rendered tree), sorted.
    public static func load(fromTree folder: String, diagnostics: DiagnosticCollector) -> [RenderedDelivery] {
        RenderedTree.load(folder: folder, diagnostics: diagnostics).deliveries
    }

    /// The delivery object a rendered document is, if it is one.
    init?(_ root: YAMLNode) {
        guard let apiVersion = root["apiVersion"]?.scalar?.value, let kind = root["kind"]?.scalar?.value,
            let delivery = Kind(apiVersion: apiVersion, kind: kind), let name = root["metadata"]?["name"]?.scalar?.value
        else { return nil }
        self.init(kind: delivery, name: name, namespace: root["metadata"]?["namespace"]?.scalar?.value ?? "")
    }
}

extension RenderedDelivery.Kind {
    init?(apiVersion: String, kind: String) {
        let group = apiVersion.split(separator: "/").first.map(String.init) ?? ""
        switch (group, kind) {
        case ("argoproj.io", "Application"): self = .argoApplication
        case ("kustomize.toolkit.fluxcd.io", "Kustomization"): self = .fluxKustomization
        default: return nil
        }
    }
}
