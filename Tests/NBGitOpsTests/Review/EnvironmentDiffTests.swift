import Foundation
import XCTest

@testable import NBGitOps

/// `nbgitops diff` over the repository's example environments.
final class EnvironmentDiffTests: XCTestCase {
    func testGPUAndRWXEnvironmentsDifferInTheGPUJobAndNamespace() throws {
        let output = try compileRepositoryExample()
        let plans = Dictionary(uniqueKeysWithValues: output.plans.map { ($0.environment.name, $0) })
        let diff = EnvironmentDiff.compare(try XCTUnwrap(plans["openshift-gpu"]), try XCTUnwrap(plans["openshift-rwx"]))
        XCTAssertEqual(diff.added, 0)
        XCTAssertEqual(diff.removed, 0)
        let gpuJob = try XCTUnwrap(diff.objects.first { $0.kind == "Job" && $0.identity == "gpu-finetune" })
        XCTAssertEqual(gpuJob.change, .changed)
        XCTAssertEqual(gpuJob.fromName, "gpu-finetune-7b3d5992")
        XCTAssertEqual(gpuJob.toName, "gpu-finetune-b2a13e1a")
        XCTAssertEqual(
            gpuJob.fields.map(\.path),
            [
                "metadata.name", "metadata.namespace", "spec.template.spec.nodeSelector[nvidia.com/gpu.present]",
                "spec.template.spec.tolerations[0].effect", "spec.template.spec.tolerations[0].key",
                "spec.template.spec.tolerations[0].operator", "spec.template.spec.tolerations[0].value",
            ])
        XCTAssertEqual(gpuJob.fields[4].from, "nvidia.com/gpu")
        XCTAssertNil(gpuJob.fields[4].to)
        // A job that does not use the GPU differs only by namespace.
        let intro = try XCTUnwrap(diff.objects.first { $0.identity == "intro-statistics" })
        XCTAssertEqual(intro.fields.map(\.path), ["metadata.namespace"])

        let text = diff.renderText()
        XCTAssertTrue(text.hasPrefix("--- openshift-gpu\n+++ openshift-rwx\n"), text)
        XCTAssertTrue(
            text.contains(
                "~ Job/gpu-finetune  (gpu-finetune-7b3d5992 → gpu-finetune-b2a13e1a)\n    metadata.name: \"gpu-finetune-7b3d5992\" → \"gpu-finetune-b2a13e1a\"\n"
            ), text)
        XCTAssertTrue(text.contains("    spec.template.spec.tolerations[0].key: \"nvidia.com/gpu\" → (absent)\n"), text)
        XCTAssertTrue(
            text.hasSuffix(
                "openshift-gpu → openshift-rwx: 0 added, 0 removed, \(diff.changed) changed, \(diff.unchanged) identical\n"))
    }

    func testArgoToFluxShowsDeliveryObjectsAddedAndRemoved() throws {
        let output = try compileRepositoryExample()
        let plans = Dictionary(uniqueKeysWithValues: output.plans.map { ($0.environment.name, $0) })
        let diff = EnvironmentDiff.compare(try XCTUnwrap(plans["openshift-rwx"]), try XCTUnwrap(plans["kubernetes"]))
        let removed = diff.objects.filter { $0.change == .removed }.map { "\($0.kind)/\($0.fromName ?? "")" }
        let added = diff.objects.filter { $0.change == .added }.map { "\($0.kind)/\($0.toName ?? "")" }
        // OpenShift-only build objects (SCC and registry RoleBindings, ImageStreams, S2I builds and
        // the jobs annotated nbgitops.dev/platforms: openshift) and the Argo CD objects leave; the
        // Flux objects (with the builds Kustomization) arrive.
        XCTAssertEqual(
            removed,
            [
                "RoleBinding/nbgitops-buildah-image-builder", "RoleBinding/nbgitops-buildah-pipelines-scc",
                "RoleBinding/nbgitops-image-puller", "ImageStream/fraud-features-build", "ImageStream/sales-forecast-build",
                "BuildConfig/churn-retrain-s2i-3a15b98e", "BuildConfig/vision-eval-s2i-b3530dec",
                "ImageStream/churn-retrain-s2i", "ImageStream/vision-eval-s2i", "Job/churn-retrain-s2i-569d8719",
                "Job/vision-eval-s2i-347bcd05", "Application/openshift-rwx", "AppProject/openshift-rwx",
                "ConfigMap/argocd-cm",
            ])
        XCTAssertEqual(added, ["GitRepository/kubernetes", "Kustomization/kubernetes-builds", "Kustomization/kubernetes"])
        // A build's PipelineRun (named by content hash) pairs with its counterpart by job, as do
        // the build namespaces.
        let run = try XCTUnwrap(diff.objects.first { $0.kind == "PipelineRun" && $0.identity == "fraud-features-build" })
        XCTAssertEqual(run.change, .changed)
        XCTAssertEqual(run.fromName, "fraud-features-build-698e85a5")
        XCTAssertEqual(run.toName, "fraud-features-build-e2a86bfb")
        XCTAssertEqual(run.toFile, "kubernetes/builds/4-pipelinerun-fraud-features-build-e2a86bfb.yaml")
        XCTAssertFalse(diff.objects.contains { $0.kind == "Namespace" && $0.change != .changed })

        let json = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(diff.renderJSON().utf8)) as? [String: Any])
        XCTAssertEqual(json["from"] as? String, "openshift-rwx")
        XCTAssertEqual(json["to"] as? String, "kubernetes")
        let summary = try XCTUnwrap(json["summary"] as? [String: Int])
        XCTAssertEqual(summary["added"], 3)
        XCTAssertEqual(summary["removed"], 14)
        let objects = try XCTUnwrap(json["objects"] as? [[String: Any]])
        let namespace = try XCTUnwrap(objects.first { $0["kind"] as? String == "Namespace" })
        let fields = try XCTUnwrap(namespace["fields"] as? [[String: Any]])
        let enforce = try XCTUnwrap(
            fields.first { $0["path"] as? String == "metadata.labels[pod-security.kubernetes.io/enforce]" })
        XCTAssertEqual(enforce["to"] as? String, "restricted")
        XCTAssertNil(enforce["from"], "absent on the OpenShift side: no key")
    }

    func testAnEnvironmentEqualsItself() throws {
        let plan = try examplePlan("kubernetes")
        let diff = EnvironmentDiff.compare(plan, plan)
        XCTAssertTrue(diff.objects.isEmpty)
        XCTAssertGreaterThan(plan.buildObjects.count, 0)
        XCTAssertEqual(
            diff.unchanged, plan.objects.count + plan.buildObjects.count + plan.deliveryObjects.count + plan.snippets.count)
        // Deterministic JSON: same bytes twice.
        XCTAssertEqual(diff.renderJSON(), EnvironmentDiff.compare(plan, plan).renderJSON())
    }

    func testFlatteningBracketsKeysWithDots() {
        let node: ManifestNode = ["metadata": ["labels": ["app.kubernetes.io/name": "x"]], "list": [], "a": [1, 2]]
        XCTAssertEqual(
            ManifestFlattening.leaves(node).map(\.path),
            ["metadata.labels[app.kubernetes.io/name]", "a[0]", "a[1]", "list"])
        XCTAssertEqual(ManifestFlattening.inline("a\nb\nc\n"), "\"a\" … (3 lines)")
        XCTAssertEqual(ManifestFlattening.inline("tab\there"), "\"tab\\there\"")
        XCTAssertEqual(ManifestFlattening.inline(nil), "(absent)")
    }
}
