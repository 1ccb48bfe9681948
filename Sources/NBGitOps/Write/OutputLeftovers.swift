#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Something in the output root that no current environment accounts for and that `git add -A`
/// would commit: a killed run's staging or backup folder, or the folder of an environment that
/// was renamed or removed from the project (`NBG177`).
public struct OutputLeftover: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// `.nbgitops-staging-<env>-<pid>`: an unfinished render, or a folder's previous
        /// content that a killed run did not get to delete.
        case staging
        /// `.nbgitops-previous-<env>-<pid>`: an environment folder's previous content, moved
        /// aside by a run killed before it finished (where `RENAME_EXCHANGE` is missing).
        case previous
        /// A folder with nbgitops' ownership ledger whose environment the project no longer has.
        case removedEnvironment = "removed environment"
    }

    /// The entry's name in the output root.
    public var name: String
    /// `<root>/<name>`.
    public var path: String
    public var kind: Kind
    /// For a removed environment: its entries nbgitops does not own (ledger), relative to it.
    public var foreign: [String]

    /// One line for `check`: what it is and what to do.
    public var explanation: String {
        switch kind {
        case .staging, .previous:
            return
                "'\(path)' was left behind by an interrupted nbgitops run; `nbgitops render` removes it (it holds an unfinished render or a folder's previous content)"
        case .removedEnvironment where foreign.isEmpty:
            return
                "'\(path)' is the output of an environment the project no longer defines; `nbgitops render` removes it (every file in it is nbgitops' own)"
        case .removedEnvironment:
            return
                "'\(path)' is the output of an environment the project no longer defines, and it holds files nbgitops does not own (\(foreign.prefix(3).joined(separator: ", "))\(foreign.count > 3 ? ", …" : "")): move them elsewhere, then remove the folder"
        }
    }
}

/// Finds and clears leftovers in the output root. `render` clears them while it holds the
/// output lock (so no live run can own them); `check` reports them as drift.
enum OutputLeftovers {
    static let stagingPrefix = ".nbgitops-staging-"
    static let previousPrefix = ".nbgitops-previous-"

    /// Leftovers in `root`, sorted by name. `environments`: every environment of the project
    /// (nil ad hoc, where other folders in the output are none of this run's business).
    static func find(in root: OutputRoot, environments: Set<String>?) -> [OutputLeftover] {
        guard let names = try? FileSystem.contentsOfDirectory(root.path) else { return [] }
        var found: [OutputLeftover] = []
        for name in names {
            let path = root.appending(name)
            if name.hasPrefix(stagingPrefix) {
                found.append(OutputLeftover(name: name, path: path, kind: .staging, foreign: []))
            } else if name.hasPrefix(previousPrefix) {
                found.append(OutputLeftover(name: name, path: path, kind: .previous, foreign: []))
            } else if let environments, !name.hasPrefix("."), !environments.contains(name),
                let foreign = ownedFolderForeignEntries(path)
            {
                found.append(OutputLeftover(name: name, path: path, kind: .removedEnvironment, foreign: foreign))
            }
        }
        return found
    }

    /// For a real folder holding an ownership ledger: the entries the ledger does not account
    /// for (files it does not list, links, special files; folders holding only owned files are
    /// accounted for). Nil when `path` is not such a folder.
    static func ownedFolderForeignEntries(_ path: String) -> [String]? {
        guard (try? FileSystem.status(path))??.kind == .directory,
            let status = (try? FileSystem.status(path + "/" + OwnershipLedger.fileName)) ?? nil, status.kind == .file,
            let bytes = try? FileSystem.readFile(path + "/" + OwnershipLedger.fileName),
            let snapshot = try? DirectorySnapshot.take(of: path)
        else { return nil }
        let owned = Set(OwnershipLedger.parse(bytes).ledger.paths)
        var foreign: [String] = []
        for relative in snapshot.order where relative != OwnershipLedger.fileName {
            guard let entry = snapshot.entries[relative], entry.kind != .directory else { continue }
            if entry.kind != .file || !owned.contains(relative) { foreign.append(relative) }
        }
        return foreign
    }

    /// The environment a `.nbgitops-previous-<env>-<pid>[-<n>]` folder belongs to, among `known`.
    static func environment(ofPrevious name: String, known: [String]) -> String? {
        let rest = name.dropFirst(previousPrefix.count)
        return
            known
            .filter { environment in
                guard rest.hasPrefix(environment + "-") else { return false }
                let suffix = rest.dropFirst(environment.count + 1).split(separator: "-", omittingEmptySubsequences: false)
                return (1...2).contains(suffix.count)
                    && suffix.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
            }
            .max { $0.utf8.count < $1.utf8.count }
    }

    /// Clears what killed runs left, before planning (the caller holds the exclusive lock, so
    /// no live run owns any of it): a moved-aside folder whose environment folder is missing is
    /// moved back (the killed run had not put the new one in), other backup and staging
    /// folders are deleted (never following links). What cannot be cleared is reported.
    static func clearInterruptedRuns(in root: OutputRoot, known: [String], diagnostics: DiagnosticCollector) {
        for leftover in find(in: root, environments: nil) {
            do {
                if leftover.kind == .previous, let environment = environment(ofPrevious: leftover.name, known: known),
                    try FileSystem.status(root.appending(environment)) == nil
                {
                    try FileSystem.renameNoReplace(from: leftover.path, to: root.appending(environment))
                    continue
                }
                if leftover.kind == .previous, environment(ofPrevious: leftover.name, known: known) == nil {
                    // Whose folder it was is unknown here: it may be the only copy of foreign files.
                    diagnostics.warning(
                        .outputLeftover, leftover.explanation + "; it was kept", at: .startOf(leftover.path),
                        help: "check it for files to keep, then remove it")
                    continue
                }
                try FileSystem.removeTree(leftover.path)
            } catch {
                diagnostics.warning(
                    .outputLeftover, "could not remove '\(leftover.path)', left behind by an interrupted nbgitops run: \(error)",
                    at: .startOf(leftover.path), help: "check it for files to keep, then remove it")
            }
        }
    }

    /// Removes the folders of environments the project no longer defines when nbgitops owns
    /// every file in them (moved aside first, so the folder disappears in one step); folders
    /// holding anything else are kept and reported.
    static func removeFormerEnvironments(
        in root: OutputRoot, environments: Set<String>, diagnostics: DiagnosticCollector
    ) {
        for leftover in find(in: root, environments: environments) where leftover.kind == .removedEnvironment {
            guard leftover.foreign.isEmpty else {
                diagnostics.warning(
                    .outputLeftover, leftover.explanation, at: .startOf(leftover.path),
                    help: "nbgitops deletes only files its ledger lists; it kept the folder")
                continue
            }
            let aside = root.appending("\(stagingPrefix)\(leftover.name)-\(getpid())")
            do {
                try FileSystem.renameNoReplace(from: leftover.path, to: aside)
                try FileSystem.removeTree(aside)
            } catch {
                diagnostics.warning(
                    .outputLeftover, "could not remove '\(leftover.path)', the output of a removed environment: \(error)",
                    at: .startOf(leftover.path), help: "remove it by hand")
            }
        }
    }
}
