import Foundation
import XCTest

@testable import NBGitOps

/// `delivery.split: stage` and per-environment ModelCar destinations, through the built binary
/// on a copy of the example project (which delivers by stage).
final class DeliverySplitIntegrationTests: XCTestCase {
    static let parts = ["base", "builds", "models", "validation", "serving", "notebook-serving"]

    /// The parsed YAML document of a rendered file.
    func document(_ project: IntegrationProject, _ relative: String, file: StaticString = #filePath, line: UInt = #line)
        throws -> YAMLNode
    {
        let text = try XCTUnwrap(project.read(relative), "\(relative) is missing", file: file, line: line)
        let (documents, diagnostics) = loadYAML(text, file: relative)
        XCTAssertEqual(diagnostics.errorCount, 0, relative, file: file, line: line)
        return try XCTUnwrap(documents.first?.root, relative, file: file, line: line)
    }

    func names(_ node: YAMLNode?, _ key: String = "name") -> [String] {
        (node?.items ?? []).compactMap { $0[key]?.scalar?.value }
    }

    func strings(_ node: YAMLNode?) -> [String] {
        (node?.items ?? []).compactMap { $0.scalar?.value }
    }

    /// Flux: one Kustomization per stage, each applying its own folder, with the order in
    /// `dependsOn`; serving waits for the models only, never for the validation Jobs; a model a
    /// notebook writes is served after validation; each part's timeout is its own.
    func testFluxStageSplitOrdersPartsWithDependsOnAndServingNeverWaitsForValidation() throws {
        let project = try IntegrationProject()
        let run = try project.run(["render", "--env", "kubernetes"])
        XCTAssertEqual(run.status, 0, "\(run)")
        let environment = "gitops/kubernetes"
        for part in Self.parts {
            XCTAssertTrue(project.exists("\(environment)/\(part)/kustomization.yaml"), "\(part): \(run)")
        }
        XCTAssertFalse(project.exists("\(environment)/manifests"), "a split environment has no manifests folder")
        var dependsOn: [String: [String]] = [:]
        var timeouts: [String: String] = [:]
        for part in Self.parts {
            let kustomization = try document(project, "\(environment)/delivery/kustomization-example-kubernetes-\(part).yaml")
            XCTAssertEqual(kustomization["spec"]?["path"]?.scalar?.value, "./\(environment)/\(part)")
            XCTAssertEqual(kustomization["spec"]?["wait"]?.scalar?.value, "true", part)
            dependsOn[part] = names(kustomization["spec"]?["dependsOn"])
            timeouts[part] = kustomization["spec"]?["timeout"]?.scalar?.value
        }
        XCTAssertEqual(
            dependsOn,
            [
                "base": [], "builds": ["example-kubernetes-base"], "models": ["example-kubernetes-base"],
                "validation": ["example-kubernetes-builds"], "serving": ["example-kubernetes-models"],
                "notebook-serving": ["example-kubernetes-validation"],
            ])
        // The 3-hour model download no longer sets every part's timeout.
        XCTAssertEqual(timeouts["models"], "200m")
        XCTAssertEqual(timeouts["base"], "5m")
        XCTAssertEqual(timeouts["serving"], "30m")
        // The delivery folder lists the GitRepository and every part's Kustomization.
        let delivery = try document(project, "\(environment)/delivery/kustomization.yaml")
        XCTAssertEqual(
            strings(delivery["resources"]),
            ["gitrepository-example-kubernetes.yaml"] + Self.parts.map { "kustomization-example-kubernetes-\($0).yaml" })
        // What each part holds.
        let serving = try document(project, "\(environment)/serving/kustomization.yaml")
        XCTAssertEqual(
            strings(serving["resources"]),
            ["6-inferenceservice-llama-70b.yaml", "6-inferenceservice-phi-mini.yaml"])
        let trained = try document(project, "\(environment)/notebook-serving/kustomization.yaml")
        XCTAssertEqual(strings(trained["resources"]), ["6-inferenceservice-churn.yaml"])
        XCTAssertTrue(project.files(environment).keys.contains { $0.hasPrefix("models/4-pipelinerun-phi-mini-") })
        XCTAssertTrue(project.files(environment).keys.contains { $0.hasPrefix("validation/5-job-train-churn-") })
        try assertKustomizeBuildsEveryFolder(project, environment)
        // A second render changes nothing.
        let again = try project.run(["render", "--env", "kubernetes"])
        XCTAssertEqual(again.status, 0, "\(again)")
        XCTAssertTrue((again.stdout + again.stderr).contains("kubernetes: 0 written"), "\(again)")
    }

    /// Argo CD: an app of apps. The delivery folder's Application applies `apps/` (child
    /// Applications, one per part, ordered by sync waves) under an AppProject that allows only
    /// Applications in the controller's namespace; the argocd-cm snippet judges child health.
    func testArgoStageSplitIsAnAppOfAppsWithSyncWaves() throws {
        let project = try IntegrationProject()
        let run = try project.run(["render", "--env", "openshift-gpu"])
        XCTAssertEqual(run.status, 0, "\(run)")
        let environment = "gitops/openshift-gpu"
        let parent = try document(project, "\(environment)/delivery/application-example-openshift-gpu.yaml")
        XCTAssertEqual(parent["spec"]?["source"]?["path"]?.scalar?.value, "\(environment)/apps")
        XCTAssertEqual(parent["spec"]?["destination"]?["namespace"]?.scalar?.value, "openshift-gitops")
        XCTAssertEqual(parent["spec"]?["project"]?.scalar?.value, "example-openshift-gpu-apps")
        let appsProject = try document(project, "\(environment)/delivery/appproject-example-openshift-gpu-apps.yaml")
        XCTAssertEqual(names(appsProject["spec"]?["namespaceResourceWhitelist"], "kind"), ["Application"])
        XCTAssertEqual(names(appsProject["spec"]?["destinations"], "namespace"), ["openshift-gitops"])
        var waves: [String: String] = [:]
        for part in Self.parts {
            let child = try document(project, "\(environment)/apps/application-example-openshift-gpu-\(part).yaml")
            XCTAssertEqual(child["spec"]?["source"]?["path"]?.scalar?.value, "\(environment)/\(part)")
            XCTAssertEqual(child["spec"]?["project"]?.scalar?.value, "example-openshift-gpu")
            XCTAssertEqual(child["spec"]?["destination"]?["namespace"]?.scalar?.value, "notebook-validation-gpu")
            waves[part] = child["metadata"]?["annotations"]?["argocd.argoproj.io/sync-wave"]?.scalar?.value
        }
        XCTAssertEqual(
            waves,
            ["base": "0", "builds": "1", "models": "1", "validation": "2", "serving": "2", "notebook-serving": "3"])
        let snippet = try XCTUnwrap(project.read("\(environment)/delivery/argocd-openshift-gitops-snippet.yaml"))
        XCTAssertTrue(snippet.contains("kind: Application"), snippet)
        try assertKustomizeBuildsEveryFolder(project, environment)
    }

    /// `kubectl kustomize` builds every folder of the environment (skipped without kubectl).
    func assertKustomizeBuildsEveryFolder(
        _ project: IntegrationProject, _ environment: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        guard let kubectl = ["/usr/local/bin/kubectl", "/usr/bin/kubectl"].first(where: FileManager.default.isExecutableFile)
        else { return }
        let folders = try FileManager.default.contentsOfDirectory(atPath: project.path(environment)).sorted()
        XCTAssertFalse(folders.isEmpty, file: file, line: line)
        for folder in folders where project.exists("\(environment)/\(folder)/kustomization.yaml") {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: kubectl)
            process.arguments = ["kustomize", project.path("\(environment)/\(folder)")]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, "kubectl kustomize \(environment)/\(folder)", file: file, line: line)
        }
    }

    /// A ModelCar whose spec names no destination pushes to the registry of the environment it
    /// is rendered for: dev to dev's, prod to prod's, with that environment's push Secret; a
    /// spec that names a destination keeps it.
    func testModelCarWithoutDestinationPushesToEachEnvironmentsRegistry() throws {
        let project = try IntegrationProject()
        let common =
            "kubernetes, rwo, flux, kubernetes-1.33, tekton-1.x, kserve-0.15, flux-2.6, registries/repository.yaml, examples/overlays/kserve-modelcar.yaml"
        try project.write(
            "nbgitops.yaml",
            projectYAML(environments: [
                (name: "dev", overlays: "[\(common), registries/dev.yaml]"),
                (name: "prod", overlays: "[\(common), registries/prod.yaml]"),
            ]))
        try project.write(
            "registries/repository.yaml",
            overlayYAML(
                name: "repository",
                spec: "  delivery:\n    repositoryURL: https://github.com/example-org/models.git\n    revision: main\n"))
        for (name, registry) in [("dev", "registry.dev.example.com/models"), ("prod", "registry.prod.example.com/models/")] {
            try project.write(
                "registries/\(name).yaml",
                overlayYAML(
                    name: "\(name)-registry",
                    spec: "  images:\n    registry: \(registry)\n    pushSecret: \(name)-push\n"))
        }
        try project.write(
            "specs/tiny.yaml",
            """
            apiVersion: nbgitops.dev/v1alpha1
            kind: ModelPipeline
            metadata:
              name: tiny-model
            spec:
              source:
                huggingFace:
                  repo: example-org/tiny-model
                  revision: 0a67737cc96d2554230f90338b163bc6380a2a85
              size:
                model: 1Gi
                largestFile: 800Mi
              delivery: modelcar
              serving:
                modelFormat:
                  name: vLLM
                runtime: vllm-runtime
                resources:
                  requests: {cpu: "1", memory: 4Gi}
                  limits: {cpu: "2", memory: 8Gi}

            """)
        let run = try project.run(["render"])
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertFalse(run.stderr.contains("NBG289"), "\(run)")
        for (environment, repository) in [
            ("dev", "registry.dev.example.com/models/tiny-model"), ("prod", "registry.prod.example.com/models/tiny-model"),
        ] {
            let folder = project.path("gitops/\(environment)")
            let files = integrationFiles(of: folder)
            let run = try XCTUnwrap(
                files.first { $0.key.contains("pipelinerun-tiny-model") }, "\(environment): \(files.keys.sorted())")
            let runText = String(decoding: run.value, as: UTF8.self)
            XCTAssertTrue(runText.contains("value: \(repository):nbgitops-"), "\(environment):\n\(runText)")
            XCTAssertTrue(runText.contains("secretName: \(environment)-push"), "\(environment):\n\(runText)")
            let service = try XCTUnwrap(files.first { $0.key.contains("inferenceservice-tiny-model") })
            let serviceText = String(decoding: service.value, as: UTF8.self)
            XCTAssertTrue(serviceText.contains("storageUri: oci://\(repository):nbgitops-"), serviceText)
        }
        // explain names the overlay line the destination came from.
        let explain = try project.run(["explain", "dev", "InferenceService/tiny-model.spec.predictor.model.storageUri"])
        XCTAssertTrue(explain.stdout.contains("registries/dev.yaml"), "\(explain)")
    }
}
