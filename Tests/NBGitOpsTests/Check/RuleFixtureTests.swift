import Foundation
import XCTest

@testable import NBGitOps

/// One failing and one passing fixture per rule, in `Fixtures/rules/`:
///
///   NBGxxx-fail.yaml   first lines `# expect: <exact first line of a diagnostic>` (one or more)
///   NBGxxx-pass.yaml   no diagnostic of rule NBGxxx (notes of waived findings allowed)
///
/// Each starts with `# overlays: …`, the real overlay files its environment stacks (most use
/// `Fixtures/overlays/rules.yaml` plus one file per setting under test); the fixture is
/// compiled by `CompilerPipeline.run`, exactly as `nbgitops render` compiles a project.
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
        let at = SourceLocation(file: "<fixture>", line: 1, column: 1)
        let names = overlays.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        // Named after its platform overlay ('kubernetes' / 'openshift'), as messages quote it.
        let environment = names.first.flatMap { Platform(rawValue: $0)?.rawValue } ?? "fixture"
        let input = CompilerInput(
            specFiles: [SpecFileFinder.Found(path: path, displayPath: display)],
            environments: [
                EnvironmentRequest(name: Located(environment, at: at), overlays: names.map { Located($0, at: at) })
            ],
            baseDirectory: repositoryRoot, resources: ResourceRoot(path: repositoryRoot), delivery: delivery)
        let diagnostics = DiagnosticCollector()
        if let output = CompilerPipeline.run(input, diagnostics: diagnostics) {
            // Whatever compiles, its provenance records name fields its manifests have.
            _ = BuildProvenanceTests.checkRecordsResolve(output.plans, context: display)
        }
        return diagnostics.sorted
    }

    func testFailingFixturesReportTheExactDiagnostic() {
        let failing = Self.fixtures().filter { $0.hasSuffix("-fail.yaml") }
        XCTAssertGreaterThanOrEqual(failing.count, 30)
        for name in failing {
            let (diagnostics, expected) = Self.run(name)
            XCTAssertFalse(expected.isEmpty, "\(name) has no '# expect:' line")
            let firstLines = diagnostics.map { $0.rendered.split(separator: "\n").first.map(String.init) ?? "" }
            for line in expected {
                XCTAssertTrue(
                    firstLines.contains(line), "\(name): expected\n  \(line)\ngot\n  \(firstLines.joined(separator: "\n  "))")
            }
        }
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
    /// caught with the exact diagnostics listed in the file's `# expect:` lines.
    func testSeedFailuresAreCaught() throws {
        let seeds = repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/seeds"
        let names = try FileManager.default.contentsOfDirectory(atPath: seeds).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertEqual(Set(names.map { String($0.prefix(8)) }), ["seed-000", "seed-001", "seed-002", "seed-003", "seed-004"])
        for name in names {
            let (diagnostics, expected) = Self.run(name, in: seeds, display: "seeds")
            XCTAssertFalse(expected.isEmpty, name)
            let firstLines = diagnostics.map { $0.rendered.split(separator: "\n").first.map(String.init) ?? "" }
            for line in expected {
                XCTAssertTrue(
                    firstLines.contains(line), "\(name): expected\n  \(line)\ngot\n  \(firstLines.joined(separator: "\n  "))")
            }
        }
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
