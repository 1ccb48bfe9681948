import Foundation
import XCTest

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

extension ObservedEntry {
    /// The entry at `path` (the link itself for a symbolic link), or nil when there is none.
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
}

/// Every entry below `folder`, keyed by relative path (the folder itself is not included).
func treeSnapshot(of folder: String) -> [String: ObservedEntry] {
    var result: [String: ObservedEntry] = [:]
    func walk(_ absolute: String, _ relative: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: absolute) else { return }
        for name in names {
            let full = absolute + "/" + name
            let key = relative.isEmpty ? name : relative + "/" + name
            guard let entry = ObservedEntry.observe(full) else { continue }
            result[key] = entry
            if entry.kind == .directory { walk(full, key) }
        }
    }
    walk(folder, "")
    return result
}

/// Fails the test with a readable list of entries that differ (bytes, inode, mtime or mode).
func assertSameTree(
    _ before: [String: ObservedEntry], _ after: [String: ObservedEntry], _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    var problems: [String] = []
    for key in Set(before.keys).union(after.keys).sorted() where before[key] != after[key] {
        problems.append("  \(key): \(before[key]?.description ?? "absent") → \(after[key]?.description ?? "absent")")
    }
    let heading = message.isEmpty ? "tree changed:\n" : "\(message) tree changed:\n"
    XCTAssert(problems.isEmpty, heading + problems.joined(separator: "\n"), file: file, line: line)
}
