import Foundation
import XCTest

@testable import NBGitOps

/// The one way tests run the compiler: every in-process compile builds its `CompilerInput` here
/// and runs `CompilerPipeline.run`, exactly as `nbgitops render` does after reading the command
/// line. Test files describe *what* to compile (spec files or text, environments as overlay
/// lists, the repository's project file); this file owns *how*.
enum TestPipeline {
    /// The location of things a test supplies instead of a file (environment names, overlays).
    static let at = SourceLocation(file: "<test>", line: 1, column: 1)

    /// One environment stacked from real overlays (built-in names or repository paths);
    /// `source` is the file diagnostics about the environment itself name (`<test>`, `<fixture>`).
    static func environment(_ name: String, _ overlays: [String], source: String = "<test>") -> EnvironmentRequest {
        let at = SourceLocation(file: source, line: 1, column: 1)
        return EnvironmentRequest(name: Located(name, at: at), overlays: overlays.map { Located($0, at: at) })
    }

    /// An environment named after its platform overlay (`kubernetes`, `openshift`; else
    /// `fallback`), as fixtures expect messages to quote it; `overlays` is comma-separated.
    static func environment(overlays: String, fallback: String = "fixture", source: String = "<test>") -> EnvironmentRequest {
        let names = overlays.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return environment(overlays: names, fallback: fallback, source: source)
    }

    static func environment(overlays names: [String], fallback: String, source: String = "<test>") -> EnvironmentRequest {
        environment(names.first.flatMap { Platform(rawValue: $0)?.rawValue } ?? fallback, names, source: source)
    }

    /// The two environments the hostile corpus and the property tests compile every input in:
    /// OpenShift with GPU taints and Argo CD, and Kubernetes with RWX storage and Flux.
    static let openShiftAndKubernetes: [EnvironmentRequest] = [
        environment("openshift", ["openshift", "rwo", "gpu-taints", "argocd", "examples/overlays/repository.yaml"]),
        environment("kubernetes", ["kubernetes", "rwx", "flux", "examples/overlays/repository.yaml"]),
    ]

    /// A spec file given as text, read from memory (`displayPath` is what diagnostics show).
    static func file(_ text: String, displayPath: String = "spec.yaml") -> SpecFileFinder.Found {
        SpecFileFinder.Found(path: displayPath, displayPath: displayPath, contents: Array(text.utf8))
    }

    /// The spec files a list of repository paths (files or folders) names, as `render` finds them.
    static func files(_ paths: [String], confineTo: String? = nil, diagnostics: DiagnosticCollector) -> [SpecFileFinder.Found] {
        SpecFileFinder.find(
            paths.map { Located($0, at: at) }, baseDirectory: repositoryRoot, confineTo: confineTo, diagnostics: diagnostics)
    }

    /// The input of one run: `specFiles` in `environments`, overlays relative to the repository,
    /// resources from `resources` (the repository unless a test builds a broken installation),
    /// delivering into the project folder `gitops` unless `delivery` says otherwise.
    static func input(
        _ specFiles: [SpecFileFinder.Found], environments: [EnvironmentRequest], resources: String = repositoryRoot,
        baseDirectory: String = repositoryRoot, delivery: DeliveryTarget = .project(outputPath: "gitops"),
        retainPlans: Bool = true, threads: Int? = nil
    ) -> CompilerInput {
        var input = CompilerInput(
            specFiles: specFiles, environments: environments, baseDirectory: baseDirectory,
            resources: ResourceRoot(path: resources), delivery: delivery, retainPlans: retainPlans)
        input.threads = threads
        return input
    }

    /// Runs `input` through the whole pipeline; the output is nil when an error was reported.
    static func run(_ input: CompilerInput, diagnostics: DiagnosticCollector = DiagnosticCollector()) -> Run {
        Run(output: CompilerPipeline.run(input, diagnostics: diagnostics), diagnostics: diagnostics)
    }

    /// Runs spec files in environments (the common case).
    static func run(
        _ specFiles: [SpecFileFinder.Found], environments: [EnvironmentRequest], resources: String = repositoryRoot,
        delivery: DeliveryTarget = .project(outputPath: "gitops")
    ) -> Run {
        run(input(specFiles, environments: environments, resources: resources, delivery: delivery))
    }

    /// A project (`nbgitops.yaml` in `folder`; the repository's example by default) as `render`
    /// reads it: its spec folders and environments, with built-in resources from the repository;
    /// `adjust` may change the environments before the run.
    static func runProject(
        in folder: String = repositoryRoot, retainPlans: Bool = true, threads: Int? = nil,
        adjust: (inout [EnvironmentRequest]) -> Void = { _ in }, file: StaticString = #filePath, line: UInt = #line
    ) throws -> Run {
        let diagnostics = DiagnosticCollector()
        let projectPath = (folder as NSString).appendingPathComponent("nbgitops.yaml")
        let project = try XCTUnwrap(
            Project.load(path: projectPath, diagnostics: diagnostics), "\(diagnostics.sorted.map(\.rendered))",
            file: file, line: line)
        let files = SpecFileFinder.find(project.specs, baseDirectory: folder, confineTo: folder, diagnostics: diagnostics)
        var environments = project.environments
        adjust(&environments)
        var input = input(
            files, environments: environments, baseDirectory: folder, delivery: .project(outputPath: project.output.value),
            retainPlans: retainPlans, threads: threads)
        // As `nbgitops render` does: the project's name qualifies the delivery objects' names.
        input.delivery.projectName = project.name?.value
        input.delivery.projectNameLocation = project.name?.location
        return run(input, diagnostics: diagnostics)
    }

    /// The unmodified example compiled once per test process and shared by every test that only
    /// reads it (about forty tests; each compile is a second or more in a debug build).
    static let example: Result<Run, Error> = Result { try runProject() }

    /// What one run produced.
    struct Run {
        /// Nil when an error was reported (nothing would be written).
        let output: CompilerOutput?
        let diagnostics: DiagnosticCollector

        /// Every diagnostic, in report order.
        var sorted: [Diagnostic] { diagnostics.sorted }

        /// The first line of every diagnostic, in report order.
        var firstLines: [String] {
            sorted.map { String($0.rendered.split(separator: "\n", omittingEmptySubsequences: false).first ?? "") }
        }

        /// The output, or a failure listing every diagnostic.
        func unwrap(file: StaticString = #filePath, line: UInt = #line) throws -> CompilerOutput {
            try XCTUnwrap(output, "\(sorted.map(\.rendered))", file: file, line: line)
        }
    }
}
