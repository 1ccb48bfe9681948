import Foundation
import XCTest

@testable import NBGitOps

/// The Check stage's cost is spread over its rules: the rules read facts built once per
/// environment (`PlanFacts`), so no single rule walks every tree of the plan. Measured through
/// the real pipeline on the benchmark's generated workload (`scripts/bench/generate.py`), on
/// one thread so that each rule's time is its own.
final class CheckSpeedTests: XCTestCase {
    /// The benchmark workload of `jobs` jobs × 3 environments, compiled in-process.
    static func compileGenerated(jobs: Int) throws -> CompilerOutput {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-speed-\(UUID().uuidString)")
            .resolvingSymlinksInPath().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let generator = Process()
        generator.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        generator.arguments = ["python3", repositoryRoot + "/scripts/bench/generate.py", folder, "\(jobs)", "3"]
        try generator.run()
        generator.waitUntilExit()
        guard generator.terminationStatus == 0 else { throw XCTSkip("python3 could not run scripts/bench/generate.py") }

        let diagnostics = DiagnosticCollector()
        let project = try XCTUnwrap(
            Project.load(path: folder + "/nbgitops.yaml", diagnostics: diagnostics), "\(diagnostics.sorted.map(\.rendered))")
        let files = SpecFileFinder.find(project.specs, baseDirectory: folder, confineTo: folder, diagnostics: diagnostics)
        var input = CompilerInput(
            specFiles: files, environments: project.environments, baseDirectory: folder,
            resources: ResourceRoot(path: repositoryRoot), outputName: project.output.value, retainPlans: false)
        input.threads = 1
        return try XCTUnwrap(CompilerPipeline.run(input, diagnostics: diagnostics), "\(diagnostics.sorted.map(\.rendered))")
    }

    /// Every rule is timed once, costliest first; and none takes a tenth of the compile (the
    /// CI gate's limit). The secret-reference (NBG129), literal-secret (NBG140) and token
    /// (NBG288) rules each walked every node of every object, one of them alone about a fifth
    /// of the compile; they now read `ObjectFacts`.
    func testNoRuleTakesATenthOfTheCompile() throws {
        let output = try Self.compileGenerated(jobs: 150)
        let total = output.timings.map(\.seconds).reduce(0, +)
        XCTAssertGreaterThan(total, 0)
        let timed = output.ruleTimings.map(\.rule)
        XCTAssertEqual(Set(timed), Set(PlanRules.all.map(\.id)), "every rule is timed")
        XCTAssertEqual(timed.count, Set(timed).count, "each rule once")
        XCTAssertEqual(
            output.ruleTimings.map(\.seconds), output.ruleTimings.map(\.seconds).sorted(by: >), "costliest first")
        for (rule, seconds) in output.ruleTimings {
            XCTAssertLessThan(
                seconds / total, 0.10,
                "\(rule.rawValue) took \(Int(seconds * 1000)) ms of a \(Int(total * 1000)) ms compile")
        }
    }

    /// `--timings` lists the ten costliest rules with their time and share of the compile.
    func testTimingsListTheTenCostliestRules() throws {
        let project = try IntegrationProject()
        let run = try project.run(["render", "--timings"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stderrLines
        let header = try XCTUnwrap(lines.firstIndex(of: "costliest rules (% of total):"), run.stderr)
        let rows = lines[(header + 1)...].prefix(10)
        XCTAssertEqual(rows.count, 10, run.stderr)
        for row in rows {
            let fields = row.split(separator: " ")
            XCTAssertEqual(fields.count, 5, row)
            XCTAssertTrue(fields.first?.hasPrefix("NBG") == true, row)
            XCTAssertNotNil(Double(fields[1]), row)
            XCTAssertEqual(fields[2], "ms", row)
            XCTAssertNotNil(Double(fields[3]), row)
            XCTAssertEqual(fields[4], "%", row)
        }
        XCTAssertTrue(lines[(header + 11)...].first?.hasPrefix("  facts ") == true, run.stderr)
    }
}
