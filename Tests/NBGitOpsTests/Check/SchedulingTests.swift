import Foundation
import XCTest

@testable import NBGitOps

/// Static schedulability (NBG300/NBG301): kube-scheduler's filter semantics against declared
/// node pools, and a GPU-tainted cluster over the whole example project.
final class SchedulingTests: XCTestCase {
    static let master = NodePool(
        name: "master", count: 1, labels: ["node-role.kubernetes.io/master": ""],
        taints: [Taint(key: "node-role.kubernetes.io/master", value: nil, effect: "NoSchedule")],
        allocatable: ["cpu": "4", "memory": "16Gi"])
    static let worker = NodePool(
        name: "worker", count: 3, labels: ["node-role.kubernetes.io/worker": "", "cores": "8"], taints: [],
        allocatable: ["cpu": "8", "memory": "32Gi"])
    static let gpu = NodePool(
        name: "gpu", count: 3, labels: ["nvidia.com/gpu.present": "true"],
        taints: [Taint(key: "nvidia.com/gpu", value: "true", effect: "NoSchedule")],
        allocatable: ["cpu": "16", "memory": "64Gi", "nvidia.com/gpu": "1"])

    func pod(_ yaml: ManifestNode, containers: [ManifestNode] = []) -> PodPlacement {
        PodPlacement(podSpec: yaml, containers: containers)
    }

    func testTaintsAndTolerationsFollowToleratesTaint() {
        let none = pod([:])
        XCTAssertEqual(NodePoolFit.reason(none, pool: Self.gpu), .untoleratedTaint(Self.gpu.taints[0]))
        XCTAssertNil(NodePoolFit.reason(none, pool: Self.worker))
        let exists = pod(["tolerations": [["key": "nvidia.com/gpu", "operator": "Exists"]]])
        XCTAssertNil(NodePoolFit.reason(exists, pool: Self.gpu), "empty effect matches every effect")
        let wrongValue = pod(["tolerations": [["key": "nvidia.com/gpu", "value": "false", "effect": "NoSchedule"]]])
        XCTAssertNotNil(NodePoolFit.reason(wrongValue, pool: Self.gpu), "Equal is the default operator")
        let everything = pod(["tolerations": [["operator": "Exists"]]])
        XCTAssertNil(NodePoolFit.reason(everything, pool: Self.master), "an empty key with Exists tolerates every taint")
        var soft = Self.gpu
        soft.taints = [Taint(key: "nvidia.com/gpu", value: "true", effect: "PreferNoSchedule")]
        XCTAssertNil(NodePoolFit.reason(none, pool: soft), "PreferNoSchedule never filters")
    }

    func testNodeAffinityOperators() {
        func affinity(_ expressions: ManifestNode) -> PodPlacement {
            pod([
                "affinity": [
                    "nodeAffinity": [
                        "requiredDuringSchedulingIgnoredDuringExecution": [
                            "nodeSelectorTerms": [["matchExpressions": expressions]]
                        ]
                    ]
                ]
            ])
        }
        XCTAssertNil(NodePoolFit.reason(affinity([["key": "cores", "operator": "Gt", "values": ["4"]]]), pool: Self.worker))
        XCTAssertEqual(
            NodePoolFit.reason(affinity([["key": "cores", "operator": "Lt", "values": ["4"]]]), pool: Self.worker),
            .nodeAffinity)
        XCTAssertNil(
            NodePoolFit.reason(affinity([["key": "zone", "operator": "NotIn", "values": ["a"]]]), pool: Self.worker),
            "NotIn holds where the label is absent")
        XCTAssertEqual(
            NodePoolFit.reason(affinity([["key": "zone", "operator": "In", "values": ["a"]]]), pool: Self.worker),
            .nodeAffinity)
        XCTAssertNil(
            NodePoolFit.reason(affinity([["key": "node-role.kubernetes.io/worker", "operator": "Exists"]]), pool: Self.worker))
        XCTAssertEqual(NodePoolFit.reason(affinity([]), pool: Self.worker), .nodeAffinity, "an empty term matches nothing")
        XCTAssertEqual(NodePoolFit.reason(pod(["nodeSelector": ["cores": "16"]]), pool: Self.worker), .nodeAffinity)
    }

    func testRequestsAreSummedWithLimitsStandingInForMissingRequests() {
        let containers: [ManifestNode] = [
            ["resources": ["requests": ["cpu": "5"]]], ["resources": ["limits": ["cpu": "4", "memory": "1Gi"]]],
        ]
        XCTAssertEqual(NodePoolFit.reason(pod([:], containers: containers), pool: Self.worker), .insufficient("cpu"))
        XCTAssertNil(NodePoolFit.reason(pod([:], containers: [containers[0]]), pool: Self.worker))
        let undeclared = pod([:], containers: [["resources": ["requests": ["example.com/fpga": "1"]]]])
        XCTAssertNil(NodePoolFit.reason(undeclared, pool: Self.worker), "a resource the pool does not declare is unknown")
    }

    func testBreakdownIsWordedAndSortedAsKubeScheduler() {
        let text = NodePoolFit.breakdown(
            [(Self.gpu, .untoleratedTaint(Self.gpu.taints[0])), (Self.master, .untoleratedTaint(Self.master.taints[0])),
                (Self.worker, .podAffinity)], nodes: 7)
        XCTAssertEqual(
            text,
            "0/7 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/master: }, "
                + "3 node(s) didn't match pod affinity rules, 3 node(s) had untolerated taint {nvidia.com/gpu: true}")
    }

    /// The whole example project on a GPU-tainted cluster (examples/overlays/gpu-tainted-cluster.yaml
    /// stacked on openshift-gpu): every pod fits but the 70B predictor, which asks for A100
    /// nodes the cluster does not have.
    func testTheExampleOnSeed001sCluster() throws {
        let run = try TestPipeline.runProject { environments in
            environments = environments.filter { $0.name.value == "openshift-gpu" }
            XCTAssertEqual(environments.count, 1)
            environments[0].overlays.append(Located("examples/overlays/gpu-tainted-cluster.yaml", at: TestPipeline.at))
        }
        let diagnostics = run.diagnostics
        let scheduling = diagnostics.sorted.filter { $0.id == .unschedulable || $0.id == .poolMismatch }
        XCTAssertEqual(
            scheduling.map { $0.rendered.components(separatedBy: "\n")[0] },
            [
                "examples/specs/13-large-model-pvc.yaml:10:9: error[NBG300]: InferenceService 'llama-70b' can never be scheduled: 0/7 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/master: }, 6 node(s) didn't match Pod's node affinity/selector"
            ])
    }

    /// `explain --placement`: per pod, per pool, "fits" or the refusing filter.
    func testPlacementReport() throws {
        let text = try String(
            contentsOfFile: repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/rules/NBG300-pass.yaml", encoding: .utf8)
        let plan = try compileSpecThroughPipeline(
            text,
            overlays: [
                "openshift", "rwo", "argocd", "gpu-taints", "examples/overlays/repository.yaml",
                "examples/overlays/site-defaults.yaml", "examples/overlays/gpu-tainted-cluster.yaml",
            ])
        let run = try XCTUnwrap(plan.objects.first { $0.kind == "PipelineRun" })
        let report = SchedulingRules.placementReport(of: run, in: plan)
        XCTAssertTrue(
            report.contains(
                """
                  task 'download' of PipelineRun 'modelcar-build' (bound to the affinity assistant):
                    master (1 node): no — node(s) had untolerated taint {node-role.kubernetes.io/master: }
                    worker (3 nodes): no — node(s) didn't match Pod's node affinity/selector
                    gpu (3 nodes): fits

                """), report)
        var bare = plan
        bare.environment.nodePools = .byDefault([], "none")
        XCTAssertTrue(SchedulingRules.placementReport(of: run, in: bare).contains("declares no node pools"))
    }

    static let seedOverlays = [
        "openshift", "rwo", "argocd", "gpu-taints", "examples/overlays/repository.yaml",
        "examples/overlays/site-defaults.yaml", "examples/overlays/gpu-tainted-cluster.yaml",
    ]

    func schedulingLines(_ diagnostics: DiagnosticCollector) -> [String] {
        diagnostics.sorted.filter { $0.id == .unschedulable || $0.id == .poolMismatch }.map {
            $0.rendered.components(separatedBy: "\n")[0]
        }
    }

    /// Environments without pools: one note for the whole run (naming each), none per pod;
    /// an environment with pools is not named.
    func testEnvironmentsWithoutPoolsAreNotedOnce() throws {
        // The unmodified example: the one shared compile.
        let run = try TestPipeline.example.get()
        XCTAssertNotNil(run.output)
        let diagnostics = run.diagnostics
        let notes = diagnostics.sorted.filter { $0.id == .unschedulable }
        XCTAssertEqual(
            notes.map(\.rendered),
            [
                "nbgitops.yaml:17:11: note[NBG300]: environments 'openshift-rwx', 'kubernetes' declare no node pools (cluster.nodePools): where their pods can run was not checked (NBG300, NBG301)\n  help: declare the cluster's pools in an overlay (cluster.nodePools; the built-in gpu-pools overlay declares a typical pair) to have every pod proved to schedule"
            ])
        XCTAssertFalse(diagnostics.sorted.contains { $0.id == .poolMismatch })
    }

    /// An OpenShift build pod is judged by its BuildConfig's nodeSelector and resources, with no
    /// tolerations (only cluster build overrides give it any).
    func testBuildPodOfABuildConfigMustFitAPool() throws {
        func buildConfig(_ extra: String) -> String {
            """
            apiVersion: build.openshift.io/v1
            kind: BuildConfig
            metadata:
              name: notebook-image
            spec:
              source:
                git: {uri: "https://github.com/example-org/notebooks.git"}
              strategy:
                type: Docker
                dockerStrategy: {}
              output:
                to: {kind: ImageStreamTag, name: "notebook-image:latest"}
            \(extra)
            """
        }
        let (_, gpu) = try compileSpecWithDiagnostics(
            buildConfig("  nodeSelector: {nvidia.com/gpu.present: \"true\"}"), overlays: Self.seedOverlays)
        XCTAssertEqual(
            schedulingLines(gpu),
            [
                "spec.yaml:13:17: error[NBG300]: the build pod of BuildConfig 'notebook-image' can never be scheduled: 0/7 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/master: }, 3 node(s) didn't match Pod's node affinity/selector, 3 node(s) had untolerated taint {nvidia.com/gpu: true}"
            ])
        XCTAssertTrue(gpu.sorted.first { $0.id == .unschedulable }?.help?.contains("build overrides") == true)
        let (_, large) = try compileSpecWithDiagnostics(
            buildConfig("  resources: {requests: {memory: 48Gi}}"), overlays: Self.seedOverlays)
        XCTAssertEqual(
            schedulingLines(large),
            [
                "spec.yaml:13:14: error[NBG300]: the build pod of BuildConfig 'notebook-image' can never be scheduled: 0/7 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/master: }, 3 Insufficient memory, 3 node(s) had untolerated taint {nvidia.com/gpu: true}"
            ])
        let (output, fits) = try compileSpecWithDiagnostics(
            buildConfig("  resources: {requests: {memory: 8Gi}}"), overlays: Self.seedOverlays)
        XCTAssertNotNil(output)
        XCTAssertEqual(schedulingLines(fits), [])
    }

    /// The affinity assistant is a pod of its own, placed by the run's template alone: a template
    /// that selects the GPU nodes without tolerating their taint strands the assistant (and
    /// with it every task bound to it), whatever the tasks' taskRunSpecs tolerate.
    func testTheAffinityAssistantIsJudgedAsAPodOfItsOwn() throws {
        var text = try RuleFixtureTests.body("NBG300-fail.yaml")
        text = text.replacingOccurrences(
            of: """
                      nodeSelector: {nvidia.com/gpu.present: "true"}
                      tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
                  taskRunSpecs:
                  - pipelineTaskName: download
                    podTemplate:
                      nodeSelector: {}
                      tolerations: []
                """,
            with: """
                      nodeSelector: {nvidia.com/gpu.present: "true"}
                  taskRunSpecs:
                  - pipelineTaskName: download
                    podTemplate:
                      nodeSelector: {nvidia.com/gpu.present: "true"}
                      tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
                """)
        let (_, diagnostics) = try compileSpecWithDiagnostics(text, overlays: Self.seedOverlays)
        XCTAssertEqual(
            schedulingLines(diagnostics),
            [
                "spec.yaml:31:7: error[NBG300]: the affinity assistant of PipelineRun 'modelcar-build' can never be scheduled: 0/7 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/master: }, 3 node(s) didn't match Pod's node affinity/selector, 3 node(s) had untolerated taint {nvidia.com/gpu: true}",
                "spec.yaml:35:7: error[NBG300]: task 'download' of PipelineRun 'modelcar-build' can never be scheduled: 0/7 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/master: }, 3 node(s) didn't match Pod's node affinity/selector, 3 node(s) didn't match pod affinity rules",
            ].sorted())
        let assistant = try XCTUnwrap(diagnostics.sorted.first { $0.message.hasPrefix("the affinity assistant") })
        XCTAssertTrue(assistant.help?.contains("taskRunTemplate.podTemplate only") == true, assistant.rendered)
        // With `coschedule: disabled` there is no assistant: the task fits the GPU pool (which
        // NBG301 points out, as the task asks for no GPU).
        let (_, disabled) = try compileSpecWithDiagnostics(
            text, overlays: Self.seedOverlays + ["Tests/NBGitOpsTests/Fixtures/overlays/coschedule-disabled.yaml"])
        XCTAssertEqual(
            schedulingLines(disabled),
            [
                "spec.yaml:35:7: warning[NBG301]: task 'download' of PipelineRun 'modelcar-build' requests no nvidia.com/gpu but fits only GPU pools (gpu); it takes a GPU node's CPU and memory from the GPU pods"
            ])
    }

    /// The built-in gpu-pools overlay: the GPU example job goes to its GPU pool (gpu-taints'
    /// toleration and selector), nowhere else; nothing in the spec is refused.
    func testBuiltInGPUPoolsPlaceTheGPUExample() throws {
        let text = try String(contentsOfFile: repositoryRoot + "/examples/specs/05-gpu.yaml", encoding: .utf8)
        let overlays = [
            "openshift", "rwo", "argocd", "gpu-taints", "gpu-pools", "examples/overlays/repository.yaml",
            "examples/overlays/site-defaults.yaml",
        ]
        let (output, diagnostics) = try compileSpecWithDiagnostics(text, overlays: overlays)
        XCTAssertNotNil(output)
        XCTAssertEqual(schedulingLines(diagnostics), [])
        let plan = try compileSpecThroughPipeline(text, overlays: overlays)
        let job = try XCTUnwrap(plan.objects.first { $0.kind == "Job" })
        XCTAssertEqual(
            SchedulingRules.placementReport(of: job, in: plan).components(separatedBy: "\n").dropFirst().joined(
                separator: "\n"),
            """
              Job '\(job.name)':
                worker (3 nodes): no — node(s) didn't match Pod's node affinity/selector
                gpu (2 nodes): fits

            """)
    }
}
