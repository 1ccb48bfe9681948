/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let unschedulable: RuleID = "NBG300"
    public static let poolMismatch: RuleID = "NBG301"
}

/// Static schedulability against the environment's declared node pools (`cluster.nodePools`):
/// a GPU cluster's ModelCar pipeline can end with every task Pending — `0/7 nodes are available: 1 node(s) had untolerated
/// taint {node-role.kubernetes.io/master: }, 3 node(s) didn't match pod affinity rules, 3
/// node(s) had untolerated taint {nvidia.com/gpu: true}` — which these rules say before merge.
/// Every pod of the plan is judged (`Workloads.units`: validation Jobs, passed-through
/// workloads, KServe predictors, every Tekton task pod), a task bound to Tekton's affinity
/// assistant also by where the assistant can go. Without pools the rules do not apply.
public enum SchedulingRules {
    /// A Tekton task's effective pod template: the run's `taskRunTemplate.podTemplate` with a
    /// `taskRunSpecs` override's fields replacing its (tektoncd/pipeline
    /// `pkg/apis/pipeline/pod/template.go`, `MergePodTemplateWithDefault`).
    static func effectivePodSpec(_ unit: PodUnit) -> ManifestNode {
        guard case .tektonTask = unit.origin, unit.podPath.hasPrefix("spec.taskRunSpecs"),
            var merged = unit.object.manifest.value(at: "spec.taskRunTemplate.podTemplate")
        else { return unit.podSpec }
        for entry in unit.podSpec.entries ?? [] { merged[entry.key] = entry.value }
        return merged
    }

    /// Where each co-scheduled PipelineRun's affinity assistant can go, by run: the placement of
    /// the `.affinityAssistant` units among `units` (`placementUnits`), built once per run, not
    /// once per task.
    static func assistantPlacements(_ units: [PodUnit]) -> [String: PodPlacement] {
        var placements: [String: PodPlacement] = [:]
        for unit in units where unit.origin == .affinityAssistant {
            placements[runKey(unit.object)] = PodPlacement(podSpec: unit.podSpec, containers: unit.containers.map(\.node))
        }
        return placements
    }

    static func runKey(_ run: PlannedObject) -> String { (run.namespace ?? "") + "/" + run.name }

    /// The assistant a task is bound to, when there is one: Tekton creates it for a run's
    /// PVC-backed workspaces unless `coschedule: disabled` (per workspace under `workspaces`:
    /// only tasks using one), placed by the run template alone
    /// (`Workloads.affinityAssistantUnit`; `placements` from `assistantPlacements`).
    static func assistant(of unit: PodUnit, mode: CoscheduleMode, in placements: [String: PodPlacement])
        -> PodPlacement?
    {
        guard case .tektonTask(_?) = unit.origin else { return nil }
        if mode == .workspaces && unit.claims.isEmpty { return nil }
        return placements[runKey(unit.object)]
    }

    /// Every pod the scheduling rules judge: the plan's pods (`RuleContext.units`), then the
    /// build pod of each BuildConfig and the affinity assistant of each co-scheduled
    /// PipelineRun, each a pod of its own that must fit a pool.
    static func placementUnits(_ context: RuleContext) -> [PodUnit] {
        placementUnits(context.units, plan: context.plan)
    }

    static func placementUnits(_ planUnits: [PodUnit], plan: EnvironmentPlan) -> [PodUnit] {
        let mode = plan.environment.tekton.coschedule.value
        var units = planUnits
        for object in plan.objects {
            if let build = Workloads.buildPodUnit(object) { units.append(build) }
            if let assistant = Workloads.affinityAssistantUnit(object, mode: mode) { units.append(assistant) }
        }
        return units
    }

    struct Verdict {
        var fits: [NodePool]
        var failures: [(pool: NodePool, reason: NodePoolFit.Reason)]
        /// The pod's requests (containers summed, at least the largest init container's).
        var requests: [String: Double]
    }

    /// `assistant`: where the task's affinity assistant can go (`assistant(of:mode:in:)`), if
    /// it is bound to one.
    static func verdict(_ unit: PodUnit, pools: [NodePool], assistant: PodPlacement?) -> Verdict {
        let containers = unit.containers.filter { !$0.path.contains("initContainers") }.map(\.node)
        let initContainers = unit.containers.filter { $0.path.contains("initContainers") }.map(\.node)
        let pod = PodPlacement(podSpec: effectivePodSpec(unit), containers: containers, initContainers: initContainers)
        var verdict = Verdict(fits: [], failures: [], requests: pod.requests)
        for pool in pools {
            if let reason = NodePoolFit.reason(pod, pool: pool) {
                verdict.failures.append((pool, reason))
            } else if let assistant, NodePoolFit.reason(assistant, pool: pool) != nil {
                verdict.failures.append((pool, .podAffinity))
            } else {
                verdict.fits.append(pool)
            }
        }
        return verdict
    }

    /// The one note of a run whose environments run pods without declaring node pools: the
    /// schedulability rules did not apply there (stated once, not per pod).
    static func unpooledNote(_ environments: [Environment]) -> Diagnostic? {
        guard let first = environments.first else { return nil }
        let names = environments.map { "'\($0.name)'" }.joined(separator: ", ")
        let subject = environments.count == 1 ? "environment \(names) declares" : "environments \(names) declare"
        return Diagnostic(
            .unschedulable, .note,
            "\(subject) no node pools (cluster.nodePools): where their pods can run was not checked (NBG300, NBG301)",
            at: first.definedAt,
            help:
                "declare the cluster's pools in an overlay (cluster.nodePools; the built-in gpu-pools overlay declares a typical pair) to have every pod proved to schedule"
        )
    }

    static func poolsNote(_ context: RuleContext) -> DiagnosticNote {
        let pools = context.environment.nodePools
        return DiagnosticNote(
            "node pools: \(pools.value.map { "\($0.name) (\($0.count))" }.joined(separator: ", ")): \(pools.origin)",
            at: pools.origin.location)
    }

    /// NBG300: a pod that fits no declared pool; NBG301 (the same pass: each pod's verdict is
    /// computed once): a GPU pod that fits only pools without the GPU resource, or a pod without a
    /// GPU that fits only GPU pools (it takes a GPU node's CPU and memory from the GPU pods).
    static let unschedulable = PlanRule(
        .unschedulable, .error, "a pod fits none of the environment's node pools and can never be scheduled",
        waivable: false,
        alsoDescribes: [
            .check(
                .poolMismatch, .warning,
                "a pod fits only pools of the wrong kind (a GPU pod only CPU pools, or the reverse)")
        ]
    ) { context in
        let pools = context.environment.nodePools.value
        guard !pools.isEmpty else { return }
        let nodes = pools.reduce(0) { NodePool.total($0, $1.count) }
        let gpu = context.environment.gpu.resourceName.value
        func isGPUPool(_ pool: NodePool) -> Bool { (Quantity.value(pool.allocatable[gpu] ?? "0") ?? 0) > 0 }
        let anyGPUPool = pools.contains(where: isGPUPool)
        let mode = context.environment.tekton.coschedule.value
        let units = placementUnits(context)
        let assistants = assistantPlacements(units)
        for unit in units {
            let verdict = verdict(unit, pools: pools, assistant: assistant(of: unit, mode: mode, in: assistants))
            if verdict.fits.isEmpty {
                reportUnschedulable(unit, verdict: verdict, nodes: nodes, context: context)
                continue
            }
            // The assistant goes where the run template sends it; its tasks are judged.
            guard anyGPUPool, unit.origin != .affinityAssistant else { continue }
            let wantsGPU = (verdict.requests[gpu] ?? 0) > 0
            let message: String
            if wantsGPU, !verdict.fits.contains(where: isGPUPool) {
                message =
                    "\(unit.displayName) requests \(gpu) but fits only pools that declare none (\(verdict.fits.map(\.name).joined(separator: ", ")))"
            } else if !wantsGPU, verdict.fits.allSatisfy(isGPUPool) {
                message =
                    "\(unit.displayName) requests no \(gpu) but fits only GPU pools (\(verdict.fits.map(\.name).joined(separator: ", "))); it takes a GPU node's CPU and memory from the GPU pods"
            } else {
                continue
            }
            context.report(
                message, at: context.location(of: unit.object, path: unit.podPath), rule: .poolMismatch,
                help: "check its tolerations and nodeSelector against the pools it is meant for",
                notes: [poolsNote(context)], subject: context.subject(for: unit.object))
        }
    }

    static func reportUnschedulable(_ unit: PodUnit, verdict: Verdict, nodes: Int, context: RuleContext) {
        let reasons = Set(verdict.failures.map(\.reason))
        var help: [String] = []
        let tainted = reasons.contains { if case .untoleratedTaint = $0 { return true } else { return false } }
        if tainted, unit.origin == .buildPod {
            help.append(
                "a build pod has no tolerations of its own: point the BuildConfig's spec.nodeSelector at an untainted pool, or have the cluster's build overrides (config.openshift.io Build) tolerate the taint"
            )
        } else if tainted, unit.origin == .affinityAssistant {
            help.append(
                "the assistant takes its tolerations from the run's taskRunTemplate.podTemplate only: tolerate the taint there (a taskRunSpecs override does not reach it)"
            )
        } else if tainted {
            help.append(
                "tolerate the taint of the pool it should run on (for a Tekton run in taskRunTemplate.podTemplate, which the affinity assistant inherits)"
            )
        }
        if reasons.contains(.podAffinity) {
            help.append("give the run's taskRunTemplate.podTemplate the placement the task needs, never only taskRunSpecs")
        }
        if reasons.contains(.nodeAffinity) { help.append("select labels a pool has (nodeSelector / node affinity)") }
        if reasons.contains(where: { if case .insufficient = $0 { return true } else { return false } }) {
            help.append("lower the requests below a pool's allocatable, or declare the pool that has them")
        }
        context.report(
            "\(unit.displayName) can never be scheduled: \(NodePoolFit.breakdown(verdict.failures, nodes: nodes))",
            at: context.location(of: unit.object, path: unit.podPath), help: help.joined(separator: "; "),
            notes: [poolsNote(context)], subject: context.subject(for: unit.object))
    }
}

extension SchedulingRules {
    /// `nbgitops explain ENV KIND/NAME --placement`: for each pod of `object`, which pools a node
    /// of which it fits and, for the others, the filter that refuses it.
    public static func placementReport(of object: PlannedObject, in plan: EnvironmentPlan) -> String {
        let pools = plan.environment.nodePools.value
        let environment = plan.environment.name
        guard !pools.isEmpty else {
            return
                "placement: environment '\(environment)' declares no node pools (cluster.nodePools), so nbgitops does not check where its pods can run\n"
        }
        var combined = plan
        combined.objects = plan.objects + plan.buildObjects + plan.servingObjects
        let all = placementUnits(Workloads.units(combined), plan: combined)
        let assistants = assistantPlacements(all)
        let mode = plan.environment.tekton.coschedule.value
        let units = all.filter {
            $0.object.kind == object.kind && $0.object.name == object.name && $0.object.namespace == object.namespace
        }
        var text =
            "placement in '\(environment)' (pools: \(pools.map { "\($0.name) ×\($0.count)" }.joined(separator: ", ")); \(plan.environment.nodePools.origin)):\n"
        guard !units.isEmpty else { return text + "  \(object.kind)/\(object.name) runs no pods\n" }
        for unit in units {
            let assistant = assistant(of: unit, mode: mode, in: assistants)
            let verdict = verdict(unit, pools: pools, assistant: assistant)
            let bound = assistant != nil
            text += "  \(unit.displayName)\(bound ? " (bound to the affinity assistant)" : ""):\n"
            for pool in pools {
                let nodes = "\(pool.count) node\(pool.count == 1 ? "" : "s")"
                if let failure = verdict.failures.first(where: { $0.pool.name == pool.name }) {
                    text += "    \(pool.name) (\(nodes)): no — \(failure.reason.text)\n"
                } else {
                    text += "    \(pool.name) (\(nodes)): fits\n"
                }
            }
        }
        return text
    }
}
