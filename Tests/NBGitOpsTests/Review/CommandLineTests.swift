import Foundation
import XCTest

@testable import NBGitOps

/// The review and delivery commands end to end, through the built `.build/debug/nbgitops`
/// (`.ci/run` builds it right before `swift test`, so CI never runs a stale binary; locally,
/// run `swift build` first). Skipped when it is missing.
final class CommandLineTests: XCTestCase {
    static let executable = (repositoryRoot as NSString).appendingPathComponent(".build/debug/nbgitops")

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw RequiredTool.missing("\(Self.executable) is not built (swift build --product nbgitops)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    func testRenderToStandardOutputIsTheManifestsFolderAsOneStream() throws {
        let result = try run(["render", "--stdout", "--env", "kubernetes"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let plan = try examplePlan("kubernetes")
        XCTAssertEqual(result.stdout, ManifestRenderer.renderString(plan.objects.map(\.manifest)))
        XCTAssertFalse(result.stdout.contains("kind: GitRepository"), "delivery objects are not part of the stream")

        let missing = try run(["render", "--stdout", "--env", ""])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("error[NBG162]"), missing.stderr)
        XCTAssertEqual(missing.stdout, "")
    }

    func testExplainAndDiffAndSchema() throws {
        let explain = try run(["explain", "openshift-gpu", "Job/intro-statistics.spec.activeDeadlineSeconds"])
        XCTAssertEqual(explain.status, 0, explain.stderr)
        XCTAssertTrue(explain.stdout.contains("spec.activeDeadlineSeconds: 1200\n"), explain.stdout)
        let unknown = try run(["explain", "openshift-gpu", "Job/nope"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("error: no Job named 'nope'"), unknown.stderr)

        let diff = try run(["diff", "openshift-gpu", "openshift-rwx", "--format", "json"])
        XCTAssertEqual(diff.status, 0, diff.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["from"] as? String, "openshift-gpu")

        let schema = try run(["schema", "--kind", "overlay"])
        XCTAssertEqual(schema.status, 0, schema.stderr)
        let overlay = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(schema.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(overlay["title"] as? String, "Overlay")
    }
}
