import XCTest

@testable import NBGitOps

final class YAMLLoaderTests: XCTestCase {
    func testLoadsDocumentsWithLocations() {
        let (documents, diagnostics) = loadYAML("a: 1\nb:\n  - x\n---\nc: d\n")
        XCTAssertFalse(diagnostics.hasErrors)
        XCTAssertEqual(documents.count, 2)
        XCTAssertEqual(documents[0]["b"]?.items?.first?.location, SourceLocation(file: "test.yaml", line: 3, column: 5))
        XCTAssertEqual(documents[1].index, 1)
        XCTAssertEqual(documents[1]["c"]?.scalar?.value, "d")
    }

    func testEmptyFileAndEmptyDocumentsYieldNothing() {
        XCTAssertEqual(loadYAML("").0.count, 0)
        XCTAssertEqual(loadYAML("---\n---\n").0.count, 0)
    }

    func testDuplicateKeyIsLocated() {
        let (_, diagnostics) = loadYAML("a: 1\nb: 2\na: 3\n")
        XCTAssertEqual(diagnostics.sorted.first?.rendered.components(separatedBy: "\n").first,
            "test.yaml:3:1: error[NBG004]: duplicate key 'a'")
    }

    func testTabIndentation() {
        let (_, diagnostics) = loadYAML("a:\n\tb: 1\n")
        XCTAssertEqual(diagnostics.sorted.first?.id, .yamlTab)
        XCTAssertEqual(diagnostics.sorted.first?.location?.line, 2)
    }

    func testAliasBombIsRefusedQuickly() {
        var text = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        var previous = "a"
        for letter in "bcdefghij" {
            text += "\(letter): &\(letter) [*\(previous),*\(previous),*\(previous),*\(previous),*\(previous),*\(previous),*\(previous),*\(previous),*\(previous)]\n"
            previous = String(letter)
        }
        let start = Date()
        let (documents, diagnostics) = loadYAML(text)
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
        XCTAssertTrue(documents.isEmpty)
        XCTAssertEqual(diagnostics.sorted.first?.id, .yamlAlias)
        XCTAssertEqual(diagnostics.sorted.first?.location?.line, 2)
    }

    func testDeepNestingIsBounded() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let (_, diagnostics) = loadYAML(text)
        XCTAssertEqual(diagnostics.sorted.first?.id, .yamlLimit)
        XCTAssertEqual(diagnostics.sorted.first?.location?.line, 1)
    }

    func testMergeKeysAndForeignTagsAreRefused() {
        XCTAssertEqual(loadYAML("a:\n  <<: {b: 1}\n").1.sorted.first?.id, .yamlMergeKey)
        XCTAssertEqual(loadYAML("a: !!python/object:os.system x\n").1.sorted.first?.id, .yamlTag)
        XCTAssertFalse(loadYAML("a: !!str 1\n").1.hasErrors)
    }

    func testInvalidUTF8IsLocated() {
        let diagnostics = DiagnosticCollector()
        _ = YAMLLoader.load(bytes: Array("a: b\nc: ".utf8) + [0xFF, 0xFE, 0x0A], file: "bad.yaml", diagnostics: diagnostics)
        XCTAssertEqual(diagnostics.sorted.first?.id, .yamlEncoding)
        XCTAssertEqual(diagnostics.sorted.first?.location?.line, 2)
    }

    func testMalformedYAMLIsLocated() {
        let (_, diagnostics) = loadYAML("a: [1, 2\nb: c\n")
        XCTAssertEqual(diagnostics.sorted.first?.id, .yamlSyntax)
        XCTAssertNotNil(diagnostics.sorted.first?.location)
    }

    func testLargeScalarIsBounded() {
        var limits = LoadLimits()
        limits.maxScalarBytes = 1000
        let (_, diagnostics) = loadYAML("a: " + String(repeating: "x", count: 2000) + "\n", limits: limits)
        XCTAssertEqual(diagnostics.sorted.first?.id, .yamlLimit)
    }

    func testCRLFAndBOM() {
        let diagnostics = DiagnosticCollector()
        let documents = YAMLLoader.load(bytes: [0xEF, 0xBB, 0xBF] + Array("a: 1\r\nb: x\r\n".utf8), file: "crlf.yaml", diagnostics: diagnostics)
        XCTAssertFalse(diagnostics.hasErrors)
        XCTAssertEqual(documents.first?["b"]?.scalar?.value, "x")
        XCTAssertEqual(documents.first?["b"]?.location.line, 2)
    }

    func testUnterminatedQuoteNamesWhereTheQuoteOpened() throws {
        let diagnostics = DiagnosticCollector()
        _ = YAMLLoader.load(bytes: Array("a: 1\nb: 'open\nc: 2\n".utf8), file: "quote.yaml", diagnostics: diagnostics)
        let diagnostic = try XCTUnwrap(diagnostics.diagnostics.first)
        XCTAssertEqual(diagnostic.id, .yamlSyntax)
        XCTAssertEqual(diagnostic.location?.line, 4)  // noticed at the end of the file…
        XCTAssertEqual(diagnostic.notes.map(\.message), ["a quoted scalar started here"])
        XCTAssertEqual(diagnostic.notes.first?.location, SourceLocation(file: "quote.yaml", line: 2, column: 4))  // …opened here
    }
}

extension YAMLDocument {
    subscript(key: String) -> YAMLNode? { root[key] }
}
