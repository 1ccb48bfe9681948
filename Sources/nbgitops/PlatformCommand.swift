import ArgumentParser
import Foundation
import NBGitOps

struct PlatformCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "platform",
        abstract: "Read the platform facts of a live cluster, or verify an environment's declared facts against it.",
        discussion: """
            --from-cluster writes an overlay of the facts read-only `kubectl get -o json` calls can read \
            (server and OpenShift versions, Tekton's feature-flags and config-defaults, KServe's \
            inferenceservice-config, the Argo CD instance, StorageClasses, Nodes as cluster.nodePools), \
            with a `# from:` header naming the object each came from. A fact that cannot be read is left \
            out (unknown) with a note on standard error. --verify compares the facts each environment's \
            overlays declare with the cluster and prints each difference as a located error (NBG334); \
            exit 1 on any, 0 when all match. `NBGITOPS_KUBECTL` names another kubectl binary.
            """)

    @Flag(name: .customLong("from-cluster"), help: "Write an overlay of the facts read from the cluster.")
    var fromCluster = false

    @Flag(name: .customLong("verify"), help: "Compare the environments' declared facts with the cluster.")
    var verify = false

    @Argument(help: "With --verify: the environments to verify (default all).")
    var environments: [String] = []

    @Option(name: .customLong("context"), help: "The kubeconfig context kubectl uses (default: kubectl's current one).")
    var context: String?

    @Option(name: .customLong("output"), help: "With --from-cluster: write the overlay to this file (default: standard output).")
    var output: String?

    @Option(name: .customLong("name"), help: "With --from-cluster: the overlay's metadata.name.")
    var name: String = "cluster-facts"

    @OptionGroup var project: ProjectOptions

    func validate() throws {
        if fromCluster == verify { throw ValidationError("give exactly one of --from-cluster and --verify") }
        if fromCluster && !environments.isEmpty { throw ValidationError("environments are for --verify") }
        if verify && output != nil { throw ValidationError("--output is for --from-cluster") }
    }

    func run() throws {
        if fromCluster {
            let facts = KubectlReader(context: context).platformFacts()
            printNotes(facts)
            guard case .success(let bytes) = facts.overlay(name: name) else {
                FileHandle.standardError.write(Data("nbgitops platform: the overlay could not be rendered\n".utf8))
                throw ExitStatus.diagnostics
            }
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: Data(bytes)) else {
                    FileHandle.standardError.write(Data("nbgitops platform: cannot write \(output)\n".utf8))
                    throw ExitStatus.diagnostics
                }
            } else {
                FileHandle.standardOutput.write(Data(bytes))
            }
            return
        }
        let (compiled, _, _) = try project.compile(environments: environments, printingWarnings: false)
        let facts = KubectlReader(context: context).platformFacts()
        printNotes(facts)
        let collector = DiagnosticCollector()
        for plan in compiled.plans {
            for diagnostic in facts.differences(from: plan.environment) { collector.report(diagnostic) }
        }
        if collector.hasErrors {
            DiagnosticPrinter.print(collector)
            throw ExitStatus.diagnostics
        }
    }

    private func printNotes(_ facts: ClusterFacts) {
        for note in facts.notes { FileHandle.standardError.write(Data("nbgitops platform: note: \(note)\n".utf8)) }
    }
}
