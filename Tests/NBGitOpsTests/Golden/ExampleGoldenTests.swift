import Foundation
import XCTest

@testable import NBGitOps

/// The repository's example (`nbgitops.yaml` over `examples/`) rendered in-process and compared
/// byte for byte with the committed `gitops/` folder. Re-record with `NBGITOPS_RECORD=1 swift test`
/// — the recording run fails on purpose, so a re-record can never pass silently.
final class ExampleGoldenTests: XCTestCase {
    func compileExample(file: StaticString = #filePath, line: UInt = #line) throws -> (CompilerOutput, String) {
        // The unmodified example: the one shared compile (TestPipeline.example).
        let run = try TestPipeline.example.get()
        let output = try run.unwrap(file: file, line: line)
        XCTAssertFalse(run.diagnostics.hasErrors)
        return (output, (repositoryRoot as NSString).appendingPathComponent("gitops"))
    }

    func testExampleMatchesCommittedGitops() throws {
        let (output, root) = try compileExample()
        XCTAssertEqual(output.files.keys.sorted(), ["kubernetes", "openshift-gpu", "openshift-rwx"])
        let outputs = output.files.keys.sorted().map { EnvironmentOutput(environment: $0, files: output.files[$0] ?? []) }
        let diagnostics = DiagnosticCollector()
        if ProcessInfo.processInfo.environment["NBGITOPS_RECORD"] == "1" {
            let report = OutputWriter(root: root).write(outputs, diagnostics: diagnostics)
            XCTAssertTrue(report.succeeded)
            XCTFail("re-recorded \(root); run the tests again without NBGITOPS_RECORD")
            return
        }
        let differences = OutputComparator(root: root).compare(outputs, diagnostics: diagnostics)
        XCTAssertFalse(diagnostics.hasErrors, "\(diagnostics.sorted.map(\.rendered))")
        for difference in differences where !difference.isUpToDate {
            XCTFail("\(difference.summary)\n" + difference.files.map { "\($0.kind.rawValue): \($0.path)\n\($0.diff)" }.joined(separator: "\n"))
        }
    }

    func testExampleCoversWhatTheIssueAsksFor() throws {
        let (output, _) = try compileExample()
        let plans = Dictionary(uniqueKeysWithValues: output.plans.map { ($0.environment.name, $0) })
        let gpu = try XCTUnwrap(plans["openshift-gpu"])
        XCTAssertEqual(gpu.environment.platform.value, .openshift)
        XCTAssertEqual(gpu.environment.storage.accessMode.value, .readWriteOnce)
        XCTAssertEqual(gpu.environment.delivery.tool.value, .argocd)
        XCTAssertEqual(try XCTUnwrap(plans["openshift-rwx"]).environment.storage.accessMode.value, .readWriteMany)
        XCTAssertEqual(try XCTUnwrap(plans["kubernetes"]).environment.delivery.tool.value, .flux)
        // Delivered by stage (examples/overlays/delivery-split.yaml): Flux a Kustomization per part,
        // Argo CD an app of apps (the parent, its AppProject, the environment's and six children).
        XCTAssertEqual(
            try XCTUnwrap(plans["kubernetes"]).deliveryObjects.map(\.kind).sorted(),
            ["GitRepository"] + Array(repeating: "Kustomization", count: 6))
        XCTAssertEqual(
            gpu.deliveryObjects.map(\.kind), ["Application", "AppProject", "AppProject"] + Array(repeating: "Application", count: 6))
        XCTAssertEqual(try XCTUnwrap(plans["openshift-rwx"]).deliveryObjects.map(\.kind), ["Application", "AppProject"])

        // Every traced value knows where it came from.
        guard case .overlay(let name, let location) = gpu.environment.gpu.taints.origin else {
            return XCTFail("GPU taints should come from an overlay")
        }
        XCTAssertEqual(name, "gpu-taints")
        XCTAssertEqual(location.file, "overlays/gpu-taints.yaml")
        XCTAssertEqual(location.line, 11)

        func job(_ plan: EnvironmentPlan, _ instance: String) throws -> ManifestNode {
            try XCTUnwrap(plan.objects.first { $0.kind == "Job" && $0.manifest.value(at: "metadata.labels[app.kubernetes.io/instance]") == .string(instance) }?.manifest)
        }
        // GPU job tolerates the taint; others do not.
        let gpuJob = try job(gpu, "gpu-finetune")
        XCTAssertEqual(gpuJob.value(at: "spec.template.spec.tolerations[0].key"), "nvidia.com/gpu")
        for other in ["intro-statistics", "train-sentiment", "forecasting-ssh", "churn-model-regression"] {
            XCTAssertNil(try job(gpu, other).value(at: "spec.template.spec.tolerations"), other)
        }
        // OpenShift: the first UID of the namespace range the example pins; Kubernetes: 10001.
        XCTAssertEqual(gpuJob.value(at: "spec.template.spec.securityContext.runAsUser"), 1_000_680_000)
        let kubeJob = try job(try XCTUnwrap(plans["kubernetes"]), "intro-statistics")
        XCTAssertEqual(kubeJob.value(at: "spec.template.spec.securityContext.runAsUser"), 10001)
        // Timeout becomes activeDeadlineSeconds.
        XCTAssertEqual(kubeJob.value(at: "spec.activeDeadlineSeconds"), 1200)
        // HTTPS and SSH credentials by 0400 secret volumes, no secret as env.
        let churn = try job(gpu, "churn-model-regression")
        let httpsVolume = churn.value(at: "spec.template.spec.volumes")?.elements?.first { $0["name"] == "nbgitops-git-https" }
        XCTAssertEqual(httpsVolume?.value(at: "secret.secretName"), "git-https-credentials")
        XCTAssertEqual(httpsVolume?.value(at: "secret.defaultMode"), 256)
        let cloneEnv = churn.value(at: "spec.template.spec.initContainers[0].env")?.elements ?? []
        XCTAssertNil(cloneEnv.first { $0["name"] == "NBG_GIT_PASSWORD" })
        let ssh = try job(gpu, "forecasting-ssh")
        let sshVolume = ssh.value(at: "spec.template.spec.volumes")?.elements?.first { $0["name"] == "nbgitops-git-credentials" }
        XCTAssertEqual(sshVolume?.value(at: "secret.defaultMode"), 256)
        // Golden comparison clones the golden notebook too.
        XCTAssertEqual(churn.value(at: "spec.template.spec.initContainers")?.elements?.count, 2)
        // Namespace: Pod Security labels on kubernetes only.
        let kubeNamespace = try XCTUnwrap(plans["kubernetes"]?.objects.first { $0.kind == "Namespace" })
        XCTAssertEqual(kubeNamespace.manifest.value(at: "metadata.labels[pod-security.kubernetes.io/enforce]"), "restricted")
    }
}
