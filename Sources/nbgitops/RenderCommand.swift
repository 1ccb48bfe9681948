import ArgumentParser
import Foundation
import NBGitOps

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render every environment (or the ad-hoc one) into its output folder.",
        discussion: """
            Without spec arguments, renders the environments of nbgitops.yaml into its output folder. \
            With spec files, renders one ad-hoc environment from --overlay stack into --output. \
            Nothing is written when any error is reported.
            """)

    @OptionGroup var selection: SelectionOptions

    func run() throws {
        let diagnostics = DiagnosticCollector()
        guard let prepared = RunPreparation.prepare(selection, diagnostics: diagnostics),
            !diagnostics.hasErrors,
            let output = CompilerPipeline.run(prepared.input, diagnostics: diagnostics)
        else {
            DiagnosticPrinter.print(diagnostics)
            throw ExitCode(1)
        }
        ExitRetention.keepUntilExit(output)
        if selection.timings { DiagnosticPrinter.printTimings(output) }
        let outputs = output.files.keys.sorted().map { EnvironmentOutput(environment: $0, files: output.files[$0] ?? []) }
        let report = OutputWriter(root: prepared.outputRoot).write(outputs, diagnostics: diagnostics)
        DiagnosticPrinter.print(diagnostics)
        guard report.succeeded, !diagnostics.hasErrors else { throw ExitCode(1) }
        var summary = ""
        for environment in report.environments {
            summary += "\(environment.environment): \(environment.written.count) written, \(environment.unchanged.count) unchanged, \(environment.removed.count) removed\n"
        }
        FileHandle.standardError.write(Data(summary.utf8))
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that the output folders are exactly what render would write.",
        discussion: """
            Writes nothing. Exits 0 when every selected environment's folder is byte-identical to a \
            fresh render, 1 otherwise (with the files that differ and a unified diff).
            """)

    @OptionGroup var selection: SelectionOptions

    @Flag(name: .customLong("quiet-diff"), help: "List differing files without their unified diff.")
    var quietDiff = false

    func run() throws {
        let diagnostics = DiagnosticCollector()
        guard let prepared = RunPreparation.prepare(selection, diagnostics: diagnostics),
            !diagnostics.hasErrors,
            let output = CompilerPipeline.run(prepared.input, diagnostics: diagnostics)
        else {
            DiagnosticPrinter.print(diagnostics)
            throw ExitCode(1)
        }
        ExitRetention.keepUntilExit(output)
        if selection.timings { DiagnosticPrinter.printTimings(output) }
        let outputs = output.files.keys.sorted().map { EnvironmentOutput(environment: $0, files: output.files[$0] ?? []) }
        let differences = OutputComparator(root: prepared.outputRoot).compare(outputs, diagnostics: diagnostics)
        DiagnosticPrinter.print(diagnostics)
        var text = ""
        var clean = !diagnostics.hasErrors && differences.count == outputs.count
        for difference in differences {
            if !difference.isUpToDate { clean = false }
            for file in difference.files {
                text += "\(file.kind.rawValue): \(file.path)\n"
                if !quietDiff && !file.diff.isEmpty { text += file.diff.hasSuffix("\n") ? file.diff : file.diff + "\n" }
            }
        }
        for difference in differences { text += difference.summary + "\n" }
        if !clean { text += "gitops output is out of date: run `nbgitops render` and commit the result\n" }
        print(text, terminator: "")
        if !clean { throw ExitCode(1) }
    }
}

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "List every diagnostic rule nbgitops reports, or show one.")

    @Argument(help: "A rule id such as NBG102.")
    var ruleID: String?

    func run() throws {
        if let ruleID {
            guard let rule = RuleCatalog.all.first(where: { $0.id.rawValue == ruleID.uppercased() }) else {
                throw ValidationError("no rule '\(ruleID)'; run `nbgitops rules` for the list")
            }
            print("\(rule.id.rawValue) (\(rule.severity.rawValue)): \(rule.title)")
            return
        }
        for rule in RuleCatalog.all {
            print("\(rule.id.rawValue)  \(rule.severity.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0))  \(rule.title)")
        }
    }
}
