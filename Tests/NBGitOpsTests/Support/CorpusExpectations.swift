import Foundation
import XCTest

/// A corpus folder's `EXPECTED` file (the hostile corpus, the fuzz regressions): the complete
/// list of what each input must produce. Lines are `<file>\t<line>`; a file's lines, in order,
/// are either the first line of every diagnostic its run reports, or `renders` (the input is
/// valid and must render) followed by the first line of every warning or note it still reports.
/// Nothing unlisted may appear: an unexpected extra warning fails as a missing error does.
/// `NBGITOPS_RECORD=1` rewrites the file from the runs (comment lines kept; review the diff).
struct CorpusExpectations {
    let path: String
    /// Comment lines at the top of the file (kept when re-recording).
    private(set) var header: [String] = []
    /// Each file's expected lines, in the order the file lists them.
    private(set) var entries: [(file: String, lines: [String])] = []

    static let record = ProcessInfo.processInfo.environment["NBGITOPS_RECORD"] == "1"

    init(folder: String) throws {
        path = folder + "/EXPECTED"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for line in text.split(separator: "\n") {
            if line.hasPrefix("#") {
                header.append(String(line))
                continue
            }
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            guard let file = parts.first else { continue }
            let expected = parts.count > 1 ? parts[1] : ""
            if let last = entries.indices.last, entries[last].file == file {
                entries[last].lines.append(expected)
            } else {
                entries.append((file, [expected]))
            }
        }
    }

    var files: [String] { entries.map(\.file) }

    /// Compares one run with the file's expectation (or records it): `diagnostics` are the first
    /// lines of every diagnostic, in report order; `rendered` whether the run produced output.
    mutating func check(
        _ file: String, diagnostics: [String], rendered: Bool, filePath: StaticString = #filePath, line: UInt = #line
    ) {
        let actual = (rendered ? ["renders"] : []) + diagnostics
        if Self.record {
            if let index = entries.firstIndex(where: { $0.file == file }) { entries[index].lines = actual }
            return
        }
        let expected = entries.first { $0.file == file }?.lines ?? []
        XCTAssertEqual(
            actual, expected,
            "\(file): the run differs from its EXPECTED lines (complete list; re-record with NBGITOPS_RECORD=1)",
            file: filePath, line: line)
        if expected.first != "renders" {
            XCTAssertFalse(rendered, "\(file): a run with errors must render nothing", file: filePath, line: line)
            XCTAssertTrue(
                diagnostics.contains { $0.contains(": error[") }, "\(file): expected an error", file: filePath, line: line)
        }
    }

    /// Writes the recorded expectations back (record mode) and fails once, on purpose.
    func finish(filePath: StaticString = #filePath, line: UInt = #line) throws {
        guard Self.record else { return }
        let body = entries.flatMap { entry in entry.lines.map { entry.file + "\t" + $0 } }
        try (header + body).joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
        XCTFail("re-recorded \(path); run again without NBGITOPS_RECORD", file: filePath, line: line)
    }
}
