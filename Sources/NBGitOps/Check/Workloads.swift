import Foundation

/// The pods an environment's plan will run, read from generic manifests so the rules apply to
/// whatever produces them: nbgitops' validation Jobs, passed-through workloads, and Tekton or
/// S2I builds (generated or passed through).
///
/// A `PodUnit` is one pod shape: a plain pod template, or one Tekton task of a PipelineRun or
/// TaskRun (its steps as containers, its podTemplate, its workspaces).
public struct PodUnit: Sendable {
    public enum Origin: Sendable, Equatable {
        /// A pod template of a workload (`Job`, `Deployment`, …) at `podPath`.
        case podTemplate
        /// A task of a Tekton run (`pipelineTask` is nil for a TaskRun).
        case tektonTask(pipelineTask: String?)
        /// The pod OpenShift's build controller runs for a BuildConfig (`Workloads.buildPodUnit`).
        case buildPod
        /// The affinity assistant Tekton runs for a PipelineRun's PVC workspaces
        /// (`Workloads.affinityAssistantUnit`).
        case affinityAssistant
    }

    /// The object that makes the pod run (the workload, or the PipelineRun/TaskRun).
    public var object: PlannedObject
    public var origin: Origin
    /// Manifest path of the pod spec in `object` (`spec.template.spec`), or of the podTemplate
    /// that applies to a Tekton task.
    public var podPath: String
    /// The pod spec (for Tekton: the effective podTemplate, possibly empty).
    public var podSpec: ManifestNode
    /// Containers (init containers and steps included), each with the object and path it is
    /// written at (a step lives in a Task object, not in the run).
    public var containers: [ContainerRef]
    public var serviceAccount: String
    /// Claims the pod mounts: (claim, readOnly, object, path).
    public var claims: [ClaimUse]
    /// The name this unit is shown with in messages.
    public var displayName: String
    /// Its position in the list `units(_:)` returns (per-unit results computed once per
    /// environment are looked up by it).
    public var position = -1
}

public struct ContainerRef: Sendable {
    public var node: ManifestNode
    public var object: PlannedObject
    public var path: String
    /// For Tekton steps: the Task's `stepTemplate` (fields a step does not set come from it).
    public var template: ManifestNode?
}

/// One use of a PersistentVolumeClaim (or of a Tekton volumeClaimTemplate).
public struct ClaimUse: Sendable {
    /// The claim name; for a volumeClaimTemplate `<run>/<workspace>` (a claim of its own).
    public var claim: String
    public var readOnly: Bool
    public var object: PlannedObject
    public var path: String
    /// Whether `claim` names a real claim in the namespace (not a per-run template).
    public var isNamedClaim: Bool
}

public enum Workloads {
    /// Where the pod spec sits in a workload kind.
    static let podPaths: [String: String] = [
        "Pod": "spec", "Job": "spec.template.spec", "CronJob": "spec.jobTemplate.spec.template.spec",
        "Deployment": "spec.template.spec", "StatefulSet": "spec.template.spec", "DaemonSet": "spec.template.spec",
        "ReplicaSet": "spec.template.spec",
    ]

    /// Every pod shape in the plan.
    public static func units(_ plan: EnvironmentPlan) -> [PodUnit] {
        var units: [PodUnit] = []
        for object in plan.objects {
            if let podPath = podPaths[object.kind], let spec = object.manifest.value(at: podPath) {
                units.append(podTemplateUnit(object, podPath: podPath, spec: spec))
            }
            if object.isTekton && object.kind == "PipelineRun" { units += pipelineRunUnits(object, plan: plan) }
            if object.isTekton && object.kind == "TaskRun" { units += taskRunUnits(object, plan: plan) }
            if object.kind == "InferenceService", let unit = inferenceServiceUnit(object) { units.append(unit) }
        }
        for position in units.indices { units[position].position = position }
        return units
    }

    static func podTemplateUnit(_ object: PlannedObject, podPath: String, spec: ManifestNode) -> PodUnit {
        var containers: [ContainerRef] = []
        for field in ["initContainers", "containers"] {
            for (index, container) in (spec[field]?.elements ?? []).enumerated() {
                containers.append(
                    ContainerRef(node: container, object: object, path: "\(podPath).\(field)[\(index)]", template: nil))
            }
        }
        var claims: [ClaimUse] = []
        let volumes = spec["volumes"]?.elements ?? []
        for (index, volume) in volumes.enumerated() {
            guard let claim = volume["persistentVolumeClaim"]?["claimName"]?.stringValue,
                let volumeName = volume["name"]?.stringValue
            else { continue }
            // A claim mounted read-only everywhere (or declared readOnly) counts as a reader.
            let mounts = containers.flatMap { $0.node["volumeMounts"]?.elements ?? [] }
                .filter { $0["name"]?.stringValue == volumeName }
            let readOnly =
                volume["persistentVolumeClaim"]?["readOnly"]?.boolValue == true
                || (!mounts.isEmpty && mounts.allSatisfy { $0["readOnly"]?.boolValue == true })
            claims.append(
                ClaimUse(
                    claim: claim, readOnly: readOnly, object: object,
                    path: "\(podPath).volumes[\(index)].persistentVolumeClaim.claimName", isNamedClaim: true))
        }
        return PodUnit(
            object: object, origin: .podTemplate, podPath: podPath, podSpec: spec, containers: containers,
            serviceAccount: spec["serviceAccountName"]?.stringValue ?? "default", claims: claims,
            displayName: "\(object.kind) '\(object.name)'")
    }

    /// A KServe InferenceService's predictor pod: its model container, and for `pvc://claim/path`
    /// (ADR-053) the claim it mounts read-only while the notebook that trains the model writes it.
    static func inferenceServiceUnit(_ object: PlannedObject) -> PodUnit? {
        let found = PlatformRules.strings(object.manifest["spec"] ?? .map([]), path: "spec") { text in
            text.hasPrefix("pvc://") ? text : nil
        }
        let claims = found.compactMap { path, text -> ClaimUse? in
            guard path.hasSuffix("storageUri") else { return nil }
            let claim = text.dropFirst("pvc://".count).split(separator: "/").first.map(String.init) ?? ""
            guard !claim.isEmpty else { return nil }
            return ClaimUse(claim: claim, readOnly: true, object: object, path: path, isNamedClaim: true)
        }
        // The predictor's model container (KServe adds the runtime's image and args to it): its
        // resources and placement are the predictor pod's.
        let containers =
            object.manifest.value(at: "spec.predictor.model").map {
                [ContainerRef(node: $0, object: object, path: "spec.predictor.model", template: nil)]
            } ?? []
        guard !claims.isEmpty || !containers.isEmpty else { return nil }
        return PodUnit(
            object: object, origin: .podTemplate, podPath: "spec.predictor",
            podSpec: object.manifest.value(at: "spec.predictor") ?? .map([]),
            containers: containers,
            serviceAccount: object.manifest.value(at: "spec.predictor.serviceAccountName")?.stringValue ?? "default",
            claims: claims, displayName: "InferenceService '\(object.name)'")
    }

    /// The pod OpenShift's build controller creates for a BuildConfig: its placement is the
    /// BuildConfig's `spec.nodeSelector` and its containers' resources `spec.resources`
    /// (openshift/api `build/v1/types.go`, `CommonSpec`); tolerations come only from the
    /// cluster's build overrides (`config/v1/types_build.go`, `BuildOverrides.Tolerations`),
    /// which no manifest here declares. Only the scheduling rules judge it (the pod's security
    /// context is the build controller's, not the plan's).
    static func buildPodUnit(_ object: PlannedObject) -> PodUnit? {
        guard object.kind == "BuildConfig", object.group == "build.openshift.io" else { return nil }
        var podSpec = ManifestNode.map([])
        if let selector = object.manifest.value(at: "spec.nodeSelector") { podSpec["nodeSelector"] = selector }
        var container: ManifestNode = ["name": "build"]
        if let resources = object.manifest.value(at: "spec.resources") { container["resources"] = resources }
        return PodUnit(
            object: object, origin: .buildPod,
            podPath: ["spec.nodeSelector", "spec.resources"].first { object.manifest.value(at: $0) != nil } ?? "spec",
            podSpec: podSpec, containers: [ContainerRef(node: container, object: object, path: "spec", template: nil)],
            serviceAccount: object.manifest.value(at: "spec.serviceAccount")?.stringValue ?? "builder", claims: [],
            displayName: "the build pod of BuildConfig '\(object.name)'")
    }

    /// The affinity assistant's pod of a PipelineRun whose PVC-backed workspaces Tekton
    /// co-schedules (every `coschedule` mode but `disabled`): the run's
    /// `taskRunTemplate.podTemplate` nodeSelector, tolerations and affinity, and one container
    /// requesting 50m CPU and 100Mi memory (tektoncd/pipeline
    /// `pkg/reconciler/pipelinerun/affinity_assistant.go`, `affinityAssistantStatefulSet`,
    /// `getAssistantAffinityMergedWithPodTemplateAffinity`). Every task bound to it can run only
    /// on the node it went to. Only the scheduling rules judge it.
    static func affinityAssistantUnit(_ run: PlannedObject, mode: CoscheduleMode) -> PodUnit? {
        guard run.isTekton, run.kind == "PipelineRun", mode != .disabled else { return nil }
        let bindings = run.manifest.value(at: "spec.workspaces")?.elements ?? []
        guard bindings.contains(where: { claimOfBinding($0, run: run) != nil }) else { return nil }
        let template = run.manifest.value(at: "spec.taskRunTemplate.podTemplate") ?? .map([])
        var podSpec = ManifestNode.map([])
        for field in ["nodeSelector", "tolerations", "affinity"] {
            if let value = template[field] { podSpec[field] = value }
        }
        let minimal: ManifestNode = ["cpu": "50m", "memory": "100Mi"]
        let container: ManifestNode = [
            "name": "affinity-assistant", "resources": ["limits": minimal, "requests": minimal],
        ]
        return PodUnit(
            object: run, origin: .affinityAssistant, podPath: "spec.taskRunTemplate.podTemplate", podSpec: podSpec,
            containers: [
                ContainerRef(node: container, object: run, path: "spec.taskRunTemplate.podTemplate", template: nil)
            ],
            serviceAccount: run.manifest.value(at: "spec.taskRunTemplate.serviceAccountName")?.stringValue ?? "default",
            claims: [], displayName: "the affinity assistant of PipelineRun '\(run.name)'")
    }

    // MARK: Tekton

    /// A Task's spec: embedded (`taskSpec`) or referenced by name (`taskRef.name`) in the plan.
    static func taskSpec(_ node: ManifestNode, basePath: String, owner: PlannedObject, plan: EnvironmentPlan)
        -> (spec: ManifestNode, object: PlannedObject, path: String)?
    {
        if let spec = node["taskSpec"] { return (spec, owner, "\(basePath).taskSpec") }
        if let name = node["taskRef"]?["name"]?.stringValue,
            let task = plan.objects.first(where: { $0.isTekton && $0.kind == "Task" && $0.name == name }),
            let spec = task.manifest["spec"]
        {
            return (spec, task, "spec")
        }
        return nil
    }

    /// The Pipeline spec of a PipelineRun: embedded or referenced.
    public static func pipelineSpec(_ run: PlannedObject, plan: EnvironmentPlan)
        -> (spec: ManifestNode, object: PlannedObject, path: String)?
    {
        if let spec = run.manifest.value(at: "spec.pipelineSpec") { return (spec, run, "spec.pipelineSpec") }
        if let name = run.manifest.value(at: "spec.pipelineRef.name")?.stringValue,
            let pipeline = plan.objects.first(where: { $0.isTekton && $0.kind == "Pipeline" && $0.name == name }),
            let spec = pipeline.manifest["spec"]
        {
            return (spec, pipeline, "spec")
        }
        return nil
    }

    /// Whether a run's workspace binding is backed by a PVC, and the claim it uses.
    public static func claimOfBinding(_ binding: ManifestNode, run: PlannedObject) -> String? {
        let name = binding["name"]?.stringValue ?? ""
        if let claim = binding["persistentVolumeClaim"]?["claimName"]?.stringValue { return claim }
        if binding["volumeClaimTemplate"] != nil { return "\(run.name)/\(name)" }
        return nil
    }

    static func pipelineRunUnits(_ run: PlannedObject, plan: EnvironmentPlan) -> [PodUnit] {
        guard let pipeline = pipelineSpec(run, plan: plan) else { return [] }
        let bindings = run.manifest.value(at: "spec.workspaces")?.elements ?? []
        let runSA = run.manifest.value(at: "spec.taskRunTemplate.serviceAccountName")?.stringValue ?? "default"
        let runPod = run.manifest.value(at: "spec.taskRunTemplate.podTemplate")
        let specs = run.manifest.value(at: "spec.taskRunSpecs")?.elements ?? []
        var units: [PodUnit] = []
        let tasks =
            (pipeline.spec["tasks"]?.elements ?? []).enumerated().map { ($0, $1, "tasks") }
            + (pipeline.spec["finally"]?.elements ?? []).enumerated().map { ($0, $1, "finally") }
        for (index, task, list) in tasks {
            let taskName = task["name"]?.stringValue ?? "task-\(index)"
            let taskPath = "\(pipeline.path).\(list)[\(index)]"
            let specIndex = specs.firstIndex { $0["pipelineTaskName"]?.stringValue == taskName }
            let override = specIndex.map { specs[$0] }
            var podPath = "spec.taskRunTemplate.podTemplate"
            var podSpec = runPod ?? .map([])
            if let specIndex, let pod = override?["podTemplate"] {
                podPath = "spec.taskRunSpecs[\(specIndex)].podTemplate"
                podSpec = pod
            }
            let sa = override?["serviceAccountName"]?.stringValue ?? runSA
            var claims: [ClaimUse] = []
            for workspace in task["workspaces"]?.elements ?? [] {
                let pipelineWorkspace = workspace["workspace"]?.stringValue ?? workspace["name"]?.stringValue ?? ""
                guard let bindingIndex = bindings.firstIndex(where: { $0["name"]?.stringValue == pipelineWorkspace }),
                    let claim = claimOfBinding(bindings[bindingIndex], run: run)
                else { continue }
                let named = bindings[bindingIndex]["persistentVolumeClaim"] != nil
                claims.append(
                    ClaimUse(
                        claim: claim, readOnly: bindings[bindingIndex]["persistentVolumeClaim"]?["readOnly"]?.boolValue == true,
                        object: run, path: "spec.workspaces[\(bindingIndex)]", isNamedClaim: named))
            }
            var containers: [ContainerRef] = []
            if let taskSpec = taskSpec(task, basePath: taskPath, owner: pipeline.object, plan: plan) {
                let template = taskSpec.spec["stepTemplate"]
                for (stepIndex, step) in (taskSpec.spec["steps"]?.elements ?? []).enumerated() {
                    containers.append(
                        ContainerRef(
                            node: step, object: taskSpec.object, path: "\(taskSpec.path).steps[\(stepIndex)]", template: template)
                    )
                }
            }
            units.append(
                PodUnit(
                    object: run, origin: .tektonTask(pipelineTask: taskName), podPath: podPath, podSpec: podSpec,
                    containers: containers, serviceAccount: sa, claims: claims,
                    displayName: "task '\(taskName)' of PipelineRun '\(run.name)'"))
        }
        return units
    }

    static func taskRunUnits(_ run: PlannedObject, plan: EnvironmentPlan) -> [PodUnit] {
        let bindings = run.manifest.value(at: "spec.workspaces")?.elements ?? []
        var claims: [ClaimUse] = []
        for (index, binding) in bindings.enumerated() {
            guard let claim = claimOfBinding(binding, run: run) else { continue }
            claims.append(
                ClaimUse(
                    claim: claim, readOnly: binding["persistentVolumeClaim"]?["readOnly"]?.boolValue == true, object: run,
                    path: "spec.workspaces[\(index)]", isNamedClaim: binding["persistentVolumeClaim"] != nil))
        }
        var containers: [ContainerRef] = []
        if let spec = run.manifest["spec"], let task = taskSpec(spec, basePath: "spec", owner: run, plan: plan) {
            for (index, step) in (task.spec["steps"]?.elements ?? []).enumerated() {
                containers.append(
                    ContainerRef(
                        node: step, object: task.object, path: "\(task.path).steps[\(index)]", template: task.spec["stepTemplate"]
                    ))
            }
        }
        return [
            PodUnit(
                object: run, origin: .tektonTask(pipelineTask: nil), podPath: "spec.podTemplate",
                podSpec: run.manifest.value(at: "spec.podTemplate") ?? .map([]), containers: containers,
                serviceAccount: run.manifest.value(at: "spec.serviceAccountName")?.stringValue ?? "default",
                claims: claims, displayName: "TaskRun '\(run.name)'")
        ]
    }
}

extension PlannedObject {
    var group: String { apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : "" }
    var isTekton: Bool { group == "tekton.dev" }
}

extension ContainerRef {
    /// A field of the container, falling back to the step template.
    func field(_ path: String) -> ManifestNode? {
        node.value(at: path) ?? template?.value(at: path)
    }

    var name: String { node["name"]?.stringValue ?? "" }

    /// Resources: `resources` on containers, `computeResources` on Tekton steps.
    var resources: ManifestNode? { field("resources") ?? field("computeResources") }
    var resourcesPath: String { node["computeResources"] != nil ? "\(path).computeResources" : "\(path).resources" }
}

/// Kubernetes resource quantities (`500Gi`, `1.5T`, `300M`, `1e3`), in bytes or units.
public enum Quantity {
    static let suffixes: [(String, Double)] = [
        ("Ki", 1024), ("Mi", 1_048_576), ("Gi", 1_073_741_824), ("Ti", 1_099_511_627_776),
        ("Pi", 1_125_899_906_842_624), ("Ei", 1_152_921_504_606_846_976),
        ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("P", 1e15), ("E", 1e18), ("m", 1e-3),
    ]

    /// Whether `text` is a Kubernetes quantity as the API server parses it
    /// (k8s.io/apimachinery/pkg/api/resource/quantity.go: a signed decimal number, then a binary
    /// suffix Ki…Ei, a decimal suffix n u m k M G T P E, or an exponent e±N).
    public static func isValid(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let whole = bytes.prefix(while: isDigit)
        bytes = bytes.dropFirst(whole.count)
        var fraction = 0
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            fraction = bytes.prefix(while: isDigit).count
            bytes = bytes.dropFirst(fraction)
        }
        guard whole.count + fraction > 0 else { return false }
        let suffix = String(decoding: bytes, as: UTF8.self)
        if ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E"].contains(suffix) { return true }
        var exponent = bytes
        guard let e = exponent.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") else { return false }
        exponent = exponent.dropFirst()
        if let sign = exponent.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { exponent = exponent.dropFirst() }
        return !exponent.isEmpty && exponent.allSatisfy(isDigit)
    }

    /// 2^63: Kubernetes quantities stop just below it (k8s.io/apimachinery `resource.Quantity`:
    /// "no quantity may represent a number greater than 2^63-1"). Every quantity nbgitops reads
    /// is refused at its line from here on (NBG106), so a value converts to `Int` safely.
    public static let limit = 0x1p63
    /// How the limit reads in messages.
    public static let limitText = "2^63 - 1 (just under 8Ei)"

    /// Whether `text` parses as a quantity at or above `limit` (or too large for a Double).
    public static func isOutOfRange(_ text: String) -> Bool {
        guard let number = value(text) else { return false }
        return !(number < limit)
    }

    /// `number` as an `Int`, saturating at `Int.max` (and 0 below zero or for NaN): never traps.
    public static func saturatingInt(_ number: Double) -> Int {
        guard number > 0 else { return 0 }
        return number < limit ? Int(number) : Int.max
    }

    public static func value(_ text: String) -> Double? {
        let trimmed = trimmingSpaces(text)
        for (suffix, factor) in suffixes where trimmed.hasSuffix(suffix) {
            guard let number = Double(trimmed.dropLast(suffix.count)), number >= 0 else { return nil }
            return number * factor
        }
        guard let number = Double(trimmed), number >= 0 else { return nil }
        return number
    }

    /// `text` without leading and trailing `.whitespaces`. A string that starts and ends with a
    /// printable ASCII character (nearly every quantity) is returned as it is, without a trip
    /// through Foundation (this runs for every quantity of every container the rules read).
    static func trimmingSpaces(_ text: String) -> String {
        if let first = text.utf8.first, let last = text.utf8.last, (0x21...0x7e).contains(first),
            (0x21...0x7e).contains(last)
        {
            return text
        }
        return text.trimmingCharacters(in: .whitespaces)
    }

    public static func value(_ node: ManifestNode?) -> Double? {
        switch node {
        case .string(let text)?: return value(text)
        case .int(let number)?: return Double(number)
        case .float(let text)?: return Double(text)
        default: return nil
        }
    }
}
