import Foundation
import XCTest

@testable import NBGitOps

/// Jobs are immutable: a changed validation never patches an existing Job. nbgitops' choice is
/// content-derived names plus prune (no sync hooks): a change gives a Job with a new name, the
/// old Job leaves the manifests, and the delivery tool prunes it. Flux additionally marks
/// immutable kinds `force: enabled` for objects whose name does not change.
final class ImmutableObjectsTests: XCTestCase {
    typealias F = PlanFixtures

    func testChangedSpecGivesANewJobAndTheOldOneLeavesTheManifests() throws {
        let before = F.plan(SpecSet(jobs: [F.job(name: "churn-model")]), F.environment()).0
        let after = F.plan(
            SpecSet(jobs: [F.job(name: "churn-model", image: "quay.io/jupyter/scipy-notebook:2025-01-06")]),
            F.environment()
        ).0
        let oldName = try XCTUnwrap(F.jobs(before).first?.name)
        let newName = try XCTUnwrap(F.jobs(after).first?.name)
        XCTAssertNotEqual(oldName, newName)
        XCTAssertTrue(oldName.hasPrefix("nb-churn-model-"))
        XCTAssertFalse(after.objects.contains { $0.name == oldName }, "the old Job is no longer rendered: prune deletes it")
        // Same content, same name: an unchanged spec never re-runs.
        XCTAssertEqual(F.jobs(F.plan(SpecSet(jobs: [F.job(name: "churn-model")]), F.environment()).0).first?.name, oldName)

        // Argo CD prunes (and never needs Replace/Force: no Job is ever patched).
        let application = try XCTUnwrap(after.deliveryObjects.first { $0.kind == "Application" }?.manifest)
        XCTAssertEqual(application.value(at: "spec.syncPolicy.automated.prune"), true)
        XCTAssertNil(F.jobs(after).first?.manifest.value(at: "metadata.annotations[argocd.argoproj.io/sync-options]"))
    }

    func testFluxPrunesWaitsAndForcesImmutableKindsOnly() throws {
        let (plan, _) = F.plan(F.richSpecs(), F.environment(tool: .flux))
        let kustomization = try XCTUnwrap(plan.deliveryObjects.first { $0.kind == "Kustomization" }?.manifest)
        XCTAssertEqual(kustomization.value(at: "spec.prune"), true)
        XCTAssertEqual(kustomization.value(at: "spec.wait"), true)
        for object in plan.objects {
            let force = object.manifest.value(at: "metadata.annotations[kustomize.toolkit.fluxcd.io/force]")
            XCTAssertEqual(force, object.kind == "Job" ? "enabled" : nil, "\(object.kind)/\(object.name)")
        }
        // Argo CD environments carry no Flux annotation.
        let (argo, _) = F.plan(F.richSpecs(), F.environment(tool: .argocd))
        XCTAssertTrue(
            argo.objects.allSatisfy { $0.manifest.value(at: "metadata.annotations[kustomize.toolkit.fluxcd.io/force]") == nil })
    }

    /// The builds folder of a Flux environment: its PipelineRuns are immutable too (a changed
    /// run is a new name, but Flux must never patch one), the rest is not forced.
    func testFluxForcesImmutableBuildObjectsInTheBuildsFolder() throws {
        let plan = try examplePlan("kubernetes")
        let runs = plan.buildObjects.filter { $0.kind == "PipelineRun" }
        XCTAssertEqual(runs.count, 2)
        for object in plan.buildObjects {
            let force = object.manifest.value(at: "metadata.annotations[kustomize.toolkit.fluxcd.io/force]")
            XCTAssertEqual(force, object.kind == "PipelineRun" ? "enabled" : nil, "\(object.kind)/\(object.name)")
        }
    }

    func testFluxTimeoutOutlastsTheLongestJob() throws {
        let (plan, _) = F.plan(
            SpecSet(jobs: [F.job(name: "short", timeoutSeconds: 600), F.job(name: "long", line: 200, timeoutSeconds: 7200)]),
            F.environment(tool: .flux))
        XCTAssertEqual(plan.deliveryObjects.last?.manifest.value(at: "spec.timeout"), "125m")
        XCTAssertEqual(ImmutableObjects.fluxTimeout([]), "5m")
    }

    func testImmutableKinds() {
        func object(_ apiVersion: String, _ kind: String) -> PlannedObject {
            PlannedObject(
                apiVersion: apiVersion, kind: kind, name: "x", namespace: "ns", manifest: [:], wave: .workload, sources: [])
        }
        XCTAssertTrue(ImmutableObjects.isImmutable(object("batch/v1", "Job")))
        XCTAssertTrue(ImmutableObjects.isImmutable(object("tekton.dev/v1", "PipelineRun")))
        XCTAssertTrue(ImmutableObjects.isImmutable(object("build.openshift.io/v1", "Build")))
        XCTAssertFalse(ImmutableObjects.isImmutable(object("v1", "ConfigMap")))
        XCTAssertFalse(ImmutableObjects.isImmutable(object("tekton.dev/v1", "Pipeline")))
    }
}
