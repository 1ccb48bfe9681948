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

    @Flag(
        name: .customLong("stdout"),
        help:
            "Write the environments' manifests (not the delivery objects) to standard output as one YAML stream; write no files. Used by the Argo CD plugin (argocd/cmp/plugin.yaml)."
    )
    var toStandardOutput = false

    func run() throws {
        let diagnostics = DiagnosticCollector()
        let (prepared, output) = try RunPreparation.compile(
            selection, retainPlans: toStandardOutput, diagnostics: diagnostics)
        if toStandardOutput {
            DiagnosticPrinter.print(diagnostics)
            let objects = output.plans.flatMap(\.objects).map(\.manifest)
            FileHandle.standardOutput.write(Data(ManifestRenderer.render(objects)))
            return
        }
        let outputs = output.files.keys.sorted().map { EnvironmentOutput(environment: $0, files: output.files[$0] ?? []) }
        let report = OutputWriter(root: prepared.outputRoot).write(outputs, diagnostics: diagnostics)
        DiagnosticPrinter.print(diagnostics, options: selection)
        guard report.succeeded, !diagnostics.hasErrors else { throw ExitCode(1) }
        var summary = ""
        for environment in report.environments {
            summary +=
                "\(environment.environment): \(environment.written.count) written, \(environment.unchanged.count) unchanged, \(environment.removed.count) removed\n"
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
        let (prepared, output) = try RunPreparation.compile(selection, diagnostics: diagnostics)
        let outputs = output.files.keys.sorted().map { EnvironmentOutput(environment: $0, files: output.files[$0] ?? []) }
        let differences = OutputComparator(root: prepared.outputRoot).compare(outputs, diagnostics: diagnostics)
        DiagnosticPrinter.print(diagnostics, options: selection)
        var text = ""
        var clean = !diagnostics.hasErrors && differences.count == outputs.count
        let rendered = Dictionary(uniqueKeysWithValues: outputs.map { ($0.environment, $0.files) })
        for difference in differences {
            if !difference.isUpToDate { clean = false }
            // A validation Job with new content has a new name: one diff, old content → new.
            let replacements = ObjectChangeSummary.replacements(
                difference, rendered: rendered[difference.environment] ?? [], root: prepared.outputRoot)
            let paired = Set(replacements.flatMap { [$0.oldPath, $0.newPath] })
            for replacement in replacements {
                text +=
                    "replaced: \(replacement.oldPath) → \(replacement.newPath) (immutable Job: new content, new name; the old Job is pruned)\n"
                if !quietDiff { text += replacement.diff }
            }
            for file in difference.files where !paired.contains(file.path) {
                text += "\(file.kind.rawValue): \(file.path)\n"
                if !quietDiff && !file.diff.isEmpty { text += file.diff.hasSuffix("\n") ? file.diff : file.diff + "\n" }
            }
        }
        for difference in differences { text += difference.summary + "\n" }
        // Object level, one line per environment that changed (for a pull-request comment).
        for difference in differences where !difference.isUpToDate {
            text +=
                ObjectChangeSummary.summarize(
                    difference, rendered: rendered[difference.environment] ?? [], root: prepared.outputRoot
                ).line + "\n"
        }
        if !clean { text += "gitops output is out of date: run `nbgitops render` and commit the result\n" }
        // With machine-readable diagnostics on standard output, the report goes to standard error.
        if selection.diagnosticsFormat == .text || selection.diagnosticsOutput != nil {
            print(text, terminator: "")
        } else {
            FileHandle.standardError.write(Data(text.utf8))
        }
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
            let current = FileManager.default.currentDirectoryPath
            let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? current).deletingLastPathComponent().path
            guard let resources = ResourceRoot.discover(startingPoints: [current, executable]),
                let page = RuleDocs.page(rule.id, resources: resources)
            else {
                print("\(rule.id.rawValue) (\(rule.severity.rawValue)): \(rule.title)")
                FileHandle.standardError.write(
                    Data(
                        "note: doc page \(RuleDocs.relativePath(rule.id)) not found; set NBGITOPS_HOME to the nbgitops checkout\n"
                            .utf8))
                return
            }
            print(page, terminator: page.hasSuffix("\n") ? "" : "\n")
            return
        }
        for rule in RuleCatalog.all {
            print(
                "\(rule.id.rawValue)  \(rule.severity.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0))  \(rule.title)")
        }
    }
}
