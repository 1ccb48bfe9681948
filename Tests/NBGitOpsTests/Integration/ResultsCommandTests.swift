import Foundation
import XCTest

@testable import NBGitOps

/// `nbgitops results` as a user runs it, on the example project's rendered tree: from a saved
/// dump, and polling a (recorded) kubectl with `--wait`; and the GitHub Action's post-sync step.
final class ResultsCommandTests: XCTestCase {
    static let environment = "openshift-gpu"

    /// Every validation Job of the rendered environment, each as `state` ("running" or
    /// "passed"), built from the recorded fixtures with the Job's name and namespace.
    func dump(_ state: String, failing: String? = nil) throws -> Data {
        let rendered = RenderedJob.load(
            fromTree: repositoryRoot + "/gitops/\(Self.environment)", diagnostics: DiagnosticCollector())
        XCTAssertGreaterThan(rendered.count, 3)
        var items: [Any] = []
        for job in rendered {
            let fixture = job.instance == failing ? "failed-mismatch" : state
            let text = try String(
                contentsOfFile: repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/results/\(fixture).json", encoding: .utf8
            )
            .replacingOccurrences(of: "churn-model-regression-b0e68fd2", with: job.name)
            .replacingOccurrences(of: "\"churn-model-regression\"", with: "\"\(job.instance)\"")
            .replacingOccurrences(of: "notebook-validation-gpu", with: job.namespace)
            let list = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            items += list["items"] as? [Any] ?? []
        }
        return try JSONSerialization.data(withJSONObject: ["apiVersion": "v1", "kind": "List", "items": items])
    }

    func testFromADumpPrintsEachJobAndFailsWhenOneFailed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-results-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("cluster.json")
        try dump("passed", failing: "churn-model-regression").write(to: file)
        let run = try IntegrationCLI.run(
            ["results", "--env", Self.environment, "--from", file.path], in: repositoryRoot,
            environment: ["NBGITOPS_HOME": repositoryRoot])
        XCTAssertEqual(run.status, 1, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("environment 'openshift-gpu': ") == true, run.stdout)
        XCTAssertTrue(lines.first?.contains(" 1 failed, ") == true, run.stdout)
        let failed = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("  FAILED     churn-model-regression (Job ") })
        XCTAssertEqual(lines[failed + 1], "             golden comparison: 10 of 12 cells matched; mismatched: cell 7, 9")
        XCTAssertEqual(
            lines[failed + 3], "             notebook and report: s3://nb-results/ci/churn-model-regression/b0e68fd2/")
        XCTAssertEqual(lines[failed + 4], "             spec: examples/specs/02-private-golden.yaml:6:9")

        let passing = try IntegrationCLI.run(
            ["results", "--env", Self.environment, "--from", try write(dump("passed"), in: folder), "--format", "junit"],
            in: repositoryRoot, environment: ["NBGITOPS_HOME": repositoryRoot])
        XCTAssertEqual(passing.status, 0, passing.stderr)
        try JUnitShape.check(passing.stdout)
    }

    func write(_ data: Data, in folder: URL) throws -> String {
        let file = folder.appendingPathComponent("dump-\(UUID().uuidString).json")
        try data.write(to: file)
        return file.path
    }

    /// A recorded kubectl: `get jobs,pods --namespace NS … -o json` answers from state files,
    /// the first `runningCalls` calls "running", then "passed".
    func fakeKubectl(in folder: URL, runningCalls: Int) throws -> String {
        try dump("running").write(to: folder.appendingPathComponent("running.json"))
        try dump("passed").write(to: folder.appendingPathComponent("passed.json"))
        let script = folder.appendingPathComponent("kubectl")
        try """
        #!/usr/bin/env python3
        import json, os, sys
        folder = os.path.dirname(os.path.abspath(__file__))
        count_file = os.path.join(folder, "calls")
        calls = int(open(count_file).read()) if os.path.exists(count_file) else 0
        open(count_file, "w").write(str(calls + 1))
        with open(os.path.join(folder, "calls.log"), "a") as log:
            log.write(" ".join(sys.argv[1:]) + "\\n")
        if "applications.argoproj.io" in sys.argv:
            # The Application asked for by name (application-<name>.json), else application.json.
            name = sys.argv[sys.argv.index("applications.argoproj.io") + 1]
            path = os.path.join(folder, "application-" + name + ".json")
            if not os.path.exists(path):
                path = os.path.join(folder, "application.json")
            if not os.path.exists(path):
                sys.exit('error: the server has no resource type "applications"')
            sys.stdout.write(open(path).read())
            sys.exit(0)
        namespace = sys.argv[sys.argv.index("--namespace") + 1]
        state = "running" if calls < \(runningCalls) else "passed"
        items = [i for i in json.load(open(os.path.join(folder, state + ".json")))["items"] if i["metadata"]["namespace"] == namespace]
        json.dump({"apiVersion": "v1", "kind": "List", "items": items}, sys.stdout)
        """.write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        return script.path
    }

    func testWaitPollsKubectlUntilEveryJobFinished() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-wait-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let kubectl = try fakeKubectl(in: folder, runningCalls: 3)
        let run = try IntegrationCLI.run(
            ["results", "--env", Self.environment, "--context", "prod", "--wait", "--interval", "1", "--timeout", "60"],
            in: repositoryRoot, environment: ["NBGITOPS_HOME": repositoryRoot, "NBGITOPS_KUBECTL": kubectl])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        XCTAssertFalse(run.stdout.contains("RUNNING"), run.stdout)
        let calls = try String(contentsOf: folder.appendingPathComponent("calls.log"), encoding: .utf8)
        XCTAssertTrue(
            calls.hasPrefix(
                "--context prod get jobs,pods --namespace ml-team-a --selector app.kubernetes.io/managed-by=nbgitops,app.kubernetes.io/name=notebook-validation --output json\n"
            ), calls)
        XCTAssertGreaterThan(calls.split(separator: "\n").count, 3, "it polled again")

        try? FileManager.default.removeItem(at: folder.appendingPathComponent("calls"))
        let timedOut = try IntegrationCLI.run(
            ["results", "--env", Self.environment, "--wait", "--interval", "1", "--timeout", "2"], in: repositoryRoot,
            environment: ["NBGITOPS_HOME": repositoryRoot, "NBGITOPS_KUBECTL": try fakeKubectl(in: folder, runningCalls: 1000)])
        XCTAssertEqual(timedOut.status, 3, timedOut.stdout + timedOut.stderr)
        XCTAssertTrue(timedOut.stderr.contains("--wait timed out after 2 s"), timedOut.stderr)
    }

    /// The revisions: the Application the tree's delivery folder renders is read with kubectl
    /// by name, and its sync history names the revision each (tracked) Job was applied from; an
    /// Application kubectl cannot read is a note on standard error, not a failure.
    func testEachJobNamesTheRevisionItWasAppliedFrom() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-rev-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let kubectl = try fakeKubectl(in: folder, runningCalls: 0)
        // Jobs as Argo CD's annotation tracking leaves them (the fixtures were created 10:00:00Z).
        var passed = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("passed.json")))
                as? [String: Any])
        passed["items"] = (passed["items"] as? [[String: Any]] ?? []).map { item -> [String: Any] in
            guard item["kind"] as? String == "Job" else { return item }
            var item = item
            var metadata = item["metadata"] as? [String: Any] ?? [:]
            var annotations = metadata["annotations"] as? [String: String] ?? [:]
            annotations["argocd.argoproj.io/tracking-id"] =
                "example-openshift-gpu-validation:batch/Job:\(metadata["namespace"] ?? ""):\(metadata["name"] ?? "")"
            metadata["annotations"] = annotations
            item["metadata"] = metadata
            return item
        }
        try JSONSerialization.data(withJSONObject: passed).write(to: folder.appendingPathComponent("passed.json"))
        let environment = ["NBGITOPS_HOME": repositoryRoot, "NBGITOPS_KUBECTL": kubectl]
        let unread = try IntegrationCLI.run(["results", "--env", Self.environment], in: repositoryRoot, environment: environment)
        XCTAssertEqual(unread.status, 0, unread.stdout + unread.stderr)
        XCTAssertTrue(
            unread.stderr.contains(
                "nbgitops results: note: cannot read Argo CD Application openshift-gitops/example-openshift-gpu, so no applied revisions from it"),
            unread.stderr)
        XCTAssertFalse(unread.stdout.contains("applied from"), unread.stdout)

        let application: [String: Any] = [
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            // The example delivers by stage: the validation child Application applies the Jobs.
            "metadata": ["name": "example-openshift-gpu-validation", "namespace": "openshift-gitops"],
            "status": [
                "sync": ["revision": String(repeating: "c", count: 40)],
                "history": [
                    [
                        "id": 1, "revision": String(repeating: "b", count: 40), "deployStartedAt": "2026-12-07T09:59:50Z",
                        "deployedAt": "2026-12-07T10:00:20Z",
                    ],
                    [
                        "id": 2, "revision": String(repeating: "c", count: 40), "deployStartedAt": "2026-12-07T11:00:00Z",
                        "deployedAt": "2026-12-07T11:00:20Z",
                    ],
                ],
            ],
        ]
        // Every Application of the app of apps is readable; each reports its own name.
        for part in ["", "-base", "-builds", "-models", "-validation", "-serving", "-notebook-serving"] {
            var named = application
            named["metadata"] = ["name": "example-openshift-gpu" + part, "namespace": "openshift-gitops"]
            try JSONSerialization.data(withJSONObject: named).write(
                to: folder.appendingPathComponent("application-example-openshift-gpu\(part).json"))
        }
        let run = try IntegrationCLI.run(["results", "--env", Self.environment], in: repositoryRoot, environment: environment)
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        XCTAssertEqual(run.stderr, "")
        let revisions = run.stdout.split(separator: "\n").filter { $0.hasPrefix("             revision: ") }
        XCTAssertEqual(revisions.count, RenderedJob.load(
            fromTree: repositoryRoot + "/gitops/\(Self.environment)", diagnostics: DiagnosticCollector()).count, run.stdout)
        for line in revisions {
            XCTAssertTrue(
                line.hasSuffix("applied from bbbbbbbbbbbb by Argo CD Application openshift-gitops/example-openshift-gpu-validation"),
                String(line))
        }
        let calls = try String(contentsOf: folder.appendingPathComponent("calls.log"), encoding: .utf8)
        XCTAssertTrue(
            calls.contains("get applications.argoproj.io example-openshift-gpu --namespace openshift-gitops --output json\n"), calls)
    }

    /// action.yml's post-sync step: the markdown in the job summary, the status in the outputs.
    func testTheActionsResultsStepWritesTheJobSummary() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-action-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let kubectl = try fakeKubectl(in: folder, runningCalls: 0)
        let executable = try IntegrationCLI.requireExecutable()
        let bin = folder.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: bin.appendingPathComponent("nbgitops"), withDestinationURL: executable)
        let run = try IntegrationCLI.run(
            [repositoryRoot + "/scripts/action-results"], in: repositoryRoot,
            environment: [
                "NBGITOPS_HOME": repositoryRoot, "NBGITOPS_KUBECTL": kubectl, "RUNNER_TEMP": folder.path,
                "GITHUB_OUTPUT": folder.path + "/output", "GITHUB_STEP_SUMMARY": folder.path + "/summary",
                "NBGITOPS_RESULTS_ARGS": "--env \(Self.environment) --interval 1", "NBGITOPS_RESULTS_TIMEOUT": "30",
                "PATH": bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            ], executable: URL(fileURLWithPath: "/bin/bash"))
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        XCTAssertEqual(try String(contentsOfFile: folder.path + "/output", encoding: .utf8), "results-exit-code=0\n")
        let summary = try String(contentsOfFile: folder.path + "/summary", encoding: .utf8)
        XCTAssertTrue(summary.hasPrefix("## Notebook validation\n\n### Environment `openshift-gpu`: "), summary)
        XCTAssertTrue(summary.contains("| ✅ | `churn-model-regression` ("), summary)
    }
}
