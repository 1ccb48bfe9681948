import Foundation
import XCTest

/// `--help` of every command, compared with `Golden/help/<command>.txt` (`<command>-<subcommand>.txt`
/// for nested ones): a changed option, abstract or exit-status text shows up in review. The
/// commands are read from the binary's own help (its SUBCOMMANDS section, recursively), so a new
/// command without a snapshot fails here. Re-record with `NBGITOPS_RECORD=1 swift test --filter
/// HelpSnapshotTests` (the test then fails once, on purpose).
final class HelpSnapshotTests: XCTestCase {
    static let folder = repositoryRoot + "/Tests/NBGitOpsTests/Golden/help"

    /// The subcommand names a help text lists under `SUBCOMMANDS:` (argument-parser's layout:
    /// two spaces, the name, then its abstract; continuation lines are indented further).
    static func subcommands(inHelp help: String) -> [String] {
        var names: [String] = []
        var inSection = false
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("SUBCOMMANDS:") {
                inSection = true
                continue
            }
            guard inSection else { continue }
            if !line.isEmpty && !line.hasPrefix(" ") { break }
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
            let name = line.dropFirst(2).prefix { !$0.isWhitespace }
            // The section's closing hint ("See 'nbgitops help <subcommand>' …") is not a command.
            if !name.isEmpty && name != "See" { names.append(name.hasSuffix(",") ? String(name.dropLast()) : String(name)) }
        }
        return names
    }

    func testEveryCommandsHelpMatchesItsSnapshot() throws {
        let record = ProcessInfo.processInfo.environment["NBGITOPS_RECORD"] == "1"
        var recorded: [String] = []
        var seen: Set<String> = []
        // Breadth-first over the command tree, starting at the root command (no arguments).
        var queue: [[String]] = [[]]
        while !queue.isEmpty {
            let command = queue.removeFirst()
            // A fixed width: the parser wraps to the terminal, and tests have none.
            let run = try IntegrationCLI.run(command + ["--help"], in: repositoryRoot, environment: ["COLUMNS": "100"])
            XCTAssertEqual(run.status, 0, "\(run)")
            queue += Self.subcommands(inHelp: run.stdout).map { command + [$0] }
            let name = (command.isEmpty ? "nbgitops" : command.joined(separator: "-")) + ".txt"
            seen.insert(name)
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
        // The root and every command it lists (ten today, `results` included).
        XCTAssertGreaterThanOrEqual(seen.count, 11, "\(seen.sorted())")
        XCTAssertTrue(seen.contains("results.txt"), "\(seen.sorted())")
        // No snapshot is left over from a removed or renamed command.
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter { $0.hasSuffix(".txt") })
        if record {
            for stale in files.subtracting(seen) { try FileManager.default.removeItem(atPath: Self.folder + "/" + stale) }
        } else {
            XCTAssertEqual(files.subtracting(seen), [], "snapshots of commands nbgitops no longer has")
        }
        if record { XCTFail("re-recorded \(recorded.joined(separator: ", ")); run again without NBGITOPS_RECORD") }
    }

    /// The subcommand parser reads argument-parser's layout, including wrapped abstracts.
    func testSubcommandSectionParsing() {
        let help = """
            USAGE: nbgitops <subcommand>

            SUBCOMMANDS:
              init                    Write a starter project.
              results                 Show the verdict of every validation Job the rendered tree runs, from the
                                      cluster.
              lock                    Resolve every branch.

              See 'nbgitops help <subcommand>' for detailed help.
            """
        XCTAssertEqual(Self.subcommands(inHelp: help), ["init", "results", "lock"])
        XCTAssertEqual(Self.subcommands(inHelp: "USAGE: nbgitops render\n\nOPTIONS:\n  --env <env>   Only these.\n"), [])
    }
}
