import Foundation
import NBGitOps
import XCTest

/// Adopting nbgitops in another repository, as a team would: the release layout installed by
/// `scripts/install` into a temporary prefix, run with `NBGITOPS_HOME` unset from git
/// repositories outside the source tree, scaffolded by `nbgitops init`.
final class AdoptionIntegrationTests: XCTestCase {
    /// One temporary folder per test: the prefix and the repositories live in it.
    private var scratch = ""

    override func setUpWithError() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-adoption-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        scratch = url.resolvingSymlinksInPath().path
    }

    override func tearDownWithError() throws {
        if !scratch.isEmpty { try? FileManager.default.removeItem(atPath: scratch) }
    }

    // MARK: Helpers

    /// `scripts/install --binary <the built executable> <prefix>`; returns the installed binary.
    private func install(into prefix: String) throws -> URL {
        let built = try IntegrationCLI.requireExecutable()
        let run = try IntegrationCLI.run(
            [IntegrationProject.repositoryRoot + "/scripts/install", "--binary", built.path, prefix],
            in: scratch, executable: URL(fileURLWithPath: "/bin/sh"), timeout: 120)
        XCTAssertEqual(run.status, 0, "\(run)")
        let installed = URL(fileURLWithPath: prefix + "/bin/nbgitops")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: installed.path), "\(run)")
        return installed
    }

    /// Runs `git` (found on PATH) in `folder`.
    @discardableResult
    private func git(_ arguments: [String], in folder: String) throws -> CLIRun {
        let run = try IntegrationCLI.run(
            ["git", "-c", "user.name=nbgitops", "-c", "user.email=nbgitops@example.invalid"] + arguments, in: folder,
            executable: URL(fileURLWithPath: "/usr/bin/env"))
        if run.status == 127 { throw RequiredTool.missing("git is not installed: \(run.stderr)") }
        return run
    }

    /// A new, empty git repository at `scratch/name`.
    private func newRepository(_ name: String) throws -> String {
        let folder = scratch + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let run = try git(["init", "-q", "-b", "main"], in: folder)
        XCTAssertEqual(run.status, 0, "\(run)")
        return folder
    }

    /// Runs the installed copy with `NBGITOPS_HOME` unset.
    private func run(_ installed: URL, _ arguments: [String], in folder: String) throws -> CLIRun {
        try IntegrationCLI.run(arguments, in: folder, unsetting: ["NBGITOPS_HOME"], executable: installed)
    }

    private func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    private func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// A repository scaffolded by `init --repository-url`, its starter spec uncommented (kept,
    /// as its header says), rendered once.
    private func renderedRepository(_ installed: URL, name: String = "gitops-repo") throws -> String {
        let repository = try newRepository(name)
        let initRun = try run(
            installed, ["init", "--repository-url", "https://git.example.com/platform/gitops.git"], in: repository)
        XCTAssertEqual(initRun.status, 0, "\(initRun)")
        let starter = repository + "/" + ProjectScaffold.starterSpec
        let kept = ProjectScaffold.uncommented(Array(try XCTUnwrap(read(starter)).utf8))
        XCTAssertFalse(kept.isEmpty)
        try Data(kept).write(to: URL(fileURLWithPath: starter))
        let render = try run(installed, ["render"], in: repository + "/specs")
        XCTAssertEqual(render.status, 0, "\(render)")
        return repository
    }

    // MARK: Tests

    func testInstalledCopyInitRendersAndChecksInAnUnrelatedRepository() throws {
        let installed = try install(into: scratch + "/prefix")
        for resource in ["overlays/openshift.yaml", "templates/init/nbgitops.yaml", "docs/rules/NBG166.md"] {
            XCTAssertTrue(exists(scratch + "/prefix/share/nbgitops/" + resource), resource)
        }
        XCTAssertFalse(exists(scratch + "/prefix/share/nbgitops/templates/scripts/tests"), "tests are not installed")

        let version = try run(installed, ["--version"], in: scratch)
        XCTAssertEqual(version.status, 0, "\(version)")
        XCTAssertEqual(version.stdout, NBGitOpsVersion.current + "\n")

        // Without a repository URL: the scaffold renders only after the one obvious edit.
        let bare = try newRepository("bare")
        let initRun = try run(installed, ["init"], in: bare)
        XCTAssertEqual(initRun.status, 0, "\(initRun)")
        for file in ["nbgitops.yaml", "overlays/site.yaml", "specs/example.yaml", ".github/workflows/nbgitops.yml"] {
            XCTAssertTrue(exists(bare + "/" + file), "\(file)\n\(initRun)")
        }
        XCTAssertTrue(initRun.stderr.contains("set delivery.repositoryURL in overlays/site.yaml"), "\(initRun)")
        let workflow = try XCTUnwrap(read(bare + "/.github/workflows/nbgitops.yml"))
        XCTAssertTrue(workflow.contains("uses: nbgitops/nbgitops@v\(NBGitOpsVersion.current)"), workflow)
        let unset = try run(installed, ["render"], in: bare)
        XCTAssertEqual(unset.status, 1, "\(unset)")
        // One finding at one overlay line, printed once for both environments; each delivery
        // tool's wording is kept.
        XCTAssertEqual(unset.locatedErrors.count, 1, "\(unset)")
        for line in unset.locatedErrors {
            XCTAssertTrue(line.hasPrefix("overlays/site.yaml:15:20: error[NBG166]: delivery.repositoryURL is empty"), line)
        }
        XCTAssertTrue(unset.stderrLines.contains("  note: found in environments openshift, kubernetes"), "\(unset)")
        XCTAssertTrue(unset.stderr.contains("Flux's GitRepository of environment 'kubernetes'"), "\(unset)")
        XCTAssertFalse(exists(bare + "/gitops"), "a failed render writes nothing")

        // Editing only that line makes it render; from a sub-folder, like git.
        let overlay = try XCTUnwrap(read(bare + "/overlays/site.yaml"))
        try overlay.replacingOccurrences(
            of: "repositoryURL: \"\"", with: "repositoryURL: https://git.example.com/platform/gitops.git"
        ).write(toFile: bare + "/overlays/site.yaml", atomically: true, encoding: .utf8)
        let render = try run(installed, ["render"], in: bare + "/specs")
        XCTAssertEqual(render.status, 0, "\(render)")
        XCTAssertEqual(render.locatedErrors, [], "\(render)")
        for file in [
            "gitops/openshift/manifests/kustomization.yaml", "gitops/openshift/delivery/application-notebooks-openshift.yaml",
            "gitops/kubernetes/manifests/kustomization.yaml",
            "gitops/kubernetes/delivery/gitrepository-notebooks-kubernetes.yaml",
        ] {
            XCTAssertTrue(exists(bare + "/" + file), "\(file)\n\(render)")
        }
        let application = try XCTUnwrap(read(bare + "/gitops/openshift/delivery/application-notebooks-openshift.yaml"))
        XCTAssertTrue(application.contains("repoURL: https://git.example.com/platform/gitops.git"), application)
        XCTAssertTrue(application.contains("path: gitops/openshift/manifests"), application)
        let gitRepository = try XCTUnwrap(read(bare + "/gitops/kubernetes/delivery/gitrepository-notebooks-kubernetes.yaml"))
        XCTAssertTrue(gitRepository.contains("url: https://git.example.com/platform/gitops.git"), gitRepository)

        let check = try run(installed, ["check"], in: bare + "/overlays")
        XCTAssertEqual(check.status, 0, "\(check)")
        XCTAssertTrue(check.stdout.contains("openshift: up to date"), "\(check)")

        // Shell completion comes from swift-argument-parser.
        let completion = try run(installed, ["--generate-completion-script", "bash"], in: scratch)
        XCTAssertEqual(completion.status, 0, "\(completion)")
        XCTAssertTrue(completion.stdout.contains("_nbgitops"), String(completion.stdout.prefix(300)))

        // The schema is compiled in; the rule pages come from share/.
        let schema = try run(installed, ["schema"], in: scratch)
        XCTAssertEqual(schema.status, 0, "\(schema)")
        XCTAssertTrue(schema.stdout.contains("NotebookValidationJob"), String(schema.stdout.prefix(400)))
        let rule = try run(installed, ["rules", "NBG166"], in: scratch)
        XCTAssertEqual(rule.status, 0, "\(rule)")
        XCTAssertTrue(rule.stdout.contains("NBG166"), "\(rule)")

        // SARIF names the tool's version and home.
        let sarifRun = try run(
            installed, ["check", "--diagnostics-format", "sarif", "--diagnostics-output", scratch + "/out.sarif"], in: bare)
        XCTAssertEqual(sarifRun.status, 0, "\(sarifRun)")
        let sarif = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch + "/out.sarif")))
                as? [String: Any])
        let runs = try XCTUnwrap(sarif["runs"] as? [[String: Any]])
        let driver = try XCTUnwrap((runs.first?["tool"] as? [String: Any])?["driver"] as? [String: Any])
        XCTAssertEqual(driver["version"] as? String, NBGitOpsVersion.current)
        XCTAssertEqual(driver["informationUri"] as? String, NBGitOpsVersion.informationURI)
    }

    func testAMissingShareFolderIsALocatedErrorNotACrash() throws {
        let installed = try install(into: scratch + "/prefix")
        let repository = try renderedRepository(installed)
        try FileManager.default.moveItem(atPath: scratch + "/prefix/share", toPath: scratch + "/moved-share")

        for arguments in [["render"], ["check"], ["rules", "NBG166"]] {
            let run = try run(installed, arguments, in: repository)
            XCTAssertEqual(run.status, 1, "\(run)")
            XCTAssertFalse(run.stderr.contains("Fatal error"), "\(run)")
            XCTAssertTrue(run.stderr.contains("error[NBG164]"), "\(run)")
            XCTAssertTrue(run.stderr.contains(scratch + "/prefix/share/nbgitops"), "names where it looked: \(run)")
        }
        // The schemas are embedded: `schema` needs nothing from share/.
        let schema = try run(installed, ["schema"], in: repository)
        XCTAssertEqual(schema.status, 0, "\(schema)")

        // An NBGITOPS_HOME without overlays/ and templates/ is an error, not ignored.
        try FileManager.default.moveItem(atPath: scratch + "/moved-share", toPath: scratch + "/prefix/share")
        let emptyHome = scratch + "/empty-home"
        try FileManager.default.createDirectory(atPath: emptyHome, withIntermediateDirectories: true)
        let badHome = try IntegrationCLI.run(
            ["render"], in: repository, environment: ["NBGITOPS_HOME": emptyHome], executable: installed)
        XCTAssertEqual(badHome.status, 1, "\(badHome)")
        XCTAssertTrue(badHome.stderr.contains("error[NBG164]"), "\(badHome)")
        XCTAssertTrue(badHome.stderr.contains(emptyHome), "\(badHome)")
    }

    func testInitRefusesToOverwriteAndWritesNothing() throws {
        let installed = try install(into: scratch + "/prefix")
        let repository = try newRepository("repo")
        try "keep me\n".write(toFile: repository + "/nbgitops.yaml", atomically: true, encoding: .utf8)
        let refused = try run(installed, ["init"], in: repository)
        XCTAssertEqual(refused.status, 1, "\(refused)")
        XCTAssertTrue(refused.stderr.contains("error[NBG171]"), "\(refused)")
        XCTAssertEqual(read(repository + "/nbgitops.yaml"), "keep me\n")
        XCTAssertFalse(exists(repository + "/specs"), "nothing else is written either")
        XCTAssertFalse(exists(repository + "/overlays"))

        // Into a named folder that does not exist yet.
        let named = try run(installed, ["init", "fresh", "--repository-url", "ssh://git@example.com/o/r.git"], in: repository)
        XCTAssertEqual(named.status, 0, "\(named)")
        let site = try XCTUnwrap(read(repository + "/fresh/overlays/site.yaml"))
        XCTAssertTrue(
            site.contains("repositoryURL: ssh://git@example.com/o/r.git")
                || site.contains("repositoryURL: \"ssh://git@example.com/o/r.git\""), site)
        let bad = try run(installed, ["init", "other", "--repository-url", "not a url"], in: repository)
        XCTAssertNotEqual(bad.status, 0, "\(bad)")
        XCTAssertFalse(exists(repository + "/other/nbgitops.yaml"), "\(bad)")
    }

    func testCheckReportsAStrayGeneratedFileAndItsPatchAppliesFromTheRepositoryRoot() throws {
        let installed = try install(into: scratch + "/prefix")
        let repository = try renderedRepository(installed)
        XCTAssertEqual(try git(["add", "-A"], in: repository).status, 0)
        XCTAssertEqual(try git(["commit", "-qm", "rendered"], in: repository).status, 0)

        // A file with the generated header that the ledger does not list (left by a branch switch).
        let stray = repository + "/gitops/openshift/manifests/5-job-old-notebook.yaml"
        try "# Generated by nbgitops from specs/old.yaml; do not edit, change the source and run nbgitops render\nkind: Job\n"
            .write(toFile: stray, atomically: true, encoding: .utf8)
        // And a hand edit of an owned file.
        let edited = repository + "/gitops/kubernetes/manifests/0-namespace-notebook-validation.yaml"
        let original = try XCTUnwrap(read(edited))
        try original.replacingOccurrences(of: "name: notebook-validation", with: "name: hand-edited")
            .write(toFile: edited, atomically: true, encoding: .utf8)

        let check = try run(installed, ["check"], in: repository + "/specs")
        XCTAssertEqual(check.status, 2, "drift exits 2: \(check)")
        XCTAssertTrue(check.stdout.contains("unowned generated: openshift/manifests/5-job-old-notebook.yaml"), "\(check)")
        XCTAssertTrue(check.stdout.contains("changed: kubernetes/manifests/0-namespace-notebook-validation.yaml"), "\(check)")
        XCTAssertTrue(
            check.stdout.contains(
                "diff --git a/gitops/openshift/manifests/5-job-old-notebook.yaml b/gitops/openshift/manifests/5-job-old-notebook.yaml"
            ), "\(check)")
        XCTAssertTrue(check.stderr.contains("warning[NBG172]"), "\(check)")

        // `git apply` takes check's output as it is, from the repository root.
        let patch = scratch + "/drift.patch"
        try check.stdout.write(toFile: patch, atomically: true, encoding: .utf8)
        let apply = try git(["apply", patch], in: repository)
        XCTAssertEqual(apply.status, 0, "\(apply)\n\(check.stdout)")
        XCTAssertFalse(exists(stray))
        XCTAssertEqual(read(edited), original)
        let after = try run(installed, ["check"], in: repository)
        XCTAssertEqual(after.status, 0, "\(after)")
        XCTAssertEqual(try git(["status", "--porcelain"], in: repository).stdout, "", "back to the committed tree")

        // render warns about a stray file but leaves it (it is not owned).
        try "# Generated by nbgitops\n".write(toFile: stray, atomically: true, encoding: .utf8)
        let render = try run(installed, ["render"], in: repository)
        XCTAssertEqual(render.status, 0, "\(render)")
        XCTAssertTrue(render.stderr.contains("warning[NBG172]"), "\(render)")
        XCTAssertTrue(exists(stray))
    }

    func testStdoutNeedsOneEnvironment() throws {
        let installed = try install(into: scratch + "/prefix")
        let repository = try renderedRepository(installed)
        let ambiguous = try run(installed, ["render", "--stdout"], in: repository)
        XCTAssertEqual(ambiguous.status, 64, "\(ambiguous)")
        XCTAssertTrue(
            ambiguous.stderr.contains("pass --env NAME (one of kubernetes, openshift)")
                || ambiguous.stderr.contains("pass --env NAME (one of openshift, kubernetes)"), "\(ambiguous)")
        XCTAssertEqual(ambiguous.stdout, "")
        let one = try run(installed, ["render", "--stdout", "--env", "kubernetes"], in: repository)
        XCTAssertEqual(one.status, 0, "\(one)")
        // The environment's manifests (what `kubectl apply -f -` takes), not its delivery objects.
        XCTAssertEqual(one.stdout.components(separatedBy: "kind: Namespace\n").count, 2, "one Namespace: \(one)")
        XCTAssertTrue(one.stdout.contains("pod-security.kubernetes.io/enforce: restricted"), "the Kubernetes one")
        XCTAssertFalse(one.stdout.contains("kind: GitRepository"), "\(one)")
    }

    func testOutputOutsideTheRepository() throws {
        let installed = try install(into: scratch + "/prefix")
        let repository = try renderedRepository(installed)

        // Ad hoc, from a sub-folder, into a folder outside the repository: no delivery objects, a warning.
        let preview = scratch + "/preview"
        let adHoc = try run(
            installed, ["render", "example.yaml", "--overlay", "kubernetes", "--overlay", "rwo", "--output", preview],
            in: repository + "/specs")
        XCTAssertEqual(adHoc.status, 0, "\(adHoc)")
        XCTAssertTrue(adHoc.stderr.contains("warning[NBG167]"), "\(adHoc)")
        XCTAssertTrue(exists(preview + "/default/manifests/kustomization.yaml"), "\(adHoc)")
        XCTAssertFalse(exists(preview + "/default/delivery"), "no empty delivery folder")
        let previewFiles = integrationFiles(of: preview).keys.sorted()
        XCTAssertFalse(previewFiles.isEmpty, "\(adHoc)")
        XCTAssertFalse(previewFiles.contains { $0.contains("/delivery/") }, "\(previewFiles)")

        // A project whose output is outside the repository: an error only because delivery
        // objects must name the folder; delivery.path in an overlay lifts it.
        let project = try XCTUnwrap(read(repository + "/nbgitops.yaml"))
        XCTAssertTrue(project.contains("output: gitops"), project)
        try project.replacingOccurrences(of: "output: gitops", with: "output: \(scratch)/elsewhere")
            .write(toFile: repository + "/nbgitops.yaml", atomically: true, encoding: .utf8)
        let refused = try run(installed, ["render"], in: repository)
        XCTAssertEqual(refused.status, 1, "\(refused)")
        XCTAssertTrue(refused.stderr.contains("error[NBG170]"), "\(refused)")
        XCTAssertTrue(refused.stderr.contains("set delivery.path in an overlay"), "\(refused)")
        XCTAssertFalse(exists(scratch + "/elsewhere"))

        let overlay = try XCTUnwrap(read(repository + "/overlays/site.yaml"))
        try overlay.replacingOccurrences(of: "    revision: main\n", with: "    revision: main\n    path: deploy/site\n")
            .write(toFile: repository + "/overlays/site.yaml", atomically: true, encoding: .utf8)
        let placed = try run(installed, ["render"], in: repository)
        XCTAssertEqual(placed.status, 0, "\(placed)")
        let application = try XCTUnwrap(read(scratch + "/elsewhere/openshift/delivery/application-notebooks-openshift.yaml"))
        XCTAssertTrue(application.contains("path: deploy/site"), application)
    }

    /// action.yml's check step (`scripts/action-check`), run with the variables a runner sets.
    func testActionCheckStepReportsStatusSummaryAndSARIF() throws {
        let installed = try install(into: scratch + "/prefix")
        let repository = try renderedRepository(installed)
        let runner = scratch + "/runner"
        try FileManager.default.createDirectory(atPath: runner, withIntermediateDirectories: true)
        func step(_ name: String, environment extra: [String: String] = [:]) throws -> (CLIRun, [String: String], String) {
            let output = runner + "/\(name).output"
            let summary = runner + "/\(name).summary"
            var environment = [
                "RUNNER_TEMP": runner, "GITHUB_OUTPUT": output, "GITHUB_STEP_SUMMARY": summary,
                "PATH": scratch + "/prefix/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            ]
            for (key, value) in extra { environment[key] = value }
            let run = try IntegrationCLI.run(
                [IntegrationProject.repositoryRoot + "/scripts/action-check"], in: repository, environment: environment,
                unsetting: ["NBGITOPS_HOME"], executable: URL(fileURLWithPath: "/bin/bash"))
            var outputs: [String: String] = [:]
            for line in (read(output) ?? "").split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { outputs[parts[0]] = parts[1] }
            }
            return (run, outputs, read(summary) ?? "")
        }

        let (clean, cleanOutputs, cleanSummary) = try step("clean")
        XCTAssertEqual(clean.status, 0, "\(clean)")
        XCTAssertEqual(cleanOutputs["exit-code"], "0", "\(clean)")
        XCTAssertTrue(cleanSummary.contains("gitops/ is up to date"), cleanSummary)
        let sarifPath = try XCTUnwrap(cleanOutputs["sarif-file"])
        let sarif = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sarifPath))) as? [String: Any]
        XCTAssertEqual(sarif?["version"] as? String, "2.1.0")

        // Drift: exit code 2 and a patch in the summary that git applies.
        let edited = repository + "/gitops/openshift/manifests/kustomization.yaml"
        let original = try XCTUnwrap(read(edited))
        try (original + "# a hand edit\n").write(toFile: edited, atomically: true, encoding: .utf8)
        let (drift, driftOutputs, driftSummary) = try step("drift", environment: ["NBGITOPS_ARGS": "--env openshift"])
        XCTAssertEqual(drift.status, 0, "the step passes so the SARIF upload runs: \(drift)")
        XCTAssertEqual(driftOutputs["exit-code"], "2", "\(drift)")
        let fenced = driftSummary.components(separatedBy: "```diff\n")
        XCTAssertEqual(fenced.count, 2, driftSummary)
        let patch = try XCTUnwrap(fenced.last?.components(separatedBy: "```").first)
        XCTAssertTrue(patch.hasPrefix("diff --git a/gitops/openshift/manifests/kustomization.yaml"), patch)
        XCTAssertFalse(patch.contains("openshift objects:"), "only patch lines: \(patch)")
        try patch.write(toFile: runner + "/summary.patch", atomically: true, encoding: .utf8)
        let apply = try git(["apply", runner + "/summary.patch"], in: repository)
        XCTAssertEqual(apply.status, 0, "\(apply)")
        XCTAssertEqual(read(edited), original)

        // Errors: exit code 1, the text diagnostics in the log, the SARIF file carries them.
        let spec = repository + "/specs/example.yaml"
        let specText = try XCTUnwrap(read(spec))
        try specText.replacingOccurrences(of: "spec:\n", with: "spec:\n  bogusField: 1\n")
            .write(toFile: spec, atomically: true, encoding: .utf8)
        let (broken, brokenOutputs, brokenSummary) = try step("broken")
        XCTAssertEqual(brokenOutputs["exit-code"], "1", "\(broken)")
        XCTAssertTrue(broken.stderr.contains("specs/example.yaml:"), "text diagnostics in the log: \(broken)")
        XCTAssertTrue(brokenSummary.contains("nbgitops reported errors"), brokenSummary)
        let brokenSarif = try XCTUnwrap(read(try XCTUnwrap(brokenOutputs["sarif-file"])))
        XCTAssertTrue(brokenSarif.contains("\"ruleId\""), brokenSarif)
    }

    func testProjectSearchStopsAtTheGitRoot() throws {
        let installed = try install(into: scratch + "/prefix")
        let outer = try renderedRepository(installed, name: "outer")
        let inner = outer + "/vendor/inner"
        try FileManager.default.createDirectory(atPath: inner + "/deep", withIntermediateDirectories: true)
        XCTAssertEqual(try git(["init", "-q"], in: inner).status, 0)
        let run = try run(installed, ["render"], in: inner + "/deep")
        XCTAssertEqual(run.status, 1, "\(run)")
        XCTAssertTrue(
            run.stderr.contains("error[NBG161]: no nbgitops.yaml in '\(inner)/deep' or any parent folder up to '\(inner)'"),
            "\(run)")
        XCTAssertTrue(run.stderr.contains("`nbgitops init`"), "\(run)")
        XCTAssertTrue(run.stderr.contains("--config"), "\(run)")
        XCTAssertFalse(exists(inner + "/gitops"))
    }
}
