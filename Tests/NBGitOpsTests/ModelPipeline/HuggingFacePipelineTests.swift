import Foundation
import XCTest

@testable import NBGitOps

/// ModelPipelines with a Hugging Face source, through `CompilerPipeline.run`: the generated
/// Tekton pipeline (download → package → push → verify), the served reference, the derived
/// workspace and timeout, and seed 001's and 004's failures impossible by construction.
final class HuggingFacePipelineTests: XCTestCase {
    static let revision = "0123456789abcdef0123456789abcdef01234567"

    static func spec(
        name: String = "granite", model: String = "2Gi", largest: String? = "1800Mi", extra: String = "",
        source: String = ""
    ) -> String {
        """
        apiVersion: nbgitops.dev/v1alpha1
        kind: ModelPipeline
        metadata:
          name: \(name)
        spec:
          source:
            huggingFace:
              repo: ibm-granite/granite-3.1-2b-instruct
              revision: \(revision)
        \(source)
          size:
            model: \(model)
        \(largest.map { "    largestFile: \($0)" } ?? "")
        \(extra)
          serving:
            modelFormat: {name: vLLM}
            runtime: vllm-runtime
            resources:
              requests: {nvidia.com/gpu: "1"}
              limits: {nvidia.com/gpu: "1"}
        """
    }

    static let openshiftGPU = [
        "openshift", "rwo", "gpu-taints", "argocd", "examples/overlays/repository.yaml",
        "examples/overlays/site-defaults.yaml",
        // OpenShift AI's KServe: no uidModelcar (an unknown one refuses the ModelCar, NBG290).
        "Tests/NBGitOpsTests/Fixtures/overlays/uid-modelcar-unset.yaml",
    ]
    static let kubernetesFlux = [
        "kubernetes", "rwo", "flux", "examples/overlays/repository.yaml", "examples/overlays/site-defaults.yaml",
    ]

    func object(_ plan: EnvironmentPlan, _ kind: String, prefix: String = "") throws -> PlannedObject {
        try XCTUnwrap(
            (plan.objects + plan.servingObjects + plan.buildObjects).first { $0.kind == kind && $0.name.hasPrefix(prefix) },
            "\(kind) \(prefix)")
    }

    func param(_ run: PlannedObject, _ name: String) -> String? {
        (run.manifest.value(at: "spec.params")?.elements ?? []).first { $0["name"]?.stringValue == name }?["value"]?
            .stringValue
    }

    /// The InferenceService serves the exact reference push-0 writes and verify-0 reads back.
    func testModelcarServesTheReferenceThePushWrites() throws {
        let plan = try compileSpecThroughPipeline(Self.spec(extra: "  delivery: modelcar"), overlays: Self.openshiftGPU)
        let run = try object(plan, "PipelineRun", prefix: "granite-")
        let image = try XCTUnwrap(param(run, "image-0"))
        XCTAssertTrue(
            image.hasPrefix("image-registry.openshift-image-registry.svc:5000/notebook-validation/granite:nbgitops-"), image)
        // The tag hashes the image's content, the run's name the whole run (testTheModelCarTagHashesOnlyWhatGoesIntoTheImage).
        let hash = try XCTUnwrap(ImageTag.inputHash(of: String(image.split(separator: ":").last ?? "")))
        XCTAssertEqual(hash.count, 8)
        XCTAssertEqual(run.name.count, "granite-".count + 8, run.name)
        let service = try object(plan, "InferenceService")
        XCTAssertEqual(service.manifest.value(at: "spec.predictor.model.storageUri")?.stringValue, "oci://" + image)
        let pipeline = try object(plan, "Pipeline", prefix: "granite-model")
        let tasks = pipeline.manifest.value(at: "spec.tasks")?.elements ?? []
        XCTAssertEqual(
            tasks.compactMap { $0["name"]?.stringValue }, ["check-0", "download", "package", "push-0", "verify-0"])
        let verify = try XCTUnwrap(tasks.last)
        let verifyParams = Dictionary(
            uniqueKeysWithValues: (verify["params"]?.elements ?? []).compactMap { item -> (String, String)? in
                guard let name = item["name"]?.stringValue, let value = item["value"]?.stringValue else { return nil }
                return (name, value)
            })
        XCTAssertEqual(verifyParams["image"], "$(params.image-0)")
        XCTAssertEqual(verifyParams["digest"], "$(tasks.push-0.results.IMAGE_DIGEST)")
        XCTAssertEqual(verifyParams["push-with-service-account-token"], "true")
        XCTAssertEqual(try object(plan, "ImageStream", prefix: "granite").name, "granite")
        // Only the internal push and its verification run as the account that may push.
        XCTAssertEqual(
            run.manifest.value(at: "spec.taskRunSpecs")?.elements?.compactMap { $0["pipelineTaskName"]?.stringValue },
            ["check-0", "push-0", "verify-0"])
        XCTAssertEqual(run.manifest.value(at: "spec.taskRunTemplate.serviceAccountName")?.stringValue, "nbgitops-model-fetch")
        let binding = try object(plan, "RoleBinding", prefix: "nbgitops-model-push")
        XCTAssertEqual(binding.manifest.value(at: "roleRef.name")?.stringValue, "system:image-builder")
        XCTAssertEqual(
            try object(plan, "ServiceAccount", prefix: "nbgitops-model-fetch").manifest["automountServiceAccountToken"],
            .bool(false))
    }

    /// Seed 001: on a GPU-tainted OpenShift cluster nothing in the run reaches the affinity
    /// assistant that it cannot schedule or restricted-v2 rejects; the GPU predictor tolerates
    /// the taints. Every step is restricted (seed 004's buildah needed SETFCAP and an SCC).
    func testSeed001And004FailuresAreImpossibleByConstruction() throws {
        let plan = try compileSpecThroughPipeline(Self.spec(extra: "  delivery: modelcar"), overlays: Self.openshiftGPU)
        let run = try object(plan, "PipelineRun", prefix: "granite-")
        XCTAssertNil(run.manifest.value(at: "spec.podTemplate"))
        XCTAssertNil(run.manifest.value(at: "spec.taskRunTemplate.podTemplate"), "no securityContext or placement on OpenShift")
        XCTAssertTrue(PlatformRules.strings(run.manifest, path: "") { $0 == "nvidia.com/gpu" ? $0 : nil }.isEmpty)
        // Tekton 1.11 with coschedule: workspaces is not declared here: the annotation would be dead text (NBG338).
        XCTAssertNil(run.manifest.value(at: "metadata.annotations")?["tekton.dev/auto-cleanup-pvc"])
        for task in plan.objects where task.kind == "Task" && task.name.hasPrefix("nbgitops-model-") {
            for step in task.manifest.value(at: "spec.steps")?.elements ?? [] {
                let context = step["securityContext"]
                XCTAssertEqual(context?["allowPrivilegeEscalation"], .bool(false), task.name)
                XCTAssertEqual(context?["capabilities"]?["drop"], ["ALL"], task.name)
                XCTAssertNil(context?["capabilities"]?["add"], task.name)
                XCTAssertNil(context?["runAsUser"], "restricted-v2 assigns the UID: \(task.name)")
                // HOME and TMPDIR on the workspace, not the node's ephemeral storage.
                let env = step["env"]?.elements ?? []
                for name in ["HOME", "TMPDIR"] {
                    let value = env.first { $0["name"]?.stringValue == name }?["value"]?.stringValue
                    XCTAssertTrue(value?.hasPrefix("$(workspaces.model.path)/") == true, "\(task.name) \(name)")
                }
            }
        }
        let service = try object(plan, "InferenceService")
        XCTAssertEqual(
            service.manifest.value(at: "spec.predictor.tolerations")?.elements?.first?["key"]?.stringValue, "nvidia.com/gpu")
    }

    /// The workspace and timeout are derived (formulas of NBG284 / NBG287); a changed revision
    /// gives a new run and tag, an unchanged input the same bytes.
    func testWorkspaceTimeoutAndTagAreDerived() throws {
        let plan = try compileSpecThroughPipeline(Self.spec(extra: "  delivery: modelcar"), overlays: Self.openshiftGPU)
        let run = try object(plan, "PipelineRun", prefix: "granite-")
        // (2Gi + 1800Mi + 1Gi) × 1.1 = 5.36Gi → 6Gi.
        XCTAssertEqual(
            run.manifest.value(at: "spec.workspaces[0].volumeClaimTemplate.spec.resources.requests.storage")?.stringValue,
            "6Gi")
        // (2Gi/20Mi + 2Gi/100Mi + 2Gi/10Mi) × 1.5 + 15m = 23.2m → 24m.
        XCTAssertEqual(run.manifest.value(at: "spec.timeouts.pipeline")?.stringValue, "24m0s")
        XCTAssertEqual(param(run, "model-bytes"), "2147483648")
        XCTAssertEqual(param(run, "allow-patterns"), ModelPipeline.HuggingFace.defaultAllowPatterns.joined(separator: "\n"))
        let again = try compileSpecThroughPipeline(Self.spec(extra: "  delivery: modelcar"), overlays: Self.openshiftGPU)
        XCTAssertEqual(try object(again, "PipelineRun", prefix: "granite-").name, run.name)
        let moved = try compileSpecThroughPipeline(
            Self.spec(extra: "  delivery: modelcar").replacingOccurrences(
                of: Self.revision, with: String(repeating: "ab", count: 20)),
            overlays: Self.openshiftGPU)
        XCTAssertNotEqual(try object(moved, "PipelineRun", prefix: "granite-").name, run.name)
    }

    /// The served reference of a ModelCar pipeline and its tag.
    func servedReference(_ spec: String, overlays: [String]) throws -> (reference: String, tag: String, run: String) {
        let plan = try compileSpecThroughPipeline(spec, overlays: overlays)
        let reference = try XCTUnwrap(
            try object(plan, "InferenceService").manifest.value(at: "spec.predictor.model.storageUri")?.stringValue)
        XCTAssertTrue(reference.hasPrefix("oci://"), reference)
        return (
            reference, String(reference.split(separator: ":").last ?? ""),
            try object(plan, "PipelineRun", prefix: "granite-").name
        )
    }

    /// An overlay file named `name` whose `spec` holds the lines `spec` (`overlayYAML`), removed
    /// when the test ends.
    func temporaryOverlay(_ name: String, spec: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).yaml")
        try overlayYAML(name: name, spec: spec).write(to: url, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// An artifact's tag hashes only what goes into it (repository, revision, patterns, packager,
    /// base image): where the workspace lives, where the image is pushed, how it is served and
    /// how long the run may take keep the tag, so identical content is never downloaded and
    /// pushed again under a new name; the served oci:// reference is byte-identical. The run is
    /// renamed when its own spec changes (a started PipelineRun cannot be updated).
    func testTheModelCarTagHashesOnlyWhatGoesIntoTheImage() throws {
        let modelcar = Self.spec(extra: "  delivery: modelcar")
        let base = try servedReference(modelcar, overlays: Self.openshiftGPU)
        let overlay = try temporaryOverlay("storage", spec: "  storage:\n    storageClassName: io2-csi\n")
        // Where it is stored: the workspace's storage class.
        let stored = try servedReference(modelcar, overlays: Self.openshiftGPU + [overlay.path])
        XCTAssertEqual(stored.reference, base.reference)
        XCTAssertNotEqual(stored.run, base.run, "the run's workspace changed: a new run, the same tag")
        // How it is served, and the run's timeout.
        let served = try servedReference(
            modelcar.replacingOccurrences(
                of: "    runtime: vllm-runtime\n", with: "    runtime: vllm-runtime\n    minReplicas: 1\n")
                + "\n  timeout: 2h", overlays: Self.openshiftGPU)
        XCTAssertEqual(served.reference, base.reference)
        // Where it is pushed: another registry, another platform and namespace.
        let elsewhere = try servedReference(
            Self.spec(
                extra: """
                      delivery: modelcar
                      modelcar:
                        destinations:
                        - registry: {repository: quay.io/example-org/granite, pushSecret: registry-push}
                    """), overlays: Self.kubernetesFlux)
        XCTAssertEqual(elsewhere.tag, base.tag)
        XCTAssertEqual(elsewhere.reference, "oci://quay.io/example-org/granite:" + base.tag)

        // What goes into it: each changes the tag.
        let changed: [(String, String)] = [
            ("revision", modelcar.replacingOccurrences(of: Self.revision, with: String(repeating: "ab", count: 20))),
            ("patterns", Self.spec(extra: "  delivery: modelcar", source: "      allowPatterns: ['*.safetensors', '*.json']")),
            ("ignore patterns", Self.spec(extra: "  delivery: modelcar", source: "      ignorePatterns: ['*.md']")),
            ("packager", Self.spec(extra: "  delivery: modelcar\n  modelcar: {packager: buildah}")),
            (
                "base image",
                Self.spec(
                    extra: "  delivery: modelcar\n  modelcar: {baseImage: 'registry.access.redhat.com/ubi9/ubi-minimal@sha256:"
                        + String(repeating: "1", count: 64) + "'}")
            ),
        ]
        for (what, spec) in changed {
            XCTAssertNotEqual(try servedReference(spec, overlays: Self.openshiftGPU).tag, base.tag, what)
        }
    }

    /// A new run for unchanged content does not redo the work: a changed workspace storage class
    /// keeps the tag but starts a new PipelineRun (a started run cannot be updated), so the
    /// Pipeline first checks every destination for the tag (chained: "present" means every
    /// destination so far holds it), with the push's own credentials, and download, package,
    /// push and verify each run only when it is missing (a `when` guards only its own task).
    /// `delivery: pvc` is unchanged: a new claim must be populated.
    func testANewRunForUnchangedContentChecksEveryDestinationBeforeDoingTheWork() throws {
        let spec = Self.spec(
            extra: """
                  delivery: modelcar
                  modelcar:
                    destinations:
                    - imageStream: granite
                    - registry: {repository: quay.io/example-org/granite, pushSecret: registry-push}
                """)
        let overlay = FileManager.default.temporaryDirectory.appendingPathComponent("storage-\(UUID().uuidString).yaml")
        try """
        apiVersion: nbgitops.dev/v1alpha1
        kind: Overlay
        metadata:
          name: storage
        spec:
          storage:
            storageClassName: io2-csi
        """.write(to: overlay, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: overlay) }
        let plan = try compileSpecThroughPipeline(spec, overlays: Self.openshiftGPU)
        let moved = try compileSpecThroughPipeline(spec, overlays: Self.openshiftGPU + [overlay.path])
        let run = try object(plan, "PipelineRun", prefix: "granite-")
        let movedRun = try object(moved, "PipelineRun", prefix: "granite-")
        XCTAssertNotEqual(movedRun.name, run.name, "a changed storage class is a new run")
        XCTAssertEqual(param(movedRun, "image-0"), param(run, "image-0"), "for the same tag")
        XCTAssertEqual(param(movedRun, "image-1"), param(run, "image-1"))

        let pipeline = try object(moved, "Pipeline", prefix: "granite-model")
        let tasks = pipeline.manifest.value(at: "spec.tasks")?.elements ?? []
        func task(_ name: String) throws -> ManifestNode {
            try XCTUnwrap(tasks.first { $0["name"]?.stringValue == name }, name)
        }
        func params(_ task: ManifestNode) -> [String: String] {
            Dictionary(
                (task["params"]?.elements ?? []).compactMap { item -> (String, String)? in
                    guard let name = item["name"]?.stringValue, let value = item["value"]?.stringValue else { return nil }
                    return (name, value)
                }, uniquingKeysWith: { first, _ in first })
        }
        XCTAssertEqual(
            tasks.compactMap { $0["name"]?.stringValue },
            ["check-0", "check-1", "download", "package", "push-0", "verify-0", "push-1", "verify-1"])
        // The checks chain; the last one's answer covers every destination.
        XCTAssertEqual(try task("check-0")["taskRef"]?["name"]?.stringValue, "nbgitops-model-check")
        XCTAssertNil(params(try task("check-0"))["present-before"])
        XCTAssertEqual(params(try task("check-1"))["present-before"], "$(tasks.check-0.results.present)")
        XCTAssertEqual(try task("check-1")["runAfter"], ["check-0"])
        XCTAssertEqual(try task("download")["runAfter"], ["check-1"])
        let guardWhen: ManifestNode = [
            ["input": "$(tasks.check-1.results.present)", "operator": "in", "values": ["false"]]
        ]
        for name in ["download", "package", "push-0", "verify-0", "push-1", "verify-1"] {
            XCTAssertEqual(try task(name)["when"], guardWhen, name)
        }
        XCTAssertNil(try task("check-0")["when"])
        // Each check reads the destination the push writes, with the push's credentials: the
        // same image parameter, token mode and Secret workspace, and the same ServiceAccount.
        for index in 0..<2 {
            let check = try task("check-\(index)")
            let push = try task("push-\(index)")
            XCTAssertEqual(params(check)["image"], params(push)["image"])
            XCTAssertEqual(
                params(check)["push-with-service-account-token"], params(push)["push-with-service-account-token"])
            XCTAssertEqual(check["workspaces"], push["workspaces"])
        }
        XCTAssertEqual(params(try task("check-0"))["push-with-service-account-token"], "true")
        XCTAssertEqual(
            movedRun.manifest.value(at: "spec.taskRunSpecs")?.elements?.map {
                "\($0["pipelineTaskName"]?.stringValue ?? "")=\($0["serviceAccountName"]?.stringValue ?? "")"
            }, ["check-0=nbgitops-model-push", "push-0=nbgitops-model-push", "verify-0=nbgitops-model-push"])
        // The check step runs the push step's image and reads the same credential settings.
        let checkTask = try object(moved, "Task", prefix: "nbgitops-model-check")
        let pushTask = try object(moved, "Task", prefix: "nbgitops-model-push")
        let checkStep = try XCTUnwrap(checkTask.manifest.value(at: "spec.steps")?.elements?.first)
        let pushStep = try XCTUnwrap(pushTask.manifest.value(at: "spec.steps")?.elements?.first)
        XCTAssertEqual(checkStep["image"], pushStep["image"])
        XCTAssertEqual(checkStep["securityContext"], pushStep["securityContext"])
        XCTAssertEqual(checkStep["volumeMounts"], pushStep["volumeMounts"])
        XCTAssertEqual(checkTask.manifest.value(at: "spec.volumes"), pushTask.manifest.value(at: "spec.volumes"))
        func env(_ step: ManifestNode) -> [String: String] {
            Dictionary(
                (step["env"]?.elements ?? []).compactMap { item -> (String, String)? in
                    guard let name = item["name"]?.stringValue, let value = item["value"]?.stringValue else { return nil }
                    return (name, value)
                }, uniquingKeysWith: { first, _ in first })
        }
        for name in [
            "NBG_IMAGE", "NBG_PUSH_WITH_SA_TOKEN", "NBG_REGISTRY_CA_DIR", "NBG_DOCKERCONFIG_BOUND", "NBG_DOCKERCONFIG_DIR",
        ] {
            XCTAssertEqual(env(checkStep)[name], env(pushStep)[name], name)
        }
        XCTAssertEqual(checkTask.manifest.value(at: "spec.results[0].name")?.stringValue, "present")
        let scripts = try object(moved, "ConfigMap", prefix: "nbgitops-model-scripts")
        XCTAssertNotNil(scripts.manifest.value(at: "data")?["model-check.sh"])
        XCTAssertTrue(checkStep["script"]?.stringValue?.contains("/nbgitops/scripts/model-check.sh") == true)

        // delivery: pvc: no check, no guard.
        let pvc = try compileSpecThroughPipeline(Self.spec(extra: "  delivery: pvc"), overlays: Self.openshiftGPU)
        let pvcTasks = try object(pvc, "Pipeline", prefix: "granite-model").manifest.value(at: "spec.tasks")?.elements ?? []
        XCTAssertEqual(pvcTasks.compactMap { $0["name"]?.stringValue }, ["download"])
        XCTAssertNil(pvcTasks.first?["when"])
    }

    /// Without `delivery`: ModelCar below models.modelcarLimit (40Gi), a claim from it on; a
    /// claim is named by its run, written once, read by the predictor afterwards.
    func testDeliveryDefaultsBySizeAndPvcIsPopulatedOnce() throws {
        let small = try compileSpecThroughPipeline(Self.spec(), overlays: Self.openshiftGPU)
        XCTAssertTrue(
            try object(small, "InferenceService").manifest.value(at: "spec.predictor.model.storageUri")?.stringValue?
                .hasPrefix("oci://") == true)
        let large = try compileSpecThroughPipeline(
            Self.spec(model: "140Gi", largest: "5Gi", source: "      tokenSecret: {name: hf-token}"),
            overlays: Self.openshiftGPU)
        let run = try object(large, "PipelineRun", prefix: "granite-")
        let claim = try object(large, "PersistentVolumeClaim", prefix: "granite-")
        XCTAssertEqual(claim.name, run.name)
        XCTAssertEqual(claim.writtenOnceBy, "PipelineRun/\(run.namespace ?? "")/" + run.name)
        // (140Gi + 1Gi) × 1.1 = 155.1Gi → 156Gi.
        XCTAssertEqual(claim.manifest.value(at: "spec.resources.requests.storage")?.stringValue, "156Gi")
        XCTAssertEqual(
            run.manifest.value(at: "spec.workspaces[0].persistentVolumeClaim.claimName")?.stringValue, claim.name)
        XCTAssertNil(run.manifest.value(at: "metadata.annotations")?["tekton.dev/auto-cleanup-pvc"], "the claim is kept")
        XCTAssertEqual(
            try object(large, "InferenceService").manifest.value(at: "spec.predictor.model.storageUri")?.stringValue,
            "pvc://\(claim.name)/model")
        let pipeline = try object(large, "Pipeline", prefix: "granite-model")
        XCTAssertEqual(pipeline.manifest.value(at: "spec.tasks")?.elements?.count, 1, "pvc: the download only")
        // The token Secret is a workspace of the run bound to the download Task only, as a file.
        let token = try XCTUnwrap(
            run.manifest.value(at: "spec.workspaces")?.elements?.first { $0["name"]?.stringValue == "hf-token" })
        XCTAssertEqual(token["secret"]?["secretName"]?.stringValue, "hf-token")
        let users = (pipeline.manifest.value(at: "spec.tasks")?.elements ?? []).filter { task in
            (task["workspaces"]?.elements ?? []).contains { $0["workspace"]?.stringValue == "hf-token" }
        }
        XCTAssertEqual(users.compactMap { $0["name"]?.stringValue }, ["download"])
        // An overlay's limit moves the default.
        let limit = try temporaryOverlay("limit", spec: "  models:\n    modelcarLimit: 1Gi\n")
        let moved = try compileSpecThroughPipeline(Self.spec(), overlays: Self.openshiftGPU + [limit.path])
        XCTAssertTrue(
            try object(moved, "InferenceService").manifest.value(at: "spec.predictor.model.storageUri")?.stringValue?
                .hasPrefix("pvc://") == true)
    }

    /// The download step runs huggingface_hub (never the token on the CDN a `/resolve/` redirect
    /// points to; resumed transfers), at the version the Task pins, with its cache on the
    /// workspace and no telemetry; the token stays a file of the hf-token workspace, never an
    /// environment variable. The script's behaviour is tested against loopback servers in
    /// templates/tekton/tests/test_model_scripts.py (DownloadTests).
    func testDownloadStepRunsPinnedHuggingFaceHubWithTheTokenInAFile() throws {
        let plan = try compileSpecThroughPipeline(
            Self.spec(source: "      tokenSecret: {name: hf-token}"), overlays: Self.openshiftGPU)
        let scripts = try object(plan, "ConfigMap", prefix: "nbgitops-model-scripts")
        let download = try XCTUnwrap(scripts.manifest.value(at: "data")?["model-download.py"]?.stringValue)
        XCTAssertTrue(download.contains("snapshot_download("), "the transfer is huggingface_hub's")
        XCTAssertFalse(download.contains("urllib.request"), "no hand-written HTTP client")
        let task = try object(plan, "Task", prefix: "nbgitops-model-download")
        let step = try XCTUnwrap(task.manifest.value(at: "spec.steps")?.elements?.first)
        var env: [String: String] = [:]
        for variable in step["env"]?.elements ?? [] {
            XCTAssertNil(variable["valueFrom"], "no Secret reaches the environment")
            env[variable["name"]?.stringValue ?? ""] = variable["value"]?.stringValue ?? ""
        }
        XCTAssertNil(env["HF_TOKEN"])
        XCTAssertEqual(env["NBG_HF_TOKEN_FILE"], "$(workspaces.hf-token.path)/token")
        XCTAssertEqual(env["HF_HUB_DISABLE_TELEMETRY"], "1")
        XCTAssertEqual(env["HF_HOME"], "$(workspaces.model.path)/home/huggingface")
        let version = try XCTUnwrap(env["NBG_HF_HUB_VERSION"])
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        XCTAssertTrue(
            parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) },
            "an exact huggingface_hub version: \(version)")
        let script = try XCTUnwrap(step["script"]?.stringValue)
        XCTAssertTrue(script.contains("\"huggingface_hub==$NBG_HF_HUB_VERSION\""), script)
    }

    /// Kubernetes with Flux: an external registry's push Secret bound to its push and verify
    /// only, no token-bearing account, and the validation Kustomization waits for the run.
    func testExternalRegistryOnKubernetesWithFlux() throws {
        let destination = """
              modelcar:
                destinations:
                - registry: {repository: quay.io/example-org/granite, pushSecret: registry-push}
            """
        let plan = try compileSpecThroughPipeline(Self.spec(extra: destination), overlays: Self.kubernetesFlux)
        let run = try object(plan, "PipelineRun", prefix: "granite-")
        XCTAssertTrue(param(run, "image-0")?.hasPrefix("quay.io/example-org/granite:nbgitops-") == true)
        XCTAssertNil(run.manifest.value(at: "spec.taskRunSpecs"))
        XCTAssertEqual(run.manifest.value(at: "spec.taskRunTemplate.podTemplate.securityContext.fsGroup"), .int(0))
        XCTAssertFalse(plan.objects.contains { $0.kind == "RoleBinding" && $0.name.contains("model-push") })
        XCTAssertFalse(plan.objects.contains { $0.kind == "ServiceAccount" && $0.name.contains("model-push") })
        let pipeline = try object(plan, "Pipeline", prefix: "granite-model")
        let users = (pipeline.manifest.value(at: "spec.tasks")?.elements ?? []).filter { task in
            (task["workspaces"]?.elements ?? []).contains { $0["workspace"]?.stringValue == "dockerconfig-0" }
        }
        XCTAssertEqual(users.compactMap { $0["name"]?.stringValue }, ["check-0", "push-0", "verify-0"])
        let validation = try XCTUnwrap(
            plan.deliveryObjects.first { $0.kind == "Kustomization" && $0.name == "test" }, "\(plan.deliveryObjects.map(\.name))")
        XCTAssertEqual(
            validation.manifest.value(at: "spec.healthCheckExprs")?.elements?.first?["kind"]?.stringValue, "PipelineRun")
        // The Kustomization waits at least as long as the run may take (24m + 5m).
        XCTAssertEqual(validation.manifest.value(at: "spec.timeout")?.stringValue, "29m")
        let serving = try XCTUnwrap(plan.deliveryObjects.first { $0.name == "test-serving" })
        XCTAssertEqual(serving.manifest.value(at: "spec.dependsOn")?.elements?.first?["name"]?.stringValue, "test")
    }

    func testWeightFormatsFollowFnmatch() {
        XCTAssertEqual(WeightFormats.fetched(allow: ModelPipeline.HuggingFace.defaultAllowPatterns, ignore: []), ["safetensors"])
        XCTAssertEqual(WeightFormats.fetched(allow: ["*"], ignore: []).count, WeightFormats.extensions.count)
        XCTAssertEqual(
            WeightFormats.fetched(
                allow: ["*"], ignore: ["*.bin", "*.pt", "*.pth", "*.gguf", "*.onnx", "*.h5", "*.msgpack", "*.ckpt", "*.tflite"]),
            ["safetensors"])
        XCTAssertEqual(WeightFormats.fetched(allow: ["granite-3.1-2b-Q4_K_M.gguf", "*.json"], ignore: []), ["gguf"])
        XCTAssertEqual(WeightFormats.fetched(allow: ["*.json", "*.txt"], ignore: []), [])
        XCTAssertTrue(Glob.matches("model-*-of-*.safetensors", "model-00001-of-00002.safetensors"))
        XCTAssertTrue(Glob.matches("*.[sb]in", "x.bin"))
        XCTAssertFalse(Glob.matches("*.[!b]in", "x.bin"))
        XCTAssertTrue(Glob.matches("onnx/*", "onnx/model.onnx"))
        XCTAssertFalse(Glob.matches("?.json", "ab.json"))
    }

    /// No runtime named and model format vLLM: a generated vLLM ServingRuntime (image by digest,
    /// /dev/shm in memory, tensor parallelism from the GPU limit); a named runtime is used as is.
    func testVLLMServingRuntimeIsGeneratedUnlessOneIsNamed() throws {
        let fourGPUs = Self.spec().replacingOccurrences(of: "    runtime: vllm-runtime\n", with: "")
            .replacingOccurrences(of: "nvidia.com/gpu: \"1\"", with: "nvidia.com/gpu: \"4\"")
        let plan = try compileSpecThroughPipeline(fourGPUs, overlays: Self.openshiftGPU)
        let runtime = try object(plan, "ServingRuntime")
        XCTAssertEqual(runtime.name, "granite-vllm")
        XCTAssertEqual(
            try object(plan, "InferenceService").manifest.value(at: "spec.predictor.model.runtime")?.stringValue,
            "granite-vllm")
        let container = try XCTUnwrap(runtime.manifest.value(at: "spec.containers")?.elements?.first)
        XCTAssertTrue(container["image"]?.stringValue?.contains("@sha256:") == true)
        let args = container["args"]?.elements?.compactMap(\.stringValue) ?? []
        XCTAssertTrue(args.contains("--model=/mnt/models") && args.contains("--tensor-parallel-size=4"), "\(args)")
        XCTAssertEqual(runtime.manifest.value(at: "spec.volumes[0].emptyDir.medium")?.stringValue, "Memory")
        XCTAssertEqual(runtime.manifest.value(at: "spec.volumes[0].emptyDir.sizeLimit")?.stringValue, "8Gi")
        XCTAssertEqual(container["volumeMounts"]?.elements?.first?["mountPath"]?.stringValue, "/dev/shm")
        XCTAssertEqual(runtime.wave, .config, "the runtime exists before the InferenceService")
        let named = try compileSpecThroughPipeline(Self.spec(), overlays: Self.openshiftGPU)
        XCTAssertFalse(named.objects.contains { $0.kind == "ServingRuntime" })
        XCTAssertEqual(
            try object(named, "InferenceService").manifest.value(at: "spec.predictor.model.runtime")?.stringValue,
            "vllm-runtime")
    }

    /// `serving.placement` is kept and the GPU placement added to it, never replacing it.
    func testServingPlacementIsMergedWithTheGPUPlacement() throws {
        let placed = Self.spec().replacingOccurrences(
            of: "    runtime: vllm-runtime\n",
            with: """
                    runtime: vllm-runtime
                    placement:
                      nodeSelector: {node.kubernetes.io/instance-type: g5.2xlarge}
                      tolerations: [{key: dedicated, operator: Equal, value: inference, effect: NoSchedule}]

                """)
        let plan = try compileSpecThroughPipeline(placed, overlays: Self.openshiftGPU)
        let predictor = try XCTUnwrap(try object(plan, "InferenceService").manifest.value(at: "spec.predictor"))
        XCTAssertEqual(
            predictor["tolerations"]?.elements?.compactMap { $0["key"]?.stringValue }, ["dedicated", "nvidia.com/gpu"])
        XCTAssertEqual(predictor["nodeSelector"]?["node.kubernetes.io/instance-type"]?.stringValue, "g5.2xlarge")
    }

    /// The buildah packager: the pipeline runs in the build namespace (Pod Security baseline),
    /// only its package Task as the account bound to pipelines-scc; the predictors pull from the
    /// build namespace's ImageStream. Every rule passes (NBG250 sees the SCC the task needs granted).
    func testBuildahPackagerRunsInTheBuildNamespaceUnderItsOwnAccount() throws {
        let buildah = Self.spec(extra: "  delivery: modelcar\n  modelcar: {packager: buildah}")
        let plan = try compileSpecThroughPipeline(buildah, overlays: Self.openshiftGPU)
        let run = try object(plan, "PipelineRun", prefix: "granite-")
        XCTAssertEqual(run.namespace, "notebook-validation-builds")
        XCTAssertEqual(
            run.manifest.value(at: "spec.taskRunSpecs")?.elements?.map {
                "\($0["pipelineTaskName"]?.stringValue ?? "")=\($0["serviceAccountName"]?.stringValue ?? "")"
            },
            [
                "package=nbgitops-model-buildah", "check-0=nbgitops-model-push", "push-0=nbgitops-model-push",
                "verify-0=nbgitops-model-push",
            ])
        let scc = try object(plan, "RoleBinding", prefix: "nbgitops-model-buildah-use-pipelines-scc")
        XCTAssertEqual(scc.manifest.value(at: "roleRef.kind")?.stringValue, "Role")
        let role = try object(plan, "Role", prefix: "nbgitops-model-buildah-use-pipelines-scc")
        XCTAssertEqual(role.manifest.value(at: "rules[0].resourceNames"), ["pipelines-scc"])
        let task = try XCTUnwrap(plan.objects.first { $0.kind == "Task" && $0.name == "nbgitops-model-package-buildah" })
        let context = task.manifest.value(at: "spec.steps[0].securityContext")
        XCTAssertEqual(context?["capabilities"]?["add"], ["SETFCAP"])
        XCTAssertNil(context?["privileged"])
        // (3 × 2Gi + 1Gi) × 1.1 = 7.7Gi → 8Gi.
        XCTAssertEqual(
            run.manifest.value(at: "spec.workspaces[0].volumeClaimTemplate.spec.resources.requests.storage")?.stringValue,
            "8Gi")
        let service = try object(plan, "InferenceService")
        XCTAssertEqual(service.namespace, "notebook-validation")
        XCTAssertTrue(
            service.manifest.value(at: "spec.predictor.model.storageUri")?.stringValue?.hasPrefix(
                "oci://image-registry.openshift-image-registry.svc:5000/notebook-validation-builds/granite:nbgitops-") == true)
        let puller = try object(plan, "RoleBinding", prefix: "nbgitops-model-puller")
        XCTAssertEqual(puller.manifest.value(at: "subjects[0].namespace")?.stringValue, "notebook-validation")
        XCTAssertEqual(plan.objects.filter { $0.kind == "Namespace" && $0.name == "notebook-validation-builds" }.count, 1)

        // Kubernetes with Flux: the builds folder, a baseline namespace, no SCC binding.
        let destination =
            "\n  modelcar:\n    packager: buildah\n    destinations: [{registry: {repository: quay.io/example-org/granite, pushSecret: registry-push}}]"
        let flux = try compileSpecThroughPipeline(
            Self.spec(extra: "  delivery: modelcar" + destination), overlays: Self.kubernetesFlux)
        XCTAssertTrue(flux.buildObjects.contains { $0.kind == "PipelineRun" && $0.name.hasPrefix("granite-") })
        let namespace = try XCTUnwrap(flux.buildObjects.first { $0.kind == "Namespace" })
        XCTAssertEqual(namespace.manifest.value(at: "metadata.labels")?[LabelKey.podSecurityEnforce]?.stringValue, "baseline")
        XCTAssertFalse(flux.buildObjects.contains { $0.kind == "RoleBinding" })
    }

    /// A `pvc://` predictor on a ReadWriteOnce claim runs one replica: nbgitops sets maxReplicas: 1
    /// when serving.maxReplicas is unset (Knative would autoscale with no bound), and refuses
    /// (NBG202, at the line) a maxReplicas or minReplicas above 1, whose replicas on a second node
    /// would fail with Multi-Attach. A ReadWriteMany claim may be served by several replicas.
    func testReadWriteOnceClaimIsServedByOneReplica() throws {
        let pvc = Self.spec(model: "140Gi", largest: "5Gi", extra: "  delivery: pvc")
        let single = try compileSpecThroughPipeline(pvc, overlays: Self.openshiftGPU)
        let service = try object(single, "InferenceService")
        XCTAssertTrue(service.manifest.value(at: "spec.predictor.model.storageUri")?.stringValue?.hasPrefix("pvc://") == true)
        XCTAssertEqual(service.manifest.value(at: "spec.predictor.maxReplicas")?.intValue, 1)

        for (field, value) in [("maxReplicas", 3), ("minReplicas", 2)] {
            let (output, diagnostics) = try compileSpecWithDiagnostics(
                pvc + "\n    \(field): \(value)", overlays: Self.openshiftGPU)
            XCTAssertNil(output, field)
            let found = diagnostics.sorted.filter { $0.id == .rwoReplicatedPredictor }
            XCTAssertEqual(found.count, 1, diagnostics.sorted.map(\.rendered).joined(separator: "\n"))
            XCTAssertEqual(found.first?.severity, .error)
            XCTAssertTrue(found.first?.message.contains("\(field) is \(value)") == true, found.first?.message ?? "")
            XCTAssertTrue(found.first?.message.contains("ReadWriteOnce claim") == true, found.first?.message ?? "")
            // Located at the spec's line for the field (the last line of the spec text).
            XCTAssertEqual(
                found.first?.location?.line, (pvc + "\n").split(separator: "\n", omittingEmptySubsequences: false).count)
        }

        let rwx = Self.openshiftGPU.map { $0 == "rwo" ? "rwx" : $0 }
        let many = try compileSpecThroughPipeline(pvc + "\n    maxReplicas: 3", overlays: rwx)
        XCTAssertEqual(try object(many, "InferenceService").manifest.value(at: "spec.predictor.maxReplicas")?.intValue, 3)
        let unbounded = try compileSpecThroughPipeline(pvc, overlays: rwx)
        XCTAssertNil(try object(unbounded, "InferenceService").manifest.value(at: "spec.predictor.maxReplicas"))
    }

    /// A hand-written InferenceService on a ReadWriteOnce claim: refused when it sets no
    /// maxReplicas and its deployment mode is unstated (the cluster default may be Serverless,
    /// which autoscales); accepted in RawDeployment mode (KServe's HPA maximum is then the
    /// minimum, 1) or with maxReplicas: 1, and on a ReadOnlyMany claim.
    func testHandWrittenInferenceServiceOnReadWriteOnceClaim() throws {
        func spec(_ modes: String, annotations: String = "", predictor: String = "") -> String {
            """
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata:
              name: models
            spec:
              accessModes: [\(modes)]
              resources:
                requests:
                  storage: 10Gi
            ---
            apiVersion: serving.kserve.io/v1beta1
            kind: InferenceService
            metadata:
              name: churn
            \(annotations)
            spec:
              predictor:
            \(predictor)
                model:
                  modelFormat:
                    name: sklearn
                  storageUri: pvc://models/churn/v1
            """
        }
        let overlays = [
            "openshift", "rwo", "argocd", "examples/overlays/repository.yaml", "examples/overlays/site-defaults.yaml",
        ]
        func findings(_ text: String) throws -> [Diagnostic] {
            try compileSpecWithDiagnostics(text, overlays: overlays).1.sorted.filter { $0.id == .rwoReplicatedPredictor }
        }
        let unstated = try findings(spec("ReadWriteOnce"))
        XCTAssertEqual(unstated.count, 1)
        XCTAssertTrue(unstated.first?.message.contains("sets no maxReplicas") == true, unstated.first?.message ?? "")
        XCTAssertEqual(unstated.first?.location?.line, 22, "the storageUri line")
        XCTAssertEqual(try findings(spec("ReadWriteOnce", predictor: "    maxReplicas: 4")).first?.location?.line, 18)
        XCTAssertEqual(
            try findings(spec("ReadWriteOnce", annotations: "  annotations: {serving.kserve.io/deploymentMode: Serverless}"))
                .count, 1)
        XCTAssertEqual(
            try findings(spec("ReadWriteOnce", annotations: "  annotations: {serving.kserve.io/deploymentMode: RawDeployment}"))
                .count, 0)
        XCTAssertEqual(try findings(spec("ReadWriteOnce", predictor: "    maxReplicas: 1")).count, 0)
        XCTAssertEqual(try findings(spec("ReadOnlyMany")).count, 0)
        XCTAssertEqual(try findings(spec("ReadWriteOnce, ReadOnlyMany", predictor: "    maxReplicas: 4")).count, 0)
    }

    /// buildah's workspace holds three copies of the model during `buildah commit` (the
    /// container's, the layer blob under TMPDIR, the OCI layout's): a 15G model needs about
    /// 42GiB, so the derived workspace is (3 × 15G + 1Gi) × 1.1 → 48Gi (it was 32Gi), and a
    /// written workspace.size of 40Gi is NBG284. The multiplier is the one the real-buildah test
    /// measures against (templates/tekton/workspace-formula.json).
    func testBuildahWorkspaceHoldsThreeCopiesOfTheModel() throws {
        let buildah = "  delivery: modelcar\n  modelcar: {packager: buildah}"
        let plan = try compileSpecThroughPipeline(
            Self.spec(model: "15G", largest: "5G", extra: buildah), overlays: Self.openshiftGPU)
        let run = try object(plan, "PipelineRun", prefix: "granite-")
        XCTAssertEqual(
            run.manifest.value(at: "spec.workspaces[0].volumeClaimTemplate.spec.resources.requests.storage")?.stringValue,
            "48Gi")

        let written = Self.spec(model: "15G", largest: "5G", extra: buildah + "\n  workspace: {size: 40Gi}")
        let (output, diagnostics) = try compileSpecWithDiagnostics(written, overlays: Self.openshiftGPU)
        XCTAssertNil(output)
        let errors = diagnostics.sorted.filter { $0.id == .modelWorkspaceTooSmall }
        XCTAssertEqual(errors.count, 1, diagnostics.sorted.map(\.rendered).joined(separator: "\n"))
        XCTAssertTrue(errors.first?.message.contains("smaller than the 48Gi") == true, errors.first?.message ?? "")
        XCTAssertTrue(errors.first?.message.contains("3 × size.model") == true, errors.first?.message ?? "")
        // The olot packager's formula is unchanged: 40Gi holds (15G + 5G + 1Gi) × 1.1.
        let olot = Self.spec(model: "15G", largest: "5G", extra: "  delivery: modelcar\n  workspace: {size: 40Gi}")
        let (_, olotDiagnostics) = try compileSpecWithDiagnostics(olot, overlays: Self.openshiftGPU)
        XCTAssertFalse(olotDiagnostics.sorted.contains { $0.id == .modelWorkspaceTooSmall })

        let url = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("templates/tekton/workspace-formula.json")
        let shared = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        let copies = (shared?["buildah"] as? [String: Any])?["modelCopies"] as? Int
        XCTAssertEqual(copies.map(Double.init), HuggingFacePlanner.buildahModelCopies)
    }

    /// Under Flux the InferenceService a ModelPipeline plans is in the serving folder: the
    /// ModelCar rules judge it there too (NBG283 with KServe's ModelCars off).
    func testModelcarRulesSeeFluxServingObjects() throws {
        let destination = """
              modelcar:
                destinations:
                - registry: {repository: quay.io/example-org/granite, pushSecret: registry-push}
            """
        let overlays = Self.kubernetesFlux + ["Tests/NBGitOpsTests/Fixtures/overlays/modelcar-off.yaml"]
        let diagnostics = TestPipeline.run(
            [TestPipeline.file(Self.spec(extra: destination))], environments: [TestPipeline.environment("test", overlays)]
        ).diagnostics
        XCTAssertEqual(diagnostics.sorted.filter { $0.id == .modelcarDisabled }.count, 1, "\(diagnostics.sorted.map(\.rendered))")
    }
}
