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

    /// Every namespace's Jobs and pods, merged.
    public func read(namespaces: [String]) throws -> ClusterSnapshot {
        var snapshot = ClusterSnapshot(jobs: [], pods: [])
        for namespace in namespaces {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments(namespace: namespace)
            let output = Pipe()
            let errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            do {
                try process.run()
            } catch {
                throw Failure(description: "cannot run \(executable): \(error.localizedDescription)")
            }
            // Read before waiting: a large List would otherwise fill the pipe and block kubectl.
            let data = output.fileHandleForReading.readDataToEndOfFile()
            let message = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                let text = String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                throw Failure(
                    description:
                        "\(executable) \(arguments(namespace: namespace).joined(separator: " ")) exited \(process.terminationStatus)\(text.isEmpty ? "" : ": " + text)"
                )
            }
            let part = try ClusterSnapshot.decode(data)
            snapshot.jobs += part.jobs
            snapshot.pods += part.pods
        }
        return snapshot
    }
}
