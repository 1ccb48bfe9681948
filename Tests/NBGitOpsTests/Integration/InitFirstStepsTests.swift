import Foundation
import XCTest

@testable import NBGitOps

/// A new user's first steps through the built binary: `nbgitops init` in a git repository
/// (its `origin`, scp-like or not, and its branch), the commented starter spec, the documented
/// `results --from` sample, and a termination message that is not a verdict.
final class InitFirstStepsTests: XCTestCase {
    private var scratch = ""

    override func setUpWithError() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-first-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        scratch = url.resolvingSymlinksInPath().path
    }

    override func tearDownWithError() throws {
        if !scratch.isEmpty { try? FileManager.default.removeItem(atPath: scratch) }
    }

    @discardableResult
    private func git(_ arguments: [String], in folder: String) throws -> CLIRun {
        let run = try IntegrationCLI.run(
            ["git", "-c", "user.name=nbgitops", "-c", "user.email=nbgitops@example.invalid"] + arguments, in: folder,
            executable: URL(fileURLWithPath: "/usr/bin/env"))
        if run.status == 127 { throw XCTSkip("git is not installed: \(run.stderr)") }
        XCTAssertEqual(run.status, 0, "\(run)")
        return run
    }

    private func nbgitops(_ arguments: [String], in folder: String) throws -> CLIRun {
        try IntegrationCLI.run(arguments, in: folder, environment: ["NBGITOPS_HOME": repositoryRoot])
    }

    private func read(_ path: String) -> String {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Rendered files under `folder`/gitops that are validation Jobs.
    private func renderedJobs(in folder: String) -> [String] {
        (FileManager.default.subpaths(atPath: folder + "/gitops") ?? []).filter {
            ($0 as NSString).lastPathComponent.hasPrefix("5-job-")
        }.sorted()
    }

    // MARK: init

    func testInitTakesTheScpLikeOriginAndTheCurrentBranchAndRendersNoStarterJob() throws {
        let repository = scratch + "/repo"
        try FileManager.default.createDirectory(atPath: repository, withIntermediateDirectories: true)
        try git(["init", "-q"], in: repository)
        // A branch of a repository with no commit yet: `rev-parse --abbrev-ref HEAD` cannot name it.
        try git(["checkout", "-q", "-b", "feature/first-notebook"], in: repository)
        try git(["remote", "add", "origin", "git@github.com:acme/notebooks.git"], in: repository)

        let initRun = try nbgitops(["init"], in: repository)
        XCTAssertEqual(initRun.status, 0, "\(initRun)")
        let site = read(repository + "/overlays/site.yaml")
        XCTAssertTrue(site.contains("repositoryURL: \"ssh://git@github.com/acme/notebooks.git\"\n"), site)
        XCTAssertTrue(site.contains("revision: \"feature/first-notebook\"\n"), site)
        XCTAssertTrue(
            initRun.stderrLines.contains {
                $0.hasPrefix("note: delivery.repositoryURL: ssh://git@github.com/acme/notebooks.git, from git's remote 'origin'")
            }, "\(initRun)")
        XCTAssertTrue(
            initRun.stderrLines.contains("note: delivery.revision: feature/first-notebook, the current branch"), "\(initRun)")
        XCTAssertTrue(initRun.stderr.contains("specs/example.yaml is commented out"), "\(initRun)")
        XCTAssertTrue(initRun.stderr.contains("next: run `nbgitops render`"), "\(initRun)")

        // Rendered as scaffolded: both delivery tools get the URL Flux accepts, and no Job
        // clones the starter's repository, which does not exist.
        let render = try nbgitops(["render"], in: repository)
        XCTAssertEqual(render.status, 0, "\(render)")
        XCTAssertEqual(render.locatedErrors, [], "\(render)")
        XCTAssertEqual(renderedJobs(in: repository), [], "the commented starter renders no Job")
        let gitRepository = read(repository + "/gitops/kubernetes/delivery/gitrepository-notebooks-kubernetes.yaml")
        XCTAssertTrue(gitRepository.contains("url: ssh://git@github.com/acme/notebooks.git\n"), gitRepository)
        XCTAssertTrue(gitRepository.contains("branch: feature/first-notebook\n"), gitRepository)
        let application = read(repository + "/gitops/openshift/delivery/application-notebooks-openshift.yaml")
        XCTAssertTrue(application.contains("repoURL: ssh://git@github.com/acme/notebooks.git\n"), application)
        XCTAssertTrue(application.contains("targetRevision: feature/first-notebook\n"), application)

        // Uncommenting the starter as its header says makes it a spec that renders a Job.
        let starter = repository + "/specs/example.yaml"
        try Data(ProjectScaffold.uncommented(Array(read(starter).utf8))).write(to: URL(fileURLWithPath: starter))
        let kept = try nbgitops(["render"], in: repository)
        XCTAssertEqual(kept.status, 0, "\(kept)")
        XCTAssertEqual(renderedJobs(in: repository).count, 2, "one Job per environment: \(renderedJobs(in: repository))")
    }

    func testInitRepositoryURLOptionFormsAndTheRevisionFallback() throws {
        // Outside git: the scp-like --repository-url is converted; the revision stays main, said.
        let outside = try nbgitops(
            ["init", "a", "--repository-url", "git@gitlab.example.com:team/sub/repo.git"], in: scratch)
        XCTAssertEqual(outside.status, 0, "\(outside)")
        let site = read(scratch + "/a/overlays/site.yaml")
        XCTAssertTrue(site.contains("repositoryURL: \"ssh://git@gitlab.example.com/team/sub/repo.git\"\n"), site)
        XCTAssertTrue(site.contains("revision: main\n"), site)
        XCTAssertTrue(
            outside.stderrLines.contains {
                $0.hasPrefix("note: delivery.revision: main, the default (") && $0.contains("is not in a git repository")
            }, "\(outside)")
        let render = try nbgitops(["render"], in: scratch + "/a")
        XCTAssertEqual(render.status, 0, "\(render)")

        // ssh:// and https:// are written as given.
        for (folder, url) in [("b", "ssh://git@example.com:2222/o/r.git"), ("c", "https://example.com/o/r.git")] {
            let run = try nbgitops(["init", folder, "--repository-url", url], in: scratch)
            XCTAssertEqual(run.status, 0, "\(run)")
            XCTAssertTrue(read(scratch + "/\(folder)/overlays/site.yaml").contains("repositoryURL: \"\(url)\"\n"))
        }

        // A token in the URL is refused, never echoed, and nothing is written.
        let secret = try nbgitops(
            ["init", "d", "--repository-url", "https://bot:s3cr3t-token@example.com/o/r.git"], in: scratch)
        XCTAssertEqual(secret.status, 1, "\(secret)")
        XCTAssertFalse(secret.stderr.contains("s3cr3t-token"), "\(secret)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch + "/d"), "\(secret)")

        // A detached HEAD: main, with the reason; an explicit --revision wins.
        let repository = scratch + "/detached"
        try FileManager.default.createDirectory(atPath: repository, withIntermediateDirectories: true)
        try git(["init", "-q"], in: repository)
        try git(["commit", "-q", "--allow-empty", "-m", "first"], in: repository)
        try git(["checkout", "-q", "--detach"], in: repository)
        try git(["remote", "add", "origin", "https://example.com/o/detached.git"], in: repository)
        let detached = try nbgitops(["init", "x"], in: repository)
        XCTAssertEqual(detached.status, 0, "\(detached)")
        XCTAssertTrue(read(repository + "/x/overlays/site.yaml").contains("revision: main\n"))
        XCTAssertTrue(
            detached.stderrLines.contains {
                $0.hasPrefix("note: delivery.revision: main, the default (HEAD is detached (on no branch))")
            }, "\(detached)")
        XCTAssertTrue(
            read(repository + "/x/overlays/site.yaml").contains("repositoryURL: \"https://example.com/o/detached.git\"\n"))
        let pinned = try nbgitops(["init", "y", "--revision", "release-2"], in: repository)
        XCTAssertEqual(pinned.status, 0, "\(pinned)")
        XCTAssertTrue(read(repository + "/y/overlays/site.yaml").contains("revision: \"release-2\"\n"))
        let badRevision = try nbgitops(["init", "z", "--revision", "a..b"], in: repository)
        XCTAssertEqual(badRevision.status, 1, "\(badRevision)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: repository + "/z"), "\(badRevision)")
    }

    // MARK: results

    /// The command docs/validation-jobs.md shows works on the recorded dump it names.
    func testTheDocumentedResultsDumpWorks() throws {
        let docs = read(repositoryRoot + "/docs/validation-jobs.md")
        let command = "nbgitops results --env openshift-gpu --from docs/examples/results-dump.json"
        XCTAssertTrue(docs.contains(command), "the docs show the command")
        let run = try nbgitops(Array(command.split(separator: " ").dropFirst().map(String.init)), in: repositoryRoot)
        XCTAssertEqual(run.status, 1, "one Job failed: \(run)")
        let summary = run.stdout.split(separator: "\n").first.map(String.init) ?? ""
        XCTAssertTrue(summary.hasPrefix("environment 'openshift-gpu': "), run.stdout)
        XCTAssertTrue(summary.contains("1 failed, 1 running, "), "rerun scripts/record-results-dump: \(summary)")
        XCTAssertFalse(summary.contains("pending"), "every Job of the dump is rendered: rerun scripts/record-results-dump")
        XCTAssertFalse(summary.contains("superseded"), "rerun scripts/record-results-dump: \(summary)")
        let markdown = try nbgitops(
            ["results", "--env", "openshift-gpu", "--from", "docs/examples/results-dump.json", "--format", "markdown"],
            in: repositoryRoot)
        XCTAssertEqual(markdown.status, 1, "\(markdown)")
        XCTAssertTrue(markdown.stdout.hasPrefix("## Notebook validation\n"), markdown.stdout)
    }

    /// A dump of every rendered Job of openshift-gpu as passed, the validate container of the
    /// first one having written `message` instead of a verdict.
    private func dump(withMessage message: String) throws -> (data: Data, instance: String) {
        let rendered = RenderedJob.load(
            fromTree: repositoryRoot + "/gitops/openshift-gpu", diagnostics: DiagnosticCollector())
        let target = try XCTUnwrap(rendered.first)
        var items: [Any] = []
        for job in rendered {
            let text = read(repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/results/passed.json")
                .replacingOccurrences(of: "churn-model-regression-b0e68fd2", with: job.name)
                .replacingOccurrences(of: "\"churn-model-regression\"", with: "\"\(job.instance)\"")
                .replacingOccurrences(of: "notebook-validation-gpu", with: job.namespace)
            let list = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            for case var item as [String: Any] in list["items"] as? [Any] ?? [] {
                if job == target, item["kind"] as? String == "Pod", var status = item["status"] as? [String: Any],
                    let containers = status["containerStatuses"] as? [[String: Any]]
                {
                    status["containerStatuses"] = containers.map { container -> [String: Any] in
                        guard container["name"] as? String == "validate", var state = container["state"] as? [String: Any],
                            var terminated = state["terminated"] as? [String: Any]
                        else { return container }
                        terminated["message"] = message
                        state["terminated"] = terminated
                        var changed = container
                        changed["state"] = state
                        return changed
                    }
                    item["status"] = status
                }
                items.append(item)
            }
        }
        let data = try JSONSerialization.data(withJSONObject: ["apiVersion": "v1", "kind": "List", "items": items])
        return (data, target.instance)
    }

    func testAVerdictThatDoesNotParseIsReportedInEveryFormat() throws {
        let long =
            "\u{1B}[2J\n::error::forged annotation ##[warning]old form | <b>bold</b> "
            + "Traceback (most recent call last): nbconvert crashed before the verdict was written "
            + String(repeating: "x", count: 300) + " END-OF-MESSAGE"
        let (data, instance) = try dump(withMessage: long)
        let file = scratch + "/unreadable.json"
        try data.write(to: URL(fileURLWithPath: file))
        let raw = String(long.prefix(200)) + "..."
        let line =
            "verdict unreadable: the validate container's termination message is not a verdict (it is not JSON); it reads: \(raw)"
        func results(_ format: String) throws -> CLIRun {
            let run = try nbgitops(["results", "--env", "openshift-gpu", "--from", file, "--format", format], in: repositoryRoot)
            XCTAssertEqual(run.status, 0, "the Job passed; the unreadable verdict is reported, not a failure: \(run)")
            XCTAssertFalse(run.stdout.contains("END-OF-MESSAGE"), "the raw text is truncated: \(format)")
            return run
        }
        let text = try results("text")
        XCTAssertTrue(text.stdout.split(separator: "\n").first?.contains("; 1 with an unreadable verdict") == true, text.stdout)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        let passed = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("  PASSED     \(instance) (Job ") }, text.stdout)
        XCTAssertEqual(
            lines[passed + 1], "             " + ResultsText.terminal(line).replacingOccurrences(of: "##[", with: "#\\#["))
        XCTAssertFalse(text.stdout.contains("\u{1B}"), "no escape sequence reaches the terminal")
        XCTAssertFalse(lines.contains { $0.drop { $0 == " " }.hasPrefix("::") }, "no workflow command")

        let markdown = try results("markdown")
        XCTAssertTrue(markdown.stdout.contains(ResultsText.markdownCell(line)), markdown.stdout)
        XCTAssertTrue(markdown.stdout.contains("1 with an unreadable verdict"), markdown.stdout)

        let junit = try results("junit")
        try JUnitShape.check(junit.stdout)
        XCTAssertTrue(junit.stdout.contains(ResultsText.xml(line)), junit.stdout)

        let json = try results("json")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let entries = try XCTUnwrap(object["results"] as? [[String: Any]])
        let entry = try XCTUnwrap(entries.first { $0["notebook"] as? String == instance })
        let unreadable = try XCTUnwrap(entry["verdictUnreadable"] as? [String: Any], "\(entry)")
        XCTAssertEqual(unreadable["problem"] as? String, "it is not JSON")
        XCTAssertEqual(unreadable["raw"] as? String, raw)
        XCTAssertEqual((entry["details"] as? [String])?.first, line)
        XCTAssertEqual(entries.filter { $0["verdictUnreadable"] != nil }.count, 1, "only the one Job")

        // JSON that is not a version-1 verdict is named as such.
        let (other, _) = try dump(withMessage: "{\"v\": 2, \"verdict\": \"passed\"}")
        try other.write(to: URL(fileURLWithPath: file))
        let version = try results("text")
        XCTAssertTrue(
            version.stdout.contains(
                "verdict unreadable: the validate container's termination message is not a verdict (its format version \"v\" is not 1); it reads: {\"v\": 2, \"verdict\": \"passed\"}"
            ), version.stdout)
    }
}
