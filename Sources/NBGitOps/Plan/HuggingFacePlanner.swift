/// ModelPipelines with a `source.huggingFace`: a Tekton pipeline in the environment's namespace
/// that downloads one commit of the repository and delivers it, and the InferenceService that
/// serves exactly what it delivered.
///
/// - `delivery: modelcar` — Tasks `check-<i> → download → package → push-<i> → verify-<i>` (one
///   check, push and verify per destination) from `templates/tekton/model-*.yaml`; the
///   InferenceService's `storageUri` is `oci://<first destination>:<tag>`, the very reference the
///   push writes, the tag `nbgitops-<hash of what goes into the image>` (repository, revision,
///   patterns, packager, base image, scripts: `contentInputs`), never of where it is stored or
///   served. A run started for the same tag (a changed workspace or serving setting) finds it at
///   every destination and skips download, package, push and verify (`when` on the checks' result).
/// - `delivery: pvc` — a PersistentVolumeClaim sized for the model and a populate run of the
///   download Task into it; `storageUri` is `pvc://<claim>/model`. The claim is named like its
///   run, by a hash that includes the claim's own spec: a changed storage class, access mode or
///   size is a new claim, never an update the API server refuses.
///
/// Decisions, each against a failure seen on clusters:
/// - **Workspace**: a per-run `volumeClaimTemplate` (ReadWriteOnce, no run shares it) sized by
///   formula — the download (`size.model`) + the layer olot writes beside its original before
///   removing it (`size.largestFile`, else `size.model`) + 1Gi for the base image, olot's venv
///   and temporary files, all + 10 %, rounded up to Gi. `tekton.dev/auto-cleanup-pvc: "true"`
///   deletes it once the run completes (tektoncd/pipeline `AutoCleanupPVCAnnotation`), written
///   only where Tekton ≥ 1.11 and `coschedule: workspaces` are declared (`autoCleanupWorks`);
///   elsewhere the claim lives as long as the PipelineRun (NBG338). HOME and TMPDIR of every step are on the workspace, so no
///   step fills the node's ephemeral storage (buildah storage in an emptyDir does).
/// - **Packaging** with olot (PyPI): no daemon, no privileges, no capabilities (the usual
///   buildah needed SETFCAP and pipelines-scc); every step runs under restricted-v2 / Pod
///   Security restricted.
/// - **Placement** only in `taskRunTemplate.podTemplate` (the affinity assistant inherits it)
///   and, on OpenShift, no securityContext there at all. `taskRunSpecs` set only the
///   push ServiceAccount for internal pushes.
/// - **Timeout** derived from the size and the environment's throughputs (Tekton's
///   default 60 minutes killed a 78-minute push); a written `timeout` below it is NBG287.
/// - **Credentials by reference**: the Hugging Face token is a Secret workspace of the download
///   Task only, read as a file and handed to huggingface_hub (pinned in the Task), which sends it
///   to the Hub only, never to the CDN `/resolve/` redirects LFS and Xet files to; internal
///   pushes use the push ServiceAccount's token read at step start with TLS verified against the
///   service CA; external pushes a dockerconfigjson Secret workspace of that push Task only.
enum HuggingFacePlanner {
    static let checkTask = "nbgitops-model-check"
    static let downloadTask = "nbgitops-model-download"
    static let packageTask = "nbgitops-model-package"
    static let pushTask = "nbgitops-model-push"
    static let verifyTask = "nbgitops-model-verify"
    static let buildahPackageTask = "nbgitops-model-package-buildah"
    /// Runs the buildah package Task only: the one account bound to pipelines-scc (OpenShift).
    static let buildahServiceAccountBase = "nbgitops-model-buildah"
    static let scriptsConfigMapBase = "nbgitops-model-scripts"
    static let scriptsVolume = "nbgitops-model-scripts"
    static let scripts = [
        "model-check.sh", "model-download.py", "model-layers.sh", "model-package-buildah.sh", "model-package.sh", "model-push.sh",
        "model-verify.sh",
    ]
    /// Runs download, package and external pushes: no token, no SCC beyond restricted.
    static let fetchServiceAccountBase = "nbgitops-model-fetch"
    /// Runs internal pushes and their verification: its token may push to the namespace's ImageStreams.
    static let pushServiceAccountBase = "nbgitops-model-push"
    static let olotVersion = "1.2.1"
    /// The folder inside the workspace (and the pvc delivery's claim) the files go to.
    static let modelFolder = "model"
    static let gibibyte = 1024.0 * 1024 * 1024
    /// Copies of the model the buildah packager's workspace holds at its peak (during `buildah
    /// commit`). `templates/tekton/workspace-formula.json` states the same number: the real-buildah
    /// test measures the peak against it, and a test keeps this constant equal to it.
    static let buildahModelCopies = 3.0

    // MARK: Decisions a rule also needs

    /// The delivery of a Hugging Face pipeline in an environment: as written, else by size.
    static func delivery(_ pipeline: ModelPipeline, environment: Environment) -> (ModelDelivery, FieldOrigin) {
        if let written = pipeline.delivery {
            return (written.value, FieldOrigin(.spec(written.location), field: "spec.delivery"))
        }
        let limit = environment.models.modelcarLimit
        let model = Quantity.value(pipeline.modelSize.value) ?? 0
        let byLimit: ModelDelivery = model < (Quantity.value(limit.value) ?? 0) ? .modelcar : .pvc
        return (
            byLimit,
            FieldOrigin(
                limit.origin, field: "models.modelcarLimit",
                rule:
                    "no delivery written: modelcar below \(limit.value), pvc from there on (size.model \(pipeline.modelSize.value))"
            )
        )
    }

    /// What the workspace (modelcar) or the claim (pvc) must hold, in bytes, and how it was derived.
    static func requiredStorage(_ pipeline: ModelPipeline, delivery: ModelDelivery) -> (bytes: Double, formula: String) {
        let model = Quantity.value(pipeline.modelSize.value) ?? 0
        switch delivery {
        case .modelcar where packager(pipeline) == "buildah":
            // `buildah commit` holds the container's vfs copy, the layer blob it writes under
            // TMPDIR and that blob copied into the OCI layout at once (the download is removed
            // before): three times the model at the peak.
            return (
                (buildahModelCopies * model + gibibyte) * 1.1,
                "(\(Int(buildahModelCopies)) × size.model \(pipeline.modelSize.value) + 1Gi) × 1.1 (buildah: during its commit the container's copy, the layer blob and the OCI layout's copy of the model coexist)"
            )
        case .modelcar:
            let largest = pipeline.largestFile.flatMap { Quantity.value($0.value) } ?? model
            let largestText = pipeline.largestFile?.value ?? "\(pipeline.modelSize.value) (size.largestFile unset)"
            return (
                (model + largest + gibibyte) * 1.1,
                "(size.model \(pipeline.modelSize.value) + largest file \(largestText) + 1Gi) × 1.1"
            )
        case .pvc:
            return ((model + gibibyte) * 1.1, "(size.model \(pipeline.modelSize.value) + 1Gi) × 1.1")
        }
    }

    /// Whole Gi at least `bytes`.
    static func gibibytes(_ bytes: Double) -> String {
        "\(max(1, Quantity.saturatingInt((bytes / gibibyte).rounded(.up))))Gi"
    }

    /// The size the workspace or claim gets: `workspace.size` as written, else the formula.
    static func storageSize(_ pipeline: ModelPipeline, delivery: ModelDelivery) -> (String, FieldOrigin) {
        let (bytes, formula) = requiredStorage(pipeline, delivery: delivery)
        if let written = pipeline.workspaceSize {
            return (written.value, FieldOrigin(.spec(written.location), field: "spec.workspace.size"))
        }
        return (
            gibibytes(bytes),
            FieldOrigin(.spec(pipeline.modelSize.location), field: "spec.size", rule: formula + ", rounded up to Gi")
        )
    }

    /// A cap below Go's longest `time.Duration` (2^63 - 1 ns, about 292 years), with room for the
    /// margins added to it: Tekton parses timeouts as one.
    static let maximumTimeoutSeconds = 9_000_000_000.0

    /// The run's derived timeout in seconds: download at `models.downloadThroughput`, packaging
    /// at 100Mi/s, each push and verify at `models.pushThroughput`, all × 1.5 + 15 minutes.
    static func derivedTimeout(_ pipeline: ModelPipeline, delivery: ModelDelivery, destinations: Int, environment: Environment)
        -> (seconds: Int, formula: String)
    {
        let model = Quantity.value(pipeline.modelSize.value) ?? 0
        let models = environment.models
        let download = model / max(1, Quantity.value(models.downloadThroughput.value) ?? 1)
        var work = download
        var formula = "(size.model / downloadThroughput \(models.downloadThroughput.value)"
        if delivery == .modelcar {
            let push = model / max(1, Quantity.value(models.pushThroughput.value) ?? 1)
            work += model / (100 * 1024 * 1024) + push * Double(destinations)
            formula +=
                " + size.model / 100Mi packaging + \(destinations) × size.model / pushThroughput \(models.pushThroughput.value)"
        }
        formula += ") × 1.5 + 15m"
        // Whole minutes: a readable duration. Computed in Double and capped at the longest
        // duration Tekton (Go's time.Duration) accepts, so no size or rate can overflow it.
        let minutes = ((work * 1.5 + 900) / 60).rounded(.up)
        guard minutes * 60 < maximumTimeoutSeconds else {
            return (Int(maximumTimeoutSeconds / 60) * 60, formula + ", capped at the longest duration Tekton accepts")
        }
        return (Quantity.saturatingInt(minutes) * 60, formula)
    }

    /// A destination with the repository it pushes to.
    struct ResolvedDestination {
        var repository: String
        var imageStream: String?
        var pushSecret: String?
        var location: SourceLocation
        /// Set when the destination is the environment's registry (`images.registry`), taken
        /// because the spec names none: the overlay line, for provenance.
        var environmentDefault: Origin? = nil
        var isInternal: Bool { imageStream != nil }

        /// Where this destination was set, as `field` of the spec, or the overlay's registry.
        func origin(field: String, rule: String) -> FieldOrigin {
            if let environmentDefault {
                return FieldOrigin(
                    environmentDefault, field: "images.registry",
                    rule: "the environment's registry is every ModelCar's destination unless the spec names one; " + rule)
            }
            return FieldOrigin(.spec(location), field: field, rule: rule)
        }
    }

    /// The destinations as this platform can push to them; nil when there is none it can use
    /// (an ImageStream outside OpenShift, or no destination on Kubernetes: NBG289).
    static func destinations(_ pipeline: ModelPipeline, context: PlanContext) -> [ResolvedDestination]? {
        let written = pipeline.modelcar?.destinations ?? []
        if written.isEmpty {
            let name = context.derivedName(pipeline.name.value)
            // The environment's registry (an overlay's images.registry, with its pushSecret) is
            // the destination of every ModelCar whose spec names none, on every platform: dev
            // pushes to dev's registry, prod to prod's, as the image builds do.
            let images = context.environment.images
            if let registry = images.registry.value, !registry.allSatisfy(\.isWhitespace) {
                var trimmed = Substring(registry)
                while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
                return [
                    ResolvedDestination(
                        repository: "\(trimmed)/\(name)", imageStream: nil, pushSecret: images.pushSecret.value,
                        location: images.registry.origin.location ?? pipeline.name.location,
                        environmentDefault: images.registry.origin)
                ]
            }
            guard context.platform == .openshift else { return nil }
            return [
                ResolvedDestination(
                    repository: "\(BuildPlanner.openShiftRegistry)/\(context.namespace)/\(name)", imageStream: name,
                    pushSecret: nil, location: pipeline.name.location)
            ]
        }
        var resolved: [ResolvedDestination] = []
        for destination in written {
            switch destination {
            case .imageStream(let stream, let at):
                guard context.platform == .openshift else { return nil }
                resolved.append(
                    ResolvedDestination(
                        repository: "\(BuildPlanner.openShiftRegistry)/\(context.namespace)/\(stream.value)",
                        imageStream: stream.value, pushSecret: nil, location: at))
            case .registry(let repository, let secret, let at):
                resolved.append(
                    ResolvedDestination(
                        repository: repository.value, imageStream: nil, pushSecret: secret.value, location: at))
            }
        }
        return resolved
    }

    static func isPlanned(_ pipeline: ModelPipeline, context: PlanContext) -> Bool {
        pipeline.huggingFace != nil && EnvironmentPlanner.isPlanned(annotations: pipeline.annotations, on: context.platform)
    }

    // MARK: Plan

    struct Result {
        var objects: [PlannedObject] = []
        var serving: [PlannedObject] = []
        /// The buildah-packaged pipelines: in the build namespace (Pod Security baseline), applied
        /// with the image builds.
        var builds: BuildPlanner.Result?
        var unusableTemplates: [UnusableTemplate] = []
    }

    static func packager(_ pipeline: ModelPipeline) -> String { pipeline.modelcar?.packager?.value ?? "olot" }

    static func plan(_ specs: SpecSet, templates: BuildTemplates, context: PlanContext) -> Result {
        var result = Result()
        let pipelines = specs.modelPipelines.filter { isPlanned($0, context: context) }.map {
            ($0, delivery($0, environment: context.environment).0)
        }
        guard !pipelines.isEmpty else { return result }
        // olot (restricted) in the environment's namespace; buildah (root + SETFCAP) where Pod
        // Security is baseline: the build namespace, with the image builds.
        let withBuildah = pipelines.filter { $0.1 == .modelcar && packager($0.0) == "buildah" }
        let restricted = pipelines.filter { !($0.1 == .modelcar && packager($0.0) == "buildah") }
        if !restricted.isEmpty {
            let group = planGroup(restricted, buildah: false, templates: templates, context: context, serving: context)
            result.objects += group.objects
            result.serving += group.serving
            result.unusableTemplates += group.unusableTemplates
        }
        if !withBuildah.isEmpty {
            let namespace = BuildPlanner.buildNamespace(context)
            var builds = context
            builds.environment.naming.namespace.value = namespace
            let group = planGroup(withBuildah, buildah: true, templates: templates, context: builds, serving: context)
            var buildResult = BuildPlanner.Result()
            buildResult.objects = [
                BuildPlanner.namespaceObject(namespace, context: context).checking(
                    DerivedName(
                        namespace, rule: .label, what: "build namespace (namespace + '\(BuildPlanner.buildNamespaceSuffix)')",
                        at: context.environment.naming.namespace.origin.location ?? withBuildah.first?.0.name.location,
                        help: "shorten naming.namespace to at most \(63 - BuildPlanner.buildNamespaceSuffix.count) characters"))
            ]
            buildResult.objects += group.objects
            if context.platform == .openshift {
                // The predictors (KServe's default account of the environment's namespace) pull
                // the ModelCars from the build namespace's ImageStreams.
                buildResult.objects.append(
                    BuildPlanner.roleBinding(
                        name: context.derivedName("nbgitops-model-puller"), namespace: namespace,
                        clusterRole: "system:image-puller",
                        subjects: [BuildPlanner.serviceAccountSubject("default", namespace: context.namespace)]))
            }
            buildResult.usesTekton = true
            buildResult.maxTimeoutSeconds = group.maxTimeoutSeconds
            buildResult.unusableTemplates = group.unusableTemplates
            result.builds = buildResult
            result.serving += group.serving
        }
        return result
    }

    struct Group {
        var objects: [PlannedObject] = []
        var serving: [PlannedObject] = []
        var unusableTemplates: [UnusableTemplate] = []
        var maxTimeoutSeconds = 0
    }

    /// The pipelines of one namespace: shared ServiceAccounts, RBAC, scripts and Tasks, then per
    /// pipeline its ImageStreams, Pipeline and run; the InferenceServices in `serving`'s namespace.
    static func planGroup(
        _ pipelines: [(ModelPipeline, ModelDelivery)], buildah: Bool, templates: BuildTemplates, context: PlanContext,
        serving: PlanContext
    ) -> Group {
        var result = Group()
        let deliveries = pipelines.map(\.1)
        let needed =
            deliveries.contains(.modelcar)
            ? [checkTask, downloadTask, buildah ? buildahPackageTask : packageTask, pushTask, verifyTask] : [downloadTask]
        guard let tasks = self.tasks(needed, templates: templates, context: context, unusable: &result.unusableTemplates),
            let configMap = scriptsConfigMap(templates: templates, context: context, unusable: &result.unusableTemplates)
        else { return result }
        let namespace = context.namespace
        let fetch = context.derivedName(fetchServiceAccountBase)
        let push = context.derivedName(pushServiceAccountBase)
        let packagerAccount = context.derivedName(buildahServiceAccountBase)
        let resolved = pipelines.map { pipeline, delivery in
            (pipeline, delivery, delivery == .modelcar ? destinations(pipeline, context: context) : [])
        }
        let internalPush = resolved.contains { $0.2?.contains(where: \.isInternal) == true }
        result.objects.append(BuildPlanner.serviceAccount(name: fetch, namespace: namespace, automountToken: false))
        if internalPush {
            result.objects.append(BuildPlanner.serviceAccount(name: push, namespace: namespace, automountToken: true))
            result.objects.append(
                BuildPlanner.roleBinding(
                    name: push + "-image-builder", namespace: namespace, clusterRole: "system:image-builder",
                    subjects: [BuildPlanner.serviceAccountSubject(push, namespace: namespace)]))
        }
        if buildah {
            // Only the package Task runs as the account that may use pipelines-scc (root + SETFCAP).
            result.objects.append(BuildPlanner.serviceAccount(name: packagerAccount, namespace: namespace, automountToken: false))
            if context.platform == .openshift {
                result.objects += BuildPlanner.pipelinesSCCAccess(account: packagerAccount, namespace: namespace)
            }
        }
        result.objects.append(configMap)
        result.objects += tasks.map(\.object)
        let taskInputs = ManifestNode.list(tasks.map(\.object.manifest) + [configMap.manifest])
        var streams: Set<String> = []
        for (pipeline, delivery, destinations) in resolved {
            // No destination this platform can push to: NBG289 reports it.
            guard let destinations, delivery == .pvc || !destinations.isEmpty else { continue }
            for stream in destinations.compactMap(\.imageStream) where streams.insert(stream).inserted {
                result.objects.append(BuildPlanner.imageStream(name: stream, namespace: namespace, awaitTag: nil, wave: .config))
            }
            let planned = run(
                pipeline, delivery: delivery, destinations: destinations, tasks: tasks, taskInputs: taskInputs,
                scripts: configMap.manifest["data"] ?? .null, fetch: fetch, push: push, packager: buildah ? packagerAccount : nil,
                context: context)
            result.objects += planned.objects
            let runTimeout = planned.objects.first { $0.kind == "PipelineRun" }?.manifest.value(at: "spec.timeouts.pipeline")
            result.maxTimeoutSeconds = max(result.maxTimeoutSeconds, runTimeout?.stringValue.flatMap(Durations.seconds) ?? 0)
            result.serving.append(
                ModelPipelinePlanner.inferenceService(
                    pipeline, storageURI: planned.storageURI, storageOrigin: planned.storageOrigin,
                    podSecurityContext: planned.podSecurityContext,
                    servedClaimModes: delivery == .pvc
                        ? ([context.environment.storage.accessMode.value.rawValue], context.environment.storage.accessMode.origin)
                        : nil,
                    context: serving))
        }
        return result
    }

    // MARK: Tasks and scripts

    /// The Tasks, renamed, with the environment's images and the restricted step security.
    /// Tekton v1 `PipelineTask.retries` of the tasks that move data over the network (download,
    /// push): each retry is a new TaskRun, bounded by the run's `timeouts.pipeline`.
    static let dataMovingTaskRetries = 2

    /// Whether Tekton deletes a run's volumeClaimTemplate claims when the run completes
    /// (`tekton.dev/auto-cleanup-pvc: "true"`): only from Tekton Pipelines v1.11.0 (tektoncd/pipeline
    /// commit 0e9378b86, `pkg/reconciler/pipelinerun/affinity_assistant.go` `AutoCleanupPVCAnnotation`)
    /// and only under `coschedule: workspaces` (`cleanupAffinityAssistantsAndPVCs` returns early
    /// otherwise). Both must be declared; elsewhere the annotation would be dead text, and the
    /// claim lives as long as the PipelineRun (NBG338 says so).
    static func autoCleanupWorks(_ environment: Environment) -> Bool {
        guard environment.facts.version(.tektonPipelines, atLeast: 1, 11) == true else { return false }
        let mode = environment.tekton.coschedule
        if case .builtinDefault = mode.origin { return false }
        return mode.value == .workspaces
    }

    static func tasks(
        _ names: [String], templates: BuildTemplates, context: PlanContext, unusable: inout [UnusableTemplate]
    ) -> [TektonPlanner.PlannedTask]? {
        var planned: [TektonPlanner.PlannedTask] = []
        let models = context.environment.models
        let scripts = (
            name: context.derivedName(scriptsConfigMapBase),
            origin: FieldOrigin(
                .builtinDefault("the model Tasks' scripts ConfigMap"), rule: "namePrefix + nbgitops-model-scripts")
        )
        for templateName in names {
            let isBuildah = templateName == buildahPackageTask
            guard
                let task = TektonPlanner.patchedTask(
                    templateName, templates: templates, namespace: context.namespace, component: "model-pipeline",
                    note: "nbgitops' model Task body, renamed, with the environment's images and restricted step security",
                    scriptsVolume: scriptsVolume, scriptsConfigMap: scripts, context: context, unusable: &unusable,
                    patchStep: { step, path, record, template in
                        if isBuildah {
                            step["image"] = record.set(
                                path + ".image", .string(context.image(context.environment.images.buildah.value)),
                                from: FieldProvenance.traced(
                                    context.environment.images.buildah, field: "images.buildah",
                                    rule: "the buildah image (NBG137 until it is pinned by digest)"))
                        } else {
                            // skopeo steps keep the skopeo image; the others run in the Python tools image.
                            let usesSkopeo = step["image"]?.stringValue?.contains("skopeo") == true
                            let image = usesSkopeo ? models.skopeoImage : models.toolsImage
                            step["image"] = record.set(
                                path + ".image", .string(context.image(image.value)),
                                from: FieldProvenance.traced(
                                    image, field: usesSkopeo ? "images.skopeo" : "images.modelTools",
                                    rule: usesSkopeo
                                        ? "skopeo copies and inspects images"
                                        : "a Python 3 image for the scripts (with huggingface_hub at the pinned version, else pip installs it)"
                                ))
                        }
                        step["securityContext"] = record.set(
                            path + ".securityContext",
                            TektonPlanner.stepSecurityContext(buildah: isBuildah, platform: context.platform),
                            from: FieldProvenance.traced(
                                context.environment.platform, field: "platform",
                                rule: isBuildah
                                    ? "buildah runs as root with only SETFCAP added, never privileged: anyuid cannot add it"
                                    : "non-root, no capabilities, group 0: each Task reads what the previous one wrote"))
                    })
            else { return nil }
            planned.append(task)
        }
        return planned
    }

    static func scriptsConfigMap(templates: BuildTemplates, context: PlanContext, unusable: inout [UnusableTemplate])
        -> PlannedObject?
    {
        var data: [String: String] = [:]
        for script in templates.scripts where scripts.contains(script.name) { data[script.name] = script.contents }
        for required in scripts where data[required] == nil {
            unusable.append(
                UnusableTemplate(
                    file: "templates/tekton/\(required)",
                    problem: "the model script '\(required)' is missing from templates/tekton/"
                ))
            return nil
        }
        let name = context.derivedName(scriptsConfigMapBase)
        let manifest = PlanMetadata.object(
            apiVersion: "v1", kind: "ConfigMap", name: name, namespace: context.namespace,
            labels: PlanMetadata.labels(component: "model-pipeline"), body: [("data", .strings(data))])
        return PlannedObject(
            apiVersion: "v1", kind: "ConfigMap", name: name, namespace: context.namespace, manifest: manifest,
            wave: .config, sources: [],
            provenance: context.recordsProvenance
                ? [
                    "": FieldOrigin(
                        .builtinDefault("the model Tasks' scripts"),
                        rule: "model-check.sh, model-download.py, model-package.sh, model-push.sh, model-verify.sh from "
                            + "templates/tekton/")
                ] : [:])
    }

    // MARK: Pipeline and run

    struct PlannedRun {
        var objects: [PlannedObject]
        var storageURI: String
        var storageOrigin: FieldOrigin
        /// The predictor's pod securityContext, when it must differ from the validation pods'.
        var podSecurityContext: (ManifestNode, FieldOrigin)? = nil
    }

    /// pvc delivery: the predictor reads what the download step wrote. On Kubernetes both run
    /// with group 0 (the Tasks' fsGroup 0 and group-readable files), so the predictor does too;
    /// on OpenShift the namespace's SCC gives every pod the same fsGroup.
    static func predictorSecurity(_ context: PlanContext) -> (ManifestNode, FieldOrigin)? {
        guard context.platform == .kubernetes else { return nil }
        return (
            [
                "runAsNonRoot": true, "runAsUser": .int(context.environment.security.runAsUser.value), "runAsGroup": 0,
                "fsGroup": 0, "seccompProfile": ["type": "RuntimeDefault"],
            ],
            FieldProvenance.traced(
                context.environment.platform, field: "platform",
                rule: "Kubernetes: group 0 and fsGroup 0, as the download step that wrote the claim (group-readable files)")
        )
    }

    static func run(
        _ pipeline: ModelPipeline, delivery: ModelDelivery, destinations: [ResolvedDestination],
        tasks: [TektonPlanner.PlannedTask], taskInputs: ManifestNode, scripts: ManifestNode, fetch: String, push: String,
        packager: String?, context: PlanContext
    ) -> PlannedRun {
        guard let source = pipeline.huggingFace else {
            return PlannedRun(objects: [], storageURI: "", storageOrigin: .init(.builtinDefault("")))
        }
        let base = context.derivedName(pipeline.name.value)
        let namespace = context.namespace
        func taskName(_ template: String) -> String { tasks.first { $0.templateName == template }?.name ?? template }
        let environment = context.environment

        // The claim of a pvc delivery: sized for the model, the download's home and temporary files.
        let (storage, storageOrigin) = storageSize(pipeline, delivery: delivery)
        var objects: [PlannedObject] = []
        func claimObject(_ claimName: String, writer: String) -> PlannedObject {
            var claimRecord = FieldRecord(context)
            claimRecord.note(
                "",
                FieldOrigin(
                    .spec(pipeline.name.location), field: "ModelPipeline",
                    rule: "delivery: pvc → the claim the populate run writes and the predictor reads"))
            let claimSpec = ManifestNode.object([
                ("accessModes", .list([.string(environment.storage.accessMode.value.rawValue)])),
                ("storageClassName", environment.storage.storageClassName.value.map { .string($0) }),
                (
                    "resources",
                    [
                        "requests": [
                            "storage": claimRecord.set("spec.resources.requests.storage", .string(storage), from: storageOrigin)
                        ]
                    ]
                ),
            ])
            // A predictor may still serve from it after a newer claim replaces it (Flux prunes
            // before the serving Kustomization moves on): never pruned.
            claimRecord.note(
                "metadata.annotations",
                PruneProtection.origin(context, holds: "a live predictor may still serve from the claim"))
            let manifest = PlanMetadata.object(
                apiVersion: "v1", kind: "PersistentVolumeClaim", name: claimName, namespace: namespace,
                labels: PlanMetadata.labels(component: "model-storage", extra: [LabelKey.instance: pipeline.name.value]),
                annotations: PruneProtection.annotations(context), body: [("spec", claimSpec)])
            var claim = PlannedObject(
                apiVersion: "v1", kind: "PersistentVolumeClaim", name: claimName, namespace: namespace,
                manifest: manifest, wave: .storage, sources: [pipeline.name.location], provenance: claimRecord.origins
            ).checking(DerivedName(claimName, rule: .subdomain, what: "PersistentVolumeClaim name", at: pipeline.name.location))
            // Named by the run's input hash: written once by its populate run, which the predictor
            // waits for; a changed input gives a new claim, never a rewrite under a serving model.
            claim.writtenOnceBy = "PipelineRun/\(namespace)/" + writer
            return claim
        }

        // Pipeline: (modelcar) one check per destination, then download, package, one push and one
        // verify per destination, each skipped when every destination already holds the tag.
        var pipelineTasks: [ManifestNode] = []
        var pipelineParams: [ManifestNode] = ["repo", "revision", "allow-patterns", "ignore-patterns", "model-bytes"].map {
            ["name": .string($0), "type": "string"]
        }
        var pipelineWorkspaces: [ManifestNode] = [["name": "model"], ["name": "hf-token", "optional": true]]
        // The tag hashes only the image's content, but a run's name hashes its whole spec (a started
        // PipelineRun cannot be updated): a changed workspace storage class or serving setting
        // starts a new run for the same tag. The checks chain (each passes on "every destination so
        // far holds the tag"); the last one's result guards each content task. A `when` guards only
        // its own task (Tekton v1: ordering dependants still run), so every one carries it; verify
        // also reads push's result, and is skipped with it.
        var guarded: (runAfter: ManifestNode?, when: ManifestNode?) = (nil, nil)
        var destinationWorkspaces: [[ManifestNode]] = []
        if delivery == .modelcar {
            for (index, destination) in destinations.enumerated() {
                pipelineParams.append(["name": .string("image-\(index)"), "type": "string"])
                var workspaces: [ManifestNode] = [["name": "model", "workspace": "model"]]
                if destination.pushSecret != nil {
                    pipelineWorkspaces.append(["name": .string("dockerconfig-\(index)"), "optional": true])
                    workspaces.append(["name": "dockerconfig", "workspace": .string("dockerconfig-\(index)")])
                }
                destinationWorkspaces.append(workspaces)
                var params: [ManifestNode] = [["name": "image", "value": .string("$(params.image-\(index))")]]
                if index > 0 {
                    params.append(["name": "present-before", "value": .string("$(tasks.check-\(index - 1).results.present)")])
                }
                params.append(
                    ["name": "push-with-service-account-token", "value": .string(destination.isInternal ? "true" : "false")])
                pipelineTasks.append(
                    .object([
                        ("name", .string("check-\(index)")),
                        ("runAfter", index > 0 ? .list([.string("check-\(index - 1)")]) : nil),
                        ("taskRef", ["name": .string(taskName(checkTask))]),
                        ("params", .list(params)),
                        ("workspaces", .list(workspaces)),
                    ]))
            }
            if let last = destinations.indices.last {
                guarded = (
                    .list([.string("check-\(last)")]),
                    [["input": .string("$(tasks.check-\(last).results.present)"), "operator": "in", "values": ["false"]]]
                )
            }
        }
        pipelineTasks.append(
            .object([
                ("name", "download"),
                ("runAfter", guarded.runAfter),
                ("when", guarded.when),
                ("taskRef", ["name": .string(taskName(downloadTask))]),
                // A connection reset during a long transfer fails one attempt only; the download
                // resumes from what is on the workspace (huggingface_hub keeps complete files).
                ("retries", .int(dataMovingTaskRetries)),
                (
                    "params",
                    .list(
                        ["repo", "revision", "allow-patterns", "ignore-patterns", "model-bytes"].map {
                            ["name": .string($0), "value": .string("$(params.\($0))")]
                        })
                ),
                ("workspaces", [["name": "model", "workspace": "model"], ["name": "hf-token", "workspace": "hf-token"]]),
            ]))
        // buildah's Task takes no olot version.
        let packageParams =
            packager == nil ? ["base-image", "olot-version", "layer-limit-bytes"] : ["base-image", "layer-limit-bytes"]
        if delivery == .modelcar {
            pipelineParams += packageParams.map { ["name": .string($0), "type": "string"] }
            pipelineTasks.append(
                .object([
                    ("name", "package"),
                    ("runAfter", ["download"]),
                    ("when", guarded.when),
                    ("taskRef", ["name": .string(taskName(packager == nil ? packageTask : buildahPackageTask))]),
                    ("params", .list(packageParams.map { ["name": .string($0), "value": .string("$(params.\($0))")] })),
                    ("workspaces", [["name": "model", "workspace": "model"]]),
                ]))
            for (index, destination) in destinations.enumerated() {
                let workspaces = destinationWorkspaces[index]
                let token: ManifestNode = .string(destination.isInternal ? "true" : "false")
                pipelineTasks.append(
                    .object([
                        ("name", .string("push-\(index)")),
                        ("runAfter", ["package"]),
                        ("when", guarded.when),
                        ("taskRef", ["name": .string(taskName(pushTask))]),
                        // A registry hiccup fails one attempt only: pushing the same layers again is idempotent.
                        ("retries", .int(dataMovingTaskRetries)),
                        (
                            "params",
                            [
                                ["name": "image", "value": .string("$(params.image-\(index))")],
                                ["name": "push-with-service-account-token", "value": token],
                            ]
                        ),
                        ("workspaces", .list(workspaces)),
                    ]))
                pipelineTasks.append(
                    .object([
                        ("name", .string("verify-\(index)")),
                        ("runAfter", .list([.string("push-\(index)")])),
                        ("when", guarded.when),
                        ("taskRef", ["name": .string(taskName(verifyTask))]),
                        (
                            "params",
                            [
                                ["name": "image", "value": .string("$(params.image-\(index))")],
                                ["name": "digest", "value": .string("$(tasks.push-\(index).results.IMAGE_DIGEST)")],
                                ["name": "layers", "value": "$(tasks.package.results.layers)"],
                                ["name": "push-with-service-account-token", "value": token],
                            ]
                        ),
                        ("workspaces", .list(workspaces)),
                    ]))
            }
        }
        let pipelineName = base + "-model"
        let (timeoutSeconds, timeoutFormula) = derivedTimeout(
            pipeline, delivery: delivery, destinations: destinations.count, environment: environment)
        let timeout = pipeline.timeout.map(\.value) ?? BuildPlanner.goDuration(timeoutSeconds)
        // Every task carries the run's timeout: before Tekton v1.11.0 a TaskRun's timeout came only
        // from `pipelineTask.timeout`, otherwise the 60-minute default (tektoncd/pipeline
        // pkg/reconciler/pipelinerun/pipelinerun.go `createTaskRun`); equal to `timeouts.pipeline`,
        // never above it, so the run's limit still bounds the whole.
        pipelineTasks = pipelineTasks.map { TektonPlanner.withTimeout($0, timeout) }
        var pipelineRecord = FieldRecord(context)
        pipelineRecord.note(
            "",
            FieldOrigin(
                .spec(pipeline.name.location), field: "ModelPipeline",
                rule: delivery == .modelcar
                    ? "check per destination → download → package (olot) → push and verify per destination, "
                        + "skipped when every destination holds the tag"
                    : "delivery: pvc → the download Task into the model's claim"))
        for index in pipelineTasks.indices {
            pipelineRecord.note(
                "spec.tasks[\(index)].timeout",
                FieldOrigin(
                    .spec(pipeline.timeout?.location ?? pipeline.modelSize.location),
                    field: pipeline.timeout == nil ? "spec.size.model" : "spec.timeout",
                    rule: "the run's timeouts.pipeline on every task: Tekton before v1.11.0 gives a task without one "
                        + "the 60-minute default"))
        }
        let pipelineManifest = PlanMetadata.object(
            apiVersion: "tekton.dev/v1", kind: "Pipeline", name: pipelineName, namespace: namespace,
            labels: PlanMetadata.labels(component: "model-pipeline", extra: [LabelKey.instance: pipeline.name.value]),
            body: [
                (
                    "spec",
                    [
                        "params": .list(pipelineParams), "workspaces": .list(pipelineWorkspaces),
                        "tasks": .list(pipelineTasks),
                    ]
                )
            ])
        objects.append(
            PlannedObject(
                apiVersion: "tekton.dev/v1", kind: "Pipeline", name: pipelineName, namespace: namespace,
                manifest: pipelineManifest, wave: .config, sources: [pipeline.name.location],
                provenance: pipelineRecord.origins
            ).checking(DerivedName(pipelineName, rule: .subdomain, what: "Pipeline name", at: pipeline.name.location)))

        // The tag hashes only what goes into the image (`contentInputs`): where the image is
        // pushed, where the workspace lives and how it is served never re-tag identical content.
        // The run's name hashes the tag and everything else the run's spec holds: a started
        // PipelineRun's spec cannot be updated (tektoncd/pipeline `PipelineRun.ValidateUpdate`),
        // so a changed spec is a new run, which pushes the same tag.
        let tag = BuildPlanner.tag(
            contentInputs(
                pipeline, source: source, delivery: delivery, packager: packager, tasks: tasks, scripts: scripts))
        var hashed = FieldRecord(keeps: false)
        var inputs: [(String, ManifestNode?)] = [
            ("content", .string(tag)), ("tasks", taskInputs), ("pipeline", pipelineManifest["spec"] ?? .null),
            (
                "run",
                runSpec(
                    pipeline, source: source, delivery: delivery, destinations: destinations, images: [],
                    pipelineName: pipelineName, storage: (storage, storageOrigin), claimName: "", timeout: timeout,
                    timeoutOrigin: FieldOrigin(.builtinDefault("")), fetch: fetch, push: push, packager: packager,
                    context: context, record: &hashed)
            ),
        ]
        // pvc delivery: the claim carries the run's name (the claim and the run are two kinds),
        // so every field of the claim's spec is an input of the name: the API server refuses to
        // change a claim's storage class, access modes or volume mode, or to shrink it, in place
        // (kubernetes `ValidatePersistentVolumeClaimUpdate`); a changed claim is a new claim,
        // populated by a new run.
        if delivery == .pvc { inputs.append(("claim", claimObject("", writer: "").manifest["spec"] ?? .null)) }
        let images = destinations.map { "\($0.repository):\(tag)" }
        let runName = "\(base)-\(StableHash.shortHex(ManifestRenderer.render([.object(inputs)])))"
        let claimName = runName
        if delivery == .pvc { objects.append(claimObject(claimName, writer: runName)) }
        var record = FieldRecord(context)
        record.note(
            "",
            FieldOrigin(
                .spec(pipeline.name.location), field: "ModelPipeline",
                rule: "one PipelineRun per set of inputs, named by their hash: a changed input gives a new run"))
        let timeoutOrigin =
            pipeline.timeout.map { FieldOrigin(.spec($0.location), field: "spec.timeout") }
            ?? FieldOrigin(.spec(pipeline.modelSize.location), field: "spec.size.model", rule: timeoutFormula)
        var specRecord = FieldRecord(context)
        let spec = runSpec(
            pipeline, source: source, delivery: delivery, destinations: destinations, images: images,
            pipelineName: pipelineName, storage: (storage, storageOrigin), claimName: claimName, timeout: timeout,
            timeoutOrigin: timeoutOrigin, fetch: fetch, push: push, packager: packager, context: context, record: &specRecord)
        record.merge(specRecord, under: "spec")
        var annotations: [String: String] = [:]
        if delivery == .modelcar, autoCleanupWorks(environment) { annotations["tekton.dev/auto-cleanup-pvc"] = "true" }
        let manifest = PlanMetadata.object(
            apiVersion: "tekton.dev/v1", kind: "PipelineRun", name: runName, namespace: namespace,
            labels: PlanMetadata.labels(component: "model-pipeline", extra: [LabelKey.instance: pipeline.name.value]),
            annotations: annotations, body: [("spec", spec)])
        objects.append(
            PlannedObject(
                apiVersion: "tekton.dev/v1", kind: "PipelineRun", name: runName, namespace: namespace, manifest: manifest,
                wave: .build, sources: [pipeline.name.location], provenance: record.origins
            ).checking(
                DerivedName(
                    runName, rule: .label, what: "PipelineRun name", at: pipeline.name.location,
                    help: "shorten metadata.name; Tekton labels pods with the PipelineRun name")))

        switch delivery {
        case .modelcar:
            let first = destinations.first
            return PlannedRun(
                objects: objects, storageURI: "oci://" + (images.first ?? ""),
                storageOrigin: first?.origin(
                    field: "spec.modelcar.destinations[0]",
                    rule: "oci://<first destination>:<tag>: the reference push-0 writes and verify-0 reads back")
                    ?? FieldOrigin(.spec(pipeline.name.location), field: "spec.modelcar.destinations[0]"))
        case .pvc:
            return PlannedRun(
                objects: objects, storageURI: "pvc://\(claimName)/\(modelFolder)",
                storageOrigin: FieldOrigin(
                    .spec(source.location), field: "spec.source.huggingFace",
                    rule: "pvc://<the model's claim>/model: where the populate run downloads the files"),
                podSecurityContext: predictorSecurity(context))
        }
    }

    /// What goes into the model's image (or claim): the repository and its revision, the
    /// patterns, the packager with its version, the base image as written (a mirror serves the
    /// same digest), and the download and package scripts. Nothing about where the content is
    /// stored, pushed or served from: those never re-tag identical content.
    static func contentInputs(
        _ pipeline: ModelPipeline, source: ModelPipeline.HuggingFace, delivery: ModelDelivery, packager: String?,
        tasks: [TektonPlanner.PlannedTask], scripts: ManifestNode
    ) -> ManifestNode {
        var inputs: [(String, ManifestNode?)] = [
            ("repo", .string(source.repo.value)),
            ("revision", .string(source.revision.value)),
            ("allowPatterns", .list(source.allowPatterns.map { .string($0.value) })),
            ("ignorePatterns", .list(source.ignorePatterns.map { .string($0.value) })),
            ("delivery", .string(delivery.rawValue)),
        ]
        // The steps that shape the content: their scripts and environment, not their images'
        // registries, names or namespaces.
        var used = [downloadTask]
        var usedScripts = ["model-download.py"]
        if delivery == .modelcar {
            used.append(packager == nil ? packageTask : buildahPackageTask)
            usedScripts += ["model-layers.sh", packager == nil ? "model-package.sh" : "model-package-buildah.sh"]
            inputs.append(("packager", .string(packager == nil ? "olot " + olotVersion : "buildah")))
            inputs.append(
                ("baseImage", .string(pipeline.modelcar?.baseImage?.value ?? ModelPipeline.Modelcar.defaultBaseImage)))
        }
        let steps: [ManifestNode] = tasks.filter { used.contains($0.templateName) }.flatMap { task in
            (task.object.manifest.value(at: "spec.steps")?.elements ?? []).map { step in
                ManifestNode.object([("script", step["script"]), ("env", step["env"]), ("args", step["args"])])
            }
        }
        inputs.append(("steps", .list(steps)))
        inputs.append(("scripts", .object(usedScripts.map { ($0, scripts[$0]) })))
        return .object(inputs)
    }

    /// The PipelineRun's spec; `record` receives each field's origin (paths relative to `spec`).
    static func runSpec(
        _ pipeline: ModelPipeline, source: ModelPipeline.HuggingFace, delivery: ModelDelivery,
        destinations: [ResolvedDestination], images: [String], pipelineName: String, storage: (String, FieldOrigin),
        claimName: String, timeout: String, timeoutOrigin: FieldOrigin, fetch: String, push: String, packager: String?,
        context: PlanContext, record: inout FieldRecord
    ) -> ManifestNode {
        let environment = context.environment
        let modelcar = pipeline.modelcar
        var values: [(String, String, FieldOrigin)] = [
            ("repo", source.repo.value, FieldOrigin(.spec(source.repo.location), field: "spec.source.huggingFace.repo")),
            (
                "revision", source.revision.value,
                FieldOrigin(.spec(source.revision.location), field: "spec.source.huggingFace.revision")
            ),
            (
                "allow-patterns", source.allowPatterns.map(\.value).joined(separator: "\n"),
                FieldOrigin(
                    source.allowPatternsWritten
                        ? .spec(source.allowPatterns.first?.location ?? source.location)
                        : .builtinDefault("safetensors weights and the config/tokenizer files: one weight format"),
                    field: "spec.source.huggingFace.allowPatterns", rule: "one pattern per line")
            ),
            (
                "ignore-patterns", source.ignorePatterns.map(\.value).joined(separator: "\n"),
                FieldOrigin(
                    source.ignorePatterns.first.map { .spec($0.location) } ?? .builtinDefault("none"),
                    field: "spec.source.huggingFace.ignorePatterns")
            ),
            (
                "model-bytes", String(Quantity.saturatingInt(Quantity.value(pipeline.modelSize.value) ?? 0)),
                FieldOrigin(
                    .spec(pipeline.modelSize.location), field: "spec.size.model",
                    rule: "in bytes: a larger selection fails before the download starts")
            ),
        ]
        if delivery == .modelcar {
            let baseImage = modelcar?.baseImage
            values.append(
                (
                    "base-image", context.image(baseImage?.value ?? ModelPipeline.Modelcar.defaultBaseImage),
                    FieldOrigin(
                        baseImage.map { .spec($0.location) }
                            ?? .builtinDefault("ubi9/ubi-micro by digest: it has sh, which KServe's modelcar container runs"),
                        field: "spec.modelcar.baseImage")
                ))
            if packager == nil {
                values.append(
                    (
                        "olot-version", olotVersion,
                        FieldOrigin(.builtinDefault("the olot release nbgitops' package script is tested with"))
                    ))
            }
            let limit = environment.models.registryLayerLimit
            values.append(
                (
                    "layer-limit-bytes", String(Quantity.saturatingInt(Quantity.value(limit.value) ?? 0)),
                    FieldProvenance.traced(
                        limit, field: "models.registryLayerLimit", rule: "in bytes: a larger file fails before packaging")
                ))
            for (index, image) in images.enumerated() {
                values.append(
                    (
                        "image-\(index)", image,
                        destinations[index].origin(
                            field: "spec.modelcar.destinations[\(index)]",
                            rule: "<repository>:nbgitops-<hash of the run's inputs>")
                    ))
            }
        }
        let params = record.list(
            "params", values.map { name, value, origin in (["name": .string(name), "value": .string(value)], origin) },
            whole: FieldOrigin(.spec(pipeline.name.location), field: "spec", rule: "every Pipeline parameter"))
        var workspaces: [(ManifestNode, FieldOrigin)] = []
        switch delivery {
        case .modelcar:
            let claimSpec = ManifestNode.object([
                ("accessModes", ["ReadWriteOnce"]),
                ("storageClassName", environment.storage.storageClassName.value.map { .string($0) }),
                ("resources", ["requests": ["storage": .string(storage.0)]]),
            ])
            workspaces.append(
                (
                    ["name": "model", "volumeClaimTemplate": ["spec": claimSpec]],
                    FieldOrigin(
                        storage.1.origin, field: storage.1.field,
                        rule: "a per-run volumeClaimTemplate of " + storage.0 + " (" + (storage.1.rule ?? "as written")
                            + (autoCleanupWorks(environment)
                                ? "); deleted when the run completes (tekton.dev/auto-cleanup-pvc)"
                                : "); kept until the PipelineRun is pruned (Tekton < 1.11 or coschedule not workspaces)"))
                ))
        case .pvc:
            workspaces.append(
                (
                    ["name": "model", "persistentVolumeClaim": ["claimName": .string(claimName)]],
                    FieldOrigin(.builtinDefault("the model's claim, which the predictor mounts read-only afterwards"))
                ))
        }
        if let token = source.tokenSecret {
            workspaces.append(
                (
                    [
                        "name": "hf-token",
                        "secret": [
                            "secretName": .string(token.value), "items": [["key": "token", "path": "token"]],
                            "defaultMode": 0o440,
                        ],
                    ],
                    FieldOrigin(
                        .spec(token.location), field: "spec.source.huggingFace.tokenSecret",
                        rule: "the Secret, by name, bound to the download Task only and read as a file")
                ))
        }
        for (index, destination) in destinations.enumerated() {
            guard let secret = destination.pushSecret else { continue }
            workspaces.append(
                (
                    ["name": .string("dockerconfig-\(index)"), "secret": ["secretName": .string(secret)]],
                    destination.environmentDefault == nil
                        ? FieldOrigin(
                            .spec(destination.location), field: "spec.modelcar.destinations[\(index)].registry.pushSecret",
                            rule: "the push credentials, by name, bound to check-\(index), push-\(index) and verify-\(index) only"
                        )
                        : FieldProvenance.traced(
                            context.environment.images.pushSecret, field: "images.pushSecret",
                            rule:
                                "the environment's push credentials, by name, bound to check-\(index), push-\(index) and verify-\(index) only"
                        )
                ))
        }
        let workspaceList = record.list(
            "workspaces", workspaces,
            whole: FieldOrigin(.builtinDefault("the model workspace, then the token and push credentials there are")))
        var template: [(String, ManifestNode?)] = [("serviceAccountName", .string(fetch))]
        if context.platform == .kubernetes {
            template.append(("podTemplate", ["securityContext": ["fsGroup": 0]]))
        }
        let templateNode = record.set(
            "taskRunTemplate", .object(template),
            from: FieldOrigin(
                .builtinDefault("pod settings only in taskRunTemplate, which the affinity assistant inherits"),
                rule: "no tolerations (no GPU), and on OpenShift no securityContext, so the affinity assistant is admitted"))
        var accounts: [(String, String)] = []
        if let packager { accounts.append(("package", packager)) }
        for (index, destination) in destinations.enumerated() where destination.isInternal {
            accounts += [("check-\(index)", push), ("push-\(index)", push), ("verify-\(index)", push)]
        }
        let specs: ManifestNode? =
            accounts.isEmpty
            ? nil
            : record.set(
                "taskRunSpecs",
                .list(accounts.map { ["pipelineTaskName": .string($0.0), "serviceAccountName": .string($0.1)] }),
                from: FieldOrigin(
                    .builtinDefault(
                        "only buildah's package Task runs as the account bound to pipelines-scc, only the internal pushes, "
                            + "their checks and their verification as the one that may push (system:image-builder)")))
        return .object([
            (
                "pipelineRef",
                record.set(
                    "pipelineRef", ["name": .string(pipelineName)],
                    from: FieldOrigin(.spec(pipeline.name.location), field: "metadata.name"))
            ),
            ("params", params),
            ("workspaces", workspaceList),
            ("taskRunTemplate", templateNode),
            ("taskRunSpecs", specs),
            ("timeouts", ["pipeline": record.set("timeouts.pipeline", .string(timeout), from: timeoutOrigin)]),
        ])
    }
}
