import Foundation
import XCTest

@testable import NBGitOps

/// Optional: compiles every YAML file of a folder of operator samples (set
/// `NBGITOPS_OPERATOR_SAMPLES`), each file alone, for each built-in platform combination, and
/// records the outcome as a Markdown table (printed, and written to
/// `NBGITOPS_OPERATOR_REPORT` when set). Samples are never copied into the repository.
///
/// Whatever the outcome, a run must end in time with exit 0 (and output that re-parses) or
/// exit 1 with located diagnostics; a crash, a usage error or an unlocated error fails.
final class OperatorCorpusIntegrationTests: XCTestCase {
    static let combinations: [(name: String, overlays: [String])] = [
        ("openshift+rwo+gpu-taints", ["openshift", "rwo", "gpu-taints"]),
        ("openshift+rwx", ["openshift", "rwx"]),
        ("kubernetes+rwo", ["kubernetes", "rwo"]),
    ]

    func testOperatorSamples() throws {
        guard let folder = ProcessInfo.processInfo.environment["NBGITOPS_OPERATOR_SAMPLES"], !folder.isEmpty else {
            throw XCTSkip("set NBGITOPS_OPERATOR_SAMPLES to a folder of operator sample YAML files")
        }
        let root = URL(fileURLWithPath: folder).standardizedFileURL.path
        var samples: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            if relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") { samples.append(relative) }
        }
        samples.sort()
        XCTAssertFalse(samples.isEmpty, "no YAML files in \(root)")
        let project = try IntegrationProject(copy: ["overlays", "templates"])

        var rows: [String] = []
        for sample in samples {
            var outcomes: [String] = []
            for (index, combination) in Self.combinations.enumerated() {
                let output = "out-\(index)"
                try? FileManager.default.removeItem(atPath: project.path(output))
                let arguments =
                    ["render", root + "/" + sample] + combination.overlays.flatMap { ["--overlay", $0] } + [
                        "--output", output, "--name", "sample",
                    ]
                let run = try project.run(arguments, timeout: 30)
                XCTAssertFalse(run.timedOut, "\(sample) [\(combination.name)] timed out")
                switch run.status {
                case 0:
                    let files = project.files(output).filter { $0.key.hasSuffix(".yaml") }
                    XCTAssertFalse(files.isEmpty, "\(sample) [\(combination.name)]: exit 0 but nothing written")
                    for (path, bytes) in files {
                        let diagnostics = DiagnosticCollector()
                        _ = YAMLLoader.load(bytes: bytes, file: path, diagnostics: diagnostics)
                        XCTAssertFalse(diagnostics.hasErrors, "\(sample) [\(combination.name)] \(path) does not re-parse")
                    }
                    let jobs = files.keys.filter { $0.contains("/manifests/5-job-") }.count
                    let warnings = Self.ids(in: run.stderrLines, severity: "warning")
                    outcomes.append(
                        "ok: \(files.count) files, \(jobs) job(s)"
                            + (warnings.isEmpty ? "" : "; warnings \(warnings.joined(separator: ", "))"))
                case 1:
                    let located = run.locatedErrors
                    XCTAssertFalse(located.isEmpty, "\(sample) [\(combination.name)]: exit 1 without a located error\n\(run)")
                    XCTAssertFalse(project.exists(output), "\(sample) [\(combination.name)]: wrote despite errors")
                    outcomes.append("error: " + located.map(Self.summary).joined(separator: " · "))
                default:
                    XCTFail("\(sample) [\(combination.name)]: unexpected exit \(run.status)\n\(run)")
                    outcomes.append("exit \(run.status)")
                }
            }
            let cells = Set(outcomes).count == 1 ? ["all three: " + outcomes[0]] : outcomes
            rows.append("| \(sample) | " + cells.joined(separator: " ‖ ").replacingOccurrences(of: "|", with: "\\|") + " |")
        }
        let report =
            "| sample | outcome (\(Self.combinations.map(\.name).joined(separator: " ‖ "))) |\n|---|---|\n"
            + rows.joined(separator: "\n") + "\n"
        print("\nOperator corpus (\(root)):\n" + report)
        if let path = ProcessInfo.processInfo.environment["NBGITOPS_OPERATOR_REPORT"], !path.isEmpty {
            try report.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    /// `path:12:3: error[NBG102]: message` → `NBG102 at 12:3: message`.
    static func summary(_ line: String) -> String {
        guard let range = line.range(of: ": error[") else { return line }
        let place = line[..<range.lowerBound].split(separator: ":").suffix(2).joined(separator: ":")
        let rest = line[range.upperBound...]
        let id = rest.prefix(6)
        let message = rest.dropFirst(6).drop(while: { $0 == "]" || $0 == ":" || $0 == " " })
        return "\(id) at \(place): \(message)"
    }

    /// `NBGnnn` ids of located diagnostics of one severity, in order of appearance, unique.
    static func ids(in lines: [String], severity: String) -> [String] {
        var seen: [String] = []
        for line in lines {
            guard let range = line.range(of: ": \(severity)[NBG") else { continue }
            let id = "NBG" + line[range.upperBound...].prefix(3)
            if !seen.contains(id) { seen.append(id) }
        }
        return seen
    }
}
