import Foundation
import XCTest

@testable import NBGitOps

/// Golden cases apart from the product's own `gitops/`: each `Golden/cases/<case>/` holds an
/// `input/` project (`nbgitops.yaml`, its specs and overlays), the `expected/` output folder and
/// `diagnostics.txt`. The project is compiled by `CompilerPipeline.run` and compared folder
/// against folder, with a unified diff per changed file. Re-record with
/// `NBGITOPS_RECORD=1 swift test --filter GoldenCaseTests` (the recording run fails on purpose).
final class GoldenCaseTests: XCTestCase {
    static let casesFolder = repositoryRoot + "/Tests/NBGitOpsTests/Golden/cases"
    static var recording: Bool { ProcessInfo.processInfo.environment["NBGITOPS_RECORD"] == "1" }

    static func cases() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: casesFolder)) ?? []).filter {
            FileManager.default.fileExists(atPath: "\(casesFolder)/\($0)/input/nbgitops.yaml")
        }.sorted()
    }

    /// Compiles a case's input project; returns its outputs and rendered diagnostics.
    static func compile(_ name: String) throws -> (outputs: [EnvironmentOutput], diagnostics: String) {
        let run = try TestPipeline.runProject(in: "\(casesFolder)/\(name)/input")
        let output = try run.unwrap()
        let outputs = output.files.keys.sorted().map { EnvironmentOutput(environment: $0, files: output.files[$0] ?? []) }
        return (outputs, DiagnosticFormatter.text(run.sorted))
    }

    func testEveryCaseMatchesItsExpectedFolder() throws {
        let cases = Self.cases()
        XCTAssertGreaterThanOrEqual(cases.count, 2)
        for name in cases {
            let (outputs, diagnostics) = try Self.compile(name)
            let expected = "\(Self.casesFolder)/\(name)/expected"
            let diagnosticsFile = "\(Self.casesFolder)/\(name)/diagnostics.txt"
            let collector = DiagnosticCollector()
            if Self.recording {
                try? FileManager.default.createDirectory(atPath: expected, withIntermediateDirectories: true)
                XCTAssertTrue(OutputWriter(root: expected).write(outputs, diagnostics: collector).succeeded)
                try diagnostics.write(toFile: diagnosticsFile, atomically: true, encoding: .utf8)
                XCTFail("re-recorded \(name); run again without NBGITOPS_RECORD")
                continue
            }
            XCTAssertTrue(FileManager.default.fileExists(atPath: expected), "\(name): no expected/ (record it)")
            let differences = OutputComparator(root: expected).compare(outputs, diagnostics: collector)
            XCTAssertFalse(collector.hasErrors, "\(name): \(collector.sorted.map(\.rendered))")
            XCTAssertEqual(differences.count, outputs.count, name)
            for difference in differences where !difference.isUpToDate {
                XCTFail(
                    "\(name): \(difference.summary)\n"
                        + difference.files.map { "\($0.kind.rawValue): \($0.path)\n\($0.diff)" }.joined(separator: "\n"))
            }
            XCTAssertEqual(diagnostics, (try? String(contentsOfFile: diagnosticsFile, encoding: .utf8)) ?? "", name)
        }
    }

    /// The comparison can fail: one changed byte in an expected file is reported with its diff.
    func testAChangedExpectedFileIsReportedWithADiff() throws {
        let name = try XCTUnwrap(Self.cases().first)
        let (outputs, _) = try Self.compile(name)
        let copy = NSTemporaryDirectory() + "nbgitops-golden-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: "\(Self.casesFolder)/\(name)/expected", toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let file = try XCTUnwrap(outputs.first?.files.first { $0.path.hasSuffix(".yaml") && $0.path.contains("/manifests/") })
        let path = copy + "/" + file.path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try (text + "# edited by hand\n").write(toFile: path, atomically: true, encoding: .utf8)
        let collector = DiagnosticCollector()
        let differences = OutputComparator(root: copy).compare(outputs, diagnostics: collector)
        let changed = differences.flatMap(\.files)
        XCTAssertEqual(changed.map(\.path), [file.path])
        XCTAssertTrue(changed.first?.diff.contains("-# edited by hand") ?? false, changed.first?.diff ?? "")
    }
}

/// Snippet tests: a spec and the overlays it compiles in (`# overlays:`), one field of one
/// emitted object (`# select: KIND/NAME.field.path`, as `nbgitops explain` takes it) rendered as
/// YAML, compared with `<name>.expected.yaml`. Re-record with `NBGITOPS_RECORD=1`.
final class SnippetTests: XCTestCase {
    static let folder = repositoryRoot + "/Tests/NBGitOpsTests/Golden/snippets"

    static func snippet(_ file: String) throws -> (actual: String, expectedPath: String) {
        let path = "\(folder)/\(file)"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var overlays: [String] = []
        var select: String?
        for line in text.split(separator: "\n") {
            guard line.hasPrefix("#") else { break }
            if line.hasPrefix("# overlays: ") {
                overlays = line.dropFirst("# overlays: ".count).split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
            }
            if line.hasPrefix("# select: ") { select = String(line.dropFirst("# select: ".count)) }
        }
        let target = try XCTUnwrap(select, "\(file): no '# select:' line")
        XCTAssertFalse(overlays.isEmpty, "\(file): no '# overlays:' line")
        let run = TestPipeline.run(
            [SpecFileFinder.Found(path: path, displayPath: "snippets/\(file)")],
            environments: [TestPipeline.environment(overlays: overlays, fallback: "snippet", source: "<snippet>")])
        let output = try XCTUnwrap(run.output, "\(file): \(run.sorted.map(\.rendered))")
        let plan = try XCTUnwrap(output.plans.first)
        let match: Explainer.Match
        switch Explainer.find(target, in: plan) {
        case .success(let found): match = found
        case .failure(let failure): throw failure
        }
        let node = try XCTUnwrap(match.path.map { match.object.manifest.value(at: $0) } ?? match.object.manifest, target)
        let expectedPath = "\(folder)/\(file.dropLast(".yaml".count)).expected.yaml"
        return (ManifestRenderer.renderString([node]), expectedPath)
    }

    func testEverySnippetRendersItsExpectedFragment() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter {
            $0.hasSuffix(".yaml") && !$0.hasSuffix(".expected.yaml")
        }.sorted()
        // tolerations (GPU and CPU jobs), defaults.resources, the SSH passwd container and the
        // build securityContexts on both platforms.
        XCTAssertGreaterThanOrEqual(files.count, 6)
        for file in files {
            let (actual, expectedPath) = try Self.snippet(file)
            if ProcessInfo.processInfo.environment["NBGITOPS_RECORD"] == "1" {
                try actual.write(toFile: expectedPath, atomically: true, encoding: .utf8)
                XCTFail("re-recorded \(expectedPath); run again without NBGITOPS_RECORD")
                continue
            }
            let expected = (try? String(contentsOfFile: expectedPath, encoding: .utf8)) ?? ""
            if actual != expected {
                XCTFail(
                    "\(file): the fragment differs from \(expectedPath):\n"
                        + UnifiedDiff.render(old: Array(expected.utf8), new: Array(actual.utf8), path: file))
            }
        }
    }
}
