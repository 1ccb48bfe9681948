import Foundation
import XCTest

@testable import NBGitOps

/// How the rendered tree behaves on a real cluster, for the findings that hold on every
/// supported platform version: each test compiles through the real pipeline
/// (`CompilerPipeline.run`, the repository's example project or a spec with stacked overlays)
/// and reads the rendered objects and files.
final class PlatformSemanticsTests: XCTestCase {
    func example() throws -> CompilerOutput { try RepositoryExample.shared.get() }

    /// B3: before Tekton v1.11.0 a TaskRun got its timeout only from `pipelineTask.timeout`,
    /// otherwise the 60-minute default, whatever the PipelineRun allowed.
    func testB3_everyPipelineTaskCarriesItsDerivedTimeout() throws {
        let output = try example()
        var pipelines = 0
        for plan in output.plans {
            let objects = everyObject(plan)
            for run in objects where run.kind == "PipelineRun" {
                let pipelineName = try XCTUnwrap(run.manifest.value(at: "spec.pipelineRef.name")?.stringValue)
                let runTimeout = try XCTUnwrap(run.manifest.value(at: "spec.timeouts.pipeline")?.stringValue, run.name)
                let runSeconds = try XCTUnwrap(Durations.seconds(runTimeout))
                let pipeline = try XCTUnwrap(
                    objects.first { $0.kind == "Pipeline" && $0.name == pipelineName && $0.namespace == run.namespace },
                    "\(plan.environment.name): no Pipeline \(pipelineName)")
                let tasks = try XCTUnwrap(pipeline.manifest.value(at: "spec.tasks")?.elements)
                XCTAssertFalse(tasks.isEmpty)
                for task in tasks {
                    let timeout = try XCTUnwrap(
                        task["timeout"]?.stringValue,
                        "\(plan.environment.name): task \(task["name"]?.stringValue ?? "?") of \(pipelineName) has no timeout")
                    let seconds = try XCTUnwrap(Durations.seconds(timeout))
                    // Tekton rejects a task timeout above the run's; equal keeps every task's budget.
                    XCTAssertLessThanOrEqual(seconds, runSeconds, "\(pipelineName): \(timeout) > \(runTimeout)")
                    XCTAssertEqual(timeout, runTimeout, pipelineName)
                }
                pipelines += 1
            }
            // The 140 GiB download: longer than Tekton's 60-minute default, now on the task itself.
            let llama = try XCTUnwrap(objects.first { $0.kind == "Pipeline" && $0.name.hasPrefix("llama-70b") })
            let download = try XCTUnwrap(
                llama.manifest.value(at: "spec.tasks")?.elements?.first { $0["name"]?.stringValue == "download" })
            XCTAssertEqual(download["timeout"]?.stringValue, "3h15m0s", plan.environment.name)
        }
        XCTAssertGreaterThanOrEqual(pipelines, 8, "image builds and model pipelines in every environment")
        let text = try renderedText(output, environment: "openshift-gpu", containing: "3-pipeline-llama-70b")
        XCTAssertTrue(text.contains("  - name: download\n"), text)
        XCTAssertTrue(text.contains("    timeout: 3h15m0s\n"), text)
    }

    /// B4: without the annotation the cluster's default mode decides, Serverless on upstream
    /// KServe and OpenShift AI 2.x, where Knative rejects the pod-level securityContext.
    func testB4_everyInferenceServiceStatesItsDeploymentMode() throws {
        let output = try example()
        var services = 0
        for plan in output.plans {
            for service in everyObject(plan) where service.kind == "InferenceService" {
                XCTAssertEqual(
                    service.manifest.value(at: "metadata.annotations[serving.kserve.io/deploymentMode]")?.stringValue,
                    "RawDeployment", "\(plan.environment.name)/\(service.name)")
                // Pod-level fields only in a mode that takes them (a Deployment's pod spec).
                XCTAssertNotNil(service.manifest.value(at: "spec.predictor.securityContext"), service.name)
                services += 1
            }
        }
        XCTAssertGreaterThanOrEqual(services, 6)
        let text = try renderedText(output, environment: "kubernetes", containing: "6-inferenceservice-churn")
        XCTAssertTrue(text.contains("    serving.kserve.io/deploymentMode: RawDeployment\n"), text)
    }

    func assertNeverPruned(_ object: PlannedObject, tool: DeliveryTool, file: StaticString = #filePath, line: UInt = #line) {
        let what = "\(object.kind)/\(object.name)"
        switch tool {
        case .argocd:
            let options = object.manifest.value(at: "metadata.annotations[argocd.argoproj.io/sync-options]")?.stringValue ?? ""
            let parts = Set(options.split(separator: ",").map(String.init))
            XCTAssertTrue(parts.isSuperset(of: ["Prune=false", "Delete=false"]), "\(what): '\(options)'", file: file, line: line)
        case .flux:
            XCTAssertEqual(
                object.manifest.value(at: "metadata.annotations[kustomize.toolkit.fluxcd.io/prune]")?.stringValue, "disabled",
                what, file: file, line: line)
        }
    }

    /// M4: removing the last spec of a namespace must not delete the namespace (and every
    /// other team's object in it).
    func testM4_namespacesAreNeverPruned() throws {
        let output = try example()
        var seen: Set<DeliveryTool> = []
        for plan in output.plans {
            let tool = plan.environment.delivery.tool.value
            let namespaces = everyObject(plan).filter { $0.kind == "Namespace" }
            XCTAssertTrue(namespaces.contains { $0.name == "ml-shared-models" }, plan.environment.name)
            for namespace in namespaces { assertNeverPruned(namespace, tool: tool) }
            seen.insert(tool)
        }
        XCTAssertEqual(seen, [.argocd, .flux])
    }

    /// M7: Flux prunes before it health-checks, so the model claim a live predictor serves from
    /// would go as soon as a newer one is applied; no data-holding claim may be pruned.
    func testM7_dataHoldingClaimsAreNeverPruned() throws {
        let output = try example()
        var modelClaims = 0
        for plan in output.plans {
            let tool = plan.environment.delivery.tool.value
            for claim in everyObject(plan) where claim.kind == "PersistentVolumeClaim" {
                assertNeverPruned(claim, tool: tool)
                if claim.name.hasPrefix("llama-70b") { modelClaims += 1 }
            }
        }
        XCTAssertEqual(modelClaims, 3, "the pvc-delivered model's claim in every environment")
        let text = try renderedText(output, environment: "kubernetes", containing: "4-persistentvolumeclaim-llama-70b")
        XCTAssertTrue(text.contains("    kustomize.toolkit.fluxcd.io/prune: disabled\n"), text)
    }

    /// A passed-through claim that states its own delivery annotation keeps it; one without
    /// gets the protection, as nbgitops' own claims do.
    func testM7_passedThroughClaimKeepsAnExplicitSyncOption() throws {
        let claims = """
            ---
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata:
              name: scratch
              annotations:
                argocd.argoproj.io/sync-options: Prune=true
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 1Gi}}
            ---
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata:
              name: models
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 1Gi}}
            """
        let plan = try compileSpecThroughPipeline(
            jobSpec() + "\n" + claims,
            overlays: [
                "kubernetes", "rwo", "argocd", "examples/overlays/repository.yaml", "examples/overlays/site-defaults.yaml",
            ])
        let scratch = try XCTUnwrap(plan.objects.first { $0.kind == "PersistentVolumeClaim" && $0.name == "scratch" })
        XCTAssertEqual(
            scratch.manifest.value(at: "metadata.annotations[argocd.argoproj.io/sync-options]")?.stringValue, "Prune=true")
        let models = try XCTUnwrap(plan.objects.first { $0.kind == "PersistentVolumeClaim" && $0.name == "models" })
        assertNeverPruned(models, tool: .argocd)
    }

    /// M10: without `syncPolicy.retry` a failed automated sync is not retried for the same
    /// revision; one transient failure stops delivery until the next commit.
    func testM10_argoApplicationsRetryWithBackoff() throws {
        let output = try example()
        var applications = 0
        for plan in output.plans {
            for application in plan.deliveryObjects where application.kind == "Application" {
                let retry = try XCTUnwrap(application.manifest.value(at: "spec.syncPolicy.retry"), application.name)
                XCTAssertEqual(retry["limit"]?.intValue, 5)
                XCTAssertEqual(retry.value(at: "backoff.duration")?.stringValue, "10s")
                XCTAssertEqual(retry.value(at: "backoff.factor")?.intValue, 2)
                XCTAssertEqual(retry.value(at: "backoff.maxDuration")?.stringValue, "5m")
                applications += 1
            }
        }
        // openshift-rwx: one; openshift-gpu (split by stage): the parent and six children.
        XCTAssertEqual(applications, 8, "every Application of the Argo CD environments")
        let file = try XCTUnwrap(output.files["openshift-gpu"]?.first { $0.path.contains("delivery/application-") })
        let text = String(decoding: file.bytes, as: UTF8.self)
        XCTAssertTrue(text.contains("    retry:\n"), text)
    }

    /// m1: a node drain, preemption or eviction (`DisruptionTarget`) must not fail the
    /// validation for good, while a failed validation still fails the Job at once.
    func testm1_validationJobsSurviveANodeDrain() throws {
        let output = try example()
        var jobs = 0
        for plan in output.plans {
            for job in everyObject(plan) where job.kind == "Job" {
                guard let rules = job.manifest.value(at: "spec.podFailurePolicy.rules")?.elements else { continue }
                XCTAssertEqual(job.manifest.value(at: "spec.template.spec.restartPolicy")?.stringValue, "Never", job.name)
                XCTAssertEqual(job.manifest.value(at: "spec.backoffLimit")?.intValue, 0, job.name)
                let first = try XCTUnwrap(rules.first)
                XCTAssertEqual(first["action"]?.stringValue, "Ignore", job.name)
                XCTAssertEqual(first.value(at: "onPodConditions[0].type")?.stringValue, "DisruptionTarget", job.name)
                XCTAssertEqual(first.value(at: "onPodConditions[0].status")?.stringValue, "True", job.name)
                let rest = rules.dropFirst()
                XCTAssertEqual(rest.map { $0["action"]?.stringValue }, Array(repeating: "FailJob", count: 4), job.name)
                XCTAssertEqual(
                    rest.compactMap { $0.value(at: "onExitCodes.values[0]")?.intValue }, [1, 2, 3, 4], job.name)
                jobs += 1
            }
        }
        XCTAssertGreaterThanOrEqual(jobs, 10)
    }
}
