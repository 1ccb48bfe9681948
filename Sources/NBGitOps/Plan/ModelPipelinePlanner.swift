/// The planner of the ModelPipeline kind: one KServe `InferenceService`
/// (`serving.kserve.io/v1beta1`) per pipeline, a generated vLLM `ServingRuntime` where no runtime
/// is named, and for `source.huggingFace` the Tekton pipeline of `HuggingFacePlanner`.
///
/// `source.notebookOutput`: the predictor loads `pvc://<claim>/<path>` — the claim the named NotebookValidationJob's
/// volume mounts read-write, so the `storageUri` is derived, never typed twice (a training-to-serving flow's
/// training-to-serving flow). KServe's storage initializer mounts that claim read-only in the
/// predictor (kserve `pkg/webhook/admission/pod/storage_initializer_injector.go`, `pvc://`).
///
/// Order: the InferenceService is applied only after the writing Job succeeded — under Argo
/// CD in the `serving` sync wave after the Jobs (Argo CD's Job health is Healthy only once the
/// Job completed); under Flux from `<env>/serving/` by a Kustomization that `dependsOn` the
/// validation Kustomization (`wait: true`, Ready once the Jobs completed).
///
/// What cannot be planned (a job that is not in the specs or not planned here, a volume that
/// is not one of its claims mounted read-write) is left out; `ModelPipelineRules` reports it.
enum ModelPipelinePlanner {
    static let planner = KindPlanner(
        kind: ModelPipelineDecoder.kind,
        // The predictor runs as KServe's account and reads a claim the job's unit already holds.
        units: { _, _ in [] },
        plan: { specs, _, resources, context in
            // Per namespace the pipelines land in, each group planned as one environment's.
            var result = KindPlan(objects: [], builds: nil)
            let groups = NotebookValidationPlanner.byNamespace(specs.modelPipelines, context: context, written: \.namespace)
            for group in groups {
                var local = specs
                local.modelPipelines = group.specs
                let planned = plan(local, resources: resources, context: group.context)
                result.objects += planned.objects
                result.serving += planned.serving
                result.unusableTemplates += planned.unusableTemplates
                if let builds = planned.builds {
                    var merged = result.builds ?? BuildPlanner.Result()
                    merged.merge(builds)
                    result.builds = merged
                }
            }
            return result
        })

    /// The pipelines of one namespace (`context` is placed there).
    static func plan(_ specs: SpecSet, resources: PlanResources, context: PlanContext) -> KindPlan {
        let huggingFace = HuggingFacePlanner.plan(specs, templates: resources.buildTemplates, context: context)
        let serving = plan(specs, context: context) + huggingFace.serving
        // A generated vLLM ServingRuntime for each served pipeline that names no runtime.
        let served = Set(serving.compactMap { $0.manifest.value(at: "metadata.labels")?[LabelKey.instance]?.stringValue })
        let runtimes = specs.modelPipelines.filter {
            served.contains($0.name.value) && $0.serving.generatesRuntime
                && EnvironmentPlanner.isPlanned(annotations: $0.annotations, on: context.platform)
        }.map { servingRuntime($0, context: context) }
        return KindPlan(
            objects: huggingFace.objects + runtimes, builds: huggingFace.builds, serving: serving,
            unusableTemplates: huggingFace.unusableTemplates)
    }

    /// The job, the claim and the mount a pipeline serves from, when they exist as it says.
    struct ResolvedSource {
        var job: NotebookValidationJob
        var claim: Located<String>
        var output: ModelPipeline.NotebookOutput
    }

    /// The job is looked up in the pipeline's own namespace (a claim is namespaced: a predictor
    /// mounts only a claim of its namespace), as the environment maps both.
    static func resolve(_ pipeline: ModelPipeline, specs: SpecSet, naming: NamingSettings, platform: Platform)
        -> ResolvedSource?
    {
        let namespace = naming.target(of: pipeline.namespace).value
        guard let source = pipeline.notebookOutput,
            let job = specs.jobs.first(where: {
                $0.name.value == source.job.value && EnvironmentPlanner.isPlanned($0, on: platform)
                    && naming.target(of: $0.namespace).value == namespace
            }),
            let volume = job.podConfig.volumes.first(where: { $0.name.value == source.volume.value }),
            case .persistentVolumeClaim(let claim, let readOnly) = volume.source, !readOnly,
            job.podConfig.volumeMounts.contains(where: { $0.name.value == source.volume.value && !$0.readOnly })
        else { return nil }
        return ResolvedSource(job: job, claim: claim, output: source)
    }

    static func plan(_ specs: SpecSet, context: PlanContext) -> [PlannedObject] {
        specs.modelPipelines.filter {
            EnvironmentPlanner.isPlanned(annotations: $0.annotations, on: context.platform)
        }.compactMap { pipeline in
            resolve(pipeline, specs: specs, naming: context.homeNaming, platform: context.platform).map { source in
                inferenceService(
                    pipeline, storageURI: "pvc://\(source.claim.value)/\(source.output.path.value)",
                    storageOrigin: FieldOrigin(
                        .spec(source.output.path.location), field: "spec.source.notebookOutput",
                        rule: "pvc://<claim of job '\(source.job.name.value)' volume '\(source.output.volume.value)' "
                            + "(\(source.claim.location))>/<path>: the claim the notebook writes, mounted read-only"),
                    servedClaimModes: claimModes(
                        source.claim.value, namespace: context.homeNaming.target(of: pipeline.namespace).value, specs: specs,
                        context: context),
                    context: context)
            }
        }
    }

    /// KServe's per-InferenceService deployment mode. Without it the cluster's
    /// `inferenceservice-config` decides, and upstream KServe (v0.14 to v0.20) and OpenShift
    /// AI 2.x default to Serverless: the predictor pod spec then goes verbatim into a Knative
    /// Service, whose webhook rejects a pod-level `securityContext` (runAsUser, runAsNonRoot,
    /// fsGroup), `nodeSelector` and `tolerations` unless the cluster enabled those Knative
    /// features (knative/serving `pkg/apis/serving/fieldmask.go` `PodSecurityContextMask`,
    /// `pkg/apis/config/features.go`). RawDeployment makes the predictor a Deployment, which
    /// takes every field nbgitops writes; current KServe reads it as the legacy name of
    /// `Standard` (kserve/kserve `pkg/constants/constants.go` `LegacyRawDeployment`), older
    /// releases and OpenShift AI by this name, so one value works on all of them.
    static let deploymentModeAnnotation = "serving.kserve.io/deploymentMode"
    static let rawDeployment = ServingDeploymentMode.rawDeployment.rawValue

    /// The model container's securityContext in Serverless mode. Knative's webhook accepts no
    /// pod-level securityContext field at its defaults (knative/serving
    /// `pkg/apis/serving/fieldmask.go` `PodSecurityContextMask`: everything but seccompProfile
    /// needs `kubernetes.podspec-securitycontext`, seccompProfile needs `secure-pod-defaults`,
    /// both Disabled in `pkg/apis/config/features.go`; `k8s_validation.go` rejects the rest), but
    /// takes runAsUser, runAsGroup, runAsNonRoot and seccompProfile on a container
    /// (`SecurityContextMask`). fsGroup has no container form: the predictor reads its claim
    /// (mounted read-only by KServe) through runAsGroup, the group the download step wrote with.
    static func serverlessContainerContext(_ pod: ManifestNode) -> ManifestNode {
        .object([
            ("allowPrivilegeEscalation", false),
            ("capabilities", ["drop": ["ALL"]]),
            ("runAsGroup", pod["runAsGroup"]),
            ("runAsNonRoot", true),
            ("runAsUser", pod["runAsUser"]),
            ("seccompProfile", ["type": "RuntimeDefault"]),
        ])
    }

    /// The access modes of the claim a pipeline serves from: its passed-through
    /// PersistentVolumeClaim's, else the environment's `storage.accessMode` (as NBG202 judges).
    static func claimModes(_ claim: String, namespace: String, specs: SpecSet, context: PlanContext) -> (
        [String], Origin
    ) {
        let naming = context.homeNaming
        if let pvc = specs.supportingObjects.first(where: {
            $0.kind == "PersistentVolumeClaim" && $0.name.value == claim && naming.target(of: $0.namespace).value == namespace
        }), let modes = pvc.manifest.value(at: "spec.accessModes")?.elements?.compactMap(\.stringValue), !modes.isEmpty {
            return (modes, .spec(pvc.sourceMap.nearest("spec.accessModes") ?? pvc.location))
        }
        let traced = context.environment.storage.accessMode
        return ([traced.value.rawValue], traced.origin)
    }

    /// `servedClaimModes`: the access modes of a `pvc://` claim and where they were set. On a
    /// claim only one node attaches (ReadWriteOnce, ReadWriteOncePod) the predictor runs one
    /// replica unless the spec says otherwise (then NBG202 refuses it): a replica on a second
    /// node would fail with Multi-Attach, and Knative autoscales with no upper bound.
    static func inferenceService(
        _ pipeline: ModelPipeline, storageURI: String, storageOrigin: FieldOrigin,
        podSecurityContext: (ManifestNode, FieldOrigin)? = nil, servedClaimModes: ([String], Origin)? = nil,
        context: PlanContext
    ) -> PlannedObject {
        let name = context.derivedName(pipeline.name.value)
        let serving = pipeline.serving
        var record = FieldRecord(context)
        record.note(
            "",
            FieldOrigin(
                .spec(pipeline.name.location), field: "ModelPipeline",
                rule: "one KServe InferenceService per ModelPipeline, applied after what delivers the model"))
        // A predictor asking for the GPU resource tolerates the GPU nodes' taints and carries
        // their labels, as validation pods do (a GPU-tainted cluster strands pods that
        // do not); a requests-only GPU gets an equal limit.
        let gpu = context.environment.gpu
        let mode = context.environment.servingDeploymentMode
        let serverless = mode.value == .serverless
        let podContext =
            podSecurityContext?.0
            ?? ValidationJobPlanner.podSecurityContext(context.platform, security: context.environment.security)
        let placement = GPUPlacement(
            resources: serving.resources, nodeSelector: serving.nodeSelector, tolerations: serving.tolerations, gpu: gpu)
        var modelFormat: [(String, ManifestNode?)] = [("name", .string(serving.modelFormat.value))]
        if let version = serving.modelFormatVersion { modelFormat.append(("version", .string(version.value))) }
        let model = ManifestNode.object([
            (
                "modelFormat",
                record.set(
                    "spec.predictor.model.modelFormat", .object(modelFormat),
                    from: FieldOrigin(.spec(serving.modelFormat.location), field: "spec.serving.modelFormat"))
            ),
            (
                "runtime",
                record.setIfPresent(
                    "spec.predictor.model.runtime",
                    serving.generatesRuntime
                        ? .string(runtimeName(pipeline, context: context)) : serving.runtime.map { .string($0.value) },
                    from: serving.generatesRuntime
                        ? FieldOrigin(
                            .spec(serving.vllm?.location ?? serving.modelFormat.location), field: "spec.serving",
                            rule: "no runtime named and model format vLLM: the vLLM ServingRuntime nbgitops generates")
                        : FieldOrigin(
                            serving.runtime.map { .spec($0.location) } ?? .builtinDefault("KServe picks a runtime"),
                            field: "spec.serving.runtime"))
            ),
            (
                "storageUri",
                record.set("spec.predictor.model.storageUri", .string(storageURI), from: storageOrigin)
            ),
            (
                "resources",
                record.setIfPresent(
                    "spec.predictor.model.resources", placement.resources,
                    from: FieldOrigin(
                        .spec(serving.location), field: "spec.serving.resources",
                        rule: placement.requestsGPU
                            ? "copied as written; a GPU request without a limit gets an equal limit"
                            : "copied as written"))
            ),
            (
                "securityContext",
                serverless
                    ? record.set(
                        "spec.predictor.model.securityContext", serverlessContainerContext(podContext),
                        from: FieldProvenance.traced(
                            mode, field: "serving.deploymentMode",
                            rule: "Serverless: the pod's user and group on the container, where Knative accepts them "
                                + "(knative/serving pkg/apis/serving/fieldmask.go SecurityContextMask)"))
                    : record.set(
                        "spec.predictor.model.securityContext",
                        ValidationJobPlanner.containerSecurityContext(readOnlyRootFilesystem: false),
                        from: FieldOrigin(
                            .builtinDefault("Pod Security restricted: no privilege escalation, no capabilities, non-root")))
            ),
        ])
        let singleNode =
            servedClaimModes.map { modes in
                !modes.0.contains { [AccessMode.readWriteMany.rawValue, AccessMode.readOnlyMany.rawValue].contains($0) }
            } ?? false
        let predictor = ManifestNode.object([
            (
                "minReplicas",
                record.setIfPresent(
                    "spec.predictor.minReplicas", serving.minReplicas.map { .int($0.value) },
                    from: FieldOrigin(
                        serving.minReplicas.map { .spec($0.location) } ?? .builtinDefault(""),
                        field: "spec.serving.minReplicas"))
            ),
            (
                "maxReplicas",
                serving.maxReplicas == nil && singleNode
                    ? record.set(
                        "spec.predictor.maxReplicas", .int(1),
                        from: FieldOrigin(
                            servedClaimModes?.1 ?? .builtinDefault(""), field: "storage.accessMode",
                            rule: "the served claim is \((servedClaimModes?.0 ?? []).joined(separator: ", ")): one replica, "
                                + "a replica on a second node could not attach it (serving.maxReplicas unset)"))
                    : record.setIfPresent(
                        "spec.predictor.maxReplicas", serving.maxReplicas.map { .int($0.value) },
                        from: FieldOrigin(
                            serving.maxReplicas.map { .spec($0.location) } ?? .builtinDefault(""),
                            field: "spec.serving.maxReplicas"))
            ),
            (
                "securityContext",
                serverless
                    ? nil
                    : record.set(
                        "spec.predictor.securityContext",
                        podContext,
                        from: podSecurityContext?.1
                            ?? FieldProvenance.traced(
                                context.environment.platform, field: "platform",
                                rule: "the validation pods' identity (user, group, fsGroup): the predictor reads the files the "
                                    + "notebook wrote as the same group"))
            ),
            (
                "nodeSelector",
                placement.nodeSelector.isEmpty
                    ? nil
                    : record.set(
                        "spec.predictor.nodeSelector", .strings(placement.nodeSelector),
                        from: serving.nodeSelector.isEmpty
                            ? FieldProvenance.traced(
                                gpu.nodeSelector, field: "gpu.nodeSelector",
                                rule: "GPU predictors get the environment's GPU node labels")
                            : FieldOrigin(
                                .spec(pipeline.sourceMap.nearest("spec.serving.placement.nodeSelector") ?? serving.location),
                                field: "spec.serving.placement.nodeSelector",
                                rule: placement.requestsGPU ? "as written, plus the environment's GPU node labels" : nil))
            ),
            (
                "tolerations",
                placement.tolerations.isEmpty
                    ? nil
                    : record.list(
                        "spec.predictor.tolerations",
                        zip(placement.tolerations, placement.tolerationSources).map { toleration, source in
                            switch source {
                            case .spec(let index):
                                let path = "spec.serving.placement.tolerations[\(index)]"
                                return (
                                    toleration,
                                    FieldOrigin(.spec(pipeline.sourceMap.nearest(path) ?? serving.location), field: path)
                                )
                            case .gpu(let index):
                                return (
                                    toleration,
                                    FieldOrigin(
                                        gpu.taints.origin, field: "gpu.taints[\(index)]",
                                        rule:
                                            "one toleration per GPU node taint: the predictor requests \(gpu.resourceName.value)")
                                )
                            }
                        },
                        whole: FieldProvenance.traced(gpu.taints, field: "gpu.taints"))
            ),
            ("model", model),
        ])
        record.note(
            "metadata.annotations[\(deploymentModeAnnotation)]",
            FieldProvenance.traced(
                mode, field: "serving.deploymentMode",
                rule: "always written: the cluster's default mode (inferenceservice-config) never decides"))
        let dashboard = dashboardMetadata(displayName: pipeline.name.value, apiProtocol: nil, context: context)
        for key in dashboard.labels.keys.sorted() {
            record.note("metadata.labels[\(key)]", dashboard.origin)
        }
        for key in dashboard.annotations.keys.sorted() {
            record.note("metadata.annotations[\(key)]", dashboard.origin)
        }
        let manifest = PlanMetadata.object(
            apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService", name: name, namespace: context.namespace,
            labels: PlanMetadata.labels(
                component: "model-serving",
                extra: [LabelKey.instance: pipeline.name.value].merging(dashboard.labels) { first, _ in first }),
            annotations: [deploymentModeAnnotation: mode.value.rawValue].merging(dashboard.annotations) { first, _ in first },
            body: [("spec", ["predictor": predictor])])
        return PlannedObject(
            apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService", name: name, namespace: context.namespace,
            manifest: manifest, wave: .serving, sources: [pipeline.name.location], provenance: record.origins
        ).checking(DerivedName(name, rule: .label, what: "InferenceService name", at: pipeline.name.location))
    }

    // MARK: OpenShift AI dashboard

    /// What the OpenShift AI dashboard lists a served model or runtime by: only objects labelled
    /// `opendatahub.io/dashboard: "true"` appear there, under `openshift.io/display-name`, and a
    /// ServingRuntime's `opendatahub.io/apiProtocol` (REST or gRPC) says how to call it
    /// (opendatahub-io/odh-dashboard `frontend/src/api/k8s/inferenceServices.ts` and
    /// `servingRuntimes.ts`, which write and filter by these keys). Written where an overlay
    /// declares `platform.versions.openshiftAI`; empty elsewhere.
    static func dashboardMetadata(displayName: String, apiProtocol: String?, context: PlanContext)
        -> (labels: [String: String], annotations: [String: String], origin: FieldOrigin)
    {
        guard let version = context.environment.facts.versions[.openshiftAI] else {
            return ([:], [:], FieldOrigin(.builtinDefault("")))
        }
        var annotations = [dashboardDisplayNameAnnotation: displayName]
        if let apiProtocol { annotations[dashboardAPIProtocolAnnotation] = apiProtocol }
        return (
            [dashboardLabel: "true"], annotations,
            FieldProvenance.traced(
                version, field: "platform.versions.openshiftAI",
                rule: "the OpenShift AI dashboard lists only objects labelled opendatahub.io/dashboard")
        )
    }

    static let dashboardLabel = "opendatahub.io/dashboard"
    static let dashboardDisplayNameAnnotation = "openshift.io/display-name"
    static let dashboardAPIProtocolAnnotation = "opendatahub.io/apiProtocol"

    // MARK: Generated vLLM ServingRuntime

    static func runtimeName(_ pipeline: ModelPipeline, context: PlanContext) -> String {
        context.derivedName(pipeline.name.value) + "-vllm"
    }

    /// The GPUs the predictor asks for (its limit, else its request), 0 without any.
    static func gpuCount(_ serving: ModelPipeline.Serving, resource: String) -> Int {
        for section in ["limits", "requests"] {
            if let text = serving.resources?[section]?[resource]?.stringValue
                ?? serving.resources?[section]?[resource]?.intValue
                .map(String.init), let count = Int(text)
            {
                return count
            }
        }
        return 0
    }

    /// A vLLM ServingRuntime (`serving.kserve.io/v1alpha1`) for one pipeline: the OpenAI server
    /// image by digest, the model KServe mounts at /mnt/models, one tensor-parallel worker per
    /// GPU, and a memory-backed /dev/shm (the container runtime's 64Mi default crashes vLLM's
    /// workers, which share tensors through it). Restricted container security, like every pod
    /// nbgitops emits.
    static func servingRuntime(_ pipeline: ModelPipeline, context: PlanContext) -> PlannedObject {
        let name = runtimeName(pipeline, context: context)
        let settings = pipeline.serving.vllm
        let gpus = gpuCount(pipeline.serving, resource: context.environment.gpu.resourceName.value)
        var record = FieldRecord(context)
        record.note(
            "",
            FieldOrigin(
                .spec(settings?.location ?? pipeline.serving.modelFormat.location), field: "spec.serving",
                rule: "serving.runtime unset and model format vLLM: one vLLM ServingRuntime per ModelPipeline"))
        var args = ["--port=8080", "--model=/mnt/models", "--served-model-name={{.Name}}"]
        if gpus > 1 { args.append("--tensor-parallel-size=\(gpus)") }
        args += (settings?.args ?? []).map(\.value)
        // (The decoder bounds a served GPU count below 2^32: 2Gi per GPU stays a Kubernetes quantity.)
        let doubled = gpus.multipliedReportingOverflow(by: 2)
        let shm = settings?.shmSize?.value ?? "\(max(2, doubled.overflow ? Int.max : doubled.partialValue))Gi"
        let image = context.image(settings?.image?.value ?? ModelPipeline.VLLM.defaultImage)
        let container = ManifestNode.object([
            ("name", "kserve-container"),
            (
                "image",
                record.set(
                    "spec.containers[0].image", .string(image),
                    from: FieldOrigin(
                        settings?.image.map { .spec($0.location) }
                            ?? .builtinDefault("vllm/vllm-openai v0.8.5, pinned by digest"),
                        field: "spec.serving.vllm.image"))
            ),
            ("command", ["python3", "-m", "vllm.entrypoints.openai.api_server"]),
            (
                "args",
                record.set(
                    "spec.containers[0].args", .list(args.map { .string($0) }),
                    from: FieldOrigin(
                        settings?.args.first.map { .spec($0.location) }
                            ?? .builtinDefault("the model KServe mounts at /mnt/models, served under the InferenceService's name"),
                        field: "spec.serving.vllm.args",
                        rule: gpus > 1 ? "--tensor-parallel-size from the GPU limit (\(gpus))" : nil))
            ),
            (
                "env",
                [
                    ["name": "HOME", "value": "/tmp/home"], ["name": "HF_HOME", "value": "/tmp/hf-home"],
                    ["name": "HF_HUB_OFFLINE", "value": "1"],
                ]
            ),
            ("ports", [["containerPort": 8080, "protocol": "TCP"]]),
            ("securityContext", ValidationJobPlanner.containerSecurityContext(readOnlyRootFilesystem: false)),
            ("volumeMounts", [["name": "shm", "mountPath": "/dev/shm"]]),
        ])
        let spec = ManifestNode.object([
            ("annotations", ["prometheus.kserve.io/port": "8080", "prometheus.kserve.io/path": "/metrics"]),
            ("multiModel", false),
            ("supportedModelFormats", [["name": "vLLM", "autoSelect": false]]),
            ("containers", .list([container])),
            (
                "volumes",
                record.set(
                    "spec.volumes", [["name": "shm", "emptyDir": ["medium": "Memory", "sizeLimit": .string(shm)]]],
                    from: FieldOrigin(
                        settings?.shmSize.map { .spec($0.location) } ?? .builtinDefault("2Gi per GPU, at least 2Gi"),
                        field: "spec.serving.vllm.shmSize", rule: "a memory-backed /dev/shm for vLLM's workers"))
            ),
        ])
        // vLLM's OpenAI-compatible server speaks REST.
        let dashboard = dashboardMetadata(
            displayName: "vLLM (\(pipeline.name.value))", apiProtocol: "REST", context: context)
        for key in dashboard.labels.keys.sorted() {
            record.note("metadata.labels[\(key)]", dashboard.origin)
        }
        for key in dashboard.annotations.keys.sorted() {
            record.note("metadata.annotations[\(key)]", dashboard.origin)
        }
        let manifest = PlanMetadata.object(
            apiVersion: "serving.kserve.io/v1alpha1", kind: "ServingRuntime", name: name, namespace: context.namespace,
            labels: PlanMetadata.labels(
                component: "model-serving",
                extra: [LabelKey.instance: pipeline.name.value].merging(dashboard.labels) { first, _ in first }),
            annotations: dashboard.annotations,
            body: [("spec", spec)])
        return PlannedObject(
            apiVersion: "serving.kserve.io/v1alpha1", kind: "ServingRuntime", name: name, namespace: context.namespace,
            manifest: manifest, wave: .config, sources: [pipeline.name.location], provenance: record.origins
        ).checking(DerivedName(name, rule: .subdomain, what: "ServingRuntime name", at: pipeline.name.location))
    }
}
