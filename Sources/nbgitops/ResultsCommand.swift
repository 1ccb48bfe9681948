import ArgumentParser
import Foundation
import NBGitOps

extension ResultsFormat: ExpressibleByArgument {}

struct ResultsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "Show the verdict of every validation Job the rendered tree runs, from the cluster.",
        discussion: """
            Reads the environment's validation Jobs and pods with `kubectl get jobs,pods -o json` (or a saved \
            dump of it, --from) and compares them with the rendered tree: each current Job is pending, \
            running, passed or failed (with the verdict its validate container wrote to its termination log: \
            failed cells, golden comparison, commit); a Job of the same spec with another content hash is \
            superseded. Each Job names the commit that rendered it (from the tree's git history) and the \
            revision its Argo CD Application or Flux Kustomization applied it from (their status history, \
            read with kubectl too; left out when it cannot be read). Exit status: 0 when no current Job \
            failed; 1 when one did (or on errors); 3 when --wait timed out.

            The rendered ModelPipeline PipelineRuns (pending, running with the current task, succeeded, \
            failed with the failing step's message, timed out) and InferenceServices (Ready or not, with \
            the condition's message) are reported after the Jobs, read with `kubectl get \
            pipelineruns,taskruns` and `kubectl get inferenceservices` (or from the same --from dump); a \
            failed PipelineRun also makes the exit status 1.
            """)

    @Option(name: .customLong("env"), help: "Only these environments of the project file (repeatable; default all).")
    var environments: [String] = []

    @Option(name: .customLong("context"), help: "The kubeconfig context kubectl uses (default: kubectl's current one).")
    var context: String?

    @Option(name: .customLong("format"), help: "text, markdown (a pull-request comment), junit, json or sarif.")
    var format: ResultsFormat = .text

    @Option(
        name: .customLong("from"),
        help: "Read this saved `kubectl get jobs,pods -o json` dump instead of the cluster.")
    var from: String?

    @Flag(name: .customLong("wait"), help: "Poll until every current Job has finished (passed or failed).")
    var wait = false

    @Option(name: .customLong("timeout"), help: "With --wait: give up after this many seconds.")
    var timeout: Int = 3600

    @Option(name: .customLong("interval"), help: "With --wait: seconds between polls.")
    var interval: Int = 15

    @OptionGroup var project: ProjectOptions

    func validate() throws {
        if timeout <= 0 || interval <= 0 { throw ValidationError("--timeout and --interval must be positive") }
        if wait && from != nil { throw ValidationError("--wait polls the cluster; a --from dump never changes") }
    }

    func run() throws {
        let diagnostics = DiagnosticCollector()
        let prepared = try project.prepare(environments: environments, diagnostics: diagnostics)
        let names = prepared.input.environments.map(\.name.value)
        let sources = RenderedJob.specSources(prepared.input.specFiles)
        var rendered: [String: [RenderedJob]] = [:]
        var histories: [String: RenderHistory] = [:]
        var deliveries: [RenderedDelivery] = []
        var models: [String: [RenderedModelObject]] = [:]
        for name in names {
            let folder = prepared.outputRoot + "/" + name
            let tree = RenderedTree.load(folder: folder, sources: sources, diagnostics: diagnostics)
            rendered[name] = tree.jobs
            histories[name] = RenderHistory.read(folder: folder)
            deliveries += tree.deliveries
            models[name] = RenderedModelObject.load(folder: folder, diagnostics: diagnostics)
        }
        if diagnostics.hasErrors {
            DiagnosticPrinter.print(diagnostics)
            throw ExitStatus.diagnostics
        }
        let reader = KubectlReader(context: context)
        let namespaces = Array(Set(rendered.values.flatMap { $0.map(\.namespace) })).sorted()
        func snapshot() throws -> ClusterSnapshot {
            do {
                if let from {
                    return try ClusterSnapshot.decode(Data(contentsOf: URL(fileURLWithPath: from)))
                }
                var cluster = try reader.read(namespaces: namespaces)
                let (states, notes) = reader.read(deliveries: deliveries)
                cluster.deliveries = states
                for note in notes { FileHandle.standardError.write(Data("nbgitops results: note: \(note)\n".utf8)) }
                return cluster
            } catch {
                FileHandle.standardError.write(Data("nbgitops results: \(from ?? "kubectl"): \(error)\n".utf8))
                throw ExitStatus.diagnostics
            }
        }
        let modelObjects = names.flatMap { models[$0] ?? [] }
        /// The model PipelineRuns and InferenceServices: from the same dump, or read with kubectl.
        func modelResults() throws -> [ModelResult] {
            guard !modelObjects.isEmpty else { return [] }
            var cluster = ModelClusterSnapshot()
            var unreadable: [RenderedModelObject.Kind: String] = [:]
            if let from {
                do {
                    cluster = try ModelClusterSnapshot.decode(Data(contentsOf: URL(fileURLWithPath: from)))
                } catch {
                    FileHandle.standardError.write(Data("nbgitops results: \(from): \(error)\n".utf8))
                    throw ExitStatus.diagnostics
                }
            } else {
                (cluster, unreadable) = reader.read(models: modelObjects)
                for (kind, error) in unreadable.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    FileHandle.standardError.write(
                        Data("nbgitops results: note: cannot read \(kind.rawValue)s: \(error)\n".utf8))
                }
            }
            return names.flatMap {
                ModelResults.evaluate(
                    environment: $0, rendered: models[$0] ?? [], cluster: cluster, unreadable: unreadable)
            }
        }
        func evaluate(_ cluster: ClusterSnapshot) -> [ValidationResult] {
            names.flatMap {
                ValidationResults.evaluate(
                    environment: $0, rendered: rendered[$0] ?? [], cluster: cluster, sources: sources,
                    history: histories[$0] ?? .untracked)
            }
        }
        var results = evaluate(try snapshot())
        if wait {
            let deadline = Date().addingTimeInterval(TimeInterval(timeout))
            while !ValidationResults.allFinished(results) && Date() < deadline {
                Thread.sleep(forTimeInterval: TimeInterval(min(interval, max(1, Int(deadline.timeIntervalSinceNow)))))
                results = evaluate(try snapshot())
            }
        }
        let modelResults = try modelResults()
        print(format.render(results, models: modelResults, environments: names), terminator: "")
        if ValidationResults.anyFailed(results) || ModelResults.anyFailed(modelResults) { throw ExitCode(1) }
        if wait && !ValidationResults.allFinished(results) {
            FileHandle.standardError.write(Data("nbgitops results: --wait timed out after \(timeout) s\n".utf8))
            throw ExitCode(3)
        }
    }
}
