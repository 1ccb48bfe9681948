#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The Write stage: puts rendered files into `<root>/<environment>/` folders, touching only what
/// nbgitops owns, all environments of a call at once or none.
///
/// How a write goes:
/// 1. **Plan** (`OutputPlanner`, no writes): check every path, read the ownership ledger,
///    compare each rendered file with the disk, refuse collisions with foreign files. Any error
///    ends the call here.
/// 2. **Skip** environments that are already up to date: no file is touched, mtimes stay.
/// 3. **Stage** each remaining environment as a complete new folder next to it
///    (`<root>/.nbgitops-staging-<env>-<pid>`): folders recreated, unchanged and foreign files
///    hard-linked from the current folder (same inode, same mtime; copied with their times where
///    links are refused), new and changed files written, stale owned files left out, folders
///    that only they filled dropped, and the new ledger written.
/// 4. **Swap** each staged folder with the live one: `renameat2(RENAME_EXCHANGE)` where the
///    kernel offers it, else rename aside / rename in / restore on failure.
/// 5. **Clean up** the replaced folders, deleting only entries recorded in step 1 (anything
///    that appeared meanwhile is kept and reported).
///
/// A failure in steps 3–4 undoes every swap already made and removes the staging folders, so
/// the output root ends as it began.
public struct OutputWriter: Sendable {
    /// The output root folder (e.g. `gitops`).
    public var root: String

    /// Test hook: called at each step; a thrown error simulates a failure there.
    var interruption: (@Sendable (WriteStep) throws -> Void)?

    /// Test hook: false forces the rename-aside fallback used where `RENAME_EXCHANGE` is missing.
    var usesAtomicExchange = true

    /// Test hook: false copies unchanged and foreign files (keeping their times) as where hard
    /// links are refused (`fs.protected_hardlinks`, another user's file).
    var usesHardLinks = true

    /// Every environment of the project (nil ad hoc): a folder in the output root with
    /// nbgitops' ledger whose name is not among them is a removed environment's output.
    public var projectEnvironments: [String]?

    /// `render --prune-unowned`: remove files in the environment folders that carry nbgitops'
    /// generated header but that no ownership ledger lists (a reverted experiment's output).
    /// Without it such files are kept and reported (`NBG172`). Files without the header are
    /// never removed.
    public var pruneUnowned = false

    /// How long to wait for another run holding the output root.
    public var lockPolicy = OutputLockPolicy()

    public init(root: String) {
        self.root = root
    }

    /// Writes one environment's render into `<root>/<environment>/`.
    public func write(environment: String, files: [OutputFile], diagnostics: DiagnosticCollector) -> WriteReport {
        write([EnvironmentOutput(environment: environment, files: files)], diagnostics: diagnostics)
    }

    /// Writes several environments: either all of them end up written, or (after an error,
    /// reported to `diagnostics`) none of them changed.
    ///
    /// The whole write holds an exclusive lock on the output root (`OutputLock`): a second
    /// render waits for the first (saying so), so two runs never stage or swap side by side.
    /// Holding it, the write first clears what killed runs left (staging and backup folders:
    /// no live run can own them), and after the swaps removes the folders of environments the
    /// project no longer defines when nbgitops owns everything in them.
    ///
    /// Environments are swapped one by one, not as one swap of the whole output (that would
    /// mean staging the root's foreign entries and swapping a folder the user may have made a
    /// mount point or a repository root). A run killed between two swaps leaves a mixed tree,
    /// some environments new and some old, plus the unswapped staging folders: `check` reports
    /// both (every environment against a fresh render of the same inputs, and the leftovers),
    /// and the next render, lock held, clears the leftovers and brings every environment up to date.
    public func write(_ outputs: [EnvironmentOutput], diagnostics: DiagnosticCollector) -> WriteReport {
        let root = OutputRoot(self.root)
        guard root.inspect(diagnostics: diagnostics) != nil,
            let lock = OutputLock.acquire(
                root: root, exclusive: true, create: true, policy: lockPolicy, diagnostics: diagnostics)
        else { return .failed }
        let known = projectEnvironments ?? outputs.map(\.environment)
        OutputLeftovers.clearInterruptedRuns(in: root, known: known, diagnostics: diagnostics)
        let report = writeLocked(outputs, root: root, diagnostics: diagnostics)
        if report.succeeded, let projectEnvironments {
            OutputLeftovers.removeFormerEnvironments(
                in: root, environments: Set(projectEnvironments), diagnostics: diagnostics)
        }
        lock.release(removingCreatedFolders: !report.succeeded)
        return report
    }

    private func writeLocked(_ outputs: [EnvironmentOutput], root: OutputRoot, diagnostics: DiagnosticCollector)
        -> WriteReport
    {
        let errorsBefore = diagnostics.errorCount
        var names: Set<String> = []
        for output in outputs where !names.insert(output.environment).inserted {
            diagnostics.error(
                .outputWrite, "environment '\(output.environment)' is given twice",
                at: .startOf(root.appending(output.environment)))
        }
        var planner = OutputPlanner(root: root)
        planner.pruneUnowned = pruneUnowned
        let plans = outputs.compactMap {
            planner.plan(environment: $0.environment, files: $0.files, diagnostics: diagnostics)
        }
        guard diagnostics.errorCount == errorsBefore, plans.count == outputs.count else { return .failed }

        let pending = plans.filter { !$0.isUpToDate }
        if !pending.isEmpty {
            let transaction = WriteTransaction(
                root: root, interruption: interruption, usesAtomicExchange: usesAtomicExchange,
                usesHardLinks: usesHardLinks)
            do {
                try transaction.commit(pending)
            } catch {
                transaction.rollBack(after: error, diagnostics: diagnostics)
                return .failed
            }
            transaction.removeReplacedFolders(diagnostics: diagnostics)
        }
        return WriteReport(succeeded: true, environments: plans.map(Self.report))
    }

    private static func report(_ plan: EnvironmentWritePlan) -> EnvironmentWriteReport {
        func paths(_ change: (PlannedChange) -> Bool) -> [String] {
            plan.files.filter { change($0.change) }.map(\.outputPath)
        }
        return EnvironmentWriteReport(
            environment: plan.environment,
            added: paths { $0 == .added },
            changed: paths { if case .changed = $0 { return true } else { return false } },
            unchanged: paths { $0 == .unchanged },
            removed: plan.stale.map(plan.outputPath),
            replacedFolder: !plan.isUpToDate, pruned: plan.pruned.map(plan.outputPath))
    }
}

/// The steps `OutputWriter.interruption` is called at.
enum WriteStep: Hashable, Sendable {
    /// The environment's staging folder is complete.
    case staged(environment: String)
    /// The environment's staging folder is about to be swapped in.
    case swap(environment: String)
}

/// A failed step, with the path to point the diagnostic at (never a staging path).
struct WriteFailure: Error {
    var message: String
    var path: String
}

/// The mutable state of one write: what was created and swapped, so that it can be undone.
private final class WriteTransaction {
    enum Swap {
        /// Exchanged atomically: the staging path now holds the previous folder.
        case exchanged
        /// The previous folder was renamed to this backup path, then the staging folder in.
        case movedAside(backup: String)
        /// The environment folder did not exist; the staging folder was renamed to it.
        case created
    }

    struct Staged {
        var plan: EnvironmentWritePlan
        var stagingPath: String
        var swap: Swap?
    }

    let root: OutputRoot
    let interruption: (@Sendable (WriteStep) throws -> Void)?
    let usesAtomicExchange: Bool
    let usesHardLinks: Bool
    private var staged: [Staged] = []

    init(
        root: OutputRoot, interruption: (@Sendable (WriteStep) throws -> Void)?, usesAtomicExchange: Bool,
        usesHardLinks: Bool
    ) {
        self.root = root
        self.interruption = interruption
        self.usesAtomicExchange = usesAtomicExchange
        self.usesHardLinks = usesHardLinks
    }

    func commit(_ plans: [EnvironmentWritePlan]) throws {
        for plan in plans {
            let stagingPath = try uniqueSibling("staging", plan.environment)
            staged.append(Staged(plan: plan, stagingPath: stagingPath, swap: nil))
            try build(plan, at: stagingPath)
            try interruption?(.staged(environment: plan.environment))
        }
        for index in staged.indices {
            try interruption?(.swap(environment: staged[index].plan.environment))
            staged[index].swap = try swapIn(staged[index])
        }
    }

    // MARK: Staging

    /// `<root>/.nbgitops-<purpose>-<env>-<pid>`, with a counter if a crashed run left one behind.
    private func uniqueSibling(_ purpose: String, _ environment: String) throws -> String {
        let base = root.appending(".nbgitops-\(purpose)-\(environment)-\(getpid())")
        var candidate = base
        var counter = 1
        do {
            while try FileSystem.status(candidate) != nil {
                counter += 1
                candidate = base + "-\(counter)"
            }
        } catch let error as FileSystemError {
            throw WriteFailure(message: error.description, path: root.path)
        }
        return candidate
    }

    /// Builds the complete new environment folder at `stagingPath`.
    private func build(_ plan: EnvironmentWritePlan, at stagingPath: String) throws {
        let snapshot = plan.snapshot
        let current = plan.folderPath
        // Failures name the file in the environment folder, not in the staging folder.
        func failure(_ error: FileSystemError, _ relative: String) -> WriteFailure {
            var error = error
            if error.path.hasPrefix(stagingPath) {
                error.path = current + error.path.dropFirst(stagingPath.count)
            }
            return WriteFailure(message: error.description, path: relative.isEmpty ? current : current + "/" + relative)
        }
        do {
            try FileSystem.makeDirectory(stagingPath)
        } catch let error as FileSystemError {
            throw WriteFailure(message: error.description, path: current)
        }
        let produced = Dictionary(plan.files.map { ($0.relativePath, $0) }, uniquingKeysWith: { first, _ in first })
        let stale = Set(plan.stale)

        // 1. The current tree: folders, unchanged owned files and foreign entries.
        for relative in snapshot.order {
            guard let status = snapshot.entries[relative] else { continue }
            let from = current + "/" + relative
            let to = stagingPath + "/" + relative
            do {
                if relative == OwnershipLedger.fileName {
                    if plan.ledgerIsCurrent { try FileSystem.linkOrCopy(from: from, to: to, linking: usesHardLinks) }
                } else if status.kind == .directory {
                    try FileSystem.makeDirectory(to)
                } else if let file = produced[relative] {
                    if file.change == .unchanged { try FileSystem.linkOrCopy(from: from, to: to, linking: usesHardLinks) }
                } else if !stale.contains(relative) {
                    try FileSystem.linkOrCopy(from: from, to: to, linking: usesHardLinks)
                }
            } catch let error as FileSystemError {
                throw failure(error, relative)
            }
        }

        // 2. New and changed files, then the ledger: their folders first (each looked at
        //    once), then the files themselves, written in parallel (they are independent; the
        //    first failure in file order is the one reported).
        let changed = plan.files.filter { $0.change != .unchanged }
        var folders: Set<String> = []
        for file in changed {
            do {
                var ancestor = ""
                for component in file.relativePath.split(separator: "/").dropLast() {
                    ancestor = ancestor.isEmpty ? String(component) : ancestor + "/" + component
                    guard folders.insert(ancestor).inserted else { continue }
                    let path = stagingPath + "/" + ancestor
                    switch try FileSystem.status(path)?.kind {
                    case nil: try FileSystem.makeDirectory(path)
                    case .directory: continue
                    case .some(let kind):
                        throw FileSystemError(
                            operation: "create folder (\(kind.noun) is there)", path: path, code: EEXIST)
                    }
                }
            } catch let error as FileSystemError {
                throw failure(error, file.relativePath)
            }
        }
        let written = Parallel.map(changed.map { ($0.relativePath, $0.bytes) }) { relative, bytes -> FileSystemError? in
            do {
                try FileSystem.createFile(stagingPath + "/" + relative, bytes: bytes)
                return nil
            } catch let error as FileSystemError {
                return error
            } catch {
                return FileSystemError(operation: "create", path: stagingPath + "/" + relative, code: EIO)
            }
        }
        for (file, error) in zip(changed, written) {
            if let error { throw failure(error, file.relativePath) }
        }
        if !plan.ledgerIsCurrent {
            do {
                try FileSystem.createFile(stagingPath + "/" + OwnershipLedger.fileName, bytes: plan.ledger.bytes)
            } catch let error as FileSystemError {
                throw failure(error, OwnershipLedger.fileName)
            }
        }

        // 3. Folders emptied by pruning go; folders that were empty before are foreign and stay.
        //    Children come before parents, so emptiness cascades upwards. Permissions are
        //    restored last, once nothing more is created inside.
        for relative in snapshot.order.reversed() {
            guard let status = snapshot.entries[relative], status.kind == .directory else { continue }
            let path = stagingPath + "/" + relative
            do {
                if snapshot.nonEmptyFolders.contains(relative), try FileSystem.contentsOfDirectory(path).isEmpty {
                    try FileSystem.removeDirectory(path)
                } else {
                    try FileSystem.setPermissions(path, status.permissions)
                }
            } catch let error as FileSystemError {
                throw failure(error, relative)
            }
        }
        if let folder = snapshot.folder {
            do {
                try FileSystem.setPermissions(stagingPath, folder.permissions)
            } catch let error as FileSystemError {
                throw failure(error, "")
            }
        }
    }

    // MARK: Swapping

    private func swapIn(_ entry: Staged) throws -> Swap {
        let folder = entry.plan.folderPath
        do {
            guard entry.plan.folderExists else {
                try FileSystem.renameNoReplace(from: entry.stagingPath, to: folder)
                return .created
            }
            if usesAtomicExchange, try FileSystem.exchange(entry.stagingPath, folder) { return .exchanged }
            let backup = try uniqueSibling("previous", entry.plan.environment)
            try FileSystem.move(from: folder, to: backup)
            do {
                try FileSystem.move(from: entry.stagingPath, to: folder)
            } catch let error as FileSystemError {
                do {
                    try FileSystem.move(from: backup, to: folder)
                } catch {
                    throw WriteFailure(
                        message:
                            "\(error); the previous content of '\(folder)' could not be moved back from '\(backup)'",
                        path: folder)
                }
                throw error
            }
            return .movedAside(backup: backup)
        } catch let error as FileSystemError {
            throw WriteFailure(message: error.description, path: folder)
        }
    }

    private func undo(_ entry: Staged) throws {
        let folder = entry.plan.folderPath
        switch entry.swap {
        case nil:
            return
        case .exchanged:
            guard try FileSystem.exchange(entry.stagingPath, folder) else {
                throw FileSystemError(operation: "swap back", path: folder, code: ENOTSUP)
            }
        case .movedAside(let backup):
            try FileSystem.move(from: folder, to: entry.stagingPath)
            try FileSystem.move(from: backup, to: folder)
        case .created:
            try FileSystem.move(from: folder, to: entry.stagingPath)
        }
    }

    /// Undoes every swap (last first) and removes the staging folders (the root folders this run
    /// created go when the lock is released). Reports `error` as the reason.
    func rollBack(after error: any Error, diagnostics: DiagnosticCollector) {
        let failure =
            (error as? WriteFailure)
            ?? WriteFailure(message: "\(error)", path: staged.last?.plan.folderPath ?? root.path)
        var notes: [DiagnosticNote] = []
        var restored = true
        for index in staged.indices.reversed() {
            do {
                try undo(staged[index])
                staged[index].swap = nil
            } catch {
                restored = false
                notes.append(
                    DiagnosticNote(
                        "could not restore '\(staged[index].plan.folderPath)' (\(error)); its previous content is in '\(backupPath(staged[index]))'",
                        at: .startOf(staged[index].plan.folderPath)))
            }
        }
        if restored {
            for entry in staged {
                do {
                    try FileSystem.removeTree(entry.stagingPath)
                } catch {
                    notes.append(DiagnosticNote("could not remove the staging folder '\(entry.stagingPath)': \(error)"))
                }
            }
        }
        let outcome = restored ? "nothing was changed" : "the output folder could not be fully restored"
        diagnostics.error(
            .outputWrite, "\(failure.message); \(outcome)", at: .startOf(failure.path), notes: notes)
    }

    private func backupPath(_ entry: Staged) -> String {
        if case .movedAside(let backup) = entry.swap { return backup }
        return entry.stagingPath
    }

    // MARK: Cleaning up

    /// Deletes the folders that were swapped out, entry by recorded entry.
    func removeReplacedFolders(diagnostics: DiagnosticCollector) {
        for entry in staged {
            let path: String
            switch entry.swap {
            case .exchanged: path = entry.stagingPath
            case .movedAside(let backup): path = backup
            case .created, nil: continue
            }
            if !removeRecorded(at: path, snapshot: entry.plan.snapshot) {
                diagnostics.warning(
                    .outputWrite,
                    "kept '\(path)', the previous content of '\(entry.plan.folderPath)': it holds entries that appeared or changed while nbgitops was writing",
                    at: .startOf(path), help: "check it for files to keep, then remove it")
            }
        }
    }

    /// Removes exactly the entries the snapshot recorded (same inode for non-folders), then the
    /// folder. Returns false when something else was found and kept.
    private func removeRecorded(at path: String, snapshot: DirectorySnapshot) -> Bool {
        var complete = true
        for relative in snapshot.order.reversed() {
            guard let recorded = snapshot.entries[relative] else { continue }
            let full = path + "/" + relative
            do {
                guard let now = try FileSystem.status(full) else { continue }
                if recorded.kind == .directory, now.kind == .directory {
                    try FileSystem.removeDirectory(full)
                } else if recorded.kind != .directory, now.kind != .directory, now.isSameObject(as: recorded) {
                    try FileSystem.removeFile(full)
                } else {
                    complete = false
                }
            } catch {
                complete = false
            }
        }
        do {
            try FileSystem.removeDirectory(path)
        } catch {
            complete = false
        }
        return complete
    }
}
