import Foundation
import XCTest

@testable import NBGitOps

/// Bad input, or a bad bundled pattern, never switches a check off: each is a located error
/// (through the real pipeline) or a failing test.
final class FailClosedTests: XCTestCase {
    /// Every pattern of every bundled schema (the operator's CRD, the overlay and project
    /// schemas) compiles, so none can silently accept everything.
    func testEveryBundledSchemaPatternCompiles() throws {
        var patterns = 0
        var broken: [String] = []
        func walk(_ schema: Schema, _ path: String) {
            if let pattern = schema.pattern {
                patterns += 1
                if !schema.patternCompiles { broken.append("\(path): \(pattern)") }
            }
            for (key, child) in schema.properties { walk(child, path + "." + key) }
            if let items = schema.items { walk(items, path + "[]") }
            if let additional = schema.additionalProperties { walk(additional, path + ".*") }
        }
        walk(try XCTUnwrap(CRDSchemas.notebookValidationJobSpec), "NotebookValidationJob.spec")
        walk(try XCTUnwrap(CRDSchemas.overlaySpec), "Overlay.spec")
        walk(try XCTUnwrap(CRDSchemas.projectSpec), "Project.spec")
        XCTAssertGreaterThan(patterns, 10)
        XCTAssertEqual(broken, [])
    }

    /// A pattern that does not compile accepts nothing, with a located error naming it.
    func testAPatternThatDoesNotCompileRefusesTheValue() throws {
        let (documents, diagnostics) = loadYAML("value: anything\n", file: "x.yaml")
        let node = try XCTUnwrap(documents.first?.root)
        let schema = Schema.parse(
            try XCTUnwrap(
                loadYAML("type: object\nproperties:\n  value:\n    type: string\n    pattern: '(unclosed'\n").0.first?.root))
        XCTAssertFalse(try XCTUnwrap(schema.properties["value"]).patternCompiles)
        XCTAssertFalse(try XCTUnwrap(schema.properties["value"]).matchesPattern("anything"))
        var validator = SchemaValidator(subject: "x", diagnostics: diagnostics)
        _ = validator.validate(node, against: schema, path: "")
        let rendered = diagnostics.sorted.map(\.rendered)
        XCTAssertEqual(rendered.count, 1, "\(rendered)")
        XCTAssertTrue(
            rendered.first?.hasPrefix(
                "x.yaml:1:8: error[NBG105]: 'value' cannot be checked: the schema's pattern (unclosed is not a regular expression"
            )
                ?? false, "\(rendered)")
    }

    /// The secret scanner's expressions are constants; each must compile (one that does not
    /// stops the program at start-up, `SecretPatternsTests`).
    func testEverySecretScanExpressionCompiles() throws {
        XCTAssertEqual(try SecretPatterns.compile(SecretPatterns.all).count, SecretPatterns.all.count)
        // And they find what they are for.
        XCTAssertEqual(PlatformRules.secretKind("ghp_" + String(repeating: "a", count: 36)), "a GitHub token")
        XCTAssertNotNil(PlatformRules.secretKind("https://user:pa55word@git.example.com/org/repo.git"))
    }

    /// `uidRange: first/0` passes the schema's pattern; the resolver refuses it at the overlay
    /// line instead of checking against no range (through `nbgitops render`).
    func testAZeroSizedUIDRangeIsALocatedError() throws {
        let project = try IntegrationProject()
        try project.write(
            "examples/overlays/openshift-uids.yaml",
            overlayYAML(name: "openshift-uids", spec: "  security:\n    uidRange: 1000680000/0\n"))
        let run = try project.run(["render"])
        XCTAssertEqual(run.status, 1, "\(run)")
        XCTAssertTrue(
            run.locatedErrors.contains {
                $0.hasPrefix(
                    "examples/overlays/openshift-uids.yaml:7:15: error[NBG106]: security.uidRange '1000680000/0' is not a UID range"
                )
            }, "\(run)")
        XCTAssertFalse(project.exists("gitops"))
    }
}

/// Defects of the output side found in review.
final class OutputDefectTests: XCTestCase {
    /// One JSON string escaper: `explain`/`diff` show strings exactly as the scripts get them.
    func testJSONEscapersAgree() {
        for text in ["a\rb", "tab\tand\u{08}back\u{0C}feed", "quote \" and \\ slash", "\u{01}\u{1F}", "line\nbreak", "é ✓"] {
            XCTAssertEqual(ManifestFlattening.quoted(text), CanonicalJSON.encode(.string(text)), text.debugDescription)
        }
        XCTAssertEqual(ManifestFlattening.quoted("a\rb"), #""a\rb""#)
        XCTAssertEqual(ManifestFlattening.quoted("\u{08}\u{0C}"), #""\b\f""#)
    }

    /// `render --stdout` honours `--diagnostics-format`: the manifests on standard output, the
    /// diagnostics as JSON lines on standard error.
    func testStdoutRenderHonoursTheDiagnosticsFormat() throws {
        let project = try IntegrationProject()
        let run = try project.run(["render", "--stdout", "--env", "kubernetes", "--diagnostics-format", "json"])
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertTrue(run.stdout.hasPrefix("apiVersion: v1\n") || run.stdout.hasPrefix("---"), String(run.stdout.prefix(200)))
        let lines = run.stderr.split(separator: "\n").map(String.init)
        XCTAssertFalse(lines.isEmpty, "the example has a warning (NBG126)")
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            XCTAssertNotNil(object?["id"], line)
        }
        XCTAssertFalse(run.stderr.contains("warning[NBG"), "no text diagnostics: \(run.stderr)")
        XCTAssertFalse(project.exists("gitops"))
    }
}

/// NBG001 through the real pipeline: a spec path that cannot be read as a file.
final class UnreadableInputTests: XCTestCase {
    func testAnUnreadableSpecIsALocatedNBG001() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-io-\(UUID().uuidString)")
        // A folder where a file is expected: reading it fails on every platform, even as root.
        let path = folder.appendingPathComponent("spec.yaml").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines = HostileCorpusTests.compile(path: path, display: "spec.yaml").lines
        XCTAssertEqual(lines.count, 1, "\(lines)")
        XCTAssertTrue(lines.first?.hasPrefix("spec.yaml:1:1: error[NBG001]: ") ?? false, "\(lines)")
    }
}
