import Foundation
import XCTest

@testable import NBGitOps

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A temporary output area for one test, removed afterwards.
final class WriteSandbox {
    /// The temporary folder holding the output root (and anything a test puts next to it).
    let base: String
    /// `<base>/gitops`, the output root (not created until a test or a write creates it).
    let root: String

    init() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("nbgitops-write-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        base = url.path
        root = base + "/gitops"
    }

    deinit {
        try? FileManager.default.removeItem(atPath: base)
    }

    func path(_ relative: String) -> String { root + "/" + relative }

    /// Creates a file (and its folders) below the root, as a user or another tool would.
    func put(_ relative: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path(relative))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func makeFolder(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: path(relative), withIntermediateDirectories: true)
    }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: path(relative)).map { String(decoding: $0, as: UTF8.self) }
    }

    func exists(_ relative: String) -> Bool {
        var info = stat()
        return lstat(path(relative), &info) == 0
    }

    /// Every entry below `folder` (default: the whole sandbox), keyed by relative path.
    func snapshot(of folder: String? = nil) -> [String: ObservedEntry] { treeSnapshot(of: folder ?? base) }

    func observe(_ relative: String) -> ObservedEntry? { ObservedEntry.observe(path(relative)) }

    /// Sets every file's modification time below the root to 2001-09-09, so that any rewrite
    /// (which would stamp the current time) shows.
    func backdateFiles() {
        for (relative, entry) in snapshot(of: root) {
            guard case .file = entry.kind else { continue }
            var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
            XCTAssertEqual(utimensat(AT_FDCWD, path(relative), &times, AT_SYMLINK_NOFOLLOW), 0)
        }
    }

    /// Entries the writer may leave at the root level only while it runs.
    var leftovers: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { $0.hasPrefix(".nbgitops-") }
            .sorted()
    }
}

func outputFile(_ path: String, _ text: String) -> OutputFile {
    OutputFile(path: path, bytes: Array(text.utf8))
}

extension DiagnosticCollector {
    /// `error[NBG170]: …` lines, sorted, without locations.
    var summaries: [String] { sorted.map { "\($0.severity.rawValue)[\($0.id.rawValue)]: \($0.message)" } }
    func ids(_ severity: DiagnosticSeverity = .error) -> [String] {
        sorted.filter { $0.severity == severity }.map(\.id.rawValue)
    }
}

/// The ledger text for owned paths.
func ledgerText(_ paths: [String]) -> String {
    OwnershipLedger.header + "\n" + paths.map { $0 + "\n" }.joined()
}
