import Foundation
import XCTest

@testable import NBGitOps

/// One failing and one passing fixture per rule, in `Fixtures/rules/`:
///
///   NBGxxx-fail.yaml   first lines `# expect: <exact first line of a diagnostic>`, one per
///                      diagnostic the run reports, in report order: the complete list, so an
///                      unexpected extra warning or note fails the test as a missing error does
///   NBGxxx-pass.yaml   no diagnostic of rule NBGxxx (notes of waived findings allowed)
///
/// Each starts with `# overlays: …`, the real overlay files its environment stacks (most use
/// `Fixtures/overlays/rules.yaml` plus one file per setting under test); the fixture is
/// compiled by `CompilerPipeline.run`, exactly as `nbgitops render` compiles a project.
/// `NBGITOPS_RECORD=1 swift test --filter RuleFixtureTests` rewrites the `# expect:` lines of the
/// failing fixtures and seeds from what the run reports (the test then fails once, on purpose);
/// review the diff.
final class RuleFixtureTests: XCTestCase {
    static let folder = repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/rules"

    static func fixtures() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    /// Compiles the fixture with `CompilerPipeline.run` in the environment its
    /// `# overlays: a, b, …` line stacks (built-in overlay names or repository paths, e.g.
    /// `Tests/NBGitOpsTests/Fixtures/overlays/rules.yaml`); returns every diagnostic, sorted.
    /// A `# delivery:` line renders as `nbgitops render` does outside a project: `preview` (an
    /// ad-hoc render into the repository, delivery optional) or `outside` (an ad-hoc render
    /// into a folder outside the repository); the default is a project render into `gitops/`.
    static func run(_ name: String, in folder: String = folder, display: String = "rules") -> (
        diagnostics: [Diagnostic], expected: [String]
    ) {
        let path = folder + "/" + name
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var overlays: String?
        var delivery = DeliveryTarget.project(outputPath: "gitops")
        var expected: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("#") else { break }
            if line.hasPrefix("# expect: ") {
                // `$REPOSITORY_ROOT` stands for the checkout's absolute path (messages quote it).
                expected.append(
                    String(line.dropFirst("# expect: ".count)).replacingOccurrences(
                        of: "$REPOSITORY_ROOT", with: repositoryRoot))
            }
            if line.hasPrefix("# overlays: ") { overlays = String(line.dropFirst("# overlays: ".count)) }
            if line == "# delivery: preview" {
                delivery = DeliveryTarget(outputPath: "gitops", repositoryRoot: repositoryRoot, required: false)
            }
            if line == "# delivery: outside" {
                delivery = DeliveryTarget(outputPath: nil, repositoryRoot: repositoryRoot, required: false)
            }
        }
        guard let overlays else {
            XCTFail("\(name): no '# overlays:' line names the environment it compiles in")
            return ([], expected)
        }
        let got = pipelineDiagnostics(path: path, display: "\(display)/\(name)", overlays: overlays, delivery: delivery)
        return (got, expected)
    }

    /// The diagnostics of compiling one fixture file with `CompilerPipeline.run` in the
    /// environment `overlays` (comma-separated) names.
    static func pipelineDiagnostics(
        path: String, display: String, overlays: String, delivery: DeliveryTarget = .project(outputPath: "gitops")
    ) -> [Diagnostic] {
        // Named after its platform overlay ('kubernetes' / 'openshift'), as messages quote it.
        let run = TestPipeline.run(
            [SpecFileFinder.Found(path: path, displayPath: display)],
            environments: [TestPipeline.environment(overlays: overlays, source: "<fixture>")], delivery: delivery)
        let diagnostics = run.diagnostics
        if let output = run.output {
            // Whatever compiles, its provenance records name fields its manifests have.
            _ = BuildProvenanceTests.checkRecordsResolve(output.plans, context: display)
        }
        return diagnostics.sorted
    }

    func testFailingFixturesReportTheExactDiagnostic() {
        let failing = Self.fixtures().filter { $0.hasSuffix("-fail.yaml") }
        XCTAssertGreaterThanOrEqual(failing.count, 30)
        for name in failing {
            Self.assertCompleteDiagnostics(name, in: Self.folder, display: "rules")
        }
        Self.failIfRecorded()
    }

    static let record = ProcessInfo.processInfo.environment["NBGITOPS_RECORD"] == "1"

    /// A rule fixture's spec text without its comment header (`# overlays:`, `# expect:` …), for
    /// tests that compile a variant of it: its line numbers do not move when the header does.
    static func body(_ name: String) throws -> String {
        let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.drop { $0.hasPrefix("#") }.joined(separator: "\n")
    }

    static func failIfRecorded(file: StaticString = #filePath, line: UInt = #line) {
        if record { XCTFail("re-recorded the '# expect:' lines; run again without NBGITOPS_RECORD", file: file, line: line) }
    }

    /// The fixture's `# expect:` lines are exactly the first lines of the diagnostics its run
    /// reports, in order: none missing, none extra (a stray warning fails too). It must name
    /// its own rule (`NBGxxx-…` files) and report at least one diagnostic.
    static func assertCompleteDiagnostics(
        _ name: String, in folder: String, display: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        func firstLinesOf(_ diagnostics: [Diagnostic]) -> [String] {
            diagnostics.map { $0.rendered.split(separator: "\n").first.map(String.init) ?? "" }
        }
        let (diagnostics, expected) = run(name, in: folder, display: display)
        let firstLines = firstLinesOf(diagnostics)
        if record {
            // The header's length moves the spec's lines: record until the list is stable.
            var lines = firstLines
            for _ in 0..<4 {
                rewriteExpectations(path: folder + "/" + name, lines: lines)
                let again = firstLinesOf(run(name, in: folder, display: display).diagnostics)
                if again == lines { break }
                lines = again
            }
            return
        }
        XCTAssertFalse(expected.isEmpty, "\(name) has no '# expect:' line", file: file, line: line)
        if name.hasPrefix("NBG") {
            let rule = String(name.prefix(6))
            XCTAssertTrue(
                firstLines.contains { $0.contains("[\(rule)]") }, "\(name) reports no \(rule)", file: file, line: line)
        }
        if firstLines != expected {
            let missing = expected.filter { !firstLines.contains($0) }
            let extra = firstLines.filter { !expected.contains($0) }
            XCTFail(
                "\(name): the diagnostics differ from its '# expect:' lines (re-record with NBGITOPS_RECORD=1)\n"
                    + "missing:\n  \(missing.joined(separator: "\n  "))\nunexpected:\n  \(extra.joined(separator: "\n  "))\n"
                    + "got, in order:\n  \(firstLines.joined(separator: "\n  "))", file: file, line: line)
        }
    }

    /// Replaces the `# expect:` lines of a fixture's comment header with `lines` (at the place of
    /// the first one, or after the `# overlays:` line); the repository's path becomes `$REPOSITORY_ROOT`.
    static func rewriteExpectations(path: String, lines: [String]) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        var all = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = all.firstIndex { !$0.hasPrefix("#") } ?? all.count
        let expectLines = lines.map { "# expect: " + $0.replacingOccurrences(of: repositoryRoot, with: "$REPOSITORY_ROOT") }
        let existing = (0..<header).filter { all[$0].hasPrefix("# expect: ") }
        let at = existing.first ?? ((0..<header).first { all[$0].hasPrefix("# overlays: ") }.map { $0 + 1 } ?? 0)
        for index in existing.reversed() { all.remove(at: index) }
        all.insert(contentsOf: expectLines, at: at)
        try? all.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    func testPassingFixturesReportNothingOfTheirRule() {
        let passing = Self.fixtures().filter { $0.hasSuffix("-pass.yaml") }
        XCTAssertGreaterThanOrEqual(passing.count, 30)
        for name in passing {
            let rule = String(name.prefix(6))
            let (diagnostics, _) = Self.run(name)
            let hits = diagnostics.filter { $0.id.rawValue == rule && $0.severity != .note }
            XCTAssertTrue(hits.isEmpty, "\(name): \(hits.map(\.rendered).joined(separator: "\n"))")
            XCTAssertFalse(diagnostics.contains { $0.severity == .error }, "\(name): \(diagnostics.map(\.rendered))")
        }
    }

    /// Each failure of the user's seed documents, reproduced as specs in `Fixtures/seeds/`, is
    /// caught with exactly the diagnostics listed in the file's `# expect:` lines (the complete list).
    func testSeedFailuresAreCaught() throws {
        let seeds = repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/seeds"
        let names = try FileManager.default.contentsOfDirectory(atPath: seeds).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertEqual(Set(names.map { String($0.prefix(8)) }), ["seed-000", "seed-001", "seed-002", "seed-003", "seed-004"])
        for name in names {
            Self.assertCompleteDiagnostics(name, in: seeds, display: "seeds")
        }
        Self.failIfRecorded()
    }

    /// Every plan rule (and the volume rules of the issue) has a failing and a passing fixture.
    func testEveryPlanRuleHasBothFixtures() {
        let names = Set(Self.fixtures())
        var ids = Set(PlanRules.all.flatMap(\.ids))
        ids.formUnion([.volumeMode, .volumePath, .waiverInvalid, .waiverUnused])
        // NBG153 needs a broken installation (a template missing from the resource root), which
        // the fixtures' resource root is not: BuildPlannerTests.testMissingTemplatesAreReported.
        ids.remove(.buildTemplateInvalid)
        for id in ids.sorted() {
            XCTAssertTrue(names.contains("\(id.rawValue)-fail.yaml"), "missing Fixtures/rules/\(id.rawValue)-fail.yaml")
            XCTAssertTrue(names.contains("\(id.rawValue)-pass.yaml"), "missing Fixtures/rules/\(id.rawValue)-pass.yaml")
        }
    }
}
