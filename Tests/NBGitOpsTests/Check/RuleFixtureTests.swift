import Foundation
import XCTest

@testable import NBGitOps

/// One failing and one passing fixture per rule, in `Fixtures/rules/`:
///
///   NBGxxx-fail.yaml   first lines `# expect: <exact first line of a diagnostic>` (one or more)
///   NBGxxx-pass.yaml   no diagnostic of rule NBGxxx (notes of waived findings allowed)
///
/// Both may start with `# env: key=value ...` to shape the environment (see `environment`).
/// The fixture is decoded, planned and checked exactly as `nbgitops render` does, with the
/// environment built from `PlanFixtures` (its overlay lines are in overlays/gpu.yaml).
final class RuleFixtureTests: XCTestCase {
    static let folder = repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/rules"

    static func fixtures() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    /// The environment a fixture asks for: `platform=`, `coschedule=`, `accessMode=`,
    /// `manageAllClaims=`, `existingClaims=a,b`, `privilegeCap=`, `uidRange=first/size`,
    /// `repositoryURL=`, `existingSecrets=a,b`.
    static func environment(_ header: [String: String]) -> Environment {
        let platform = Platform(rawValue: header["platform"] ?? "openshift") ?? .openshift
        var environment = PlanFixtures.environment(
            // Named for what it is: a Kubernetes fixture must not call itself 'openshift-gpu'.
            name: platform == .kubernetes ? "kubernetes" : "openshift-gpu",
            platform: platform,
            manageAllClaims: header["manageAllClaims"] == "true",
            existingClaims: header["existingClaims"].map { $0.split(separator: ",").map(String.init) } ?? [])
        environment.gpu.taints = PlanFixtures.overlay(
            [Taint(key: "nvidia.com/gpu", value: "true", effect: "NoSchedule")], line: 8)
        if let mode = header["coschedule"].flatMap(CoscheduleMode.init(rawValue:)) {
            environment.tekton.coschedule = PlanFixtures.overlay(mode, line: 20)
        }
        if let mode = header["accessMode"].flatMap(AccessMode.init(rawValue:)) {
            environment.storage.accessMode = PlanFixtures.overlay(mode, line: 3)
        }
        if let cap = header["privilegeCap"] { environment.security.privilegeCap = PlanFixtures.overlay(cap, line: 22) }
        if let range = header["uidRange"] {
            let parts = range.split(separator: "/").compactMap { Int($0) }
            if parts.count == 2 {
                environment.security.uidRange = PlanFixtures.overlay(parts[0]...(parts[0] + parts[1] - 1), line: 23)
            }
        }
        if let url = header["repositoryURL"] { environment.delivery.repositoryURL = PlanFixtures.overlay(url, line: 18) }
        if let secrets = header["existingSecrets"] {
            environment.security.existingSecrets = PlanFixtures.overlay(secrets.split(separator: ",").map(String.init), line: 24)
        }
        return environment
    }

    /// Decode → plan → check, like the pipeline; returns every rendered diagnostic.
    static func run(_ name: String, in folder: String = folder, display: String = "rules") -> (
        diagnostics: [Diagnostic], expected: [String]
    ) {
        let path = folder + "/" + name
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var header: [String: String] = [:]
        var expected: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("#") else { break }
            if line.hasPrefix("# expect: ") { expected.append(String(line.dropFirst("# expect: ".count))) }
            if line.hasPrefix("# overlays: ") {
                header["overlays"] = String(line.dropFirst("# overlays: ".count))
            }
            if line.hasPrefix("# env: ") {
                for pair in line.dropFirst("# env: ".count).split(separator: " ") {
                    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    if parts.count == 2 { header[parts[0]] = parts[1] }
                }
            }
        }
        // `# overlays: a, b, …` (built-in names or repository paths): the fixture goes through
        // the real pipeline, `CompilerPipeline.run`, in an environment stacked from those files.
        if let overlays = header["overlays"] {
            return (pipelineDiagnostics(path: path, display: "\(display)/\(name)", overlays: overlays), expected)
        }
        let diagnostics = DiagnosticCollector()
        let documents = YAMLLoader.load(
            bytes: Array(text.utf8), file: "\(display)/\(name)", limits: .standard, diagnostics: diagnostics)
        let specs = SpecDecoder.decode(documents, diagnostics: diagnostics)
        if !diagnostics.hasErrors {
            let plan = EnvironmentPlanner.plan(
                specs: specs, environment: environment(header), scripts: PlanFixtures.scripts, delivery: .project(outputPath: "gitops"),
                diagnostics: diagnostics)
            PlanChecker.check([plan], specs: specs, diagnostics: diagnostics)
        }
        return (diagnostics.sorted, expected)
    }

    /// The diagnostics of compiling one fixture file with `CompilerPipeline.run` in the
    /// environment `overlays` (comma-separated) names.
    static func pipelineDiagnostics(path: String, display: String, overlays: String) -> [Diagnostic] {
        let at = SourceLocation(file: "<fixture>", line: 1, column: 1)
        let names = overlays.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let input = CompilerInput(
            specFiles: [SpecFileFinder.Found(path: path, displayPath: display)],
            environments: [
                EnvironmentRequest(name: Located("fixture", at: at), overlays: names.map { Located($0, at: at) })
            ],
            baseDirectory: repositoryRoot, resources: ResourceRoot(path: repositoryRoot), outputName: "gitops")
        let diagnostics = DiagnosticCollector()
        _ = CompilerPipeline.run(input, diagnostics: diagnostics)
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
        for id in ids.sorted() {
            XCTAssertTrue(names.contains("\(id.rawValue)-fail.yaml"), "missing Fixtures/rules/\(id.rawValue)-fail.yaml")
            XCTAssertTrue(names.contains("\(id.rawValue)-pass.yaml"), "missing Fixtures/rules/\(id.rawValue)-pass.yaml")
        }
    }
}
