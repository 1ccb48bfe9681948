import Foundation
import XCTest

@testable import NBGitOps

/// The Argo CD instance that applies an environment (`platform.argocd`): kinds it excludes
/// (B1) and where its health checks must live (M5). Each test compiles through
/// `CompilerPipeline.run` (a rule fixture's spec with stacked overlays, or the example project).
final class ArgoInstanceTests: XCTestCase {
    static let spec = "Tests/NBGitOpsTests/Fixtures/rules/NBG330-fail.yaml"
    static let rules = "Tests/NBGitOpsTests/Fixtures/overlays/rules.yaml"

    /// Compiles the Tekton-building fixture spec in environment 'openshift' with `overlays`.
    func compile(_ overlays: [String]) -> (output: CompilerOutput?, diagnostics: [Diagnostic]) {
        let run = TestPipeline.run(
            [SpecFileFinder.Found(path: repositoryRoot + "/" + Self.spec, displayPath: "rules/spec.yaml")],
            environments: [TestPipeline.environment("openshift", overlays, source: "<fixture>")])
        return (run.output, run.sorted)
    }

    func file(_ output: CompilerOutput?, _ path: String) -> String? {
        output?.files["openshift"]?.first { $0.path == path }.map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    static let patchPath = "openshift/delivery/argocd-openshift-gitops-snippet.yaml"
    static let configMapPath = "openshift/delivery/configmap-argocd-cm-snippet.yaml"

    /// B1: OpenShift GitOps' default instance excludes tekton.dev PipelineRun; without a chosen
    /// fix the environment is refused at the overlay line that declares the exclusions.
    func testB1_excludedPipelineRunIsALocatedErrorNamingKindAndObjects() {
        let (_, diagnostics) = compile(["openshift", "rwo", "argocd", "openshift-gitops-default", Self.rules])
        let errors = diagnostics.filter { $0.id.rawValue == "NBG330" }
        XCTAssertEqual(errors.count, 1, diagnostics.map(\.rendered).joined(separator: "\n"))
        let error = try? XCTUnwrap(errors.first)
        XCTAssertEqual(error?.severity, .error)
        let rendered = error?.rendered ?? ""
        XCTAssertTrue(rendered.hasPrefix("overlays/openshift-gitops-default.yaml:17:7: error[NBG330]: "), rendered)
        XCTAssertTrue(rendered.contains("excludes tekton.dev/PipelineRun"), rendered)
        XCTAssertTrue(rendered.contains("PipelineRun nb-sales-forecast-build-"), rendered)
        XCTAssertTrue(rendered.contains("delivery.argocd.instancePatch: emit"), rendered)
        XCTAssertTrue(rendered.contains("declare its platform.argocd.resourceExclusions"), rendered)
    }

    /// B1: `delivery.argocd.instancePatch: emit` writes an ArgoCD resource patch whose
    /// resourceExclusions (YAML text) keep every declared exclusion but tekton.dev's.
    func testB1_instancePatchLiftsTheTektonExclusion() throws {
        let (output, diagnostics) = compile([
            "openshift", "rwo", "argocd", "openshift-gitops-default", Self.rules, "examples/overlays/argocd-instance.yaml",
        ])
        XCTAssertFalse(diagnostics.contains { $0.severity == .error }, diagnostics.map(\.rendered).joined(separator: "\n"))
        let plan = try XCTUnwrap(output?.plans.first)
        let patch = try XCTUnwrap(plan.snippets.first { $0.kind == "ArgoCD" })
        XCTAssertEqual(patch.apiVersion, "argoproj.io/v1beta1")
        XCTAssertEqual(patch.namespace, "openshift-gitops")
        let exclusions = try XCTUnwrap(patch.manifest.value(at: "spec.resourceExclusions")?.stringValue)
        XCTAssertFalse(exclusions.contains("tekton.dev"), exclusions)
        XCTAssertTrue(exclusions.contains("- Lease\n"), exclusions)
        let text = try XCTUnwrap(file(output, Self.patchPath))
        XCTAssertTrue(text.contains("kind: ArgoCD\n"), text)
        XCTAssertTrue(text.contains("  resourceExclusions: |\n"), text)
        // Listed in no kustomization: the platform team applies it.
        XCTAssertFalse(file(output, "openshift/delivery/kustomization.yaml")?.contains("argocd-openshift-gitops") ?? true)
    }

    /// M5: an operator-managed instance gets the health checks as spec.resourceHealthChecks
    /// (the argocd-cm snippet would be reverted by the operator), in the same patch file.
    func testM5_operatorManagedInstanceGetsResourceHealthChecks() throws {
        let (output, diagnostics) = compile([
            "openshift", "rwo", "argocd", "openshift-gitops-default", Self.rules, "examples/overlays/argocd-instance.yaml",
        ])
        XCTAssertFalse(diagnostics.contains { $0.id.rawValue == "NBG331" })
        XCTAssertNil(file(output, Self.configMapPath), "argocd-cm snippet written for an operator-managed instance")
        let plan = try XCTUnwrap(output?.plans.first)
        let patch = try XCTUnwrap(plan.snippets.first { $0.kind == "ArgoCD" })
        let checks = try XCTUnwrap(patch.manifest.value(at: "spec.resourceHealthChecks")?.elements)
        let pipelineRun = try XCTUnwrap(checks.first { $0["kind"]?.stringValue == "PipelineRun" })
        XCTAssertEqual(pipelineRun["group"]?.stringValue, "tekton.dev")
        XCTAssertTrue(pipelineRun["check"]?.stringValue?.contains("tekton.dev/PipelineRun") ?? false)
        // Both apply: exclusions and checks in one patch.
        XCTAssertNotNil(patch.manifest.value(at: "spec.resourceExclusions"))
        // The example project stacks the same: its OpenShift environments render no argocd-cm snippet.
        let example = try compileRepositoryExample()
        for name in ["openshift-gpu", "openshift-rwx"] {
            let files = example.files[name]?.map(\.path) ?? []
            XCTAssertTrue(files.contains("\(name)/delivery/argocd-openshift-gitops-snippet.yaml"), name)
            XCTAssertFalse(files.contains("\(name)/delivery/configmap-argocd-cm-snippet.yaml"), name)
        }
    }

    /// M5: unknown whether an operator manages the instance: the argocd-cm snippet stays, with
    /// one note per environment naming the fact to declare; `false` silences it.
    func testM5_unknownOperatorKeepsConfigMapSnippetWithOneNote() {
        let (output, diagnostics) = compile([
            "openshift", "rwo", "argocd", Self.rules, "Tests/NBGitOpsTests/Fixtures/overlays/argocd-instance-namespace.yaml",
        ])
        XCTAssertNotNil(file(output, Self.configMapPath))
        XCTAssertNil(file(output, Self.patchPath))
        let notes = diagnostics.filter { $0.id.rawValue == "NBG331" }
        XCTAssertEqual(notes.count, 1)
        XCTAssertEqual(notes.first?.severity, .note)
        XCTAssertTrue(notes.first?.rendered.contains("platform.argocd.operatorManaged") ?? false)
        let declared = compile([
            "openshift", "rwo", "argocd", Self.rules, "Tests/NBGitOpsTests/Fixtures/overlays/argocd-unmanaged.yaml",
        ])
        XCTAssertFalse(declared.diagnostics.contains { $0.id.rawValue == "NBG331" })
        XCTAssertNotNil(file(declared.output, Self.configMapPath))
    }
    /// NBG331 for every Argo CD environment whose operatorManaged is unknown, also where nothing
    /// else describes the instance (it may be OpenShift GitOps' all the same); once per environment.
    func testNBG331_noteForAnArgoEnvironmentThatDescribesNoInstance() {
        let (output, diagnostics) = compile(["openshift", "rwo", "argocd", Self.rules])
        XCTAssertNotNil(file(output, Self.configMapPath))
        let notes = diagnostics.filter { $0.id.rawValue == "NBG331" }
        XCTAssertEqual(notes.count, 1, diagnostics.map(\.rendered).joined(separator: "\n"))
        XCTAssertEqual(notes.first?.location?.file, "overlays/argocd.yaml")
        let flux = compile(["openshift", "rwo", "flux", Self.rules])
        XCTAssertFalse(flux.diagnostics.contains { $0.id.rawValue == "NBG331" })
    }

    /// `platform.argocd.name` names the ArgoCD patch (object and file); unset, the profile's
    /// `openshift-gitops`.
    func testArgoCDName_namesTheEmittedInstancePatch() throws {
        let (output, diagnostics) = compile([
            "openshift", "rwo", "argocd", "openshift-gitops-default", Self.rules, "examples/overlays/argocd-instance.yaml",
            "Tests/NBGitOpsTests/Fixtures/overlays/argocd-instance-name.yaml",
        ])
        XCTAssertFalse(diagnostics.contains { $0.severity == .error }, diagnostics.map(\.rendered).joined(separator: "\n"))
        let patch = try XCTUnwrap(output?.plans.first?.snippets.first { $0.kind == "ArgoCD" })
        XCTAssertEqual(patch.name, "ml-gitops")
        XCTAssertEqual(patch.namespace, "openshift-gitops")
        XCTAssertNotNil(file(output, "openshift/delivery/argocd-ml-gitops-snippet.yaml"))
        XCTAssertNil(file(output, Self.patchPath))
    }
}
