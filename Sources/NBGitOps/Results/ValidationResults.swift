import Foundation

public enum ValidationResults {
    /// Reasons a container waits for ever: the image cannot be pulled or the container
    /// cannot be created (kubelet `images` and `kuberuntime` reasons).
    static let stuckReasons: Set<String> = [
        "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError",
        "CreateContainerError",
    ]

    /// The results of an environment: one per rendered Job (pending until the cluster has it),
    /// then every other nbgitops validation Job of the same specs in the cluster (superseded:
    /// its content hash is no longer the rendered one).
    /// `sources`: spec locations by name (`RenderedJob.specSources`), for superseded Jobs.
    /// `history`: the tree's git history (`RenderHistory.read`), for the revision each Job was
    /// rendered from; the cluster's deliveries give the revision each was applied from.
    public static func evaluate(
        environment: String, rendered: [RenderedJob], cluster: ClusterSnapshot, sources: [String: String] = [:],
        history: RenderHistory = .untracked
    ) -> [ValidationResult] {
        var results: [ValidationResult] = []
        let renderedKeys = Set(rendered.map { "\($0.namespace)/\($0.name)" })
        for job in rendered {
            guard let live = cluster.jobs.first(where: { $0.name == job.name && $0.namespace == job.namespace }) else {
                results.append(
                    ValidationResult(
                        environment: environment, instance: job.instance, namespace: job.namespace, jobName: job.name,
                        status: .pending,
                        details: ["not in the cluster yet: the delivery tool has not applied this revision"],
                        verdict: nil, source: job.source, imageID: nil,
                        revision: revision(file: job.file, jobName: job.name, live: nil, history: history, cluster: cluster)))
                continue
            }
            var result = judge(live, pod: latestPod(of: live, in: cluster), environment: environment)
            result.instance = job.instance
            result.source = job.source
            result.revision = revision(file: job.file, jobName: job.name, live: live, history: history, cluster: cluster)
            results.append(result)
        }
        let instances = Set(rendered.map { "\($0.namespace)/\($0.instance)" })
        for live in cluster.jobs.sorted(by: { ($0.namespace, $0.name) < ($1.namespace, $1.name) }) {
            guard live.labels[LabelKey.managedBy] == LabelValue.managedBy,
                live.labels[LabelKey.name] == LabelValue.validationPod,
                !renderedKeys.contains("\(live.namespace)/\(live.name)")
            else { continue }
            let instance = live.instance ?? live.name
            // Another environment's Job (same cluster, other namespace or label) is not ours.
            if let labelled = live.labels[LabelKey.environment], labelled != environment { continue }
            guard instances.contains("\(live.namespace)/\(instance)") || live.labels[LabelKey.environment] == environment
            else { continue }
            var result = judge(live, pod: latestPod(of: live, in: cluster), environment: environment)
            // A spec that is gone has no line: the Job still names its file.
            result.source = sources[instance] ?? live.annotations[AnnotationKey.specFile]
            result.revision = revision(file: nil, jobName: live.name, live: live, history: history, cluster: cluster)
            let was = result.status
            result.status = .superseded
            result.details = [
                "superseded: its content hash is not the rendered one (it was \(was.rawValue)); the delivery tool prunes it"
            ]
            results.append(result)
        }
        return results
    }

    /// What is known of the revisions of a Job: the commit that added its file (`file` in the
    /// tree, or found by name for a superseded Job) and the apply of the delivery tool that
    /// created it (`live`). Nil when nothing is known (no git work tree, no delivery status).
    static func revision(
        file: String?, jobName: String, live: ClusterSnapshot.JobState?, history: RenderHistory,
        cluster: ClusterSnapshot
    ) -> ValidationResult.Revision? {
        let delivery = live.flatMap { appliedBy($0, in: cluster) }
        guard history.isTracked || delivery != nil else { return nil }
        let renderedIn = history.isTracked ? history.commit(forFile: file, jobName: jobName) : nil
        var revision = ValidationResult.Revision(
            renderedIn: renderedIn,
            // A superseded Job's file is not in the tree: not finding it says nothing.
            isCommitted: !history.isTracked || file.map(history.isCommitted) ?? true,
            isCutOff: renderedIn == nil && file.map(history.cutOff.contains) == true)
        if let live, let delivery {
            revision.appliedBy = "\(delivery.kind.rawValue) \(delivery.namespace)/\(delivery.name)"
            if let created = live.creationTimestamp, let apply = delivery.apply(creating: created) {
                revision.appliedRevision = apply.revision
            } else {
                revision.syncedRevision = delivery.revision
            }
        }
        return revision
    }

    /// The delivery object (of those the cluster read has) that applied `job`: Flux's owner
    /// labels (fluxcd/pkg ssa `SetOwnerLabels`: `kustomize.toolkit.fluxcd.io/name`, `/namespace`),
    /// Argo CD's tracking annotation (`argocd.argoproj.io/tracking-id: <app>:<group>/<kind>:<ns>/<name>`,
    /// `<app>` being `<namespace>_<name>` outside Argo CD's own namespace; argo-cd
    /// util/argo/resource_tracking.go, Application.InstanceName), or Argo CD's label tracking
    /// (the Job's `app.kubernetes.io/instance` rewritten to the Application's name).
    static func appliedBy(_ job: ClusterSnapshot.JobState, in cluster: ClusterSnapshot)
        -> ClusterSnapshot.DeliveryState?
    {
        let flux = cluster.deliveries.filter { $0.kind == .fluxKustomization }
        if let name = job.labels[LabelKey.fluxOwnerName],
            let found = flux.first(where: { $0.name == name && $0.namespace == job.labels[LabelKey.fluxOwnerNamespace] })
        {
            return found
        }
        let argo = cluster.deliveries.filter { $0.kind == .argoApplication }
        if let tracking = job.annotations[AnnotationKey.argoTrackingID],
            let application = tracking.split(separator: ":", maxSplits: 1).first
        {
            let parts = application.split(separator: "_", maxSplits: 1).map(String.init)
            if parts.count == 2, let found = argo.first(where: { $0.namespace == parts[0] && $0.name == parts[1] }) {
                return found
            }
            let named = argo.filter { $0.name == application }
            if named.count == 1 { return named[0] }
        }
        if let label = job.labels[LabelKey.instance], label != job.templateLabels[LabelKey.instance] {
            let named = argo.filter { $0.name == label }
            if named.count == 1 { return named[0] }
        }
        return nil
    }

    static func latestPod(of job: ClusterSnapshot.JobState, in cluster: ClusterSnapshot) -> ClusterSnapshot.PodState? {
        cluster.pods.filter { $0.jobName == job.name && $0.namespace == job.namespace }
            .max { ($0.creationTimestamp, $0.name) < ($1.creationTimestamp, $1.name) }
    }

    static func judge(_ job: ClusterSnapshot.JobState, pod: ClusterSnapshot.PodState?, environment: String)
        -> ValidationResult
    {
        let validate = pod?.containers.first { $0.name == PodLayout.validateContainerName }
        var verdict: ValidationVerdict?
        var unreadable: ValidationVerdict.Unreadable?
        switch validate?.terminationMessage.map(ValidationVerdict.read) ?? .empty {
        case .verdict(let read): verdict = read
        case .unreadable(let problem):
            // With FallbackToLogsOnError the kubelet puts the log's last lines there when the
            // container failed without writing one: that is no verdict, and the failure lines
            // say why it failed. Text the script wrote (exit 0) or an attempted JSON verdict is.
            let attempted = validate?.terminationMessage?.drop(while: \.isWhitespace).hasPrefix("{") == true
            if validate?.exitCode.map({ $0 == 0 }) ?? true || attempted { unreadable = problem }
        case .empty: break
        }
        var result = ValidationResult(
            environment: environment, instance: job.instance ?? job.name, namespace: job.namespace,
            jobName: job.name, status: .running, details: [], verdict: verdict,
            source: nil,
            imageID: (validate?.imageID).flatMap { $0.isEmpty ? nil : $0 })
        result.unreadableVerdict = unreadable
        let unreadableLines = unreadable.map { [unreadableLine($0)] } ?? []
        if job.condition("Complete") != nil {
            result.status = .passed
            result.details = unreadableLines + verdictLines(verdict)
            return result
        }
        if let failed = job.condition("Failed") ?? job.condition("FailureTarget") {
            result.status = .failed
            result.details = unreadableLines + failureLines(failed, pod: pod, verdict: verdict)
            return result
        }
        guard let pod else {
            result.status = .pending
            result.details = ["no pod yet"]
            return result
        }
        for container in pod.initContainers + pod.containers {
            if let reason = container.waitingReason, stuckReasons.contains(reason) {
                result.status = .failed
                let what = reason.contains("Image") ? "image pull failure" : "container cannot start"
                result.details = [
                    "\(what): container '\(container.name)': \(reason)\(container.waitingMessage.map { ": " + firstLine($0) } ?? "")"
                ]
                return result
            }
        }
        switch pod.phase {
        case "Running":
            result.status = .running
            result.details = ["pod \(pod.name) is running"]
        case "Pending":
            result.status = .pending
            let waiting = (pod.initContainers + pod.containers).compactMap { container in
                container.waitingReason.map { "container '\(container.name)': \($0)" }
            }
            result.details = ["pod \(pod.name) is pending" + (waiting.isEmpty ? "" : " (\(waiting.joined(separator: ", ")))")]
        default:
            // Succeeded/Failed pod but the Job controller has not set its condition yet.
            result.status = .running
            result.details = ["pod \(pod.name) has finished (\(pod.phase)); the Job is not yet marked"]
        }
        return result
    }

    static func failureLines(
        _ condition: ClusterSnapshot.Condition, pod: ClusterSnapshot.PodState?, verdict: ValidationVerdict?
    ) -> [String] {
        if verdict != nil { return verdictLines(verdict) }
        switch condition.reason {
        case "DeadlineExceeded":
            return [
                "ran longer than the Job's activeDeadlineSeconds (DeadlineExceeded): raise spec.timeout or make the notebook faster"
            ]
        case "PodFailurePolicy":
            if let code = exitCode(inFailJobMessage: condition.message),
                let reason = ValidationJobPlanner.failureExitCodes.first(where: { $0.code == code })?.reason
            {
                return ["\(reason) failure (exit code \(code)); the pod log has the details"]
            }
        default:
            break
        }
        for container in (pod?.initContainers ?? []) + (pod?.containers ?? []) {
            guard let code = container.exitCode, code != 0 else { continue }
            if container.terminatedReason == "OOMKilled" {
                return [
                    "container '\(container.name)' was OOMKilled (exit code \(code)): raise its memory limit (spec.podConfig.resources.limits.memory)"
                ]
            }
            let message = container.terminationMessage.map { ": " + firstLine($0) } ?? ""
            return ["container '\(container.name)' failed with exit code \(code)\(message)"]
        }
        return [
            "\(condition.reason.isEmpty ? "failed" : condition.reason)\(condition.message.isEmpty ? "" : ": " + firstLine(condition.message))"
        ]
    }

    /// The exit code in a FailJob condition message ("Container validate for pod ns/p failed
    /// with exit code 4 matching FailJob rule at index 3", kubernetes
    /// pkg/controller/job/pod_failure_policy.go).
    static func exitCode(inFailJobMessage message: String) -> Int? {
        guard let range = message.range(of: "with exit code ") else { return nil }
        return Int(message[range.upperBound...].prefix { $0.isNumber })
    }

    /// The line every format shows for a termination message that is not a verdict.
    static func unreadableLine(_ unreadable: ValidationVerdict.Unreadable) -> String {
        "verdict unreadable: the validate container's termination message is not a verdict (\(unreadable.problem)); it reads: \(unreadable.raw)"
    }

    static func verdictLines(_ verdict: ValidationVerdict?) -> [String] {
        guard let verdict else { return [] }
        var lines: [String] = []
        if let message = verdict.message { lines.append("configuration error: \(message)") }
        for cell in verdict.failedCells {
            let place = cell.index.map { "cell \($0)" } ?? "notebook"
            lines.append(
                verdict.reason == "execution" && cell.index != nil ? "\(place) raised \(cell.error)" : "\(place): \(cell.error)"
            )
        }
        if let comparison = verdict.comparison {
            var line = "golden comparison: \(comparison.matched) of \(comparison.total) cells matched"
            if !comparison.mismatchedCells.isEmpty {
                line += "; mismatched: cell \(comparison.mismatchedCells.map(String.init).joined(separator: ", "))"
            }
            lines.append(line)
        }
        if verdict.truncated > 0 {
            lines.append("\(verdict.truncated) more not shown (the verdict is limited to 4096 bytes; the pod log has all)")
        }
        var facts: [String] = []
        if let commit = verdict.commit { facts.append("commit \(commit.prefix(12))") }
        if let duration = verdict.durationSeconds { facts.append("\(duration) s") }
        if !facts.isEmpty { lines.append(facts.joined(separator: ", ")) }
        if let saved = verdict.results { lines.append("notebook and report: \(saved)") }
        if let error = verdict.resultsError { lines.append("results not saved: \(error)") }
        return lines
    }

    static func firstLine(_ text: String) -> String {
        let line = text.split(separator: "\n").first.map(String.init) ?? ""
        return line.count > 200 ? String(line.prefix(197)) + "..." : line
    }

    /// Non-zero exit when any current Job failed.
    public static func anyFailed(_ results: [ValidationResult]) -> Bool {
        results.contains { $0.isCurrent && $0.status == .failed }
    }

    /// Whether every current Job has finished (passed or failed).
    public static func allFinished(_ results: [ValidationResult]) -> Bool {
        results.allSatisfy { !$0.isCurrent || $0.status == .passed || $0.status == .failed }
    }
}
