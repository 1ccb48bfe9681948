import Foundation
import XCTest

@testable import NBGitOps

/// NBG139 through `CompilerPipeline.run`: objects of any spec kind never land in a namespace
/// the cluster, its platform or the delivery tool owns, whether the spec writes it or an
/// overlay's mapping (`naming.namespace`, `naming.namespaces`, `naming.namespacePrefix`)
/// produces it. (Fixtures/rules/NBG139-fail.yaml covers the written and entry-mapped cases.)
final class SystemNamespaceTests: XCTestCase {
    static let base =
        "openshift, rwo, argocd, examples/overlays/repository.yaml, examples/overlays/site-defaults.yaml"

    func diagnostics(_ spec: String, overlays: String) throws -> [String] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-ns-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("spec.yaml").path
        try Data(spec.utf8).write(to: URL(fileURLWithPath: path))
        return RuleFixtureTests.pipelineDiagnostics(path: path, display: "specs/spec.yaml", overlays: overlays)
            .filter { $0.id == .systemNamespace }
            .map { String($0.rendered.split(separator: "\n").first ?? "") }
    }

    func testEverySystemNamespaceWrittenInASpecIsRefusedAtItsValue() throws {
        for namespace in [
            "kube-system", "kube-public", "kube-node-lease", "default", "openshift", "openshift-monitoring", "flux-system",
            "argocd", "tekton-pipelines", "knative-serving", "kserve", "istio-system", "redhat-ods-applications",
        ] {
            let spec = jobSpec().replacingOccurrences(of: "  name: demo\n", with: "  name: demo\n  namespace: \(namespace)\n")
            let found = try diagnostics(spec, overlays: Self.base)
            XCTAssertEqual(found.count, 1, "\(namespace): \(found)")
            XCTAssertTrue(
                found.first?.hasPrefix(
                    "specs/spec.yaml:5:14: error[NBG139]: NotebookValidationJob 'demo' is placed in namespace '\(namespace)'")
                    == true, "\(namespace): \(found)")
        }
    }

    func testOrdinaryNamespacesPass() throws {
        for namespace in ["team-a", "notebook-validation", "kubeflow-user", "defaults", "ml-openshift"] {
            let spec = jobSpec().replacingOccurrences(of: "  name: demo\n", with: "  name: demo\n  namespace: \(namespace)\n")
            XCTAssertEqual(try diagnostics(spec, overlays: Self.base), [], namespace)
        }
    }

    func testTheFluxControllerNamespaceIsTheDeliveryNamespace() throws {
        let spec = jobSpec().replacingOccurrences(of: "  name: demo\n", with: "  name: demo\n  namespace: flux-system\n")
        let found = try diagnostics(
            spec, overlays: "kubernetes, rwo, flux, examples/overlays/repository.yaml, examples/overlays/site-defaults.yaml")
        XCTAssertEqual(
            found,
            [
                "specs/spec.yaml:5:14: error[NBG139]: NotebookValidationJob 'demo' is placed in namespace 'flux-system', the namespace of the environment's delivery controller; nbgitops would create, label and prune it"
            ])
    }

    func testAPrefixMappingOntoASystemNamespaceIsRefusedAtTheOverlayLine() throws {
        let spec = jobSpec().replacingOccurrences(of: "  name: demo\n", with: "  name: demo\n  namespace: team-a\n")
        let found = try diagnostics(
            spec, overlays: Self.base + ", Tests/NBGitOpsTests/Fixtures/overlays/system-namespace-prefix.yaml")
        XCTAssertEqual(
            found,
            [
                "Tests/NBGitOpsTests/Fixtures/overlays/system-namespace-prefix.yaml:8:22: error[NBG139]: environment 'openshift' maps NotebookValidationJob 'demo' (namespace 'team-a') into namespace 'kube-team-a', a namespace the cluster or its platform owns (prefix 'kube-'); nbgitops would create, label and prune it"
            ])
    }

    func testAnEnvironmentWhoseOwnNamespaceIsSystemIsRefusedAtTheOverlayLine() throws {
        let found = try diagnostics(
            jobSpec(), overlays: Self.base + ", Tests/NBGitOpsTests/Fixtures/overlays/system-own-namespace.yaml")
        XCTAssertEqual(
            found,
            [
                "Tests/NBGitOpsTests/Fixtures/overlays/system-own-namespace.yaml:8:16: error[NBG139]: environment 'openshift' maps its own namespace (naming.namespace) into namespace 'default', a namespace the cluster or its platform owns; nbgitops would create, label and prune it"
            ])
    }
}
