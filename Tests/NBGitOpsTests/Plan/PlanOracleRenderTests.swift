import Foundation
import XCTest

@testable import NBGitOps

/// Compiles the example specs with `CompilerPipeline.run` for every platform × delivery tool
/// (the two combinations `gitops/` lacks included) into a folder, so the strict manifest
/// oracle can check them:
///
///     NBG_PLAN_RENDER_DIR=/tmp/plan-out swift test --filter PlanOracleRenderTests
///     /work/shared/tools/manifest-oracle/manifest-oracle validate /tmp/plan-out
///
/// With `NBG_PLAN_ORACLE=<path to manifest-oracle>` (set by `.ci/run`) the test runs the
/// oracle itself and fails on any oracle error.
final class PlanOracleRenderTests: XCTestCase {
    /// Each environment: its name and the real overlay files it stacks.
    static func sampleEnvironments() -> [(name: String, overlays: [String])] {
        var result: [(String, [String])] = []
        for platform in Platform.allCases {
            for tool in DeliveryTool.allCases {
                let site =
                    platform == .openshift
                    ? ["rwo", "gpu-taints", "examples/overlays/gpu-cluster.yaml", "examples/overlays/openshift-uids.yaml"]
                    : ["rwx", "examples/overlays/registry.yaml"]
                result.append(
                    (
                        "\(platform.rawValue)-\(tool.rawValue)",
                        [platform.rawValue, tool.rawValue] + site + [
                            "examples/overlays/repository.yaml", "examples/overlays/site-defaults.yaml",
                            "Tests/NBGitOpsTests/Fixtures/overlays/mirrors.yaml",
                        ]
                    ))
            }
        }
        return result
    }

    func testRenderSamplesForTheOracle() throws {
        let environment = ProcessInfo.processInfo.environment
        let directory = URL(
            fileURLWithPath: environment["NBG_PLAN_RENDER_DIR"]
                ?? NSTemporaryDirectory() + "nbgitops-plan-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: directory)
        let diagnostics = DiagnosticCollector()
        let specs = TestPipeline.files(["examples/specs"], diagnostics: diagnostics)
        let input = TestPipeline.input(
            specs, environments: Self.sampleEnvironments().map { TestPipeline.environment($0.name, $0.overlays) })
        let compiled = try TestPipeline.run(input, diagnostics: diagnostics).unwrap()
        XCTAssertFalse(diagnostics.hasErrors)
        var count = 0
        for (name, files) in compiled.files {
            try PlanFixtures.write(files, under: directory.appendingPathComponent(name))
            count += files.count
        }
        XCTAssertEqual(compiled.files.count, 4)
        // The mirror overlay reached the rendered Jobs.
        XCTAssertTrue(
            compiled.files.values.joined().contains { String(decoding: $0.bytes, as: UTF8.self).contains("registry.example.com/dockerhub") })
        XCTAssertGreaterThan(count, 4 * 30)

        // `.ci/run` names the oracle; elsewhere the render alone is checked (or the test fails
        // under NBGITOPS_REQUIRE_TOOLS=1, so CI cannot drop the oracle run unnoticed).
        guard let oracle = environment["NBG_PLAN_ORACLE"] else {
            if RequiredTool.isRequired { throw RequiredTool.missing("NBG_PLAN_ORACLE is not set") }
            return
        }
        let (status, output) = try runTool(oracle, ["validate", directory.path])
        XCTAssertEqual(status, 0, output)
        if environment["NBG_PLAN_RENDER_DIR"] == nil { try? FileManager.default.removeItem(at: directory) }
    }
}
