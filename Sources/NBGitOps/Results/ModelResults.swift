import Foundation

/// A ModelPipeline's PipelineRun or InferenceService as the rendered tree (`gitops/<environment>/`)
/// holds it: what `nbgitops results` looks for in the cluster next to the validation Jobs.
public struct RenderedModelObject: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case pipelineRun = "PipelineRun"
        case inferenceService = "InferenceService"
    }

    public var kind: Kind
    public var name: String
    public var namespace: String
    /// The ModelPipeline's name (`app.kubernetes.io/instance`).
    public var instance: String
    /// The object's file, relative to the environment's tree folder.
    public var file: String

    public init(kind: Kind, name: String, namespace: String, instance: String, file: String) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.instance = instance
        self.file = file
    }

    /// The model object a rendered document is, if it is one: a Tekton PipelineRun labelled
    /// `model-pipeline` or a KServe InferenceService labelled `model-serving`, both nbgitops'.
    init?(_ root: YAMLNode, file: String) {
        guard let metadata = root["metadata"], let labels = metadata["labels"],
            labels[LabelKey.managedBy]?.scalar?.value == LabelValue.managedBy,
            let name = metadata["name"]?.scalar?.value
        else { return nil }
        let component = labels["app.kubernetes.io/component"]?.scalar?.value
        switch (root["kind"]?.scalar?.value, component) {
        case ("PipelineRun", "model-pipeline"): kind = .pipelineRun
        case ("InferenceService", "model-serving"): kind = .inferenceService
        default: return nil
        }
        self.name = name
        self.namespace = metadata["namespace"]?.scalar?.value ?? ""
        self.instance = labels[LabelKey.instance]?.scalar?.value ?? name
        self.file = file
    }

    /// Every model PipelineRun and InferenceService under `folder` (an environment's rendered
    /// tree), sorted by model, kind (PipelineRun first), namespace and name.
    public static func load(folder: String, diagnostics: DiagnosticCollector) -> [RenderedModelObject] {
        var objects: [RenderedModelObject] = []
        guard let paths = FileManager.default.subpaths(atPath: folder) else { return objects }
        for path in paths.sorted() where path.hasSuffix(".yaml") {
            for document in YAMLLoader.load(path: folder + "/" + path, diagnostics: diagnostics) {
                if let object = RenderedModelObject(document.root, file: path) { objects.append(object) }
            }
        }
        // PipelineRun ("PipelineRun", 11 characters) before InferenceService (16).
        return objects.sorted {
            ($0.instance, $0.kind.rawValue.count, $0.namespace, $0.name)
                < ($1.instance, $1.kind.rawValue.count, $1.namespace, $1.name)
        }
    }
}

/// What `kubectl get pipelineruns,taskruns,inferenceservices -o json` says about the model
/// objects: Tekton's PipelineRun and TaskRun status (tektoncd/pipeline
/// pkg/apis/pipeline/v1/pipelinerun_types.go `childReferences`, the `Succeeded` condition;
/// taskrun_types.go `steps[].terminated`) and KServe's InferenceService `Ready` condition
/// (kserve pkg/apis/serving/v1beta1/inference_service_status.go).
public struct ModelClusterSnapshot: Sendable, Equatable {
    public struct ChildReference: Sendable, Equatable {
        public var kind: String
        public var name: String
        public var pipelineTaskName: String
    }

    public struct StepState: Sendable, Equatable {
        public var name: String
        public var exitCode: Int?
        public var terminatedReason: String?
        public var terminationMessage: String?
        public var waitingReason: String?
        public var waitingMessage: String?
    }

    public struct RunState: Sendable, Equatable {
        public var kind: String
        public var name: String
        public var namespace: String
        public var labels: [String: String]
        /// The `Succeeded` condition, if set.
        public var succeeded: ClusterSnapshot.Condition?
        public var childReferences: [ChildReference]
        public var steps: [StepState]
        /// `spec.status` (`PipelineRunPending` holds a run before it starts).
        public var specStatus: String?
    }

    public struct ServiceState: Sendable, Equatable {
        public var name: String
        public var namespace: String
        public var ready: ClusterSnapshot.Condition?
        public var url: String?
        /// `status.modelStatus.lastFailureInfo` (reason, message), when KServe recorded one.
        public var lastFailure: String?
    }

    public var pipelineRuns: [RunState] = []
    public var taskRuns: [RunState] = []
    public var inferenceServices: [ServiceState] = []

    public init(pipelineRuns: [RunState] = [], taskRuns: [RunState] = [], inferenceServices: [ServiceState] = []) {
        self.pipelineRuns = pipelineRuns
        self.taskRuns = taskRuns
        self.inferenceServices = inferenceServices
    }

    /// Decodes a `List` (or a single object); kinds other than PipelineRun, TaskRun and
    /// InferenceService are ignored, so a dump that also holds Jobs and pods reads as well.
    public static func decode(_ data: Data) throws -> ModelClusterSnapshot {
        let items = try ClusterSnapshot.listItems(data)
        var snapshot = ModelClusterSnapshot()
        for item in items {
            let metadata = item["metadata"] as? [String: Any] ?? [:]
            let name = metadata["name"] as? String ?? ""
            let namespace = metadata["namespace"] as? String ?? ""
            let status = item["status"] as? [String: Any] ?? [:]
            let conditions = (status["conditions"] as? [[String: Any]] ?? []).map { condition in
                ClusterSnapshot.Condition(
                    type: condition["type"] as? String ?? "", status: condition["status"] as? String ?? "",
                    reason: condition["reason"] as? String ?? "", message: condition["message"] as? String ?? "")
            }
            let kind = item["kind"] as? String ?? ""
            switch kind {
            case "PipelineRun", "TaskRun":
                let references = (status["childReferences"] as? [[String: Any]] ?? []).map { reference in
                    ChildReference(
                        kind: reference["kind"] as? String ?? "", name: reference["name"] as? String ?? "",
                        pipelineTaskName: reference["pipelineTaskName"] as? String ?? "")
                }
                let steps = (status["steps"] as? [[String: Any]] ?? []).map { step -> StepState in
                    let terminated = step["terminated"] as? [String: Any]
                    let waiting = step["waiting"] as? [String: Any]
                    return StepState(
                        name: step["name"] as? String ?? "", exitCode: terminated?["exitCode"] as? Int,
                        terminatedReason: terminated?["reason"] as? String,
                        terminationMessage: terminated?["message"] as? String,
                        waitingReason: waiting?["reason"] as? String, waitingMessage: waiting?["message"] as? String)
                }
                let run = RunState(
                    kind: kind, name: name, namespace: namespace,
                    labels: metadata["labels"] as? [String: String] ?? [:],
                    succeeded: conditions.first { $0.type == "Succeeded" }, childReferences: references, steps: steps,
                    specStatus: (item["spec"] as? [String: Any])?["status"] as? String)
                if kind == "PipelineRun" { snapshot.pipelineRuns.append(run) } else { snapshot.taskRuns.append(run) }
            case "InferenceService":
                let failure = ((status["modelStatus"] as? [String: Any])?["lastFailureInfo"] as? [String: Any]).map {
                    [$0["reason"] as? String, $0["message"] as? String].compactMap { $0 }.filter { !$0.isEmpty }
                        .joined(separator: ": ")
                }
                snapshot.inferenceServices.append(
                    ServiceState(
                        name: name, namespace: namespace, ready: conditions.first { $0.type == "Ready" },
                        url: status["url"] as? String, lastFailure: failure.flatMap { $0.isEmpty ? nil : $0 }))
            default:
                continue
            }
        }
        return snapshot
    }
}

/// One model object's state for the reviewer.
public struct ModelResult: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable, CaseIterable {
        case pending, running, succeeded, failed, ready
        case notReady = "not-ready"
    }

    public var environment: String
    public var instance: String
    public var namespace: String
    public var name: String
    public var kind: RenderedModelObject.Kind
    public var status: Status
    /// Why, in one line each (the task running, the failing step, the Ready condition).
    public var details: [String]
    /// The condition's reason (`PipelineRunTimeout`, `Failed`, KServe's Ready reason), when set.
    public var reason: String?
}

public enum ModelResults {
    /// One result per rendered model object, in the order given.
    public static func evaluate(
        environment: String, rendered: [RenderedModelObject], cluster: ModelClusterSnapshot,
        unreadable: [RenderedModelObject.Kind: String] = [:]
    ) -> [ModelResult] {
        rendered.map { object in
            var result = ModelResult(
                environment: environment, instance: object.instance, namespace: object.namespace, name: object.name,
                kind: object.kind, status: .pending, details: [], reason: nil)
            if let error = unreadable[object.kind] {
                result.details = ["cannot be read from the cluster: \(ValidationResults.firstLine(error))"]
                return result
            }
            switch object.kind {
            case .pipelineRun:
                guard
                    let run = cluster.pipelineRuns.first(where: {
                        $0.name == object.name && $0.namespace == object.namespace
                    })
                else {
                    result.details = ["not in the cluster yet: the delivery tool has not applied this revision"]
                    return result
                }
                judge(run, taskRuns: cluster.taskRuns, into: &result)
            case .inferenceService:
                guard
                    let service = cluster.inferenceServices.first(where: {
                        $0.name == object.name && $0.namespace == object.namespace
                    })
                else {
                    result.details = ["not in the cluster yet: the delivery tool has not applied this revision"]
                    return result
                }
                judge(service, into: &result)
            }
            return result
        }
    }

    static func text(_ condition: ClusterSnapshot.Condition) -> String {
        let message = ValidationResults.firstLine(condition.message)
        switch (condition.reason.isEmpty, message.isEmpty) {
        case (true, true): return ""
        case (true, false): return message
        case (false, true): return condition.reason
        case (false, false): return "\(condition.reason): \(message)"
        }
    }

    static func judge(
        _ run: ModelClusterSnapshot.RunState, taskRuns: [ModelClusterSnapshot.RunState], into result: inout ModelResult
    ) {
        let children = run.childReferences.filter { $0.kind == "TaskRun" || $0.kind.isEmpty }.map { reference in
            (reference, taskRuns.first { $0.name == reference.name && $0.namespace == run.namespace })
        }
        guard let condition = run.succeeded else {
            result.status = .pending
            result.details = [
                run.specStatus == "PipelineRunPending"
                    ? "held by spec.status PipelineRunPending: Tekton starts it when that is removed"
                    : "not started yet: Tekton has not reconciled it"
            ]
            return
        }
        result.reason = condition.reason.isEmpty ? nil : condition.reason
        switch condition.status {
        case "True":
            result.status = .succeeded
            result.details = [
                condition.reason == "Completed"
                    ? "succeeded, some tasks skipped" + (condition.message.isEmpty ? "" : " (\(text(condition)))")
                    : "succeeded" + (condition.message.isEmpty ? "" : ": \(ValidationResults.firstLine(condition.message))")
            ]
        case "False":
            result.status = .failed
            var lines: [String] = []
            if condition.reason == "PipelineRunTimeout" {
                lines.append(
                    "timed out (PipelineRunTimeout)"
                        + (condition.message.isEmpty ? "" : ": \(ValidationResults.firstLine(condition.message))")
                        + "; raise the pipeline's timeout or make the download faster")
            }
            for (reference, taskRun) in children {
                guard let taskRun, let failed = taskRun.succeeded, failed.status == "False" else { continue }
                lines.append(failureLine(task: reference.pipelineTaskName, taskRun: taskRun, condition: failed))
            }
            if lines.isEmpty {
                lines.append("failed" + (text(condition).isEmpty ? "" : " (\(text(condition)))"))
            }
            result.details = lines
        default:
            if condition.reason == "PipelineRunPending" || run.specStatus == "PipelineRunPending" {
                result.status = .pending
                result.details = ["held by spec.status PipelineRunPending: Tekton starts it when that is removed"]
                return
            }
            result.status = .running
            let running = children.filter { $0.1?.succeeded?.status != "True" && $0.1?.succeeded?.status != "False" }
            if running.isEmpty {
                result.details = [
                    "running" + (condition.message.isEmpty ? "" : ": \(ValidationResults.firstLine(condition.message))")
                ]
            } else {
                result.details = running.map { reference, taskRun in
                    var line = "running task '\(reference.pipelineTaskName)' (TaskRun \(reference.name))"
                    if let step = taskRun?.steps.first(where: { $0.exitCode == nil }) {
                        line += ", step '\(step.name)'"
                        if let waiting = step.waitingReason { line += " waiting (\(waiting))" }
                    }
                    return line
                }
                if !condition.message.isEmpty { result.details.append(ValidationResults.firstLine(condition.message)) }
            }
        }
    }

    /// The failing task's line: the step that exited non-zero (its code, reason and termination
    /// message when that is text, not Tekton's results list), else the TaskRun's condition.
    static func failureLine(
        task: String, taskRun: ModelClusterSnapshot.RunState, condition: ClusterSnapshot.Condition
    ) -> String {
        let head = "task '\(task.isEmpty ? taskRun.name : task)' (TaskRun \(taskRun.name))"
        if condition.reason == "TaskRunTimeout" {
            return head + " timed out" + (text(condition).isEmpty ? "" : " (\(text(condition)))")
        }
        if let step = taskRun.steps.first(where: { ($0.exitCode ?? 0) != 0 }), let code = step.exitCode {
            var line = head + " failed: step '\(step.name)' exited with code \(code)"
            if let reason = step.terminatedReason, !reason.isEmpty, reason != "Error" { line += " (\(reason))" }
            if let message = step.terminationMessage.map(ValidationResults.firstLine), !message.isEmpty,
                !isResultsList(message)
            {
                line += ": \(message)"
            }
            return line
        }
        return head + " failed" + (text(condition).isEmpty ? "" : ": \(text(condition))")
    }

    /// Whether a step's termination message is Tekton's own results list (`[{"key":…}]`).
    static func isResultsList(_ message: String) -> Bool {
        guard message.hasPrefix("["), let data = message.data(using: .utf8) else { return false }
        return (try? JSONSerialization.jsonObject(with: data)) is [Any]
    }

    static func judge(_ service: ModelClusterSnapshot.ServiceState, into result: inout ModelResult) {
        guard let ready = service.ready else {
            result.status = .pending
            result.details = ["no Ready condition yet: KServe has not reconciled it"]
            return
        }
        result.reason = ready.reason.isEmpty ? nil : ready.reason
        if ready.status == "True" {
            result.status = .ready
            result.details = ["ready" + (service.url.map { " at \($0)" } ?? "")]
            return
        }
        result.status = .notReady
        let why = text(ready)
        result.details = [
            (ready.status == "False" ? "not ready" : "not ready yet") + (why.isEmpty ? "" : ": \(why)")
        ]
        if let failure = service.lastFailure {
            result.details.append("last model failure: \(ValidationResults.firstLine(failure))")
        }
    }

    /// Non-zero exit when a model PipelineRun failed (an InferenceService not ready yet may still
    /// be rolling out, so it is reported, not failed).
    public static func anyFailed(_ results: [ModelResult]) -> Bool {
        results.contains { $0.status == .failed }
    }
}

extension KubectlReader {
    /// The arguments for one namespace's model objects of `resources`.
    public func arguments(models resources: String, namespace: String) -> [String] {
        (context.map { ["--context", $0] } ?? []) + [
            "get", resources, "--namespace", namespace, "--selector",
            "\(LabelKey.managedBy)=\(LabelValue.managedBy)", "--output", "json",
        ]
    }

    /// Every namespace's PipelineRuns, TaskRuns and InferenceServices. A kind kubectl cannot
    /// read (Tekton or KServe not installed, no permission) is returned in `unreadable` with
    /// kubectl's error: its objects are reported as not readable, the others as they are.
    public func read(models: [RenderedModelObject]) -> (
        snapshot: ModelClusterSnapshot, unreadable: [RenderedModelObject.Kind: String]
    ) {
        var snapshot = ModelClusterSnapshot()
        var unreadable: [RenderedModelObject.Kind: String] = [:]
        let reads: [(RenderedModelObject.Kind, String)] = [
            (.pipelineRun, "pipelineruns.tekton.dev,taskruns.tekton.dev"),
            (.inferenceService, "inferenceservices.serving.kserve.io"),
        ]
        for (kind, resources) in reads {
            let namespaces = Array(Set(models.filter { $0.kind == kind }.map(\.namespace))).sorted()
            for namespace in namespaces where unreadable[kind] == nil {
                do {
                    let part = try ModelClusterSnapshot.decode(get(arguments(models: resources, namespace: namespace)))
                    snapshot.pipelineRuns += part.pipelineRuns
                    snapshot.taskRuns += part.taskRuns
                    snapshot.inferenceServices += part.inferenceServices
                } catch {
                    unreadable[kind] = "\(error)"
                }
            }
        }
        return (snapshot, unreadable)
    }
}
