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

    @Flag(
        name: .customLong("prune-unowned"),
        help:
            "Also remove files in the environment folders that begin with nbgitops' generated header but that no ownership ledger (.nbgitops-owned) lists, such as a reverted experiment's output; each is reported. Files without the header are never removed."
    )
    var pruneUnowned = false

    func run() throws {
        let diagnostics = DiagnosticCollector()
        let request = selection.request
        if toStandardOutput && pruneUnowned { throw ValidationError("--prune-unowned removes files; --stdout writes none") }
        if toStandardOutput { try Self.requireOneEnvironment(request) }
        let (prepared, output) = try RunPreparation.compile(
            request, report: selection.report, timings: selection.timings, retainPlans: toStandardOutput,
            diagnostics: diagnostics)
        if toStandardOutput {
            DiagnosticPrinter.print(
                diagnostics, report: selection.report, sourceRoot: prepared.sourceRoot, standardOutputTaken: true)
            let objects = output.plans.flatMap(\.objects).map(\.manifest)
            switch ManifestRenderer.emit(objects) {
            case .success(let bytes): FileHandle.standardOutput.write(Data(bytes))
            case .failure(let failure):
                let message = "error: the YAML emitter failed (\(failure.problem)); nothing printed\n"
                FileHandle.standardError.write(Data(message.utf8))
                throw ExitStatus.diagnostics
            }
            return
        }
        let outputs = output.files.keys.sorted().map { EnvironmentOutput(environment: $0, files: output.files[$0] ?? []) }
        var writer = OutputWriter(root: prepared.outputRoot)
        writer.projectEnvironments = prepared.projectEnvironments
        writer.lockPolicy = OutputLockPolicy.announcing()
        writer.pruneUnowned = pruneUnowned
        let report = writer.write(outputs, diagnostics: diagnostics)
        DiagnosticPrinter.print(diagnostics, report: selection.report, sourceRoot: prepared.sourceRoot)
        guard report.succeeded, !diagnostics.hasErrors else { throw ExitStatus.diagnostics }
        var summary = ""
        for environment in report.environments {
            for path in environment.pruned {
                summary += "removed \(path): it carried the generated header and no ownership ledger listed it\n"
            }
            summary +=
                "\(environment.environment): \(environment.written.count) written, \(environment.unchanged.count) unchanged, \(environment.removed.count) removed\n"
        }
        FileHandle.standardError.write(Data(summary.utf8))
    }

    /// `--stdout` prints one environment's manifests as one stream (what an Argo CD plugin
    /// applies): a project with several environments must name one with `--env`.
    static func requireOneEnvironment(_ request: InvocationRequest) throws {
        guard !request.isAdHoc, request.environments.count != 1 else { return }
        if request.environments.count > 1 {
            throw ValidationError("--stdout prints one environment; pass --env once, not \(request.environments.count) times")
        }
        let diagnostics = DiagnosticCollector()
        guard let prepared = Invocation.prepare(request, diagnostics: diagnostics) else { return }
        let names = prepared.input.environments.map(\.name.value)
        if names.count > 1 {
            throw ValidationError(
                "--stdout prints one environment and \(prepared.projectFile ?? "the project") has \(names.count): pass --env NAME (one of \(names.joined(separator: ", ")))"
            )
        }
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that the output folders are exactly what render would write.",
        discussion: """
            Writes nothing. Exits 0 when every selected environment's folder is byte-identical to a \
            fresh render; 2 when it differs (with the files that differ and a unified diff whose paths \
            apply with `git apply` from the repository root); 1 when errors were reported.
            """)

    @OptionGroup var selection: SelectionOptions

    @Flag(name: .customLong("quiet-diff"), help: "List differing files without their unified diff.")
    var quietDiff = false

    @Flag(
        name: .customLong("refs"),
        help:
            "Also ask each repository (git ls-remote) whether the commits in nbgitops.lock are still where their branches and tags point; a moved one is an error."
    )
    var refs = false

    func run() throws {
        let diagnostics = DiagnosticCollector()
        let (prepared, output) = try RunPreparation.compile(
            selection.request, report: selection.report, timings: selection.timings, diagnostics: diagnostics)
        let outputs = output.files.keys.sorted().map { EnvironmentOutput(environment: $0, files: output.files[$0] ?? []) }
        let comparator = OutputComparator(root: prepared.outputRoot, repositoryPath: prepared.input.delivery.outputPath)
        let (differences, leftovers) = comparator.check(
            outputs, projectEnvironments: prepared.projectEnvironments, diagnostics: diagnostics,
            lockPolicy: OutputLockPolicy.announcing())
        if refs { Self.checkRefs(prepared, diagnostics: diagnostics) }
        DiagnosticPrinter.print(diagnostics, report: selection.report, sourceRoot: prepared.sourceRoot)
        var text = ""
        var clean = !diagnostics.hasErrors && differences.count == outputs.count && leftovers.isEmpty
        for leftover in leftovers { text += "leftover: \(comparator.patchPath(leftover.name)) (\(leftover.kind.rawValue))\n" }
        let rendered = Dictionary(uniqueKeysWithValues: outputs.map { ($0.environment, $0.files) })
        for difference in differences {
            if !difference.isUpToDate { clean = false }
            // A validation Job with new content has a new name: one diff, old content → new.
            let replacements = ObjectChangeSummary.replacements(
                difference, rendered: rendered[difference.environment] ?? [], root: prepared.outputRoot,
                patchPath: comparator.patchPath)
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
        if selection.report.diagnosticsFormat == .text || selection.report.diagnosticsOutput != nil {
            print(text, terminator: "")
        } else {
            FileHandle.standardError.write(Data(text.utf8))
        }
        if diagnostics.hasErrors { throw ExitStatus.diagnostics }
        if !clean { throw ExitStatus.drift }
    }
}

extension CheckCommand {
    /// `--refs`: a stale lock entry is an error (NBG185); without a lock there is nothing to compare.
    static func checkRefs(_ prepared: PreparedRun, diagnostics: DiagnosticCollector) {
        guard let lock = prepared.input.refLock else {
            if prepared.refLockPath != nil {
                FileHandle.standardError.write(
                    Data("note: no \(RefLock.fileName): branch refs are not locked (`nbgitops lock` writes it)\n".utf8))
            }
            return
        }
        RefResolver.reportStale(lock, diagnostics: diagnostics)
    }
}

extension OutputLockPolicy {
    /// The timeout from `NBGITOPS_LOCK_TIMEOUT`; the wait is announced on standard error.
    static func announcing() -> OutputLockPolicy {
        OutputLockPolicy(
            timeout: timeout(environment: ProcessInfo.processInfo.environment),
            onWait: { root, holder in
                let who = holder.map { "another nbgitops run (process \($0))" } ?? "another nbgitops run"
                FileHandle.standardError.write(
                    Data("nbgitops: waiting for the output folder '\(root)', locked by \(who)\n".utf8))
            })
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
            let request = InvocationRequest.forThisProcess()
            let diagnostics = DiagnosticCollector()
            guard
                let resources = ResourceRoot.locate(
                    home: request.resourceHome, executable: request.executablePath, diagnostics: diagnostics),
                let page = RuleDocs.page(rule.id, resources: resources)
            else {
                print("\(rule.id.rawValue) (\(rule.severity.rawValue)): \(rule.title)")
                DiagnosticPrinter.print(diagnostics)
                FileHandle.standardError.write(
                    Data(
                        "note: doc page \(RuleDocs.relativePath(rule.id)) not found; see \(NBGitOpsVersion.ruleHelpURI(rule.id))\n"
                            .utf8))
                // Resources that cannot be found are an installation error (NBG164), not a shrug.
                if diagnostics.hasErrors { throw ExitStatus.diagnostics }
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

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a starter nbgitops project into a folder (default: the current one).",
        discussion: """
            Writes nbgitops.yaml with two environments (openshift: OpenShift + Argo CD; kubernetes: \
            Kubernetes + Flux), overlays/site.yaml (the repository URL, namespace and defaults, \
            commented), specs/example.yaml (a starter spec, commented out: it renders no Job until you \
            uncomment it and make it yours) and .github/workflows/nbgitops.yml (the nbgitops action \
            checking gitops/ on every pull request). Never overwrites a file. The repository URL and \
            revision come from the options, else from git (the remote 'origin', the current branch); a \
            note says which. With no URL at all, render stops at overlays/site.yaml with NBG166 until \
            it is set.
            """)

    @Argument(help: "The folder to write into (created if missing).")
    var directory: String = "."

    @Option(
        name: .customLong("repository-url"),
        help: """
            The URL Argo CD and Flux clone, written into overlays/site.yaml: https://…, ssh://… or \
            git@host:org/repo.git (written as ssh://git@host/org/repo.git, the form Flux accepts). \
            Default: the git remote 'origin' of the folder.
            """)
    var repositoryURL: String?

    @Option(
        name: .customLong("revision"),
        help: "The branch, tag or commit Argo CD and Flux follow (default: the current git branch, else main).")
    var revision: String?

    func run() throws {
        let request = InvocationRequest.forThisProcess()
        let diagnostics = DiagnosticCollector()
        guard
            let settings = ProjectScaffold.settings(
                repositoryURL: repositoryURL, revision: revision, directory: directory, diagnostics: diagnostics),
            let resources = ResourceRoot.locate(
                home: request.resourceHome, executable: request.executablePath, diagnostics: diagnostics),
            let files = ProjectScaffold.files(
                resources: resources, repositoryURL: settings.repositoryURL, revision: settings.revision,
                diagnostics: diagnostics),
            ProjectScaffold.write(files, into: directory, diagnostics: diagnostics)
        else {
            DiagnosticPrinter.print(diagnostics)
            throw ExitStatus.diagnostics
        }
        var text = ""
        for file in files { text += "created \((directory as NSString).appendingPathComponent(file.path))\n" }
        for note in settings.notes { text += "note: \(note)\n" }
        text += "note: \(ProjectScaffold.starterNote)\n"
        text +=
            settings.repositoryURL == nil
            ? "next: set delivery.repositoryURL in overlays/site.yaml, then run `nbgitops render`\n"
            : "next: run `nbgitops render`, then commit gitops/\n"
        FileHandle.standardError.write(Data(text.utf8))
    }
}
