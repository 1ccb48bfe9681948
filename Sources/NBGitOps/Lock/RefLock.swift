import Foundation

/// `nbgitops.lock`: the commit each branch or tag `git.ref` of the specs resolved to.
///
/// A validation Job is immutable and named after a hash of its spec, so a Job that clones a
/// branch would never run again when the branch moves: nothing in `gitops/` changes. With the
/// lock, `render` writes the locked commit into the Job (the clone checks out exactly that
/// commit, `templates/scripts/git-clone.sh` fetches a full SHA directly) and the Job's name
/// hashes it: `nbgitops lock` after a push moves the commit, the name changes, and the delivery
/// tool runs a new Job. `check --refs` says when a locked commit is no longer where its branch
/// or tag points.
///
/// The file holds no timestamps: the same resolution writes the same bytes.
public struct RefLock: Sendable, Hashable {
    public static let fileName = "nbgitops.lock"
    static let apiVersion = "nbgitops.dev/v1alpha1"
    static let kind = "RefLock"

    /// A repository and one of its branch or tag names, as the specs write them.
    public struct Key: Sendable, Hashable, Comparable {
        public var url: String
        public var ref: String

        public init(url: String, ref: String) {
            self.url = url
            self.ref = ref
        }

        public static func < (lhs: Key, rhs: Key) -> Bool { (lhs.url, lhs.ref) < (rhs.url, rhs.ref) }
    }

    public struct Entry: Sendable, Hashable {
        public var key: Key
        /// The full commit SHA (40 or 64 lowercase hex characters).
        public var commit: String
        /// Where the entry stands in the lock file (nil for one resolved in this run).
        public var location: SourceLocation?

        public init(key: Key, commit: String, location: SourceLocation? = nil) {
            self.key = key
            self.commit = commit
            self.location = location
        }
    }

    /// Sorted by key, one per key.
    public private(set) var entries: [Entry]
    /// The lock file as shown in diagnostics.
    public var file: String

    public init(entries: [Entry], file: String = RefLock.fileName) {
        var seen: [Key: Entry] = [:]
        for entry in entries where seen[entry.key] == nil { seen[entry.key] = entry }
        self.entries = seen.values.sorted { $0.key < $1.key }
        self.file = file
    }

    public func commit(for key: Key) -> String? { entries.first { $0.key == key }?.commit }

    /// A full commit SHA needs no lock: it cannot move.
    public static func isCommit(_ ref: String) -> Bool {
        (ref.count == 40 || ref.count == 64) && ref.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// Every branch or tag ref the specs clone (notebooks, golden notebooks; a build clones the
    /// notebook's repository at the notebook's ref), with the first place each is written.
    public static func lockableRefs(in specs: SpecSet) -> [(key: Key, location: SourceLocation)] {
        var found: [Key: SourceLocation] = [:]
        for job in specs.jobs {
            for source in [job.notebook] + (job.goldenNotebook.map { [$0] } ?? []) {
                let git = source.git
                guard !isCommit(git.ref.value) else { continue }
                let key = Key(url: git.url.value, ref: git.ref.value)
                if let known = found[key], known <= git.ref.location { continue }
                found[key] = git.ref.location
            }
        }
        return found.map { (key: $0.key, location: $0.value) }.sorted { $0.key < $1.key }
    }

    /// The specs with every locked branch or tag ref replaced by its commit (so the Job's clone
    /// checks out that commit and its name hashes it). A branch or tag the lock does not hold is
    /// a warning (NBG184): the Job clones whatever the branch points to when it runs, once.
    public func apply(to specs: SpecSet, diagnostics: DiagnosticCollector) -> SpecSet {
        var reported: Set<Key> = []
        func locked(_ source: NotebookSource) -> NotebookSource {
            var source = source
            let ref = source.git.ref
            guard !Self.isCommit(ref.value) else { return source }
            let key = Key(url: source.git.url.value, ref: ref.value)
            if let commit = commit(for: key) {
                source.git.ref = Located(commit, at: ref.location)
            } else if reported.insert(key).inserted {
                diagnostics.warning(
                    .refNotLocked,
                    "'\(ref.value)' of \(key.url) has no commit in \(file): the validation runs once, against whatever '\(ref.value)' points to then, and never again when it moves",
                    at: ref.location,
                    help: "run `nbgitops lock` and commit \(file) (or write a full commit SHA)")
            }
            return source
        }
        var specs = specs
        for index in specs.jobs.indices {
            specs.jobs[index].notebook = locked(specs.jobs[index].notebook)
            if let golden = specs.jobs[index].goldenNotebook { specs.jobs[index].goldenNotebook = locked(golden) }
        }
        return specs
    }

    // MARK: File

    /// The file's bytes: a comment, then one YAML document emitted by the manifest renderer.
    public func render() -> [UInt8] {
        let header =
            "# Written by `nbgitops lock`: the commit each branch or tag ref of the specs resolved to.\n"
            + "# `nbgitops render` validates exactly these commits; run `nbgitops lock` again to move them.\n"
        let refs = ManifestNode.list(
            entries.map { entry in
                ManifestNode.map([
                    ManifestEntry("url", .string(entry.key.url)),
                    ManifestEntry("ref", .string(entry.key.ref)),
                    ManifestEntry("commit", .string(entry.commit)),
                ])
            })
        let document = ManifestNode.map([
            ManifestEntry("apiVersion", .string(Self.apiVersion)),
            ManifestEntry("kind", .string(Self.kind)),
            ManifestEntry("refs", refs),
        ])
        return ManifestRenderer.render([document], after: Array(header.utf8))
    }

    /// Reads a lock file. A malformed one is an error (NBG183) and gives nil.
    public static func load(path: String, displayName: String, diagnostics: DiagnosticCollector) -> RefLock? {
        let local = DiagnosticCollector()
        let documents = YAMLLoader.load(path: path, displayName: displayName, diagnostics: local)
        for diagnostic in local.diagnostics { diagnostics.report(diagnostic) }
        guard !local.hasErrors else { return nil }
        let help = "run `nbgitops lock` to write it again"
        func fail(_ message: String, at location: SourceLocation) -> RefLock? {
            diagnostics.error(.refLockInvalid, message, at: location, help: help)
            return nil
        }
        guard documents.count <= 1 else {
            return fail("\(displayName) holds \(documents.count) documents, not one", at: .startOf(displayName))
        }
        guard let root = documents.first?.root else { return RefLock(entries: [], file: displayName) }
        guard root.pairs != nil else { return fail("\(displayName) is not a mapping", at: root.location) }
        guard root["apiVersion"]?.scalar?.value == apiVersion, root["kind"]?.scalar?.value == kind else {
            return fail("\(displayName) is not an \(apiVersion) \(kind)", at: root.location)
        }
        guard let items = root["refs"]?.items ?? (root["refs"] == nil ? [] : nil) else {
            return fail("refs is not a list", at: root["refs"]?.location ?? root.location)
        }
        var entries: [Entry] = []
        var seen: Set<Key> = []
        for item in items {
            guard let url = item["url"]?.scalar?.value, let ref = item["ref"]?.scalar?.value,
                let commit = item["commit"]?.scalar?.value
            else { return fail("a refs entry needs url, ref and commit strings", at: item.location) }
            guard isCommit(commit) else {
                return fail(
                    "commit '\(commit)' is not a full lowercase commit SHA",
                    at: item["commit"]?.location ?? item.location)
            }
            let key = Key(url: url, ref: ref)
            guard seen.insert(key).inserted else {
                return fail("'\(ref)' of \(url) is locked twice", at: item.location)
            }
            entries.append(Entry(key: key, commit: commit, location: item.location))
        }
        return RefLock(entries: entries, file: displayName)
    }
}

extension PreparedRun {
    /// `nbgitops.lock` next to the project file (nil ad hoc: only projects lock their refs).
    public var refLockPath: String? {
        projectFile.map { (($0 as NSString).deletingLastPathComponent as NSString).appendingPathComponent(RefLock.fileName) }
    }
}
