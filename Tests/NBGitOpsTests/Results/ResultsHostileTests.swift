import Foundation
import XCTest

#if canImport(FoundationXML)
    import FoundationXML
#endif

@testable import NBGitOps

/// `nbgitops results` over a recorded `kubectl get jobs,pods -o json` whose validate container
/// ended with a hostile termination message (Fixtures/results/hostile-termination.json): ANSI
/// and C1 escapes, `\r`, `\n`, `|`, raw HTML, links, `@mention`, GitHub workflow commands at a
/// line start, backticks and bidirectional overrides. Whatever a notebook prints, the text stays
/// one line per detail with no escape sequence, the markdown table keeps its columns and renders
/// no HTML, link or mention, and JUnit, JSON and SARIF stay valid and carry the message.
final class ResultsHostileTests: XCTestCase {
    static let hostileFragments = [
        "\u{1B}[31m", "\u{9B}2J", "\u{07}", "carriage\rreturn", "\n::error file=x.py,line=1::forged annotation",
        "pipe | breaks", "<img src=x onerror=alert(1)>", "[link](http://evil.example/steal)", "@mention-someone",
        "##[error]old-style command", "\u{2028}separator", "\u{202E}evil",
    ]

    func results() throws -> [ValidationResult] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(ResultsTests.folder)/hostile-termination.json"))
        return ValidationResults.evaluate(
            environment: "openshift-gpu", rendered: ResultsTests.rendered, cluster: try ClusterSnapshot.decode(data),
            sources: ["churn-model-regression": "examples/specs/02-private-golden.yaml:6:9"])
    }

    func testTheFixtureCarriesEveryHostileFragment() throws {
        let details = try results().flatMap(\.details).joined(separator: "\n")
        for fragment in Self.hostileFragments {
            XCTAssertTrue(details.contains(fragment), "the fixture lost \(fragment.debugDescription)")
        }
    }

    func testTextHasNoEscapeSequenceNoForgedLineAndNoWorkflowCommand() throws {
        let text = ResultsFormat.text.render(try results(), environments: ["openshift-gpu"])
        for scalar in text.unicodeScalars where scalar != "\n" {
            XCTAssertFalse(
                Self.isControl(scalar), "control character U+\(String(scalar.value, radix: 16)) in:\n\(text)")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        // The summary, the Job's line, one line per detail (the message, 8 cells, …), the spec.
        let details = try XCTUnwrap(try results().first?.details)
        XCTAssertGreaterThanOrEqual(details.count, 9)
        XCTAssertEqual(lines.count, 3 + details.count, text)
        for line in lines {
            XCTAssertFalse(line.drop { $0 == " " || $0 == "\t" }.hasPrefix("::"), "a workflow command: \(line)")
            XCTAssertFalse(line.contains("##["), "an old-style workflow command: \(line)")
        }
        XCTAssertTrue(text.contains("configuration error: \\u{1B}[31mred\\u{1B}[0m \\u{9B}2J and a bell\\u{7}"), text)
        XCTAssertTrue(
            text.contains(
                "cell 2 raised ValueError\\n::error file=x.py,line=1::forged annotation\\n::stop-commands::token"), text)
        XCTAssertTrue(text.contains("cell 1 raised carriage\\rreturn rewrites the line"), text)
    }

    func testMarkdownKeepsItsColumnsAndRendersNoHTMLLinkOrMention() throws {
        let markdown = ResultsFormat.markdown.render(try results(), environments: ["openshift-gpu"])
        XCTAssertFalse(markdown.unicodeScalars.contains { $0 != "\n" && Self.isControl($0) }, markdown)
        let rows = markdown.split(separator: "\n").filter { $0.hasPrefix("|") }
        XCTAssertEqual(rows.count, 3, markdown)
        for row in rows {
            XCTAssertEqual(Self.cellSeparators(in: String(row)), 6, "a cell split or merged: \(row)")
        }
        // Outside code spans only nbgitops' own words and `<br>` remain.
        let rendered = Self.outsideCodeSpans(markdown)
        for active in ["<img", "<script", "](", "http://", "@mention", "\\|"] {
            XCTAssertFalse(rendered.contains(active), "'\(active)' renders in the PR comment:\n\(rendered)")
        }
        XCTAssertEqual(
            rendered.replacingOccurrences(of: "<br>", with: "").contains("<"), false, "raw HTML renders:\n\(rendered)")
    }

    func testJUnitJSONAndSARIFStayValidAndCarryTheMessage() throws {
        let results = try results()
        let xml = ResultsFormat.junit.render(results, environments: ["openshift-gpu"])
        try JUnitShape.check(xml)
        XCTAssertTrue(xml.contains("&lt;img src=x onerror=alert(1)&gt;"), xml)
        XCTAssertTrue(xml.contains("\\u{1B}[31mred"), "an escape is shown, not dropped: \(xml)")

        let json = ResultsFormat.json.render(results, environments: ["openshift-gpu"])
        let decoded = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let details = try XCTUnwrap((decoded["results"] as? [[String: Any]])?.first?["details"] as? [String])
        XCTAssertEqual(details, results.first?.details, "JSON carries the message exactly (escaped by JSON itself)")
        XCTAssertFalse(json.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\r" }, "JSON escapes control characters")

        let sarif = ResultsFormat.sarif.render(results, environments: ["openshift-gpu"])
        let log = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sarif.utf8)) as? [String: Any])
        let run = try XCTUnwrap((log["runs"] as? [[String: Any]])?.first)
        let text = try XCTUnwrap(
            ((run["results"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["text"] as? String)
        XCTAssertTrue(text.contains("<img src=x onerror=alert(1)>"), "SARIF's message is plain text: \(text)")
        XCTAssertFalse(sarif.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\r" })
    }

    /// The schema validators (junit-10.xsd, SARIF 2.1.0) where `.ci/run` installed them.
    func testJUnitAndSARIFOfHostileMessagesValidateAgainstTheirSchemas() throws {
        let results = try results()
        try JUnitSchema.validate(ResultsFormat.junit.render(results, environments: ["openshift-gpu"]))
        try SARIFValidation.validateIfAvailable(ResultsFormat.sarif.render(results, environments: ["openshift-gpu"]))
    }

    /// C0, DEL, C1, line/paragraph separators and bidirectional overrides: what must never
    /// reach a terminal or a PR comment raw.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// GitHub table cell separators as cmark-gfm's table extension splits a row (its scanner's
    /// `table_cell = (escaped_char|[^|\r\n])+` with `escaped_char = \\|`): every `|` not
    /// directly after a backslash, code spans included (cells split before inline parsing).
    static func cellSeparators(in row: String) -> Int {
        var count = 0
        var previous: Character = " "
        for character in row {
            if character == "|", previous != "\\" { count += 1 }
            previous = character
        }
        return count
    }

    /// The markdown with its code spans removed (CommonMark: a run of n backticks opens a span
    /// the next run of exactly n backticks closes).
    static func outsideCodeSpans(_ markdown: String) -> String {
        let characters = Array(markdown)
        var result = ""
        var index = 0
        func run(at start: Int) -> Int {
            var end = start
            while end < characters.count, characters[end] == "`" { end += 1 }
            return end - start
        }
        scanning: while index < characters.count {
            guard characters[index] == "`" else {
                result.append(characters[index])
                index += 1
                continue
            }
            let length = run(at: index)
            var probe = index + length
            while probe < characters.count {
                if characters[probe] == "`" {
                    let closing = run(at: probe)
                    if closing == length {
                        index = probe + closing
                        continue scanning
                    }
                    probe += closing
                } else {
                    probe += 1
                }
            }
            result += String(characters[index..<(index + length)])
            index += length
        }
        return result
    }
}
