#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a file system call failed: what was attempted, on which path, and the C library's reason.
///
/// `path` is the path as the user would name it (the staging folder is mapped back to the
/// environment folder by the caller), so messages stay meaningful.
struct FileSystemError: Error, CustomStringConvertible {
    var operation: String
    var path: String
    var code: Int32

    var description: String {
        "cannot \(operation) '\(path)': \(String(cString: strerror(code)))"
    }
}

/// What kind of directory entry a path names, seen without following symbolic links.
enum EntryKind: Hashable, Sendable {
    case file
    case directory
    case symbolicLink
    /// FIFOs, sockets, devices: preserved when foreign, never produced.
    case special

    var noun: String {
        switch self {
        case .file: return "a file"
        case .directory: return "a folder"
        case .symbolicLink: return "a symbolic link"
        case .special: return "a special file"
        }
    }
}

/// The `lstat` facts the Write stage relies on.
struct EntryStatus: Hashable, Sendable {
    var kind: EntryKind
    var device: UInt64
    var inode: UInt64
    /// Permission bits (`mode & 0o7777`).
    var permissions: UInt32
    var size: Int

    /// Same object on disk (hard links share it).
    func isSameObject(as other: EntryStatus) -> Bool {
        device == other.device && inode == other.inode
    }
}

/// Thin, throwing wrappers over the POSIX calls the Write stage needs.
///
/// Every call works on the entry itself and never follows a symbolic link: `lstat`,
/// `O_NOFOLLOW`, `linkat` without `AT_SYMLINK_FOLLOW`, `unlink`/`rmdir`, `utimensat` with
/// `AT_SYMLINK_NOFOLLOW`. Foundation's `FileManager` follows links in several places, so it is
/// not used here.
enum FileSystem {
    /// The entry at `path`, or nil when nothing is there (`ENOENT`, or `ENOTDIR` for a path
    /// whose parent is not a folder).
    static func status(_ path: String) throws -> EntryStatus? {
        var info = stat()
        if lstat(path, &info) != 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw FileSystemError(operation: "inspect", path: path, code: code)
        }
        return entryStatus(info)
    }

    private static func entryStatus(_ info: stat) -> EntryStatus {
        let format = UInt32(info.st_mode) & 0o170000
        let kind: EntryKind
        switch format {
        case 0o100000: kind = .file
        case 0o040000: kind = .directory
        case 0o120000: kind = .symbolicLink
        default: kind = .special
        }
        return EntryStatus(
            kind: kind, device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
            permissions: UInt32(info.st_mode) & 0o7777, size: Int(info.st_size))
    }

    /// Names in a folder, excluding `.` and `..`, sorted by UTF-8 bytes.
    /// A name that is not valid UTF-8 is an error: it could not be named back safely.
    static func contentsOfDirectory(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else {
            throw FileSystemError(operation: "list folder", path: path, code: errno)
        }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw FileSystemError(operation: "list folder", path: path, code: errno) }
                break
            }
            let name: String? = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(
                    to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)
                ) { String(validatingCString: $0) }
            }
            guard let name else {
                throw FileSystemError(operation: "list folder (a file name is not UTF-8)", path: path, code: EILSEQ)
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Reads a regular file without following a symbolic link in its last component.
    static func readFile(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if descriptor < 0 { throw FileSystemError(operation: "read", path: path, code: errno) }
        defer { close(descriptor) }
        var info = stat()
        if fstat(descriptor, &info) != 0 { throw FileSystemError(operation: "read", path: path, code: errno) }
        guard entryStatus(info).kind == .file else {
            throw FileSystemError(operation: "read", path: path, code: EINVAL)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(operation: "read", path: path, code: errno)
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return bytes
    }

    /// Creates a new regular file (never replacing or following anything) holding `bytes`.
    /// `permissions` is filtered by the process umask, as `open` does.
    /// Byte equality through `memcmp` (`Array.==` compares element by element).
    static func sameBytes(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                guard let a = left.baseAddress, let b = right.baseAddress else { return true }
                return memcmp(a, b, left.count) == 0
            }
        }
    }

    static func createFile(_ path: String, bytes: [UInt8], permissions: UInt32 = 0o666) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(permissions))
        if descriptor < 0 { throw FileSystemError(operation: "create", path: path, code: errno) }
        var closed = false
        defer { if !closed { close(descriptor) } }
        try writeAll(descriptor, bytes, path: path)
        closed = true
        if close(descriptor) != 0 { throw FileSystemError(operation: "write", path: path, code: errno) }
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                write(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(operation: "write", path: path, code: errno)
            }
            offset += count
        }
    }

    /// Creates a folder. `permissions` is filtered by the process umask, as `mkdir` does.
    static func makeDirectory(_ path: String, permissions: UInt32 = 0o777) throws {
        if mkdir(path, mode_t(permissions)) != 0 {
            throw FileSystemError(operation: "create folder", path: path, code: errno)
        }
    }

    /// Sets permission bits (used to give a rebuilt folder its old mode back).
    static func setPermissions(_ path: String, _ permissions: UInt32) throws {
        if chmod(path, mode_t(permissions)) != 0 {
            throw FileSystemError(operation: "set permissions of", path: path, code: errno)
        }
    }

    /// A hard link to the entry itself (a symbolic link is linked, not its target).
    static func hardLink(from source: String, to destination: String) throws {
        if linkat(AT_FDCWD, source, AT_FDCWD, destination, 0) != 0 {
            throw FileSystemError(operation: "link", path: destination, code: errno)
        }
    }

    /// Copies a regular file or a symbolic link, keeping its permissions and its access and
    /// modification times (the fallback when hard links are refused, e.g. by
    /// `fs.protected_hardlinks` for another user's file).
    static func copyPreservingTimes(from source: String, to destination: String) throws {
        var info = stat()
        if lstat(source, &info) != 0 { throw FileSystemError(operation: "inspect", path: source, code: errno) }
        let status = entryStatus(info)
        switch status.kind {
        case .file:
            let bytes = try readFile(source)
            let descriptor = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if descriptor < 0 { throw FileSystemError(operation: "create", path: destination, code: errno) }
            defer { close(descriptor) }
            try writeAll(descriptor, bytes, path: destination)
            if fchmod(descriptor, mode_t(status.permissions)) != 0 {
                throw FileSystemError(operation: "set permissions of", path: destination, code: errno)
            }
            if !setTimes(info, { futimens(descriptor, $0) }) {
                throw FileSystemError(operation: "set times of", path: destination, code: errno)
            }
        case .symbolicLink:
            let target = try readLink(source)
            if symlink(target, destination) != 0 {
                throw FileSystemError(operation: "create link", path: destination, code: errno)
            }
            if !setTimes(info, { utimensat(AT_FDCWD, destination, $0, AT_SYMLINK_NOFOLLOW) }) {
                throw FileSystemError(operation: "set times of", path: destination, code: errno)
            }
        case .directory, .special:
            throw FileSystemError(operation: "copy", path: source, code: ENOTSUP)
        }
    }

    /// Gives an entry the access and modification times of `info` through `call` (`futimens`
    /// or `utimensat`), which wants a pointer to two consecutive `timespec`s. An array is
    /// passed, not a tuple element: `&tuple.0` may point at a one-element temporary, and the
    /// call would then read the modification time from whatever follows it.
    private static func setTimes(_ info: stat, _ call: (UnsafePointer<timespec>) -> Int32) -> Bool {
        #if canImport(Darwin)
            let times = [info.st_atimespec, info.st_mtimespec]
        #else
            let times = [info.st_atim, info.st_mtim]
        #endif
        return times.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return false }
            return call(base) == 0
        }
    }

    /// Links when possible, copies otherwise (`linking` false: always copies, as where hard
    /// links are refused).
    static func linkOrCopy(from source: String, to destination: String, linking: Bool = true) throws {
        guard linking else { return try copyPreservingTimes(from: source, to: destination) }
        do {
            try hardLink(from: source, to: destination)
        } catch let linkError as FileSystemError {
            if linkError.code == ENOENT || linkError.code == EEXIST { throw linkError }
            try copyPreservingTimes(from: source, to: destination)
        }
    }

    static func readLink(_ path: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        if count < 0 { throw FileSystemError(operation: "read link", path: path, code: errno) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The canonical absolute path (every link resolved), or nil when it does not resolve.
    static func resolvedPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func removeFile(_ path: String) throws {
        if unlink(path) != 0 { throw FileSystemError(operation: "remove", path: path, code: errno) }
    }

    static func removeDirectory(_ path: String) throws {
        if rmdir(path) != 0 { throw FileSystemError(operation: "remove folder", path: path, code: errno) }
    }

    /// Removes a folder this run created, with everything in it, never following links.
    static func removeTree(_ path: String) throws {
        guard let status = try status(path) else { return }
        if status.kind == .directory {
            for name in try contentsOfDirectory(path) {
                try removeTree(path + "/" + name)
            }
            try removeDirectory(path)
        } else {
            try removeFile(path)
        }
    }

    /// Renames, refusing to replace an existing entry when the kernel can promise that
    /// (`RENAME_NOREPLACE`); otherwise checks first (a plain `rename` would replace an empty folder).
    static func renameNoReplace(from source: String, to destination: String) throws {
        if let result = Renameat2.call(source, destination, flags: Renameat2.noReplace) {
            if result == 0 { return }
            let code = errno
            if !Renameat2.isUnsupported(code) {
                throw FileSystemError(operation: "rename to", path: destination, code: code)
            }
        }
        if try status(destination) != nil {
            throw FileSystemError(operation: "rename to", path: destination, code: EEXIST)
        }
        if rename(source, destination) != 0 {
            throw FileSystemError(operation: "rename to", path: destination, code: errno)
        }
    }

    /// Swaps two existing entries in one atomic step (`renameat2(RENAME_EXCHANGE)`).
    /// Returns false, having changed nothing, when the kernel or file system cannot do it.
    static func exchange(_ first: String, _ second: String) throws -> Bool {
        guard let result = Renameat2.call(first, second, flags: Renameat2.exchange) else { return false }
        if result == 0 { return true }
        let code = errno
        if Renameat2.isUnsupported(code) { return false }
        throw FileSystemError(operation: "swap in", path: second, code: code)
    }

    /// Plain `rename` (replaces a file or an empty folder at `destination`).
    static func move(from source: String, to destination: String) throws {
        if rename(source, destination) != 0 {
            throw FileSystemError(operation: "rename to", path: destination, code: errno)
        }
    }
}

/// Linux `renameat2`, looked up at run time.
///
/// Glibc declares it only under `_GNU_SOURCE`, which Swift's Glibc module does not see, and
/// `syscall(2)` is variadic so Swift cannot call it; `dlsym` finds the symbol glibc ≥ 2.28
/// exports. Where it is missing (older glibc, musl without it, Darwin) callers fall back to
/// plain renames.
enum Renameat2 {
    typealias Function = @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32) -> Int32

    /// `RENAME_NOREPLACE` from `<linux/fs.h>`.
    static let noReplace: UInt32 = 1
    /// `RENAME_EXCHANGE` from `<linux/fs.h>`.
    static let exchange: UInt32 = 2

    private static let function: Function? = {
        #if os(Linux)
            guard let symbol = dlsym(nil, "renameat2") else { return nil }
            return unsafeBitCast(symbol, to: Function.self)
        #else
            return nil
        #endif
    }()

    /// The call's result (0 or -1 with `errno` set), or nil when `renameat2` is unavailable.
    static func call(_ source: String, _ destination: String, flags: UInt32) -> Int32? {
        guard let function else { return nil }
        return function(AT_FDCWD, source, AT_FDCWD, destination, flags)
    }

    /// Errors meaning "this kernel or file system does not do that flag", not "it failed".
    static func isUnsupported(_ code: Int32) -> Bool {
        code == ENOSYS || code == EINVAL || code == ENOTSUP || code == EOPNOTSUPP
    }
}
