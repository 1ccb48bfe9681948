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
    case markdown
}

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show how two environments differ, or what a change does compared with a git ref (--base).",
        usage: """
            nbgitops diff ENV_A ENV_B [--format text|json]
            nbgitops diff --base REF [ENV...] [--format text|markdown]
            """,
        discussion: """
            Objects are paired by logical name: a validation Job by its NotebookValidationJob, the Namespace \
            and delivery objects by kind, anything else by kind and name without the namePrefix. Lines: \
            '+' only in ENV_B, '-' only in ENV_A, '~' changed, with each changed field.

            --base REF compiles the project as it is at the git ref REF (a branch, tag or commit of the \
            repository) and as it is now, and prints per environment (all, or the ENVs named) the objects \
            added (+), removed (-), renamed (>: a Job, PipelineRun or BuildConfig whose content-addressed \
            name changed, with the fields that changed) and changed (~, with each changed field), then the \
            diagnostics that are new or resolved compared with REF. --format markdown writes a GitHub job \
            summary. Exit status 0, also when either side has errors (they are listed as diagnostics).
            """)

    @Argument(help: "Two environments to compare; with --base, the environments to show (default: all).")
    var environments: [String] = []

    @Option(name: .customLong("base"), help: "A git ref (branch, tag or commit) to compare the project with.")
    var base: String?

    @Option(name: .customLong("format"), help: "text, json (two environments) or markdown (--base).")
    var format: OutputFormat = .text

    @OptionGroup var project: ProjectOptions

    func validate() throws {
        if let base {
            if base.isEmpty || base.hasPrefix("-") { throw ValidationError("--base needs a git ref, e.g. origin/main") }
            if format == .json { throw ValidationError("--base writes text or markdown, not json") }
        } else {
            if environments.count != 2 {
                throw ValidationError("name two environments to compare, or a git ref with --base REF")
            }
            if format == .markdown { throw ValidationError("markdown is the format of --base") }
        }
    }

    func run() throws {
        if let base { return try review(base: base) }
        let from = environments[0]
        let to = environments[1]
        let (output, _, _) = try project.compile(environments: [from, to])
        guard let a = output.plans.first(where: { $0.environment.name == from }),
            let b = output.plans.first(where: { $0.environment.name == to })
        else { throw ExitCode(1) }
        let diff = EnvironmentDiff.compare(a, b)
        print(format == .json ? diff.renderJSON() : diff.renderText(), terminator: "")
    }

    /// Compiles the current project and the same project file at `ref`, every environment of
    /// each (the environments shown are filtered afterwards, so one added on either side shows).
    func review(base ref: String) throws {
        let diagnostics = DiagnosticCollector()
        let prepared = try project.prepare(environments: [], diagnostics: diagnostics)
        let known = prepared.projectEnvironments ?? []
        for name in environments where !known.contains(name) {
            FileHandle.standardError.write(
                Data("warning: no environment named '\(name)' in the current project file\n".utf8))
        }
        let current = Self.compile(prepared, diagnostics)
        let folder: String
        do {
            folder = try BaseTree.extract(ref: ref, repositoryRoot: prepared.repositoryRoot)
        } catch {
            FileHandle.standardError.write(Data("error: cannot read the base \(ref): \(error)\n".utf8))
            throw ExitCode(1)
        }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tree = folder + "/tree"
        let projectFile = prepared.projectFile ?? (prepared.repositoryRoot + "/nbgitops.yaml")
        let relativeFile =
            projectFile.hasPrefix(prepared.repositoryRoot + "/")
            ? String(projectFile.dropFirst(prepared.repositoryRoot.count + 1)) : "nbgitops.yaml"
        let baseSide: BaseReview.Side
        if FileManager.default.fileExists(atPath: tree + "/" + relativeFile) {
            var request = InvocationRequest.forThisProcess()
            request.config = tree + "/" + relativeFile
            request.repositoryRoot = tree
            let baseDiagnostics = DiagnosticCollector()
            if let basePrepared = Invocation.prepare(request, diagnostics: baseDiagnostics) {
                baseSide = Self.compile(basePrepared, baseDiagnostics)
            } else {
                baseSide = BaseReview.Side(
                    plans: [], diagnostics: baseDiagnostics.sorted, compiled: false, environments: [])
            }
        } else {
            // No project at the base: everything is new.
            baseSide = BaseReview.Side(plans: [], diagnostics: [], compiled: true, environments: [])
        }
        let review = BaseReview.compare(base: ref, base: baseSide, current: current, only: environments)
        print(format == .markdown ? review.renderMarkdown() : review.renderText(), terminator: "")
    }

    static func compile(_ prepared: PreparedRun, _ diagnostics: DiagnosticCollector) -> BaseReview.Side {
        let output = CompilerPipeline.run(prepared.input, diagnostics: diagnostics)
        return BaseReview.Side(
            plans: output?.plans ?? [], diagnostics: diagnostics.sorted, compiled: output != nil,
            environments: prepared.projectEnvironments ?? prepared.input.environments.map(\.name.value))
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
