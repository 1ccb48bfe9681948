/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let modelSourceJob: RuleID = "NBG280"
    public static let modelSourceVolume: RuleID = "NBG281"
    public static let modelImageNotPushed: RuleID = "NBG282"
    public static let modelcarDisabled: RuleID = "NBG283"
    public static let servedClaimUnwritten: RuleID = "NBG292"
}

/// Rules over ModelPipelines (training to serving: a model a notebook writes to a claim, served by KServe
/// from `pvc://`). The planner derives the InferenceService's `storageUri` from the job's own
/// volume, so a `pvc://` pointing at a claim or path no job writes cannot be written; what
/// remains to check is that the named job and volume exist as the pipeline says, and that the
/// claim holds the model. A ReadWriteOnce claim shared by the writing Job and the predictor is
/// NBG200 (the predictor is a workload mounting the claim).
enum ModelPipelineRules {
    /// NBG280: `source.notebookOutput.job` must name a NotebookValidationJob of the specs that
    /// is planned in this environment.
    static let sourceJob = PlanRule(
        .modelSourceJob, .error, "a ModelPipeline serves the output of a NotebookValidationJob that is not planned",
        waivable: false
    ) { context in
        for pipeline in context.specs.modelPipelines
        where EnvironmentPlanner.isPlanned(annotations: pipeline.annotations, on: context.platform) {
            guard let name = pipeline.notebookOutput?.job else { continue }
            if let job = context.specs.jobs.first(where: { $0.name.value == name.value }) {
                guard !EnvironmentPlanner.isPlanned(job, on: context.platform) else { continue }
                context.report(
                    "ModelPipeline '\(pipeline.name.value)' serves the output of job '\(name.value)', which is not planned on \(context.platform.rawValue) (its \(AnnotationKey.platforms) annotation)",
                    at: name.location,
                    help: "annotate the ModelPipeline and the job for the same platforms, or plan the job here too",
                    subject: subject(pipeline))
                continue
            }
            let known = context.specs.jobs.map(\.name.value)
            context.report(
                "ModelPipeline '\(pipeline.name.value)' serves the output of job '\(name.value)', but no NotebookValidationJob has that name",
                at: name.location,
                help: Suggestions.closest(to: name.value, in: known).map { "did you mean '\($0)'?" }
                    ?? "name a NotebookValidationJob of the specs (\(known.isEmpty ? "there are none" : known.joined(separator: ", ")))",
                subject: subject(pipeline))
        }
    }

    /// NBG281, and NBG260 for a claim smaller than `size.model`: `source.notebookOutput.volume`
    /// must be a persistentVolumeClaim volume of the job that the job mounts read-write (where
    /// the notebook writes the model), and the claim must hold the model.
    static let sourceVolume = PlanRule(
        .modelSourceVolume, .error,
        "a ModelPipeline's volume is not a persistentVolumeClaim its job mounts read-write", waivable: false,
        alsoReports: [.claimTooSmall]
    ) { context in
        for pipeline in context.specs.modelPipelines
        where EnvironmentPlanner.isPlanned(annotations: pipeline.annotations, on: context.platform) {
            guard let source = pipeline.notebookOutput,
                let job = context.plannedJobs.first(where: { $0.name.value == source.job.value })
            else { continue }
            guard
                let resolved = ModelPipelinePlanner.resolve(
                    pipeline, specs: context.specs, naming: context.environment.naming, platform: context.platform)
            else {
                let volume = job.podConfig.volumes.first { $0.name.value == source.volume.value }
                let why: String
                switch volume?.source {
                case nil: why = "job '\(job.name.value)' has no volume '\(source.volume.value)'"
                case .persistentVolumeClaim(_, true)?:
                    why = "job '\(job.name.value)' mounts its claim read-only, so the notebook cannot write the model"
                case .persistentVolumeClaim?:
                    why = "job '\(job.name.value)' declares volume '\(source.volume.value)' but mounts it nowhere read-write"
                default: why = "volume '\(source.volume.value)' of job '\(job.name.value)' is not a persistentVolumeClaim"
                }
                let claims = job.podConfig.volumes.compactMap { volume -> String? in
                    if case .persistentVolumeClaim = volume.source { return volume.name.value }
                    return nil
                }
                context.report(
                    "ModelPipeline '\(pipeline.name.value)' cannot serve from volume '\(source.volume.value)': \(why)",
                    at: source.volume.location,
                    help: claims.isEmpty
                        ? "give job '\(job.name.value)' a persistentVolumeClaim volume, mounted read-write, that the notebook writes the model to"
                        : "name one of the job's claim volumes (\(claims.joined(separator: ", "))), mounted read-write",
                    subject: subject(pipeline))
                continue
            }
            // The claim as this environment gets it: passed through from the specs, or nbgitops' own.
            guard
                let claim = context.plan.objects.first(where: {
                    $0.kind == "PersistentVolumeClaim" && $0.name == resolved.claim.value
                }),
                let capacity = Quantity.value(claim.manifest.value(at: "spec.resources.requests.storage")),
                let model = Quantity.value(pipeline.modelSize.value), model > capacity
            else { continue }
            let requested = claim.manifest.value(at: "spec.resources.requests.storage")?.stringValue ?? "?"
            context.report(
                "PersistentVolumeClaim '\(resolved.claim.value)' requests \(requested), less than the \(pipeline.modelSize.value) model ModelPipeline '\(pipeline.name.value)' serves from it",
                at: pipeline.modelSize.location, rule: .claimTooSmall,
                help:
                    "raise the claim's resources.requests.storage (or storage.claimSize for a claim nbgitops creates) above size.model",
                notes: [DiagnosticNote("the claim is defined here", at: claim.sources.first)], subject: subject(pipeline))
        }
    }

    /// NBG282: an InferenceService serving `oci://<repository>:<tag>` (a ModelCar image) whose
    /// repository a Tekton object of the plan pushes, but never with that tag. The
    /// private-ai-demo pipelines (a ModelCar pipeline) served `…:fp16-2501` while pushing
    /// `…:fp-2501`: the predictor pulled an image that did not exist and never became ready. A
    /// repository no pipeline of the plan mentions is an image built elsewhere and not checked; a
    /// tag made of Tekton parameters (`$(params.tag)`) cannot be read statically and is skipped.
    static let imageNotPushed = PlanRule(
        .modelImageNotPushed, .error,
        "an InferenceService serves a ModelCar image tag that the pipeline pushing its repository never pushes"
    ) { context in
        let tekton = context.plan.objects.filter(\.isTekton)
        for (service, path, uri) in modelcarURIs(context.plan.objects) {
            let reference = String(uri.dropFirst("oci://".count))
            guard let repository = repositoryOf(reference), repository != reference else { continue }
            var pushed: [String] = []
            for object in tekton {
                for (_, text) in PlatformRules.strings(
                    object.manifest, path: "", matching: { $0.contains(repository) ? $0 : nil })
                {
                    pushed += references(of: repository, in: text)
                }
            }
            guard !pushed.isEmpty, !pushed.contains(reference), !pushed.contains(where: { $0.contains("$(") }) else {
                continue
            }
            context.report(
                "InferenceService '\(service.name)' serves \(uri), but the pipeline pushing \(repository) pushes only \(Set(pushed).sorted().joined(separator: ", ")); the predictor would pull an image that does not exist",
                at: context.location(of: service, path: path),
                help: "serve the tag the pipeline pushes, or let a ModelPipeline derive the storageUri from its own push",
                subject: context.subject(for: service))
        }
    }

    /// NBG283: an InferenceService serving an `oci://` (ModelCar) storageUri in an environment
    /// whose overlay declares `kserve.enableModelcar: false`: KServe's storage initializer then
    /// refuses the URI (kserve `pkg/webhook/admission/pod/storage_initializer_injector.go`,
    /// "OCI modelcars is not enabled") and the predictor never starts.
    static let modelcarDisabled = PlanRule(
        .modelcarDisabled, .error, "an InferenceService serves a ModelCar (oci://) image where KServe has enableModelcar: false",
        waivable: false
    ) { context in
        let setting = context.environment.kserve.enableModelcar
        guard setting.value == false else { return }
        for (service, path, uri) in modelcarURIs(context.plan.objects) {
            context.report(
                "InferenceService '\(service.name)' serves the ModelCar image \(uri), but environment '\(context.environment.name)' declares kserve.enableModelcar: false, so KServe refuses oci:// storage URIs and the predictor never starts",
                at: context.location(of: service, path: path),
                help:
                    "set storageInitializer.enableModelcar to true in KServe's inferenceservice-config (and the overlay), or serve the model from a claim (pvc://)",
                notes: [DiagnosticNote("kserve.enableModelcar is \(setting.origin)", at: setting.origin.location)],
                subject: context.subject(for: service))
        }
    }

    /// NBG292: an InferenceService serving `pvc://<claim>/…` from a claim that no workload of
    /// the plan writes (no Job, Deployment or Tekton task mounts it read-write) and that the
    /// environment does not declare as pre-existing (`storage.existingClaims`): the predictor
    /// would serve an empty claim — or, when the claim is not created either, never start.
    /// A ModelPipeline derives its `pvc://` from the claim its job or populate run writes, so
    /// this is about InferenceServices written by hand.
    static let servedClaimUnwritten = PlanRule(
        .servedClaimUnwritten, .error, "an InferenceService serves pvc:// from a claim nothing writes"
    ) { context in
        let existing = Set(context.environment.storage.existingClaims.value)
        var writers: Set<String> = []
        for unit in context.units where unit.object.kind != "InferenceService" {
            for use in unit.claims where !use.readOnly && use.isNamedClaim { writers.insert(use.claim) }
        }
        for unit in context.units where unit.object.kind == "InferenceService" {
            for use in unit.claims where !writers.contains(use.claim) && !existing.contains(use.claim) {
                context.report(
                    "InferenceService '\(unit.object.name)' serves its model from claim '\(use.claim)', but no Job, Deployment or Tekton task of the environment writes that claim; the predictor would load an empty or missing model",
                    at: context.location(of: unit.object, path: use.path),
                    help:
                        "let a ModelPipeline derive the storageUri (source.notebookOutput or huggingFace with delivery: pvc), mount the claim read-write in the job that writes the model, or list a claim populated outside git in storage.existingClaims",
                    subject: context.subject(for: unit.object))
            }
        }
    }

    /// Every InferenceService's `oci://` (ModelCar) `storageUri` among `objects`: the service,
    /// the field's path and the URI.
    static func modelcarURIs(_ objects: [PlannedObject]) -> [(service: PlannedObject, path: String, uri: String)] {
        objects.filter { $0.kind == "InferenceService" }.flatMap { service in
            PlatformRules.strings(service.manifest, path: "") { text in text.hasPrefix("oci://") ? text : nil }
                .filter { $0.path.hasSuffix("storageUri") }.map { (service, $0.path, $0.value) }
        }
    }

    /// `registry/repo` of `registry/repo:tag` or `registry/repo@sha256:…`.
    static func repositoryOf(_ reference: String) -> String? {
        if let at = reference.firstIndex(of: "@") { return String(reference[..<at]) }
        let lastSlash = reference.lastIndex(of: "/") ?? reference.startIndex
        guard let colon = reference[lastSlash...].lastIndex(of: ":") else { return nil }
        return String(reference[..<colon])
    }

    /// The `repository:tag` / `repository@digest` references in a text (a parameter value, a
    /// script line), cut at whitespace and quotes.
    static func references(of repository: String, in text: String) -> [String] {
        var result: [String] = []
        var rest = Substring(text)
        while let range = rest.range(of: repository) {
            let after = rest[range.upperBound...]
            if let next = after.first, next == ":" || next == "@" {
                let token = after.prefix { !$0.isWhitespace && $0 != "\"" && $0 != "'" && $0 != "," }
                result.append(repository + token)
            }
            rest = after
        }
        return result
    }

    static func subject(_ pipeline: ModelPipeline) -> DocumentKey {
        DocumentKey(file: pipeline.file, index: pipeline.documentIndex)
    }
}
