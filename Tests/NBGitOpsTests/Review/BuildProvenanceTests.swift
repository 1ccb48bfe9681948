import Foundation
import XCTest

@testable import NBGitOps

/// The Tekton, S2I, delivery, storage and namespace objects record each field's origin where
/// the planner sets it (`FieldRecord`); compiled through `CompilerPipeline.run` with the real
/// overlays.
final class BuildProvenanceTests: XCTestCase {
    static let tektonOverlays = [
        "kubernetes", "rwo", "flux", "examples/overlays/registry.yaml", "examples/overlays/repository.yaml",
    ]
    static let s2iOverlays = ["openshift", "rwo", "argocd", "examples/overlays/repository.yaml"]

    func spec(url: String = "https://github.com/org/repo.git", credentials: Bool = false, buildConfig: String) -> String {
        """
        apiVersion: mlops.mlops.dev/v1alpha1
        kind: NotebookValidationJob
        metadata:
          name: demo
        spec:
          notebook:
            git:
              url: \(url)
              ref: main
        """ + (credentials ? "\n      credentialsSecret: git-https" : "")
            + """

                path: notebooks/demo.ipynb
              podConfig:
                containerImage: quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2
                buildConfig:
                  enabled: true
            \(buildConfig)
            """
    }

    func origin(_ path: String, of target: String, in plan: EnvironmentPlan, file: StaticString = #filePath, line: UInt = #line)
        throws -> FieldOrigin
    {
        let object = try XCTUnwrap(
            Explainer.find(target, in: plan).success?.object, "no \(target) in the plan", file: file, line: line)
        return try XCTUnwrap(
            Explainer.origin(of: path, in: object)?.origin, "no origin for \(target).\(path)", file: file, line: line)
    }

    func testPipelineRunParametersWorkspacesAndPodTemplateNameTheirInputs() throws {
        let plan = try compileSpecThroughPipeline(
            spec(
                credentials: true,
                buildConfig: """
                          strategy: tekton
                          requirementsFile: requirements.txt
                          timeout: 20m
                    """), overlays: Self.tektonOverlays)
        let run = "PipelineRun/demo"
        let url = try origin("spec.params[0].value", of: run, in: plan)
        XCTAssertEqual(url.field, "spec.notebook.git.url")
        XCTAssertEqual(url.origin.location?.file, "spec.yaml")
        XCTAssertEqual(url.origin.location?.line, 8)
        let base = try origin("spec.params[2]", of: run, in: plan)
        XCTAssertEqual(base.field, "spec.podConfig.buildConfig.baseImage")
        XCTAssertEqual(base.origin, .builtinDefault("the CRD default quay.io/jupyter/minimal-notebook:latest"))
        let requirements = try origin("spec.params[5]", of: run, in: plan)
        XCTAssertEqual(requirements.field, "spec.podConfig.buildConfig.requirementsFile")
        XCTAssertEqual(requirements.origin.location?.file, "spec.yaml")
        let image = try origin("spec.params[10]", of: run, in: plan)
        XCTAssertEqual(image.field, "images.registry")
        XCTAssertEqual(image.origin.location?.file, "examples/overlays/registry.yaml")

        let size = try origin("spec.workspaces[0].volumeClaimTemplate.spec.resources.requests.storage", of: run, in: plan)
        XCTAssertEqual(size.field, "storage.workspaceSize")
        let credentials = try origin("spec.workspaces[1].secret.secretName", of: run, in: plan)
        XCTAssertEqual(credentials.field, "spec.notebook.git.credentialsSecret")
        XCTAssertEqual(credentials.origin.location?.file, "spec.yaml")
        let push = try origin("spec.workspaces[2]", of: run, in: plan)
        XCTAssertEqual(push.field, "images.pushSecret")
        XCTAssertEqual(push.origin.location?.file, "examples/overlays/registry.yaml")

        let timeout = try origin("spec.timeouts.pipeline", of: run, in: plan)
        XCTAssertEqual(timeout.field, "spec.podConfig.buildConfig.timeout")
        XCTAssertEqual(timeout.origin.location?.file, "spec.yaml")
        let podTemplate = try origin("spec.taskRunTemplate.podTemplate.securityContext.fsGroup", of: run, in: plan)
        XCTAssertEqual(podTemplate.field, "platform")
        XCTAssertEqual(podTemplate.origin.location?.file, "overlays/kubernetes.yaml")

        // The Tasks: images from images.gitClone (or the buildah body), step security from the platform.
        let cloneImage = try origin("spec.steps[0].image", of: "Task/nbgitops-git-clone", in: plan)
        XCTAssertEqual(cloneImage.field, "images.gitClone")
        let buildah = try origin("spec.steps[0].securityContext", of: "Task/nbgitops-buildah", in: plan)
        XCTAssertEqual(buildah.field, "platform")
        XCTAssertTrue(buildah.rule?.contains("SETFCAP") ?? false, "\(buildah)")
        let pipelineWorkspaces = try origin("spec.workspaces", of: "Pipeline/demo-build", in: plan)
        XCTAssertEqual(pipelineWorkspaces.field, "spec.notebook.git.credentialsSecret")

        // Flux delivery objects.
        let repositoryURL = try origin("spec.url", of: "GitRepository/test", in: plan)
        XCTAssertEqual(repositoryURL.field, "delivery.repositoryURL")
        XCTAssertEqual(repositoryURL.origin.location?.file, "examples/overlays/repository.yaml")
        let reference = try origin("spec.ref.branch", of: "GitRepository/test", in: plan)
        XCTAssertEqual(reference.field, "delivery.revision")
        XCTAssertEqual(try origin("spec.timeout", of: "Kustomization/test", in: plan).field, nil)
        XCTAssertEqual(try origin("spec.prune", of: "Kustomization/test", in: plan).field, "delivery.prune")
    }

    func testBuildConfigFieldsNameTheSpecLinesAndTheStrategyRule() throws {
        let plan = try compileSpecThroughPipeline(
            spec(
                buildConfig: """
                          strategy: s2i
                          dockerfile: Containerfile
                    """), overlays: Self.s2iOverlays)
        let build = try XCTUnwrap(plan.objects.first { $0.kind == "BuildConfig" }).name
        let target = "BuildConfig/\(build)"
        let uri = try origin("spec.source.git.uri", of: target, in: plan)
        XCTAssertEqual(uri.field, "spec.notebook.git.url")
        XCTAssertEqual(uri.origin.location?.line, 8)
        XCTAssertEqual(try origin("spec.source.git.ref", of: target, in: plan).origin.location?.line, 9)
        let strategy = try origin("spec.strategy.dockerStrategy.dockerfilePath", of: target, in: plan)
        XCTAssertEqual(strategy.field, "spec.podConfig.buildConfig.dockerfile")
        XCTAssertEqual(strategy.origin.location?.file, "spec.yaml")
        XCTAssertTrue(strategy.rule?.contains("Docker strategy") ?? false)
        let deadline = try origin("spec.completionDeadlineSeconds", of: target, in: plan)
        XCTAssertEqual(deadline.origin, .builtinDefault("the CRD default timeout: 15m"))
        let whole = try origin("", of: target, in: plan)
        XCTAssertEqual(whole.field, "spec.podConfig.buildConfig.strategy")

        // Argo CD: the Application's source and the sync wave, recorded where they are set.
        let repository = try origin("spec.source.repoURL", of: "Application/test", in: plan)
        XCTAssertEqual(repository.field, "delivery.repositoryURL")
        XCTAssertEqual(repository.origin.location?.file, "examples/overlays/repository.yaml")
        let wave = try origin("metadata.annotations[argocd.argoproj.io/sync-wave]", of: target, in: plan)
        XCTAssertTrue(wave.origin.description.contains("is wave 4"), wave.origin.description)
    }

    /// A record cannot name a field the manifest lacks: every recorded path of every object of
    /// the example's environments (and of the build specs above) resolves in its manifest.
    func testEveryRecordedPathExistsInItsManifest() throws {
        var plans = try compileRepositoryExample().plans
        plans.append(
            try compileSpecThroughPipeline(
                spec(credentials: true, buildConfig: "      strategy: tekton"), overlays: Self.tektonOverlays))
        plans.append(
            try compileSpecThroughPipeline(spec(buildConfig: "      strategy: s2i"), overlays: Self.s2iOverlays))
        XCTAssertGreaterThan(Self.checkRecordsResolve(plans, context: "example"), 500)
    }

    /// Fails for each recorded path its object's manifest lacks; returns how many were checked.
    static func checkRecordsResolve(
        _ plans: [EnvironmentPlan], context: String, file: StaticString = #filePath, line: UInt = #line
    ) -> Int {
        var checked = 0
        for plan in plans {
            for object in plan.objects + plan.buildObjects + plan.deliveryObjects {
                for path in object.provenance.keys where !path.isEmpty {
                    checked += 1
                    XCTAssertNotNil(
                        object.manifest.value(at: path),
                        "\(context) \(plan.environment.name) \(object.kind)/\(object.name): recorded '\(path)' "
                            + "is not in the manifest", file: file, line: line)
                }
            }
        }
        return checked
    }

    func testPassedThroughObjectsAreExplainedByTheirSpecDocument() throws {
        let plan = try examplePlan("openshift-gpu")
        let claim = try XCTUnwrap(
            plan.objects.first { $0.kind == "PersistentVolumeClaim" && $0.name == "churn-models" })
        let whole = try XCTUnwrap(claim.provenance[""])
        XCTAssertTrue(whole.rule?.hasPrefix("supporting object from a spec file") ?? false, "\(whole)")
        XCTAssertEqual(whole.origin.location?.file.hasPrefix("examples/specs/"), true)
    }
}
