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

}
