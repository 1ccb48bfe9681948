import Foundation

/// What a command line asks of `render`, `check`, `explain` and `diff`, before anything is
/// looked up: the project file (or the spec files and overlays of an ad-hoc environment), the
/// environments, where output goes, and the facts of the process (current folder,
/// `NBGITOPS_HOME`, the executable).
public struct InvocationRequest: Sendable {
    /// Ad-hoc mode: spec files or folders (relative to `currentDirectory`).
    public var specs: [String] = []
    /// Ad-hoc mode: overlay names or paths, in stacking order.
    public var overlays: [String] = []
    /// Ad-hoc mode: the output folder (anywhere).
    public var output: String?
    /// Ad-hoc mode: the environment's name.
    public var adHocName: String = "default"
    /// The project file; nil: `nbgitops.yaml` searched upward from `currentDirectory`.
    public var config: String?
    /// Only these environments of the project (all when empty).
    public var environments: [String] = []
    /// The repository root delivery paths are relative to; nil: the git work tree holding the
    /// project (or the current folder, ad hoc), else the project folder.
    public var repositoryRoot: String?
    public var currentDirectory: String
    /// `NBGITOPS_HOME`.
    public var resourceHome: String?
    /// The running executable's real path (its resources are found relative to it).
    public var executablePath: String?

    public init(currentDirectory: String, resourceHome: String?, executablePath: String?) {
        self.currentDirectory = currentDirectory
        self.resourceHome = resourceHome
        self.executablePath = executablePath
    }

    public var isAdHoc: Bool { !specs.isEmpty }
}

/// A compile ready to run: the pipeline input plus where its output goes and how paths are shown.
public struct PreparedRun: Sendable {
    public var input: CompilerInput
    /// The output folder to write or compare (absolute).
    public var outputRoot: String
    /// The output folder as printed (diff headers, `explain`): relative to the repository root
    /// when inside it, so `check`'s diffs apply with `git apply` from there; else absolute.
    public var displayOutputRoot: String
    /// The repository root (absolute).
    public var repositoryRoot: String
    /// The folder diagnostics' file paths are relative to (the project folder, or the current
    /// folder ad hoc), relative to the repository root: `""` when it is the root. SARIF
    /// artifact URIs are prefixed with it.
    public var sourceRoot: String
    /// The project file, when the run reads one.
    public var projectFile: String?
    /// Every environment the project file defines, whatever `--env` selects (nil ad hoc): an
    /// output folder of any other name with nbgitops' ledger is a removed environment's.
    public var projectEnvironments: [String]? = nil
}

/// Turns an `InvocationRequest` into a `PreparedRun`: finds nbgitops' resources, the project
/// file, the spec files, the repository root and the delivery path. All paths shown in
/// diagnostics and written into output headers are relative to the project folder, whatever
/// folder the command runs from, so the output never depends on the current folder.
public enum Invocation {
    static let commandLine = SourceLocation(file: "<command line>", line: 1, column: 1)

    public static func prepare(_ request: InvocationRequest, diagnostics: DiagnosticCollector) -> PreparedRun? {
        guard
            let resources = ResourceRoot.locate(
                home: request.resourceHome, executable: request.executablePath, diagnostics: diagnostics)
        else { return nil }
        let current = absolute(request.currentDirectory, in: "/")
        return request.isAdHoc
            ? prepareAdHoc(request, current: current, resources: resources, diagnostics: diagnostics)
            : prepareProject(request, current: current, resources: resources, diagnostics: diagnostics)
    }

    // MARK: Project file

    static func prepareProject(
        _ request: InvocationRequest, current: String, resources: ResourceRoot, diagnostics: DiagnosticCollector
    ) -> PreparedRun? {
        let configPath: String
        if let config = request.config {
            configPath = absolute(config, in: current)
        } else {
            guard let found = findProjectFile(from: current, diagnostics: diagnostics) else { return nil }
            configPath = found
        }
        let base = (configPath as NSString).deletingLastPathComponent
        guard let project = Project.load(path: configPath, displayBase: base, diagnostics: diagnostics) else { return nil }
        var environments = project.environments
        let projectEnvironments = environments.map(\.name.value)
        if !request.environments.isEmpty {
            let known = environments.map(\.name.value)
            for name in request.environments where !known.contains(name) {
                var help = "environments: \(known.sorted().joined(separator: ", "))"
                if let suggestion = Suggestions.closest(to: name, in: known) { help = "did you mean '\(suggestion)'? " + help }
                diagnostics.error(
                    .environmentInvalid, "no environment named '\(name)' in \(project.file)", at: .startOf(project.file),
                    help: help)
            }
            environments = environments.filter { request.environments.contains($0.name.value) }
        }
        let repository = repositoryRoot(request, searchingFrom: base)
        let outputRoot = absolute(project.output.value, in: base)
        let files = SpecFileFinder.find(project.specs, baseDirectory: base, confineTo: base, diagnostics: diagnostics)
        // An output folder outside the repository is fine until a delivery object must name it:
        // the delivery planner reports that (NBG170) unless an overlay sets delivery.path.
        let outputPath = relative(outputRoot, to: repository)
        var input = CompilerInput(
            specFiles: files, environments: environments, baseDirectory: base, resources: resources,
            delivery: DeliveryTarget(
                outputPath: outputPath, repositoryRoot: repository, required: true, projectName: project.name?.value,
                projectNameLocation: project.name?.location))
        input.overlayRoot = repository
        let lockPath = (base as NSString).appendingPathComponent(RefLock.fileName)
        if FileManager.default.fileExists(atPath: lockPath) {
            input.refLock = RefLock.load(path: lockPath, displayName: RefLock.fileName, diagnostics: diagnostics)
        }
        return PreparedRun(
            input: input, outputRoot: outputRoot, displayOutputRoot: outputPath ?? outputRoot, repositoryRoot: repository,
            sourceRoot: relative(base, to: repository) ?? "", projectFile: configPath,
            projectEnvironments: projectEnvironments)
    }

    /// `nbgitops.yaml` in `start` or the nearest parent folder, searching like git: upward,
    /// but not past the root of the git work tree that holds `start`.
    public static func findProjectFile(from start: String, diagnostics: DiagnosticCollector) -> String? {
        var folder = start
        while true {
            let candidate = (folder as NSString).appendingPathComponent(Project.defaultFileName)
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            let parent = (folder as NSString).deletingLastPathComponent
            if isWorkTreeRoot(folder) || parent == folder || parent.isEmpty { break }
            folder = parent
        }
        let scope = folder == start ? "'\(start)'" : "'\(start)' or any parent folder up to '\(folder)'"
        diagnostics.error(
            .projectInvalid, "no \(Project.defaultFileName) in \(scope)", at: commandLine,
            help:
                "create a project here with `nbgitops init`, pass --config FILE, or render ad hoc: nbgitops render SPEC... --overlay NAME --output DIR"
        )
        return nil
    }

    // MARK: Ad hoc

    static func prepareAdHoc(
        _ request: InvocationRequest, current: String, resources: ResourceRoot, diagnostics: DiagnosticCollector
    ) -> PreparedRun? {
        let entries = request.specs.map { Located($0, at: commandLine) }
        let files = SpecFileFinder.find(entries, baseDirectory: current, confineTo: nil, diagnostics: diagnostics)
        let overlays = request.overlays.map { Located($0, at: commandLine) }
        let name = Located(request.adHocName, at: commandLine)
        let outputRoot = absolute(request.output ?? "gitops", in: current)
        let repository = repositoryRoot(request, searchingFrom: current)
        let outputPath = relative(outputRoot, to: repository)
        let input = CompilerInput(
            specFiles: files, environments: [EnvironmentRequest(name: name, overlays: overlays)],
            baseDirectory: current, resources: resources,
            delivery: DeliveryTarget(outputPath: outputPath, repositoryRoot: repository, required: false))
        return PreparedRun(
            input: input, outputRoot: outputRoot, displayOutputRoot: outputPath ?? outputRoot, repositoryRoot: repository,
            sourceRoot: relative(current, to: repository) ?? "", projectFile: nil)
    }

    // MARK: Repository root

    /// `--repo-root`, else the root of the git work tree holding `start`, else `start`.
    static func repositoryRoot(_ request: InvocationRequest, searchingFrom start: String) -> String {
        if let given = request.repositoryRoot { return absolute(given, in: absolute(request.currentDirectory, in: "/")) }
        return workTreeRoot(containing: start) ?? start
    }

    /// The nearest folder at or above `path` holding `.git` (a folder, or a file for worktrees
    /// and submodules).
    public static func workTreeRoot(containing path: String) -> String? {
        var folder = path
        while true {
            if isWorkTreeRoot(folder) { return folder }
            let parent = (folder as NSString).deletingLastPathComponent
            if parent == folder || parent.isEmpty { return nil }
            folder = parent
        }
    }

    static func isWorkTreeRoot(_ folder: String) -> Bool {
        FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(".git"))
    }

    // MARK: Paths

    /// `path` made absolute against `base` and standardized lexically (`.`/`..` removed).
    static func absolute(_ path: String, in base: String) -> String {
        let joined = path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
        return URL(fileURLWithPath: joined).standardized.path
    }

    /// `path` relative to `root` when it lies inside it (`""` when equal), else nil. Lexical.
    static func relative(_ path: String, to root: String) -> String? {
        if path == root { return "" }
        let prefix = root == "/" ? "/" : root + "/"
        guard path.hasPrefix(prefix) else { return nil }
        return String(path.dropFirst(prefix.count))
    }
}
