import Foundation
import XCTest

@testable import NBGitOps

/// B4: KServe's deployment mode is an overlay choice (`serving.deploymentMode`), written on every
/// InferenceService; in Serverless mode the predictor carries only what Knative accepts, or the
/// environment is refused at the overlay line that chose the mode (NBG335). Each test compiles a
/// GPU model served from its claim (Fixtures/rules/NBG202-pass.yaml) through `CompilerPipeline.run`.
final class ServingModeTests: XCTestCase {
    static let spec = "Tests/NBGitOpsTests/Fixtures/rules/NBG202-pass.yaml"
    static let serverless = "Tests/NBGitOpsTests/Fixtures/overlays/serving-serverless.yaml"
    static let features = "Tests/NBGitOpsTests/Fixtures/overlays/knative-features.yaml"
    static let base = [
        "rwo", "gpu-taints", "argocd", "examples/overlays/site-defaults.yaml", "Tests/NBGitOpsTests/Fixtures/overlays/rules.yaml",
    ]

    func compile(_ overlays: [String]) -> (service: PlannedObject?, diagnostics: [Diagnostic]) {
        let at = SourceLocation(file: "<fixture>", line: 1, column: 1)
        let input = CompilerInput(
            specFiles: [SpecFileFinder.Found(path: repositoryRoot + "/" + Self.spec, displayPath: "rules/spec.yaml")],
            environments: [EnvironmentRequest(name: Located("env", at: at), overlays: overlays.map { Located($0, at: at) })],
            baseDirectory: repositoryRoot, resources: ResourceRoot(path: repositoryRoot),
            delivery: .project(outputPath: "gitops"))
        let diagnostics = DiagnosticCollector()
        let output = CompilerPipeline.run(input, diagnostics: diagnostics)
        let service = output?.plans.first.flatMap { everyObject($0).first { $0.kind == "InferenceService" } }
        return (service, diagnostics.sorted)
    }

    static let modeAnnotation = "metadata.annotations[serving.kserve.io/deploymentMode]"

    /// Unset: RawDeployment, written, with the pod-level securityContext a Deployment takes.
    func testB4_theDefaultModeIsRawDeploymentWrittenExplicitly() throws {
        for platform in ["kubernetes", "openshift"] {
            let (service, diagnostics) = compile([platform, "kserve-0.15"] + Self.base)
            XCTAssertFalse(diagnostics.contains { $0.severity == .error }, diagnostics.map(\.rendered).joined(separator: "\n"))
            let isvc = try XCTUnwrap(service)
            XCTAssertEqual(isvc.manifest.value(at: Self.modeAnnotation)?.stringValue, "RawDeployment", platform)
            XCTAssertNotNil(isvc.manifest.value(at: "spec.predictor.securityContext"), platform)
        }
    }

    /// Serverless where Knative admits the placement and the claim: the annotation says so, no
    /// pod-level securityContext field is written (Knative's PodSecurityContextMask rejects
    /// them all at its defaults), and the user and group move to the model container.
    func testB4_serverlessPredictorCarriesNoPodLevelSecurityContext() throws {
        let (service, diagnostics) = compile(["kubernetes"] + Self.base + [Self.serverless, Self.features])
        XCTAssertFalse(diagnostics.contains { $0.severity == .error }, diagnostics.map(\.rendered).joined(separator: "\n"))
        let isvc = try XCTUnwrap(service)
        XCTAssertEqual(isvc.manifest.value(at: Self.modeAnnotation)?.stringValue, "Serverless")
        XCTAssertNil(isvc.manifest.value(at: "spec.predictor.securityContext"))
        let container = try XCTUnwrap(isvc.manifest.value(at: "spec.predictor.model.securityContext"))
        XCTAssertEqual(container["runAsUser"]?.intValue, SecuritySettings.defaultRunAsUser)
        XCTAssertEqual(container["runAsGroup"]?.intValue, 0)
        XCTAssertEqual(container["runAsNonRoot"]?.boolValue, true)
        XCTAssertNil(container["fsGroup"])
        // Where the mode came from: the overlay line.
        let origin = try XCTUnwrap(isvc.provenance["metadata.annotations[serving.kserve.io/deploymentMode]"])
        XCTAssertEqual(origin.origin.location?.file, Self.serverless)
        // OpenShift AI 2.x's Knative admits GPU placement and claims: accepted, no UID pinned.
        let (openshift, more) = compile(["openshift", "openshift-ai-2"] + Self.base + [Self.serverless])
        XCTAssertFalse(more.contains { $0.severity == .error }, more.map(\.rendered).joined(separator: "\n"))
        XCTAssertNil(openshift?.manifest.value(at: "spec.predictor.securityContext"))
        XCTAssertNotNil(openshift?.manifest.value(at: "spec.predictor.tolerations"))
    }

    /// Serverless on a Knative at upstream defaults (features unknown): the GPU predictor's
    /// nodeSelector, tolerations and claim would be rejected: a located error at the overlay line.
    func testB4_serverlessWithoutKnativeFeaturesIsALocatedErrorAtTheOverlayLine() throws {
        let (_, diagnostics) = compile(["kubernetes", "kserve-0.15"] + Self.base + [Self.serverless])
        let errors = diagnostics.filter { $0.id.rawValue == "NBG335" }
        XCTAssertEqual(errors.count, 1, diagnostics.map(\.rendered).joined(separator: "\n"))
        let rendered = errors.first?.rendered ?? ""
        XCTAssertTrue(rendered.hasPrefix("\(Self.serverless):8:21: error[NBG335]: InferenceService nb-granite"), rendered)
        XCTAssertTrue(rendered.contains("kubernetes.podspec-tolerations"), rendered)
        XCTAssertTrue(rendered.contains("platform.knative.features: unknown"), rendered)
        XCTAssertTrue(errors.first?.help?.contains("serving.deploymentMode: RawDeployment") ?? false)
    }

    /// OpenShift AI 3 has no Serverless mode: refused, with a note at the version's line.
    func testB4_serverlessOnOpenShiftAI3IsRefusedNamingTheVersion() throws {
        let (_, diagnostics) = compile(
            ["openshift", "openshift-ai-2"] + Self.base + [
                "Tests/NBGitOpsTests/Fixtures/overlays/openshift-ai-3.yaml", Self.serverless,
            ])
        let errors = diagnostics.filter { $0.id.rawValue == "NBG335" }
        XCTAssertEqual(errors.count, 1, diagnostics.map(\.rendered).joined(separator: "\n"))
        XCTAssertTrue(errors.first?.message.contains("OpenShift AI 3.0") ?? false)
        XCTAssertEqual(errors.first?.notes.first?.location?.file, "Tests/NBGitOpsTests/Fixtures/overlays/openshift-ai-3.yaml")
    }

    /// A mode KServe does not take is a located schema error at the overlay line.
    func testB4_anUnknownModeIsALocatedError() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("b4-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let overlay = folder.appendingPathComponent("mode.yaml").path
        try """
        apiVersion: nbgitops.dev/v1alpha1
        kind: Overlay
        metadata:
          name: mode
        spec:
          serving:
            deploymentMode: Knative
        """.write(toFile: overlay, atomically: true, encoding: .utf8)
        let (_, diagnostics) = compile(["kubernetes"] + Self.base + [overlay])
        let error = diagnostics.first { $0.severity == .error && $0.location?.line == 7 }
        XCTAssertNotNil(error, diagnostics.map(\.rendered).joined(separator: "\n"))
    }
}
