import Foundation
import XCTest

@testable import NBGitOps

/// The build rules over hand-built plans: generated PipelineRuns, Tasks and BuildConfigs as
/// the build planners will emit them (generic `PlannedObject`s whose `sources` point at the
/// job's `buildConfig`), so the rules apply to builds as soon as they are planned.
final class BuildRuleTests: XCTestCase {
    static let spec = """
        apiVersion: mlops.mlops.dev/v1alpha1
        kind: NotebookValidationJob
        metadata:
          name: churn
          annotations:
            nbgitops.dev/waive: "NBG230: kept for an old Tekton that still reads it"
        spec:
          notebook:
            git:
              url: https://github.com/org/repo.git
              ref: main
            path: notebooks/churn.ipynb
          podConfig:
            containerImage: quay.io/jupyter/minimal-notebook:2024-05-27
            buildConfig:
              enabled: false
              strategy: tekton
        ---
        apiVersion: mlops.mlops.dev/v1alpha1
        kind: NotebookValidationJob
        metadata:
          name: forecast
        spec:
          notebook:
            git:
              url: https://github.com/org/repo.git
              ref: main
            path: notebooks/forecast.ipynb
          podConfig:
            containerImage: quay.io/jupyter/minimal-notebook:2024-05-27
            buildConfig:
              enabled: false
              strategy: tekton

        """

    func plan(environment: Environment, extra: (SpecSet) -> [PlannedObject]) -> (DiagnosticCollector, SpecSet) {
        let diagnostics = DiagnosticCollector()
        let documents = YAMLLoader.load(
            bytes: Array(Self.spec.utf8), file: "builds.yaml", limits: .standard, diagnostics: diagnostics)
        let specs = SpecDecoder.decode(documents, diagnostics: diagnostics)
        var plan = EnvironmentPlanner.plan(
            specs: specs, environment: environment, resources: PlanFixtures.resources(), delivery: .project(outputPath: "gitops"))
        plan.objects += extra(specs)
        PlanChecker.check([plan], specs: specs, diagnostics: diagnostics)
        return (diagnostics, specs)
    }

    static func buildLocation(_ job: NotebookValidationJob) -> SourceLocation {
        job.sourceMap["spec.podConfig.buildConfig"] ?? job.name.location
    }

    static func pipelineRun(_ name: String, job: NotebookValidationJob, claim: String, betaField: Bool) -> PlannedObject {
        var spec: [(String, ManifestNode?)] = [
            ("pipelineRef", ["name": "nbgitops-build"]),
            ("taskRunTemplate", ["serviceAccountName": "pipeline"]),
            ("workspaces", [["name": "source", "persistentVolumeClaim": ["claimName": .string(claim)]]]),
        ]
        if betaField { spec.append(("timeout", "1h")) }
        return PlannedObject(
            apiVersion: "tekton.dev/v1", kind: "PipelineRun", name: name, namespace: "nb-validation",
            manifest: .object([
                ("apiVersion", "tekton.dev/v1"), ("kind", "PipelineRun"), ("metadata", ["name": .string(name)]),
                ("spec", .object(spec)),
            ]),
            wave: .workload, sources: [buildLocation(job)])
    }

    static func pipelineAndTask(job: NotebookValidationJob) -> [PlannedObject] {
        let pipeline: ManifestNode = [
            "apiVersion": "tekton.dev/v1", "kind": "Pipeline", "metadata": ["name": "nbgitops-build"],
            "spec": [
                "workspaces": [["name": "source"]],
                "tasks": [
                    [
                        "name": "build", "taskRef": ["name": "nbgitops-buildah"],
                        "workspaces": [["name": "source", "workspace": "source"]],
                    ]
                ],
            ],
        ]
        let task: ManifestNode = [
            "apiVersion": "tekton.dev/v1", "kind": "Task", "metadata": ["name": "nbgitops-buildah"],
            "spec": [
                "workspaces": [["name": "source"]],
                "steps": [
                    [
                        "name": "build", "image": "quay.io/buildah/stable:v1.37", "script": "buildah bud .",
                        "securityContext": ["capabilities": ["add": ["SETFCAP"]]],
                    ]
                ],
            ],
        ]
        return [
            PlannedObject(
                apiVersion: "tekton.dev/v1", kind: "Pipeline", name: "nbgitops-build", namespace: "nb-validation",
                manifest: pipeline, wave: .workload, sources: [buildLocation(job)]),
            PlannedObject(
                apiVersion: "tekton.dev/v1", kind: "Task", name: "nbgitops-buildah", namespace: "nb-validation",
                manifest: task, wave: .workload, sources: [buildLocation(job)]),
        ]
    }

    func testGeneratedTektonBuildsAreCheckedAndLocatedAtTheJobsBuildConfig() {
        let (diagnostics, _) = plan(environment: PlanFixtures.environment()) { specs in
            let churn = specs.jobs[0]
            let forecast = specs.jobs[1]
            return Self.pipelineAndTask(job: churn) + [
                Self.pipelineRun("churn-build", job: churn, claim: "build-cache", betaField: true),
                Self.pipelineRun("forecast-build", job: forecast, claim: "build-cache", betaField: false),
            ]
        }
        let lines = diagnostics.sorted.filter { !isAdvisory($0) }.map { String($0.rendered.split(separator: "\n")[0]) }
        XCTAssertEqual(
            lines,
            [
                "builds.yaml:16:7: warning[NBG126]: PersistentVolumeClaim 'build-cache' used by task 'build' of PipelineRun 'churn-build' is declared by no spec or overlay; it must exist in namespace 'nb-validation' before the pod runs",
                "builds.yaml:16:7: note[NBG230]: waived: PipelineRun 'churn-build' is tekton.dev/v1 but sets the v1beta1 field 'spec.timeout'; v1 ignores it (kubectl only warns \"unknown field\")",
                "builds.yaml:16:7: error[NBG250]: ServiceAccount 'pipeline' runs task 'build' of PipelineRun 'churn-build', which needs SCC privileged (container 'build' adds SETFCAP), but is granted only restricted-v2",
                // Each job's build names the claim: each document is told (and may waive it).
                "builds.yaml:32:7: warning[NBG126]: PersistentVolumeClaim 'build-cache' used by task 'build' of PipelineRun 'forecast-build' is declared by no spec or overlay; it must exist in namespace 'nb-validation' before the pod runs",
                "builds.yaml:32:7: error[NBG200]: ReadWriteOnce claim 'build-cache' is mounted by task 'build' of PipelineRun 'forecast-build' and task 'build' of PipelineRun 'churn-build', which can run at the same time; a ReadWriteOnce volume attaches to one node, so one pod stays Pending or fails with Multi-Attach",
            ])
    }

    func testPerRunWorkspacesAndPrivilegedBindingPass() {
        var environment = PlanFixtures.environment()
        environment.security.privilegeCap = PlanFixtures.overlay("privileged", line: 22)
        let (diagnostics, _) = plan(environment: environment) { specs in
            var objects = Self.pipelineAndTask(job: specs.jobs[0])
            for (job, name) in [(specs.jobs[0], "churn-build"), (specs.jobs[1], "forecast-build")] {
                var run = Self.pipelineRun(name, job: job, claim: "unused", betaField: false)
                // A volumeClaimTemplate per run (ADR-040's fix): no shared claim.
                run.manifest = run.manifest.replacing(
                    "spec.workspaces",
                    with: [
                        [
                            "name": "source",
                            "volumeClaimTemplate": [
                                "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "5Gi"]]]
                            ],
                        ]
                    ])
                objects.append(run)
            }
            let binding: ManifestNode = [
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": ["name": "pipeline-privileged"],
                "roleRef": [
                    "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:openshift:scc:privileged",
                ],
                "subjects": [["kind": "ServiceAccount", "name": "pipeline"]],
            ]
            objects.append(
                PlannedObject(
                    apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", name: "pipeline-privileged",
                    namespace: "nb-validation", manifest: binding, wave: .rbac, sources: [Self.buildLocation(specs.jobs[0])]))
            return objects
        }
        let lines = diagnostics.sorted.filter { !isAdvisory($0) }.map { String($0.rendered.split(separator: "\n")[0]) }
        // Only the unused waiver of the first job remains (it has no v1beta1 field now).
        XCTAssertEqual(
            lines,
            ["builds.yaml:6:25: warning[NBG181]: waiver for NBG230 matches no diagnostic of this object in any environment"])
    }

    func testGeneratedS2IBuildOnKubernetes() {
        let (diagnostics, _) = plan(environment: PlanFixtures.environment(platform: .kubernetes)) { specs in
            let buildConfig: ManifestNode = [
                "apiVersion": "build.openshift.io/v1", "kind": "BuildConfig", "metadata": ["name": "churn"],
                "spec": [
                    "strategy": [
                        "type": "Source", "sourceStrategy": ["from": ["kind": "DockerImage", "name": "ubi9/python-311"]],
                    ]
                ],
            ]
            return [
                PlannedObject(
                    apiVersion: "build.openshift.io/v1", kind: "BuildConfig", name: "churn", namespace: "nb-validation",
                    manifest: buildConfig, wave: .workload, sources: [Self.buildLocation(specs.jobs[1])])
            ]
        }
        let lines = diagnostics.sorted.filter { !isAdvisory($0) }.map { String($0.rendered.split(separator: "\n")[0]) }
        XCTAssertEqual(
            lines.filter { $0.contains("error") },
            [
                "builds.yaml:32:7: error[NBG270]: BuildConfig 'churn' is an S2I (Source) build; environment 'openshift-gpu' is plain Kubernetes, which has no build controller",
                "builds.yaml:32:7: error[NBG271]: BuildConfig 'churn' uses the OpenShift-only API group build.openshift.io; environment 'openshift-gpu' is plain Kubernetes, where the sync fails with \"no matches for kind\"",
            ])
    }
}

extension ManifestNode {
    /// A copy with the value at a dotted path (of maps only) replaced.
    func replacing(_ path: String, with value: ManifestNode) -> ManifestNode {
        let keys = path.split(separator: ".").map(String.init)
        guard let first = keys.first else { return value }
        var copy = self
        let rest = keys.dropFirst().joined(separator: ".")
        copy[first] = rest.isEmpty ? value : (self[first] ?? .map([])).replacing(rest, with: value)
        return copy
    }
}
