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
        // openshift-gpu is delivered by stage: its six child Applications and the parent's
        // AppProject are not in the unsplit openshift-rwx.
        XCTAssertEqual(diff.removed, 7)
        let gpuJob = try XCTUnwrap(diff.objects.first { $0.kind == "Job" && $0.identity == "gpu-finetune" })
        XCTAssertEqual(gpuJob.change, .changed)
        let gpuName = try exampleHashedName("Job", "gpu-finetune", in: "openshift-gpu")
        let rwxName = try exampleHashedName("Job", "gpu-finetune", in: "openshift-rwx")
        XCTAssertNotEqual(gpuName, rwxName)  // different content, different hash
        XCTAssertEqual(gpuJob.fromName, gpuName)
        XCTAssertEqual(gpuJob.toName, rwxName)
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
                "~ Job/gpu-finetune  (\(gpuName) → \(rwxName))\n    metadata.name: \"\(gpuName)\" → \"\(rwxName)\"\n"
            ), text)
        XCTAssertTrue(text.contains("    spec.template.spec.tolerations[0].key: \"nvidia.com/gpu\" → (absent)\n"), text)
        XCTAssertTrue(
            text.hasSuffix(
                "openshift-gpu → openshift-rwx: 0 added, 7 removed, \(diff.changed) changed, \(diff.unchanged) identical\n"))
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
                // buildah's Role naming pipelines-scc, and the ModelPipeline pushing to the internal
                // registry (openshift only).
                "Role/nbgitops-buildah-use-pipelines-scc", "RoleBinding/nbgitops-model-push-image-builder",
                "RoleBinding/nbgitops-buildah-image-builder", "RoleBinding/nbgitops-buildah-use-pipelines-scc",
                "RoleBinding/nbgitops-image-puller", "ServiceAccount/nbgitops-model-push", "ImageStream/granite-2b",
                "ImageStream/fraud-features-build", "ImageStream/sales-forecast-build", "Pipeline/granite-2b-model",
                "ServingRuntime/granite-2b-vllm",
                "Build/\(try exampleHashedName("Build", "churn-retrain-s2i", in: "openshift-rwx"))",
                "Build/\(try exampleHashedName("Build", "vision-eval-s2i", in: "openshift-rwx"))",
                "BuildConfig/\(try exampleHashedName("BuildConfig", "churn-retrain-s2i", in: "openshift-rwx"))",
                "BuildConfig/\(try exampleHashedName("BuildConfig", "vision-eval-s2i", in: "openshift-rwx"))",
                "ImageStream/churn-retrain-s2i", "ImageStream/vision-eval-s2i",
                "PipelineRun/\(try exampleHashedName("PipelineRun", "granite-2b", in: "openshift-rwx"))",
                "Job/\(try exampleHashedName("Job", "churn-retrain-s2i", in: "openshift-rwx"))",
                "Job/\(try exampleHashedName("Job", "vision-eval-s2i", in: "openshift-rwx"))",
                "InferenceService/granite-2b", "Application/example-openshift-rwx", "AppProject/example-openshift-rwx",
                // The ArgoCD resource patch (the operator-managed instance's health checks, the
                // lifted tekton.dev exclusion).
                "ArgoCD/openshift-gitops",
            ])
        XCTAssertEqual(
            added,
            [
                // The ModelPipeline pushing to an external registry (kubernetes only).
                "Pipeline/phi-mini-model", "PipelineRun/\(try exampleHashedName("PipelineRun", "phi-mini", in: "kubernetes"))",
                "InferenceService/phi-mini",
                // Delivered by stage: a Kustomization per part.
                "GitRepository/example-kubernetes", "Kustomization/example-kubernetes-base", "Kustomization/example-kubernetes-builds",
                "Kustomization/example-kubernetes-models", "Kustomization/example-kubernetes-validation",
                "Kustomization/example-kubernetes-serving", "Kustomization/example-kubernetes-notebook-serving",
            ])
        // A build's PipelineRun (named by content hash) pairs with its counterpart by job, as do
        // the build namespaces.
        let run = try XCTUnwrap(diff.objects.first { $0.kind == "PipelineRun" && $0.identity == "fraud-features-build" })
        XCTAssertEqual(run.change, .changed)
        let fromRun = try exampleHashedName("PipelineRun", "fraud-features-build", in: "openshift-rwx")
        let toRun = try exampleHashedName("PipelineRun", "fraud-features-build", in: "kubernetes")
        XCTAssertEqual(run.fromName, fromRun)
        XCTAssertEqual(run.toName, toRun)
        XCTAssertEqual(run.toFile, "kubernetes/builds/4-pipelinerun-\(toRun).yaml")
        XCTAssertFalse(diff.objects.contains { $0.kind == "Namespace" && $0.change != .changed })

        let json = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(diff.renderJSON().utf8)) as? [String: Any])
        XCTAssertEqual(json["from"] as? String, "openshift-rwx")
        XCTAssertEqual(json["to"] as? String, "kubernetes")
        let summary = try XCTUnwrap(json["summary"] as? [String: Int])
        XCTAssertEqual(summary["added"], 10)
        XCTAssertEqual(summary["removed"], 24)
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
            diff.unchanged,
            plan.objects.count + plan.buildObjects.count + plan.servingObjects.count + plan.deliveryObjects.count
                + plan.snippets.count)
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
