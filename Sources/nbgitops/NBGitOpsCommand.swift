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

            The project file nbgitops.yaml is searched upward from the current folder, stopping at the \
            root of the git work tree; `nbgitops init` creates one.

            Exit status: 0 success; 1 errors were reported (nothing written); 2 `check` found the \
            output out of date; 64 the command line is invalid.
            """,
        version: NBGitOpsVersion.current,
        subcommands: [
            InitCommand.self, RenderCommand.self, CheckCommand.self, ExplainCommand.self, DiffCommand.self,
            SchemaCommand.self, RulesCommand.self, ResultsCommand.self, LockCommand.self, PlatformCommand.self,
        ],
        defaultSubcommand: nil
    )
}

/// The exit codes nbgitops documents (docs/cli.md "Exit status", `nbgitops --help`).
enum ExitStatus {
    /// Errors were reported; nothing was written.
    static let diagnostics = ExitCode(1)
    /// `check`: the output folder differs from a fresh render.
    static let drift = ExitCode(2)
    /// The command line is invalid (`EX_USAGE`).
    static let usage = ExitCode(64)
}

/// Options shared by `render` and `check`: which inputs and environments.
struct SelectionOptions: ParsableArguments {
    @Argument(help: "Spec files or folders for an ad-hoc environment (instead of the project file).")
    var specs: [String] = []

    @Option(
        name: .customLong("overlay"), help: "Ad-hoc mode: an overlay (built-in name or file path); repeat to stack, later wins.")
    var overlays: [String] = []

    @Option(name: .customLong("output"), help: "Ad-hoc mode: the output folder (anywhere; default ./gitops).")
    var output: String?

    @Option(name: .customLong("name"), help: "Ad-hoc mode: the environment's name (its folder under --output).")
    var adHocName: String = "default"

    @Option(
        name: .customLong("config"),
        help: "The project file (default: nbgitops.yaml in the current folder or the nearest parent, up to the git root).")
    var config: String?

    @Option(name: .customLong("env"), help: "Only these environments of the project file (repeatable).")
    var environments: [String] = []

    @Option(
        name: .customLong("repo-root"),
        help:
            "The repository root the delivery objects' paths are relative to (default: the git work tree holding the project, or the current folder ad hoc)."
    )
    var repositoryRoot: String?

    @Flag(name: .customLong("timings"), help: "Print the time each stage took to standard error.")
    var timings = false

    @OptionGroup var report: ReportOptions

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

    /// The request for `Invocation.prepare`, with this process's facts.
    var request: InvocationRequest {
        var request = InvocationRequest.forThisProcess()
        request.specs = specs
        request.overlays = overlays
        request.output = output
        request.adHocName = adHocName
        request.config = config
        request.environments = environments
        request.repositoryRoot = repositoryRoot
        return request
    }
}

/// How diagnostics are printed.
struct ReportOptions: ParsableArguments {
    @Option(
        name: .customLong("diagnostics-format"),
        help: "How diagnostics are printed: text (standard error), json (one object per line) or sarif (SARIF 2.1.0).")
    var diagnosticsFormat: DiagnosticFormat = .text

    @Option(
        name: .customLong("diagnostics-output"),
        help: "Write json/sarif diagnostics to this file instead of standard output (the text form still goes to standard error)."
    )
    var diagnosticsOutput: String?

    @Option(
        name: .customLong("max-diagnostics"),
        help:
            "Print at most this many warnings and notes in the text form, then a line counting the rest (0: no limit). Errors are always all printed; json and sarif carry every diagnostic."
    )
    var maxDiagnostics: Int = DiagnosticFormatter.defaultMaxShown

    func validate() throws {
        if maxDiagnostics < 0 { throw ValidationError("--max-diagnostics must be 0 (no limit) or more") }
    }

    /// The text form's cap on warnings and notes (nil: no cap).
    var maxShown: Int? { maxDiagnostics == 0 ? nil : maxDiagnostics }
}

extension InvocationRequest {
    /// The current folder, `NBGITOPS_HOME` and the running executable.
    static func forThisProcess() -> InvocationRequest {
        InvocationRequest(
            currentDirectory: FileManager.default.currentDirectoryPath,
            resourceHome: ProcessInfo.processInfo.environment["NBGITOPS_HOME"],
            executablePath: ResourceRoot.currentExecutablePath())
    }
}

enum RunPreparation {
    /// Prepares and runs the pipeline for `render`/`check`; on any error prints the
    /// diagnostics and exits 1 (nothing is written).
    /// `retainPlans`: keep the plans in the output (needed only to print objects); without
    /// them each environment's trees are released once rendered, which bounds peak memory.
    static func compile(
        _ request: InvocationRequest, report: ReportOptions, timings: Bool = false, retainPlans: Bool = false,
        diagnostics: DiagnosticCollector
    ) throws -> (PreparedRun, CompilerOutput) {
        guard var prepared = Invocation.prepare(request, diagnostics: diagnostics), !diagnostics.hasErrors else {
            DiagnosticPrinter.print(diagnostics, report: report)
            throw ExitStatus.diagnostics
        }
        prepared.input.retainPlans = retainPlans
        // Compared with the tree already rendered: an immutable field changed in place is an error.
        prepared.input.previousOutputRoot = prepared.outputRoot
        guard let output = CompilerPipeline.run(prepared.input, diagnostics: diagnostics) else {
            DiagnosticPrinter.print(diagnostics, report: report, sourceRoot: prepared.sourceRoot)
            throw ExitStatus.diagnostics
        }
        ExitRetention.keepUntilExit(output)
        if timings { DiagnosticPrinter.printTimings(output) }
        return (prepared, output)
    }
}

extension DiagnosticFormat: ExpressibleByArgument {}

/// Prints diagnostics: text to standard error like a compiler; json and sarif to standard
/// output (or `--diagnostics-output`), where tools read them.
enum DiagnosticPrinter {
    /// `standardOutputTaken`: standard output carries something else (`render --stdout`), so
    /// json/sarif without `--diagnostics-output` go to standard error.
    static func print(
        _ diagnostics: DiagnosticCollector, report: ReportOptions? = nil, sourceRoot: String = "",
        standardOutputTaken: Bool = false
    ) {
        let format = report?.diagnosticsFormat ?? .text
        let maxShown = report.map(\.maxShown) ?? DiagnosticFormatter.defaultMaxShown
        let sorted = diagnostics.sorted
        let text = DiagnosticFormatter.format(sorted, as: format, sourceRoot: sourceRoot, maxShown: maxShown)
        switch format {
        case .text:
            FileHandle.standardError.write(Data(text.utf8))
        case .json, .sarif:
            if let path = report?.diagnosticsOutput {
                if !FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) {
                    FileHandle.standardError.write(Data("error: cannot write \(path)\n".utf8))
                }
                // The file is for tools; the log (CI, a terminal) still gets the compiler text.
                FileHandle.standardError.write(
                    Data(DiagnosticFormatter.format(sorted, as: .text, sourceRoot: sourceRoot, maxShown: maxShown).utf8))
            } else if standardOutputTaken {
                FileHandle.standardError.write(Data(text.utf8))
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
        // The ten costliest rules (CPU time in each rule's check, summed over environments;
        // rules run in parallel) as a share of the whole compile.
        if !output.ruleTimings.isEmpty {
            text += "costliest rules (% of total):\n"
            let share = { (seconds: Double) in total > 0 ? seconds / total * 100 : 0 }
            for (rule, seconds) in output.ruleTimings.prefix(10) {
                text += String(
                    format: "  %-8@ %8.2f ms %5.1f %%\n", rule.rawValue as NSString, seconds * 1000, share(seconds))
            }
            text += String(
                format: "  %-8@ %8.2f ms %5.1f %%\n", "facts" as NSString, output.sharedCheckSeconds * 1000,
                share(output.sharedCheckSeconds))
        }
        FileHandle.standardError.write(Data(("timings:\n" + text).utf8))
    }
}

/// Large compile results are left to the operating system at exit: freeing millions of tree
/// nodes one by one costs seconds on big projects and buys nothing.
enum ExitRetention {
    nonisolated(unsafe) static var retained: [Any] = []

    static func keepUntilExit(_ value: Any) { retained.append(value) }
}
