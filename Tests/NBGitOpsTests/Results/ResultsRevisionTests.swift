import Foundation
import XCTest

@testable import NBGitOps

/// The git revisions `nbgitops results` names for each Job: the commit that rendered it (from a
/// real repository's history, shallow clones included) and the revision its Argo CD Application
/// or Flux Kustomization applied it from (recorded status history).
final class ResultsRevisionTests: XCTestCase {
    static let environment = "openshift-gpu"
    static let current = "churn-model-regression-b0e68fd2"
    static let currentFile = "manifests/5-job-\(current).yaml"
    static let source = "examples/specs/02-private-golden.yaml:6:9"

    var scratch = ""

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-revisions-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// Runs git in `folder` with a fixed identity and `date`; its trimmed standard output.
    @discardableResult
    func git(_ arguments: [String], in folder: String, date: String = "2026-12-01T12:00:00Z") throws -> String {
        let run = try IntegrationCLI.run(
            ["git", "-c", "user.name=nbgitops", "-c", "user.email=nbgitops@example.invalid"] + arguments, in: folder,
            environment: ["GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date],
            executable: URL(fileURLWithPath: "/usr/bin/env"))
        if run.status == 127 { throw RequiredTool.missing("git is not installed: \(run.stderr)") }
        XCTAssertEqual(run.status, 0, "git \(arguments): \(run.stderr)")
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func write(_ path: String, in root: String) throws {
        let url = URL(fileURLWithPath: root + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "kind: Job\n".write(to: url, atomically: true, encoding: .utf8)
    }

    /// A repository whose tree got the older Job (e09a6861) in one commit, and in the next lost
    /// it and got the current one; an unrelated file is committed last.
    func repository() throws -> (root: String, older: String, newer: String, last: String) {
        let root = scratch + "/repo"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try git(["init", "-q", "-b", "main"], in: root)
        let tree = "gitops/\(Self.environment)/"
        try write(tree + "manifests/5-job-churn-model-regression-e09a6861.yaml", in: root)
        try git(["add", "."], in: root)
        try git(["commit", "-q", "-m", "Render churn notebook"], in: root, date: "2026-12-01T09:00:00Z")
        let older = try git(["rev-parse", "HEAD"], in: root)
        try git(["rm", "-q", tree + "manifests/5-job-churn-model-regression-e09a6861.yaml"], in: root)
        try write(tree + Self.currentFile, in: root)
        try git(["add", "."], in: root)
        try git(["commit", "-q", "-m", "Update the churn golden notebook"], in: root, date: "2026-12-03T09:00:00Z")
        let newer = try git(["rev-parse", "HEAD"], in: root)
        try write(tree + "manifests/0-namespace-x.yaml", in: root)
        try git(["add", "."], in: root)
        try git(["commit", "-q", "-m", "Add a namespace"], in: root, date: "2026-12-04T09:00:00Z")
        return (root, older, newer, try git(["rev-parse", "HEAD"], in: root))
    }

    func fixture(_ name: String) throws -> [String: Any] {
        let data = try Data(
            contentsOf: URL(fileURLWithPath: repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/results/\(name).json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func snapshot(_ items: [Any]) throws -> ClusterSnapshot {
        try ClusterSnapshot.decode(JSONSerialization.data(withJSONObject: ["kind": "List", "items": items]))
    }

    func evaluate(_ cluster: ClusterSnapshot, history: RenderHistory = .untracked, file: String? = currentFile)
        -> [ValidationResult]
    {
        ValidationResults.evaluate(
            environment: Self.environment,
            rendered: [
                RenderedJob(
                    name: Self.current, namespace: "notebook-validation-gpu", instance: "churn-model-regression",
                    source: Self.source, file: file)
            ], cluster: cluster, sources: ["churn-model-regression": Self.source], history: history)
    }

    func testRenderedInIsTheCommitThatAddedTheJobFileAndSupersededJobsFindTheirs() throws {
        let repo = try repository()
        let history = RenderHistory.read(folder: repo.root + "/gitops/\(Self.environment)")
        XCTAssertTrue(history.isTracked)
        XCTAssertEqual(history.additions[Self.currentFile]?.sha, repo.newer)
        let cluster = try snapshot(try fixture("superseded")["items"] as? [Any] ?? [])
        XCTAssertEqual(
            ResultsFormat.text.render(evaluate(cluster, history: history), environments: [Self.environment]),
            "environment 'openshift-gpu': 1 validation Job: 1 pending; 1 superseded\n"
                + "  PENDING    churn-model-regression (Job notebook-validation-gpu/\(Self.current))\n"
                + "             not in the cluster yet: the delivery tool has not applied this revision\n"
                + "             spec: \(Self.source)\n"
                + "             revision: rendered in \(repo.newer.prefix(12)) (2026-12-03, Update the churn golden notebook)\n"
                + "  SUPERSEDED churn-model-regression (Job notebook-validation-gpu/churn-model-regression-e09a6861)\n"
                + "             superseded: its content hash is not the rendered one (it was passed); the delivery tool prunes it\n"
                + "             revision: rendered in \(repo.older.prefix(12)) (2026-12-01, Render churn notebook)\n")
        // Outside a work tree nothing is said; a file not committed yet says so.
        let plain = scratch + "/plain"
        try FileManager.default.createDirectory(atPath: plain, withIntermediateDirectories: true)
        XCTAssertEqual(RenderHistory.read(folder: plain), .untracked)
        XCTAssertNil(evaluate(cluster)[0].revision)
        let uncommitted = evaluate(cluster, history: history, file: "manifests/5-job-churn-model-regression-0badc0de.yaml")
        XCTAssertEqual(uncommitted[0].revision?.line, "rendered, not committed yet")
        let json = ResultsFormat.json.render(evaluate(cluster, history: history), environments: [Self.environment])
        XCTAssertTrue(json.contains("\"sha\" : \"\(repo.newer)\""), json)
    }

    func testAShallowCloneDoesNotBlameItsOldestCommit() throws {
        let repo = try repository()
        let clone = scratch + "/shallow"
        try git(["clone", "-q", "--depth", "1", "file://" + repo.root, clone], in: scratch)
        let tree = clone + "/gitops/\(Self.environment)"
        var history = RenderHistory.read(folder: tree)
        XCTAssertNil(history.additions[Self.currentFile], "the depth-1 commit did not add it")
        XCTAssertTrue(history.isCommitted(Self.currentFile))
        let cluster = ClusterSnapshot(jobs: [], pods: [])
        XCTAssertEqual(
            evaluate(cluster, history: history)[0].revision?.line,
            "rendered before the oldest commit of this shallow clone (fetch its history to see which)")
        // A commit made after the cut is named.
        try write("gitops/\(Self.environment)/manifests/5-job-churn-model-regression-1234abcd.yaml", in: clone)
        try git(["add", "."], in: clone)
        try git(["commit", "-q", "-m", "Later render"], in: clone, date: "2026-12-05T09:00:00Z")
        history = RenderHistory.read(folder: tree)
        XCTAssertEqual(
            history.additions["manifests/5-job-churn-model-regression-1234abcd.yaml"]?.subject, "Later render")
    }

    /// An Argo CD Application's status with three syncs; the Job (created 10:00:00Z) was
    /// created by the second.
    func application(limit: Int? = nil, history: [(String, String, String)]? = nil) -> [String: Any] {
        let entries = (history ?? [
            ("09:00:00", "09:00:30", String(repeating: "a", count: 40)),
            ("09:59:58", "10:00:05", String(repeating: "b", count: 40)),
            ("11:00:00", "11:00:10", String(repeating: "c", count: 40)),
        ]).enumerated().map { index, entry -> [String: Any] in
            [
                "id": index, "revision": entry.2, "deployStartedAt": "2026-12-07T\(entry.0)Z",
                "deployedAt": "2026-12-07T\(entry.1)Z",
            ]
        }
        var spec: [String: Any] = ["project": "openshift-gpu"]
        if let limit { spec["revisionHistoryLimit"] = limit }
        return [
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": ["name": "openshift-gpu", "namespace": "openshift-gitops"], "spec": spec,
            "status": ["sync": ["revision": String(repeating: "c", count: 40), "status": "Synced"], "history": entries],
        ]
    }

    /// The passed fixture's items, the Job's metadata changed by `change`.
    func passed(_ change: (inout [String: Any]) -> Void) throws -> [Any] {
        var items = try fixture("passed")["items"] as? [[String: Any]] ?? []
        let index = try XCTUnwrap(items.firstIndex { $0["kind"] as? String == "Job" })
        var metadata = items[index]["metadata"] as? [String: Any] ?? [:]
        change(&metadata)
        items[index]["metadata"] = metadata
        return items
    }

    func testAppliedFromTheArgoCDSyncThatCreatedTheJob() throws {
        let tracked = try passed { metadata in
            var annotations = metadata["annotations"] as? [String: String] ?? [:]
            annotations["argocd.argoproj.io/tracking-id"] =
                "openshift-gpu:batch/Job:notebook-validation-gpu/\(Self.current)"
            metadata["annotations"] = annotations
        }
        let results = evaluate(try snapshot(tracked + [application()]))
        XCTAssertEqual(
            results[0].revision?.line,
            "applied from bbbbbbbbbbbb by Argo CD Application openshift-gitops/openshift-gpu")
        XCTAssertEqual(results[0].revision?.appliedRevision, String(repeating: "b", count: 40))

        // Label tracking rewrites the Job's app.kubernetes.io/instance to the Application's name:
        // the spec is still known from the pod template, the Application from the label.
        var labelled = try passed { metadata in
            var labels = metadata["labels"] as? [String: String] ?? [:]
            labels[LabelKey.instance] = "openshift-gpu"
            metadata["labels"] = labels
        }
        let jobIndex = try XCTUnwrap(labelled.firstIndex { ($0 as? [String: Any])?["kind"] as? String == "Job" })
        var job = try XCTUnwrap(labelled[jobIndex] as? [String: Any])
        var spec = job["spec"] as? [String: Any] ?? [:]
        spec["template"] = ["metadata": ["labels": [LabelKey.instance: "churn-model-regression"]]]
        job["spec"] = spec
        labelled[jobIndex] = job
        let relabelled = evaluate(try snapshot(labelled + [application()]))
        XCTAssertEqual(relabelled[0].instance, "churn-model-regression")
        XCTAssertEqual(relabelled[0].revision?.appliedBy, "Argo CD Application openshift-gitops/openshift-gpu")

        // A history that no longer reaches the Job's creation names the current revision instead.
        let trimmed = evaluate(
            try snapshot(tracked + [application(limit: 1, history: [("11:00:00", "11:00:10", String(repeating: "c", count: 40))])]))
        XCTAssertEqual(
            trimmed[0].revision?.line,
            "applied by Argo CD Application openshift-gitops/openshift-gpu (its history no longer holds that apply; synced to cccccccccccc now)"
        )
        // An untracked Job (another tool applied it) names no delivery.
        XCTAssertNil(evaluate(try snapshot(try passed { _ in } + [application()]))[0].revision)
    }

    func testAppliedFromTheFluxReconcileThatCreatedTheJob() throws {
        let items = try passed { metadata in
            var labels = metadata["labels"] as? [String: String] ?? [:]
            labels["kustomize.toolkit.fluxcd.io/name"] = "kubernetes"
            labels["kustomize.toolkit.fluxcd.io/namespace"] = "flux-system"
            metadata["labels"] = labels
        }
        func snapshotEntry(_ first: String, _ sha: Character) -> [String: Any] {
            [
                "digest": "sha256:\(sha)", "firstReconciled": "2026-12-07T\(first)Z", "lastReconciled": "2026-12-07T12:00:00Z",
                "lastReconciledDuration": "2s", "lastReconciledStatus": "ReconciliationSucceeded", "totalReconciliations": 1,
                "metadata": ["revision": "main@sha1:" + String(repeating: sha, count: 40)],
            ]
        }
        let kustomization: [String: Any] = [
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": ["name": "kubernetes", "namespace": "flux-system"], "spec": ["path": "./gitops/kubernetes/manifests"],
            "status": [
                "lastAppliedRevision": "main@sha1:" + String(repeating: "f", count: 40),
                // Newest first, as Flux keeps it; the reconcile that created the Job ended at 10:00:04.
                "history": [snapshotEntry("11:00:02", "f"), snapshotEntry("10:00:04", "e"), snapshotEntry("09:00:03", "d")],
            ],
        ]
        let results = evaluate(try snapshot(items + [kustomization]))
        XCTAssertEqual(
            results[0].revision?.line, "applied from main@sha1:eeeeeeeeeeee by Flux Kustomization flux-system/kubernetes")
        XCTAssertEqual(
            ResultsFormat.markdown.render(results, environments: [Self.environment]).contains(
                "| `\(Self.source)`<br>`applied from main@sha1:eeeeeeeeeeee by Flux Kustomization flux-system/kubernetes` |"),
            true)
    }

    func testRevisionsAreShortenedOnlyWhenTheyAreSHAs() {
        let long = GitCommit(sha: "0", date: "2026-12-07", subject: String(repeating: "x", count: 100))
        XCTAssertEqual(long.shortSubject, String(repeating: "x", count: 71) + "…")
        XCTAssertEqual(GitCommit(sha: "0", date: "", subject: "Short").shortSubject, "Short")
        let short = ValidationResult.Revision.short
        XCTAssertEqual(short(String(repeating: "a", count: 40)), "aaaaaaaaaaaa")
        XCTAssertEqual(short("main@sha1:" + String(repeating: "0", count: 40)), "main@sha1:000000000000")
        XCTAssertEqual(short("v1.2.3"), "v1.2.3")
        XCTAssertEqual(short("main@sha1:abc"), "main@sha1:abc")
    }

    /// The delivery objects of the example's trees, and the kubectl calls that read them.
    func testTheRenderedDeliveriesAreReadByName() throws {
        let argo = RenderedDelivery.load(
            fromTree: repositoryRoot + "/gitops/openshift-gpu", diagnostics: DiagnosticCollector())
        // Split by stage: the parent Application and its children (apps/), each read by name.
        let parts = ["base", "builds", "models", "notebook-serving", "serving", "validation"]
        XCTAssertEqual(argo.first, RenderedDelivery(kind: .argoApplication, name: "example-openshift-gpu", namespace: "openshift-gitops"))
        XCTAssertEqual(Set(argo.map(\.kind)), [.argoApplication])
        XCTAssertEqual(Set(argo.map(\.namespace)), ["openshift-gitops"])
        XCTAssertEqual(argo.map(\.name).sorted(), (["example-openshift-gpu"] + parts.map { "example-openshift-gpu-\($0)" }).sorted())
        let flux = RenderedDelivery.load(fromTree: repositoryRoot + "/gitops/kubernetes", diagnostics: DiagnosticCollector())
        XCTAssertEqual(flux.map(\.name).sorted(), parts.map { "example-kubernetes-\($0)" }.sorted())
        XCTAssertEqual(
            KubectlReader(context: "prod", environment: [:]).arguments(delivery: argo[0]),
            [
                "--context", "prod", "get", "applications.argoproj.io", "example-openshift-gpu", "--namespace", "openshift-gitops",
                "--output", "json",
            ])
        // A delivery kubectl cannot read (CRD not installed, another cluster) is a note, not an error.
        let missing = scratch + "/kubectl"
        try "#!/bin/sh\necho 'error: the server does not have a resource type \"applications\"' >&2\nexit 1\n".write(
            toFile: missing, atomically: true, encoding: .utf8)
        chmod(missing, 0o755)
        let read = KubectlReader(context: nil, environment: ["NBGITOPS_KUBECTL": missing]).read(deliveries: argo)
        XCTAssertEqual(read.states, [])
        XCTAssertEqual(read.notes.count, argo.count)
        XCTAssertTrue(read.notes[0].hasPrefix("cannot read Argo CD Application openshift-gitops/example-openshift-gpu"), read.notes[0])
    }
}
