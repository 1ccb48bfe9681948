import Foundation
import XCTest

@testable import NBGitOps

/// The GitHub workflow and the pre-commit hooks are valid YAML and run what the README says.
final class CIFilesTests: XCTestCase {
    func load(_ path: String) throws -> YAMLNode {
        let diagnostics = DiagnosticCollector()
        let root = try XCTUnwrap(
            YAMLLoader.load(
                path: (repositoryRoot as NSString).appendingPathComponent(path), displayName: path,
                diagnostics: diagnostics
            ).first?.root)
        XCTAssertFalse(diagnostics.hasErrors, "\(diagnostics.sorted.map(\.rendered))")
        return root
    }

    func testWorkflowBuildsChecksAndUploadsSARIF() throws {
        let workflow = try load(".github/workflows/nbgitops.yml")
        let steps = try XCTUnwrap(workflow["jobs"]?["check"]?["steps"]?.items)
        let runs = steps.compactMap { $0["run"]?.scalar?.value }.joined(separator: "\n")
        let uses = steps.compactMap { $0["uses"]?.scalar?.value }
        XCTAssertTrue(runs.contains("apt-get install -y -qq libyaml-dev pkg-config lua5.1"))
        XCTAssertTrue(runs.contains("swift build -c release --product nbgitops"))
        XCTAssertTrue(runs.contains(".build/release/nbgitops check"))
        XCTAssertTrue(runs.contains("--diagnostics-format sarif"))
        XCTAssertEqual(uses, ["actions/checkout@v4", "github/codeql-action/upload-sarif@v3"])
        XCTAssertEqual(workflow["permissions"]?["security-events"]?.scalar?.value, "write")
    }

    /// The results job checks out the whole history: a shallow clone cannot say which commit
    /// rendered a Job (`RenderHistory`).
    func testTheResultsJobChecksOutTheWholeHistory() throws {
        let workflow = try load(".github/workflows/nbgitops.yml")
        let steps = try XCTUnwrap(workflow["jobs"]?["results"]?["steps"]?.items)
        let checkout = try XCTUnwrap(steps.first { $0["uses"]?.scalar?.value == "actions/checkout@v4" })
        XCTAssertEqual(checkout["with"]?["fetch-depth"]?.scalar?.value, "0")
        XCTAssertTrue(steps.contains { $0["run"]?.scalar?.value.contains("scripts/action-results") == true })
    }

    func testPreCommitHooks() throws {
        let hooks = try XCTUnwrap(try load(".pre-commit-hooks.yaml").items)
        XCTAssertEqual(hooks.compactMap { $0["id"]?.scalar?.value }, ["nbgitops-check", "nbgitops-render"])
        XCTAssertEqual(hooks.compactMap { $0["entry"]?.scalar?.value }, ["nbgitops check", "nbgitops render"])
        XCTAssertTrue(hooks.allSatisfy { $0["pass_filenames"]?.scalar?.value == "false" })
    }
}
