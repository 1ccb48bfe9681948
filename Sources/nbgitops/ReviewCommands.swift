import ArgumentParser
import Foundation
import NBGitOps

/// `--config` alone: the review commands name environments as arguments.
struct ProjectOptions: ParsableArguments {
    @Option(
        name: .customLong("config"),
        help: "The project file (default: nbgitops.yaml in the current folder or the nearest parent, up to the git root).")
    var config: String?

    @Option(name: .customLong("repo-root"), help: "The repository root (default: the git work tree holding the project).")
    var repositoryRoot: String?

    /// Reads the project file and selects the named environments (all when empty), without
    /// compiling; prints diagnostics and exits 1 on errors.
    func prepare(environments: [String], diagnostics: DiagnosticCollector) throws -> PreparedRun {
        var request = InvocationRequest.forThisProcess()
        request.config = config
        request.environments = environments
        request.repositoryRoot = repositoryRoot
        guard let prepared = Invocation.prepare(request, diagnostics: diagnostics), !diagnostics.hasErrors else {
            DiagnosticPrinter.print(diagnostics)
            throw ExitStatus.diagnostics
        }
        return prepared
    }

    /// Compiles the named environments of the project; prints diagnostics and exits 1 on errors.
    /// `printingWarnings: false` leaves warnings to the caller (`explain` prints only those
    /// about the object asked for).
    func compile(environments: [String], printingWarnings: Bool = true) throws -> (
        CompilerOutput, PreparedRun, DiagnosticCollector
    ) {
        let diagnostics = DiagnosticCollector()
        let prepared = try prepare(environments: environments, diagnostics: diagnostics)
        guard let output = CompilerPipeline.run(prepared.input, diagnostics: diagnostics) else {
            DiagnosticPrinter.print(diagnostics)
            throw ExitStatus.diagnostics
        }
        if printingWarnings && !diagnostics.diagnostics.isEmpty { DiagnosticPrinter.print(diagnostics) }
        return (output, prepared, diagnostics)
    }
}

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show where an emitted object or field came from.",
        discussion: """
            TARGET is KIND/NAME or KIND/NAME.field.path, e.g. Job/intro-statistics.spec.activeDeadlineSeconds \
            or PersistentVolumeClaim/sentiment-models.spec.accessModes. A validation Job can be named by its \
            NotebookValidationJob's name (without the content hash). Prints the value and the spec line, \
            overlay line or built-in default that set it, with the rule that shaped it. TARGET platform (or \
            platform.versions, platform.tekton, ...) prints the environment's platform facts instead, each with \
            the overlay line that declared it or 'unknown'.
            """)

    @Argument(help: "The environment (a name from the project file).")
    var environment: String

    @Argument(help: "KIND/NAME[.field.path]")
    var target: String

    @Flag(
        help:
            "Show which of the environment's node pools (cluster.nodePools) each pod of the object fits, and why not the others.")
    var placement = false

    @OptionGroup var project: ProjectOptions

    func run() throws {
        let (output, prepared, diagnostics) = try project.compile(environments: [environment], printingWarnings: false)
        guard let plan = output.plans.first(where: { $0.environment.name == environment }) else { throw ExitCode(1) }
        // `platform` / `platform.versions.flux`: the environment's platform facts and their origins.
        if target == "platform" || target.hasPrefix("platform.") {
            guard let text = plan.environment.explainPlatform(target) else {
                FileHandle.standardError.write(
                    Data("error: no platform fact '\(target)' (see docs/platforms.md)\n".utf8))
                throw ExitCode(1)
            }
            print(text, terminator: "")
            return
        }
        switch Explainer.find(target, in: plan) {
        case .success(let match):
            print(Explainer.render(match, environment: environment, outputRoot: prepared.displayOutputRoot), terminator: "")
            if placement { print(SchedulingRules.placementReport(of: match.object, in: plan), terminator: "") }
            // Only the warnings about this object's inputs; the rest is `render`'s business.
            let (about, others) = Explainer.diagnostics(diagnostics.sorted, about: match.object, specs: output.specs)
            if !about.isEmpty {
                let collector = DiagnosticCollector()
                for diagnostic in about { collector.report(diagnostic) }
                DiagnosticPrinter.print(collector)
            }
            if others > 0 {
                FileHandle.standardError.write(
                    Data("note: \(others) diagnostic(s) about other inputs not shown; `nbgitops check` prints them\n".utf8))
            }
        case .failure(let failure):
            FileHandle.standardError.write(Data("error: \(failure)\n".utf8))
            throw ExitCode(1)
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show how two environments differ, object by object and field by field.",
        discussion: """
            Objects are paired by logical name: a validation Job by its NotebookValidationJob, the Namespace \
            and delivery objects by kind, anything else by kind and name without the namePrefix. Lines: \
            '+' only in ENV_B, '-' only in ENV_A, '~' changed, with each changed field. Exit status 0.
            """)

    @Argument(help: "The first environment.")
    var from: String

    @Argument(help: "The second environment.")
    var to: String

    @Option(name: .customLong("format"), help: "text or json.")
    var format: OutputFormat = .text

    @OptionGroup var project: ProjectOptions

    func run() throws {
        let (output, _, _) = try project.compile(environments: [from, to])
        guard let a = output.plans.first(where: { $0.environment.name == from }),
            let b = output.plans.first(where: { $0.environment.name == to })
        else { throw ExitCode(1) }
        let diff = EnvironmentDiff.compare(a, b)
        print(format == .json ? diff.renderJSON() : diff.renderText(), terminator: "")
    }
}

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print JSON Schema for project, overlay and spec files (for editors).",
        discussion: """
            Generated from the schemas the decoder validates against. Save it and point the YAML language \
            server at it, e.g. in VS Code settings: "yaml.schemas": {"./nbgitops.schema.json": \
            ["nbgitops.yaml", "overlays/*.yaml", "examples/**/*.yaml"]}.
            """)

    @Option(
        name: .customLong("kind"),
        help: "all (dispatch on kind), project, overlay, spec (NotebookValidationJob) or model-pipeline.")
    var kind: JSONSchemaExport.Document = .all

    func run() throws {
        print(JSONSchemaExport.render(kind), terminator: "")
    }
}

extension JSONSchemaExport.Document: ExpressibleByArgument {}
