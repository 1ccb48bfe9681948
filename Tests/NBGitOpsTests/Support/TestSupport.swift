import Foundation
import XCTest

@testable import NBGitOps

/// Loads YAML text as if it came from `file`.
func loadYAML(_ text: String, file: String = "test.yaml", limits: LoadLimits = .standard) -> ([YAMLDocument], DiagnosticCollector) {
    let diagnostics = DiagnosticCollector()
    let documents = YAMLLoader.load(bytes: Array(text.utf8), file: file, limits: limits, diagnostics: diagnostics)
    return (documents, diagnostics)
}

/// Decodes spec text; returns the spec set and the rendered diagnostics.
func decodeSpecs(_ text: String, file: String = "spec.yaml") -> (SpecSet, [String]) {
    let (documents, diagnostics) = loadYAML(text, file: file)
    let set = SpecDecoder.decode(documents, diagnostics: diagnostics)
    return (set, diagnostics.sorted.filter { !isAdvisory($0) }.map(\.rendered))
}

/// The security gate's advisory warnings that nearly every minimal test spec triggers (a
/// tag-only image, NBG137; no resources, NBG274). Tests about other behaviour leave them out;
/// the rules have their own tests (Fixtures/rules, SecurityGateTests). So is the one note of a
/// run whose environments declare no node pools (SchedulingTests), and the one note of an Argo CD
/// environment that leaves platform.argocd.operatorManaged unknown (NBG331, ArgoInstanceTests).
let advisoryRules: Set<RuleID> = [.imageNotByDigest, .resourcesUnset]
func isAdvisory(_ diagnostic: Diagnostic) -> Bool {
    advisoryRules.contains(diagnostic.id) || (diagnostic.id == .unschedulable && diagnostic.severity == .note)
        || diagnostic.id == .argocdHealthChecksInConfigMap
}
func isAdvisory(renderedLine line: String) -> Bool {
    advisoryRules.contains { line.contains("warning[\($0.rawValue)]") } || line.contains("note[NBG300]")
        || line.contains("note[NBG331]")
}

/// The repository root (for overlays/, templates/, examples/).
let repositoryRoot: String = {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
}()

/// A minimal valid job; `podConfig` lines can be appended (indented 4 spaces). `waive`: the
/// value of its `nbgitops.dev/waive` annotation.
func jobSpec(name: String = "demo", waive: String? = nil, extraPodConfig: String = "", extraSpec: String = "") -> String {
    """
    apiVersion: mlops.mlops.dev/v1alpha1
    kind: NotebookValidationJob
    metadata:
      name: \(name)
    \(waiveAnnotation(waive))spec:
      notebook:
        git:
          url: https://github.com/org/repo.git
          ref: main
        path: notebooks/demo.ipynb
      podConfig:
        containerImage: quay.io/jupyter/minimal-notebook:2024-05-27
    \(extraPodConfig)
    \(extraSpec)
    """
}

/// The `metadata.annotations` lines (indented 2 spaces) of a document waived with `waive`; empty for nil.
func waiveAnnotation(_ waive: String?) -> String {
    waive.map { "  annotations:\n    nbgitops.dev/waive: \"\($0)\"\n" } ?? ""
}

/// A Project file (`nbgitops.yaml`) named `p` whose specs are in `specs/`: its output folder
/// and its environments, each a name and its overlays (a flow list: `[kubernetes, rwo]`).
func projectYAML(output: String = "gitops", environments: [(name: String, overlays: String)]) -> String {
    var text = """
        apiVersion: nbgitops.dev/v1alpha1
        kind: Project
        metadata:
          name: p
        spec:
          specs: [specs]
          output: \(output)
          environments:

        """
    for environment in environments {
        text += "  - name: \(environment.name)\n    overlays: \(environment.overlays)\n"
    }
    return text
}

/// An Overlay file named `name` whose `spec` holds the lines `spec` (indented 2 spaces, each
/// ending in a newline).
func overlayYAML(name: String, spec: String) -> String {
    """
    apiVersion: nbgitops.dev/v1alpha1
    kind: Overlay
    metadata:
      name: \(name)
    spec:

    """ + spec
}
