import Foundation
import XCTest

/// The same input must give the same bytes in every process (Swift seeds `Hasher` per process,
/// so any `Dictionary`/`Set` order that leaks into output shows up only across processes), and
/// regardless of the order in which specs are named or documents appear.
final class DeterminismIntegrationTests: XCTestCase {
    func testSeparateProcessesWriteIdenticalBytes() throws {
        let first = try IntegrationProject()
        let second = try IntegrationProject()
        let third = try IntegrationProject()
        XCTAssertEqual(try first.run(["render"]).status, 0)
        XCTAssertEqual(try second.run(["render"]).status, 0)
        // A third process with a fixed hash seed: differs from the random seeds above for sure.
        XCTAssertEqual(try third.run(["render"], environment: ["SWIFT_DETERMINISTIC_HASHING": "1"]).status, 0)

        let reference = first.files()
        XCTAssertGreaterThan(reference.count, 10)
        assertIntegrationFilesEqual(reference, second.files(), "process 1 vs 2:")
        assertIntegrationFilesEqual(reference, third.files(), "process 1 vs 3:")

        // The same again for the ad-hoc path, and for `check` agreeing across processes.
        for project in [first, second] {
            // OpenShift AI's KServe (no uidModelcar): the examples serve ModelCars (NBG290 otherwise).
            try project.write("openshift-ai.yaml", Self.openShiftAI)
            let run = try project.run([
                "render", "examples/specs", "--overlay", "openshift", "--overlay", "rwo", "--overlay", "gpu-taints",
                "--overlay", "openshift-ai.yaml", "--output", "adhoc", "--name", "x",
            ])
            XCTAssertEqual(run.status, 0, "\(run)")
        }
        assertIntegrationFilesEqual(first.files("adhoc"), second.files("adhoc"), "ad-hoc, process 1 vs 2:")
        XCTAssertEqual(try second.run(["check"]).status, 0, "a render by one process checks clean in another")
    }

    /// An overlay stating OpenShift AI's KServe configuration (no `uidModelcar`).
    static let openShiftAI =
        "apiVersion: nbgitops.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: openshift-ai\n"
        + "spec:\n  kserve:\n    uidModelcar: unset\n"

    /// Spec files named in reverse order, documents of multi-document files reversed, and all
    /// documents concatenated into one file: identical output.
    func testSpecAndDocumentOrderDoesNotMatter() throws {
        let project = try IntegrationProject()
        let specsFolder = project.path("examples/specs")
        let names = try FileManager.default.contentsOfDirectory(atPath: specsFolder).filter { $0.hasSuffix(".yaml") }
            .sorted()
        XCTAssertGreaterThan(names.count, 2)
        let texts = try names.map { try String(contentsOfFile: specsFolder + "/" + $0, encoding: .utf8) }
        let multiDocument = texts.enumerated().filter { Self.documents(of: $0.element).count > 1 }
        XCTAssertFalse(multiDocument.isEmpty, "the examples should hold a multi-document spec file")

        // Variant A: the files as they are, named in sorted order.
        for name in names { try project.write("a/\(name)", try XCTUnwrap(project.read("examples/specs/\(name)"))) }
        // Variant B: the same files, multi-document ones with their documents reversed.
        for (index, name) in names.enumerated() {
            try project.write("b/\(name)", Self.documents(of: texts[index]).reversed().joined(separator: "---\n"))
        }
        // Variant C: every document in one file, in reverse order.
        let everything = texts.flatMap { Self.documents(of: $0) }.reversed().joined(separator: "---\n")
        try project.write("c/all.yaml", everything)

        for variant in ["a", "b", "c"] { try project.write("\(variant)/openshift-ai.yaml", Self.openShiftAI) }
        let overlays = [
            "--overlay", "openshift", "--overlay", "rwo", "--overlay", "gpu-taints", "--overlay", "argocd", "--overlay",
            "openshift-ai.yaml",
        ]
        let runA = try project.run(["render"] + names + overlays + ["--output", "out", "--name", "x"], in: project.path("a"))
        let runB = try project.run(
            ["render"] + names.reversed() + overlays + ["--output", "out", "--name", "x"], in: project.path("b"))
        let runC = try project.run(
            ["render", "all.yaml"] + overlays + ["--output", "out", "--name", "x"], in: project.path("c"))
        for run in [runA, runB, runC] { XCTAssertEqual(run.status, 0, "\(run)") }

        let reference = project.files("a/out")
        XCTAssertGreaterThan(reference.count, 5)
        assertIntegrationFilesEqual(reference, project.files("b/out"), "reversed files and documents:")
        // One concatenated file: the header line names the source files, so it names all.yaml
        // there, and so does each Job's spec-file annotation; everything else is identical.
        let concatenated = project.files("c/out")
        var annotated = 0
        let expectedBodies = reference.mapValues { bytes -> [UInt8] in
            let (body, count) = Self.specFileAnnotations(Self.body(bytes), renamedTo: "all.yaml")
            annotated += count
            return body
        }
        XCTAssertGreaterThan(annotated, 5, "every validation Job names its spec file")
        assertIntegrationFilesEqual(expectedBodies, concatenated.mapValues(Self.body), "one concatenated file, bodies:")
        let prefix = "# Generated by nbgitops from "
        let suffix = "; do not edit, change the source and run nbgitops render"
        var renamed = 0
        for (path, bytes) in reference.sorted(by: { $0.key < $1.key }) {
            guard let header = Self.header(bytes) else { continue }
            var expected = header
            if header.hasPrefix(prefix), header.hasSuffix(suffix) {
                // The spec files become all.yaml; templates and overlays stay as they are.
                let sources = header.dropFirst(prefix.count).dropLast(suffix.count).components(separatedBy: ", ")
                let mapped = Set(sources.map { names.contains($0) ? "all.yaml" : $0 }).sorted()
                if mapped.contains("all.yaml") { renamed += 1 }
                expected = prefix + mapped.joined(separator: ", ") + suffix
            }
            XCTAssertEqual(concatenated[path].flatMap(Self.header), expected, path)
        }
        XCTAssertGreaterThan(renamed, 5)
    }

    /// `bytes` with every `nbgitops.dev/spec-file` annotation's value replaced by `file`, and how
    /// many there were.
    static func specFileAnnotations(_ bytes: [UInt8], renamedTo file: String) -> (bytes: [UInt8], count: Int) {
        var count = 0
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { line -> String in
                let key = "nbgitops.dev/spec-file: "
                guard let range = line.range(of: key), line[..<range.lowerBound].allSatisfy({ $0 == " " }) else {
                    return String(line)
                }
                count += 1
                return line[..<range.upperBound] + file
            }
        return (Array(lines.joined(separator: "\n").utf8), count)
    }

    /// The generated-file header line of a rendered file, if it has one.
    static func header(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasPrefix("# Generated by nbgitops"), let newline = text.firstIndex(of: "\n") else { return nil }
        return String(text[..<newline])
    }

    /// A rendered file without its header line.
    static func body(_ bytes: [UInt8]) -> [UInt8] {
        guard header(bytes) != nil, let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return bytes }
        return Array(bytes[(newline + 1)...])
    }

    /// A file's documents, each ending in a newline, split at `---` lines.
    static func documents(of text: String) -> [String] {
        var documents: [String] = []
        var current = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0) {
            if line == "---" {
                documents.append(current)
                current = ""
            } else {
                current += line + "\n"
            }
        }
        documents.append(current)
        return documents.filter { !$0.split(separator: "\n").allSatisfy { $0.hasPrefix("#") || $0.allSatisfy(\.isWhitespace) } }
    }
}
