import Foundation
import XCTest

@testable import NBGitOps

/// The Argo CD side: AppProject, Application settings per overlay, the argocd-cm snippet, the
/// Config Management Plugin definition.
final class ArgoDeliveryTests: XCTestCase {
    typealias F = PlanFixtures

    func testAppProjectRestrictsDestinationsAndKindsWithoutWildcards() throws {
        let plan = try examplePlan("openshift-gpu")
        let project = try XCTUnwrap(plan.deliveryObjects.first { $0.kind == "AppProject" })
        // Qualified by the project's metadata.name: other projects share openshift-gitops.
        XCTAssertEqual(project.name, "example-openshift-gpu")
        XCTAssertEqual(project.namespace, "openshift-gitops")
        let spec = try XCTUnwrap(project.manifest["spec"])
        // The environment's namespace, the teams' (examples/specs/15) and the build namespace: every
        // namespace an object goes to, on the cluster the environment names (cluster-prod.yaml).
        XCTAssertEqual(
            spec["destinations"],
            [
                ["name": "prod", "namespace": "notebook-validation-gpu"],
                ["name": "prod", "namespace": "ml-shared-models"],
                ["name": "prod", "namespace": "ml-team-a"],
                ["name": "prod", "namespace": "ml-team-b"],
                ["name": "prod", "namespace": "notebook-validation-gpu-builds"],
            ])
        let destinations = Set((spec["destinations"]?.elements ?? []).compactMap { $0["namespace"]?.stringValue })
        XCTAssertEqual(Set(plan.objects.compactMap(\.namespace)), destinations)
        XCTAssertEqual(spec["sourceRepos"], ["https://github.com/example-org/nbgitops-example.git"])
        XCTAssertEqual(spec["clusterResourceWhitelist"], [["group": "", "kind": "Namespace"]])
        let kinds = (spec["namespaceResourceWhitelist"]?.elements ?? []).map {
            "\($0["group"]?.stringValue ?? "?")/\($0["kind"]?.stringValue ?? "?")"
        }
        XCTAssertEqual(
            kinds,
            [
                "/ConfigMap", "/PersistentVolumeClaim", "/ServiceAccount", "batch/Job", "build.openshift.io/Build",
                "build.openshift.io/BuildConfig",
                "external-secrets.io/ExternalSecret", "image.openshift.io/ImageStream", "networking.k8s.io/NetworkPolicy", "rbac.authorization.k8s.io/Role",
                "rbac.authorization.k8s.io/RoleBinding", "serving.kserve.io/InferenceService", "serving.kserve.io/ServingRuntime", "tekton.dev/Pipeline", "tekton.dev/PipelineRun", "tekton.dev/Task",
            ])
        // Every emitted kind is allowed, nothing else, and no wildcard anywhere.
        let emitted = Set(plan.objects.map { "\(ArgoProjectPlanner.group(ofAPIVersion: $0.apiVersion))/\($0.kind)" })
        XCTAssertEqual(Set(kinds).union(["/Namespace"]), emitted)
        XCTAssertFalse(ManifestRenderer.renderString([project.manifest]).contains("'*'"))

        // Split by stage: every child Application uses the environment's AppProject; the parent
        // its own, which allows only Applications in the controller's namespace.
        let applications = plan.deliveryObjects.filter { $0.kind == "Application" }
        XCTAssertEqual(applications.count, 7)
        for application in applications.dropFirst() {
            XCTAssertEqual(application.manifest.value(at: "spec.project"), .string(project.name), application.name)
        }
        XCTAssertEqual(applications.first?.manifest.value(at: "spec.project"), .string(project.name + "-apps"))
    }

    func testFluxEnvironmentsHaveNoArgoObjects() throws {
        let plan = try examplePlan("kubernetes")
        // Split by stage (examples/overlays/delivery-split.yaml): a Kustomization per part.
        XCTAssertEqual(
            plan.deliveryObjects.map { "\($0.kind)/\($0.name)" },
            ["GitRepository/example-kubernetes"]
                + ["base", "builds", "models", "validation", "serving", "notebook-serving"].map {
                    "Kustomization/example-kubernetes-\($0)"
                })
        XCTAssertTrue(plan.snippets.isEmpty)
    }

    func testSyncSettingsComeFromTheOverlay() throws {
        let environment = try resolve(
            """
            apiVersion: nbgitops.dev/v1alpha1
            kind: Overlay
            spec:
              delivery:
                tool: argocd
                repositoryURL: https://git.example.com/org/repo.git
                prune: false
                selfHeal: false
                syncOptions: [ServerSideApply=true, PrunePropagationPolicy=background]
            """)
        XCTAssertEqual(environment.delivery.prune.value, false)
        XCTAssertEqual(environment.delivery.prune.origin.location?.line, 7)
        let (plan, diagnostics) = F.plan(F.richSpecs(), environment)
        XCTAssertFalse(diagnostics.hasErrors)
        let application = try XCTUnwrap(plan.deliveryObjects.first { $0.kind == "Application" }?.manifest)
        XCTAssertEqual(
            application.value(at: "spec.syncPolicy"),
            [
                "automated": ["prune": false, "selfHeal": false],
                "retry": ["limit": 5, "backoff": ["duration": "10s", "factor": 2, "maxDuration": "5m"]],
                "syncOptions": ["ServerSideApply=true", "PrunePropagationPolicy=background"],
            ])

        let defaults = try resolve(
            """
            apiVersion: nbgitops.dev/v1alpha1
            kind: Overlay
            spec:
              delivery: {tool: flux, repositoryURL: https://git.example.com/org/repo.git}
            """)
        XCTAssertEqual(defaults.delivery.prune.value, true)
        XCTAssertEqual(defaults.delivery.syncOptions.value, ["PruneLast=true"])
        let (flux, _) = F.plan(F.richSpecs(), defaults)
        XCTAssertEqual(flux.deliveryObjects.last?.manifest.value(at: "spec.prune"), true)
    }

    func testUnknownSyncOptionIsALocatedError() throws {
        let diagnostics = DiagnosticCollector()
        _ = try overlay(
            """
            apiVersion: nbgitops.dev/v1alpha1
            kind: Overlay
            spec:
              delivery:
                syncOptions: [Prune=false]
            """, diagnostics: diagnostics)
        let rendered = diagnostics.sorted.map(\.rendered).joined(separator: "\n")
        XCTAssertTrue(diagnostics.hasErrors)
        XCTAssertTrue(rendered.contains(":5:"), rendered)
        XCTAssertTrue(rendered.contains("syncOptions"), rendered)
    }

    /// The example's OpenShift environments run on the operator-managed OpenShift GitOps instance:
    /// the checks go into the ArgoCD resource patch (`spec.resourceHealthChecks`), not argocd-cm.
    func testHealthSnippetHoldsTheTemplateScriptsAndIsInNoKustomization() throws {
        let output = try compileRepositoryExample()
        let plan = try XCTUnwrap(output.plans.first { $0.environment.name == "openshift-gpu" })
        XCTAssertEqual(plan.snippets.count, 1)
        let snippet = try XCTUnwrap(plan.snippets.first)
        XCTAssertEqual(snippet.kind, "ArgoCD")
        XCTAssertEqual(snippet.name, "openshift-gitops")
        XCTAssertEqual(snippet.namespace, "openshift-gitops")
        let script = try String(
            contentsOfFile: (repositoryRoot as NSString).appendingPathComponent("templates/argocd/health-pipelinerun.lua"),
            encoding: .utf8)
        let checks = try XCTUnwrap(snippet.manifest.value(at: "spec.resourceHealthChecks")?.elements)
        XCTAssertEqual(checks.first { $0["kind"]?.stringValue == "PipelineRun" }?["check"], .string(script))
        // The example has S2I builds (a Build check) and awaited ImageStream tags; it serves
        // models on an Argo CD whose version is undeclared (taken as before 3.3: the
        // InferenceService check).
        XCTAssertEqual(
            checks.map { "\($0["group"]?.stringValue ?? "")/\($0["kind"]?.stringValue ?? "")" },
            [
                "tekton.dev/PipelineRun", "build.openshift.io/Build", "image.openshift.io/ImageStream", "batch/Job",
                "serving.kserve.io/InferenceService",
                "argoproj.io/Application",
            ])

        let files = try XCTUnwrap(output.files["openshift-gpu"])
        let path = "openshift-gpu/delivery/argocd-openshift-gitops-snippet.yaml"
        XCTAssertTrue(files.contains { $0.path == path })
        for kustomization in files where kustomization.path.hasSuffix("/kustomization.yaml") {
            XCTAssertFalse(
                String(decoding: kustomization.bytes, as: UTF8.self).contains("argocd-openshift-gitops"), kustomization.path)
        }
    }

    func testBuildHealthCheckOnlyWithS2I() {
        func object(_ apiVersion: String, _ kind: String) -> PlannedObject {
            PlannedObject(
                apiVersion: apiVersion, kind: kind, name: "x", namespace: "ns", manifest: [:], wave: .workload, sources: [])
        }
        XCTAssertEqual(ArgoHealthPlanner.checks(for: [object("batch/v1", "Job")]), [ArgoHealthPlanner.pipelineRun])
        XCTAssertEqual(
            ArgoHealthPlanner.checks(for: [object("build.openshift.io/v1", "BuildConfig")]),
            [ArgoHealthPlanner.pipelineRun, ArgoHealthPlanner.build])
        XCTAssertEqual(ArgoHealthPlanner.build.dataKey, "resource.customizations.health.build.openshift.io_Build")
    }

    func testConfigManagementPluginRunsRenderToStandardOutput() throws {
        let path = (repositoryRoot as NSString).appendingPathComponent("argocd/cmp/plugin.yaml")
        let diagnostics = DiagnosticCollector()
        let root = try XCTUnwrap(
            YAMLLoader.load(path: path, displayName: "argocd/cmp/plugin.yaml", diagnostics: diagnostics).first?.root)
        XCTAssertFalse(diagnostics.hasErrors)
        XCTAssertEqual(root["apiVersion"]?.scalar?.value, "argoproj.io/v1alpha1")
        XCTAssertEqual(root["kind"]?.scalar?.value, "ConfigManagementPlugin")
        XCTAssertEqual(root["spec"]?["discover"]?["fileName"]?.scalar?.value, "nbgitops.yaml")
        let command = (root["spec"]?["generate"]?["command"]?.items ?? []).compactMap { $0.scalar?.value }
        let arguments = (root["spec"]?["generate"]?["args"]?.items ?? []).compactMap { $0.scalar?.value }
        XCTAssertEqual(command, ["sh", "-c"])
        XCTAssertEqual(arguments, ["exec nbgitops render --stdout --env \"$ARGOCD_ENV_NBGITOPS_ENV\""])
        // The CLI really has these options.
        let cli = try String(
            contentsOfFile: (repositoryRoot as NSString).appendingPathComponent("Sources/nbgitops/RenderCommand.swift"),
            encoding: .utf8)
        XCTAssertTrue(cli.contains("name: .customLong(\"stdout\")"))
    }

    // MARK: Helpers

    func overlay(_ text: String, diagnostics: DiagnosticCollector) throws -> Overlay? {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-overlay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("site.yaml").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return OverlayLoader.load(
            OverlayReference(name: "site", file: file, isBuiltin: false), resourceRoot: repositoryRoot,
            diagnostics: diagnostics)
    }

    func resolve(_ text: String) throws -> Environment {
        let diagnostics = DiagnosticCollector()
        let loaded = try XCTUnwrap(try overlay(text, diagnostics: diagnostics), "\(diagnostics.sorted.map(\.rendered))")
        return EnvironmentResolver.resolve(name: "site", overlays: [loaded], diagnostics: diagnostics)
    }
}
