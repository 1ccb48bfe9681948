import Foundation
import XCTest

/// The `nbgitops` executable end to end, in a temporary copy of the example project:
/// exit codes, what is printed, and what is (and is not) written.
final class CLIEndToEndIntegrationTests: XCTestCase {
    /// Files of one environment folder that `check` counts (the ownership ledger is not one).
    private func renderedFileCount(_ project: IntegrationProject, _ environment: String, root: String = "gitops") -> Int {
        project.files("\(root)/\(environment)").keys.filter { !$0.hasSuffix(".nbgitops-owned") }.count
    }

    private func upToDateText(_ project: IntegrationProject, _ environments: [String] = integrationEnvironments)
        -> String
    {
        environments.map { "\($0): up to date (\(renderedFileCount(project, $0)) files)\n" }.joined()
    }

    func testRenderWritesEveryEnvironmentThenChangesNothingAndCheckPasses() throws {
        let project = try IntegrationProject()
        XCTAssertFalse(project.exists("gitops"))

        let first = try project.run(["render"])
        XCTAssertEqual(first.status, 0, "\(first)")
        for environment in integrationEnvironments {
            XCTAssertTrue(project.exists("gitops/\(environment)/manifests/kustomization.yaml"), environment)
            XCTAssertTrue(project.exists("gitops/\(environment)/.nbgitops-owned"), environment)
            let count = renderedFileCount(project, environment)
            XCTAssertGreaterThan(count, 3, environment)
            XCTAssertTrue(
                first.stderrLines.contains("\(environment): \(count) written, 0 unchanged, 0 removed"), "\(first)")
        }
        XCTAssertEqual(
            Set(try FileManager.default.contentsOfDirectory(atPath: project.path("gitops"))), Set(integrationEnvironments))
        XCTAssertEqual(first.stdout, "")

        let before = project.snapshot()
        let second = try project.run(["render"])
        XCTAssertEqual(second.status, 0, "\(second)")
        for environment in integrationEnvironments {
            let count = renderedFileCount(project, environment)
            XCTAssertTrue(
                second.stderrLines.contains("\(environment): 0 written, \(count) unchanged, 0 removed"), "\(second)")
        }
        // Same bytes, same inodes, same mtimes, for files and folders alike.
        assertIntegrationTreesEqual(before, project.snapshot(), "second render:")

        let check = try project.run(["check"])
        XCTAssertEqual(check.status, 0, "\(check)")
        XCTAssertEqual(check.stdout, upToDateText(project))
        assertIntegrationTreesEqual(before, project.snapshot(), "check:")
    }

    func testCheckReportsAHandEditWithAUnifiedDiff() throws {
        let project = try IntegrationProject()
        XCTAssertEqual(try project.run(["render"]).status, 0)
        let relative = "gitops/kubernetes/manifests/kustomization.yaml"
        let original = try XCTUnwrap(project.read(relative))
        let lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[1], "kind: Kustomization")
        XCTAssertGreaterThanOrEqual(lines.count, 6)
        var edited = lines
        edited[1] = "kind: Kustomisation"
        try project.write(relative, edited.joined(separator: "\n"))
        let before = project.snapshot()

        let check = try project.run(["check"])
        XCTAssertEqual(check.status, 1, "\(check)")
        let unchanged = renderedFileCount(project, "kubernetes") - 1
        let expected = """
            changed: kubernetes/manifests/kustomization.yaml
            --- a/kubernetes/manifests/kustomization.yaml
            +++ b/kubernetes/manifests/kustomization.yaml
            @@ -1,5 +1,5 @@
             \(lines[0])
            -kind: Kustomisation
            +kind: Kustomization
             \(lines[2])
             \(lines[3])
             \(lines[4])
            kubernetes: 1 changed, \(unchanged) unchanged

            """
            + upToDateText(project, ["openshift-gpu", "openshift-rwx"])
            + "gitops output is out of date: run `nbgitops render` and commit the result\n"
        XCTAssertEqual(check.stdout, expected)
        assertIntegrationTreesEqual(before, project.snapshot(), "check must write nothing:")

        let quiet = try project.run(["check", "--quiet-diff"])
        XCTAssertEqual(quiet.status, 1, "\(quiet)")
        XCTAssertTrue(
            quiet.stdout.hasPrefix("changed: kubernetes/manifests/kustomization.yaml\nkubernetes: 1 changed,"), quiet.stdout)

        // render repairs it, and only that file.
        let render = try project.run(["render"])
        XCTAssertEqual(render.status, 0, "\(render)")
        XCTAssertTrue(render.stderrLines.contains("kubernetes: 1 written, \(unchanged) unchanged, 0 removed"), "\(render)")
        XCTAssertEqual(project.read(relative), original)
        XCTAssertEqual(try project.run(["check"]).status, 0)
    }

    func testCheckReportsADeletedOwnedFile() throws {
        let project = try IntegrationProject()
        XCTAssertEqual(try project.run(["render"]).status, 0)
        let relative = "gitops/openshift-rwx/manifests/kustomization.yaml"
        let original = try XCTUnwrap(project.read(relative))
        try project.remove(relative)

        let check = try project.run(["check"])
        XCTAssertEqual(check.status, 1, "\(check)")
        let firstLine = original.split(separator: "\n").first.map(String.init) ?? ""
        XCTAssertTrue(
            check.stdout.hasPrefix(
                """
                added: openshift-rwx/manifests/kustomization.yaml
                --- /dev/null
                +++ b/openshift-rwx/manifests/kustomization.yaml
                @@ -0,0 +1,\(original.split(separator: "\n").count) @@
                +\(firstLine)

                """), check.stdout)
        XCTAssertTrue(
            check.stdoutLines.contains(
                "openshift-rwx: 1 added, \(renderedFileCount(project, "openshift-rwx")) unchanged"), check.stdout)
        XCTAssertTrue(check.stdout.hasSuffix("gitops output is out of date: run `nbgitops render` and commit the result\n"))
        XCTAssertFalse(project.exists(relative), "check must not write")

        XCTAssertEqual(try project.run(["render"]).status, 0)
        XCTAssertEqual(project.read(relative), original)
        XCTAssertEqual(try project.run(["check"]).status, 0)
    }

    func testForeignFilesSurviveRender() throws {
        let project = try IntegrationProject()
        XCTAssertEqual(try project.run(["render"]).status, 0)
        let foreign = "gitops/kubernetes/manifests/zz-hand-written.yaml"
        let foreignText = "# kept by hand, not by nbgitops\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hand\n"
        try project.write(foreign, foreignText)
        try project.write("gitops/kubernetes/notes/README.md", "hand-written notes\n")

        // Up to date apart from foreign files: nothing is touched.
        let before = project.snapshot()
        let unchanged = try project.run(["render"])
        XCTAssertEqual(unchanged.status, 0, "\(unchanged)")
        assertIntegrationTreesEqual(before, project.snapshot(), "render with foreign files:")
        let check = try project.run(["check"])
        XCTAssertEqual(check.status, 0, "\(check)")
        XCTAssertFalse(check.stdout.contains("zz-hand-written"), check.stdout)

        // A render that has to rewrite the environment folder keeps them too.
        let owned = "gitops/kubernetes/manifests/kustomization.yaml"
        let ownedText = try XCTUnwrap(project.read(owned))
        try project.write(owned, ownedText + "# edited\n")
        let rewrite = try project.run(["render"])
        XCTAssertEqual(rewrite.status, 0, "\(rewrite)")
        XCTAssertEqual(project.read(owned), ownedText)
        XCTAssertEqual(project.read(foreign), foreignText)
        XCTAssertEqual(project.read("gitops/kubernetes/notes/README.md"), "hand-written notes\n")
        XCTAssertFalse(
            try XCTUnwrap(project.read("gitops/kubernetes/.nbgitops-owned")).contains("zz-hand-written"),
            "a foreign file must not become owned")
        // No staging or backup folders left behind.
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: project.path("gitops")).sorted(), integrationEnvironments)
    }

    func testASpecErrorFailsWithALocatedDiagnosticAndWritesNothing() throws {
        let project = try IntegrationProject()
        XCTAssertEqual(try project.run(["render"]).status, 0)
        let before = project.snapshot()

        // An unknown field.
        let spec = integrationJobSpec() + "  bogusField: 1\n"
        let line = spec.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        try project.write("examples/specs/90-unknown-field.yaml", spec)
        let unknown = try project.run(["render"])
        XCTAssertEqual(unknown.status, 1, "\(unknown)")
        XCTAssertEqual(
            unknown.stderrLines.first,
            "examples/specs/90-unknown-field.yaml:\(line):3: error[NBG102]: unknown field 'bogusField' in 'spec'")
        XCTAssertTrue(
            unknown.stderrLines.contains("1 error(s), 0 warning(s)") || unknown.stderr.contains("1 error(s), "), "\(unknown)")
        XCTAssertFalse(unknown.stderr.contains(" written, "), "no write summary after an error:\n\(unknown)")
        assertIntegrationTreesEqual(before, project.snapshot(), "render with an unknown field:")
        let checkUnknown = try project.run(["check"])
        XCTAssertEqual(checkUnknown.status, 1, "\(checkUnknown)")
        XCTAssertEqual(checkUnknown.locatedErrors.first, unknown.stderrLines.first)
        try project.remove("examples/specs/90-unknown-field.yaml")

        // Broken YAML.
        try project.write(
            "examples/specs/91-broken.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n  a: \"unterminated\n")
        let broken = try project.run(["render"])
        XCTAssertEqual(broken.status, 1, "\(broken)")
        XCTAssertEqual(
            broken.stderrLines.first,
            "examples/specs/91-broken.yaml:7:1: error[NBG002]: found unexpected end of stream while scanning a quoted scalar")
        assertIntegrationTreesEqual(before, project.snapshot(), "render with broken YAML:")
        try project.remove("examples/specs/91-broken.yaml")

        // An error in one environment's overlay stack stops every environment.
        var projectFile = try XCTUnwrap(project.read("nbgitops.yaml"))
        projectFile = projectFile.replacingOccurrences(of: "[kubernetes, rwo,", with: "[kubernetes, rwoo,")
        try project.write("nbgitops.yaml", projectFile)
        let overlay = try project.run(["render"])
        XCTAssertEqual(overlay.status, 1, "\(overlay)")
        XCTAssertTrue(
            overlay.locatedErrors.contains { $0.hasPrefix("nbgitops.yaml:") && $0.contains("error[NBG160]") }, "\(overlay)")
        XCTAssertTrue(overlay.stderr.contains("'rwo'"), "expected a did-you-mean for rwoo:\n\(overlay)")
        assertIntegrationTreesEqual(before, project.snapshot(), "render with an unknown overlay:")
    }

    func testAdHocModeWritesTheNamedEnvironment() throws {
        let project = try IntegrationProject()
        let run = try project.run([
            "render", "examples/specs/01-public-basic.yaml", "--overlay", "kubernetes", "--overlay", "rwo", "--output",
            "out", "--name", "adhoc",
        ])
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertTrue(project.exists("out/adhoc/manifests/kustomization.yaml"))
        XCTAssertTrue(project.exists("out/adhoc/.nbgitops-owned"))
        XCTAssertFalse(project.exists("gitops"), "ad-hoc mode must not touch the project's output")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: project.path("out")), ["adhoc"])
        let manifests = try FileManager.default.contentsOfDirectory(atPath: project.path("out/adhoc/manifests"))
        XCTAssertEqual(manifests.filter { $0.hasPrefix("5-job-intro-statistics-") }.count, 1, "\(manifests.sorted())")
        XCTAssertEqual(
            run.stderrLines.last(where: { !$0.isEmpty }),
            "adhoc: \(renderedFileCount(project, "adhoc", root: "out")) written, 0 unchanged, 0 removed")

        let check = try project.run([
            "check", "examples/specs/01-public-basic.yaml", "--overlay", "kubernetes", "--overlay", "rwo", "--output",
            "out", "--name", "adhoc",
        ])
        XCTAssertEqual(check.status, 0, "\(check)")
        XCTAssertEqual(check.stdout, "adhoc: up to date (\(renderedFileCount(project, "adhoc", root: "out")) files)\n")
    }

    func testUsageErrorsExit64() throws {
        let project = try IntegrationProject()
        let cases: [([String], String)] = [
            (["render", "--overlay", "x"], "Error: --overlay and --output are for ad-hoc mode: name spec files too"),
            (["render", "--bogus"], "Error: Unknown option '--bogus'"),
            (["render", "examples/specs"], "Error: ad-hoc mode needs at least one --overlay"),
            (["render", "examples/specs", "--overlay", "kubernetes"], "Error: ad-hoc mode needs --output DIR"),
            (
                ["check", "examples/specs", "--overlay", "kubernetes", "--output", "o", "--env", "kubernetes"],
                "Error: --config and --env select from a project file; do not combine them with spec arguments"
            ),
            (["frobnicate"], "Error: Unexpected argument 'frobnicate'"),
        ]
        for (arguments, message) in cases {
            let run = try project.run(arguments)
            XCTAssertEqual(run.status, 64, "\(run)")
            XCTAssertEqual(run.stderrLines.first, message, "\(run)")
            XCTAssertFalse(project.exists("gitops"), "\(arguments)")
            XCTAssertFalse(project.exists("o"), "\(arguments)")
        }
    }

    func testEnvSelectsOneEnvironment() throws {
        let project = try IntegrationProject()
        let run = try project.run(["render", "--env", "openshift-rwx"])
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: project.path("gitops")), ["openshift-rwx"])
        XCTAssertTrue(project.exists("gitops/openshift-rwx/manifests/kustomization.yaml"))
        let summaries = run.stderrLines.filter { $0.contains(" written, ") }
        XCTAssertEqual(summaries.count, 1, "\(run)")
        XCTAssertTrue(summaries.first?.hasPrefix("openshift-rwx: ") ?? false, "\(run)")

        // check of just that environment passes; of all of them fails (two are missing).
        let checkOne = try project.run(["check", "--env", "openshift-rwx"])
        XCTAssertEqual(checkOne.status, 0, "\(checkOne)")
        XCTAssertEqual(checkOne.stdout, upToDateText(project, ["openshift-rwx"]))
        XCTAssertEqual(try project.run(["check"]).status, 1)
    }

    func testUnknownEnvironmentFailsWithTheKnownOnes() throws {
        let project = try IntegrationProject()
        let nope = try project.run(["render", "--env", "nope"])
        XCTAssertEqual(nope.status, 1, "\(nope)")
        XCTAssertEqual(
            Array(nope.stderrLines.prefix(3)),
            [
                "nbgitops.yaml:1:1: error[NBG162]: no environment named 'nope' in nbgitops.yaml",
                "  help: environments: kubernetes, openshift-gpu, openshift-rwx",
                "1 error(s), 0 warning(s)",
            ])
        XCTAssertFalse(project.exists("gitops"))

        let typo = try project.run(["render", "--env", "openshift-rwz"])
        XCTAssertEqual(typo.status, 1, "\(typo)")
        XCTAssertEqual(
            Array(typo.stderrLines.prefix(2)),
            [
                "nbgitops.yaml:1:1: error[NBG162]: no environment named 'openshift-rwz' in nbgitops.yaml",
                "  help: did you mean 'openshift-rwx'? environments: kubernetes, openshift-gpu, openshift-rwx",
            ])
        XCTAssertFalse(project.exists("gitops"))
    }

    func testRulesListsEveryRule() throws {
        let project = try IntegrationProject()
        let run = try project.run(["rules"])
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertTrue(run.stdoutLines.contains("NBG102  error    a field is not part of the schema"), run.stdout)
        XCTAssertTrue(
            run.stdoutLines.contains("NBG005  error    anchors and aliases are refused (alias bombs, hidden sharing)"), run.stdout
        )
        let ids = run.stdoutLines.filter { !$0.isEmpty }.map { String($0.prefix(6)) }
        XCTAssertEqual(ids, ids.sorted(), "rules are listed in id order")
        XCTAssertEqual(Set(ids).count, ids.count, "no rule is listed twice")

        let one = try project.run(["rules", "nbg102"])
        XCTAssertEqual(one.status, 0, "\(one)")
        XCTAssertEqual(one.stdout, "NBG102 (error): a field is not part of the schema\n")
        let missing = try project.run(["rules", "NBG999"])
        XCTAssertEqual(missing.status, 64, "\(missing)")
        XCTAssertEqual(missing.stderrLines.first, "Error: no rule 'NBG999'; run `nbgitops rules` for the list")
    }
}
