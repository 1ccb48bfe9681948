import Foundation
import XCTest

@testable import NBGitOps

/// Every NotebookValidationJob sample under the operator's `config/samples/` (read from its
/// mirror, never copied here) compiles on an OpenShift and a Kubernetes environment, and the
/// oracle finds no error in what it renders — `model-validation-cross-namespace.yaml` (three
/// team namespaces, RoleBindings and InferenceServices in `shared-models`) included. The
/// samples that cannot compile are named with the exact errors that stop them: literal secret
/// values (NBG140), fields the operator's own CRD does not have (NBG102), and S2I on Kubernetes
/// (NBG150: there is no BuildConfig API).
final class OperatorSamplesTests: XCTestCase {
    /// Samples that are not valid CRD input or carry literal secrets, by the errors they give on
    /// both platforms.
    static let refused: [String: [RuleID]] = [
        // SecretStore of External Secrets' `fake` provider: the values are in the file.
        "eso-fake-secretstore.yaml": [.secretLiteral],
        "mlops_v1alpha1_notebookvalidationjob_database.yaml": [.secretLiteral],
        "mlops_v1alpha1_notebookvalidationjob_s3.yaml": [.secretLiteral],
        "mlops_v1alpha1_notebookvalidationjob_multi_service.yaml": Array(repeating: .secretLiteral, count: 4),
        // `spec.validation` and `spec.retryPolicy` are not in config/crd/bases.
        "model-training-job.yaml": [.fieldUnknown, .fieldUnknown],
        "model-training-with-deployment.yaml": [.fieldUnknown, .fieldUnknown],
    ]
    static let openshift = ["openshift", "rwo", "argocd", "examples/overlays/repository.yaml"]
    static let kubernetes = [
        "kubernetes", "rwo", "flux", "examples/overlays/repository.yaml", "examples/overlays/registry.yaml",
    ]

    func git(_ arguments: [String]) throws -> Data {
        let (status, data) = try OperatorBuildSamplesTests.mirrorGit(arguments)
        XCTAssertEqual(status, 0, arguments.joined(separator: " "))
        return data
    }

    func testEveryNotebookValidationJobSampleCompilesOnBothPlatforms() throws {
        let listing = String(
            decoding: try git(["ls-tree", "-r", "--name-only", "HEAD", "config/samples/"]), as: UTF8.self)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-samples-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let rendered = folder.appendingPathComponent("out")
        var compiled: [String] = []
        for path in listing.split(separator: "\n").map(String.init) where path.hasSuffix(".yaml") {
            let text = String(decoding: try git(["show", "HEAD:\(path)"]), as: UTF8.self)
            guard text.contains("kind: NotebookValidationJob") else { continue }
            let name = String(path.dropFirst("config/samples/".count))
            let file = folder.appendingPathComponent(name.replacingOccurrences(of: "/", with: "-"))
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
            let s2i = text.range(of: #"strategy:\s*"?s2i"#, options: .regularExpression) != nil
            var kubernetes = Self.kubernetes
            // The community vLLM Deployment runs as its image's root: a Kubernetes namespace of
            // Pod Security baseline takes it (restricted refuses it, NBG250, as the cluster would).
            if name == "community/model-validation-vllm.yaml" {
                kubernetes.append("Tests/NBGitOpsTests/Fixtures/overlays/baseline-cap.yaml")
            }
            for (platform, overlays) in [("openshift", Self.openshift), ("kubernetes", kubernetes)] {
                let (output, diagnostics) = Self.compile(file.path, display: name, overlays: overlays, environment: platform)
                let errors = diagnostics.sorted.filter { $0.severity == .error }
                if let refused = Self.refused[name] {
                    XCTAssertEqual(errors.map(\.id), refused, "\(name) on \(platform)")
                    continue
                }
                if s2i && platform == "kubernetes" {
                    XCTAssertEqual(errors.map(\.id), [.buildUnavailable], name)
                    continue
                }
                XCTAssertEqual(errors.map(\.rendered), [], "\(name) on \(platform)")
                for (environment, files) in output?.files ?? [:] {
                    try PlanFixtures.write(
                        files, under: rendered.appendingPathComponent(file.lastPathComponent + "-" + environment))
                }
                compiled.append("\(name) \(platform)")
            }
        }
        XCTAssertTrue(compiled.contains("model-validation-cross-namespace.yaml openshift"))
        XCTAssertTrue(compiled.contains("model-validation-cross-namespace.yaml kubernetes"))
        XCTAssertGreaterThanOrEqual(compiled.count, 36, "\(compiled)")

        guard let oracle = ProcessInfo.processInfo.environment["NBG_PLAN_ORACLE"] else {
            if RequiredTool.isRequired { throw RequiredTool.missing("NBG_PLAN_ORACLE is not set") }
            return
        }
        let (status, report) = try runTool(oracle, ["validate", rendered.path])
        XCTAssertEqual(status, 0, report)
        XCTAssertTrue(report.contains(" 0 errors"), report)
    }

    static func compile(_ path: String, display: String, overlays: [String], environment: String) -> (
        CompilerOutput?, DiagnosticCollector
    ) {
        let run = TestPipeline.run(
            [SpecFileFinder.Found(path: path, displayPath: display)],
            environments: [TestPipeline.environment(environment, overlays)])
        return (run.output, run.diagnostics)
    }
}
