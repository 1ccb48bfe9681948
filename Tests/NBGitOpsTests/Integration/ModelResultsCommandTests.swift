import Foundation
import XCTest

@testable import NBGitOps

/// `nbgitops results` as a user runs it on the example project, with a recorded kubectl that
/// answers for Tekton PipelineRuns and TaskRuns and KServe InferenceServices.
final class ModelResultsCommandTests: XCTestCase {
    static let environment = "openshift-gpu"

    /// A recorded kubectl: `get jobs,pods …` answers an empty list; `get pipelineruns…,taskruns…`
    /// answers the `pipelineRun` fixture; `get inferenceservices…` the `service` one, or fails
    /// as kubectl does when KServe is not installed (`service` nil).
    func fakeKubectl(in folder: URL, pipelineRun: String, service: String?) throws -> String {
        let fixtures = repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/results/models/"
        let script = folder.appendingPathComponent("kubectl")
        let serviceAnswer =
            service.map { "sys.stdout.write(open(\"\(fixtures)\($0).json\").read())" }
            ?? "sys.exit('error: the server doesn\\'t have a resource type \"inferenceservices\"')"
        try """
        #!/usr/bin/env python3
        import json, os, sys
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "calls.log"), "a") as log:
            log.write(" ".join(sys.argv[1:]) + "\\n")
        resources = sys.argv[sys.argv.index("get") + 1]
        if resources.startswith("pipelineruns"):
            sys.stdout.write(open("\(fixtures)\(pipelineRun).json").read())
        elif resources.startswith("inferenceservices"):
            \(serviceAnswer)
        else:
            json.dump({"apiVersion": "v1", "kind": "List", "items": []}, sys.stdout)
        """.write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        return script.path
    }

    func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-models-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    func testAFailedModelPipelineRunFailsTheRunWithItsStepMessage() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let kubectl = try fakeKubectl(in: folder, pipelineRun: "pipelinerun-failed", service: "inferenceservice-not-ready")
        let run = try IntegrationCLI.run(
            ["results", "--env", Self.environment, "--context", "prod"], in: repositoryRoot,
            environment: ["NBGITOPS_HOME": repositoryRoot, "NBGITOPS_KUBECTL": kubectl])
        XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
        XCTAssertEqual(run.stderr, "")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("environment 'openshift-gpu': ") == true, run.stdout)
        let failed = try XCTUnwrap(
            lines.firstIndex(of: "  FAILED     granite-2b (PipelineRun notebook-validation-gpu/granite-2b-69c6365d)"),
            run.stdout)
        XCTAssertEqual(
            lines[failed + 1],
            "             task 'download' (TaskRun granite-2b-69c6365d-download) failed: step 'download' exited with code 1: 401 Unauthorized: RedHatAI/granite-3.1-2b-instruct-quantized.w4a16 needs a Hugging Face token (spec.source.tokenSecret)"
        )
        let service = try XCTUnwrap(
            lines.firstIndex(of: "  NOT-READY  granite-2b (InferenceService notebook-validation-gpu/granite-2b)"), run.stdout)
        XCTAssertEqual(
            lines[service + 1],
            "             not ready: ProgressDeadlineExceeded: ReplicaSet \"granite-2b-predictor-7d9f\" has timed out progressing."
        )
        let calls = try String(contentsOf: folder.appendingPathComponent("calls.log"), encoding: .utf8)
        XCTAssertTrue(
            calls.contains(
                "--context prod get pipelineruns.tekton.dev,taskruns.tekton.dev --namespace notebook-validation-gpu --selector app.kubernetes.io/managed-by=nbgitops --output json\n"
            ), calls)
        XCTAssertTrue(
            calls.contains(
                "--context prod get inferenceservices.serving.kserve.io --namespace notebook-validation-gpu --selector app.kubernetes.io/managed-by=nbgitops --output json\n"
            ), calls)
    }

    func testASucceededRunPassesAndAMissingKServeIsANote() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let kubectl = try fakeKubectl(in: folder, pipelineRun: "pipelinerun-succeeded", service: nil)
        let run = try IntegrationCLI.run(
            ["results", "--env", Self.environment, "--format", "json"], in: repositoryRoot,
            environment: ["NBGITOPS_HOME": repositoryRoot, "NBGITOPS_KUBECTL": kubectl])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        XCTAssertTrue(
            run.stderr.hasPrefix("nbgitops results: note: cannot read InferenceServices: "), run.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["failed"] as? Bool, false)
        let models = try XCTUnwrap(json["models"] as? [[String: Any]])
        let pipelineRun = try XCTUnwrap(models.first { $0["name"] as? String == "granite-2b-69c6365d" })
        XCTAssertEqual(pipelineRun["status"] as? String, "succeeded")
        let service = try XCTUnwrap(
            models.first { $0["kind"] as? String == "InferenceService" && $0["name"] as? String == "granite-2b" })
        XCTAssertEqual(service["status"] as? String, "pending")
        XCTAssertTrue(
            (service["details"] as? [String])?.first?.hasPrefix("cannot be read from the cluster: ") == true,
            "\(service)")
    }

    /// A saved dump (`--from`) may hold PipelineRuns, TaskRuns and InferenceServices next to the
    /// Jobs and pods: the markdown comment shows them under "Models".
    func testADumpWithModelObjectsInMarkdown() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var items: [Any] = []
        for name in ["pipelinerun-timeout", "inferenceservice-ready"] {
            let list = try XCTUnwrap(
                JSONSerialization.jsonObject(with: ModelResultsTests.fixture(name)) as? [String: Any])
            items += list["items"] as? [Any] ?? []
        }
        let file = folder.appendingPathComponent("cluster.json")
        try JSONSerialization.data(withJSONObject: ["apiVersion": "v1", "kind": "List", "items": items]).write(to: file)
        let run = try IntegrationCLI.run(
            ["results", "--env", Self.environment, "--from", file.path, "--format", "markdown"], in: repositoryRoot,
            environment: ["NBGITOPS_HOME": repositoryRoot])
        XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("## Notebook validation\n"), run.stdout)
        XCTAssertTrue(run.stdout.contains("\n## Models\n"), run.stdout)
        XCTAssertTrue(
            run.stdout.contains(
                "| ❌ | `granite-2b` | PipelineRun `granite-2b-69c6365d` | failed | `timed out (PipelineRunTimeout): "),
            run.stdout)
        XCTAssertTrue(
            run.stdout.contains(
                "| ✅ | `granite-2b` | InferenceService `granite-2b` | ready | `ready at https://granite-2b-notebook-validation-gpu.apps.example.com` |"
            ), run.stdout)
    }
}
