import Foundation

/// The output root folder as the user named it, checked once per run.
struct OutputRoot {
    /// The path with trailing slashes removed (`gitops/` → `gitops`), used for every call and
    /// in every message.
    var path: String

    init(_ path: String) {
        var trimmed = path
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.path = trimmed
    }

    /// `<root>/<relative>`.
    func appending(_ relative: String) -> String {
        path == "/" ? "/" + relative : path + "/" + relative
    }

    /// Whether the root exists; nil (with an error reported) when it cannot be used.
    ///
    /// The root itself must not be a symbolic link: nbgitops never writes through one, and a
    /// link committed to a repository could otherwise send a render anywhere on the machine.
    func inspect(diagnostics: DiagnosticCollector) -> Bool? {
        if path.isEmpty {
            diagnostics.error(.outputWrite, "the output folder path is empty", at: nil)
            return nil
        }
        if path.utf8.contains(0) {
            diagnostics.error(.outputPath, "the output folder path contains a NUL character", at: nil)
            return nil
        }
        do {
            guard let status = try FileSystem.status(path) else { return false }
            switch status.kind {
            case .directory:
                return true
            case .symbolicLink:
                let target = (try? FileSystem.readLink(path)).map { " (→ '\($0)')" } ?? ""
                diagnostics.error(
                    .outputPath,
                    "the output folder '\(path)' is a symbolic link\(target); nbgitops never writes through symbolic links",
                    at: .startOf(path), help: "name the real folder as the output folder")
                return nil
            case .file, .special:
                diagnostics.error(
                    .outputWrite, "the output folder '\(path)' exists and is \(status.kind.noun), not a folder",
                    at: .startOf(path))
                return nil
            }
        } catch {
            diagnostics.error(.outputWrite, "\(error)", at: .startOf(path))
            return nil
        }
    }
}

/// Every entry below an environment folder as `lstat` saw it, keyed by path relative to that
/// folder. Symbolic links are recorded, never followed.
struct DirectorySnapshot {
    /// The environment folder's own status (nil when it does not exist yet).
    var folder: EntryStatus?
    var entries: [String: EntryStatus] = [:]
    /// Relative paths in pre-order (a folder before its contents), names sorted by bytes.
    var order: [String] = []
    /// Folders that held at least one entry.
    var nonEmptyFolders: Set<String> = []

    static func take(of path: String) throws -> DirectorySnapshot {
        var snapshot = DirectorySnapshot()
        guard let folder = try FileSystem.status(path) else { return snapshot }
        snapshot.folder = folder
        try snapshot.walk(path, prefix: "")
        return snapshot
    }

    private mutating func walk(_ path: String, prefix: String) throws {
        let names = try FileSystem.contentsOfDirectory(path)
        if !names.isEmpty { nonEmptyFolders.insert(prefix) }
        for name in names {
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            let full = path + "/" + name
            guard let status = try FileSystem.status(full) else { continue }
            entries[relative] = status
            order.append(relative)
            if status.kind == .directory {
                try walk(full, prefix: relative)
            }
        }
    }
}

/// What happens to one rendered file.
enum PlannedChange: Equatable {
    case added
    case changed(previous: [UInt8])
    case unchanged
}

/// One rendered file placed in its environment folder.
struct PlannedFile {
    /// Relative to the environment folder (`manifests/job.yaml`).
    var relativePath: String
    /// Relative to the output root, as the render named it (`dev/manifests/job.yaml`).
    var outputPath: String
    var bytes: [UInt8]
    var change: PlannedChange
}

/// Everything needed to bring one environment folder up to date, decided before any write.
struct EnvironmentWritePlan {
    var environment: String
    /// `<root>/<env>`.
    var folderPath: String
    var snapshot: DirectorySnapshot
    /// Rendered files, sorted by relative path.
    var files: [PlannedFile]
    /// Owned entries the previous run wrote and this render no longer produces, present on
    /// disk; relative to the environment folder, sorted.
    var stale: [String]
    var ledger: OwnershipLedger
    /// Regular files that start with nbgitops' generated header but that neither the ledger
    /// lists nor this render produces (stale files a branch switch left): never deleted,
    /// reported (`NBG172`); relative to the environment folder, sorted.
    var unownedGenerated: [String] = []
    /// With `--prune-unowned`: the files of `unownedGenerated`'s kind that this write removes
    /// (also in `stale`); relative to the environment folder, sorted.
    var pruned: [String] = []
    /// Whether the ledger on disk already has exactly the new ledger's bytes.
    var ledgerIsCurrent: Bool

    var folderExists: Bool { snapshot.folder != nil }

    /// Nothing to do: every file identical, nothing stale, ledger current.
    var isUpToDate: Bool {
        folderExists && ledgerIsCurrent && stale.isEmpty && files.allSatisfy { $0.change == .unchanged }
    }

    func outputPath(_ relative: String) -> String { environment + "/" + relative }
}

/// Compares one environment's render with its folder on disk and decides, per file, what a
/// write would do: the shared first half of `OutputWriter` and `OutputComparator`.
///
/// All refusals happen here, before anything is written: unsafe paths (`NBG170`), files that
/// exist but are not owned, symbolic links on the way, folders where files should go (`NBG171`).
struct OutputPlanner {
    var root: OutputRoot
    /// `render --prune-unowned`: files that carry the generated header but that no ledger owns
    /// are removed (listed in `EnvironmentWritePlan.pruned`) instead of reported and kept.
    var pruneUnowned = false

    /// The plan, or nil when an error was reported for this environment.
    func plan(environment: String, files: [OutputFile], diagnostics: DiagnosticCollector) -> EnvironmentWritePlan? {
        let errorsBefore = diagnostics.errorCount
        if let problem = OutputPathRules.problem(withEnvironmentName: environment) {
            diagnostics.error(.outputPath, "cannot write environment: \(problem)", at: .startOf(root.path))
            return nil
        }
        let folderPath = root.appending(environment)
        let located = relativePaths(of: files, environment: environment, diagnostics: diagnostics)
        guard diagnostics.errorCount == errorsBefore else { return nil }

        let snapshot: DirectorySnapshot
        do {
            if let folder = try FileSystem.status(folderPath), folder.kind != .directory {
                if folder.kind == .symbolicLink {
                    let target = (try? FileSystem.readLink(folderPath)).map { " (→ '\($0)')" } ?? ""
                    diagnostics.error(
                        .outputPath,
                        "the environment folder '\(folderPath)' is a symbolic link\(target); nbgitops never writes through symbolic links",
                        at: .startOf(folderPath), help: "replace the link with a real folder, or remove it")
                } else {
                    diagnostics.error(
                        .outputWrite, "'\(folderPath)' exists and is \(folder.kind.noun), not a folder",
                        at: .startOf(folderPath))
                }
                return nil
            }
            snapshot = try DirectorySnapshot.take(of: folderPath)
        } catch {
            diagnostics.error(.outputWrite, "\(error)", at: .startOf(folderPath))
            return nil
        }

        let ledgerPath = folderPath + "/" + OwnershipLedger.fileName
        var previousLedger = OwnershipLedger(paths: [])
        var previousLedgerBytes: [UInt8]?
        if let status = snapshot.entries[OwnershipLedger.fileName] {
            guard status.kind == .file else {
                diagnostics.error(
                    .outputWrite, "the ownership ledger '\(ledgerPath)' is \(status.kind.noun), not a file",
                    at: .startOf(ledgerPath), help: "remove it; nbgitops writes the ledger itself")
                return nil
            }
            do {
                let bytes = try FileSystem.readFile(ledgerPath)
                let parsed = OwnershipLedger.parse(bytes)
                previousLedger = parsed.ledger
                previousLedgerBytes = bytes
                for entry in parsed.rejected {
                    diagnostics.warning(
                        .outputWrite,
                        "ignored ownership entry '\(entry.path)': \(entry.problem); nothing is deleted for it",
                        at: SourceLocation(file: ledgerPath, line: entry.line, column: 1))
                }
            } catch {
                diagnostics.error(.outputWrite, "\(error)", at: .startOf(ledgerPath))
                return nil
            }
        }
        let owned = Set(previousLedger.paths)
        let produced = Set(located.map(\.relative))

        var planned: [PlannedFile] = []
        // Owned files already on disk: compared with what was rendered after this loop.
        var compared: [(relative: String, output: String, bytes: [UInt8], path: String)] = []
        for file in located {
            let outputPath = root.appending(file.output)
            // Every existing ancestor must be a real folder, or an owned file this run removes
            // (a file has no children, so the walk can stop there).
            var ancestor = ""
            var blocked = false
            ancestors: for component in file.relative.split(separator: "/").dropLast() {
                ancestor = ancestor.isEmpty ? String(component) : ancestor + "/" + component
                guard let status = snapshot.entries[ancestor] else { break ancestors }
                switch status.kind {
                case .directory:
                    continue ancestors
                case .symbolicLink:
                    reportSymbolicLink(
                        at: ancestor, folderPath: folderPath, outputPath: outputPath, output: file.output,
                        diagnostics: diagnostics)
                    blocked = true
                case .file where owned.contains(ancestor) && !produced.contains(ancestor):
                    break
                case .file, .special:
                    diagnostics.error(
                        .outputWrite,
                        "cannot write '\(file.output)': '\(environment)/\(ancestor)' is \(status.kind.noun) that nbgitops does not own, where a folder is needed",
                        at: .startOf(outputPath), help: foreignHelp(environment: environment))
                    blocked = true
                }
                break ancestors
            }
            if blocked { continue }

            guard let status = snapshot.entries[file.relative] else {
                planned.append(
                    PlannedFile(relativePath: file.relative, outputPath: file.output, bytes: file.bytes, change: .added)
                )
                continue
            }
            guard owned.contains(file.relative) else {
                diagnostics.error(
                    .outputWrite,
                    "cannot write '\(file.output)': \(status.kind.noun) already exists there and nbgitops does not own it",
                    at: .startOf(outputPath), help: foreignHelp(environment: environment))
                continue
            }
            guard status.kind == .file else {
                diagnostics.error(
                    .outputWrite,
                    "cannot write '\(file.output)': nbgitops owns this path but it is now \(status.kind.noun)",
                    at: .startOf(outputPath), help: "remove '\(outputPath)'; nbgitops only replaces files it wrote")
                continue
            }
            compared.append((file.relative, file.output, file.bytes, outputPath))
        }
        // Read in parallel (for a `check` or re-render of a large tree these reads are most of
        // the work); results in file order.
        let previousContents = Parallel.map(compared.map(\.path)) { path in Result { try FileSystem.readFile(path) } }
        for (file, read) in zip(compared, previousContents) {
            switch read {
            case .success(let previous):
                let change: PlannedChange =
                    FileSystem.sameBytes(previous, file.bytes) ? .unchanged : .changed(previous: previous)
                planned.append(
                    PlannedFile(relativePath: file.relative, outputPath: file.output, bytes: file.bytes, change: change)
                )
            case .failure(let error):
                diagnostics.error(.outputWrite, "\(error)", at: .startOf(file.path))
            }
        }

        var stale: [String] = []
        for path in previousLedger.paths where !produced.contains(path) {
            guard let status = snapshot.entries[path], isReachableWithoutLinks(path, in: snapshot) else { continue }
            switch status.kind {
            case .file, .symbolicLink:
                stale.append(path)
            case .directory, .special:
                diagnostics.warning(
                    .outputWrite,
                    "'\(environment)/\(path)' is listed as owned but is now \(status.kind.noun); it is left in place and no longer owned",
                    at: .startOf(folderPath + "/" + path))
            }
        }

        var unownedGenerated = snapshot.order.filter { path in
            snapshot.entries[path]?.kind == .file && !owned.contains(path) && !produced.contains(path)
                && path != OwnershipLedger.fileName && !path.hasSuffix("/" + OwnershipLedger.fileName)
                && isReachableWithoutLinks(path, in: snapshot)
                && Self.startsWithHeader(folderPath + "/" + path)
                && !Self.ownedByNestedLedger(path, folderPath: folderPath, snapshot: snapshot)
        }
        var pruned: [String] = []
        if pruneUnowned {
            pruned = unownedGenerated
            stale = (stale + pruned).sorted(by: precedesInByteOrder)
            unownedGenerated = []
        }
        for path in unownedGenerated {
            diagnostics.warning(
                .outputUnownedGenerated,
                "'\(environment)/\(path)' carries nbgitops' generated header but the ownership ledger does not list it (a stale file?); it is left in place",
                at: .startOf(folderPath + "/" + path),
                help:
                    "delete it if it is stale (a branch switch or merge can leave one behind), or remove its header if it is meant to stay; `nbgitops check` counts it as drift"
            )
        }

        guard diagnostics.errorCount == errorsBefore else { return nil }
        let ledger = OwnershipLedger(paths: produced)
        return EnvironmentWritePlan(
            environment: environment, folderPath: folderPath, snapshot: snapshot,
            files: planned.sorted { precedesInByteOrder($0.relativePath, $1.relativePath) },
            stale: stale, ledger: ledger, unownedGenerated: unownedGenerated, pruned: pruned,
            ledgerIsCurrent: previousLedgerBytes == ledger.bytes)
    }

    /// Whether a ledger in one of `path`'s folders below the environment folder (another
    /// tool's or a nested render's `.nbgitops-owned`) lists it: such a file is owned, not an orphan.
    static func ownedByNestedLedger(_ path: String, folderPath: String, snapshot: DirectorySnapshot) -> Bool {
        let components = path.split(separator: "/").map(String.init)
        guard components.count > 1 else { return false }
        for depth in 1..<components.count {
            let folder = components[0..<depth].joined(separator: "/")
            let ledger = folder + "/" + OwnershipLedger.fileName
            guard snapshot.entries[ledger]?.kind == .file,
                let bytes = try? FileSystem.readFile(folderPath + "/" + ledger)
            else { continue }
            let inner = components[depth...].joined(separator: "/")
            if OwnershipLedger.parse(bytes).ledger.paths.contains(inner) { return true }
        }
        return false
    }

    /// Whether the file at `path` begins with `FileHeader.prefix` (only its first bytes are read).
    static func startsWithHeader(_ path: String) -> Bool {
        let header = Array(FileHeader.prefix.utf8)
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: header.count) else { return false }
        return [UInt8](data) == header
    }

    /// Validates the rendered paths as text and strips the `<env>/` prefix. Reports unsafe,
    /// foreign-environment, reserved, duplicate and file-versus-folder paths.
    private func relativePaths(
        of files: [OutputFile], environment: String, diagnostics: DiagnosticCollector
    ) -> [(output: String, relative: String, bytes: [UInt8])] {
        var result: [(output: String, relative: String, bytes: [UInt8])] = []
        var seen: Set<String> = []
        let prefix = environment + "/"
        for file in files {
            let shown = escaped(file.path)
            let location = SourceLocation.startOf(shown.hasPrefix("/") ? shown : root.appending(shown))
            if let problem = OutputPathRules.problem(withRelativePath: file.path) {
                diagnostics.error(
                    .outputPath, "unsafe output path '\(shown)': \(problem)", at: location,
                    help:
                        "output paths are relative to the output folder, with '/' separators and no '.' or '..' components"
                )
                continue
            }
            guard file.path.hasPrefix(prefix), file.path.count > prefix.count else {
                diagnostics.error(
                    .outputPath, "output path '\(file.path)' is outside the environment folder '\(prefix)'",
                    at: location, help: "each environment writes only below '<output>/<environment>/'")
                continue
            }
            let relative = String(file.path.dropFirst(prefix.count))
            if relative == OwnershipLedger.fileName {
                diagnostics.error(
                    .outputPath, "output path '\(file.path)' is reserved for nbgitops' ownership ledger", at: location)
                continue
            }
            if !seen.insert(relative).inserted {
                diagnostics.error(.outputPath, "output path '\(file.path)' is produced twice", at: location)
                continue
            }
            result.append((file.path, relative, file.bytes))
        }
        // A path cannot be both a file and a folder of another file.
        for entry in result {
            var ancestor = ""
            for component in entry.relative.split(separator: "/").dropLast() {
                ancestor = ancestor.isEmpty ? String(component) : ancestor + "/" + component
                if seen.contains(ancestor) {
                    diagnostics.error(
                        .outputPath,
                        "output path '\(entry.output)' needs '\(prefix)\(ancestor)' as a folder, but it is also produced as a file",
                        at: .startOf(root.appending(entry.output)))
                }
            }
        }
        return result
    }

    private func reportSymbolicLink(
        at ancestor: String, folderPath: String, outputPath: String, output: String, diagnostics: DiagnosticCollector
    ) {
        let linkPath = folderPath + "/" + ancestor
        let target = (try? FileSystem.readLink(linkPath)) ?? "?"
        let inside: Bool
        if let resolved = FileSystem.resolvedPath(linkPath), let folder = FileSystem.resolvedPath(folderPath) {
            inside = resolved.hasPrefix(folder + "/")
        } else {
            inside = false
        }
        let message =
            inside
            ? "cannot write '\(output)': '\(linkPath)' is a symbolic link (→ '\(target)'); nbgitops never writes through symbolic links"
            : "cannot write '\(output)': it resolves outside the environment folder through the symbolic link '\(linkPath)' → '\(target)'"
        diagnostics.error(
            .outputPath, message, at: .startOf(outputPath), help: "replace the link with a real folder, or remove it")
    }

    /// True when no ancestor of `path` in the snapshot is a symbolic link (the snapshot never
    /// descends into links, so this holds for every recorded entry; kept as a guard).
    private func isReachableWithoutLinks(_ path: String, in snapshot: DirectorySnapshot) -> Bool {
        var ancestor = ""
        for component in path.split(separator: "/").dropLast() {
            ancestor = ancestor.isEmpty ? String(component) : ancestor + "/" + component
            if snapshot.entries[ancestor]?.kind != .directory { return false }
        }
        return true
    }

    private func foreignHelp(environment: String) -> String {
        "nbgitops never overwrites files it did not write; move the file away, or add its path to '\(root.appending(environment))/\(OwnershipLedger.fileName)' to hand it over"
    }

    /// The path with control characters made visible, for messages.
    private func escaped(_ path: String) -> String {
        var text = ""
        for scalar in path.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                text += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        return text
    }
}
