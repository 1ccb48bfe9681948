import Foundation
import XCTest

@testable import NBGitOps

/// The rules over the builds nbgitops really generates (the repository's example): they pass
/// in every environment, and each piece the rules rely on is load-bearing — remove it and the
/// rule fires.
final class GeneratedBuildRuleTests: XCTestCase {
    func check(_ plan: EnvironmentPlan, specs: SpecSet) -> [Diagnostic] {
        let diagnostics = DiagnosticCollector()
        PlanChecker.check([plan], specs: specs, diagnostics: diagnostics)
        return diagnostics.sorted.filter { $0.severity == .error }
    }

    func testTheExampleBuildsPassEveryRuleInEveryEnvironment() throws {
        let output = try compileRepositoryExample()
        XCTAssertEqual(output.plans.count, 3)
        for plan in output.plans {
            let errors = check(plan, specs: output.specs)
            XCTAssertEqual(errors.map(\.rendered), [], plan.environment.name)
        }
    }

    func testFluxBuildObjectsAreChecked() throws {
        let output = try compileRepositoryExample()
        let plan = try XCTUnwrap(output.plans.first { $0.environment.name == "kubernetes" })
        XCTAssertFalse(plan.buildObjects.isEmpty)
        XCTAssertFalse(
            plan.objects.contains {
                $0.kind == "PipelineRun" && $0.manifest.value(at: "metadata.labels")?[LabelKey.component]?.stringValue == "build"
            }, "Flux keeps builds in buildObjects (model pipelines' runs stay in the manifests folder)")
        // Group 0 is shared twice: the pod template's fsGroup 0 and every step's runAsGroup 0.
        // Without both, the root buildah task and the 65534 generator share no group: NBG240
        // must see the PipelineRun and its Tasks although they live in buildObjects.
        func withoutSharedGroup(fsGroup: Bool, runAsGroup: Bool) -> EnvironmentPlan {
            var broken = plan
            broken.buildObjects = plan.buildObjects.map { object in
                var object = object
                var spec = object.manifest["spec"] ?? .map([])
                if fsGroup, object.kind == "PipelineRun" {
                    var template = spec["taskRunTemplate"] ?? .map([])
                    template["podTemplate"] = nil
                    spec["taskRunTemplate"] = template
                }
                if runAsGroup, object.kind == "Task", object.name == "nbgitops-buildah" {
                    spec["steps"] = .list(
                        (spec["steps"]?.elements ?? []).map { step in
                            var step = step
                            var context = step["securityContext"] ?? .map([])
                            context["runAsGroup"] = nil
                            step["securityContext"] = context
                            return step
                        })
                }
                object.manifest["spec"] = spec
                return object
            }
            return broken
        }
        XCTAssertEqual(check(withoutSharedGroup(fsGroup: true, runAsGroup: false), specs: output.specs).map(\.rendered), [])
        XCTAssertEqual(check(withoutSharedGroup(fsGroup: false, runAsGroup: true), specs: output.specs).map(\.rendered), [])
        let errors = check(withoutSharedGroup(fsGroup: true, runAsGroup: true), specs: output.specs)
        XCTAssertTrue(errors.contains { $0.id == .sharedVolumeUIDs }, "\(errors.map(\.rendered))")
        XCTAssertTrue(
            errors.contains { $0.message.contains("task 'build-image'") && $0.message.contains("as UID 0") },
            "\(errors.map(\.rendered))")
    }

    func testKubernetesBuildNamespaceLabelIsTheCap() throws {
        let output = try compileRepositoryExample()
        let plan = try XCTUnwrap(output.plans.first { $0.environment.name == "kubernetes" })
        // buildah (root, SETFCAP) needs Pod Security baseline: its namespace enforces baseline.
        let namespace = try XCTUnwrap(plan.buildObjects.first { $0.kind == "Namespace" })
        XCTAssertEqual(
            namespace.manifest.value(at: "metadata.labels[pod-security.kubernetes.io/enforce]"), .string("baseline"))
        var restricted = plan
        restricted.buildObjects = plan.buildObjects.map { object in
            guard object.kind == "Namespace" else { return object }
            var object = object
            var metadata = object.manifest["metadata"] ?? .map([])
            var labels = metadata["labels"] ?? .map([])
            labels["pod-security.kubernetes.io/enforce"] = "restricted"
            metadata["labels"] = labels
            object.manifest["metadata"] = metadata
            return object
        }
        let errors = check(restricted, specs: output.specs)
        let privilege = errors.filter { $0.id == .privilegeCapped }
        XCTAssertEqual(privilege.count, 1, "\(errors.map(\.rendered))")
        XCTAssertTrue(
            privilege.first?.message.hasPrefix(
                "ServiceAccount 'nbgitops-buildah' runs task 'build-image' of PipelineRun 'fraud-features-build-") ?? false,
            "\(privilege.map(\.rendered))")
        XCTAssertTrue(
            privilege.first?.notes.contains { $0.message == "namespace 'notebook-validation-builds' enforces Pod Security restricted" }
                ?? false, "\(privilege.map(\.rendered))")
    }

    func testOpenShiftBuildahNeedsItsPipelinesSCCBinding() throws {
        let output = try compileRepositoryExample()
        let plan = try XCTUnwrap(output.plans.first { $0.environment.name == "openshift-gpu" })
        let binding = try XCTUnwrap(
            plan.objects.first { $0.kind == "RoleBinding" && $0.name == "nbgitops-buildah-use-pipelines-scc" })
        XCTAssertEqual(binding.manifest.value(at: "roleRef.kind"), .string("Role"))
        XCTAssertEqual(binding.manifest.value(at: "roleRef.name"), .string("nbgitops-buildah-use-pipelines-scc"))
        var unbound = plan
        unbound.objects.removeAll { $0.kind == "RoleBinding" && $0.name == binding.name }
        let errors = check(unbound, specs: output.specs).filter { $0.id == .privilegeCapped }
        XCTAssertEqual(errors.count, 1, "\(errors.map(\.rendered))")
        XCTAssertTrue(
            errors.first?.message.hasSuffix(
                "which needs SCC privileged (container 'build-and-push' adds SETFCAP), but is granted only restricted-v2") ?? false,
            "\(errors.map(\.rendered))")
        XCTAssertTrue(errors.first?.help?.contains("securitycontextconstraints 'pipelines-scc' by name") ?? false)
        // Bound to anyuid instead (seed 004): still refused.
        var anyuid = plan
        anyuid.objects = plan.objects.map { object in
            guard object.kind == "RoleBinding", object.name == binding.name else { return object }
            var object = object
            var roleRef = object.manifest["roleRef"] ?? .map([])
            roleRef["kind"] = "ClusterRole"
            roleRef["name"] = "system:openshift:scc:anyuid"
            object.manifest["roleRef"] = roleRef
            return object
        }
        let anyuidErrors = check(anyuid, specs: output.specs)
        XCTAssertTrue(
            anyuidErrors.contains { $0.id == .privilegeCapped && $0.message.hasSuffix("but is granted only anyuid") },
            "\(anyuidErrors.map(\.rendered))")
        // Under anyuid the root pod gets no fsGroup either: the files rule fires too.
        XCTAssertTrue(anyuidErrors.contains { $0.id == .sharedVolumeUIDs }, "\(anyuidErrors.map(\.rendered))")
    }

    func testSCCClusterRoles() {
        // TektonConfig's default SCC, whichever it is: unknown, so it grants none.
        XCTAssertNil(SecurityRules.sccGranted(byClusterRole: "pipelines-scc-clusterrole"))
        XCTAssertEqual(SecurityRules.sccGranted(byClusterRole: "system:openshift:scc:anyuid"), "anyuid")
        XCTAssertEqual(SecurityRules.sccGranted(byClusterRole: "system:openshift:scc:privileged"), "privileged")
        XCTAssertNil(SecurityRules.sccGranted(byClusterRole: "system:openshift:scc:pipelines-scc"))
        XCTAssertNil(SecurityRules.sccGranted(byClusterRole: "edit"))
        let pipelines = try? XCTUnwrap(SecurityRules.scc(named: "pipelines-scc"))
        XCTAssertEqual(pipelines?.admits(.capabilities(["SETFCAP"])), true)
        XCTAssertEqual(pipelines?.admits(.root), true)
        XCTAssertEqual(pipelines?.admits(.capabilities(["SYS_ADMIN"])), false)
        XCTAssertEqual(pipelines?.admits(.escalation), false)
        XCTAssertEqual(pipelines?.admits(.hostOrPrivileged), false)
        XCTAssertEqual(SecurityRules.scc(named: "anyuid")?.admits(.capabilities(["SETFCAP"])), false)
    }

    func testS2IJobsAnnotatedForOpenShiftAreNotS2IOnKubernetes() throws {
        let output = try compileRepositoryExample()
        let s2i = output.specs.jobs.filter { $0.podConfig.buildConfig?.strategy.value == "s2i" }
        XCTAssertEqual(s2i.count, 2)
        XCTAssertTrue(s2i.allSatisfy { !EnvironmentPlanner.isPlanned($0, on: .kubernetes) })
        XCTAssertTrue(s2i.allSatisfy { EnvironmentPlanner.isPlanned($0, on: .openshift) })
        let plan = try XCTUnwrap(output.plans.first { $0.environment.name == "kubernetes" })
        let diagnostics = DiagnosticCollector()
        PlanChecker.check([plan], specs: output.specs, diagnostics: diagnostics)
        XCTAssertFalse(diagnostics.diagnostics.contains { $0.id == .s2iOnKubernetes })
    }

    /// A Tekton Task template missing from the resource root (a broken NBGITOPS_HOME) is a
    /// located error through `CompilerPipeline.run`, once a job builds; nothing is planned from it.
    func testAMissingTaskTemplateIsALocatedErrorThroughThePipeline() throws {
        let manager = FileManager.default
        let root = manager.temporaryDirectory.appendingPathComponent("nbgitops-resources-\(UUID().uuidString)").path
        defer { try? manager.removeItem(atPath: root) }
        for folder in ["overlays", "templates/scripts", "templates/argocd", "docs/rules"] {
            try manager.createDirectory(
                atPath: (root as NSString).appendingPathComponent((folder as NSString).deletingLastPathComponent),
                withIntermediateDirectories: true)
            try manager.createSymbolicLink(
                atPath: (root as NSString).appendingPathComponent(folder),
                withDestinationPath: (repositoryRoot as NSString).appendingPathComponent(folder))
        }
        let tekton = (root as NSString).appendingPathComponent("templates/tekton")
        try manager.createDirectory(atPath: tekton, withIntermediateDirectories: true)
        let source = (repositoryRoot as NSString).appendingPathComponent("templates/tekton")
        for name in try manager.contentsOfDirectory(atPath: source) where name != "git-clone.yaml" {
            try manager.createSymbolicLink(
                atPath: (tekton as NSString).appendingPathComponent(name),
                withDestinationPath: (source as NSString).appendingPathComponent(name))
        }
        let spec = (root as NSString).appendingPathComponent("spec.yaml")
        try Self.tektonSpec.write(toFile: spec, atomically: true, encoding: .utf8)
        let run = TestPipeline.run(
            [SpecFileFinder.Found(path: spec, displayPath: "spec.yaml")],
            environments: [
                TestPipeline.environment("openshift", ["openshift", "rwo", "argocd", "examples/overlays/repository.yaml"])
            ],
            resources: root)
        let diagnostics = run.diagnostics
        XCTAssertNil(run.output)
        XCTAssertEqual(
            diagnostics.sorted.filter { $0.severity == .error }.map { $0.rendered.components(separatedBy: "\n")[0] },
            [
                "templates/tekton/git-clone.yaml:1:1: error[NBG153]: the Tekton Task template 'nbgitops-git-clone' is missing from templates/tekton/ or is not a tekton.dev/v1 Task with steps"
            ])
    }

    static let tektonSpec = """
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
            containerImage: quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2
            buildConfig:
              enabled: true
              strategy: tekton
        """
}
