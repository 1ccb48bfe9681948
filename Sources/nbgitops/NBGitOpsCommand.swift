import ArgumentParser
import Foundation
import NBGitOps

@main
struct NBGitOpsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nbgitops",
        abstract: "Compile NotebookValidationJob specs and environment overlays into a GitOps manifest tree.",
        discussion: """
            nbgitops reads notebook-validation specs (the NotebookValidationJob resource of the notebook \
            validator operator) and stacked environment overlays, and writes a deterministic folder of \
            Kubernetes manifests per environment for Argo CD or Flux to apply.
            """,
        subcommands: [
            RenderCommand.self, CheckCommand.self, ExplainCommand.self, DiffCommand.self, SchemaCommand.self,
            RulesCommand.self,
        ],
        defaultSubcommand: nil
    )
}

/// Options shared by `render` and `check`: which inputs and environments.
struct SelectionOptions: ParsableArguments {
    @Argument(help: "Spec files or folders for an ad-hoc environment (instead of the project file).")
    var specs: [String] = []

    @Option(
        name: .customLong("overlay"), help: "Ad-hoc mode: an overlay (built-in name or file path); repeat to stack, later wins.")
    var overlays: [String] = []

    @Option(name: .customLong("output"), help: "Ad-hoc mode: the output folder.")
    var output: String?

    @Option(name: .customLong("name"), help: "Ad-hoc mode: the environment's name (its folder under --output).")
    var adHocName: String = "default"

    @Option(name: .customLong("config"), help: "The project file (default: ./nbgitops.yaml).")
    var config: String?

    @Option(name: .customLong("env"), help: "Only these environments of the project file (repeatable).")
    var environments: [String] = []

    @Flag(name: .customLong("timings"), help: "Print the time each stage took to standard error.")
    var timings = false

    @Option(
        name: .customLong("diagnostics-format"),
        help: "How diagnostics are printed: text (standard error), json (one object per line) or sarif (SARIF 2.1.0).")
    var diagnosticsFormat: DiagnosticFormat = .text

    @Option(
        name: .customLong("diagnostics-output"),
        help: "Write json/sarif diagnostics to this file instead of standard output.")
    var diagnosticsOutput: String?

    func validate() throws {
        if !specs.isEmpty {
            if overlays.isEmpty { throw ValidationError("ad-hoc mode needs at least one --overlay") }
            if output == nil { throw ValidationError("ad-hoc mode needs --output DIR") }
            if config != nil || !environments.isEmpty {
                throw ValidationError("--config and --env select from a project file; do not combine them with spec arguments")
            }
        } else if !overlays.isEmpty || output != nil {
            throw ValidationError("--overlay and --output are for ad-hoc mode: name spec files too")
        }
    }
}

/// A compile job ready to run: the pipeline input plus where output goes.
struct PreparedRun {
    var input: CompilerInput
    var outputRoot: String
}

enum RunPreparation {
    /// Prepares and runs the pipeline for `render`/`check`; on any error prints the
    /// diagnostics and exits 1 (nothing is written).
    /// `retainPlans`: keep the plans in the output (needed only to print objects); without
    /// them each environment's trees are released once rendered, which bounds peak memory.
    static func compile(
        _ selection: SelectionOptions, retainPlans: Bool = false, diagnostics: DiagnosticCollector
    ) throws -> (PreparedRun, CompilerOutput) {
        guard var prepared = prepare(selection, diagnostics: diagnostics), !diagnostics.hasErrors else {
            DiagnosticPrinter.print(diagnostics, options: selection)
            throw ExitCode(1)
        }
        prepared.input.retainPlans = retainPlans
        guard let output = CompilerPipeline.run(prepared.input, diagnostics: diagnostics) else {
            DiagnosticPrinter.print(diagnostics, options: selection)
            throw ExitCode(1)
        }
        ExitRetention.keepUntilExit(output)
        if selection.timings { DiagnosticPrinter.printTimings(output) }
        return (prepared, output)
    }

    static func prepare(_ options: SelectionOptions, diagnostics: DiagnosticCollector) -> PreparedRun? {
        let current = FileManager.default.currentDirectoryPath
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? current).deletingLastPathComponent().path
        if !options.specs.isEmpty {
            guard let resources = ResourceRoot.discover(startingPoints: [current, executable]) else {
                reportMissingResources(diagnostics)
                return nil
            }
            let entries = options.specs.map { Located($0, at: SourceLocation(file: "<command line>", line: 1, column: 1)) }
            let files = SpecFileFinder.find(entries, baseDirectory: current, confineTo: nil, diagnostics: diagnostics)
            let overlays = options.overlays.map { Located($0, at: SourceLocation(file: "<command line>", line: 1, column: 1)) }
            let name = Located(options.adHocName, at: SourceLocation(file: "<command line>", line: 1, column: 1))
            let output = options.output ?? "gitops"
            guard let outputName = repositoryRelative(output, current: current) else {
                diagnostics.error(
                    .outputPath, "--output '\(output)' is outside the current folder",
                    at: SourceLocation(file: "<command line>", line: 1, column: 1),
                    help:
                        "the delivery objects name the output folder relative to the repository; run from the repository root and write inside it, e.g. --output gitops-adhoc"
                )
                return nil
            }
            let input = CompilerInput(
                specFiles: files, environments: [EnvironmentRequest(name: name, overlays: overlays)],
                baseDirectory: current, resources: resources, outputName: outputName)
            return PreparedRun(input: input, outputRoot: output)
        }
        let configPath = options.config ?? (current as NSString).appendingPathComponent(Project.defaultFileName)
        guard let project = Project.load(path: configPath, diagnostics: diagnostics) else { return nil }
        let base = project.baseDirectory.isEmpty ? current : project.baseDirectory
        guard let resources = ResourceRoot.discover(startingPoints: [base, current, executable]) else {
            reportMissingResources(diagnostics)
            return nil
        }
        var environments = project.environments
        if !options.environments.isEmpty {
            let known = Set(environments.map(\.name.value))
            for name in options.environments where !known.contains(name) {
                var help = "environments: \(known.sorted().joined(separator: ", "))"
                if let suggestion = Suggestions.closest(to: name, in: Array(known)) {
                    help = "did you mean '\(suggestion)'? " + help
                }
                diagnostics.error(
                    .environmentInvalid, "no environment named '\(name)' in \(project.file)", at: .startOf(project.file),
                    help: help)
            }
            environments = environments.filter { options.environments.contains($0.name.value) }
        }
        let files = SpecFileFinder.find(project.specs, baseDirectory: base, confineTo: base, diagnostics: diagnostics)
        let input = CompilerInput(
            specFiles: files, environments: environments, baseDirectory: base, resources: resources,
            outputName: project.output.value)
        return PreparedRun(input: input, outputRoot: (base as NSString).appendingPathComponent(project.output.value))
    }

    /// `path` relative to `current` when it lies inside it (lexically), else nil.
    static func repositoryRelative(_ path: String, current: String) -> String? {
        let absolute = path.hasPrefix("/") ? path : (current as NSString).appendingPathComponent(path)
        let standardized = URL(fileURLWithPath: absolute).standardized.path
        let base = URL(fileURLWithPath: current).standardized.path
        guard standardized.hasPrefix(base + "/") else { return nil }
        return String(standardized.dropFirst(base.count + 1))
    }

    static func reportMissingResources(_ diagnostics: DiagnosticCollector) {
        diagnostics.error(
            .ioRead, "cannot find nbgitops' overlays/ and templates/ folders", at: nil,
            help: "run from the nbgitops checkout or set NBGITOPS_HOME to the folder that holds overlays/ and templates/")
    }
}

extension DiagnosticFormat: ExpressibleByArgument {}

/// Prints diagnostics: text to standard error like a compiler; json and sarif to standard
/// output (or `--diagnostics-output`), where tools read them.
enum DiagnosticPrinter {
    static func print(_ diagnostics: DiagnosticCollector, options: SelectionOptions? = nil) {
        let format = options?.diagnosticsFormat ?? .text
        let text = DiagnosticFormatter.format(diagnostics.sorted, as: format)
        switch format {
        case .text:
            FileHandle.standardError.write(Data(text.utf8))
        case .json, .sarif:
            if let path = options?.diagnosticsOutput {
                if !FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) {
                    FileHandle.standardError.write(Data("error: cannot write \(path)\n".utf8))
                }
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }

    static func printTimings(_ output: CompilerOutput) {
        var text = ""
        var total = 0.0
        for (stage, seconds, peakKiB) in output.timings {
            text += String(
                format: "  %-8@ %8.2f ms   peak RSS %5d MiB\n", stage as NSString, seconds * 1000, peakKiB / 1024)
            total += seconds
        }
        text += String(format: "  %-8@ %8.2f ms\n", "total" as NSString, total * 1000)
        FileHandle.standardError.write(Data(("timings:\n" + text).utf8))
    }
}

/// Large compile results are left to the operating system at exit: freeing millions of tree
/// nodes one by one costs seconds on big projects and buys nothing.
enum ExitRetention {
    nonisolated(unsafe) static var retained: [Any] = []

    static func keepUntilExit(_ value: Any) { retained.append(value) }
}
