import Foundation
import XCTest

@testable import NBGitOps

private typealias F = PlanFixtures

/// What the security gate (scripts/security-scan, no exceptions in validation pods) relies on:
/// `defaults.resources`, the UID settings and the pinned OpenShift namespace range.
final class SecurityGateTests: XCTestCase {
    private func overlayEnvironment(_ body: String, platform: String = "kubernetes") throws -> (Environment, DiagnosticCollector) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-gate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("site.yaml").path
        try ("apiVersion: nbgitops.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: site\nspec:\n  platform: \(platform)\n" + body)
            .write(toFile: file, atomically: true, encoding: .utf8)
        let diagnostics = DiagnosticCollector()
        let overlay = try XCTUnwrap(
            OverlayLoader.load(
                OverlayReference(name: "site", file: file, isBuiltin: false), resourceRoot: repositoryRoot,
                diagnostics: diagnostics), "\(diagnostics.sorted.map(\.rendered))")
        return (EnvironmentResolver.resolve(name: "site", overlays: [overlay], diagnostics: diagnostics), diagnostics)
    }

    // MARK: defaults.resources

    func testDefaultsResourcesAreTracedToTheirOverlayLine() throws {
        let (environment, diagnostics) = try overlayEnvironment(
            "  defaults:\n    resources:\n      requests: {cpu: 250m, memory: 1Gi}\n      limits:\n        cpu: \"2\"\n        memory: 4Gi\n")
        XCTAssertEqual(diagnostics.sorted.map(\.rendered), [])
        XCTAssertEqual(environment.defaults.requests["cpu"]?.value, "250m")
        XCTAssertEqual(environment.defaults.limits["memory"]?.value, "4Gi")
        XCTAssertEqual(environment.defaults.limits["memory"]?.origin.location?.line, 12)
        XCTAssertNil(environment.defaults.requests["ephemeral-storage"])
    }

    func testDefaultsResourcesRejectAnUnknownResourceAndABadQuantity() throws {
        let (_, diagnostics) = try overlayEnvironment("  defaults:\n    resources:\n      limits: {cpu: lots}\n")
        XCTAssertTrue(diagnostics.hasErrors, "\(diagnostics.sorted.map(\.rendered))")
    }

    func testSpecValuesWinAndDefaultsFillOnlyWhatIsUnset() {
        let defaults = SpecDefaults(
            requests: ["cpu": F.overlay("500m", line: 30), "memory": F.overlay("2Gi", line: 31)],
            limits: ["cpu": F.overlay("2", line: 32), "memory": F.overlay("4Gi", line: 33)])
        // Nothing in the spec: all four defaults.
        XCTAssertEqual(
            ValidationJobPlanner.withDefaults(nil, defaults),
            ["requests": ["cpu": "500m", "memory": "2Gi"], "limits": ["cpu": "2", "memory": "4Gi"]])
        // The spec's request and limit win; a lone spec limit keeps the default request out
        // (Kubernetes copies the limit); a default limit below the spec's request is not applied.
        let spec: ManifestNode = ["requests": ["cpu": "4"], "limits": ["memory": "1Gi"]]
        XCTAssertEqual(
            ValidationJobPlanner.withDefaults(spec, defaults),
            ["requests": ["cpu": "4"], "limits": ["memory": "1Gi"]])
        // Defaults that contradict each other (request above limit) never make an invalid pod.
        let contradictory = SpecDefaults(
            requests: ["memory": F.overlay("8Gi", line: 31)], limits: ["memory": F.overlay("4Gi", line: 33)])
        XCTAssertNil(ValidationJobPlanner.withDefaults(nil, contradictory))
        // Without defaults the spec's resources are kept as they are.
        XCTAssertEqual(ValidationJobPlanner.withDefaults(spec, SpecDefaults()), spec)
        XCTAssertNil(ValidationJobPlanner.withDefaults(nil, SpecDefaults()))
    }

    func testNBG274ReportsWhatStaysUnsetAfterDefaultsAndDefaultsSilenceIt() {
        var environment = F.environment()
        let specs = SpecSet(jobs: [F.job(resources: ["requests": ["cpu": "4"]])])
        func findings(_ environment: Environment) -> [String] {
            let (plan, diagnostics) = F.plan(specs, environment)
            PlanChecker.check([plan], specs: specs, diagnostics: diagnostics)
            return diagnostics.sorted.filter { $0.id == .resourcesUnset }.map { $0.rendered.components(separatedBy: "\n")[0] }
        }
        XCTAssertEqual(
            findings(environment),
            [
                "specs/jobs.yaml:21:21: warning[NBG274]: the notebook container of 'churn-model' has no requests.memory, limits.cpu, limits.memory, even after the environment's defaults"
            ])
        environment.defaults = SpecDefaults(
            requests: ["memory": F.overlay("2Gi", line: 31)],
            limits: ["cpu": F.overlay("8", line: 32), "memory": F.overlay("4Gi", line: 33)])
        XCTAssertEqual(findings(environment), [])
    }

    // MARK: UIDs

    func testKubernetesUIDIsHighByDefaultAndOverlaySettable() throws {
        let (standard, _) = try overlayEnvironment("")
        XCTAssertEqual(standard.security.runAsUser.value, 10001)
        let (custom, diagnostics) = try overlayEnvironment("  security:\n    runAsUser: 65532\n")
        XCTAssertEqual(diagnostics.sorted.map(\.rendered), [])
        XCTAssertEqual(custom.security.runAsUser.value, 65532)
        let (plan, _) = F.plan(SpecSet(jobs: [F.job()]), { var e = custom; e.naming = F.environment().naming; return e }())
        let job = try XCTUnwrap(F.job(plan, instance: "churn-model"))
        XCTAssertEqual(job.value(at: "spec.template.spec.securityContext.runAsUser"), 65532)
        XCTAssertEqual(job.value(at: "spec.template.spec.securityContext.runAsGroup"), 100)
        // A low UID is refused by the overlay schema (checkov CKV_K8S_40 wants ≥ 10000).
        let (_, low) = try overlayEnvironment("  security:\n    runAsUser: 1000\n")
        XCTAssertTrue(low.hasErrors)
    }

    func testOpenShiftPinsTheNamespaceRangeOnlyWithUIDRangeAndMCS() throws {
        var environment = F.environment()
        environment.security.uidRange = F.overlay(1_000_680_000...1_000_689_999, line: 23)
        // A range alone is a declaration for the rules: nothing written, the SCC picks the UID.
        do {
            let (plan, _) = F.plan(SpecSet(jobs: [F.job()]), environment)
            XCTAssertNil(F.job(plan, instance: "churn-model")?.value(at: "spec.template.spec.securityContext.runAsUser"))
            XCTAssertNil(F.object(plan, kind: "Namespace", name: "nb-validation")?.value(at: "metadata.annotations[openshift.io/sa.scc.uid-range]"))
        }
        environment.security.mcs = F.overlay("s0:c26,c15", line: 24)
        let (plan, diagnostics) = F.plan(SpecSet(jobs: [F.job()]), environment)
        PlanChecker.check([plan], specs: SpecSet(jobs: [F.job()]), diagnostics: diagnostics)
        XCTAssertEqual(diagnostics.sorted.filter { $0.severity == .error }.map(\.rendered), [])
        XCTAssertEqual(F.job(plan, instance: "churn-model")?.value(at: "spec.template.spec.securityContext.runAsUser"), 1_000_680_000)
        XCTAssertNil(F.job(plan, instance: "churn-model")?.value(at: "spec.template.spec.securityContext.fsGroup"))
        let namespace = try XCTUnwrap(F.object(plan, kind: "Namespace", name: "nb-validation"))
        XCTAssertEqual(namespace.value(at: "metadata.annotations[openshift.io/sa.scc.uid-range]"), "1000680000/10000")
        XCTAssertEqual(namespace.value(at: "metadata.annotations[openshift.io/sa.scc.supplemental-groups]"), "1000680000/10000")
        XCTAssertEqual(namespace.value(at: "metadata.annotations[openshift.io/sa.scc.mcs]"), "s0:c26,c15")
    }

    func testMCSIsValidatedByTheOverlaySchema() throws {
        let (environment, diagnostics) = try overlayEnvironment(
            "  security:\n    uidRange: 1000680000/10000\n    mcs: s0:c26,c15\n", platform: "openshift")
        XCTAssertEqual(diagnostics.sorted.map(\.rendered), [])
        XCTAssertEqual(environment.security.pinnedUID(on: .openshift), 1_000_680_000)
        XCTAssertNil(environment.security.pinnedUID(on: .kubernetes))
        let (_, bad) = try overlayEnvironment("  security:\n    mcs: c26\n", platform: "openshift")
        XCTAssertTrue(bad.hasErrors)
    }
}
