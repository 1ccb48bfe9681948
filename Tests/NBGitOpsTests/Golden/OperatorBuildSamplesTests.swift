import Foundation
import XCTest

@testable import NBGitOps

/// The operator's own Tekton and S2I samples compile where they make sense: Tekton on
/// OpenShift and Kubernetes, S2I on OpenShift (and on Kubernetes they fail with NBG150 at
/// `buildConfig.strategy`). Read from the operator's mirror when it is on this machine; the
/// samples are not copied into this repository.
final class OperatorBuildSamplesTests: XCTestCase {
    /// The operator's git directory (a bare mirror), from `NBGITOPS_OPERATOR_MIRROR`; not a
    /// CI tool, so the test skips without it.
    static let mirror = ProcessInfo.processInfo.environment["NBGITOPS_OPERATOR_MIRROR"] ?? ""
    static let tekton = [
        "mlops_v1alpha1_notebookvalidationjob_tekton.yaml",
        "mlops_v1alpha1_notebookvalidationjob_tekton_custom_dockerfile.yaml",
        "mlops_v1alpha1_notebookvalidationjob_credentials_sugar.yaml",
    ]
    static let s2i = [
        "mlops_v1alpha1_notebookvalidationjob_s2i.yaml",
        "mlops_v1alpha1_notebookvalidationjob_s2i_autogen.yaml",
        "mlops_v1alpha1_notebookvalidationjob_s2i_openshift_ai.yaml",
        "test-s2i-no-init-container.yaml",
    ]

    /// `git --git-dir=<mirror> ARGUMENTS`: its exit status and standard output (standard error
    /// dropped); skips the test when no mirror is set.
    static func mirrorGit(_ arguments: [String]) throws -> (status: Int32, output: Data) {
        guard !mirror.isEmpty, FileManager.default.fileExists(atPath: mirror) else {
            throw XCTSkip("set NBGITOPS_OPERATOR_MIRROR to the operator's git directory to run the operator's samples")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "--git-dir=\(mirror)"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = Pipe()
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data)
    }

    func sample(_ name: String) throws -> String {
        let (status, data) = try Self.mirrorGit(["show", "HEAD:config/samples/\(name)"])
        guard status == 0 else { throw XCTSkip("sample \(name) is not in the mirror") }
        return String(decoding: data, as: UTF8.self)
    }

    func compile(_ name: String, _ environment: Environment) throws -> (EnvironmentPlan, DiagnosticCollector) {
        let (documents, diagnostics) = loadYAML(try sample(name), file: name)
        let specs = SpecDecoder.decode(documents, diagnostics: diagnostics)
        XCTAssertFalse(diagnostics.hasErrors, "\(name): \(diagnostics.sorted.map(\.rendered))")
        XCTAssertEqual(specs.jobs.first?.podConfig.buildConfig?.enabled, true, name)
        return BuildPlannerTests.plan(specs, environment)
    }

    func testTektonSamplesCompileOnBothPlatforms() throws {
        for name in Self.tekton {
            for environment in [BuildPlannerTests.environment(), BuildPlannerTests.kubernetes()] {
                let (plan, diagnostics) = try compile(name, environment)
                XCTAssertFalse(diagnostics.hasErrors, "\(name): \(diagnostics.sorted.map(\.rendered))")
                XCTAssertEqual(BuildPlannerTests.objects(plan, kind: "PipelineRun").count, 1, name)
                XCTAssertTrue(
                    F.jobs(plan).first?.manifest.value(at: "spec.template.spec.containers[0].image")?.stringValue?
                        .contains(":nbgitops-") ?? false, name)
            }
        }
    }

    func testS2ISamplesCompileOnOpenShiftAndAreLocatedErrorsOnKubernetes() throws {
        for name in Self.s2i {
            let (plan, diagnostics) = try compile(name, BuildPlannerTests.environment())
            XCTAssertFalse(diagnostics.hasErrors, "\(name): \(diagnostics.sorted.map(\.rendered))")
            XCTAssertEqual(BuildPlannerTests.objects(plan, kind: "BuildConfig").count, 1, name)
            // Through the whole pipeline: NBG150 is reported by the Check stage, not the planner.
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-\(UUID().uuidString)-\(name)")
            try sample(name).write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let (_, kubernetes) = OperatorSamplesTests.compile(
                file.path, display: name, overlays: OperatorSamplesTests.kubernetes, environment: "kubernetes")
            let errors = kubernetes.sorted.filter { $0.severity == .error }
            XCTAssertEqual(errors.map(\.id), [.buildUnavailable], name)
            XCTAssertEqual(errors.first?.location?.file, name)
            XCTAssertTrue(errors.first?.help?.contains("tekton") ?? false)
        }
    }

    typealias F = PlanFixtures
}
