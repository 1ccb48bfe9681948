import Foundation

/// Resolves branch and tag refs to commits with `git ls-remote`, using the user's own git
/// configuration and credential helpers (nbgitops never reads or writes credentials; git must
/// not prompt: `GIT_TERMINAL_PROMPT=0`).
public enum RefResolver {
    /// How one (url, ref) becomes a commit: nil when the remote has no such branch or tag.
    public typealias Resolve = @Sendable (RefLock.Key) throws -> String?

    /// `git ls-remote URL REF REF^{}`, picking the branch, else the peeled tag (the commit an
    /// annotated tag points to: the pattern `REF` alone does not list it), else the tag.
    public static let lsRemote: Resolve = { key in
        let data = try ExternalCommand.output(
            of: "git", ["ls-remote", "--", key.url, key.ref, key.ref + "^{}"], environment: ["GIT_TERMINAL_PROMPT": "0"])
        return commit(for: key.ref, inLsRemoteOutput: String(decoding: data, as: UTF8.self))
    }

    /// The commit `ref` names in `git ls-remote` output (`<sha>\t<refname>` lines).
    static func commit(for ref: String, inLsRemoteOutput output: String) -> String? {
        var byName: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 1)
            guard fields.count == 2, RefLock.isCommit(String(fields[0])) else { continue }
            byName[String(fields[1])] = String(fields[0])
        }
        let candidates =
            ref.hasPrefix("refs/")
            ? [ref + "^{}", ref]
            : ["refs/heads/\(ref)", "refs/tags/\(ref)^{}", "refs/tags/\(ref)", ref]
        return candidates.lazy.compactMap { byName[$0] }.first
    }

    public struct Failure: Sendable, Hashable {
        public var key: RefLock.Key
        public var location: SourceLocation
        public var problem: String
    }

    /// `nbgitops lock`: resolves every branch or tag ref of the specs. The lock holds exactly
    /// the refs the specs use; a ref that cannot be resolved keeps its previous commit (if any)
    /// and is reported.
    public static func lock(
        _ specs: SpecSet, previous: RefLock?, file: String, resolve: Resolve = lsRemote
    ) -> (lock: RefLock, failures: [Failure]) {
        let wanted = RefLock.lockableRefs(in: specs)
        let resolved = Parallel.map(wanted) { item -> (RefLock.Entry?, Failure?) in
            do {
                if let commit = try resolve(item.key) {
                    return (RefLock.Entry(key: item.key, commit: commit), nil)
                }
                return (
                    nil,
                    Failure(key: item.key, location: item.location, problem: "the remote has no branch or tag '\(item.key.ref)'")
                )
            } catch {
                return (nil, Failure(key: item.key, location: item.location, problem: describe(error)))
            }
        }
        var entries: [RefLock.Entry] = []
        var failures: [Failure] = []
        for (index, (entry, failure)) in resolved.enumerated() {
            if let entry { entries.append(entry) }
            if let failure {
                failures.append(failure)
                if let kept = previous?.commit(for: wanted[index].key) {
                    entries.append(RefLock.Entry(key: wanted[index].key, commit: kept))
                }
            }
        }
        return (RefLock(entries: entries, file: file), failures)
    }

    /// `check --refs`: every locked commit whose branch or tag now points elsewhere (or is gone)
    /// is an error (NBG185) at its lock-file entry; a remote that cannot be asked is a warning.
    public static func reportStale(_ lock: RefLock, diagnostics: DiagnosticCollector, resolve: Resolve = lsRemote) {
        let results = Parallel.map(lock.entries) { entry -> Result<String?, any Error> in
            Result { try resolve(entry.key) }
        }
        for (entry, result) in zip(lock.entries, results) {
            let location = entry.location ?? .startOf(lock.file)
            switch result {
            case .success(let current?) where current == entry.commit:
                continue
            case .success(let current?):
                diagnostics.error(
                    .refLockStale,
                    "'\(entry.key.ref)' of \(entry.key.url) moved: locked at \(entry.commit), now at \(current); the validations still test the old commit",
                    at: location, help: "run `nbgitops lock`, then `nbgitops render`, and commit both")
            case .success(nil):
                diagnostics.error(
                    .refLockStale,
                    "'\(entry.key.ref)' of \(entry.key.url) no longer exists on the remote (locked at \(entry.commit))",
                    at: location, help: "point the spec at an existing branch, tag or commit, then run `nbgitops lock`")
            case .failure(let error):
                diagnostics.warning(
                    .refLockStale,
                    "cannot ask \(entry.key.url) where '\(entry.key.ref)' points: \(describe(error))",
                    at: location,
                    help: "check the URL and that your git credentials reach it (`git ls-remote \(entry.key.url)`)")
            }
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case ExternalCommand.Failure.cannotRun(let message): return "git cannot be run (\(message))"
        case ExternalCommand.Failure.exited(let status, let message):
            let last = message.split(separator: "\n").last.map(String.init) ?? ""
            return "git ls-remote exited with status \(status)" + (last.isEmpty ? "" : ": \(last)")
        default: return "\(error)"
        }
    }
}
