import Foundation
import XCTest

@testable import NBGitOps

/// M1 and the minor findings m3, m11, m14 of the platform review: each test compiles through
/// the real pipeline (`CompilerPipeline.run`, the repository's example project or a fixture with
/// stacked overlays) and reads the rendered objects, files and diagnostics.
final class PlatformMinorFindingsTests: XCTestCase {
    func example() throws -> CompilerOutput { try RepositoryExample.shared.get() }

    /// Compiles one fixture file with `CompilerPipeline.run` in the environment `overlays` stacks.
    func compile(_ relativePath: String, overlays: String) throws -> (output: CompilerOutput, diagnostics: [Diagnostic]) {
        let names = overlays.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let run = TestPipeline.run(
            [SpecFileFinder.Found(path: repositoryRoot + "/" + relativePath, displayPath: relativePath)],
            environments: [TestPipeline.environment(names.first ?? "test", names)])
        return (try run.unwrap(), run.sorted)
    }

    static let modelcarOverlays =
        "openshift, rwo, argocd, examples/overlays/repository.yaml, examples/overlays/site-defaults.yaml, "
        + "Tests/NBGitOpsTests/Fixtures/overlays/uid-modelcar-unset.yaml"

    /// M1: `tekton.dev/auto-cleanup-pvc` is honoured only from Tekton v1.11.0 and only under
    /// `coschedule: workspaces`; elsewhere it is dead text and the per-run claim lives as long as
    /// the PipelineRun. It is written only where both are declared, and otherwise a note says
    /// once per environment that the claims persist and which facts to declare.
    func testM1_autoCleanupOnlyWhereTektonHonoursItElseANote() throws {
        let output = try example()
        var runs = 0
        for plan in output.plans {
            for run in everyObject(plan) where run.kind == "PipelineRun" {
                XCTAssertNil(
                    run.manifest.value(at: "metadata.annotations[tekton.dev/auto-cleanup-pvc]"),
                    "\(plan.environment.name)/\(run.name): the example declares no Tekton 1.11")
                runs += 1
            }
        }
        XCTAssertGreaterThan(runs, 0)
        let text = try renderedText(output, environment: "openshift-gpu", containing: "4-pipelinerun-granite-2b")
        XCTAssertFalse(text.contains("auto-cleanup-pvc"), text)

        let fixture = "Tests/NBGitOpsTests/Fixtures/rules/NBG338-fail.yaml"
        let unknown = try compile(fixture, overlays: Self.modelcarOverlays)
        let run = try XCTUnwrap(unknown.output.plans.first.flatMap { everyObject($0).first { $0.kind == "PipelineRun" } })
        XCTAssertNil(run.manifest.value(at: "metadata.annotations[tekton.dev/auto-cleanup-pvc]"))
        let notes = unknown.diagnostics.filter { $0.id.rawValue == "NBG338" }
        XCTAssertEqual(notes.count, 1, "\(unknown.diagnostics.map(\.rendered))")
        XCTAssertEqual(notes.first?.severity, .note)
        XCTAssertTrue(notes.first?.rendered.contains("platform.versions.tektonPipelines") == true)

        let declared = try compile(
            fixture,
            overlays: Self.modelcarOverlays + ", Tests/NBGitOpsTests/Fixtures/overlays/tekton-1.11-workspaces.yaml")
        let cleaned = try XCTUnwrap(
            declared.output.plans.first.flatMap { everyObject($0).first { $0.kind == "PipelineRun" } })
        XCTAssertEqual(
            cleaned.manifest.value(at: "metadata.annotations[tekton.dev/auto-cleanup-pvc]")?.stringValue, "true")
        XCTAssertFalse(declared.diagnostics.contains { $0.id.rawValue == "NBG338" })
    }

    /// m3: one connection reset during a long transfer must not fail the whole model run: the
    /// tasks moving data (download, push) carry Tekton `retries`; the others do not.
    func testm3_dataMovingModelTasksRetry() throws {
        let output = try example()
        var checked = 0
        for plan in output.plans {
            for pipeline in everyObject(plan) where pipeline.kind == "Pipeline" && pipeline.name.hasSuffix("-model") {
                for task in pipeline.manifest.value(at: "spec.tasks")?.elements ?? [] {
                    let name = task["name"]?.stringValue ?? ""
                    let moves = name == "download" || name.hasPrefix("push-")
                    XCTAssertEqual(
                        task["retries"]?.intValue, moves ? 2 : nil, "\(plan.environment.name)/\(pipeline.name)/\(name)")
                    if moves { checked += 1 }
                }
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 6)
        let text = try renderedText(output, environment: "openshift-gpu", containing: "3-pipeline-granite-2b")
        XCTAssertTrue(text.contains("    retries: 2\n"), text)
    }

    /// m11: kstatus ignores an InferenceService's `Ready`: without a CEL check the serving
    /// Kustomization is Ready even if no predictor ever starts.
    func testm11_fluxServingKustomizationChecksInferenceServiceReady() throws {
        let output = try example()
        let plan = try XCTUnwrap(output.plans.first { $0.environment.name == "kubernetes" })
        let serving = try XCTUnwrap(
            everyObject(plan).first { $0.kind == "Kustomization" && $0.name.hasSuffix("-serving") })
        let checks = try XCTUnwrap(serving.manifest.value(at: "spec.healthCheckExprs")?.elements)
        let check = try XCTUnwrap(checks.first { $0["kind"]?.stringValue == "InferenceService" })
        XCTAssertEqual(check["apiVersion"]?.stringValue, "serving.kserve.io/v1beta1")
        XCTAssertEqual(
            check["current"]?.stringValue,
            "status.?conditions.orValue([]).exists(c, c.type == 'Ready' && c.status == 'True')")
        // A predictor still starting is Ready=False: no `failed` expression, the timeout decides.
        XCTAssertNil(check["failed"])
        let text = try renderedText(output, environment: "kubernetes", containing: "kustomization-example-kubernetes-serving")
        XCTAssertTrue(text.contains("  - apiVersion: serving.kserve.io/v1beta1\n    kind: InferenceService\n"), text)
    }

    /// m14: PyTorch DataLoader workers share tensors through /dev/shm, 64Mi by default: a GPU
    /// validation pod gets a memory-backed one (2Gi per GPU), unless its spec mounts its own.
    func testm14_gpuValidationJobsGetMemoryBackedSharedMemory() throws {
        let output = try example()
        let text = try renderedText(output, environment: "openshift-gpu", containing: "5-job-gpu-finetune")
        XCTAssertTrue(text.contains("        - name: nbgitops-shm\n          mountPath: /dev/shm\n"), text)
        XCTAssertTrue(
            text.contains("      - name: nbgitops-shm\n        emptyDir:\n          medium: Memory\n          sizeLimit: 2Gi\n"),
            text)
        // CPU-only jobs get none.
        for plan in output.plans {
            for job in everyObject(plan) where job.kind == "Job" && !job.name.hasPrefix("gpu-") {
                let volumes = job.manifest.value(at: "spec.template.spec.volumes")?.elements ?? []
                XCTAssertFalse(volumes.contains { $0["name"]?.stringValue == "nbgitops-shm" }, job.name)
            }
        }

        let compiled = try compile(
            "Tests/NBGitOpsTests/Fixtures/review/gpu-own-shm.yaml",
            overlays: "openshift, rwo, argocd, examples/overlays/repository.yaml, examples/overlays/site-defaults.yaml")
        let jobs = try XCTUnwrap(compiled.output.plans.first.map { everyObject($0).filter { $0.kind == "Job" } })
        let own = try XCTUnwrap(jobs.first { $0.name.hasPrefix("gpu-own-shm") })
        let ownVolumes = own.manifest.value(at: "spec.template.spec.volumes")?.elements ?? []
        XCTAssertFalse(ownVolumes.contains { $0["name"]?.stringValue == "nbgitops-shm" })
        XCTAssertTrue(ownVolumes.contains { $0["name"]?.stringValue == "shm" })
        let two = try XCTUnwrap(jobs.first { $0.name.hasPrefix("gpu-two") })
        let shm = try XCTUnwrap(
            two.manifest.value(at: "spec.template.spec.volumes")?.elements?.first {
                $0["name"]?.stringValue == "nbgitops-shm"
            })
        XCTAssertEqual(shm.value(at: "emptyDir.sizeLimit")?.stringValue, "4Gi")
        XCTAssertEqual(shm.value(at: "emptyDir.medium")?.stringValue, "Memory")
    }
}
