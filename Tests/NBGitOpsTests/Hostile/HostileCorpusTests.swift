import Foundation
import XCTest

@testable import NBGitOps

/// Hostile and broken input: every case ends in its exact located diagnostic (or a correct
/// render) within bounded time and memory.
///
/// Limits (docs/guarantees.md, `LoadLimits`): 16 MiB per file, 100 levels of nesting,
/// 1 MiB per scalar, 2 million nodes per file; aliases, merge keys, non-core tags and inner
/// byte order marks are refused. Every case here must finish in `timeBound` seconds (a debug
/// build on a 2-core machine; `largeTimeBound` for the node-limit case) and the whole suite must stay under `memoryBound` of peak RSS.
final class HostileCorpusTests: XCTestCase {
    static let corpus = repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/hostile"
    static let timeBound = 5.0
    /// For the 2-million-node case: about 6 s in a debug build, 0.5 s in release.
    static let largeTimeBound = 30.0
    static let memoryBound = 1 << 30

    /// Runs the whole pipeline (load → … → render) on one spec file for two environments and
    /// returns the first line of every diagnostic, in order (`all`; `lines` leaves out the
    /// advisory warnings minimal inputs trigger), and the rendered files.
    static func compile(path: String, display: String) -> (
        lines: [String], all: [String], files: [String: [OutputFile]]?
    ) {
        let run = TestPipeline.run(
            [SpecFileFinder.Found(path: path, displayPath: display)], environments: TestPipeline.openShiftAndKubernetes)
        let (output, diagnostics) = (run.output, run.diagnostics)
        func firstLine(_ diagnostic: Diagnostic) -> String {
            String(diagnostic.rendered.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        }
        let lines = diagnostics.sorted.filter { !isAdvisory($0) }.map(firstLine)
        return (lines, diagnostics.sorted.map(firstLine), output?.files)
    }

    func testEveryCorpusFileIsListedWithItsExpectation() throws {
        let listed = Set(try CorpusExpectations(folder: Self.corpus).files)
        let present = Set(try FileManager.default.contentsOfDirectory(atPath: Self.corpus).filter { $0.hasSuffix(".yaml") })
        XCTAssertEqual(listed, present)
        XCTAssertGreaterThanOrEqual(present.count, 40)
    }

    /// Each file's complete list of diagnostics (EXPECTED): an unlisted warning fails too.
    func testCorpusFilesEndInTheirExactDiagnosticOrACorrectRender() throws {
        var expectations = try CorpusExpectations(folder: Self.corpus)
        for file in expectations.files {
            let start = Date()
            let result = Self.compile(path: Self.corpus + "/" + file, display: "hostile/" + file)
            let seconds = Date().timeIntervalSince(start)
            XCTAssertLessThan(seconds, Self.timeBound, file)
            expectations.check(file, diagnostics: result.all, rendered: result.files != nil)
        }
        XCTAssertLessThan(peakResidentBytes(), Self.memoryBound)
        try expectations.finish()
    }

    /// Valid-but-odd inputs render into the same job as their plain twin, and their output
    /// quotes what YAML 1.1 would misread.
    func testOddButValidInputsRenderCorrectly() throws {
        func jobFile(_ file: String) -> String? {
            let files = Self.compile(path: Self.corpus + "/" + file, display: file).files?["kubernetes"] ?? []
            return files.first { $0.path.contains("/5-job-") }.map { String(decoding: $0.bytes, as: UTF8.self) }
        }
        let crlf = try XCTUnwrap(jobFile("crlf.yaml"))
        XCTAssertFalse(crlf.contains("\r"))
        XCTAssertTrue(crlf.contains("\n  name: crlf-demo-"))
        XCTAssertTrue(try XCTUnwrap(jobFile("bom-utf8.yaml")).contains("\n  name: bom-demo-"))
        XCTAssertTrue(try XCTUnwrap(jobFile("bom-utf16le.yaml")).contains("\n  name: utf16-demo-"))
        // "0755" as a name is a valid label; rendered, its derived names must stay strings.
        let numeric = try XCTUnwrap(jobFile("quoted-numeric-name.yaml"))
        XCTAssertTrue(numeric.contains("\n  name: '0755-"), numeric)
    }

    // MARK: - Generated inputs (too large or too odd for fixture files)

    private func assertFirstDiagnostic(
        _ bytes: [UInt8], _ expected: String?, name: String, timeBound: Double = timeBound,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent(name).path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let start = Date()
        let result = Self.compile(path: path, display: "hostile/" + name)
        XCTAssertLessThan(Date().timeIntervalSince(start), timeBound, name, file: file, line: line)
        // The complete list: the one expected diagnostic and nothing else (no stray warning); the
        // environment-wide advisory notes (e.g. NBG331 for an Argo CD instance nobody described)
        // say nothing about the input.
        XCTAssertEqual(
            result.all.filter { !isAdvisory(renderedLine: $0) }, expected.map { [$0] } ?? [], name, file: file, line: line)
        XCTAssertLessThan(peakResidentBytes(), Self.memoryBound, file: file, line: line)
    }

    /// Hostile `platform` sections of overlays: a located diagnostic or an unknown fact, never a
    /// crash or a guessed value (through `CompilerPipeline.run`).
    func testHostilePlatformFactsAreLocatedOrUnknown() throws {
        let folder = "Tests/NBGitOpsTests/Fixtures/overlays/"
        let cases: [(String, String?)] = [
            ("hostile-platform-list", "hostile-platform-list.yaml:6:13: error[NBG101]"),
            ("hostile-platform-number", "hostile-platform-number.yaml:6:13: error[NBG104]"),
            ("hostile-platform-float-version", "hostile-platform-float-version.yaml:8:13: error[NBG107]"),
            ("hostile-platform-exclusion-shape", "hostile-platform-exclusion-shape.yaml:9:20: error[NBG101]"),
            ("hostile-platform-huge-version", nil),
            ("hostile-argocd-instance-patch", "hostile-argocd-instance-patch.yaml:8:22: error[NBG101]"),
            // A runtime list written as one string (the minor facts of the platform review).
            ("hostile-platform-runtimes-shape", "hostile-platform-runtimes-shape.yaml:8:24: error[NBG101]"),
            // Delivery destinations and credentials: a cluster list, a server with an option
            // smuggled after the URL, a Secret name walking out of the Flux namespace.
            ("hostile-delivery-cluster-list", "hostile-delivery-cluster-list.yaml:7:14: error[NBG101]"),
            ("hostile-delivery-cluster-server", "hostile-delivery-cluster-server.yaml:8:15: error[NBG105]"),
            ("hostile-delivery-flux-secret", "hostile-delivery-flux-secret.yaml:8:18: error[NBG105]"),
            ("hostile-serving-mode", "hostile-serving-mode.yaml:8:21: error[NBG101]"),
            ("hostile-knative-features", "hostile-knative-features.yaml:9:17: error[NBG101]"),
            ("hostile-podsecurity-namespaces", "hostile-podsecurity-namespaces.yaml:9:41: error[NBG104]"),
        ]
        for (name, expected) in cases {
            let (output, diagnostics) = PlatformFactsTests.compile(
                PlatformFactsTests.kubernetesOverlays([folder + name + ".yaml"]), specs: "examples/specs/01-public-basic.yaml")
            let errors = diagnostics.filter { $0.severity == .error }.map(\.rendered)
            if let expected {
                XCTAssertTrue(output == nil, name)
                XCTAssertTrue(errors.first?.contains(expected) == true, "\(name): \(errors)")
            } else {
                XCTAssertEqual(errors, [], name)
                let environment = try XCTUnwrap(output?.plans.first?.environment)
                XCTAssertNil(environment.facts.version(.flux, atLeast: 2, 5), "a version past Int decides nothing")
                XCTAssertNil(environment.facts.version(.tektonPipelines, atLeast: 1, 11))
            }
        }
    }

    func testTenThousandDeepFlowNesting() throws {
        let bytes = Array(String(repeating: "[", count: 10_000).utf8) + Array(String(repeating: "]", count: 10_000).utf8)
        try assertFirstDiagnostic(
            bytes, "hostile/deep-flow.yaml:1:101: error[NBG008]: nesting deeper than 100 levels", name: "deep-flow.yaml")
    }

    func testTenThousandDeepMappingNesting() throws {
        let bytes = Array((String(repeating: "{a: ", count: 10_000) + "x" + String(repeating: "}", count: 10_000)).utf8)
        try assertFirstDiagnostic(
            bytes, "hostile/deep-map.yaml:1:401: error[NBG008]: nesting deeper than 100 levels", name: "deep-map.yaml")
    }

    func testDeepBlockNesting() throws {
        // Block style: each level one space deeper (10 000 levels would be 50 MB of indentation).
        var text = ""
        for depth in 0..<150 { text += String(repeating: " ", count: depth) + "a:\n" }
        text += String(repeating: " ", count: 150) + "x\n"
        try assertFirstDiagnostic(
            Array(text.utf8), "hostile/deep-block.yaml:101:101: error[NBG008]: nesting deeper than 100 levels",
            name: "deep-block.yaml")
    }

    func testHundredMegabyteScalarIsRefusedBeforeReading() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("huge.yaml").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("value: ".utf8)))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 100 << 20)  // a sparse 100 MiB file: one scalar of zeros
        try handle.close()
        let start = Date()
        let result = Self.compile(path: path, display: "hostile/huge.yaml")
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.0)
        XCTAssertEqual(
            result.lines.first,
            "hostile/huge.yaml:1:1: error[NBG008]: file is 104857600 bytes, over the 16777216-byte input limit")
    }

    func testHundredMegabyteScalarInMemoryIsRefused() {
        let bytes = Array("value: ".utf8) + [UInt8](repeating: 0x61, count: 100 << 20)
        let diagnostics = DiagnosticCollector()
        XCTAssertEqual(YAMLLoader.load(bytes: bytes, file: "hostile/huge.yaml", diagnostics: diagnostics).count, 0)
        XCTAssertEqual(
            diagnostics.sorted.first?.rendered.split(separator: "\n").first.map(String.init),
            "hostile/huge.yaml:1:1: error[NBG008]: file is 104857607 bytes, over the 16777216-byte input limit")
    }

    func testTwoMegabyteScalarIsOverTheScalarLimit() throws {
        let bytes =
            Array("apiVersion: v1\nkind: ConfigMap\ndata:\n  big: ".utf8) + [UInt8](repeating: 0x61, count: 2 << 20) + [0x0A]
        try assertFirstDiagnostic(
            bytes, "hostile/big-scalar.yaml:4:8: error[NBG008]: scalar of 2097152 bytes is over the 1048576-byte limit",
            name: "big-scalar.yaml")
    }

    func testMoreThanTwoMillionNodesIsRefused() throws {
        // `[0,0,0,…]`: two bytes a node, 4 MB for the 2 000 001 nodes that trip the limit.
        var bytes: [UInt8] = [0x5B]
        bytes.reserveCapacity(4_200_000)
        for _ in 0..<2_000_001 { bytes += [0x30, 0x2C] }
        bytes[bytes.count - 1] = 0x5D
        try assertFirstDiagnostic(
            bytes, "hostile/many-nodes.yaml:1:4000000: error[NBG008]: more than 2000000 YAML nodes in one file",
            name: "many-nodes.yaml", timeBound: Self.largeTimeBound)
    }

    func testBillionLaughsAtScale() throws {
        // Deeper than the fixture: 30 levels would expand to 10^30 nodes if aliases were followed.
        var text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...30 {
            text += "l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        try assertFirstDiagnostic(
            Array(text.utf8), "hostile/laughs.yaml:2:10: error[NBG005]: aliases are not supported", name: "laughs.yaml")
    }

    func testManyEmptyDocumentsAreCheap() throws {
        // 200 000 empty documents are no documents: nothing to report, nothing to plan.
        let bytes = Array(String(repeating: "---\n", count: 200_000).utf8)
        try assertFirstDiagnostic(bytes, nil, name: "many-documents.yaml")
    }

    // Many small documents: the work per file is bounded by documents, not only by bytes.

    func testNearlyThreeMillionTinyDocumentsAtTheInputLimit() throws {
        // `--- x` six bytes a document: 2 796 202 documents, 16 777 212 bytes, just under 16 MiB
        // and under the node limit. Each would be a malformed spec: refused at the 10 001st.
        let document = Array("--- x\n".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 << 20)
        for _ in 0..<((16 << 20) / document.count) { bytes += document }
        XCTAssertLessThanOrEqual(bytes.count, LoadLimits.standard.maxFileBytes)
        try assertFirstDiagnostic(
            bytes, "hostile/tiny-documents.yaml:10001:1: error[NBG008]: more than 10000 documents in one file",
            name: "tiny-documents.yaml")
    }

    func testSixteenMebibytesOfEmptyDocumentsAreRefusedEarly() throws {
        let document = Array("---\n".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 << 20)
        for _ in 0..<((16 << 20) / document.count) { bytes += document }
        try assertFirstDiagnostic(
            bytes,
            "hostile/empty-documents.yaml:250001:1: error[NBG008]: more than 250000 documents in one file, empty ones included",
            name: "empty-documents.yaml")
    }

    func testManyBadDocumentsReportABoundedNumberOfErrors() throws {
        // 10 000 documents (the most a file may hold), every one malformed: the file's first 100
        // errors, then one error counting the rest — not ten thousand messages.
        let bytes = Array(String(repeating: "--- x\n", count: 10_000).utf8)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bad-documents.yaml").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let start = Date()
        let result = Self.compile(path: path, display: "hostile/bad-documents.yaml")
        XCTAssertLessThan(Date().timeIntervalSince(start), Self.timeBound)
        XCTAssertNil(result.files)
        XCTAssertEqual(result.lines.count, 101)
        XCTAssertEqual(
            result.lines.first,
            "hostile/bad-documents.yaml:1:5: error[NBG100]: document 0 is a string, expected a Kubernetes object (a mapping)")
        XCTAssertTrue(
            result.lines.contains(
                "hostile/bad-documents.yaml:101:5: error[NBG008]: 9900 more error(s) in this file not reported: "
                    + "decoding stops reporting after 100 errors in one file"), "\(result.lines.suffix(2))")
        XCTAssertLessThan(peakResidentBytes(), Self.memoryBound)
    }

    func testSymlinkLeavingTheProjectIsRefused() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-hostile-\(UUID().uuidString)")
        let project = base.appendingPathComponent("project")
        try FileManager.default.createDirectory(at: project.appendingPathComponent("specs"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let outside = base.appendingPathComponent("outside.yaml")
        XCTAssertTrue(FileManager.default.createFile(atPath: outside.path, contents: Data(jobSpec().utf8)))
        try FileManager.default.createSymbolicLink(
            atPath: project.appendingPathComponent("specs/link.yaml").path, withDestinationPath: outside.path)
        let diagnostics = DiagnosticCollector()
        let entry = Located("specs", at: SourceLocation(file: "nbgitops.yaml", line: 8, column: 5))
        let found = SpecFileFinder.find([entry], baseDirectory: project.path, confineTo: project.path, diagnostics: diagnostics)
        XCTAssertEqual(found.count, 0)
        let first = try XCTUnwrap(diagnostics.sorted.first?.rendered)
        XCTAssertTrue(first.hasPrefix("nbgitops.yaml:8:5: error[NBG"), first)
        XCTAssertTrue(first.contains("link.yaml' resolves outside the project"), first)
    }

    func testOutputFolderHoldingTheProjectIsRefused() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        // Any folder of its own is allowed (a preview folder, another checkout); the project
        // folder itself or one holding it is not: environment folders would land among the specs.
        for output in [".", "..", "gitops/../..", "/", "./"] {
            let file = base.appendingPathComponent("nbgitops.yaml")
            let text = projectYAML(output: output, environments: [("k", "[kubernetes]")])
            XCTAssertTrue(FileManager.default.createFile(atPath: file.path, contents: Data(text.utf8)))
            let diagnostics = DiagnosticCollector()
            XCTAssertNil(Project.load(path: file.path, diagnostics: diagnostics), output)
            let first = try XCTUnwrap(diagnostics.sorted.first?.rendered)
            XCTAssertTrue(
                first.contains("nbgitops.yaml:7:11: error[NBG170]")
                    && first.contains(
                        "output folder '\(output)' must be a folder of its own, not the project folder or one holding it"),
                first)
        }
        for output in ["../escape", "/tmp/preview", "gitops/../elsewhere"] {
            let file = base.appendingPathComponent("nbgitops.yaml")
            let text = projectYAML(output: output, environments: [("k", "[kubernetes]")])
            XCTAssertTrue(FileManager.default.createFile(atPath: file.path, contents: Data(text.utf8)))
            let diagnostics = DiagnosticCollector()
            XCTAssertEqual(Project.load(path: file.path, diagnostics: diagnostics)?.output.value, output)
            XCTAssertFalse(diagnostics.hasErrors, diagnostics.sorted.map(\.rendered).joined(separator: "\n"))
        }
    }

    func testOutputPathsEscapingTheOutputFolderAreRefusedAsText() {
        XCTAssertEqual(OutputPathRules.problem(withRelativePath: "env/../../etc/passwd"), "the path contains '..'")
        XCTAssertEqual(OutputPathRules.problem(withRelativePath: "/etc/passwd"), "the path is absolute")
        XCTAssertEqual(OutputPathRules.problem(withEnvironmentName: "../x"), "the environment name '../x' starts with '.'")
        XCTAssertNil(OutputPathRules.problem(withRelativePath: "env/manifests/4-job-a.yaml"))
    }
}

/// Peak resident set size of this process, in bytes.
func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}
