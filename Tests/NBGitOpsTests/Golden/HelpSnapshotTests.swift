import Foundation
import XCTest

/// `--help` of every command, compared with `Golden/help/<command>.txt`: a changed option,
/// abstract or exit-status text shows up in review. Re-record with `NBGITOPS_RECORD=1 swift test
/// --filter HelpSnapshotTests` (the test then fails once, on purpose).
final class HelpSnapshotTests: XCTestCase {
    static let folder = repositoryRoot + "/Tests/NBGitOpsTests/Golden/help"
    static let commands = ["", "init", "render", "check", "explain", "diff", "schema", "rules", "results", "lock", "platform"]

    func testEveryCommandsHelpMatchesItsSnapshot() throws {
        let record = ProcessInfo.processInfo.environment["NBGITOPS_RECORD"] == "1"
        var recorded: [String] = []
        for command in Self.commands {
            let arguments = (command.isEmpty ? [] : [command]) + ["--help"]
            // A fixed width: the parser wraps to the terminal, and tests have none.
            let run = try IntegrationCLI.run(arguments, in: repositoryRoot, environment: ["COLUMNS": "100"])
            XCTAssertEqual(run.status, 0, "\(run)")
            let name = (command.isEmpty ? "nbgitops" : command) + ".txt"
            let path = Self.folder + "/" + name
            if record {
                try run.stdout.write(toFile: path, atomically: true, encoding: .utf8)
                recorded.append(name)
                continue
            }
            let expected = try XCTUnwrap(
                try? String(contentsOfFile: path, encoding: .utf8), "no snapshot \(name); record with NBGITOPS_RECORD=1")
            if expected != run.stdout {
                let old = expected.split(separator: "\n", omittingEmptySubsequences: false)
                let new = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
                let index = (0..<min(old.count, new.count)).first { old[$0] != new[$0] } ?? min(old.count, new.count)
                XCTFail(
                    "\(name) differs at line \(index + 1):\n  snapshot: \(index < old.count ? String(old[index]) : "<end>")\n"
                        + "  now:      \(index < new.count ? String(new[index]) : "<end>")")
            }
        }
        if record { XCTFail("re-recorded \(recorded.joined(separator: ", ")); run again without NBGITOPS_RECORD") }
    }
}
