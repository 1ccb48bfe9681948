import Foundation
import XCTest

@testable import NBGitOps

/// Renders sample environments (both platforms × both delivery tools) into a folder so the
/// strict manifest oracle can check them:
///
///     NBG_PLAN_RENDER_DIR=/tmp/plan-out swift test --filter PlanOracleRenderTests
///     /work/shared/tools/manifest-oracle/manifest-oracle validate /tmp/plan-out
///
/// With `NBG_PLAN_ORACLE=<path to manifest-oracle>` the test runs the oracle itself and fails
/// on any oracle error.
final class PlanOracleRenderTests: XCTestCase {
    typealias F = PlanFixtures

    static func sampleEnvironments() -> [Environment] {
        var result: [Environment] = []
        for platform in Platform.allCases {
            for tool in DeliveryTool.allCases {
                result.append(
                    F.environment(
                        name: "\(platform.rawValue)-\(tool.rawValue)", platform: platform, tool: tool,
                        manageAllClaims: true, storageClassName: platform == .openshift ? "gp3-csi" : nil,
                        mirrors: [ImageMirror(source: "docker.io", mirror: "registry.example.com/dockerhub")],
                        revision: tool == .flux ? "v1.2.3" : "main"))
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
        var count = 0
        for sample in Self.sampleEnvironments() {
            let (plan, diagnostics) = F.plan(F.richSpecs(), sample)
            XCTAssertFalse(diagnostics.hasErrors, diagnostics.sorted.map(\.rendered).joined(separator: "\n"))
            let files = OutputLayout.files(for: plan)
            try F.write(files, under: directory)
            count += files.count
        }
        XCTAssertGreaterThan(count, 4 * 10)

        // `.ci/run` names the oracle; elsewhere the render alone is checked (or the test fails
        // under NBGITOPS_REQUIRE_TOOLS=1, so CI cannot drop the oracle run unnoticed).
        guard let oracle = environment["NBG_PLAN_ORACLE"] else {
            if RequiredTool.isRequired { throw RequiredTool.missing("NBG_PLAN_ORACLE is not set") }
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: oracle)
        process.arguments = ["validate", directory.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        if environment["NBG_PLAN_RENDER_DIR"] == nil { try? FileManager.default.removeItem(at: directory) }
    }
}
