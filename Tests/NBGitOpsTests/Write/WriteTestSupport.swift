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

/// What a test can observe of one directory entry, never following links.
struct ObservedEntry: Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        case file([UInt8])
        case directory
        case symbolicLink(String)
        case other
    }

    var kind: Kind
    var inode: UInt64
    var modificationSeconds: Int
    var modificationNanoseconds: Int
    var permissions: UInt32

    var description: String {
        let what: String
        switch kind {
        case .file(let bytes): what = "file \(String(decoding: bytes, as: UTF8.self).debugDescription)"
        case .directory: what = "dir"
        case .symbolicLink(let target): what = "link → \(target)"
        case .other: what = "other"
        }
        return
            "\(what) inode=\(inode) mtime=\(modificationSeconds).\(modificationNanoseconds) mode=\(String(permissions, radix: 8))"
    }
}

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
    func snapshot(of folder: String? = nil) -> [String: ObservedEntry] {
        var result: [String: ObservedEntry] = [:]
        func walk(_ absolute: String, _ relative: String) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: absolute) else { return }
            for name in names {
                let full = absolute + "/" + name
                let key = relative.isEmpty ? name : relative + "/" + name
                guard let entry = Self.observe(full) else { continue }
                result[key] = entry
                if entry.kind == .directory { walk(full, key) }
            }
        }
        walk(folder ?? base, "")
        return result
    }

    static func observe(_ path: String) -> ObservedEntry? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        let kind: ObservedEntry.Kind
        switch UInt32(info.st_mode) & 0o170000 {
        case 0o100000:
            kind = .file(FileManager.default.contents(atPath: path).map { Array($0) } ?? [])
        case 0o040000:
            kind = .directory
        case 0o120000:
            kind = .symbolicLink((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
        default:
            kind = .other
        }
        #if canImport(Darwin)
            let time = info.st_mtimespec
        #else
            let time = info.st_mtim
        #endif
        return ObservedEntry(
            kind: kind, inode: UInt64(info.st_ino), modificationSeconds: Int(time.tv_sec),
            modificationNanoseconds: Int(time.tv_nsec), permissions: UInt32(info.st_mode) & 0o7777)
    }

    func observe(_ relative: String) -> ObservedEntry? { Self.observe(path(relative)) }

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

/// Fails the test with a readable list of differing entries.
func assertSameTree(
    _ before: [String: ObservedEntry], _ after: [String: ObservedEntry], file: StaticString = #filePath,
    line: UInt = #line
) {
    var problems: [String] = []
    for key in Set(before.keys).union(after.keys).sorted() where before[key] != after[key] {
        problems.append("\(key): \(before[key]?.description ?? "absent") → \(after[key]?.description ?? "absent")")
    }
    XCTAssert(problems.isEmpty, "tree changed:\n" + problems.joined(separator: "\n"), file: file, line: line)
}
