import Foundation
import XCTest

@testable import NBGitOps

/// Tekton and OpenShift details of the platform review (M2, M8, M14): each test compiles the
/// failing situation through the real pipeline (`CompilerPipeline.run`: the repository's example
/// project, or a spec with stacked overlays) and reads the planned and rendered objects.
final class TektonOpenShiftDetailsTests: XCTestCase {
    func example() throws -> CompilerOutput { try RepositoryExample.shared.get() }

    static let modelPipeline = """
        apiVersion: nbgitops.dev/v1alpha1
        kind: ModelPipeline
        metadata:
          name: granite
          namespace: ml-models
        spec:
          source:
            huggingFace: {repo: ibm-granite/granite-3.1-2b-instruct, revision: 0123456789abcdef0123456789abcdef01234567}
          size: {model: 5Gi}
          delivery: modelcar
          modelcar:
            packager: olot
          serving:
            modelFormat: {name: vLLM}
            resources:
              requests: {memory: 8Gi}
              limits: {memory: 16Gi}
        """
    static let openshift = [
        "openshift", "rwo", "argocd", "gpu-taints", "Tests/NBGitOpsTests/Fixtures/overlays/rules.yaml",
        "examples/overlays/site-defaults.yaml", "Tests/NBGitOpsTests/Fixtures/overlays/uid-modelcar-unset.yaml",
    ]

    /// M2: the Tekton operator's pruner reads `operator.tekton.dev/prune.skip` from the
    /// Namespace only (tektoncd/operator `pkg/reconciler/common/prune.go` `getPruneConfig`):
    /// every namespace holding nbgitops' PipelineRuns carries it, and no run does.
    func testM2_pruneSkipIsOnTheNamespacesHoldingPipelineRunsNotOnTheRuns() throws {
        let output = try example()
        var runs = 0
        for plan in output.plans {
            let objects = everyObject(plan)
            let runNamespaces = Set(objects.filter { $0.kind == "PipelineRun" }.compactMap(\.namespace))
            XCTAssertFalse(runNamespaces.isEmpty, plan.environment.name)
            for run in objects where run.kind == "PipelineRun" {
                XCTAssertNil(
                    run.manifest.value(at: "metadata.annotations")?[AnnotationKey.tektonPruneSkip],
                    "\(plan.environment.name)/\(run.name): the annotation does nothing on a PipelineRun")
                runs += 1
            }
            for namespace in objects where namespace.kind == "Namespace" {
                let skip = namespace.manifest.value(at: "metadata.annotations")?[AnnotationKey.tektonPruneSkip]?.stringValue
                XCTAssertEqual(
                    skip, runNamespaces.contains(namespace.name) ? "true" : nil,
                    "\(plan.environment.name): Namespace \(namespace.name)")
            }
            // The builds namespace (its own Flux folder on Kubernetes) and the model namespaces.
            XCTAssertTrue(runNamespaces.contains { $0.hasSuffix("-builds") }, plan.environment.name)
        }
        XCTAssertGreaterThanOrEqual(runs, 8)
        let text = try renderedText(output, environment: "kubernetes", containing: "0-namespace-notebook-validation-builds")
        XCTAssertTrue(text.contains("    operator.tekton.dev/prune.skip: 'true'\n"), text)
    }

    /// M2: a ModelPipeline's run in a namespace of its own gets the annotation on that
    /// namespace; every namespace a run lands in is nbgitops' (a Namespace in the spec files is
    /// refused, NBG135), so none is left without it.
    func testM2_aModelPipelineNamespaceSkipsTheTektonPruner() throws {
        let plan = try compileSpecThroughPipeline(Self.modelPipeline, overlays: Self.openshift)
        let namespace = try XCTUnwrap(plan.objects.first { $0.kind == "Namespace" && $0.name == "ml-models" })
        XCTAssertEqual(
            namespace.manifest.value(at: "metadata.annotations")?[AnnotationKey.tektonPruneSkip]?.stringValue, "true")
        let run = try XCTUnwrap(plan.objects.first { $0.kind == "PipelineRun" && $0.namespace == "ml-models" })
        XCTAssertNil(run.manifest.value(at: "metadata.annotations")?[AnnotationKey.tektonPruneSkip])
        // The validation namespace holds no run here: no annotation.
        let home = try XCTUnwrap(plan.objects.first { $0.kind == "Namespace" && $0.name == "nb-validation" })
        XCTAssertNil(home.manifest.value(at: "metadata.annotations")?[AnnotationKey.tektonPruneSkip])

        let passed = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ml-models\n---\n" + Self.modelPipeline
        let (_, diagnostics) = try compileSpecWithDiagnostics(passed, overlays: Self.openshift)
        XCTAssertTrue(diagnostics.sorted.contains { $0.id == .passthroughKind }, "\(diagnostics.sorted.map(\.rendered))")
    }

    /// M14: `pipelines-scc-clusterrole` grants TektonConfig's *default* SCC (tektoncd/operator
    /// `pkg/reconciler/openshift/tektonconfig/rbac.go` `ensurePipelinesSCClusterRole`), which may
    /// be restricted-v2: the buildah accounts get a Role naming `pipelines-scc` instead.
    func testM14_buildahAccountsUsePipelinesSCCByNameThroughARole() throws {
        let output = try example()
        var bound = 0
        for plan in output.plans where plan.environment.platform.value == .openshift {
            let objects = everyObject(plan)
            XCTAssertFalse(
                objects.contains { $0.manifest.value(at: "roleRef.name")?.stringValue == "pipelines-scc-clusterrole" },
                plan.environment.name)
            for binding in objects where binding.kind == "RoleBinding" && binding.name.hasSuffix("-use-pipelines-scc") {
                XCTAssertEqual(binding.manifest.value(at: "roleRef.kind")?.stringValue, "Role")
                let roleName = try XCTUnwrap(binding.manifest.value(at: "roleRef.name")?.stringValue)
                let role = try XCTUnwrap(
                    objects.first { $0.kind == "Role" && $0.name == roleName && $0.namespace == binding.namespace })
                let rules = try XCTUnwrap(role.manifest["rules"]?.elements)
                XCTAssertEqual(rules.count, 1)
                XCTAssertEqual(rules[0]["apiGroups"], ["security.openshift.io"])
                XCTAssertEqual(rules[0]["resources"], ["securitycontextconstraints"])
                XCTAssertEqual(rules[0]["resourceNames"], ["pipelines-scc"])
                XCTAssertEqual(rules[0]["verbs"], ["use"])
                let subjects = try XCTUnwrap(binding.manifest["subjects"]?.elements)
                XCTAssertEqual(subjects.count, 1, "the buildah account only")
                XCTAssertTrue(subjects[0]["name"]?.stringValue?.hasSuffix("buildah") ?? false)
                bound += 1
            }
            // pipelines-scc allows no seccomp profile: the buildah Tasks set none.
            for task in objects where task.kind == "Task" && task.name.contains("buildah") {
                XCTAssertFalse(CanonicalJSON.encode(task.manifest).contains("seccomp"), task.name)
            }
        }
        XCTAssertGreaterThanOrEqual(bound, 2)
        let text = try renderedText(output, environment: "openshift-gpu", containing: "1-role-nbgitops-buildah-use-pipelines-scc")
        XCTAssertTrue(text.contains("  resourceNames:\n  - pipelines-scc\n"), text)
    }

    /// M14: a step that needs pipelines-scc (root with SETFCAP) and sets a seccomp profile is
    /// refused by pipelines-scc; reported where the profile is written.
    func testM14_seccompProfileOnAPipelinesSCCStepIsALocatedError() throws {
        let task = """
            apiVersion: tekton.dev/v1
            kind: Task
            metadata:
              name: build-image
            spec:
              steps:
              - name: build
                image: quay.io/buildah/stable:v1.38.0
                script: buildah bud -t quay.io/example-org/image:1 .
                securityContext:
                  runAsUser: 0
                  capabilities:
                    add: [SETFCAP]
                  seccompProfile:
                    type: RuntimeDefault
            """
        let (_, diagnostics) = try compileSpecWithDiagnostics(task, overlays: Self.openshift)
        let errors = diagnostics.sorted.filter { $0.id == .pipelinesSCCSeccomp }
        XCTAssertEqual(errors.count, 1, "\(diagnostics.sorted.map(\.rendered))")
        XCTAssertEqual(errors.first?.severity, .error)
        XCTAssertEqual(errors.first?.location?.line, 14)
        // Kubernetes has no SCCs: nothing to report there.
        let (_, kubernetes) = try compileSpecWithDiagnostics(
            task, overlays: ["kubernetes", "rwo", "flux", "Tests/NBGitOpsTests/Fixtures/overlays/rules.yaml"])
        XCTAssertFalse(kubernetes.sorted.contains { $0.id == .pipelinesSCCSeccomp })
    }

    /// M8: the in-cluster S3 endpoint's certificate is signed by OpenShift's service CA; the
    /// validate container mounts `openshift-service-ca.crt` (optional) and the uploader trusts
    /// it besides the system bundle (`NBG_RESULTS_S3_CA`). On Kubernetes only a declared
    /// `results.s3.caConfigMap` is mounted.
    func testM8_resultsUploadTrustsTheClusterServiceCA() throws {
        let output = try example()
        var jobs = 0
        for plan in output.plans {
            let openshift = plan.environment.platform.value == .openshift
            for job in everyObject(plan) where job.kind == "Job" {
                let pod = try XCTUnwrap(job.manifest.value(at: "spec.template.spec"))
                let volumes = pod["volumes"]?.elements ?? []
                let validate = try XCTUnwrap(
                    pod["containers"]?.elements?.first { $0["name"]?.stringValue == PodLayout.validateContainerName })
                let env = validate["env"]?.elements ?? []
                let caEnv = env.first { $0["name"]?.stringValue == "NBG_RESULTS_S3_CA" }?["value"]?.stringValue
                let caVolume = volumes.first { $0["name"]?.stringValue == PodLayout.resultsCA.name }
                let s3 = env.contains { $0["name"]?.stringValue == "NBG_RESULTS_S3_URL" }
                guard s3, openshift else {
                    XCTAssertNil(caVolume, "\(plan.environment.name)/\(job.name)")
                    XCTAssertNil(caEnv, "\(plan.environment.name)/\(job.name)")
                    continue
                }
                XCTAssertEqual(caVolume?.value(at: "configMap.name")?.stringValue, "openshift-service-ca.crt", job.name)
                XCTAssertEqual(caVolume?.value(at: "configMap.optional")?.boolValue, true, job.name)
                XCTAssertEqual(caEnv, PodLayout.resultsCA.mountPath, job.name)
                let mount = validate["volumeMounts"]?.elements?.first { $0["name"]?.stringValue == PodLayout.resultsCA.name }
                XCTAssertEqual(mount?["mountPath"]?.stringValue, PodLayout.resultsCA.mountPath, job.name)
                XCTAssertEqual(mount?["readOnly"]?.boolValue, true, job.name)
                jobs += 1
            }
        }
        XCTAssertGreaterThanOrEqual(jobs, 4, "the OpenShift Jobs save to the example's in-cluster bucket")

        // Declared by name (Kubernetes: kube-root-ca.crt signs the API server, not services).
        let job = """
            apiVersion: mlops.mlops.dev/v1alpha1
            kind: NotebookValidationJob
            metadata:
              name: demo
            spec:
              notebook:
                git: {url: https://github.com/org/repo.git, ref: main}
                path: notebooks/demo.ipynb
              podConfig:
                containerImage: quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2
            """
        let plan = try compileSpecThroughPipeline(
            job,
            overlays: [
                "kubernetes", "rwo", "flux", "Tests/NBGitOpsTests/Fixtures/overlays/rules.yaml",
                "examples/overlays/site-defaults.yaml", "Tests/NBGitOpsTests/Fixtures/overlays/results-ca.yaml",
            ])
        let planned = try XCTUnwrap(plan.objects.first { $0.kind == "Job" })
        let volume = planned.manifest.value(at: "spec.template.spec.volumes")?.elements?.first {
            $0["name"]?.stringValue == PodLayout.resultsCA.name
        }
        XCTAssertEqual(volume?.value(at: "configMap.name")?.stringValue, "minio-ca")
    }
    /// m2: a Tekton step without requests makes its pod BestEffort (evicted first, refused by
    /// quotas that require requests): every step of every Task nbgitops generates requests CPU
    /// and memory.
    func testm2_everyGeneratedTektonStepRequestsCPUAndMemory() throws {
        let output = try example()
        var steps = 0
        for plan in output.plans {
            for task in everyObject(plan) where task.kind == "Task" {
                for step in task.manifest.value(at: "spec.steps")?.elements ?? [] {
                    let requests = step.value(at: "computeResources.requests")
                    let what = "\(plan.environment.name)/\(task.name)/\(step["name"]?.stringValue ?? "?")"
                    XCTAssertNotNil(requests?["cpu"], what)
                    XCTAssertNotNil(requests?["memory"], what)
                    steps += 1
                }
            }
        }
        XCTAssertGreaterThanOrEqual(steps, 12)
        let text = try renderedText(output, environment: "kubernetes", containing: "3-task-nbgitops-buildah")
        XCTAssertTrue(text.contains("    computeResources:\n      requests:\n        cpu: 100m\n        memory: 256Mi\n"), text)
    }
}
