import Foundation
import XCTest

@testable import NBGitOps

/// The ModelPipeline kind: decoded with located errors, planned into a KServe InferenceService
/// served from the writing job's claim, ordered after that Job, through `CompilerPipeline.run`.
final class ModelPipelineTests: XCTestCase {
    static let job = """
        apiVersion: mlops.mlops.dev/v1alpha1
        kind: NotebookValidationJob
        metadata:
          name: train
        spec:
          notebook:
            git:
              url: https://github.com/org/repo.git
              ref: main
            path: notebooks/train.ipynb
          podConfig:
            containerImage: quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2
            volumes:
            - name: models
              persistentVolumeClaim:
                claimName: models
            volumeMounts:
            - name: models
              mountPath: /models
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: models
        spec:
          accessModes: [ReadWriteMany]
          resources:
            requests:
              storage: 10Gi
        ---

        """

    static func pipeline(_ spec: String) -> String {
        """
        apiVersion: nbgitops.dev/v1alpha1
        kind: ModelPipeline
        metadata:
          name: churn
        spec:
        \(spec)
        """
    }

    static let valid = """
          source:
            notebookOutput:
              job: train
              volume: models
              path: churn/v1
          size:
            model: 2Gi
          delivery: pvc
          serving:
            modelFormat:
              name: sklearn
              version: "1"
            runtime: kserve-sklearnserver
            minReplicas: 1
            maxReplicas: 3
        """

    func testAValidPipelineDecodesWithItsLocations() throws {
        let (set, messages) = decodeSpecs(Self.pipeline(Self.valid))
        XCTAssertEqual(messages, [])
        let pipeline = try XCTUnwrap(set.modelPipelines.first)
        XCTAssertEqual(pipeline.name.value, "churn")
        XCTAssertEqual(pipeline.notebookOutput?.job.value, "train")
        XCTAssertEqual(pipeline.notebookOutput?.job.location.line, 8)
        XCTAssertEqual(pipeline.notebookOutput?.path.value, "churn/v1")
        XCTAssertEqual(pipeline.serving.modelFormatVersion?.value, "1")
        XCTAssertEqual(pipeline.serving.maxReplicas?.value, 3)
        XCTAssertTrue(set.jobs.isEmpty && set.supportingObjects.isEmpty, "a ModelPipeline is not passed through")
    }

    func testBadInputIsALocatedError() {
        func errors(_ spec: String) -> [String] {
            decodeSpecs(Self.pipeline(spec)).1.map { $0.components(separatedBy: "\n")[0] }
        }
        // Two sources: one error at the second, after the schema's own.
        XCTAssertEqual(
            errors(
                Self.valid.replacingOccurrences(
                    of: "    notebookOutput:",
                    with: "    huggingFace: {repo: org/m, revision: 0123456789abcdef0123456789abcdef01234567}\n    notebookOutput:")),
            ["spec.yaml:7:18: error[NBG117]: ModelPipeline 'churn' names two sources, notebookOutput and huggingFace"])
        // A named runtime and generated-runtime settings contradict each other.
        XCTAssertEqual(
            errors(Self.valid.replacingOccurrences(of: "    runtime: kserve-sklearnserver", with: "    runtime: kserve-sklearnserver\n    vllm: {shmSize: 4Gi}"))
                .first?.prefix(32),
            "spec.yaml:19:11: error[NBG117]: ")
        // The path stays inside the claim.
        XCTAssertEqual(
            errors(Self.valid.replacingOccurrences(of: "path: churn/v1", with: "path: churn/../../etc")).first?.prefix(32),
            "spec.yaml:10:13: error[NBG105]: ")
        XCTAssertEqual(
            errors(Self.valid.replacingOccurrences(of: "maxReplicas: 3", with: "maxReplicas: 1").replacingOccurrences(
                of: "minReplicas: 1", with: "minReplicas: 2")),
            ["spec.yaml:19:18: error[NBG106]: serving.minReplicas (2) is above serving.maxReplicas (1)"])
        XCTAssertEqual(
            errors(Self.valid.replacingOccurrences(of: "delivery: pvc", with: "delivery: modelcar")).first?.prefix(32),
            "spec.yaml:13:13: error[NBG117]: ")
        XCTAssertEqual(
            errors(Self.valid.replacingOccurrences(of: "  size:\n    model: 2Gi\n", with: "")).first?.prefix(26),
            "spec.yaml:6:3: error[NBG10")
        let (_, twice) = decodeSpecs(Self.pipeline(Self.valid) + "\n---\n" + Self.pipeline(Self.valid))
        XCTAssertTrue(twice.first?.contains("error[NBG132]: ModelPipeline 'churn' is defined twice") ?? false, "\(twice)")
    }

    /// Argo CD: the InferenceService is in the manifests, in the serving wave after the Jobs,
    /// served from the job's own claim; explain names the pipeline's lines.
    func testArgoCDServesFromTheJobsClaimAfterTheJobs() throws {
        let plan = try compileSpecThroughPipeline(
            Self.job + Self.pipeline(Self.valid),
            overlays: ["openshift", "rwx", "argocd", "examples/overlays/repository.yaml"])
        let service = try XCTUnwrap(plan.objects.first { $0.kind == "InferenceService" })
        XCTAssertEqual(service.name, "churn")
        XCTAssertEqual(service.manifest.value(at: "spec.predictor.model.storageUri"), "pvc://models/churn/v1")
        XCTAssertEqual(service.manifest.value(at: "spec.predictor.model.runtime"), "kserve-sklearnserver")
        XCTAssertEqual(service.manifest.value(at: "metadata.annotations[argocd.argoproj.io/sync-wave]"), "6")
        let job = try XCTUnwrap(plan.objects.first { $0.kind == "Job" })
        XCTAssertEqual(job.manifest.value(at: "metadata.annotations[argocd.argoproj.io/sync-wave]"), "5")
        XCTAssertTrue(plan.servingObjects.isEmpty)
        let origin = try XCTUnwrap(Explainer.origin(of: "spec.predictor.model.storageUri", in: service)).origin
        XCTAssertEqual(origin.field, "spec.source.notebookOutput")
        XCTAssertEqual(origin.origin.location?.file, "spec.yaml")
        XCTAssertTrue(origin.rule?.contains("job 'train' volume 'models'") ?? false, "\(origin)")
        // The AppProject allows the kind.
        let project = try XCTUnwrap(plan.deliveryObjects.first { $0.kind == "AppProject" })
        XCTAssertTrue(
            (project.manifest.value(at: "spec.namespaceResourceWhitelist")?.elements ?? []).contains {
                $0["kind"]?.stringValue == "InferenceService"
            })
    }

    /// Flux: `<env>/serving/` by a Kustomization that depends on the validation one.
    func testFluxServesFromItsOwnKustomizationAfterTheValidationOne() throws {
        let plan = try compileSpecThroughPipeline(
            Self.job + Self.pipeline(Self.valid),
            overlays: ["kubernetes", "rwx", "flux", "examples/overlays/repository.yaml"])
        XCTAssertFalse(plan.objects.contains { $0.kind == "InferenceService" })
        let service = try XCTUnwrap(plan.servingObjects.first)
        XCTAssertEqual(service.manifest.value(at: "spec.predictor.securityContext.fsGroup"), .int(100))
        let serving = try XCTUnwrap(plan.deliveryObjects.first { $0.name == "test-serving" })
        XCTAssertEqual(serving.manifest.value(at: "spec.dependsOn"), [["name": "test"]])
        XCTAssertEqual(serving.manifest.value(at: "spec.path"), "./gitops/test/serving")
        let files = OutputLayout.files(for: plan).map(\.path)
        XCTAssertTrue(files.contains("test/serving/6-inferenceservice-churn.yaml"), "\(files)")
        XCTAssertTrue(files.contains("test/serving/kustomization.yaml"))
    }

    /// A model larger than its claim is NBG260, at size.model.
    func testAModelLargerThanItsClaimIsReported() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("spec.yaml").path
        try (Self.job + Self.pipeline(Self.valid.replacingOccurrences(of: "model: 2Gi", with: "model: 40Gi")))
            .write(toFile: path, atomically: true, encoding: .utf8)
        let diagnostics = RuleFixtureTests.pipelineDiagnostics(
            path: path, display: "spec.yaml", overlays: "openshift, rwx, argocd, examples/overlays/repository.yaml")
        let errors = diagnostics.filter { $0.severity == .error }.map { $0.rendered.components(separatedBy: "\n")[0] }
        XCTAssertEqual(
            errors,
            [
                "spec.yaml:42:12: error[NBG260]: PersistentVolumeClaim 'models' requests 10Gi, less than the 40Gi model ModelPipeline 'churn' serves from it"
            ])
    }

    func testTheSchemaExportDescribesTheKind() throws {
        let schema = JSONSchemaExport.schema(.modelPipeline)
        let properties = try XCTUnwrap(schema["properties"] as? [String: Any])
        XCTAssertEqual((properties["kind"] as? [String: Any])?["const"] as? String, "ModelPipeline")
        let all = JSONSchemaExport.render(.all)
        XCTAssertTrue(all.contains("\"modelPipeline\""))
        XCTAssertTrue(all.contains("notebookOutput"))
    }

    /// `nbgitops.dev/platforms` selects pipelines as it selects jobs; a pipeline planned where its
    /// job is not is NBG280, at the job's name.
    func testPlatformsAnnotationSelectsPipelinesLikeJobs() throws {
        let onlyOpenShift = "  annotations:\n    nbgitops.dev/platforms: openshift\n"
        let job = Self.job.replacingOccurrences(of: "  name: train\n", with: "  name: train\n" + onlyOpenShift)
        let both = job + Self.pipeline(Self.valid).replacingOccurrences(of: "  name: churn\n", with: "  name: churn\n" + onlyOpenShift)
        let kubernetes = try compileSpecThroughPipeline(
            both, overlays: ["kubernetes", "rwx", "flux", "examples/overlays/repository.yaml"])
        XCTAssertTrue(kubernetes.servingObjects.isEmpty && !kubernetes.objects.contains { $0.kind == "Job" })
        let openshift = try compileSpecThroughPipeline(
            both, overlays: ["openshift", "rwx", "argocd", "examples/overlays/repository.yaml"])
        XCTAssertEqual(openshift.objects.filter { $0.kind == "InferenceService" }.count, 1)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("spec.yaml").path
        try (job + Self.pipeline(Self.valid)).write(toFile: path, atomically: true, encoding: .utf8)
        let errors = RuleFixtureTests.pipelineDiagnostics(
            path: path, display: "spec.yaml", overlays: "kubernetes, rwx, flux, examples/overlays/repository.yaml"
        ).filter { $0.severity == .error }.map { $0.rendered.components(separatedBy: "\n")[0] }
        XCTAssertEqual(
            errors,
            [
                "spec.yaml:40:12: error[NBG280]: ModelPipeline 'churn' serves the output of job 'train', which is not planned on kubernetes (its nbgitops.dev/platforms annotation)"
            ])
    }

    /// A predictor asking for the GPU tolerates exactly the environment's GPU taints (seed 001),
    /// its GPU request gets an equal limit, and explain names the overlay; a CPU predictor gets
    /// no GPU placement.
    func testAGPUPredictorToleratesTheGPUTaints() throws {
        let gpuServing = Self.valid + "\n    resources:\n      requests: {cpu: \"2\", memory: 8Gi, nvidia.com/gpu: \"1\"}"
        let overlays = ["openshift", "rwx", "gpu-taints", "argocd", "examples/overlays/repository.yaml"]
        let plan = try compileSpecThroughPipeline(Self.job + Self.pipeline(gpuServing), overlays: overlays)
        let service = try XCTUnwrap(plan.objects.first { $0.kind == "InferenceService" })
        XCTAssertEqual(service.manifest.value(at: "spec.predictor.model.resources.limits[nvidia.com/gpu]"), "1")
        let tolerations = service.manifest.value(at: "spec.predictor.tolerations")?.elements ?? []
        XCTAssertFalse(tolerations.isEmpty)
        let origin = try XCTUnwrap(Explainer.origin(of: "spec.predictor.tolerations[0].key", in: service)).origin
        XCTAssertEqual(origin.field, "gpu.taints[0]")
        XCTAssertEqual(origin.origin.location?.file, "overlays/gpu-taints.yaml")

        let cpu = try compileSpecThroughPipeline(Self.job + Self.pipeline(Self.valid), overlays: overlays)
        let cpuService = try XCTUnwrap(cpu.objects.first { $0.kind == "InferenceService" })
        XCTAssertNil(cpuService.manifest.value(at: "spec.predictor.tolerations"))
        XCTAssertNil(cpuService.manifest.value(at: "spec.predictor.nodeSelector"))
    }
}
