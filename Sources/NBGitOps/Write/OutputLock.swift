import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// How long a run waits for the output folder and what it says while it waits.
public struct OutputLockPolicy: Sendable {
    /// Seconds to wait for another run to finish before giving up (NBG176).
    public var timeout: Double
    /// Called once when the run starts waiting, with the holder's process id when it is known.
    public var onWait: (@Sendable (_ root: String, _ holder: Int32?) -> Void)?

    public init(timeout: Double = 300, onWait: (@Sendable (_ root: String, _ holder: Int32?) -> Void)? = nil) {
        self.timeout = timeout
        self.onWait = onWait
    }

    /// The timeout from `NBGITOPS_LOCK_TIMEOUT` (seconds), else 300.
    public static func timeout(environment: [String: String]) -> Double {
        guard let text = environment["NBGITOPS_LOCK_TIMEOUT"], let seconds = Double(text), seconds >= 0,
            seconds.isFinite
        else { return 300 }
        return min(seconds, 86_400)
    }
}

/// An advisory lock (`flock`) on the output root folder itself, held for a whole `render`
/// (exclusive) or `check` (shared).
///
/// The folder is locked through a descriptor opened on it, not through a lock file: nothing is
/// created in the output (so nothing can be left behind or committed), a read-only output can
/// still be locked, and the kernel drops the lock when its holder dies, even by `kill -9`.
/// The holder's process id comes from `/proc/locks` (Linux), for the waiting message.
///
/// A root that does not exist yet is created under a lock on its nearest existing ancestor, so
/// two first renders cannot both create it and then run side by side. After every lock, the
/// path must still name the locked folder (a run that failed may have removed the root it had
/// created); otherwise the lock is taken again.
struct OutputLock {
    private let descriptor: Int32
    /// Folders created to hold the lock (the root and missing ancestors), outermost first.
    let createdFolders: [String]

    /// Takes the lock, creating the root when `create` is true and it is missing. Returns nil
    /// with an error reported when the lock cannot be had within the policy's timeout, or
    /// when `create` is false and the root does not exist (`missing` is then set).
    static func acquire(
        root: OutputRoot, exclusive: Bool, create: Bool, policy: OutputLockPolicy, diagnostics: DiagnosticCollector
    ) -> OutputLock? {
        let deadline = Date().addingTimeInterval(policy.timeout)
        var announced = false
        func wait(_ folder: String, holder: Int32?) -> Bool {
            if !announced {
                announced = true
                policy.onWait?(root.path, holder)
            }
            guard Date() < deadline else {
                let who = holder.map { "another nbgitops run (process \($0))" } ?? "another nbgitops run"
                diagnostics.error(
                    .outputLocked,
                    "the output folder '\(root.path)' is locked by \(who); gave up after \(Int(policy.timeout)) s",
                    at: .startOf(root.path),
                    help:
                        "wait for that run to finish and run again; set NBGITOPS_LOCK_TIMEOUT (seconds) to wait longer")
                return false
            }
            usleep(50_000)
            return true
        }
        while true {
            let exists: Bool
            do {
                exists = try FileSystem.status(root.path) != nil
            } catch {
                diagnostics.error(.outputWrite, "\(error)", at: .startOf(root.path))
                return nil
            }
            if exists {
                switch lock(root.path, exclusive: exclusive) {
                case .locked(let descriptor):
                    return OutputLock(descriptor: descriptor, createdFolders: [])
                case .moved:
                    continue
                case .busy(let holder):
                    guard wait(root.path, holder: holder) else { return nil }
                    continue
                case .failed(let error):
                    diagnostics.error(.outputWrite, "\(error)", at: .startOf(root.path))
                    return nil
                }
            }
            guard create else { return nil }
            // Lock the nearest existing ancestor, create the root below it, lock the root.
            let ancestor = nearestExistingAncestor(of: root.path)
            switch lock(ancestor, exclusive: true) {
            case .moved:
                continue
            case .busy(let holder):
                guard wait(ancestor, holder: holder) else { return nil }
                continue
            case .failed(let error):
                diagnostics.error(.outputWrite, "\(error)", at: .startOf(root.path))
                return nil
            case .locked(let ancestorDescriptor):
                defer { close(ancestorDescriptor) }
                if (try? FileSystem.status(root.path)) ?? nil != nil { continue }
                let created: [String]
                do {
                    created = try createFolders(root.path)
                } catch let failure as WriteFailure {
                    diagnostics.error(.outputWrite, failure.message, at: .startOf(failure.path))
                    return nil
                } catch {
                    diagnostics.error(.outputWrite, "\(error)", at: .startOf(root.path))
                    return nil
                }
                // Nobody can hold the new root yet: it appeared under the ancestor's lock.
                switch lock(root.path, exclusive: exclusive) {
                case .locked(let descriptor):
                    return OutputLock(descriptor: descriptor, createdFolders: created)
                case .busy, .moved:
                    continue
                case .failed(let error):
                    diagnostics.error(.outputWrite, "\(error)", at: .startOf(root.path))
                    return nil
                }
            }
        }
    }

    /// Releases the lock; on failure, first removes the folders created for it if still empty.
    func release(removingCreatedFolders: Bool) {
        if removingCreatedFolders {
            for path in createdFolders.reversed() { try? FileSystem.removeDirectory(path) }
        }
        close(descriptor)
    }

    private enum Attempt {
        case locked(Int32)
        /// Another process holds it (its process id, when known).
        case busy(Int32?)
        /// The path no longer names the folder that was locked.
        case moved
        case failed(FileSystemError)
    }

    private static func lock(_ path: String, exclusive: Bool) -> Attempt {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if descriptor < 0 {
            let code = errno
            if code == ENOENT { return .moved }
            return .failed(FileSystemError(operation: "open (to lock it)", path: path, code: code))
        }
        if flock(descriptor, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0 {
            let code = errno
            var info = stat()
            let inode = fstat(descriptor, &info) == 0 ? UInt64(info.st_ino) : nil
            close(descriptor)
            if code == EWOULDBLOCK || code == EAGAIN { return .busy(inode.flatMap(holder(ofInode:))) }
            return .failed(FileSystemError(operation: "lock", path: path, code: code))
        }
        var locked = stat()
        var named = stat()
        guard fstat(descriptor, &locked) == 0, lstat(path, &named) == 0, locked.st_dev == named.st_dev,
            locked.st_ino == named.st_ino
        else {
            close(descriptor)
            return .moved
        }
        return .locked(descriptor)
    }

    /// The process holding a `flock` on the inode, from `/proc/locks`
    /// (`1: FLOCK  ADVISORY  WRITE 1234 08:02:5678 0 EOF`); nil elsewhere or when not listed.
    private static func holder(ofInode inode: UInt64) -> Int32? {
        guard let bytes = try? FileSystem.readFile("/proc/locks") else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where !line.contains("->") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK",
                let device = fields[5].split(separator: ":").last, UInt64(device) == inode
            else { continue }
            return Int32(fields[4])
        }
        return nil
    }

    private static func nearestExistingAncestor(of path: String) -> String {
        var folder = path
        while true {
            let parent = parentPath(folder)
            if parent == folder { return folder }
            if (try? FileSystem.status(parent))?.map({ $0.kind == .directory }) ?? false { return parent }
            folder = parent
        }
    }

    private static func parentPath(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// Creates the root and its missing ancestors; returns the folders created, outermost first.
    static func createFolders(_ rootPath: String) throws -> [String] {
        var created: [String] = []
        var prefix = rootPath.hasPrefix("/") ? "" : nil as String?
        for component in rootPath.split(separator: "/") {
            let path = prefix.map { $0 + "/" + component } ?? String(component)
            prefix = path
            do {
                switch try FileSystem.status(path)?.kind {
                case nil:
                    try FileSystem.makeDirectory(path)
                    created.append(path)
                case .directory, .symbolicLink:
                    continue  // an existing ancestor; a link above the root is the user's setup
                case .file, .special:
                    throw WriteFailure(message: "'\(path)' exists and is not a folder", path: path)
                }
            } catch let error as FileSystemError {
                for folder in created.reversed() { try? FileSystem.removeDirectory(folder) }
                throw WriteFailure(message: error.description, path: path)
            } catch {
                for folder in created.reversed() { try? FileSystem.removeDirectory(folder) }
                throw error
            }
        }
        return created
    }
}
