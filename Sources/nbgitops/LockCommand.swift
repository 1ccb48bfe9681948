import ArgumentParser
import Foundation
import NBGitOps

struct LockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Resolve every branch or tag git.ref of the specs to a commit and write nbgitops.lock.",
        discussion: """
            Runs `git ls-remote` (with your git configuration and credential helpers) for each \
            distinct repository and branch or tag the specs clone, and writes the commits to \
            nbgitops.lock next to nbgitops.yaml. `render` then validates exactly those commits, and a \
            Job's name changes when its commit does: run `lock` and `render` after the branch moves \
            and the delivery tool runs the validation again. Full commit SHAs need no entry. \
            Exits 1 when a ref cannot be resolved (resolved refs are still written).
            """)

    @Option(
        name: .customLong("config"),
        help: "The project file (default: nbgitops.yaml in the current folder or the nearest parent, up to the git root).")
    var config: String?

    @OptionGroup var report: ReportOptions

    func run() throws {
        let diagnostics = DiagnosticCollector()
        var request = InvocationRequest.forThisProcess()
        request.config = config
        // A malformed lock file is what `lock` repairs: it is replaced (said on standard error).
        let preparing = DiagnosticCollector()
        let prepared = Invocation.prepare(request, diagnostics: preparing)
        for diagnostic in preparing.diagnostics {
            guard diagnostic.id == .refLockInvalid else {
                diagnostics.report(diagnostic)
                continue
            }
            FileHandle.standardError.write(
                Data("note: \(RefLock.fileName) is malformed (\(diagnostic.message)); it is written again\n".utf8))
        }
        guard let prepared, !diagnostics.hasErrors, let path = prepared.refLockPath,
            let specs = CompilerPipeline.decodeSpecs(prepared.input, diagnostics: diagnostics)
        else {
            DiagnosticPrinter.print(diagnostics, report: report)
            throw ExitStatus.diagnostics
        }
        let (lock, failures) = RefResolver.lock(specs, previous: prepared.input.refLock, file: RefLock.fileName)
        for failure in failures {
            diagnostics.error(
                .refNotLocked, "cannot resolve '\(failure.key.ref)' of \(failure.key.url): \(failure.problem)",
                at: failure.location, help: "check the URL and ref, and that your git credentials reach it")
        }
        let bytes = Data(lock.render())
        let unchanged = FileManager.default.contents(atPath: path) == bytes
        if !unchanged {
            do {
                try bytes.write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                diagnostics.error(
                    .outputWrite, "cannot write \(RefLock.fileName): \(error.localizedDescription)",
                    at: .startOf(RefLock.fileName), help: "check the folder's permissions")
            }
        }
        DiagnosticPrinter.print(diagnostics, report: report, sourceRoot: prepared.sourceRoot)
        FileHandle.standardError.write(
            Data("\(RefLock.fileName): \(lock.entries.count) refs, \(unchanged ? "unchanged" : "written")\n".utf8))
        if diagnostics.hasErrors { throw ExitStatus.diagnostics }
    }
}
