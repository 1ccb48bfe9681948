import Foundation

/// A validation Job as the rendered tree (`gitops/<environment>/`) holds it: what the cluster
/// should be running for the revision under review.
public struct RenderedJob: Sendable, Equatable {
    public var name: String
    public var namespace: String
    /// The spec's name (`app.kubernetes.io/instance`): the same across content hashes.
    public var instance: String
    /// `file:line:column` of the spec (`specSources`), when known.
    public var source: String?
    /// The Job's file, relative to the environment's tree folder (`RenderHistory` keys).
    public var file: String?

    public init(name: String, namespace: String, instance: String, source: String?, file: String? = nil) {
        self.name = name
        self.namespace = namespace
        self.instance = instance
        self.source = source
        self.file = file
    }

    /// Where each NotebookValidationJob of the spec files is written (`file:line:column` of its
    /// `metadata.name`), by name; a name two specs share (in different namespaces) is left out.
    /// The rendered tree holds no such line (its bytes must not depend on how specs are split
    /// into files), so `nbgitops results` reads the specs.
    public static func specSources(_ files: [SpecFileFinder.Found]) -> [String: String] {
        let quiet = DiagnosticCollector()
        var documents: [YAMLDocument] = []
        for file in files {
            documents +=
                file.contents.map { YAMLLoader.load(bytes: $0, file: file.displayPath, diagnostics: quiet) }
                ?? YAMLLoader.load(path: file.path, displayName: file.displayPath, diagnostics: quiet)
        }
        var sources: [String: String] = [:]
        var shared: Set<String> = []
        for job in SpecDecoder.decode(documents, diagnostics: quiet).jobs {
            if sources[job.name.value] != nil { shared.insert(job.name.value) }
            sources[job.name.value] = job.name.location.description
        }
        for name in shared { sources[name] = nil }
        return sources
    }

    /// Every nbgitops validation Job under `folder` (an environment's rendered tree), sorted;
    /// `sources` (by spec name, `specSources`) gives each its spec's location.
    public static func load(fromTree folder: String, sources: [String: String] = [:], diagnostics: DiagnosticCollector)
        -> [RenderedJob]
    {
        RenderedTree.load(folder: folder, sources: sources, diagnostics: diagnostics).jobs
    }

    /// The validation Job a rendered document is, if it is one; `file` is its path in the tree.
    init?(_ root: YAMLNode, file: String, sources: [String: String]) {
        guard root["kind"]?.scalar?.value == "Job", let metadata = root["metadata"],
            metadata["labels"]?[LabelKey.managedBy]?.scalar?.value == LabelValue.managedBy,
            metadata["labels"]?[LabelKey.name]?.scalar?.value == LabelValue.validationPod,
            let name = metadata["name"]?.scalar?.value
        else { return nil }
        let instance = metadata["labels"]?[LabelKey.instance]?.scalar?.value ?? name
        self.init(
            name: name, namespace: metadata["namespace"]?.scalar?.value ?? "", instance: instance,
            source: sources[instance], file: file)
    }
}

/// What `nbgitops results` reads from an environment's rendered tree, in one pass over its files:
/// the validation Jobs and the delivery objects (Argo CD Applications, Flux Kustomizations).
public struct RenderedTree: Sendable, Equatable {
    public var jobs: [RenderedJob]
    public var deliveries: [RenderedDelivery]

    /// The tree under `folder`, each list sorted; `sources` (by spec name, `RenderedJob.specSources`)
    /// gives each Job its spec's location.
    public static func load(folder: String, sources: [String: String] = [:], diagnostics: DiagnosticCollector)
        -> RenderedTree
    {
        var tree = RenderedTree(jobs: [], deliveries: [])
        guard let paths = FileManager.default.subpaths(atPath: folder) else { return tree }
        for path in paths.sorted() where path.hasSuffix(".yaml") {
            for document in YAMLLoader.load(path: folder + "/" + path, diagnostics: diagnostics) {
                if let job = RenderedJob(document.root, file: path, sources: sources) {
                    tree.jobs.append(job)
                } else if let delivery = RenderedDelivery(document.root) {
                    tree.deliveries.append(delivery)
                }
            }
        }
        tree.jobs.sort { ($0.instance, $0.namespace, $0.name) < ($1.instance, $1.namespace, $1.name) }
        tree.deliveries.sort {
            ($0.kind.rawValue, $0.namespace, $0.name) < ($1.kind.rawValue, $1.namespace, $1.name)
        }
        return tree
    }
}

/// The compact verdict the validate container writes to its termination log
/// (`templates/scripts/validate-notebook.py`, `verdict_of`; format version 1).
public struct ValidationVerdict: Sendable, Equatable {
    public struct Cell: Sendable, Equatable {
        public var index: Int?
        public var error: String
    }

    public struct Comparison: Sendable, Equatable {
        public var total: Int
        public var matched: Int
        public var mismatched: Int
        public var mismatchedCells: [Int]
    }

    public var verdict: String
    public var reason: String?
    public var message: String?
    public var failedCells: [Cell]
    public var comparison: Comparison?
    public var durationSeconds: Int?
    public var commit: String?
    public var image: String?
    /// How many entries the 4096-byte limit left out.
    public var truncated: Int
    /// Where the executed notebook and full report were saved (`pvc://…/<spec>/<hash>/`,
    /// `s3://…`), or why they were not (`ResultsStore`).
    public var results: String? = nil
    public var resultsError: String? = nil

    /// Decodes a termination message; nil when it is not a version-1 verdict (an older
    /// script, or the kubelet's fallback to the log tail).
    public static func decode(_ message: String) -> ValidationVerdict? {
        if case .verdict(let verdict) = read(message) { return verdict }
        return nil
    }

    /// What a termination message holds: a verdict, nothing, or text that is not a verdict
    /// (`Unreadable`: why, and the text's start).
    public enum Reading: Sendable, Equatable {
        case verdict(ValidationVerdict)
        case empty
        case unreadable(Unreadable)
    }

    /// A termination message that is not a version-1 verdict: why, and its first characters.
    public struct Unreadable: Sendable, Equatable {
        /// At most this many characters of the message are kept.
        public static let rawLimit = 200
        public var problem: String
        /// The message's start (`rawLimit` characters, then `...` when there is more).
        public var raw: String

        public init(problem: String, message: String) {
            self.problem = problem
            self.raw = message.count > Self.rawLimit ? String(message.prefix(Self.rawLimit)) + "..." : message
        }
    }

    /// Reads a termination message, saying why when it is not a version-1 verdict.
    public static func read(_ message: String) -> Reading {
        guard !message.allSatisfy(\.isWhitespace) else { return .empty }
        func unreadable(_ problem: String) -> Reading { .unreadable(Unreadable(problem: problem, message: message)) }
        guard let data = message.data(using: .utf8), let parsed = try? JSONSerialization.jsonObject(with: data) else {
            return unreadable("it is not JSON")
        }
        guard let object = parsed as? [String: Any] else { return unreadable("it is not a JSON object") }
        guard object["v"] as? Int == 1 else {
            return unreadable(
                object["v"] == nil ? "it has no format version \"v\"" : "its format version \"v\" is not 1")
        }
        guard let verdict = object["verdict"] as? String else { return unreadable("it has no \"verdict\" string") }
        let cells = (object["failedCells"] as? [[String: Any]] ?? []).map {
            Cell(index: $0["index"] as? Int, error: $0["error"] as? String ?? "")
        }
        var comparison: Comparison?
        if let found = object["comparison"] as? [String: Any] {
            comparison = Comparison(
                total: found["total"] as? Int ?? 0, matched: found["matched"] as? Int ?? 0,
                mismatched: found["mismatched"] as? Int ?? 0, mismatchedCells: found["mismatchedCells"] as? [Int] ?? [])
        }
        return .verdict(
            ValidationVerdict(
                verdict: verdict, reason: object["reason"] as? String, message: object["message"] as? String,
                failedCells: cells, comparison: comparison, durationSeconds: object["durationSeconds"] as? Int,
                commit: object["commit"] as? String, image: object["image"] as? String,
                truncated: object["truncated"] as? Int ?? 0, results: object["results"] as? String,
                resultsError: object["resultsError"] as? String))
    }
}

/// One validation Job's result for the reviewer.
public struct ValidationResult: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable, CaseIterable {
        case pending, running, passed, failed, superseded
    }

    public var environment: String
    public var instance: String
    public var namespace: String
    public var jobName: String
    public var status: Status
    /// Why, in one line each (the verdict's cells, the pod's failure, what it waits for).
    public var details: [String]
    public var verdict: ValidationVerdict?
    /// The validate container's termination message when it is not a verdict: reported in
    /// every format, never dropped.
    public var unreadableVerdict: ValidationVerdict.Unreadable? = nil
    /// The spec's `file:line:column` (nil for a superseded Job the tree no longer has).
    public var source: String?
    /// The validate container's image as the kubelet resolved it (`imageID`: by digest).
    public var imageID: String?
    /// The git revision the Job was rendered from and the one it was applied from, where known.
    public var revision: Revision? = nil

    public struct Revision: Sendable, Equatable {
        /// The commit that added the Job's rendered file (`RenderHistory`); nil when it is not
        /// committed yet (`isCommitted` false) or the history does not reach it.
        public var renderedIn: GitCommit?
        public var isCommitted: Bool
        /// The Argo CD Application or Flux Kustomization that applied the Job (its tracking
        /// annotation or owner labels), and the revision of that apply from its status history.
        public var appliedBy: String?
        public var appliedRevision: String?
        /// The delivery tool's current revision, when its history no longer holds the apply.
        public var syncedRevision: String?
        /// The Job's file is older than a shallow clone's history.
        public var isCutOff: Bool

        public init(
            renderedIn: GitCommit?, isCommitted: Bool, isCutOff: Bool = false, appliedBy: String? = nil,
            appliedRevision: String? = nil, syncedRevision: String? = nil
        ) {
            self.renderedIn = renderedIn
            self.isCommitted = isCommitted
            self.isCutOff = isCutOff
            self.appliedBy = appliedBy
            self.appliedRevision = appliedRevision
            self.syncedRevision = syncedRevision
        }

        /// One line: `rendered in <sha> (<date>, <subject>); applied from <revision> by <tool>`.
        public var line: String {
            var parts: [String] = []
            if let commit = renderedIn {
                parts.append("rendered in \(commit.shortSHA) (\(commit.date), \(commit.shortSubject))")
            } else if !isCommitted {
                parts.append("rendered, not committed yet")
            } else if isCutOff {
                parts.append("rendered before the oldest commit of this shallow clone (fetch its history to see which)")
            }
            if let appliedBy {
                if let appliedRevision {
                    parts.append("applied from \(Self.short(appliedRevision)) by \(appliedBy)")
                } else {
                    parts.append(
                        "applied by \(appliedBy) (its history no longer holds that apply"
                            + (syncedRevision.map { "; synced to \(Self.short($0)) now" } ?? "") + ")")
                }
            }
            return parts.joined(separator: "; ")
        }

        /// A revision as the delivery tool writes it, a full SHA shortened: Argo CD's `<sha>`,
        /// Flux's `<branch>@sha1:<sha>`.
        static func short(_ revision: String) -> String {
            // The SHA follows the last ':' (`main@sha1:<sha>`), or is the whole revision.
            let start = revision.lastIndex(of: ":").map { revision.index(after: $0) } ?? revision.startIndex
            let sha = revision[start...]
            guard sha.count == 40 || sha.count == 64, sha.allSatisfy(\.isHexDigit) else { return revision }
            return String(revision[..<start]) + String(sha.prefix(12))
        }
    }

    /// Whether the result counts for the exit status (a superseded Job never does).
    public var isCurrent: Bool { status != .superseded }
}
