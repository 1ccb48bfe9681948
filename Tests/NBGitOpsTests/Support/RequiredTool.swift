import Foundation
import XCTest

/// Tests that need a tool (lua5.1, the SARIF or oracle venv, git, the built executable, the
/// manifest oracle) skip on a developer machine without it, but fail where the tool must be:
/// `.ci/run` sets `NBGITOPS_REQUIRE_TOOLS=1`, so a CI image that lost a tool cannot pass by
/// silently skipping the tests that use it.
enum RequiredTool {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    static var isRequired: Bool { ProcessInfo.processInfo.environment["NBGITOPS_REQUIRE_TOOLS"] == "1" }

    /// The error to throw for a missing tool: `XCTSkip` normally, a failure under CI.
    static func missing(_ message: String) -> Error {
        isRequired ? Missing(description: "required tool missing (NBGITOPS_REQUIRE_TOOLS=1): \(message)") : XCTSkip(message)
    }
}

/// Runs a tool to completion with standard output and error merged: its exit status and text.
/// (Read before waiting, so a chatty tool never blocks on a full pipe.)
func runTool(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
}
