import Foundation

// nbgitops is a compiler in stages; data flows one way and each stage has one job:
//
//   load     bytes → YAML node trees with source marks (libyaml)            Load/
//   decode   trees → typed specs, overlays and project, with diagnostics    Decode/, Resolve/Overlay.swift
//   resolve  overlay stack → one Environment; values remember their origin  Resolve/
//   plan     specs × environment → typed Kubernetes objects                 Plan/
//   check    rules over the planned objects                                 Check/
//   render   objects → deterministic YAML bytes (libyaml emitter)           Render/, Plan/OutputLayout
//   write    atomic swap of owned files only                                Write/
//
// Diagnostics are collected per stage; the pipeline stops between stages once an error was
// reported, so a run with errors never reaches `write`. The file system is read here (inputs)
// and written only by the executable through `Write/`.

/// Where the compiler's own resources live: `overlays/` (built-in overlays) and `templates/`
/// (scripts and YAML bodies).
public struct ResourceRoot: Sendable {
    public var path: String

    public init(path: String) {
        self.path = path
    }

    public static func isValid(_ path: String) -> Bool {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        return manager.fileExists(atPath: (path as NSString).appendingPathComponent("overlays"), isDirectory: &isDirectory)
            && isDirectory.boolValue
            && manager.fileExists(atPath: (path as NSString).appendingPathComponent("templates/scripts"))
    }

    /// `NBGITOPS_HOME`, else the first of `startingPoints` or their ancestors holding both folders.
    public static func discover(startingPoints: [String]) -> ResourceRoot? {
        if let home = ProcessInfo.processInfo.environment["NBGITOPS_HOME"], isValid(home) {
            return ResourceRoot(path: home)
        }
        for start in startingPoints {
            var current = URL(fileURLWithPath: start).standardizedFileURL
            for _ in 0..<12 {
                if isValid(current.path) { return ResourceRoot(path: current.path) }
                let parent = current.deletingLastPathComponent()
                if parent.path == current.path { break }
                current = parent
            }
        }
        return nil
    }

    /// The pod scripts shipped in `templates/scripts/` (top level only; tests excluded).
    public func scripts(diagnostics: DiagnosticCollector) -> [ScriptFile] {
        let folder = (path as NSString).appendingPathComponent("templates/scripts")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".sh") || $0.hasSuffix(".py") }.sorted()
        return names.compactMap { name in
            let file = (folder as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                diagnostics.error(.ioRead, "cannot read template script", at: .startOf("templates/scripts/\(name)"))
                return nil
            }
            return ScriptFile(name: name, contents: text)
        }
    }

    /// The image-build templates: Tekton Tasks and scripts in `templates/tekton/`, Argo CD
    /// health checks in `templates/argocd/`. Missing folders give empty templates (the Plan
    /// stage reports NBG153 only when a job actually builds).
    public func buildTemplates(diagnostics: DiagnosticCollector) -> BuildTemplates {
        var templates = BuildTemplates()
        let manager = FileManager.default
        let tekton = (path as NSString).appendingPathComponent("templates/tekton")
        for name in ((try? manager.contentsOfDirectory(atPath: tekton)) ?? []).sorted() {
            let file = (tekton as NSString).appendingPathComponent(name)
            let display = "templates/tekton/\(name)"
            if name.hasSuffix(".yaml") {
                for document in YAMLLoader.load(path: file, displayName: display, diagnostics: diagnostics) {
                    templates.tasks.append(
                        BuildTemplates.Template(
                            file: display, manifest: ManifestConversion.convert(document.root)))
                }
            } else if name.hasSuffix(".sh"), let text = Self.text(file) {
                templates.scripts.append(ScriptFile(name: name, contents: text))
            }
        }
        return templates
    }

    private static func text(_ file: String) -> String? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return String(data: data, encoding: .utf8)
    }
}

/// What one compiler run is asked to do.
public struct CompilerInput: Sendable {
    public var specFiles: [SpecFileFinder.Found]
    public var environments: [EnvironmentRequest]
    /// The folder overlay paths are relative to.
    public var baseDirectory: String
    public var resources: ResourceRoot
    /// The output folder as named in the project (used for delivery paths, e.g. `gitops`).
    public var outputName: String
    public var limits: LoadLimits
    /// Whether `CompilerOutput.plans` holds the plans (`explain`, `diff`, `--stdout`, tests).
    /// When false, each environment's plan is released once rendered.
    public var retainPlans: Bool

    public init(
        specFiles: [SpecFileFinder.Found], environments: [EnvironmentRequest], baseDirectory: String,
        resources: ResourceRoot, outputName: String, limits: LoadLimits = .standard, retainPlans: Bool = true
    ) {
        self.specFiles = specFiles
        self.environments = environments
        self.baseDirectory = baseDirectory
        self.resources = resources
        self.outputName = outputName
        self.limits = limits
        self.retainPlans = retainPlans
    }
}

/// What one run produced, per environment.
public struct CompilerOutput: Sendable {
    public var specs: SpecSet
    public var plans: [EnvironmentPlan]
    /// Rendered files per environment name, paths relative to the output root.
    public var files: [String: [OutputFile]]
    /// Seconds spent per stage, in stage order, with the process's peak resident memory (KiB)
    /// at the end of the stage (0 where the platform does not report it).
    public var timings: [(stage: String, seconds: Double, peakKiB: Int)]
}

public enum CompilerPipeline {
    /// Runs load → decode → resolve → plan → check → render. Returns nil when any error was
    /// reported (nothing may then be written).
    public static func run(_ input: CompilerInput, diagnostics: DiagnosticCollector) -> CompilerOutput? {
        var timings: [(String, Double, Int)] = []
        var clock = Date()
        func lap(_ stage: String) {
            let now = Date()
            timings.append((stage, now.timeIntervalSince(clock), peakResidentKiB()))
            clock = now
        }

        // Load and decode. The YAML trees live only in this scope: once decoded they are
        // freed, before planning builds the (much larger) output trees.
        let specs: SpecSet
        do {
            // Files load independently: in parallel, merged in file order.
            let limits = input.limits
            let loaded = Parallel.map(input.specFiles) { file -> ([YAMLDocument], [Diagnostic]) in
                let local = DiagnosticCollector(limit: diagnostics.limit)
                let documents = YAMLLoader.load(
                    path: file.path, displayName: file.displayPath, limits: limits, diagnostics: local)
                return (documents, local.diagnostics)
            }
            var documents: [YAMLDocument] = []
            for (fileDocuments, reported) in loaded {
                documents += fileDocuments
                for diagnostic in reported { diagnostics.report(diagnostic) }
            }
            lap("load")
            guard !diagnostics.hasErrors else { return nil }
            specs = SpecDecoder.decode(documents, diagnostics: diagnostics)
        }
        let scripts = input.resources.scripts(diagnostics: diagnostics)
        let buildTemplates = input.resources.buildTemplates(diagnostics: diagnostics)
        let healthScripts = input.resources.argoHealthScripts(diagnostics: diagnostics)
        lap("decode")
        guard !diagnostics.hasErrors else { return nil }

        // Resolve.
        var environments: [Environment] = []
        for request in input.environments {
            var overlays: [Overlay] = []
            for name in request.overlays {
                guard
                    let reference = OverlayLoader.locate(
                        name, baseDirectory: input.baseDirectory, resourceRoot: input.resources.path, diagnostics: diagnostics),
                    let overlay = OverlayLoader.load(reference, resourceRoot: input.resources.path, diagnostics: diagnostics)
                else { continue }
                overlays.append(overlay)
            }
            environments.append(
                EnvironmentResolver.resolve(name: request.name.value, overlays: overlays, diagnostics: diagnostics))
        }
        lap("resolve")
        guard !diagnostics.hasErrors else { return nil }

        // Plan, check and render one environment at a time, each stage parallel inside (jobs,
        // rules, files): only one environment's object trees are alive at once, so peak
        // memory does not grow with the number of environments. As with whole stages, an
        // error stops the run before anything later: once any environment's plan or check
        // has failed, the remaining environments are still planned (to report their errors)
        // but neither checked nor rendered.
        let outputName = input.outputName
        let session = RuleSession(specs: specs, diagnostics: diagnostics)
        var plans: [EnvironmentPlan] = []
        var files: [String: [OutputFile]] = [:]
        var seconds = (plan: 0.0, check: 0.0, render: 0.0)
        var failed = diagnostics.hasErrors
        for environment in environments {
            var started = Date()
            let local = DiagnosticCollector(limit: diagnostics.limit)
            // The plan lives in a box so that releasing it (freeing every tree node, a large
            // cost at thousands of jobs) can happen on another thread, overlapping the next
            // environment's work, instead of at the end of this iteration.
            let box = PlanBox(
                ArgoHealthPlanner.adding(
                    healthScripts,
                    to: EnvironmentPlanner.plan(
                        specs: specs, environment: environment, scripts: scripts, outputRoot: outputName,
                        buildTemplates: buildTemplates, diagnostics: local),
                    outputRoot: OutputLayout.normalizeRoot(outputName), diagnostics: local))
            defer { if !input.retainPlans { box.releaseInBackground() } }
            for diagnostic in local.diagnostics { diagnostics.report(diagnostic) }
            seconds.plan += Date().timeIntervalSince(started)
            failed = failed || local.hasErrors
            guard !failed else { continue }

            started = Date()
            box.use { plan in
                session.check(plan)
                DeliveryChecks.check(plan, diagnostics: diagnostics)
            }
            seconds.check += Date().timeIntervalSince(started)
            failed = diagnostics.hasErrors
            guard !failed else { continue }

            started = Date()
            box.use { plan in
                files[plan.environment.name] = OutputLayout.files(for: plan, outputRoot: input.outputName)
                if input.retainPlans { plans.append(plan) }
            }
            seconds.render += Date().timeIntervalSince(started)
        }
        if !failed { session.finish() }
        let peak = peakResidentKiB()
        timings += [("plan", seconds.plan, peak), ("check", seconds.check, peak), ("render", seconds.render, peak)]
        guard !diagnostics.hasErrors else { return nil }
        return CompilerOutput(specs: specs, plans: plans, files: files, timings: timings)
    }
}

/// The process's peak resident set so far, in KiB (Linux reports `ru_maxrss` in KiB, Darwin
/// in bytes).
func peakResidentKiB() -> Int {
    var usage = rusage()
    #if os(Linux)
        let who = RUSAGE_SELF.rawValue
    #else
        let who = RUSAGE_SELF
    #endif
    guard getrusage(who, &usage) == 0 else { return 0 }
    #if os(Linux)
        return Int(usage.ru_maxrss)
    #else
        return Int(usage.ru_maxrss) / 1024
    #endif
}

/// Holds one environment's plan for the pipeline loop, which reaches it only through `use`
/// (no other strong reference outlives a stage); `releaseInBackground` then drops it on a
/// utility queue, so the tree nodes are freed off the critical path.
private final class PlanBox: @unchecked Sendable {
    private static let disposal = DispatchQueue(label: "nbgitops.plan-disposal", qos: .utility)
    private var stored: EnvironmentPlan?

    init(_ plan: EnvironmentPlan) { stored = plan }

    func use(_ body: (EnvironmentPlan) -> Void) {
        if let stored { body(stored) }
    }

    /// With one thread allowed (`NBGITOPS_THREADS=1`) the plan is freed here, on this thread.
    func releaseInBackground() {
        if Parallel.effectiveThreads < 2 {
            stored = nil
        } else {
            Self.disposal.async { self.stored = nil }
        }
    }
}
