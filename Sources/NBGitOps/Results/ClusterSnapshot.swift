import Foundation

/// What `kubectl get jobs,pods -o json` says about an environment's validation Jobs: the
/// fields `nbgitops results` reads, decoded from the JSON `List` (nothing else of the cluster
/// API is used, so a saved dump, `--from FILE`, is as good as a live cluster).
public struct ClusterSnapshot: Sendable, Equatable {
    public struct Condition: Sendable, Equatable {
        public var type: String
        public var status: String
        public var reason: String
        public var message: String
    }

    public struct JobState: Sendable, Equatable {
        public var name: String
        public var namespace: String
        public var labels: [String: String]
        public var annotations: [String: String]
        public var conditions: [Condition]
        public var active: Int
        public var startTime: String?
        public var completionTime: String?
        public var creationTimestamp: String? = nil
        /// The pod template's labels: nbgitops' own, which no delivery tool rewrites (Argo CD's
        /// label tracking sets the Job's `app.kubernetes.io/instance` to the Application's name,
        /// argo-cd util/argo/resource_tracking.go).
        public var templateLabels: [String: String] = [:]

        /// The spec's name: the pod template's `app.kubernetes.io/instance`, else the Job's.
        public var instance: String? { templateLabels[LabelKey.instance] ?? labels[LabelKey.instance] }

        /// The condition of `type` that is `True`, if any.
        public func condition(_ type: String) -> Condition? {
            conditions.first { $0.type == type && $0.status == "True" }
        }
    }

    public struct ContainerState: Sendable, Equatable {
        public var name: String
        public var waitingReason: String?
        public var waitingMessage: String?
        public var exitCode: Int?
        public var terminatedReason: String?
        public var terminationMessage: String?
        public var imageID: String
    }

    public struct PodState: Sendable, Equatable {
        public var name: String
        public var namespace: String
        /// The Job that owns the pod (`batch.kubernetes.io/job-name`, or the older `job-name`).
        public var jobName: String
        public var phase: String
        public var initContainers: [ContainerState]
        public var containers: [ContainerState]
        public var creationTimestamp: String
    }

    /// What an Argo CD Application or Flux Kustomization says about the revisions it applied.
    public struct DeliveryState: Sendable, Equatable {
        /// One apply: Argo CD's `status.history[]` (`deployStartedAt`, `deployedAt`, `revision`;
        /// argo-cd pkg/apis/application/v1alpha1/types.go RevisionHistory), Flux's
        /// `status.history[]` (`firstReconciled`, `metadata.revision`; kustomize-controller
        /// internal/controller/kustomization_controller.go `historyMeta`).
        public struct Apply: Sendable, Equatable {
            public var revision: String
            public var startedAt: String?
            public var finishedAt: String
        }

        public var kind: RenderedDelivery.Kind
        public var name: String
        public var namespace: String
        /// The revision it is synced to now (`status.sync.revision`, `status.lastAppliedRevision`).
        public var revision: String?
        public var history: [Apply]

        /// How many entries the tool keeps (older ones are dropped): Argo CD's
        /// `spec.revisionHistoryLimit`, default 10 (argo-cd application_defaults.go), Flux's
        /// HistoryMaxSize 5 (fluxcd/pkg apis/meta/history.go).
        public var historyLimit: Int

        /// The apply that created an object at `created` (RFC 3339 UTC, as the API server writes
        /// it, so the strings compare as times): the one running then (Argo CD records the start),
        /// else the first to finish at or after it (an apply creates its objects before it ends;
        /// Flux records only the end) — but only if the history may reach back that far (an older
        /// entry, or fewer entries than the limit). Nil otherwise.
        ///
        /// Flux keeps one entry per applied content (digest) and updates its `revision` when a later
        /// commit renders the same content, so a Flux revision is the newest with identical objects.
        public func apply(creating created: String) -> Apply? {
            let byEnd = history.sorted { $0.finishedAt < $1.finishedAt }
            if let running = byEnd.first(where: { apply in
                apply.startedAt.map { $0 <= created } == true && created <= apply.finishedAt
            }) {
                return running
            }
            guard let index = byEnd.firstIndex(where: { $0.finishedAt >= created }),
                index > 0 || byEnd.count < historyLimit
            else { return nil }
            return byEnd[index]
        }
    }

    public var jobs: [JobState]
    public var pods: [PodState]
    public var deliveries: [DeliveryState] = []

    public enum DecodeError: Error, CustomStringConvertible, Equatable {
        case notJSON(String)
        case notAList

        public var description: String {
            switch self {
            case .notJSON(let detail): return "not JSON: \(detail)"
            case .notAList: return "not the output of `kubectl get jobs,pods -o json` (no items list)"
            }
        }
    }

    public init(jobs: [JobState], pods: [PodState], deliveries: [DeliveryState] = []) {
        self.jobs = jobs
        self.pods = pods
        self.deliveries = deliveries
    }

    /// The objects of `kubectl get … -o json` output: a `List`'s items, or the one object.
    static func listItems(_ data: Data) throws -> [[String: Any]] {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw DecodeError.notJSON(String(describing: error).prefix(200).description)
        }
        guard let root = value as? [String: Any] else { throw DecodeError.notAList }
        if let list = root["items"] as? [[String: Any]] { return list }
        if root["kind"] is String, root["items"] == nil, root["metadata"] != nil { return [root] }
        throw DecodeError.notAList
    }

    /// Decodes a `List` (or a single object) of Jobs and Pods; other kinds are ignored.
    public static func decode(_ data: Data) throws -> ClusterSnapshot {
        let items = try listItems(data)
        var snapshot = ClusterSnapshot(jobs: [], pods: [])
        for item in items {
            let metadata = item["metadata"] as? [String: Any] ?? [:]
            let name = metadata["name"] as? String ?? ""
            let namespace = metadata["namespace"] as? String ?? ""
            let labels = metadata["labels"] as? [String: String] ?? [:]
            let status = item["status"] as? [String: Any] ?? [:]
            switch item["kind"] as? String {
            case "Job":
                let conditions = (status["conditions"] as? [[String: Any]] ?? []).map { condition in
                    Condition(
                        type: condition["type"] as? String ?? "", status: condition["status"] as? String ?? "",
                        reason: condition["reason"] as? String ?? "", message: condition["message"] as? String ?? "")
                }
                let template = (item["spec"] as? [String: Any])?["template"] as? [String: Any]
                snapshot.jobs.append(
                    JobState(
                        name: name, namespace: namespace, labels: labels,
                        annotations: metadata["annotations"] as? [String: String] ?? [:], conditions: conditions,
                        active: status["active"] as? Int ?? 0, startTime: status["startTime"] as? String,
                        completionTime: status["completionTime"] as? String,
                        creationTimestamp: metadata["creationTimestamp"] as? String,
                        templateLabels: (template?["metadata"] as? [String: Any])?["labels"] as? [String: String] ?? [:]))
            case "Pod":
                func containers(_ key: String) -> [ContainerState] {
                    (status[key] as? [[String: Any]] ?? []).map { container in
                        let state = container["state"] as? [String: Any] ?? [:]
                        let waiting = state["waiting"] as? [String: Any]
                        let terminated = state["terminated"] as? [String: Any]
                        return ContainerState(
                            name: container["name"] as? String ?? "", waitingReason: waiting?["reason"] as? String,
                            waitingMessage: waiting?["message"] as? String, exitCode: terminated?["exitCode"] as? Int,
                            terminatedReason: terminated?["reason"] as? String,
                            terminationMessage: terminated?["message"] as? String,
                            imageID: container["imageID"] as? String ?? "")
                    }
                }
                snapshot.pods.append(
                    PodState(
                        name: name, namespace: namespace,
                        jobName: labels["batch.kubernetes.io/job-name"] ?? labels["job-name"] ?? "",
                        phase: status["phase"] as? String ?? "Pending", initContainers: containers("initContainerStatuses"),
                        containers: containers("containerStatuses"),
                        creationTimestamp: metadata["creationTimestamp"] as? String ?? ""))
            default:
                guard
                    let kind = RenderedDelivery.Kind(
                        apiVersion: item["apiVersion"] as? String ?? "", kind: item["kind"] as? String ?? "")
                else { continue }
                snapshot.deliveries.append(
                    Self.delivery(
                        kind, name: name, namespace: namespace, spec: item["spec"] as? [String: Any] ?? [:],
                        status: status))
            }
        }
        return snapshot
    }

    static func delivery(
        _ kind: RenderedDelivery.Kind, name: String, namespace: String, spec: [String: Any], status: [String: Any]
    ) -> DeliveryState {
        let entries = status["history"] as? [[String: Any]] ?? []
        switch kind {
        case .argoApplication:
            let sync = status["sync"] as? [String: Any] ?? [:]
            let history = entries.compactMap { entry -> DeliveryState.Apply? in
                // A multi-source Application records `revisions`; its first source is named.
                guard let revision = entry["revision"] as? String ?? (entry["revisions"] as? [String])?.first,
                    let deployedAt = entry["deployedAt"] as? String
                else { return nil }
                return DeliveryState.Apply(
                    revision: revision, startedAt: entry["deployStartedAt"] as? String, finishedAt: deployedAt)
            }
            return DeliveryState(
                kind: kind, name: name, namespace: namespace,
                revision: sync["revision"] as? String ?? (sync["revisions"] as? [String])?.first, history: history,
                historyLimit: spec["revisionHistoryLimit"] as? Int ?? 10)
        case .fluxKustomization:
            let history = entries.compactMap { entry -> DeliveryState.Apply? in
                guard let revision = (entry["metadata"] as? [String: Any])?["revision"] as? String,
                    let first = entry["firstReconciled"] as? String
                else { return nil }
                return DeliveryState.Apply(revision: revision, startedAt: nil, finishedAt: first)
            }
            return DeliveryState(
                kind: kind, name: name, namespace: namespace, revision: status["lastAppliedRevision"] as? String,
                history: history, historyLimit: 5)
        }
    }
}
