import Foundation
import XCTest

@testable import NBGitOps

/// The diagnostics' guarantees through `CompilerPipeline.run`: no error is dropped at any
/// volume, an emitter failure is an error (never a truncated file), and what is printed from
/// the input is redacted and escaped. (The executable's side: DiagnosticGuaranteeIntegrationTests.)
final class DiagnosticGuaranteeTests: XCTestCase {
    /// Runs the pipeline on one spec text for one Kubernetes environment.
    static func compile(_ text: String) throws -> (output: CompilerOutput?, diagnostics: DiagnosticCollector) {
        try compileSpecWithDiagnostics(
            text, overlays: ["kubernetes", "rwo", "flux", "examples/overlays/repository.yaml"], environment: "kubernetes",
            displayPath: "specs/spec.yaml")
    }

    func testAnErrorAfterTenThousandWarningsFailsTheRun() throws {
        let (output, diagnostics) = try Self.compile(DiagnosticGuaranteeIntegrationTests.manyWarningsAndOneError(count: 10_000))
        XCTAssertNil(output, "a run with an error produced output")
        XCTAssertEqual(diagnostics.errorCount, 1)
        let error = try XCTUnwrap(diagnostics.sorted.first { $0.severity == .error })
        XCTAssertEqual(
            error.rendered.split(separator: "\n").first.map(String.init),
            "specs/spec.yaml:30014:13: error[NBG133]: env variable 'HOME' is set by nbgitops in the validation container")
        XCTAssertGreaterThanOrEqual(diagnostics.diagnostics.filter { $0.id == .secretAsEnv }.count, 10_000)
        // The text form shows every error and caps the rest, saying how many it left out.
        let text = DiagnosticFormatter.text(diagnostics.sorted, maxShown: 20)
        XCTAssertTrue(text.contains(error.rendered))
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.contains(": warning[") }.count, 20)
        XCTAssertTrue(lines.last?.hasPrefix("… and ") ?? false, "\(lines.suffix(2))")
        XCTAssertFalse(DiagnosticFormatter.text(diagnostics.sorted, maxShown: nil).contains("not shown"))
    }

    func testAnEmitterFailureIsAnErrorAndNoFileIsTruncated() throws {
        // A writer that refuses output past 300 bytes: libyaml reports a writer error mid-stream.
        ManifestRenderer.outputLimitForTesting = 300
        defer { ManifestRenderer.outputLimitForTesting = nil }
        let (output, diagnostics) = try Self.compile(jobSpec())
        XCTAssertNil(output, "files were rendered although the emitter failed: \(output?.files.keys.sorted() ?? [])")
        let failure = try XCTUnwrap(diagnostics.sorted.first { $0.severity == .error }, "no error reported")
        XCTAssertEqual(failure.id, .outputWrite)
        XCTAssertTrue(failure.message.contains("the YAML emitter failed"), failure.message)
        // Within the limit the same run renders.
        ManifestRenderer.outputLimitForTesting = nil
        XCTAssertNotNil(try Self.compile(jobSpec()).output)
    }

    func testEchoedTextIsRedactedAndEscaped() {
        let cases: [(String, String)] = [
            ("value 'ftp://user:pw@example.com/x'", "value 'ftp://[redacted]@example.com/x'"),
            ("https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com", "https://[redacted]@github.com"),
            ("ssh://git@github.com/org/repo.git", "ssh://git@github.com/org/repo.git"),
            ("--api-key=hf_abcdefghijklmnopqrstuvwxyzABCDEFGH", "--api-key=[redacted]"),
            ("Authorization: Bearer abc.def-123", "Authorization: Bearer [redacted]"),
            ("the basic notebook validation", "the basic notebook validation"),
            ("task-aaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "task-aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            ("key -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- end", "key [redacted private key] end"),
        ]
        for (input, expected) in cases { XCTAssertEqual(EchoedText.redacted(input), expected, input) }
        XCTAssertEqual(EchoedText.escaped("a\n::error::x\r\u{1B}[31m\u{2028}é"), "a\\n::error::x\\r\\u{1B}[31m\\u{2028}é")
        let diagnostic = Diagnostic(.nameInvalid, .error, "name 'a\n::error::x'", at: SourceLocation(file: "::f.yaml", line: 1, column: 2))
        XCTAssertEqual(diagnostic.rendered, "./::f.yaml:1:2: error[NBG130]: name 'a\\n::error::x'")
    }
}
