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

    public var jobs: [JobState]
    public var pods: [PodState]

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

    public init(jobs: [JobState], pods: [PodState]) {
        self.jobs = jobs
        self.pods = pods
    }

    /// Decodes a `List` (or a single object) of Jobs and Pods; other kinds are ignored.
    public static func decode(_ data: Data) throws -> ClusterSnapshot {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw DecodeError.notJSON(String(describing: error).prefix(200).description)
        }
        guard let root = value as? [String: Any] else { throw DecodeError.notAList }
        let items: [[String: Any]]
        if let list = root["items"] as? [[String: Any]] {
            items = list
        } else if root["kind"] is String, root["items"] == nil, root["metadata"] != nil {
            items = [root]
        } else {
            throw DecodeError.notAList
        }
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
                snapshot.jobs.append(
                    JobState(
                        name: name, namespace: namespace, labels: labels,
                        annotations: metadata["annotations"] as? [String: String] ?? [:], conditions: conditions,
                        active: status["active"] as? Int ?? 0, startTime: status["startTime"] as? String,
                        completionTime: status["completionTime"] as? String))
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
                continue
            }
        }
        return snapshot
    }
}
