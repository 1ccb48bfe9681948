import Foundation
import XCTest

@testable import NBGitOps

/// The documentation a user reads: the generated reference pages are current, every relative
/// link resolves, and no page, message or help text cites an internal reference instead of
/// describing the failure. Re-record the reference with `NBGITOPS_RECORD=1 swift test --filter
/// ReferenceDocsTests` (the test then fails once, on purpose).
final class ReferenceDocsTests: XCTestCase {
    /// Each command's `--help`, from the snapshots HelpSnapshotTests holds equal to the binary's.
    /// The order of the CLI reference page; a snapshot of a command not listed here follows, sorted.
    static let commandOrder = ["", "init", "render", "check", "explain", "diff", "schema", "rules", "results", "lock", "platform"]

    static func helpTexts() throws -> [(command: String, text: String)] {
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: HelpSnapshotTests.folder)
            .filter { $0.hasSuffix(".txt") }.map { String($0.dropLast(4)) }.map { $0 == "nbgitops" ? "" : $0 }
        let commands = commandOrder.filter(snapshots.contains) + snapshots.filter { !commandOrder.contains($0) }.sorted()
        return try commands.map { command in
            let name = (command.isEmpty ? "nbgitops" : command) + ".txt"
            return (command, try String(contentsOfFile: HelpSnapshotTests.folder + "/" + name, encoding: .utf8))
        }
    }

    func testGeneratedReferencePagesAreCurrent() throws {
        let record = ProcessInfo.processInfo.environment["NBGITOPS_RECORD"] == "1"
        var stale: [String] = []
        for page in ReferenceDocs.pages(help: try Self.helpTexts()) {
            let path = repositoryRoot + "/" + page.path
            let current = try? String(contentsOfFile: path, encoding: .utf8)
            guard current != page.text else { continue }
            stale.append(page.path)
            if record {
                try FileManager.default.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try page.text.write(toFile: path, atomically: true, encoding: .utf8)
            }
        }
        if record && !stale.isEmpty { XCTFail("re-recorded \(stale.joined(separator: ", ")); run again without NBGITOPS_RECORD") }
        if !record {
            XCTAssertEqual(
                stale, [], "stale generated pages: re-record with NBGITOPS_RECORD=1 swift test --filter ReferenceDocsTests")
        }
    }

    /// Every field of every schema the decoder reads has its row (spot checks at the leaves).
    func testTheFieldPagesListEveryField() throws {
        let pages = Dictionary(uniqueKeysWithValues: ReferenceDocs.pages(help: []).map { ($0.path, $0.text) })
        let overlay = try XCTUnwrap(pages["docs/reference/overlay.md"])
        for field in [
            "spec.storage.accessMode", "spec.gpu.taints[].effect", "spec.delivery.repositoryURL", "spec.platform.versions.flux",
        ] {
            XCTAssertTrue(overlay.contains("| `\(field)` |"), field)
        }
        let job = try XCTUnwrap(pages["docs/reference/notebookvalidationjob.md"])
        XCTAssertTrue(job.contains("| `spec.notebook.git.url` |"))
        XCTAssertTrue(job.contains("| `spec.podConfig.tolerations[].effect` |"))
        let model = try XCTUnwrap(pages["docs/reference/modelpipeline.md"])
        XCTAssertTrue(model.contains("| `spec.source.huggingFace.revision` |"))
        let rules = try XCTUnwrap(pages["docs/reference/rules.md"])
        for rule in RuleCatalog.all { XCTAssertTrue(rules.contains("| [\(rule.id.rawValue)](../rules/"), rule.id.rawValue) }
    }

    /// Markdown files a user reads: the README and everything under docs/.
    static func markdownFiles() throws -> [String] {
        var files = ["README.md"]
        let enumerator = FileManager.default.enumerator(atPath: repositoryRoot + "/docs")
        while let path = enumerator?.nextObject() as? String {
            if path.hasSuffix(".md") { files.append("docs/" + path) }
        }
        return files.sorted()
    }

    /// The text outside fenced code blocks and inline code spans (where `](` is not a link).
    static func withoutCode(_ text: String) -> String {
        var kept: [Substring] = []
        var fenced = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                fenced.toggle()
                continue
            }
            if fenced { continue }
            // Every other piece between backticks is code.
            kept.append(
                contentsOf: line.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter {
                    $0.offset % 2 == 0
                }.map(\.element))
            kept.append("\n")
        }
        return kept.joined()
    }

    func testEveryRelativeLinkResolves() throws {
        var broken: [String] = []
        for file in try Self.markdownFiles() {
            let text = Self.withoutCode(try String(contentsOfFile: repositoryRoot + "/" + file, encoding: .utf8))
            let folder = (file as NSString).deletingLastPathComponent
            var rest = Substring(text)
            while let range = rest.range(of: "](") {
                rest = rest[range.upperBound...]
                guard let end = rest.firstIndex(of: ")") else { break }
                var target = String(rest[..<end])
                if target.hasPrefix("http://") || target.hasPrefix("https://") || target.hasPrefix("mailto:")
                    || target.hasPrefix("#")
                {
                    continue
                }
                if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
                let resolved = ((repositoryRoot + "/" + folder) as NSString).appendingPathComponent(target)
                if !FileManager.default.fileExists(atPath: (resolved as NSString).standardizingPath) {
                    broken.append("\(file): \(target)")
                }
            }
        }
        XCTAssertEqual(broken, [], "relative links to files that do not exist")
    }

    /// What a user reads describes the failure, never an internal reference: no "seed 00x", no
    /// issue numbers, in the README, the docs and rule pages, the rule titles `nbgitops rules`
    /// prints, the overlays, examples and templates nbgitops ships, and the sources its
    /// messages, help texts and schema descriptions come from.
    func testNoUserFacingTextCitesAnInternalReference() throws {
        let pattern = try NSRegularExpression(
            pattern: #"\bseeds?[ -]?(0\d\d|\d{3}\b)|\bissue ?#?\d"#, options: [.caseInsensitive])
        var hits: [String] = []
        func scan(_ text: String, _ name: String) {
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = String(line)
                if pattern.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil {
                    hits.append("\(name):\(number + 1): \(line.trimmingCharacters(in: .whitespaces).prefix(100))")
                }
            }
        }
        var files = try Self.markdownFiles()
        for folder in ["overlays", "examples", "templates", "argocd", "Sources"] {
            let enumerator = FileManager.default.enumerator(atPath: repositoryRoot + "/" + folder)
            while let path = enumerator?.nextObject() as? String {
                var isFolder: ObjCBool = false
                let full = repositoryRoot + "/" + folder + "/" + path
                guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue else { continue }
                files.append(folder + "/" + path)
            }
        }
        files += ["nbgitops.yaml", "action.yml", "Containerfile", ".pre-commit-hooks.yaml"]
        for file in files {
            guard let text = try? String(contentsOfFile: repositoryRoot + "/" + file, encoding: .utf8) else { continue }
            scan(text, file)
        }
        // Design-record numbers ("ADR-040") mean nothing to a reader of the docs either; the
        // sources keep them in comments, next to the upstream records they cite.
        let record = try NSRegularExpression(pattern: #"\bADR-\d"#)
        for file in try Self.markdownFiles() {
            let text = try String(contentsOfFile: repositoryRoot + "/" + file, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = String(line)
                if record.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil {
                    hits.append("\(file):\(number + 1): \(line.trimmingCharacters(in: .whitespaces).prefix(100))")
                }
            }
        }
        for rule in RuleCatalog.all { scan(rule.title, "nbgitops rules: \(rule.id.rawValue)") }
        for entry in try Self.helpTexts() { scan(entry.text, "help of '\(entry.command)'") }
        XCTAssertEqual(hits, [], "describe the failure instead of citing an internal reference")
    }
}
