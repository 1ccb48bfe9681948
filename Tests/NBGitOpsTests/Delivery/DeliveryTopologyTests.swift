import Foundation
import XCTest

@testable import NBGitOps

/// Delivery topology through the built binary, on a copy of the example project: names
/// qualified by the project (and NBG350 when two environments still collide), destination
/// clusters (Argo CD `destination.name`/`server`, Flux `kubeConfig.secretRef`), an existing
/// AppProject (NBG351), and a private repository's Flux `secretRef` (NBG129 unless listed).
final class DeliveryTopologyTests: XCTestCase {
    static let kubernetesStackEnd = "examples/overlays/teams.yaml]"
    static let gpuStackEnd = "examples/overlays/cluster-prod.yaml]"

    /// Adds `overlay` (a project-relative file) at the end of the stack ending with `stackEnd`.
    func add(_ overlay: String, after stackEnd: String, in project: IntegrationProject) throws {
        let text = try XCTUnwrap(project.read("nbgitops.yaml"))
        XCTAssertTrue(text.contains(stackEnd), text)
        try project.write(
            "nbgitops.yaml",
            text.replacingOccurrences(of: stackEnd, with: String(stackEnd.dropLast()) + ", \(overlay)]"))
    }

    func overlay(_ name: String, _ delivery: String) -> String {
        """
        apiVersion: nbgitops.dev/v1alpha1
        kind: Overlay
        metadata:
          name: \(name)
        spec:
          delivery:
        \(delivery)

        """
    }

    /// Lists Secrets of the Flux namespace in the example's `security.existingSecrets`.
    func listFluxSecrets(_ names: [String], in project: IntegrationProject) throws {
        let path = "examples/overlays/site-defaults.yaml"
        let text = try XCTUnwrap(project.read(path))
        XCTAssertTrue(text.contains("    existingSecrets:\n"))
        try project.write(
            path,
            text.replacingOccurrences(
                of: "    existingSecrets:\n",
                with: "    existingSecrets:\n" + names.map { "    - flux-system/\($0)\n" }.joined()))
    }

    /// The strict manifest oracle over `folder`, when `.ci/run` names it (NBG_PLAN_ORACLE).
    func assertOracleAccepts(_ folder: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard let oracle = ProcessInfo.processInfo.environment["NBG_PLAN_ORACLE"] else {
            if RequiredTool.isRequired { throw RequiredTool.missing("NBG_PLAN_ORACLE is not set") }
            return
        }
        let (status, output) = try runTool(oracle, ["validate", folder])
        XCTAssertEqual(status, 0, output, file: file, line: line)
    }

    // MARK: Names that never collide

    func testDeliveryObjectsAreNamedAfterTheProjectThroughTheBinary() throws {
        let first = try IntegrationProject()
        try first.removeStageSplit()
        let render = try first.run(["render"])
        XCTAssertEqual(render.status, 0, "\(render)")
        for file in [
            "gitops/openshift-gpu/delivery/application-example-openshift-gpu.yaml",
            "gitops/openshift-gpu/delivery/appproject-example-openshift-gpu.yaml",
            "gitops/kubernetes/delivery/gitrepository-example-kubernetes.yaml",
            "gitops/kubernetes/delivery/kustomization-example-kubernetes.yaml",
            "gitops/kubernetes/delivery/kustomization-example-kubernetes-builds.yaml",
            "gitops/kubernetes/delivery/kustomization-example-kubernetes-serving.yaml",
        ] {
            XCTAssertTrue(first.exists(file), "\(file)\n\(render)")
        }
        XCTAssertFalse(first.exists("gitops/openshift-gpu/delivery/application-openshift-gpu.yaml"))
        let application = try XCTUnwrap(first.read("gitops/openshift-gpu/delivery/application-example-openshift-gpu.yaml"))
        XCTAssertTrue(application.contains("  project: example-openshift-gpu\n"), application)
        let serving = try XCTUnwrap(first.read("gitops/kubernetes/delivery/kustomization-example-kubernetes-serving.yaml"))
        XCTAssertTrue(serving.contains("  dependsOn:\n  - name: example-kubernetes\n"), serving)
        XCTAssertTrue(serving.contains("    name: example-kubernetes\n"), serving)  // sourceRef

        // A second team's project with the same environment names, sharing the controllers:
        // no delivery object of one has the other's name.
        let second = try IntegrationProject()
        try second.removeStageSplit()
        let text = try XCTUnwrap(second.read("nbgitops.yaml"))
        try second.write("nbgitops.yaml", text.replacingOccurrences(of: "  name: example\n", with: "  name: team-b\n"))
        XCTAssertEqual(try second.run(["render"]).status, 0)
        // The files of the objects in the controller's namespace (the ArgoCD instance patch and
        // the argocd-cm snippet configure the shared instance itself, by design one object).
        func deliveryFiles(_ project: IntegrationProject) -> Set<String> {
            Set(
                project.files().keys.filter { $0.contains("/delivery/") }.compactMap { $0.split(separator: "/").last }
                    .map(String.init).filter {
                        ["application-", "appproject-", "gitrepository-", "kustomization-"].contains(where: $0.hasPrefix)
                    })
        }
        let ours = deliveryFiles(first)
        let theirs = deliveryFiles(second)
        XCTAssertTrue(theirs.contains("application-team-b-openshift-gpu.yaml"), "\(theirs.sorted())")
        XCTAssertEqual(ours.count, 8, "\(ours.sorted())")
        XCTAssertEqual(theirs.count, 8, "\(theirs.sorted())")
        XCTAssertEqual(ours.intersection(theirs), [], "\(ours.intersection(theirs).sorted())")
        for environment in ["openshift-gpu", "openshift-rwx", "kubernetes"] {
            try assertOracleAccepts(first.path("gitops/\(environment)/delivery"))
        }
    }

    func testTwoEnvironmentsWithOneDeliveryNameAreNBG350ThroughTheBinary() throws {
        let project = try IntegrationProject()
        try project.removeStageSplit()
        var text = try XCTUnwrap(project.read("nbgitops.yaml"))
        // An environment named like the kubernetes environment's serving part: its validation
        // Kustomization is example-kubernetes-serving, the other's serving Kustomization too.
        if !text.hasSuffix("\n") { text += "\n" }
        text +=
            "  - name: kubernetes-serving\n"
            + "    overlays: [kubernetes, rwo, flux, kubernetes-1.33, tekton-1.x, kserve-0.15, flux-2.6,\n"
            + "      examples/overlays/repository.yaml, examples/overlays/registry.yaml, examples/overlays/site-defaults.yaml,\n"
            + "      examples/overlays/kserve-modelcar.yaml]\n"
        try project.write("nbgitops.yaml", text)
        let line = (text.components(separatedBy: "\n").firstIndex { $0.contains("- name: kubernetes-serving") } ?? -1) + 1
        let run = try project.run(["render"])
        XCTAssertEqual(run.status, 1, "\(run)")
        XCTAssertTrue(
            run.locatedErrors.contains {
                $0.hasPrefix("nbgitops.yaml:\(line):")
                    && $0.contains(
                        "error[NBG350]: Kustomization 'example-kubernetes-serving' in namespace 'flux-system' is delivered by both environment 'kubernetes' and environment 'kubernetes-serving'"
                    )
            }, "\(run)")
        XCTAssertFalse(project.exists("gitops"), "a failed render writes nothing")
    }

    func testAProjectNameTooLongForALabelIsNBG131AtTheProjectName() throws {
        let project = try IntegrationProject()
        try project.removeStageSplit()
        let text = try XCTUnwrap(project.read("nbgitops.yaml"))
        let long = String(repeating: "a", count: 60)
        try project.write("nbgitops.yaml", text.replacingOccurrences(of: "  name: example\n", with: "  name: \(long)\n"))
        let line = (text.components(separatedBy: "\n").firstIndex { $0 == "  name: example" } ?? -1) + 1
        let run = try project.run(["render", "--env", "kubernetes"])
        XCTAssertEqual(run.status, 1, "\(run)")
        XCTAssertTrue(
            run.locatedErrors.contains {
                $0.hasPrefix("nbgitops.yaml:\(line):9: error[NBG131]: GitRepository name")
                    && $0.contains("'\(long)-kubernetes' is 71 characters long; Kubernetes allows at most 63")
            }, "\(run)")
    }

    // MARK: Several clusters

    func testEnvironmentsTargetTheirClustersThroughTheBinary() throws {
        let project = try IntegrationProject()
        try project.removeStageSplit()
        try project.write(
            "examples/overlays/remote-kubeconfig.yaml",
            overlay("remote-kubeconfig", "    cluster:\n      kubeConfigSecret: prod-kubeconfig"))
        try add("examples/overlays/remote-kubeconfig.yaml", after: Self.kubernetesStackEnd, in: project)
        let unlisted = try project.run(["render"])
        XCTAssertEqual(unlisted.status, 0, "\(unlisted)")
        // The kubeconfig Secret is named by reference only, and must pre-exist in flux-system.
        XCTAssertTrue(
            unlisted.stderrLines.contains {
                $0.hasPrefix("examples/overlays/remote-kubeconfig.yaml:8:7: warning[NBG129]: Secret 'prod-kubeconfig'")
                    && $0.contains("it must exist in namespace 'flux-system'")
            }, "\(unlisted)")
        try listFluxSecrets(["prod-kubeconfig"], in: project)
        let listed = try project.run(["render"])
        XCTAssertEqual(listed.status, 0, "\(listed)")
        XCTAssertFalse(listed.stderr.contains("Secret 'prod-kubeconfig'"), "\(listed)")

        // Argo CD: the example's OpenShift environments go to the dev and prod clusters by name;
        // the AppProject's destinations name the same cluster for every namespace.
        for (environment, cluster) in [("openshift-gpu", "prod"), ("openshift-rwx", "dev")] {
            let application = try XCTUnwrap(
                project.read("gitops/\(environment)/delivery/application-example-\(environment).yaml"))
            XCTAssertTrue(application.contains("  destination:\n    name: \(cluster)\n    namespace: "), application)
            XCTAssertTrue(application.contains("  namespace: openshift-gitops\n"), application)
            XCTAssertFalse(application.contains("server:"), application)
            let appProject = try XCTUnwrap(
                project.read("gitops/\(environment)/delivery/appproject-example-\(environment).yaml"))
            XCTAssertFalse(appProject.contains("server:"), appProject)
            XCTAssertGreaterThanOrEqual(appProject.components(separatedBy: "  - name: \(cluster)\n").count - 1, 4, appProject)
        }
        // Flux: every Kustomization of the environment reaches the remote cluster.
        for name in ["example-kubernetes", "example-kubernetes-builds", "example-kubernetes-serving"] {
            let kustomization = try XCTUnwrap(project.read("gitops/kubernetes/delivery/kustomization-\(name).yaml"))
            XCTAssertTrue(kustomization.contains("  kubeConfig:\n    secretRef:\n      name: prod-kubeconfig\n"), kustomization)
        }
        for environment in ["openshift-gpu", "openshift-rwx", "kubernetes"] {
            try assertOracleAccepts(project.path("gitops/\(environment)/delivery"))
        }
    }

    func testAnArgoClusterByNameAndServerIsNBG166ThroughTheBinary() throws {
        let project = try IntegrationProject()
        try project.removeStageSplit()
        try project.write(
            "examples/overlays/both.yaml",
            overlay("both", "    cluster:\n      name: prod\n      server: https://api.prod.example.com:6443"))
        try add("examples/overlays/both.yaml", after: Self.gpuStackEnd, in: project)
        let run = try project.run(["render"])
        XCTAssertEqual(run.status, 1, "\(run)")
        XCTAssertTrue(
            run.locatedErrors.contains(
                "examples/overlays/both.yaml:8:7: error[NBG166]: delivery.cluster of environment 'openshift-gpu' sets both name and server: an Argo CD Application's destination names its cluster by one of them, and Argo CD refuses both"
            ), "\(run)")

        // By server alone: destination.server, in the Application and the AppProject.
        try project.write(
            "examples/overlays/both.yaml", overlay("both", "    cluster:\n      server: https://api.prod.example.com:6443"))
        let server = try project.run(["render", "--env", "openshift-gpu"])
        XCTAssertEqual(server.status, 0, "\(server)")
        let application = try XCTUnwrap(project.read("gitops/openshift-gpu/delivery/application-example-openshift-gpu.yaml"))
        XCTAssertTrue(
            application.contains("  destination:\n    namespace: notebook-validation-gpu\n    server: https://api.prod.example.com:6443\n"),
            application)
        try assertOracleAccepts(project.path("gitops/openshift-gpu/delivery"))
    }

    // MARK: Existing things reused

    func testAnExistingAppProjectIsNamedAndNotWrittenThroughTheBinary() throws {
        let project = try IntegrationProject()
        try project.removeStageSplit()
        try project.write("examples/overlays/shared-project.yaml", overlay("shared-project", "    argocd:\n      project: ml-platform"))
        try add("examples/overlays/shared-project.yaml", after: Self.gpuStackEnd, in: project)
        let run = try project.run(["render"])
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertTrue(
            run.stderrLines.contains {
                $0.hasPrefix(
                    "examples/overlays/shared-project.yaml:8:16: note[NBG351]: environment 'openshift-gpu' delivers through the existing AppProject 'ml-platform'"
                )
            }, "\(run)")
        let delivery = project.files("gitops/openshift-gpu/delivery").keys.sorted()
        XCTAssertFalse(delivery.contains { $0.hasPrefix("appproject-") }, "\(delivery)")
        let application = try XCTUnwrap(project.read("gitops/openshift-gpu/delivery/application-example-openshift-gpu.yaml"))
        XCTAssertTrue(application.contains("  project: ml-platform\n"), application)
        // The other environments keep their own AppProject.
        XCTAssertTrue(project.exists("gitops/openshift-rwx/delivery/appproject-example-openshift-rwx.yaml"))
        try assertOracleAccepts(project.path("gitops/openshift-gpu/delivery"))
    }

    func testAFluxPrivateRepositoryNamesItsSecretThroughTheBinary() throws {
        let project = try IntegrationProject()
        try project.removeStageSplit()
        try project.write("examples/overlays/private.yaml", overlay("private", "    flux:\n      secretRef: git-credentials"))
        try add("examples/overlays/private.yaml", after: Self.kubernetesStackEnd, in: project)
        let unlisted = try project.run(["render"])
        XCTAssertEqual(unlisted.status, 0, "\(unlisted)")
        XCTAssertTrue(
            unlisted.stderrLines.contains {
                $0.hasPrefix(
                    "examples/overlays/private.yaml:8:18: warning[NBG129]: Secret 'git-credentials' named by GitRepository/example-kubernetes (spec.secretRef.name)"
                )
            }, "\(unlisted)")
        let repository = try XCTUnwrap(project.read("gitops/kubernetes/delivery/gitrepository-example-kubernetes.yaml"))
        XCTAssertTrue(repository.contains("  secretRef:\n    name: git-credentials\n"), repository)
        try listFluxSecrets(["git-credentials"], in: project)
        let listed = try project.run(["render"])
        XCTAssertEqual(listed.status, 0, "\(listed)")
        XCTAssertFalse(listed.stderr.contains("NBG129"), "\(listed)")
        try assertOracleAccepts(project.path("gitops/kubernetes/delivery"))

        // In an Argo CD environment the setting is refused: Argo CD keeps credentials itself.
        try add("examples/overlays/private.yaml", after: Self.gpuStackEnd, in: project)
        let argo = try project.run(["render"])
        XCTAssertEqual(argo.status, 1, "\(argo)")
        XCTAssertTrue(
            argo.locatedErrors.contains {
                $0.hasPrefix(
                    "examples/overlays/private.yaml:8:18: error[NBG166]: delivery.flux.secretRef 'git-credentials' is set, but environment 'openshift-gpu' is delivered by Argo CD"
                )
            }, "\(argo)")
    }
}
