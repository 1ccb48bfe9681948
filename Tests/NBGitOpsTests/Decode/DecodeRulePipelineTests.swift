import Foundation
import XCTest

@testable import NBGitOps

/// Decode rules through the real pipeline (`CompilerPipeline.run` via
/// `HostileCorpusTests.compile`): each emission site of NBG110, and the rules whose catalog
/// severity and emitted severity used to disagree (NBG115, NBG116), and NBG114.
final class DecodeRulePipelineTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-decode-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        folder = url.path
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The first line of every diagnostic of compiling `text` in two environments.
    private func compile(_ text: String) throws -> [String] {
        let path = folder + "/spec.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return HostileCorpusTests.compile(path: path, display: "spec.yaml").lines
    }

    private func spec(url: String = "https://github.com/org/repo.git", ref: String = "main", podConfig: String = "") -> String {
        """
        apiVersion: mlops.mlops.dev/v1alpha1
        kind: NotebookValidationJob
        metadata:
          name: demo
        spec:
          notebook:
            git:
              url: \(url)
              ref: \(ref)
            path: notebooks/demo.ipynb
          podConfig:
            containerImage: quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2
        \(podConfig)
        """
    }

    /// Each way a git URL is invalid is one NBG110 error at the URL (8:12), nothing else.
    func testEveryInvalidGitURLIsOneLocatedNBG110() throws {
        let cases: [(String, String)] = [
            ("'https://github.com/org/my repo.git'", "spec.yaml:8:12: error[NBG110]: git URL contains whitespace"),
            ("git@github.com", "spec.yaml:8:12: error[NBG110]: git URL 'git@github.com' is not of the form git@host:path"),
            ("'https://'", "spec.yaml:8:12: error[NBG110]: git URL 'https://' cannot be parsed"),
            ("https://github.com/", "spec.yaml:8:12: error[NBG110]: git URL 'https://github.com/' names no repository"),
            // The CRD's pattern refuses other schemes first (NBG105); NBG110 then stays quiet.
            (
                "ftp://example.com/org/repo.git",
                "spec.yaml:8:12: error[NBG105]: 'spec.notebook.git.url' value 'ftp://example.com/org/repo.git' does not match the pattern ^((https?|git|ssh)://|git@).*$"
            ),
        ]
        for (url, expected) in cases {
            let lines = try compile(spec(url: url))
            XCTAssertEqual(lines, [expected], url)
        }
        XCTAssertEqual(try compile(spec()), [], "a valid URL is clean")
    }

    /// Plain http is a warning of its own id, catalogued as a warning.
    func testPlainHTTPIsTheWarningNBG115() throws {
        let lines = try compile(spec(url: "http://git.internal/org/repo.git"))
        XCTAssertEqual(
            lines, ["spec.yaml:8:12: warning[NBG115]: git URL uses plain http; credentials and content travel unencrypted"])
        XCTAssertEqual(RuleCatalog.all.first { $0.id == .gitPlainHTTP }?.severity, .warning)
    }

    func testInvalidRefsAreNBG111AndAbbreviatedShasTheWarningNBG116() throws {
        XCTAssertEqual(
            try compile(spec(ref: "feature..x")),
            ["spec.yaml:9:12: error[NBG111]: git ref 'feature..x' contains '..', '//' or '@{'"])
        XCTAssertEqual(
            try compile(spec(ref: "3F2A9C1D3F2A9C1D3F2A9C1D3F2A9C1D3F2A9C1D")),
            ["spec.yaml:9:12: error[NBG111]: commit SHA must be lowercase"])
        XCTAssertEqual(
            try compile(spec(ref: "3f2a9c1")),
            [
                "spec.yaml:9:12: warning[NBG116]: git ref '3f2a9c1' looks like an abbreviated commit SHA; it is fetched as a branch or tag name"
            ])
        XCTAssertEqual(RuleCatalog.all.first { $0.id == .gitRefAbbreviated }?.severity, .warning)
        XCTAssertEqual(try compile(spec(ref: "3f2a9c1d3f2a9c1d3f2a9c1d3f2a9c1d3f2a9c1d")), [])
    }

    /// A quantity the API server would refuse is NBG114 at its value, in resources and in an
    /// emptyDir's sizeLimit; valid forms (suffixes, exponents, integers) pass.
    func testUnparsableQuantitiesAreNBG114() throws {
        let bad = """
                resources:
                  requests: {cpu: lots, memory: 2Gi}
                  limits: {cpu: "2", memory: 4GB}
                volumes:
                - name: scratch
                  emptyDir: {sizeLimit: big}
                volumeMounts:
                - name: scratch
                  mountPath: /scratch
            """
        let lines = try compile(spec(podConfig: bad))
        XCTAssertEqual(
            lines,
            [
                "spec.yaml:14:23: error[NBG114]: resources.requests.cpu 'lots' is not a Kubernetes quantity",
                "spec.yaml:15:34: error[NBG114]: resources.limits.memory '4GB' is not a Kubernetes quantity",
                // The CRD has a pattern for sizeLimit: its NBG105, and no second error.
                "spec.yaml:18:29: error[NBG105]: 'spec.podConfig.volumes[0].emptyDir.sizeLimit' value 'big' does not match the pattern ^([0-9]+(\\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$",
            ])
        let good = """
                resources:
                  requests: {cpu: 500m, memory: 1.5Gi, ephemeral-storage: "1e9"}
                  limits: {cpu: "2", memory: 2Gi, ephemeral-storage: 2G}
            """
        XCTAssertEqual(try compile(spec(podConfig: good)), [])
        for valid in ["1", "0.5", ".5", "500m", "2Gi", "1e3", "1E-3", "+1", "10k", "3n"] {
            XCTAssertTrue(Quantity.isValid(valid), valid)
        }
        for invalid in ["", "lots", "4GB", "1.2.3", "Gi", "1e", "1 Gi", "-", "1Ki2"] {
            XCTAssertFalse(Quantity.isValid(invalid), invalid)
        }
    }
}
