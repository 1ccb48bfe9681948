import Foundation
import XCTest

@testable import NBGitOps

/// Storage and sync waves on the platform that runs the output: claims never hold their own
/// wave (B2), claims ask only for what the environment's storage offers (M9), and a model
/// claim is bound where its GPU predictor can reach it (M13). Each renders through
/// `CompilerPipeline.run`.
final class StorageWaveTests: XCTestCase {
    static let image =
        "quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2"

    /// A job mounting claim `data`, the claim itself, and a claim nothing mounts.
    static let spec = """
        apiVersion: mlops.mlops.dev/v1alpha1
        kind: NotebookValidationJob
        metadata:
          name: demo
        spec:
          notebook:
            git:
              url: https://github.com/org/repo.git
              ref: main
            path: notebooks/demo.ipynb
          podConfig:
            containerImage: \(image)
            volumes:
            - name: data
              persistentVolumeClaim:
                claimName: data
            volumeMounts:
            - name: data
              mountPath: /data
          timeout: 30m
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: data
        spec:
          accessModes:
          - ReadWriteOnce
          resources:
            requests:
              storage: 1Gi
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: scratch
        spec:
          accessModes:
          - ReadWriteOnce
          resources:
            requests:
              storage: 1Gi

        """

    struct Rendered {
        var output: CompilerOutput?
        var diagnostics: DiagnosticCollector
        var errors: [String] {
            diagnostics.sorted.filter { $0.severity == .error }.map { $0.rendered }
        }
        func file(where matches: (String) -> Bool) -> String? {
            let files = output?.files.values.flatMap { $0 } ?? []
            return files.first { matches($0.path) }.map { String(decoding: $0.bytes, as: UTF8.self) }
        }
        func file(_ suffix: String) -> String? {
            let files = output?.files.values.flatMap { $0 } ?? []
            return files.first { $0.path.hasSuffix(suffix) }.map { String(decoding: $0.bytes, as: UTF8.self) }
        }
        var paths: [String] { (output?.files.values.flatMap { $0 } ?? []).map(\.path).sorted() }
    }

    func render(_ text: String, overlays: [String]) throws -> Rendered {
        let run = TestPipeline.run([TestPipeline.file(text)], environments: [TestPipeline.environment("env", overlays)])
        let (output, diagnostics) = (run.output, run.diagnostics)
        return Rendered(output: output, diagnostics: diagnostics)
    }

    static let argo = ["kubernetes", "rwo", "argocd", "examples/overlays/repository.yaml"]

    /// B2: a claim in wave 2 whose only consumer (a Job) is in wave 5 stays Pending under a
    /// WaitForFirstConsumer class and Argo CD never leaves wave 2. The claim now applies in its
    /// first consumer's wave; a claim nothing in the output mounts is marked, and the argocd-cm
    /// snippet carries the PVC health check that reads it Healthy while Pending.
    func testB2_claimAppliesInItsFirstConsumersWaveAndUnmountedClaimsDoNotHoldTheirWave() throws {
        let rendered = try render(Self.spec, overlays: Self.argo)
        XCTAssertEqual(rendered.errors, [])
        XCTAssertFalse(rendered.paths.contains { $0.hasSuffix("/2-persistentvolumeclaim-data.yaml") }, "\(rendered.paths)")
        let data = try XCTUnwrap(rendered.file("/5-persistentvolumeclaim-data.yaml"), "\(rendered.paths)")
        XCTAssertTrue(data.contains("argocd.argoproj.io/sync-wave: '5'"), data)
        XCTAssertFalse(data.contains("nbgitops.dev/first-consumer"), data)
        let job = try XCTUnwrap(rendered.paths.first { $0.contains("/5-job-demo-") })
        XCTAssertNotNil(job)

        let scratch = try XCTUnwrap(rendered.file("/2-persistentvolumeclaim-scratch.yaml"), "\(rendered.paths)")
        XCTAssertTrue(scratch.contains("nbgitops.dev/first-consumer: outside"), scratch)
        let snippet = try XCTUnwrap(rendered.file("delivery/configmap-argocd-cm-snippet.yaml"))
        XCTAssertTrue(snippet.contains("resource.customizations.health.PersistentVolumeClaim: |"), snippet)
    }

    static let flux = ["kubernetes", "rwo", "flux", "examples/overlays/repository.yaml"]

    /// B2 under Flux: `wait: true` health-checks every applied object, and kstatus reads a claim
    /// that is not Bound as InProgress, so a WaitForFirstConsumer claim nothing mounts would hold
    /// the Kustomization until its timeout. The Kustomization carries a claim health check that
    /// reads such a claim (marked first-consumer: outside) Current while Pending; a mounted
    /// claim is still waited for until Bound.
    func testB2_fluxKustomizationDoesNotWaitForAnUnmountedClaim() throws {
        let rendered = try render(Self.spec, overlays: Self.flux)
        XCTAssertEqual(rendered.errors, [])
        let scratch = try XCTUnwrap(rendered.file("-persistentvolumeclaim-scratch.yaml"), "\(rendered.paths)")
        XCTAssertTrue(scratch.contains("nbgitops.dev/first-consumer: outside"), scratch)
        let plan = try XCTUnwrap(rendered.output?.plans.first)
        let kustomization = try XCTUnwrap(plan.deliveryObjects.first { $0.kind == "Kustomization" })
        XCTAssertEqual(kustomization.manifest.value(at: "spec.wait")?.boolValue, true)
        let checks = kustomization.manifest.value(at: "spec.healthCheckExprs")?.elements ?? []
        let claim = try XCTUnwrap(checks.first { $0["kind"]?.stringValue == "PersistentVolumeClaim" }, "\(checks)")
        let current = try XCTUnwrap(claim["current"]?.stringValue)
        XCTAssertTrue(current.contains("'Bound'"), current)
        XCTAssertTrue(current.contains("'Pending' && metadata.?annotations[?'nbgitops.dev/first-consumer']"), current)
        XCTAssertEqual(claim["failed"]?.stringValue, "status.?phase.orValue('') == 'Lost'")
        // Without an unmounted claim, no claim check: the mounted claim is waited for by kstatus.
        let mountedOnly = try render(
            Self.spec.components(separatedBy: "---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: scratch")[0],
            overlays: Self.flux)
        let other = try XCTUnwrap(mountedOnly.output?.plans.first?.deliveryObjects.first { $0.kind == "Kustomization" })
        let exprs = other.manifest.value(at: "spec.healthCheckExprs")?.elements ?? []
        XCTAssertFalse(exprs.contains { $0["kind"]?.stringValue == "PersistentVolumeClaim" })
    }

    /// B2 under Flux before 2.5 (no healthCheckExprs): the Kustomization health-checks an explicit
    /// list of every applied object except the unmounted claim (wait: false, spec.healthChecks).
    func testB2_fluxBefore25ListsEveryObjectButTheUnmountedClaim() throws {
        let rendered = try render(Self.spec, overlays: Self.flux + ["Tests/NBGitOpsTests/Fixtures/overlays/flux-2.4.yaml"])
        XCTAssertEqual(rendered.errors, [])
        let plan = try XCTUnwrap(rendered.output?.plans.first)
        let kustomization = try XCTUnwrap(plan.deliveryObjects.first { $0.kind == "Kustomization" })
        XCTAssertEqual(kustomization.manifest.value(at: "spec.wait")?.boolValue, false)
        XCTAssertNil(kustomization.manifest.value(at: "spec.healthCheckExprs"))
        let checks = kustomization.manifest.value(at: "spec.healthChecks")?.elements ?? []
        let names = checks.map { "\($0["kind"]?.stringValue ?? "")/\($0["name"]?.stringValue ?? "")" }
        XCTAssertTrue(names.contains("PersistentVolumeClaim/data"), "\(names)")
        XCTAssertFalse(names.contains("PersistentVolumeClaim/scratch"), "\(names)")
        XCTAssertTrue(names.contains { $0.hasPrefix("Job/demo-") }, "\(names)")
        XCTAssertEqual(checks.count, plan.objects.count - 1)
    }

    /// B2, the model pipeline of the example: the llama-70b claim the download PipelineRun
    /// (wave 4) writes and the InferenceService (wave 6) serves applies in wave 4, with it.
    func testB2_exampleModelClaimAppliesWithTheDownloadPipelineRun() throws {
        let output = try compileRepositoryExample()
        for plan in output.plans {
            let objects = plan.objects + plan.buildObjects + plan.servingObjects
            let consumers = ClaimPlacement.firstConsumerWaves(objects)
            for claim in objects where claim.kind == "PersistentVolumeClaim" {
                let key = NamespacedName(namespace: claim.namespace ?? "", name: claim.name)
                if let first = consumers[key] {
                    XCTAssertEqual(claim.wave, first, "\(plan.environment.name): claim \(claim.name)")
                }
            }
            let model = try XCTUnwrap(objects.first { $0.kind == "PersistentVolumeClaim" && $0.name.hasPrefix("llama-70b-") })
            XCTAssertEqual(model.wave, .build, plan.environment.name)
        }
    }

    /// M9: a claim asking for ReadWriteMany where the overlays say the storage offers only
    /// ReadWriteOnce is a located error at its accessModes, naming the overlay line.
    func testM9_readWriteManyClaimOnReadWriteOnceOnlyStorageIsLocatedError() throws {
        let text = Self.spec.replacingOccurrences(
            of: "  name: scratch\nspec:\n  accessModes:\n  - ReadWriteOnce",
            with: "  name: scratch\nspec:\n  accessModes:\n  - ReadWriteMany")
        XCTAssertNotEqual(text, Self.spec)
        let rendered = try render(text, overlays: Self.argo)
        let found = rendered.diagnostics.sorted.filter { $0.id == .accessModeNotOffered }
        XCTAssertEqual(found.count, 1)
        let first = try XCTUnwrap(found.first).rendered
        XCTAssertTrue(
            first.hasPrefix(
                "spec.yaml:39:3: error[NBG203]: PersistentVolumeClaim 'scratch' asks for ReadWriteMany, but the environment's storage offers only ReadWriteOnce volumes"
            ),
            first)
        XCTAssertTrue(first.contains("note: overlays/rwo.yaml:8:17: storage.accessMode: ReadWriteOnce is set here"), first)
        XCTAssertTrue(first.contains("help: "), first)
        // Storage that offers ReadWriteMany: no error.
        let rwx = try render(text, overlays: ["kubernetes", "rwx", "argocd", "examples/overlays/repository.yaml"])
        XCTAssertEqual(rwx.diagnostics.sorted.filter { $0.id == .accessModeNotOffered }.count, 0)
    }

    /// M9: a passed-through claim naming no storage class gets the environment's, as the claims
    /// nbgitops creates do; one naming its own class keeps it.
    func testM9_passedThroughClaimGetsTheEnvironmentsStorageClass() throws {
        let text = Self.spec.replacingOccurrences(
            of: "  name: scratch\nspec:\n", with: "  name: scratch\nspec:\n  storageClassName: nfs-csi\n")
        let rendered = try render(text, overlays: Self.argo + ["examples/overlays/gpu-cluster.yaml"])
        XCTAssertEqual(rendered.errors, [])
        let data = try XCTUnwrap(rendered.file("persistentvolumeclaim-data.yaml"))
        XCTAssertTrue(data.contains("storageClassName: gp3-csi"), data)
        let scratch = try XCTUnwrap(rendered.file("persistentvolumeclaim-scratch.yaml"))
        XCTAssertTrue(scratch.contains("storageClassName: nfs-csi"), scratch)
        XCTAssertFalse(scratch.contains("gp3-csi"), scratch)
    }

    static let zonal = [
        "openshift", "rwo", "gpu-taints", "argocd", "examples/overlays/repository.yaml",
    ]

    func renderModel(zones: String) throws -> Rendered {
        let text = try String(contentsOfFile: repositoryRoot + "/examples/specs/13-large-model-pvc.yaml", encoding: .utf8)
        return try render(text, overlays: Self.zonal + ["Tests/NBGitOpsTests/Fixtures/overlays/zones-\(zones).yaml"])
    }

    /// M13: the A100 pool is in us-east-1b, CPU workers in 1a and 1b. The model claim's volume is
    /// created where the download PipelineRun (or its affinity assistant) first runs; nbgitops
    /// pins the PipelineRun to the predictor's zone, and no warning remains.
    func testM13_modelPipelineRunIsPinnedToTheGPUPoolsZone() throws {
        let rendered = try renderModel(zones: "gpu-in-one-zone")
        XCTAssertEqual(rendered.errors, [])
        XCTAssertEqual(rendered.diagnostics.sorted.filter { $0.id == .modelClaimZone }.count, 0)
        let run = try XCTUnwrap(rendered.file { $0.contains("/4-pipelinerun-llama-70b-") }, "\(rendered.paths)")
        XCTAssertTrue(
            run.contains("    podTemplate:\n      nodeSelector:\n        topology.kubernetes.io/zone: us-east-1b\n"), run)
        // Without zones declared, nothing is pinned (the zone is unknown).
        let example = try render(
            try String(contentsOfFile: repositoryRoot + "/examples/specs/13-large-model-pvc.yaml", encoding: .utf8),
            overlays: Self.zonal + ["examples/overlays/gpu-cluster.yaml"])
        let unpinned = try XCTUnwrap(example.file { $0.contains("/4-pipelinerun-llama-70b-") })
        XCTAssertFalse(unpinned.contains("topology.kubernetes.io/zone"), unpinned)
    }

    /// M13: A100 pools in us-east-1b and us-east-1c: a node selector can name one zone only, so
    /// the download may run in us-east-1a; a warning located at the ModelPipeline says so.
    func testM13_modelClaimInAZoneWithoutGPUsIsReported() throws {
        let rendered = try renderModel(zones: "gpu-in-two-zones")
        let found = rendered.diagnostics.sorted.filter { $0.id == .modelClaimZone }.map(\.rendered)
        XCTAssertEqual(found.count, 1, "\(found)")
        let first = try XCTUnwrap(found.first)
        XCTAssertTrue(first.hasPrefix("spec.yaml:10:9: warning[NBG204]: the volume of model claim 'llama-70b-"), first)
        XCTAssertTrue(
            first.contains(
                "which may be us-east-1a; InferenceService 'llama-70b' runs only on node pools in us-east-1b, us-east-1c"), first)
        XCTAssertTrue(
            first.contains("note: Tests/NBGitOpsTests/Fixtures/overlays/zones-gpu-in-two-zones.yaml:11:5: the node pools"), first)
        let run = try XCTUnwrap(rendered.file { $0.contains("/4-pipelinerun-llama-70b-") })
        XCTAssertFalse(run.contains("topology.kubernetes.io/zone"), run)
    }
}
