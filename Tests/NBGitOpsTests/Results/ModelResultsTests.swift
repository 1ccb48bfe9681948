import Foundation
import XCTest

@testable import NBGitOps

/// `nbgitops results` on the model objects of the example project's rendered tree: each recorded
/// Tekton PipelineRun state (pending, running, succeeded, failed, timed out) and KServe
/// InferenceService readiness, in every format.
final class ModelResultsTests: XCTestCase {
    static let environment = "openshift-gpu"

    static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/results/models/\(name).json"))
    }

    func rendered() -> [RenderedModelObject] {
        RenderedModelObject.load(
            folder: repositoryRoot + "/gitops/\(Self.environment)", diagnostics: DiagnosticCollector())
    }

    func results(_ fixtures: [String]) throws -> [ModelResult] {
        var cluster = ModelClusterSnapshot()
        for name in fixtures {
            let part = try ModelClusterSnapshot.decode(Self.fixture(name))
            cluster.pipelineRuns += part.pipelineRuns
            cluster.taskRuns += part.taskRuns
            cluster.inferenceServices += part.inferenceServices
        }
        return ModelResults.evaluate(environment: Self.environment, rendered: rendered(), cluster: cluster)
    }

    func granite(_ fixtures: [String], _ kind: RenderedModelObject.Kind = .pipelineRun) throws -> ModelResult {
        try XCTUnwrap(results(fixtures).first { $0.instance == "granite-2b" && $0.kind == kind })
    }

    func testTheRenderedTreeNamesEachModelPipelineRunAndInferenceService() {
        let objects = rendered()
        XCTAssertEqual(
            objects.map { "\($0.kind.rawValue) \($0.namespace)/\($0.name)" },
            [
                "InferenceService notebook-validation-gpu/churn",
                "PipelineRun notebook-validation-gpu/granite-2b-69c6365d",
                "InferenceService notebook-validation-gpu/granite-2b",
                "PipelineRun notebook-validation-gpu/llama-70b-20edcdb1",
                "InferenceService notebook-validation-gpu/llama-70b",
            ])
    }

    func testEachPipelineRunState() throws {
        let missing = try granite([])
        XCTAssertEqual(missing.status, .pending)
        XCTAssertEqual(missing.details, ["not in the cluster yet: the delivery tool has not applied this revision"])

        let pending = try granite(["pipelinerun-pending"])
        XCTAssertEqual(pending.status, .pending)
        XCTAssertEqual(pending.details, ["held by spec.status PipelineRunPending: Tekton starts it when that is removed"])

        let running = try granite(["pipelinerun-running"])
        XCTAssertEqual(running.status, .running)
        XCTAssertEqual(
            running.details,
            [
                "running task 'download' (TaskRun granite-2b-69c6365d-download), step 'download'",
                "Tasks Completed: 1 (Failed: 0, Cancelled 0), Skipped: 0",
            ])

        let succeeded = try granite(["pipelinerun-succeeded"])
        XCTAssertEqual(succeeded.status, .succeeded)
        XCTAssertEqual(succeeded.details, ["succeeded: Tasks Completed: 2 (Failed: 0, Cancelled 0), Skipped: 0"])

        let failed = try granite(["pipelinerun-failed"])
        XCTAssertEqual(failed.status, .failed)
        XCTAssertEqual(failed.reason, "Failed")
        XCTAssertEqual(
            failed.details,
            [
                "task 'download' (TaskRun granite-2b-69c6365d-download) failed: step 'download' exited with code 1: 401 Unauthorized: RedHatAI/granite-3.1-2b-instruct-quantized.w4a16 needs a Hugging Face token (spec.source.tokenSecret)"
            ])

        let timedOut = try granite(["pipelinerun-timeout"])
        XCTAssertEqual(timedOut.status, .failed)
        XCTAssertEqual(timedOut.reason, "PipelineRunTimeout")
        XCTAssertEqual(
            timedOut.details,
            [
                "timed out (PipelineRunTimeout): PipelineRun \"granite-2b-69c6365d\" failed to finish within \"24m0s\"; raise the pipeline's timeout or make the download faster",
                "task 'download' (TaskRun granite-2b-69c6365d-download) timed out (TaskRunTimeout: TaskRun \"granite-2b-69c6365d-download\" failed to finish within \"24m0s\")",
            ])
    }

    func testInferenceServiceReadiness() throws {
        let ready = try granite(["inferenceservice-ready"], .inferenceService)
        XCTAssertEqual(ready.status, .ready)
        XCTAssertEqual(ready.details, ["ready at https://granite-2b-notebook-validation-gpu.apps.example.com"])

        let notReady = try granite(["inferenceservice-not-ready"], .inferenceService)
        XCTAssertEqual(notReady.status, .notReady)
        XCTAssertEqual(
            notReady.details,
            [
                "not ready: ProgressDeadlineExceeded: ReplicaSet \"granite-2b-predictor-7d9f\" has timed out progressing.",
                "last model failure: ModelLoadFailed: CUDA out of memory while loading the weights",
            ])
        XCTAssertFalse(ModelResults.anyFailed([notReady]), "an InferenceService not ready is reported, not failed")
    }

    /// Every format carries the model objects; with none, each is byte-for-byte the Jobs' output.
    func testEveryFormat() throws {
        let models = try results(["pipelinerun-failed", "inferenceservice-not-ready"])
        let environments = [Self.environment]
        for format in ResultsFormat.allCases {
            XCTAssertEqual(
                format.render([], models: [], environments: environments), format.render([], environments: environments))
        }

        let text = ResultsFormat.text.render([], models: models, environments: environments)
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertTrue(
            lines.contains(
                "environment 'openshift-gpu' models: 2 model PipelineRuns: 1 failed, 1 pending; 3 InferenceServices: 1 not ready, 2 pending"
            ), text)
        let failed = try XCTUnwrap(
            lines.firstIndex(of: "  FAILED     granite-2b (PipelineRun notebook-validation-gpu/granite-2b-69c6365d)"), text)
        XCTAssertTrue(lines[failed + 1].hasPrefix("             task 'download' (TaskRun "), text)
        XCTAssertTrue(lines.contains("  NOT-READY  granite-2b (InferenceService notebook-validation-gpu/granite-2b)"), text)

        let markdown = ResultsFormat.markdown.render([], models: models, environments: environments)
        XCTAssertTrue(markdown.contains("\n## Models\n"), markdown)
        XCTAssertTrue(
            markdown.contains(
                "| ❌ | `granite-2b` | PipelineRun `granite-2b-69c6365d` | failed | `task 'download' (TaskRun granite-2b-69c6365d-download) failed: step 'download' exited with code 1: 401 Unauthorized"
            ), markdown)
        XCTAssertTrue(
            markdown.contains(
                "| ⚠️ | `granite-2b` | InferenceService `granite-2b` | not-ready | `not ready: ProgressDeadlineExceeded: ReplicaSet \"granite-2b-predictor-7d9f\" has timed out progressing.`<br>`last model failure: ModelLoadFailed: CUDA out of memory while loading the weights` |"
            ), markdown)

        let junit = ResultsFormat.junit.render([], models: models, environments: environments)
        try JUnitShape.check(junit)
        XCTAssertTrue(
            junit.contains("<testsuites name=\"nbgitops results\" tests=\"5\" failures=\"1\" errors=\"0\">"), junit)
        XCTAssertTrue(
            junit.contains(
                "<testsuite name=\"openshift-gpu models\" tests=\"5\" failures=\"1\" errors=\"0\" skipped=\"4\" time=\"0\">"
            ), junit)
        XCTAssertTrue(junit.contains("<failure message=\"task &apos;download&apos; (TaskRun"), junit)
        XCTAssertTrue(junit.contains("<skipped message=\"not-ready: not ready: ProgressDeadlineExceeded"), junit)

        let json = try XCTUnwrap(
            JSONSerialization.jsonObject(
                with: Data(ResultsFormat.json.render([], models: models, environments: environments).utf8))
                as? [String: Any])
        XCTAssertEqual(json["failed"] as? Bool, true)
        let entries = try XCTUnwrap(json["models"] as? [[String: Any]])
        XCTAssertEqual(entries.count, 5)
        let pipelineRun = try XCTUnwrap(
            entries.first { $0["kind"] as? String == "PipelineRun" && $0["model"] as? String == "granite-2b" })
        XCTAssertEqual(pipelineRun["status"] as? String, "failed")
        XCTAssertEqual(pipelineRun["reason"] as? String, "Failed")
        XCTAssertEqual(pipelineRun["name"] as? String, "granite-2b-69c6365d")
        let service = try XCTUnwrap(
            entries.first { $0["kind"] as? String == "InferenceService" && $0["model"] as? String == "granite-2b" })
        XCTAssertEqual(service["status"] as? String, "not-ready")
        XCTAssertEqual(service["reason"] as? String, "ProgressDeadlineExceeded")

        let sarif = try XCTUnwrap(
            JSONSerialization.jsonObject(
                with: Data(ResultsFormat.sarif.render([], models: models, environments: environments).utf8))
                as? [String: Any])
        let run = try XCTUnwrap((sarif["runs"] as? [[String: Any]])?.first)
        let sarifResults = try XCTUnwrap(run["results"] as? [[String: Any]])
        XCTAssertEqual(sarifResults.map { $0["ruleId"] as? String }, ["model/Failed"])
    }

    /// With model objects, the Jobs' part of each format keeps its bytes (JSON is decoded and
    /// encoded again to add `models`: the Jobs' entries must come out the same).
    func testTheJobsPartKeepsItsBytes() throws {
        let models = try results(["pipelinerun-succeeded", "inferenceservice-ready"])
        var verdict = try XCTUnwrap(
            ValidationVerdict.decode(#"{"v":1,"verdict":"passed","durationSeconds":42,"commit":"0123456789abcdef0123"}"#))
        verdict.results = "s3://nb-results/ci/x/"
        let job = ValidationResult(
            environment: Self.environment, instance: "intro-statistics", namespace: "notebook-validation-gpu",
            jobName: "intro-statistics-9cd832ef", status: .passed, details: ["42 s"], verdict: verdict,
            source: "examples/specs/01-public-basic.yaml:5:9", imageID: "quay.io/x@sha256:00",
            revision: .init(renderedIn: nil, isCommitted: true, isCutOff: true, appliedBy: "Application example"))
        for format in ResultsFormat.allCases where format != .junit && format != .sarif {
            let jobs = format.render([job], environments: [Self.environment])
            let both = format.render([job], models: models, environments: [Self.environment])
            switch format {
            case .json:
                let start = try XCTUnwrap(jobs.range(of: "  \"results\" : ["), jobs)
                let block = String(jobs[start.lowerBound...].dropLast(2))
                XCTAssertTrue(both.contains(block), both)
            default:
                XCTAssertTrue(both.hasPrefix(jobs), both)
            }
        }
        let junit = ResultsFormat.junit.render([job], models: models, environments: [Self.environment])
        try JUnitShape.check(junit)
        XCTAssertTrue(
            junit.contains(
                ResultsFormat.junit.render([job], environments: [Self.environment]).split(separator: "\n")
                    .dropFirst(2).dropLast().joined(separator: "\n")), junit)
    }

    /// A termination message is the cluster's text: it cannot break out of its line or its cell.
    func testAHostileStepMessageStaysOnItsLine() throws {
        var text = String(decoding: try Self.fixture("pipelinerun-failed"), as: UTF8.self)
        text = text.replacingOccurrences(
            of: "401 Unauthorized:", with: "\\u001b[2J::error::owned | <script>\\r\\n##[error]x")
        let cluster = try ModelClusterSnapshot.decode(Data(text.utf8))
        let models = ModelResults.evaluate(environment: Self.environment, rendered: rendered(), cluster: cluster)
        let printed = ResultsFormat.text.render([], models: models, environments: [Self.environment])
        XCTAssertFalse(printed.contains("\u{1B}"), printed)
        XCTAssertTrue(printed.contains("\\u{1B}[2J::error::owned | <script>"), printed)
        XCTAssertFalse(printed.split(separator: "\n").contains { $0.hasPrefix("::") || $0.contains("##[") }, printed)
        let markdown = ResultsFormat.markdown.render([], models: models, environments: [Self.environment])
        XCTAssertTrue(markdown.contains("owned \\| <script>"), markdown)
        try JUnitShape.check(ResultsFormat.junit.render([], models: models, environments: [Self.environment]))
    }

    /// Every hostile fragment of the Jobs' corpus (`ResultsHostileTests`) in a step's termination
    /// message and an InferenceService's Ready message: the text keeps no control character and
    /// no workflow command, the markdown rows keep their columns, JUnit and SARIF stay valid.
    func testHostileClusterTextInEveryFormat() throws {
        var cluster = try ModelClusterSnapshot.decode(Self.fixture("pipelinerun-failed"))
        cluster.inferenceServices = try ModelClusterSnapshot.decode(Self.fixture("inferenceservice-not-ready"))
            .inferenceServices
        let hostile = ResultsHostileTests.hostileFragments.joined(separator: " ")
        cluster.taskRuns[1].steps[0].terminationMessage = hostile
        cluster.inferenceServices[0].ready?.message = String(hostile.reversed())
        cluster.inferenceServices[0].lastFailure = ResultsHostileTests.hostileFragments.reversed().joined()
        let models = ModelResults.evaluate(environment: Self.environment, rendered: rendered(), cluster: cluster)
        let text = ResultsFormat.text.render([], models: models, environments: [Self.environment])
        for scalar in text.unicodeScalars where scalar != "\n" {
            XCTAssertFalse(ResultsHostileTests.isControl(scalar), "U+\(String(scalar.value, radix: 16)) in:\n\(text)")
        }
        for line in text.split(separator: "\n") {
            XCTAssertFalse(line.drop { $0 == " " }.hasPrefix("::"), line.description)
            XCTAssertFalse(line.contains("##["), line.description)
        }
        let markdown = ResultsFormat.markdown.render([], models: models, environments: [Self.environment])
        for row in markdown.split(separator: "\n") where row.hasPrefix("| ") {
            XCTAssertEqual(ResultsHostileTests.cellSeparators(in: String(row)), 6, String(row))
        }
        try JUnitSchema.validate(ResultsFormat.junit.render([], models: models, environments: [Self.environment]))
        try SARIFValidation.validateIfAvailable(
            ResultsFormat.sarif.render([], models: models, environments: [Self.environment]))
    }
}
