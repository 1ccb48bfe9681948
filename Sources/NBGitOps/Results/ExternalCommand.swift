import Foundation

/// Runs a program (found on PATH) and captures its standard output: how `nbgitops results` runs
/// kubectl (`KubectlReader`) and git (`RenderHistory`), and how `nbgitops lock` and `check --refs`
/// run `git ls-remote` (`RefResolver`).
enum ExternalCommand {
    enum Failure: Error {
        /// The program could not be started.
        case cannotRun(String)
        /// It exited with a non-zero status; its standard error, trimmed.
        case exited(Int32, String)
    }

    /// `environment`: variables set for the program on top of this process's own.
    static func output(of executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw Failure.cannotRun(error.localizedDescription)
        }
        // Read before waiting: a large output would otherwise fill the pipe and block the program.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure.exited(
                process.terminationStatus,
                String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return data
    }
}
