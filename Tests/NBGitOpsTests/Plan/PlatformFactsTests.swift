import Foundation
import XCTest

@testable import NBGitOps

/// The typed `platform` overlay section (docs/platforms.md), its built-in profiles, and M6
/// (`healthCheckExprs` only where the declared Flux has them), all through `CompilerPipeline.run`.
final class PlatformFactsTests: XCTestCase {
    static let builtinProfiles = [
        "openshift-4.18", "openshift-4.20", "openshift-gitops-default", "openshift-ai-2", "kubernetes-1.33",
        "kubernetes-1.35", "tekton-1.x", "kserve-0.15", "flux-2.6",
    ]

    /// The example's Kubernetes + Flux environment with `extra` overlays stacked after its own.
    static func kubernetesOverlays(_ extra: [String]) -> [String] {
        [
            "kubernetes", "rwo", "flux", "examples/overlays/repository.yaml", "examples/overlays/registry.yaml",
            "examples/overlays/site-defaults.yaml", "examples/overlays/teams.yaml",
        ] + extra
    }

    /// The example's OpenShift + Argo CD environment with `extra` overlays stacked after its own.
    static func openshiftOverlays(_ extra: [String]) -> [String] {
        [
            "openshift", "rwo", "gpu-taints", "argocd", "examples/overlays/repository.yaml",
            "examples/overlays/gpu-cluster.yaml", "examples/overlays/site-defaults.yaml",
            "examples/overlays/openshift-uids.yaml", "examples/overlays/teams.yaml",
            // The example's sklearn runtime, which OpenShift AI does not install (NBG341).
            "examples/overlays/serving-runtimes.yaml",
        ] + extra
    }

    /// Compiles `examples/specs` (or `specs`) in one environment; returns the output (nil on
    /// errors) and every diagnostic.
    func compile(
        _ overlays: [String], name: String = "env", specs: String = "examples/specs"
    ) -> (CompilerOutput?, [Diagnostic]) {
        Self.compile(overlays, name: name, specs: specs)
    }

    static func compile(
        _ overlays: [String], name: String = "env", specs: String = "examples/specs"
    ) -> (CompilerOutput?, [Diagnostic]) {
        let diagnostics = DiagnosticCollector()
        let files = TestPipeline.files([specs], diagnostics: diagnostics)
        let run = TestPipeline.run(
            TestPipeline.input(files, environments: [TestPipeline.environment(name, overlays)]), diagnostics: diagnostics)
        return (run.output, run.sorted)
    }

    func kustomizations(_ output: CompilerOutput?) -> [ManifestNode] {
        let plan = output?.plans.first
        return ((plan?.deliveryObjects ?? []) + (plan?.buildObjects ?? []) + (plan?.servingObjects ?? []))
            .filter { $0.kind == "Kustomization" }.map(\.manifest)
    }

    // MARK: - M6

    /// M6: Flux 2.4 has no `spec.healthCheckExprs` (kustomize-controller API v1.5.0, Flux 2.5).
    /// Declared older: refused with NBG310 at the overlay line that declared the version.
    func testM6_FluxDeclaredBefore2_5IsRefusedAtTheDeclaringLine() throws {
        let (output, diagnostics) = compile(
            Self.kubernetesOverlays(["Tests/NBGitOpsTests/Fixtures/overlays/flux-2.4.yaml"]))
        XCTAssertTrue(output == nil, "expected no output")
        let found = try XCTUnwrap(
            diagnostics.first { $0.id == .fluxCannotWait }, diagnostics.map(\.rendered).joined(separator: "\n"))
        XCTAssertEqual(found.location?.file, "Tests/NBGitOpsTests/Fixtures/overlays/flux-2.4.yaml")
        XCTAssertEqual(found.location?.line, 8)
        XCTAssertTrue(found.message.contains("declares Flux 2.4"), found.message)
        XCTAssertTrue(found.rendered.contains("help:"), found.rendered)
    }

    /// M6: Flux declared 2.5 or later (the flux-2.6 profile) waits on PipelineRuns with CEL.
    func testM6_FluxDeclared2_6KeepsHealthCheckExprs() throws {
        let (output, diagnostics) = compile(Self.kubernetesOverlays(["flux-2.6"]))
        XCTAssertNotNil(output, diagnostics.map(\.rendered).joined(separator: "\n"))
        let withCEL = kustomizations(output).filter { $0.value(at: "spec.healthCheckExprs") != nil }
        XCTAssertGreaterThanOrEqual(withCEL.count, 2, "the validation and builds Kustomizations wait with CEL")
    }

    /// M6: Flux undeclared is taken as the supported ≥ 2.5 (docs/platforms.md): CEL is emitted.
    func testM6_FluxUnknownKeepsHealthCheckExprs() throws {
        let (output, diagnostics) = compile(Self.kubernetesOverlays([]))
        XCTAssertNotNil(output, diagnostics.map(\.rendered).joined(separator: "\n"))
        XCTAssertNil(output?.plans.first?.environment.facts.versions[.flux])
        XCTAssertGreaterThanOrEqual(
            kustomizations(output).filter { $0.value(at: "spec.healthCheckExprs") != nil }.count, 2)
    }

    /// M6: on a declared Flux 2.4 with nothing to wait for (no build, no model pipeline), NBG310
    /// stays silent, the Kustomizations carry no healthCheckExprs and the environment compiles.
    func testM6_FluxDeclaredBefore2_5WithNothingToWaitForCompiles() throws {
        let (output, diagnostics) = compile(
            Self.kubernetesOverlays(["Tests/NBGitOpsTests/Fixtures/overlays/flux-2.4.yaml"]),
            specs: "examples/specs/01-public-basic.yaml")
        XCTAssertNotNil(output, diagnostics.map(\.rendered).joined(separator: "\n"))
        XCTAssertFalse(kustomizations(output).isEmpty)
        XCTAssertTrue(kustomizations(output).allSatisfy { $0.value(at: "spec.healthCheckExprs") == nil })
    }

    // MARK: - Facts

    /// Every fact of a profile is resolved with the overlay file and line that set it.
    func testFactsAreTracedToTheOverlayLine() throws {
        let (output, diagnostics) = compile(
            Self.kubernetesOverlays([
                "tekton-1.x", "kserve-0.15", "flux-2.6",
                "examples/overlays/kserve-modelcar.yaml",
            ]))
        let environment = try XCTUnwrap(output?.plans.first?.environment, diagnostics.map(\.rendered).joined(separator: "\n"))
        let facts = environment.facts
        XCTAssertEqual(facts.tektonDefaultTimeoutMinutes.value, 60)
        XCTAssertEqual(facts.tektonDefaultTimeoutMinutes.origin.location?.file, "overlays/tekton-1.x.yaml")
        XCTAssertEqual(facts.tektonDefaultTimeoutMinutes.origin.location?.line, 16)
        XCTAssertEqual(facts.tektonSetSecurityContext.value, false)
        XCTAssertEqual(facts.kserveDefaultDeploymentMode.value, "Serverless")
        XCTAssertEqual(facts.versions[.flux]?.value, "2.6")
        XCTAssertEqual(facts.version(.flux, atLeast: 2, 5), true)
        XCTAssertNil(facts.version(.tektonPipelines, atLeast: 1, 11), "\"1\" cannot decide 1.11")
        // The alias: platform.kserve.enableModelcar of a later overlay wins over kserve-0.15's false.
        XCTAssertEqual(environment.kserve.enableModelcar.value, true)
        XCTAssertEqual(environment.kserve.enableModelcar.origin.location?.file, "examples/overlays/kserve-modelcar.yaml")
        let explained = try XCTUnwrap(environment.explainPlatform("platform.tekton"))
        XCTAssertTrue(
            explained.contains(
                "platform.tekton.defaultTimeoutMinutes: 60\n  set by overlay 'tekton-1.x' at overlays/tekton-1.x.yaml:16"),
            explained)
    }

    /// A fact no overlay declares is unknown (nil), never a guessed default.
    func testUndeclaredFactsAreUnknown() throws {
        let (output, diagnostics) = compile(Self.kubernetesOverlays([]))
        let environment = try XCTUnwrap(output?.plans.first?.environment, diagnostics.map(\.rendered).joined(separator: "\n"))
        for entry in environment.platformFactEntries
        where entry.path != "platform.name" && entry.path != "platform.tekton.coschedule" {
            XCTAssertEqual(entry.value, "unknown", entry.path)
            XCTAssertNil(entry.origin.location, entry.path)
        }
    }

    /// An unknown field under `platform` is a located error (NBG102) naming the field.
    func testUnknownPlatformFieldIsALocatedError() throws {
        let (output, diagnostics) = compile(
            Self.kubernetesOverlays(["Tests/NBGitOpsTests/Fixtures/overlays/platform-typo.yaml"]))
        XCTAssertTrue(output == nil, "expected no output")
        let found = try XCTUnwrap(
            diagnostics.first { $0.id == .fieldUnknown }, diagnostics.map(\.rendered).joined(separator: "\n"))
        XCTAssertEqual(found.location?.file, "Tests/NBGitOpsTests/Fixtures/overlays/platform-typo.yaml")
        XCTAssertEqual(found.location?.line, 8)
        XCTAssertTrue(found.rendered.contains("did you mean 'setSecurityContext'?"), found.rendered)
    }

    /// `platform: openshift` (the name) and `platform: {name: openshift}` stack: a later facts
    /// mapping without a name leaves the platform an earlier overlay named.
    func testPlatformNameAndFactsStack() throws {
        let (output, diagnostics) = compile(
            Self.openshiftOverlays([
                "openshift-ai-2", "openshift-gitops-default", "examples/overlays/argocd-instance.yaml",
            ]))
        let environment = try XCTUnwrap(output?.plans.first?.environment, diagnostics.map(\.rendered).joined(separator: "\n"))
        XCTAssertEqual(environment.platform.value, .openshift)
        XCTAssertEqual(environment.facts.argocdOperatorManaged.value, true)
        let exclusions = try XCTUnwrap(environment.facts.argocdResourceExclusions.value)
        XCTAssertTrue(exclusions.contains { $0.excludes(group: "tekton.dev", kind: "PipelineRun") })
        let (kubernetes, more) = compile(["openshift", "kubernetes-1.35"] + Self.kubernetesOverlays([]).dropFirst())
        XCTAssertEqual(kubernetes?.plans.first?.environment.platform.value, .kubernetes, more.map(\.rendered).joined())
    }

    /// `nbgitops explain ENV platform...` (the built binary, the example project) prints each fact
    /// with the overlay line that declared it, and "unknown" for the undeclared.
    func testExplainPrintsTheFactsAndTheirOverlayLines() throws {
        let project = try IntegrationProject()
        let run = try project.run(["explain", "kubernetes", "platform.versions"])
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertTrue(
            run.stdout.contains("platform.versions.flux: \"2.6\"\n  set by overlay 'flux-2.6' at overlays/flux-2.6.yaml:"),
            run.stdout)
        XCTAssertTrue(run.stdout.contains("platform.versions.openshift: unknown\n  built-in default"), run.stdout)
        let missing = try project.run(["explain", "kubernetes", "platform.nothing"])
        XCTAssertEqual(missing.status, 1, "\(missing)")
    }

    // MARK: - Profiles

    /// Each built-in profile exists, and the example rendered with it stacked passes the strict
    /// manifest oracle (when `NBG_PLAN_ORACLE` names it, as `.ci/run` does).
    func testEveryProfileRendersTheExampleThroughTheOracle() throws {
        let available = OverlayLoader.builtinNames(resourceRoot: repositoryRoot)
        let oracle = ProcessInfo.processInfo.environment["NBG_PLAN_ORACLE"]
        if oracle == nil, RequiredTool.isRequired { throw RequiredTool.missing("NBG_PLAN_ORACLE is not set") }
        for profile in Self.builtinProfiles {
            XCTAssertTrue(available.contains(profile), "no built-in profile \(profile)")
            let overlays =
                profile == "openshift-gitops-default"
                // Its tekton.dev exclusion is lifted by the example's ArgoCD resource patch (NBG330).
                ? Self.openshiftOverlays([profile, "examples/overlays/argocd-instance.yaml"])
                : profile.hasPrefix("openshift")
                    ? Self.openshiftOverlays([profile])
                    : Self.kubernetesOverlays([profile, "examples/overlays/kserve-modelcar.yaml"])
            let (output, diagnostics) = compile(overlays, name: profile)
            let compiled = try XCTUnwrap(output, "\(profile): " + diagnostics.map(\.rendered).joined(separator: "\n"))
            guard let oracle else { continue }
            let directory = URL(fileURLWithPath: NSTemporaryDirectory() + "nbgitops-profile-\(profile)-\(getpid())")
            try? FileManager.default.removeItem(at: directory)
            for (name, files) in compiled.files { try PlanFixtures.write(files, under: directory.appendingPathComponent(name)) }
            let (status, text) = try runTool(oracle, ["validate", directory.path])
            XCTAssertEqual(status, 0, "\(profile): \(text)")
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// docs/platforms.md lists every fact of the overlay schema's `platform` mapping.
    func testEveryFactIsDocumented() throws {
        let docs = try String(contentsOfFile: repositoryRoot + "/docs/platforms.md", encoding: .utf8)
        let schema = try XCTUnwrap(CRDSchemas.overlaySpec?.properties["platform"])
        func paths(_ schema: Schema, _ prefix: String) -> [String] {
            schema.properties.keys.sorted().flatMap { key -> [String] in
                let child = schema.properties[key]
                let path = prefix + "." + key
                if let child, child.type == .object, !child.properties.isEmpty { return paths(child, path) }
                return [path]
            }
        }
        let all = paths(schema, "platform")
        XCTAssertGreaterThan(all.count, 20)
        for path in all { XCTAssertTrue(docs.contains("`\(path)`"), "docs/platforms.md does not list \(path)") }
        for profile in Self.builtinProfiles { XCTAssertTrue(docs.contains("`\(profile)`"), "docs/platforms.md: \(profile)") }
    }
}
