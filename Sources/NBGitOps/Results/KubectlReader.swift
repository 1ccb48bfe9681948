import Foundation

/// Reads validation Jobs and their pods from a cluster with `kubectl get -o json`: the only
/// cluster client `nbgitops results` uses (whatever kubeconfig, context and credentials the
/// user's kubectl has). `NBGITOPS_KUBECTL` names another binary (tests use a recorded one).
public struct KubectlReader: Sendable {
    public var executable: String
    public var context: String?

    public init(context: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.executable = environment["NBGITOPS_KUBECTL"] ?? "kubectl"
        self.context = context
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The arguments for one namespace (nbgitops' validation Jobs and pods only).
    public func arguments(namespace: String) -> [String] {
        (context.map { ["--context", $0] } ?? []) + [
            "get", "jobs,pods", "--namespace", namespace, "--selector",
            "\(LabelKey.managedBy)=\(LabelValue.managedBy),\(LabelKey.name)=\(LabelValue.validationPod)", "--output",
            "json",
        ]
    }

    /// The arguments for one delivery object (`kubectl get applications.argoproj.io NAME …`).
    public func arguments(delivery: RenderedDelivery) -> [String] {
        (context.map { ["--context", $0] } ?? []) + [
            "get", delivery.kind.resource, delivery.name, "--namespace", delivery.namespace, "--output", "json",
        ]
    }

    /// Every namespace's Jobs and pods, merged.
    public func read(namespaces: [String]) throws -> ClusterSnapshot {
        var snapshot = ClusterSnapshot(jobs: [], pods: [])
        for namespace in namespaces {
            let part = try ClusterSnapshot.decode(get(arguments(namespace: namespace)))
            snapshot.jobs += part.jobs
            snapshot.pods += part.pods
        }
        return snapshot
    }

    /// The status of each Application / Kustomization, for the revisions it applied. One that
    /// cannot be read (not installed in this cluster, no permission: Argo CD may run in another
    /// cluster) is left out with a note: revisions are context, not the verdict.
    public func read(deliveries: [RenderedDelivery]) -> (states: [ClusterSnapshot.DeliveryState], notes: [String]) {
        var states: [ClusterSnapshot.DeliveryState] = []
        var notes: [String] = []
        for delivery in deliveries {
            do {
                states += try ClusterSnapshot.decode(get(arguments(delivery: delivery))).deliveries
            } catch {
                notes.append("cannot read \(delivery.description), so no applied revisions from it: \(error)")
            }
        }
        return (states, notes)
    }

    /// Runs kubectl with `arguments`; its standard output.
    func get(_ arguments: [String]) throws -> Data {
        do {
            return try ExternalCommand.output(of: executable, arguments)
        } catch ExternalCommand.Failure.cannotRun(let reason) {
            throw Failure(description: "cannot run \(executable): \(reason)")
        } catch ExternalCommand.Failure.exited(let status, let text) {
            throw Failure(
                description:
                    "\(executable) \(arguments.joined(separator: " ")) exited \(status)\(text.isEmpty ? "" : ": " + text)")
        }
    }
}
