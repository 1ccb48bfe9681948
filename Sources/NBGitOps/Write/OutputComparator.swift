/// One file a write would add, change or remove, with its unified diff.
public struct FileDifference: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case added
        case changed
        case removed
        /// A stale file with nbgitops' header that the ledger does not list (`NBG172`):
        /// `render` leaves it, `check` reports it; its diff deletes it.
        case unowned = "unowned generated"
    }

    /// Relative to the output root (`dev/manifests/job.yaml`).
    public var path: String
    public var kind: Kind
    /// The unified diff (`--- a/…`, `+++ b/…`, hunks), against `/dev/null` for added and
    /// removed files, or git's `Binary files … differ` line for content that is not text.
    public var diff: String

    public init(path: String, kind: Kind, diff: String) {
        self.path = path
        self.kind = kind
        self.diff = diff
    }
}

/// How one environment folder on disk differs from its render: what `nbgitops check` reports.
/// Paths are relative to the output root and sorted by UTF-8 bytes.
public struct EnvironmentDifference: Sendable, Hashable {
    public var environment: String
    public var added: [String]
    public var changed: [String]
    /// Owned files on disk that the render no longer produces (a write would delete them).
    public var removed: [String]
    public var unchanged: [String]
    /// Files with nbgitops' generated header that the ledger does not list (`NBG172`).
    public var unownedGenerated: [String]
    /// The ownership ledger would be rewritten even if no file changes (it lists a file that
    /// is gone, or it is missing).
    public var ledgerOutOfDate: Bool
    /// Added, changed and removed files with their diffs, in path order.
    public var files: [FileDifference]

    public init(
        environment: String, added: [String], changed: [String], removed: [String], unchanged: [String],
        ledgerOutOfDate: Bool, files: [FileDifference], unownedGenerated: [String] = []
    ) {
        self.unownedGenerated = unownedGenerated
        self.environment = environment
        self.added = added
        self.changed = changed
        self.removed = removed
        self.unchanged = unchanged
        self.ledgerOutOfDate = ledgerOutOfDate
        self.files = files
    }

    /// True when a write would touch nothing.
    public var isUpToDate: Bool {
        added.isEmpty && changed.isEmpty && removed.isEmpty && unownedGenerated.isEmpty && !ledgerOutOfDate
    }

    /// One line for the environment: `dev: 1 added, 2 changed, 1 removed, 3 unchanged` or
    /// `dev: up to date (4 files)`.
    public var summary: String {
        func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }
        if isUpToDate { return "\(environment): up to date (\(count(unchanged.count, "file")))" }
        var parts: [String] = []
        if !added.isEmpty { parts.append("\(added.count) added") }
        if !changed.isEmpty { parts.append("\(changed.count) changed") }
        if !removed.isEmpty { parts.append("\(removed.count) removed") }
        if !unownedGenerated.isEmpty { parts.append("\(unownedGenerated.count) unowned generated") }
        if parts.isEmpty { parts.append("ownership ledger out of date") }
        if !unchanged.isEmpty { parts.append("\(unchanged.count) unchanged") }
        return "\(environment): " + parts.joined(separator: ", ")
    }
}

/// Check mode: computes, without writing anything, how the output folder differs from what
/// `OutputWriter` would write, applying exactly the writer's rules (the same planner), so a
/// path the writer would refuse is reported here too.
public struct OutputComparator: Sendable {
    /// The output root folder (e.g. `gitops`).
    public var root: String
    /// Unchanged lines shown around each change in the diffs.
    public var contextLines: Int
    /// The output root's path inside the repository (`gitops`, `""` for the root itself):
    /// the diffs name files by repository path, so they apply with `git apply` from the
    /// repository root. Nil when the output lies outside the repository: paths are then
    /// relative to the output root.
    public var repositoryPath: String?

    public init(root: String, repositoryPath: String? = nil, contextLines: Int = 3) {
        self.root = root
        self.repositoryPath = repositoryPath
        self.contextLines = contextLines
    }

    /// `path` (relative to the output root) as the diffs name it.
    public func patchPath(_ path: String) -> String {
        guard let repositoryPath, !repositoryPath.isEmpty else { return path }
        return repositoryPath + "/" + path
    }

    /// The difference for one environment, or nil when an error was reported (unsafe path,
    /// collision with a foreign file, unreadable folder).
    public func compare(environment: String, files: [OutputFile], diagnostics: DiagnosticCollector)
        -> EnvironmentDifference?
    {
        let root = OutputRoot(self.root)
        guard root.inspect(diagnostics: diagnostics) != nil else { return nil }
        return compare(environment: environment, files: files, root: root, diagnostics: diagnostics)
    }

    /// The differences for several environments, in the order given; environments with errors
    /// are left out (their errors are in `diagnostics`).
    public func compare(_ outputs: [EnvironmentOutput], diagnostics: DiagnosticCollector) -> [EnvironmentDifference] {
        check(outputs, projectEnvironments: nil, diagnostics: diagnostics).differences
    }

    /// What `check` reports: each environment's difference (as `compare`) and the leftovers
    /// in the output root (`NBG177`, each also reported as a warning): staging folders of
    /// killed runs and, given the project's environments, folders of environments it no
    /// longer defines. Holds a shared lock on the output root meanwhile, so a render in
    /// progress is waited for rather than seen half done.
    public func check(
        _ outputs: [EnvironmentOutput], projectEnvironments: [String]?, diagnostics: DiagnosticCollector,
        lockPolicy: OutputLockPolicy = OutputLockPolicy()
    ) -> (differences: [EnvironmentDifference], leftovers: [OutputLeftover]) {
        let root = OutputRoot(self.root)
        guard let exists = root.inspect(diagnostics: diagnostics) else { return ([], []) }
        var lock: OutputLock?
        if exists {
            lock = OutputLock.acquire(
                root: root, exclusive: false, create: false, policy: lockPolicy, diagnostics: diagnostics)
            guard lock != nil else { return ([], []) }
        }
        defer { lock?.release(removingCreatedFolders: false) }
        let differences = outputs.compactMap {
            compare(environment: $0.environment, files: $0.files, root: root, diagnostics: diagnostics)
        }
        let leftovers = exists ? OutputLeftovers.find(in: root, environments: projectEnvironments.map(Set.init)) : []
        for leftover in leftovers {
            diagnostics.warning(
                .outputLeftover, leftover.explanation, at: .startOf(leftover.path),
                help: "run `nbgitops render` and commit the result")
        }
        return (differences, leftovers)
    }

    private func compare(
        environment: String, files: [OutputFile], root: OutputRoot, diagnostics: DiagnosticCollector
    ) -> EnvironmentDifference? {
        guard
            let plan = OutputPlanner(root: root).plan(environment: environment, files: files, diagnostics: diagnostics)
        else { return nil }
        var added: [String] = []
        var changed: [String] = []
        var unchanged: [String] = []
        var differences: [FileDifference] = []
        for file in plan.files {
            switch file.change {
            case .added:
                added.append(file.outputPath)
                differences.append(
                    FileDifference(
                        path: file.outputPath, kind: .added,
                        diff: UnifiedDiff.gitPatch(
                            old: nil, new: file.bytes, path: patchPath(file.outputPath), contextLines: contextLines)))
            case .changed(let previous):
                changed.append(file.outputPath)
                differences.append(
                    FileDifference(
                        path: file.outputPath, kind: .changed,
                        diff: UnifiedDiff.gitPatch(
                            old: previous, new: file.bytes, path: patchPath(file.outputPath),
                            contextLines: contextLines)))
            case .unchanged:
                unchanged.append(file.outputPath)
            }
        }
        var removed: [String] = []
        for relative in plan.stale {
            let outputPath = plan.outputPath(relative)
            removed.append(outputPath)
            let diff: String
            if plan.snapshot.entries[relative]?.kind != .file {
                diff = "Removed \(outputPath) (not a regular file)\n"
            } else if let previous = try? FileSystem.readFile(plan.folderPath + "/" + relative) {
                diff = UnifiedDiff.gitPatch(
                    old: previous, new: nil, path: patchPath(outputPath), contextLines: contextLines)
            } else {
                diff = "Removed \(outputPath) (content not readable)\n"
            }
            differences.append(FileDifference(path: outputPath, kind: .removed, diff: diff))
        }
        var unowned: [String] = []
        for relative in plan.unownedGenerated {
            let outputPath = plan.outputPath(relative)
            unowned.append(outputPath)
            let previous = try? FileSystem.readFile(plan.folderPath + "/" + relative)
            differences.append(
                FileDifference(
                    path: outputPath, kind: .unowned,
                    diff: UnifiedDiff.gitPatch(
                        old: previous ?? [], new: nil, path: patchPath(outputPath), contextLines: contextLines)))
        }
        return EnvironmentDifference(
            environment: environment, added: added, changed: changed, removed: removed, unchanged: unchanged,
            ledgerOutOfDate: !plan.ledgerIsCurrent,
            files: differences.sorted { precedesInByteOrder($0.path, $1.path) }, unownedGenerated: unowned)
    }
}
