import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// Support for the integration tests: they run the built `nbgitops` executable as a user would,
// in a throw-away copy of the repository's example project, and look only at exit codes,
// standard output/error and the files on disk.

/// What one run of the executable left behind.
struct CLIRun: CustomStringConvertible {
    var arguments: [String]
    var status: Int32
    var stdout: String
    var stderr: String
    /// True when the run was killed for exceeding its time limit.
    var timedOut: Bool
    var seconds: Double

    var description: String {
        "nbgitops \(arguments.joined(separator: " ")) → exit \(status)\(timedOut ? " (TIMED OUT)" : "") in "
            + String(format: "%.2f", seconds) + " s\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }

    var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
    var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    /// Lines of standard error shaped `file:line:col: error[NBGnnn]: message`.
    var locatedErrors: [String] { stderrLines.filter(IntegrationCLI.isLocatedError) }
}

/// Finds and runs the `nbgitops` executable built next to the test bundle.
enum IntegrationCLI {
    /// The executable, found as a sibling of the test bundle (or `NBGITOPS_EXECUTABLE`).
    static let executable: URL? = {
        let manager = FileManager.default
        func isExecutableFile(_ url: URL) -> Bool {
            var isDirectory: ObjCBool = false
            return manager.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
                && manager.isExecutableFile(atPath: url.path)
        }
        if let explicit = ProcessInfo.processInfo.environment["NBGITOPS_EXECUTABLE"] {
            let url = URL(fileURLWithPath: explicit)
            return isExecutableFile(url) ? url : nil
        }
        let starts = [
            Bundle(for: IntegrationBundleMarker.self).bundleURL, Bundle.main.bundleURL,
            URL(fileURLWithPath: CommandLine.arguments.first ?? "."),
        ]
        for start in starts {
            var folder = start.standardizedFileURL
            for _ in 0..<6 {
                let candidate = folder.appendingPathComponent("nbgitops")
                if isExecutableFile(candidate) { return candidate }
                let parent = folder.deletingLastPathComponent()
                if parent.path == folder.path { break }
                folder = parent
            }
        }
        return nil
    }()

    /// The executable, or an `XCTSkip` saying how to get it.
    static func requireExecutable() throws -> URL {
        guard let executable else {
            throw RequiredTool.missing(
                "no built `nbgitops` executable next to the test bundle; run `swift build --build-tests` first "
                    + "or set NBGITOPS_EXECUTABLE")
        }
        return executable
    }

    /// Runs the executable with `arguments` in `directory`; kills it after `timeout` seconds.
    /// Output goes to files, not pipes, so a chatty run can never block on a full pipe.
    /// `unsetting`: variables removed from the inherited environment (`NBGITOPS_HOME`);
    /// `executable`: another binary to run (an installed copy, `git`).
    static func run(
        _ arguments: [String], in directory: String, environment extra: [String: String] = [:],
        unsetting: [String] = [], executable other: URL? = nil, timeout: TimeInterval = 120
    ) throws -> CLIRun {
        let executable = try other ?? requireExecutable()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nbgitops-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        for key in unsetting { environment[key] = nil }
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        let start = Date()
        try process.run()
        var timedOut = false
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
        }
        let seconds = Date().timeIntervalSince(start)
        try outHandle.close()
        try errHandle.close()
        let stdout = String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        return CLIRun(
            arguments: arguments, status: process.terminationStatus, stdout: stdout, stderr: stderr,
            timedOut: timedOut, seconds: seconds)
    }

    /// `path:line:col: error[NBGnnn]: message` with a positive line and column.
    static func isLocatedError(_ line: String) -> Bool {
        guard let range = line.range(of: ": error[NBG") else { return false }
        let location = line[..<range.lowerBound]
        let parts = location.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3, let lineNumber = Int(parts[parts.count - 2]), let column = Int(parts[parts.count - 1]),
            lineNumber >= 1, column >= 1, !parts[0].isEmpty
        else { return false }
        let rest = line[range.upperBound...]
        let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
        return digits.count == 3 && rest.dropFirst(3).hasPrefix("]: ")
    }
}

/// Only here so `Bundle(for:)` can find the test bundle.
final class IntegrationBundleMarker {}

/// A throw-away copy of the repository's example project (nbgitops.yaml, examples/, overlays/,
/// templates/) in a temporary folder outside the repository; removed when released.
final class IntegrationProject {
    /// The repository checkout the tests were compiled from.
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url = url.deletingLastPathComponent() }
        return url.path
    }()

    static let projectParts = ["nbgitops.yaml", "examples", "overlays", "templates", "docs"]

    /// The temporary folder holding the project folder and anything a test puts next to it.
    let base: String
    /// The project folder (also `NBGITOPS_HOME` for every run).
    let root: String

    init(copy parts: [String] = IntegrationProject.projectParts) throws {
        let manager = FileManager.default
        let url = manager.temporaryDirectory.appendingPathComponent("nbgitops-integration-\(UUID().uuidString)")
        try manager.createDirectory(at: url, withIntermediateDirectories: true)
        // Resolve /tmp-style symlinks once so paths printed by the tool match ours.
        base = url.resolvingSymlinksInPath().path
        root = base + "/project"
        try manager.createDirectory(atPath: root, withIntermediateDirectories: true)
        for part in parts {
            let source = Self.repositoryRoot + "/" + part
            guard manager.fileExists(atPath: source) else {
                throw XCTSkip("the repository has no \(part) to copy (looked in \(Self.repositoryRoot))")
            }
            try manager.copyItem(atPath: source, toPath: root + "/" + part)
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: base)
    }

    func path(_ relative: String) -> String { root + "/" + relative }

    /// Runs `nbgitops` in the project folder with `NBGITOPS_HOME` set to it.
    func run(
        _ arguments: [String], in folder: String? = nil, environment: [String: String] = [:],
        timeout: TimeInterval = 120
    ) throws -> CLIRun {
        var environment = environment
        environment["NBGITOPS_HOME"] = root
        return try IntegrationCLI.run(arguments, in: folder ?? root, environment: environment, timeout: timeout)
    }

    func write(_ relative: String, _ text: String) throws {
        try write(relative, bytes: Array(text.utf8))
    }

    func write(_ relative: String, bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: path(relative))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: path(relative)).map { String(decoding: $0, as: UTF8.self) }
    }

    func exists(_ relative: String) -> Bool {
        var info = stat()
        return lstat(path(relative), &info) == 0
    }

    func remove(_ relative: String) throws {
        try FileManager.default.removeItem(atPath: path(relative))
    }

    /// Every entry below `relative` (default `gitops`), keyed by path relative to it.
    func snapshot(_ relative: String = "gitops") -> [String: ObservedEntry] {
        treeSnapshot(of: path(relative))
    }

    /// Regular files below `relative` with their bytes, keyed by path relative to it.
    func files(_ relative: String = "gitops") -> [String: [UInt8]] {
        integrationFiles(of: path(relative))
    }
}

/// Regular files below `folder` with their bytes.
func integrationFiles(of folder: String) -> [String: [UInt8]] {
    var result: [String: [UInt8]] = [:]
    for (key, entry) in treeSnapshot(of: folder) {
        if case .file(let bytes) = entry.kind { result[key] = bytes }
    }
    return result
}

/// Fails with the paths whose bytes differ, and the first differing line of each.
func assertIntegrationFilesEqual(
    _ expected: [String: [UInt8]], _ actual: [String: [UInt8]], _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    var problems: [String] = []
    for key in Set(expected.keys).union(actual.keys).sorted() where expected[key] != actual[key] {
        guard let old = expected[key], let new = actual[key] else {
            problems.append("  \(key): \(expected[key] == nil ? "only in second" : "only in first")")
            continue
        }
        let oldLines = String(decoding: old, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let newLines = String(decoding: new, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let index =
            (0..<min(oldLines.count, newLines.count)).first { oldLines[$0] != newLines[$0] }
            ?? min(oldLines.count, newLines.count)
        let oldLine = index < oldLines.count ? String(oldLines[index]) : "<end>"
        let newLine = index < newLines.count ? String(newLines[index]) : "<end>"
        problems.append("  \(key):\(index + 1): \(oldLine.debugDescription) vs \(newLine.debugDescription)")
    }
    XCTAssert(problems.isEmpty, "\(message) files differ:\n" + problems.joined(separator: "\n"), file: file, line: line)
}

/// The environments of the example project, as `nbgitops.yaml` names them.
let integrationEnvironments = ["kubernetes", "openshift-gpu", "openshift-rwx"]

/// A small, valid spec that does not depend on the repository's examples. `podConfig`: lines
/// added to its podConfig (indented 4 spaces, each ending in a newline).
func integrationJobSpec(name: String = "integration-probe", labels: String = "    team: qa", podConfig: String = "") -> String {
    """
    apiVersion: mlops.mlops.dev/v1alpha1
    kind: NotebookValidationJob
    metadata:
      name: \(name)
      labels:
    \(labels)
    spec:
      notebook:
        git:
          url: https://github.com/example-org/probe.git
          ref: main
        path: notebooks/probe.ipynb
      podConfig:
        containerImage: quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2
    \(podConfig)  timeout: 10m

    """
}

extension IntegrationProject {
    /// Takes the example's split by stage out of this copy's project file, for tests that read
    /// one `manifests/` folder and one Application or Kustomization per environment
    /// (DeliverySplitIntegrationTests covers the split).
    func removeStageSplit() throws {
        let text = try XCTUnwrap(read("nbgitops.yaml"))
        let unsplit = text.replacingOccurrences(of: ", examples/overlays/delivery-split.yaml", with: "")
            .replacingOccurrences(of: "examples/overlays/delivery-split.yaml, ", with: "")
        XCTAssertFalse(unsplit.contains("delivery-split"), unsplit)
        try write("nbgitops.yaml", unsplit)
    }
}
