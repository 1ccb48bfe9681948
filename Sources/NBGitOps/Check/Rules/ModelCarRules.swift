/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let modelWorkspaceTooSmall: RuleID = "NBG284"
    public static let modelLayerTooLarge: RuleID = "NBG285"
    public static let modelImageFsTooSmall: RuleID = "NBG286"
    public static let modelTimeoutTooShort: RuleID = "NBG287"
    public static let modelTokenExposed: RuleID = "NBG288"
    public static let modelcarNoDestination: RuleID = "NBG289"
    public static let modelcarUID: RuleID = "NBG290"
    public static let stepEphemeralStorage: RuleID = "NBG291"
    public static let modelRunClaimKept: RuleID = "NBG338"
}

/// Rules over ModelPipelines with a Hugging Face source (a ModelCar pipeline on a GPU-tainted
/// cluster): what the sizes, the cluster and the registry make impossible, stated at the
/// spec line to change. The planner derives the workspace, the timeout and the served reference
/// by construction; these rules catch what a spec writes against them and what the cluster
/// cannot hold.
enum ModelCarRules {
    /// Hugging Face pipelines planned here, with the delivery each gets.
    static func pipelines(_ context: RuleContext) -> [(pipeline: ModelPipeline, delivery: ModelDelivery)] {
        context.specs.modelPipelines.filter {
            $0.huggingFace != nil && EnvironmentPlanner.isPlanned(annotations: $0.annotations, on: context.platform)
        }.map { ($0, HuggingFacePlanner.delivery($0, environment: context.environment).0) }
    }

    static func bytes(_ text: String) -> Double { Quantity.value(text) ?? 0 }

    /// NBG284: `workspace.size` below what the download and the packaging need (a
    /// 438 GB model in a 300Gi claim).
    static let workspace = PlanRule(
        .modelWorkspaceTooSmall, .error, "a ModelPipeline's workspace is smaller than its download and packaging need",
        waivable: false
    ) { context in
        for (pipeline, delivery) in pipelines(context) {
            guard let written = pipeline.workspaceSize else { continue }
            let (needed, formula) = HuggingFacePlanner.requiredStorage(pipeline, delivery: delivery)
            guard bytes(written.value) < needed else { continue }
            context.report(
                "workspace.size \(written.value) of ModelPipeline '\(pipeline.name.value)' is smaller than the \(HuggingFacePlanner.gibibytes(needed)) its \(delivery == .modelcar ? "download and packaging need" : "claim must hold") (\(formula)); the run fails with 'no space left on device' after hours of download",
                at: written.location,
                help:
                    "remove workspace.size (nbgitops sizes the workspace by that formula) or raise it to at least \(HuggingFacePlanner.gibibytes(needed))"
                    + (delivery == .modelcar && HuggingFacePlanner.packager(pipeline) == "buildah"
                        ? "; the olot packager needs less (the model once plus its largest file)" : ""),
                subject: ModelPipelineRules.subject(pipeline))
        }
    }

    /// NBG285: a file larger than the registry's layer limit (ModelCar: one layer per file).
    static let layer = PlanRule(
        .modelLayerTooLarge, .error, "a ModelCar layer is larger than the registry accepts", waivable: false
    ) { context in
        let limit = context.environment.models.registryLayerLimit
        for (pipeline, delivery) in pipelines(context) where delivery == .modelcar {
            // buildah writes the whole model as one layer.
            let singleLayer = HuggingFacePlanner.packager(pipeline) == "buildah"
            let largest = singleLayer ? pipeline.modelSize : (pipeline.largestFile ?? pipeline.modelSize)
            guard bytes(largest.value) > bytes(limit.value) else { continue }
            if singleLayer {
                context.report(
                    "ModelPipeline '\(pipeline.name.value)' packages its \(largest.value) model with buildah as one layer, larger than the registry's layer limit (\(limit.value)); the layer would be refused at the end of the push",
                    at: pipeline.modelcar?.packager?.location ?? largest.location,
                    help: "use the olot packager (one layer per file), or deliver the model on a claim (delivery: pvc)",
                    notes: [
                        DiagnosticNote("models.registryLayerLimit is \(limit.value): \(limit.origin)", at: limit.origin.location)
                    ],
                    subject: ModelPipelineRules.subject(pipeline))
                continue
            }
            let stated = pipeline.largestFile != nil
            context.report(
                stated
                    ? "the largest file of ModelPipeline '\(pipeline.name.value)' (\(largest.value)) is larger than the registry's layer limit (\(limit.value)); its ModelCar layer would be refused at the end of the push"
                    : "ModelPipeline '\(pipeline.name.value)' does not state size.largestFile, and its \(largest.value) model is larger than the registry's layer limit (\(limit.value)): one of its ModelCar layers may be refused at the end of the push",
                at: largest.location,
                help: stated
                    ? "deliver the model on a claim (delivery: pvc), or push to a registry with a larger limit (models.registryLayerLimit)"
                    : "state size.largestFile (the largest shard), or deliver the model on a claim (delivery: pvc)",
                notes: [
                    DiagnosticNote("models.registryLayerLimit is \(limit.value): \(limit.origin)", at: limit.origin.location)
                ],
                subject: ModelPipelineRules.subject(pipeline))
        }
    }

    /// NBG286: a ModelCar larger than a serving node's free image filesystem: the kubelet
    /// unpacks the image there before the predictor starts.
    static let imageFilesystem = PlanRule(
        .modelImageFsTooSmall, .error, "a ModelCar image does not fit a serving node's image filesystem", waivable: false
    ) { context in
        let free = context.environment.models.nodeImageFsFree
        guard let available = free.value else { return }
        for (pipeline, delivery) in pipelines(context) where delivery == .modelcar {
            let needed = bytes(pipeline.modelSize.value) + HuggingFacePlanner.gibibyte
            guard needed > bytes(available) else { continue }
            context.report(
                "the ModelCar image of ModelPipeline '\(pipeline.name.value)' (\(pipeline.modelSize.value) + its base) does not fit the \(available) free on a serving node's image filesystem; the kubelet evicts images or fails the pull, and the predictor never starts",
                at: (pipeline.delivery?.location ?? pipeline.modelSize.location),
                help: "deliver the model on a claim (delivery: pvc), or serve it on nodes with more image-filesystem space",
                notes: [DiagnosticNote("models.nodeImageFsFree is \(available): \(free.origin)", at: free.origin.location)],
                subject: ModelPipelineRules.subject(pipeline))
        }
    }

    /// NBG287: a written `timeout` below the derived one (Tekton's default 60 minutes
    /// killed a 78-minute push).
    static let timeout = PlanRule(
        .modelTimeoutTooShort, .error, "a ModelPipeline's timeout is shorter than its download and push take",
        waivable: true
    ) { context in
        let planContext = PlanContext(environment: context.environment, delivery: context.plan.delivery)
        for (pipeline, delivery) in pipelines(context) {
            guard let written = pipeline.timeout, let seconds = Durations.seconds(written.value) else { continue }
            let destinations = HuggingFacePlanner.destinations(pipeline, context: planContext)?.count ?? 1
            let (derived, formula) = HuggingFacePlanner.derivedTimeout(
                pipeline, delivery: delivery, destinations: destinations, environment: context.environment)
            guard seconds < derived else { continue }
            let models = context.environment.models
            context.report(
                "timeout \(written.value) of ModelPipeline '\(pipeline.name.value)' is shorter than the \(BuildPlanner.goDuration(derived)) its run needs (\(formula)); Tekton cancels the run mid-transfer",
                at: written.location,
                help:
                    "remove timeout (nbgitops derives it) or raise it to at least \(BuildPlanner.goDuration(derived)); if the cluster is faster, declare models.downloadThroughput / models.pushThroughput",
                notes: [
                    DiagnosticNote(
                        "models.downloadThroughput is \(models.downloadThroughput.value): \(models.downloadThroughput.origin)",
                        at: models.downloadThroughput.origin.location),
                    DiagnosticNote(
                        "models.pushThroughput is \(models.pushThroughput.value): \(models.pushThroughput.origin)",
                        at: models.pushThroughput.origin.location),
                ],
                subject: ModelPipelineRules.subject(pipeline))
        }
    }

    /// The environment variable names Hugging Face tools read a token from.
    static let tokenVariables: Set<String> = [
        "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN", "HUGGINGFACEHUB_API_TOKEN", "HF_API_TOKEN",
    ]

    /// `--build-arg` and `ARG `, as bytes for the walk over every string (Foundation's
    /// `contains` was the hottest call of the Check stage).
    static let buildArgBytes = Array("--build-arg".utf8)
    static let argBytes = Array("ARG ".utf8)

    /// The Secrets ModelPipelines read a Hugging Face token from.
    static func tokenSecrets(_ specs: SpecSet) -> Set<String> {
        Set(specs.modelPipelines.compactMap { $0.huggingFace?.tokenSecret?.value })
    }

    /// Whether a string may be an NBG288 finding: a token variable's or token Secret's name,
    /// or text passing a build argument (`ObjectFacts` keeps these, with their paths).
    static func isTokenCandidate(_ text: String, tokenSecrets: Set<String>) -> Bool {
        tokenVariables.contains(text) || tokenSecrets.contains(text) || SecretPatterns.contains(text, bytes: buildArgBytes)
            || SecretPatterns.contains(text, bytes: argBytes)
    }

    /// NBG288: a Hugging Face token in an environment variable or a build argument of a pod or
    /// Tekton step (as `HF_TOKEN` env or a `--build-arg`): it shows in
    /// `kubectl describe`, in the image's history and in every process's environment.
    static let token = PlanRule(
        .modelTokenExposed, .error, "a Hugging Face token reaches an environment variable or a build argument",
        waivable: false
    ) { context in
        let secrets = tokenSecrets(context.specs)
        // The strings that can be a finding were found once per object (`ObjectFacts`).
        for (object, objectFacts) in zip(context.plan.objects, context.facts.objects)
        where !objectFacts.tokenStrings.isEmpty {
            for candidate in objectFacts.tokenStrings {
                let (path, text) = (candidate.path, candidate.text)
                let finding: String?
                let exposure = "the token shows in `kubectl describe`, the pod spec and every process's environment"
                if path.hasSuffix(".name"), path.contains(".env["), !path.contains(".valueFrom."),
                    tokenVariables.contains(text)
                {
                    finding = "sets the environment variable \(text): \(exposure)"
                } else if path.hasSuffix(".valueFrom.secretKeyRef.name"), secrets.contains(text) {
                    finding = "reads the token Secret '\(text)' into an environment variable: \(exposure)"
                } else if let variable = tokenVariables.first(where: {
                    text.contains("--build-arg \($0)") || text.contains("--build-arg=\($0)") || text.contains("ARG \($0)")
                }) {
                    finding =
                        "passes \(variable) as a build argument: the token is written into the image's history and pushed with it"
                } else {
                    finding = nil
                }
                guard let finding else { continue }
                context.report(
                    "\(object.kind) '\(object.name)' \(finding)",
                    at: context.location(of: object, path: path),
                    help:
                        "mount the token Secret as a file in the download step only (a ModelPipeline's source.huggingFace.tokenSecret does), and point huggingface_hub at it with HF_TOKEN_PATH",
                    subject: context.subject(for: object))
            }
        }
    }

    /// NBG289: a ModelCar with no destination this platform can push to.
    static let destination = PlanRule(
        .modelcarNoDestination, .error, "a ModelCar has no destination this platform can push to", waivable: false
    ) { context in
        let planContext = PlanContext(environment: context.environment, delivery: context.plan.delivery)
        for (pipeline, delivery) in pipelines(context) where delivery == .modelcar {
            guard HuggingFacePlanner.destinations(pipeline, context: planContext) == nil else { continue }
            let written = pipeline.modelcar?.destinations ?? []
            let stream = written.first {
                if case .imageStream = $0 { return true }
                return false
            }
            context.report(
                stream != nil
                    ? "ModelPipeline '\(pipeline.name.value)' pushes to an ImageStream, which exists only on OpenShift, not on \(context.platform.rawValue)"
                    : "ModelPipeline '\(pipeline.name.value)' delivers a ModelCar but names no destination; on \(context.platform.rawValue) there is no internal registry to default to",
                at: stream?.location ?? pipeline.modelcar?.location ?? pipeline.delivery?.location ?? pipeline.name.location,
                help:
                    "set images.registry (and images.pushSecret) in an overlay of this environment, add modelcar.destinations: [{registry: {repository: REGISTRY/PATH, pushSecret: SECRET}}], or annotate the pipeline for openshift only (nbgitops.dev/platforms)",
                subject: ModelPipelineRules.subject(pipeline))
        }
    }

    /// NBG338: the per-run workspace claim of a ModelCar PipelineRun outlives the run. Tekton
    /// deletes volumeClaimTemplate claims at completion only from v1.11.0 and only under
    /// `coschedule: workspaces` (tektoncd/pipeline `pkg/reconciler/pipelinerun/affinity_assistant.go`,
    /// `AutoCleanupPVCAnnotation`, `cleanupAffinityAssistantsAndPVCs`); otherwise the claim is
    /// owned by the PipelineRun and lives as long as it does. Said once per environment.
    static let runClaimKept = PlanRule(
        .modelRunClaimKept, .note, "the workspace claims of model runs persist until the run is pruned",
        waivable: false
    ) { context in
        // Platform fact: platform.versions.tektonPipelines ≥ 1.11 with tekton.coschedule: workspaces relaxes this.
        guard !HuggingFacePlanner.autoCleanupWorks(context.environment) else { return }
        let runs = context.plan.objects.filter { object in
            object.kind == "PipelineRun"
                && object.manifest.value(at: "metadata.labels")?["app.kubernetes.io/component"]?.stringValue
                    == "model-pipeline"
                && (object.manifest.value(at: "spec.workspaces")?.elements ?? []).contains {
                    $0["volumeClaimTemplate"] != nil
                }
        }
        guard let run = runs.first else { return }
        let size =
            run.manifest.value(at: "spec.workspaces")?.elements?.compactMap {
                $0.value(at: "volumeClaimTemplate.spec.resources.requests.storage")?.stringValue
            }.first ?? "its workspace"
        let owner =
            run.manifest.value(at: "metadata.labels")?[LabelKey.instance]?.stringValue.map {
                "The PipelineRun of ModelPipeline '\($0)'"
            } ?? "PipelineRun '\(run.name)'"
        let others = runs.count > 1 ? " (and \(runs.count - 1) other model run\(runs.count > 2 ? "s" : ""))" : ""
        context.report(
            "\(owner)\(others) keeps its per-run workspace claim (\(size)) until the run itself is pruned: Tekton deletes a run's workspace claims at completion only from Tekton Pipelines 1.11 with coschedule: workspaces, and this environment does not declare both",
            at: context.location(of: run, path: "spec.workspaces"),
            help:
                "declare platform.versions.tektonPipelines (1.11 or later) and tekton.coschedule: workspaces in an overlay if the cluster has them; otherwise budget the claims' storage, or delete a completed run's claim by hand",
            subject: context.subject(for: run))
    }

    /// NBG290: KServe's `uidModelcar` is a UID the namespace does not admit. With it set, KServe
    /// runs both the modelcar container and the predictor container as that UID (kserve
    /// `pkg/utils/storage.go`, `CreateModelcarContainer` and the target container's
    /// `RunAsUser`), so root fails Pod Security restricted / restricted-v2, and on OpenShift a UID
    /// outside the namespace's range fails restricted-v2's MustRunAsRange: the predictor pod is
    /// never admitted. On OpenShift an undeclared `uidModelcar` is unknown and refused: upstream
    /// KServe 0.16 and later ship 1010 (`config/configmap/inferenceservice.yaml`), outside every
    /// range OpenShift allocates; OpenShift AI leaves it unset (opendatahub-io/kserve
    /// `config/overlays/odh/patches/inferenceservice-config-patch.yaml`), which the overlay
    /// states as `kserve.uidModelcar: unset`.
    static let modelcarUser = PlanRule(
        .modelcarUID, .error, "KServe's uidModelcar is a UID the serving namespace does not admit", waivable: false
    ) { context in
        let setting = context.environment.kserve.uidModelcar
        let declared: Bool
        if case .builtinDefault = setting.origin { declared = false } else { declared = true }
        let disabled = context.environment.kserve.enableModelcar.value == false
        for (service, path, _) in ModelPipelineRules.modelcarURIs(context.plan.objects) {
            let why: String
            if let uid = setting.value {
                let range = SecurityRules.namespaceRange(service.namespace, context: context).value
                if uid == 0 {
                    why = "root, which Pod Security restricted and SCC restricted-v2 refuse"
                } else if context.platform == .openshift, let range, !range.contains(uid) {
                    why =
                        "outside the namespace's UID range \(range.lowerBound)–\(range.upperBound), which restricted-v2 refuses"
                } else if context.platform == .openshift, range == nil {
                    why = "a fixed UID, and the namespace's range is OpenShift's to allocate: restricted-v2 refuses it"
                } else {
                    continue
                }
            } else if !declared, context.platform == .openshift, !disabled {
                // Platform fact: kserve.uidModelcar (a UID in range, or 'unset') relaxes this.
                context.report(
                    "InferenceService '\(service.name)' serves a ModelCar, and the environment does not say which UID KServe runs its modelcar containers as: upstream KServe 0.16 and later run them and the predictor as uidModelcar 1010, outside OpenShift's namespace UID ranges, so restricted-v2 never admits the predictor pod",
                    at: context.location(of: service, path: path),
                    help:
                        "declare kserve.uidModelcar in an overlay: 'unset' when KServe's inferenceservice-config has no storageInitializer.uidModelcar (OpenShift AI), else its value; or serve the model from a claim (pvc://)",
                    subject: context.subject(for: service))
                continue
            } else {
                continue
            }
            context.report(
                "InferenceService '\(service.name)' serves a ModelCar, and KServe runs its predictor and modelcar containers as uidModelcar \(setting.value ?? 0): \(why); the predictor pod is never admitted",
                at: context.location(of: service, path: path),
                help:
                    "unset storageInitializer.uidModelcar in KServe's inferenceservice-config (and write kserve.uidModelcar: unset in the overlay), or set it to a UID the namespace admits",
                notes: [
                    DiagnosticNote(
                        "kserve.uidModelcar is \(setting.value ?? 0): \(setting.origin)", at: setting.origin.location)
                ],
                subject: context.subject(for: service))
        }
    }

    /// NBG291: with `models.nodeEphemeralFree` declared, a Tekton step that asks for more
    /// ephemeral storage than a node has free (an `ephemeral-storage` request or limit, an
    /// emptyDir `sizeLimit`), or that runs buildah/podman with its container storage in the
    /// node's ephemeral storage (`/var/lib/containers` not on a workspace or claim, no `--root`
    /// there): a buildah build can fill the node with a model's layers and the pod was evicted.
    static let ephemeralStorage = PlanRule(
        .stepEphemeralStorage, .error, "a Tekton step needs more of a node's ephemeral storage than it has free",
        waivable: true
    ) { context in
        let free = context.environment.models.nodeEphemeralFree
        guard let text = free.value, let available = Quantity.value(text) else { return }
        let note = DiagnosticNote("models.nodeEphemeralFree is \(text): \(free.origin)", at: free.origin.location)
        for object in context.plan.objects where object.isTekton {
            for (base, spec) in TektonRules.taskSpecs(object) {
                let volumes = spec["volumes"]?.elements ?? []
                for (index, volume) in volumes.enumerated() {
                    guard let limit = volume["emptyDir"]?["sizeLimit"]?.stringValue, let bytes = Quantity.value(limit),
                        bytes > available
                    else { continue }
                    context.report(
                        "\(object.kind) '\(object.name)' gives emptyDir '\(volume["name"]?.stringValue ?? "?")' a sizeLimit of \(limit), more than the \(text) of ephemeral storage a node has free; the pod is evicted before it fills it",
                        at: context.location(of: object, path: "\(base).volumes[\(index)].emptyDir.sizeLimit"),
                        help: "put the data on a workspace backed by a claim (a volumeClaimTemplate), not an emptyDir",
                        notes: [note], subject: context.subject(for: object))
                }
                for (stepIndex, step) in (spec["steps"]?.elements ?? []).enumerated() {
                    let path = "\(base).steps[\(stepIndex)]"
                    for section in ["requests", "limits"] {
                        for resource in ["ephemeral-storage"] {
                            guard let value = step["computeResources"]?[section]?[resource]?.stringValue,
                                let bytes = Quantity.value(value), bytes > available
                            else { continue }
                            context.report(
                                "step '\(step["name"]?.stringValue ?? "\(stepIndex)")' of \(object.kind) '\(object.name)' asks for \(value) of ephemeral storage (\(section)), more than the \(text) a node has free; the pod never schedules or is evicted",
                                at: context.location(of: object, path: "\(path).computeResources.\(section).\(resource)"),
                                help: "keep the step's data on a workspace backed by a claim and lower the request",
                                notes: [note], subject: context.subject(for: object))
                        }
                    }
                    let command =
                        ([step["script"]?.stringValue ?? ""] + (step["command"]?.elements ?? []).compactMap(\.stringValue)
                        + (step["args"]?.elements ?? []).compactMap(\.stringValue)).joined(separator: "\n")
                    guard let tool = ["buildah", "podman"].first(where: { command.contains($0 + " ") }) else { continue }
                    // Storage elsewhere: `--root` on a workspace, or /var/lib/containers mounted from a claim-backed volume.
                    if command.contains("--root $(workspaces.") || command.contains("--root=$(workspaces.") { continue }
                    let mount = (step["volumeMounts"]?.elements ?? []).first {
                        $0["mountPath"]?.stringValue == "/var/lib/containers"
                    }
                    let volume = mount.flatMap { mount in volumes.first { $0["name"] == mount["name"] } }
                    if volume?["persistentVolumeClaim"] != nil || volume?["ephemeral"] != nil { continue }
                    context.report(
                        "step '\(step["name"]?.stringValue ?? "\(stepIndex)")' of \(object.kind) '\(object.name)' runs \(tool) with its container storage (/var/lib/containers) \(volume != nil ? "on an emptyDir" : "in the container's filesystem"), which is the node's ephemeral storage (\(text) free): a model's layers fill it and the pod is evicted",
                        at: context.location(of: object, path: mount != nil ? "\(path).volumeMounts" : path),
                        help:
                            "give \(tool) --root $(workspaces.<name>.path)/containers (and HOME, TMPDIR there), as nbgitops' model-package-buildah Task does",
                        notes: [note], subject: context.subject(for: object))
                }
            }
        }
    }
}
