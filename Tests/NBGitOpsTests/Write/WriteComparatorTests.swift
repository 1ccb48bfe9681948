import Foundation
import XCTest

@testable import NBGitOps

final class WriteComparatorTests: XCTestCase {
    func testReportsAddedChangedRemovedAndUnchangedWithDiffs() throws {
        let sandbox = try WriteSandbox()
        XCTAssertTrue(
            OutputWriter(root: sandbox.root).write(
                environment: "dev",
                files: [
                    outputFile("dev/config.yaml", "kind: ConfigMap\ndata:\n  a: \"1\"\n  b: \"2\"\n"),
                    outputFile("dev/old.yaml", "kind: Secret\n"),
                    outputFile("dev/same.yaml", "same\n"),
                ], diagnostics: DiagnosticCollector()
            ).succeeded)
        try sandbox.put("dev/foreign.txt", "not ours\n")
        let before = sandbox.snapshot()

        let diagnostics = DiagnosticCollector()
        let difference = try XCTUnwrap(
            OutputComparator(root: sandbox.root).compare(
                environment: "dev",
                files: [
                    outputFile("dev/config.yaml", "kind: ConfigMap\ndata:\n  a: \"1\"\n  b: \"3\"\n"),
                    outputFile("dev/new.yaml", "kind: Job\nspec: {}\n"),
                    outputFile("dev/same.yaml", "same\n"),
                ], diagnostics: diagnostics))

        XCTAssertEqual(diagnostics.summaries, [])
        XCTAssertEqual(difference.added, ["dev/new.yaml"])
        XCTAssertEqual(difference.changed, ["dev/config.yaml"])
        XCTAssertEqual(difference.removed, ["dev/old.yaml"])
        XCTAssertEqual(difference.unchanged, ["dev/same.yaml"])
        XCTAssertTrue(difference.ledgerOutOfDate)
        XCTAssertFalse(difference.isUpToDate)
        XCTAssertEqual(difference.summary, "dev: 1 added, 1 changed, 1 removed, 1 unchanged")
        XCTAssertEqual(difference.files.map(\.path), ["dev/config.yaml", "dev/new.yaml", "dev/old.yaml"])
        XCTAssertEqual(difference.files.map(\.kind), [.changed, .added, .removed])
        XCTAssertEqual(
            difference.files.map(\.diff),
            [
                """
                diff --git a/dev/config.yaml b/dev/config.yaml
                --- a/dev/config.yaml
                +++ b/dev/config.yaml
                @@ -1,4 +1,4 @@
                 kind: ConfigMap
                 data:
                   a: "1"
                -  b: "2"
                +  b: "3"

                """,
                """
                diff --git a/dev/new.yaml b/dev/new.yaml
                new file mode 100644
                --- /dev/null
                +++ b/dev/new.yaml
                @@ -0,0 +1,2 @@
                +kind: Job
                +spec: {}

                """,
                """
                diff --git a/dev/old.yaml b/dev/old.yaml
                deleted file mode 100644
                --- a/dev/old.yaml
                +++ /dev/null
                @@ -1 +0,0 @@
                -kind: Secret

                """,
            ])
        // Check mode writes nothing.
        assertSameTree(before, sandbox.snapshot())
    }

    func testUpToDateEnvironment() throws {
        let sandbox = try WriteSandbox()
        let files = [outputFile("dev/a.yaml", "a\n"), outputFile("dev/b.yaml", "b\n")]
        XCTAssertTrue(
            OutputWriter(root: sandbox.root).write(environment: "dev", files: files, diagnostics: DiagnosticCollector())
                .succeeded)
        let diagnostics = DiagnosticCollector()
        let difference = try XCTUnwrap(
            OutputComparator(root: sandbox.root).compare(environment: "dev", files: files, diagnostics: diagnostics))
        XCTAssertTrue(difference.isUpToDate)
        XCTAssertEqual(difference.files, [])
        XCTAssertEqual(difference.summary, "dev: up to date (2 files)")
    }

    func testLedgerOutOfDateAloneIsADifference() throws {
        let sandbox = try WriteSandbox()
        let files = [outputFile("dev/a.yaml", "a\n")]
        XCTAssertTrue(
            OutputWriter(root: sandbox.root).write(environment: "dev", files: files, diagnostics: DiagnosticCollector())
                .succeeded)
        try sandbox.put("dev/.nbgitops-owned", ledgerText(["a.yaml", "deleted-by-hand.yaml"]))
        let difference = try XCTUnwrap(
            OutputComparator(root: sandbox.root).compare(
                environment: "dev", files: files, diagnostics: DiagnosticCollector()))
        XCTAssertEqual(difference.summary, "dev: ownership ledger out of date, 1 unchanged")
        XCTAssertFalse(difference.isUpToDate)
    }

    func testComparatorReportsTheWritersRefusals() throws {
        let sandbox = try WriteSandbox()
        try sandbox.put("dev/taken.yaml", "foreign\n")
        let diagnostics = DiagnosticCollector()
        let differences = OutputComparator(root: sandbox.root).compare(
            [
                EnvironmentOutput(environment: "dev", files: [outputFile("dev/taken.yaml", "x\n")]),
                EnvironmentOutput(environment: "prod", files: [outputFile("prod/../dev/x", "x\n")]),
                EnvironmentOutput(environment: "stage", files: [outputFile("stage/ok.yaml", "x\n")]),
            ], diagnostics: diagnostics)
        XCTAssertEqual(differences.map(\.environment), ["stage"])
        XCTAssertEqual(differences.first?.summary, "stage: 1 added")
        XCTAssertEqual(diagnostics.ids().sorted(), ["NBG170", "NBG171"])
    }
}
