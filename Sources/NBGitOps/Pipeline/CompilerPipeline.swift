import Foundation

// nbgitops is a compiler in stages; data flows one way and each stage has one job:
//
//   load     bytes → YAML node trees with source marks (libyaml)            Load/
//   decode   trees → typed specs, overlays and project, with diagnostics    Decode/, Resolve/Overlay.swift
//   resolve  overlay stack → one Environment; values remember their origin  Resolve/
//   plan     specs × environment → typed Kubernetes objects                 Plan/
//   patch    overlays' extra metadata and patches on the planned objects    Patch/
//   check    rules over the planned objects                                 Check/
//   render   objects → deterministic YAML bytes (libyaml emitter)           Render/, Plan/OutputLayout
//   write    atomic swap of owned files only                                Write/
//
// Diagnostics are collected per stage; the pipeline stops between stages once an error was
// reported, so a run with errors never reaches `write`. The file system is read here (inputs)
// and written only by the executable through `Write/`.

/// Where the delivery objects point: the output folder as a path inside the repository that
/// Argo CD or Flux clone.
public struct DeliveryTarget: Sendable, Hashable {
    /// The output folder relative to the repository root (`gitops`, `""` for the root itself);
    /// nil when the output lies outside the repository (a preview into `/tmp`): delivery
    /// objects then need `delivery.path` from an overlay.
    public var outputPath: String?
    /// The repository root (absolute), for messages.
    public var repositoryRoot: String
    /// Project renders must deliver: a missing or invalid delivery setting is an error
    /// (`NBG166`). Ad-hoc renders deliver only when an overlay names the repository, and
    /// otherwise leave the delivery objects out with a warning (`NBG167`).
    public var required: Bool
    /// The project's `metadata.name`, which qualifies the delivery objects' names
    /// (`DeliveryNames`), and where the project file says it; nil outside a project.
    public var projectName: String?
    public var projectNameLocation: SourceLocation?

    public init(
        outputPath: String?, repositoryRoot: String, required: Bool, projectName: String? = nil,
        projectNameLocation: SourceLocation? = nil
    ) {
        self.outputPath = outputPath
        self.repositoryRoot = repositoryRoot
        self.required = required
        self.projectName = projectName
        self.projectNameLocation = projectNameLocation
    }

    /// A project rendering into `outputPath` of its repository.
    public static func project(outputPath: String) -> DeliveryTarget {
        DeliveryTarget(outputPath: outputPath, repositoryRoot: ".", required: true)
    }
}

/// What one compiler run is asked to do.
public struct CompilerInput: Sendable {
    public var specFiles: [SpecFileFinder.Found]
    public var environments: [EnvironmentRequest]
    /// The folder overlay paths are relative to.
    public var baseDirectory: String
    public var resources: ResourceRoot
    /// Where the delivery objects point (the output folder inside the repository).
    public var delivery: DeliveryTarget
    public var limits: LoadLimits
    /// Whether `CompilerOutput.plans` holds the plans (`explain`, `diff`, `--stdout`, tests).
    /// When false, each environment's plan is released once rendered.
    public var retainPlans: Bool
    /// At most this many threads for the run's stages (nil: one per core, or `NBGITOPS_THREADS`).
    public var threads: Int? = nil
    /// The output folder already rendered (`render` and `check` set it): an object that keeps
    /// its name there while a field the API server refuses to update changes is an error
    /// (`ImmutableFieldComparison`, NBG173). Nil: nothing is compared.
    public var previousOutputRoot: String? = nil
    /// Overlay files given by path must resolve (symbolic links followed) inside this folder:
    /// the repository, for a project file's overlays (nil: anywhere, for the command line's).
    public var overlayRoot: String? = nil
    /// The project's `nbgitops.lock` (nil: none): its branch and tag refs are replaced by their
    /// locked commits after decoding; a branch or tag it lacks is a warning (NBG184).
    public var refLock: RefLock? = nil

    public init(
        specFiles: [SpecFileFinder.Found], environments: [EnvironmentRequest], baseDirectory: String,
        resources: ResourceRoot, delivery: DeliveryTarget, limits: LoadLimits = .standard, retainPlans: Bool = true
    ) {
        self.specFiles = specFiles
        self.environments = environments
        self.baseDirectory = baseDirectory
        self.resources = resources
        self.delivery = delivery
        self.limits = limits
        self.retainPlans = retainPlans
    }

    /// A project's run whose output folder is `outputName` inside the repository (tests).
    public init(
        specFiles: [SpecFileFinder.Found], environments: [EnvironmentRequest], baseDirectory: String,
        resources: ResourceRoot, outputName: String, limits: LoadLimits = .standard, retainPlans: Bool = true
    ) {
        self.init(
            specFiles: specFiles, environments: environments, baseDirectory: baseDirectory, resources: resources,
            delivery: .project(outputPath: outputName), limits: limits, retainPlans: retainPlans)
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
    /// Seconds each Check-stage rule took (summed over environments), costliest first, ties
    /// by id; and the time spent building the facts the rules share.
    public var ruleTimings: [(rule: RuleID, seconds: Double)] = []
    public var sharedCheckSeconds = 0.0
}

public enum CompilerPipeline {
    /// Runs load → decode → resolve → plan → check → render. Returns nil when any error was
    /// reported (nothing may then be written).
    public static func run(_ input: CompilerInput, diagnostics: DiagnosticCollector) -> CompilerOutput? {
        // A secret-scan pattern that does not compile stops here, before any input is read.
        SecretPatterns.checkCompiled()
        return Parallel.withLimit(input.threads) { runStages(input, diagnostics: diagnostics) }
    }

    /// Load and decode only, as written (no lock applied): what `nbgitops lock` resolves. Nil
    /// when an error was reported.
    public static func decodeSpecs(_ input: CompilerInput, diagnostics: DiagnosticCollector) -> SpecSet? {
        var documents: [YAMLDocument] = []
        for file in input.specFiles {
            documents +=
                file.contents.map {
                    YAMLLoader.load(bytes: $0, file: file.displayPath, limits: input.limits, diagnostics: diagnostics)
                }
                ?? YAMLLoader.load(
                    path: file.path, displayName: file.displayPath, limits: input.limits, diagnostics: diagnostics)
        }
        guard !diagnostics.hasErrors else { return nil }
        let specs = SpecDecoder.decode(documents, diagnostics: diagnostics)
        return diagnostics.hasErrors ? nil : specs
    }

    private static func runStages(_ input: CompilerInput, diagnostics: DiagnosticCollector) -> CompilerOutput? {
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
                let local = DiagnosticCollector()
                let documents =
                    file.contents.map {
                        YAMLLoader.load(bytes: $0, file: file.displayPath, limits: limits, diagnostics: local)
                    }
                    ?? YAMLLoader.load(path: file.path, displayName: file.displayPath, limits: limits, diagnostics: local)
                return (documents, local.diagnostics)
            }
            var documents: [YAMLDocument] = []
            for (fileDocuments, reported) in loaded {
                documents += fileDocuments
                for diagnostic in reported { diagnostics.report(diagnostic) }
            }
            lap("load")
            guard !diagnostics.hasErrors else { return nil }
            let decoded = SpecDecoder.decode(documents, diagnostics: diagnostics)
            specs = input.refLock.map { $0.apply(to: decoded, diagnostics: diagnostics) } ?? decoded
        }
        let planResources = PlanResources.load(from: input.resources, diagnostics: diagnostics)
        lap("decode")
        guard !diagnostics.hasErrors else { return nil }

        // Resolve.
        var environments: [Environment] = []
        // Each environment's overlay patches and extra metadata (Patch/), applied after planning.
        var patchSets: [PatchSet] = []
        for request in input.environments {
            var overlays: [Overlay] = []
            for name in request.overlays {
                guard
                    let reference = OverlayLoader.locate(
                        name, baseDirectory: input.baseDirectory, resourceRoot: input.resources.path, diagnostics: diagnostics),
                    OverlayLoader.isConfined(reference, to: input.overlayRoot, at: name.location, diagnostics: diagnostics),
                    let overlay = OverlayLoader.load(reference, resourceRoot: input.resources.path, diagnostics: diagnostics)
                else { continue }
                overlays.append(overlay)
            }
            environments.append(
                EnvironmentResolver.resolve(
                    name: request.name.value, overlays: overlays, definedAt: request.name.location, diagnostics: diagnostics))
            patchSets.append(
                PatchLoader.load(
                    overlays, resourceRoot: input.resources.path, overlayRoot: input.overlayRoot, diagnostics: diagnostics))
        }
        lap("resolve")
        guard !diagnostics.hasErrors else { return nil }

        // Plan, check and render one environment at a time, each stage parallel inside (jobs,
        // rules, files): only one environment's object trees are alive at once, so peak
        // memory does not grow with the number of environments. As with whole stages, an
        // error stops the run before anything later: once any environment's plan or check
        // has failed, the remaining environments are still planned (to report their errors)
        // but neither checked nor rendered.
        let session = RuleSession(specs: specs, diagnostics: diagnostics)
        var plans: [EnvironmentPlan] = []
        var files: [String: [OutputFile]] = [:]
        var seconds = (plan: 0.0, check: 0.0, render: 0.0)
        // Input errors (load, decode, resolve) stop the checks: the specs may be partial. Errors
        // the checks find in one environment stop rendering, but every environment is checked,
        // so one run reports them all.
        let inputFailed = diagnostics.hasErrors
        for (environment, patches) in zip(environments, patchSets) {
            var started = Date()
            // The plan lives in a box so that releasing it (freeing every tree node, a large
            // cost at thousands of jobs) can happen on another thread, overlapping the next
            // environment's work, instead of at the end of this iteration.
            let patchErrors = diagnostics.errorCount
            let box = PlanBox(
                PlanPatcher.apply(
                    patches,
                    to: EnvironmentPlanner.plan(
                        specs: specs, environment: environment, resources: planResources, delivery: input.delivery,
                        recordProvenance: input.retainPlans), diagnostics: diagnostics))
            defer { if !input.retainPlans { box.releaseInBackground() } }
            seconds.plan += Date().timeIntervalSince(started)
            // The Plan stage reports nothing: what it cannot build, the Check stage's rules report.
            // A patch that could not apply stops this environment before its checks.
            guard !inputFailed, diagnostics.errorCount == patchErrors else { continue }

            started = Date()
            box.use { plan in session.check(plan) }
            seconds.check += Date().timeIntervalSince(started)
            guard !diagnostics.hasErrors else { continue }

            started = Date()
            box.use { plan in
                let rendered = OutputLayout.files(for: plan, diagnostics: diagnostics)
                files[plan.environment.name] = rendered
                if input.retainPlans { plans.append(plan) }
                if let root = input.previousOutputRoot {
                    compareWithPrevious(
                        plan, files: rendered, root: root, specs: specs, resources: planResources, input: input,
                        diagnostics: diagnostics)
                }
            }
            seconds.render += Date().timeIntervalSince(started)
        }
        if !diagnostics.hasErrors { session.finish() }
        let peak = peakResidentKiB()
        timings += [("plan", seconds.plan, peak), ("check", seconds.check, peak), ("render", seconds.render, peak)]
        guard !diagnostics.hasErrors else { return nil }
        var output = CompilerOutput(specs: specs, plans: plans, files: files, timings: timings)
        output.ruleTimings = session.ruleSeconds.map { (rule: $0.key, seconds: $0.value) }
            .sorted { ($1.seconds, $0.rule.rawValue) < ($0.seconds, $1.rule.rawValue) }
        output.sharedCheckSeconds = session.sharedSeconds
        return output
    }
}

/// Reports the objects of `plan` that keep their name in the tree under `root` while an
/// immutable field changes. A plan rendered without provenance is planned again with it (only
/// when there is something to report), so the error names the line that set the field.
private func compareWithPrevious(
    _ plan: EnvironmentPlan, files: [OutputFile], root: String, specs: SpecSet, resources: PlanResources,
    input: CompilerInput, diagnostics: DiagnosticCollector
) {
    let found = ImmutableFieldComparison.violations(in: plan, files: files, outputRoot: root)
    guard !found.isEmpty else { return }
    let located =
        input.retainPlans
        ? plan
        : EnvironmentPlanner.plan(
            specs: specs, environment: plan.environment, resources: resources, delivery: input.delivery,
            recordProvenance: true)
    let objects = located.objects + located.buildObjects + located.servingObjects + located.deliveryObjects
    // Objects copied from the spec files: the line of their document that wrote the field.
    let copied = Dictionary(specs.supportingObjects.map { ($0.location, $0) }, uniquingKeysWith: { first, _ in first })
    ImmutableFieldComparison.report(
        found, environment: plan.environment.name,
        located: { object in
            objects.first {
                $0.kind == object.kind && $0.name == object.name && $0.namespace == object.namespace
                    && $0.apiVersion == object.apiVersion
            } ?? object
        },
        written: { object, path in object.sources.first.flatMap { copied[$0] }?.sourceMap.nearest(path) },
        diagnostics: diagnostics)
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
    /// Guards `stored`: the disposal queue clears it while the pipeline thread may read it.
    private let lock = NSLock()
    private var stored: EnvironmentPlan?

    init(_ plan: EnvironmentPlan) { stored = plan }

    func use(_ body: (EnvironmentPlan) -> Void) {
        lock.lock()
        let plan = stored
        lock.unlock()
        if let plan { body(plan) }
    }

    private func clear() {
        lock.lock()
        let plan = stored
        stored = nil
        lock.unlock()
        withExtendedLifetime(plan) {}  // the last reference dies here, outside the lock
    }

    /// With one thread allowed (`NBGITOPS_THREADS=1`) the plan is freed here, on this thread.
    func releaseInBackground() {
        if Parallel.effectiveThreads < 2 {
            clear()
        } else {
            Self.disposal.async { self.clear() }
        }
    }
}
