/// `strategy: tekton`: the three Tasks of `templates/tekton/` (git-clone, Dockerfile
/// generator, buildah) in the build namespace, and per job a Pipeline plus a PipelineRun.
///
/// Decisions, each against a failure seen on clusters:
/// - **Workspace** (ADR-040): the `source` workspace is a `volumeClaimTemplate`, so every
///   PipelineRun gets its own ReadWriteOnce PVC (sized `storage.workspaceSize`, class
///   `storage.storageClassName`) that no other run can mount. An `emptyDir` is not an option:
///   the three Tasks are three pods, and an emptyDir does not outlive a pod.
/// - **Run name**: `<job>-<hash>` (in the build namespace), the hash covering every input (Tasks, scripts,
///   Pipeline, parameters, output repository): a changed input gives a new run, an unchanged
///   one never re-runs, and a finished run is never mutated.
/// - **Pod settings** go in `spec.taskRunTemplate.podTemplate` (never `spec.podTemplate`,
///   which Tekton v1 ignores). Tekton copies that template's `nodeSelector`, `tolerations`,
///   `imagePullSecrets`, `securityContext` and `priorityClassName` to the affinity assistant
///   (under `coschedule: workspaces` one per PVC workspace, under `pipelineruns` and
///   `isolate-pipelinerun` one per run; none under `disabled`); `taskRunSpecs[].podTemplate`
///   never reaches it. So placement lives only in `taskRunTemplate.podTemplate`, builds carry
///   no GPU tolerations (they request no GPU, and assistant and tasks then fit the same
///   nodes), `taskRunSpecs` set only a ServiceAccount, and on OpenShift the template has no
///   `securityContext` at all: fixed UIDs there reach the assistant, whose pod restricted-v2
///   rejects and which then never starts.
/// - **File access across Tasks**: every step runs with group 0 — OpenShift
///   runs arbitrary UIDs with group 0, on Kubernetes the steps say `runAsGroup: 0` and the pod
///   `fsGroup: 0` — and the Tasks write with `umask 0002` plus `chmod -R g+rwX`, so each Task
///   reads and writes what the previous one wrote whatever its UID. On OpenShift the SCCs give
///   every pod of the namespace the same fsGroup, which owns the PVC.
/// - **buildah** runs as root with only `SETFCAP` added, under its own ServiceAccount; on
///   OpenShift that one account may use `pipelines-scc` through a Role naming it
///   (`BuildPlanner.pipelinesSCCAccess`; a binding to `system:openshift:scc:pipelines-scc`
///   would grant nothing) and may push to the build namespace's ImageStreams
///   (`system:image-builder`).
enum TektonPlanner {
    static let cloneTask = "nbgitops-git-clone"
    static let generateTask = "nbgitops-generate-dockerfile"
    static let buildahTask = "nbgitops-buildah"
    static let buildImagePipelineTask = "build-image"
    static let buildScriptsVolume = "nbgitops-build-scripts"
    static let generatorScript = "generate-dockerfile.sh"
    static let cloneScript = "git-clone.sh"
    /// The non-root UID of the clone and generator steps on Kubernetes: `nobody`, which the
    /// clone image's /etc/passwd knows (OpenSSH refuses to run for a UID without an entry).
    static let kubernetesStepUser = 65534

    static func plan(
        jobs: [(NotebookValidationJob, BuildConfigSpec)], namespace: String, scripts: [ScriptFile],
        templates: BuildTemplates, context: PlanContext, into result: inout BuildPlanner.Result
    ) {
        guard
            let tasks = self.tasks(
                namespace: namespace, templates: templates, context: context, unusable: &result.unusableTemplates),
            let configMap = buildScripts(
                namespace: namespace, scripts: scripts, templates: templates, context: context,
                unusable: &result.unusableTemplates)
        else { return }
        let builder = context.derivedName(BuildPlanner.builderServiceAccountBase)
        let buildah = context.derivedName(BuildPlanner.buildahServiceAccountBase)
        let internalPush = context.platform == .openshift && context.environment.images.registry.value == nil
        result.objects.append(BuildPlanner.serviceAccount(name: builder, namespace: namespace, automountToken: false))
        result.objects.append(BuildPlanner.serviceAccount(name: buildah, namespace: namespace, automountToken: internalPush))
        if context.platform == .openshift {
            let subject = BuildPlanner.serviceAccountSubject(buildah, namespace: namespace)
            result.objects += BuildPlanner.pipelinesSCCAccess(account: buildah, namespace: namespace)
            if internalPush {
                result.objects.append(
                    BuildPlanner.roleBinding(
                        name: buildah + "-image-builder", namespace: namespace, clusterRole: "system:image-builder",
                        subjects: [subject]))
            }
        }
        result.objects.append(configMap)
        result.objects += tasks.map(\.object)

        let taskInputs = ManifestNode.list(tasks.map { $0.object.manifest } + [configMap.manifest])
        for (job, build) in jobs {
            guard
                let output = BuildPlanner.output(
                    job: job, build: build, namespace: namespace, allowExternal: true, context: context)
            else { continue }
            let pipelineName = context.derivedName(job.name.value) + "-build"
            let pipeline = self.pipeline(
                name: pipelineName, job: job, namespace: namespace, tasks: tasks, context: context, internalPush: internalPush,
                timeout: BuildPlanner.goDuration(build.timeoutSeconds.value)
            ).checking(DerivedName(pipelineName, rule: .subdomain, what: "Pipeline name", at: job.name.location))
            var hashed = FieldRecord(keeps: false)
            let inputs: ManifestNode = [
                "tasks": taskInputs,
                "pipeline": pipeline.manifest["spec"] ?? .null,
                "run": runSpec(
                    job: job, build: build, pipeline: pipelineName, image: output.repository, builder: builder,
                    buildah: buildah, internalPush: internalPush, context: context, record: &hashed),
            ]
            let tag = BuildPlanner.tag(inputs)
            let image = "\(output.repository):\(tag)"
            // Same length budget as the validation Job's name (Tekton labels pods with it).
            let runName = "\(context.derivedName(job.name.value))-\((ImageTag.inputHash(of: tag) ?? ""))"
            let checkedRunName = DerivedName(
                runName, rule: .label, what: "PipelineRun name", at: job.name.location,
                help:
                    "shorten metadata.name to at most \(max(1, 63 - ValidationJobPlanner.hashSuffixLength - context.prefix.utf8.count)) characters; Tekton labels pods with the PipelineRun name"
            )
            var record = FieldRecord(context)
            record.note(
                "",
                FieldOrigin(
                    .spec(build.strategy.location), field: "spec.podConfig.buildConfig.strategy",
                    rule:
                        "strategy: tekton → per job a Pipeline and a PipelineRun of nbgitops' three Tasks, in the build namespace"
                ))
            record.note(
                "metadata.name",
                FieldOrigin(
                    .spec(job.name.location), field: "metadata.name",
                    rule: "namePrefix + metadata.name + '-' + 8 hex digits hashing every build input: "
                        + "a changed input gives a new run, an unchanged one never re-runs"))
            var specRecord = FieldRecord(context)
            let spec = runSpec(
                job: job, build: build, pipeline: pipelineName, image: image, builder: builder, buildah: buildah,
                internalPush: internalPush, context: context, record: &specRecord)
            record.merge(specRecord, under: "spec")
            let manifest = PlanMetadata.object(
                apiVersion: "tekton.dev/v1", kind: "PipelineRun", name: runName, namespace: namespace,
                labels: PlanMetadata.labels(component: "build", extra: [LabelKey.instance: job.name.value]),
                body: [("spec", spec)])
            result.objects.append(pipeline)
            if let stream = output.imageStream {
                result.objects.append(
                    BuildPlanner.imageStream(name: stream, namespace: namespace, awaitTag: nil, wave: .config))
            }
            result.objects.append(
                PlannedObject(
                    apiVersion: "tekton.dev/v1", kind: "PipelineRun", name: runName, namespace: namespace,
                    manifest: manifest, wave: .build, sources: [build.strategy.location], provenance: record.origins
                ).checking(checkedRunName))
            result.images[job.name.value] = image
        }
    }

    // MARK: Tasks

    struct PlannedTask {
        var templateName: String
        var name: String
        var object: PlannedObject
    }

    /// The three Tasks, renamed, with the environment's images and the platform's security
    /// contexts. nil (reported) when a template is missing or malformed.
    static func tasks(
        namespace: String, templates: BuildTemplates, context: PlanContext, unusable: inout [UnusableTemplate]
    ) -> [PlannedTask]? {
        var planned: [PlannedTask] = []
        let mirrorRule =
            context.mirrors.isEmpty
            ? nil : "images.mirrors rewrite the registry prefix (\(context.environment.images.mirrors.origin))"
        let scripts = (
            name: context.derivedName(BuildPlanner.buildScriptsConfigMapBase),
            origin: FieldOrigin(
                .builtinDefault("the build scripts ConfigMap (git-clone.sh, generate-dockerfile.sh)"),
                rule: "namePrefix + nbgitops-build-scripts")
        )
        for templateName in [cloneTask, generateTask, buildahTask] {
            let isBuildah = templateName == buildahTask
            guard
                let task = patchedTask(
                    templateName, templates: templates, namespace: namespace, component: "build",
                    note: "nbgitops' Task body, renamed, with the environment's images and the platform's step security",
                    scriptsVolume: buildScriptsVolume, scriptsConfigMap: scripts, context: context, unusable: &unusable,
                    patchStep: { step, path, record, template in
                        if isBuildah {
                            step["image"] = record.set(
                                path + ".image", .string(context.image(context.environment.images.buildah.value)),
                                from: FieldProvenance.traced(
                                    context.environment.images.buildah, field: "images.buildah",
                                    rule: mirrorRule ?? "the buildah image (NBG137 until it is pinned by digest)"))
                        } else {
                            // The clone image has git, ssh and a POSIX shell: both scripts run in it.
                            step["image"] = record.set(
                                path + ".image", .string(context.image(context.environment.images.gitClone.value)),
                                from: FieldProvenance.traced(
                                    context.environment.images.gitClone, field: "images.gitClone",
                                    rule: mirrorRule ?? "the clone image has git, ssh and a POSIX shell: both scripts run in it"))
                        }
                        step["securityContext"] = record.set(
                            path + ".securityContext", stepSecurityContext(buildah: isBuildah, platform: context.platform),
                            from: FieldProvenance.traced(
                                context.environment.platform, field: "platform",
                                rule: isBuildah
                                    ? "buildah runs as root with only SETFCAP added, never privileged: anyuid cannot add it"
                                    : "non-root, no capabilities, group 0: each Task reads what the previous one wrote"
                            ))
                    })
            else { return nil }
            planned.append(task)
        }
        return planned
    }

    /// One Task of `templates/tekton/`: renamed (namePrefix) into `namespace` with `component`
    /// labels, each step patched by `patchStep` (its image and securityContext, recording their
    /// origins), and its scripts volume pointed at the environment's scripts ConfigMap. nil, with
    /// an `UnusableTemplate` (NBG153), when the template is missing or not a tekton.dev/v1 Task
    /// with steps. Shared by the image builds and the model pipelines.
    static func patchedTask(
        _ templateName: String, templates: BuildTemplates, namespace: String, component: String, note: String,
        scriptsVolume: String, scriptsConfigMap: (name: String, origin: FieldOrigin), context: PlanContext,
        unusable: inout [UnusableTemplate],
        patchStep: (inout ManifestNode, String, inout FieldRecord, BuildTemplates.Template) -> Void
    ) -> PlannedTask? {
        guard let template = templates.task(named: templateName),
            template.manifest["apiVersion"]?.stringValue == "tekton.dev/v1",
            let steps = template.manifest.value(at: "spec.steps")?.elements, !steps.isEmpty
        else {
            unusable.append(
                UnusableTemplate(
                    file: "templates/tekton/\(templateName.dropFirst("nbgitops-".count)).yaml",
                    problem:
                        "the Tekton Task template '\(templateName)' is missing from templates/tekton/ or is not a tekton.dev/v1 Task with steps"
                ))
            return nil
        }
        let name = context.derivedName(templateName)
        var record = FieldRecord(context)
        record.note("", FieldOrigin(.spec(.startOf(template.file)), field: template.file, rule: note))
        var manifest = template.manifest
        var metadata = manifest["metadata"] ?? .map([])
        metadata["name"] = .string(name)
        metadata["namespace"] = .string(namespace)
        metadata["labels"] = .strings(PlanMetadata.labels(component: component))
        manifest["metadata"] = metadata
        var spec = manifest["spec"] ?? .map([])
        var patched: [ManifestNode] = []
        for (index, step) in steps.enumerated() {
            var step = step
            patchStep(&step, "spec.steps[\(index)]", &record, template)
            // A pod none of whose containers requests CPU or memory is BestEffort: evicted first
            // under node pressure (a 2-hour transfer lost) and refused in a namespace whose
            // ResourceQuota requires requests. A template's own requests are kept.
            if step["computeResources"]?["requests"] == nil {
                var resources = step["computeResources"] ?? .map([])
                resources["requests"] = record.set(
                    "spec.steps[\(index)].computeResources.requests", stepRequests,
                    from: FieldOrigin(
                        .builtinDefault(
                            "every step nbgitops generates requests CPU and memory: without requests its pod is "
                                + "BestEffort, evicted first and refused by quotas that require requests"),
                        field: "computeResources"))
                step["computeResources"] = resources
            }
            patched.append(step)
        }
        spec["steps"] = .list(patched)
        if let volumes = spec["volumes"]?.elements {
            var renamed: [ManifestNode] = []
            for (index, volume) in volumes.enumerated() {
                guard volume["name"]?.stringValue == scriptsVolume, var configMap = volume["configMap"] else {
                    renamed.append(volume)
                    continue
                }
                var volume = volume
                configMap["name"] = record.set(
                    "spec.volumes[\(index)].configMap.name", .string(scriptsConfigMap.name), from: scriptsConfigMap.origin)
                volume["configMap"] = configMap
                renamed.append(volume)
            }
            spec["volumes"] = .list(renamed)
        }
        manifest["spec"] = spec
        return PlannedTask(
            templateName: templateName, name: name,
            object: PlannedObject(
                apiVersion: "tekton.dev/v1", kind: "Task", name: name, namespace: namespace, manifest: manifest,
                wave: .config, sources: [.startOf(template.file)], provenance: record.origins))
    }

    /// What each generated step requests when its template requests nothing (no limits: a
    /// step may use what the node has free).
    static let stepRequests: ManifestNode = ["cpu": "100m", "memory": "256Mi"]

    /// Step security contexts. Every step's group is 0 (see the type's comment).
    static func stepSecurityContext(buildah: Bool, platform: Platform) -> ManifestNode {
        if buildah {
            // Root inside the container, one added capability, no privileged mode.
            return .object([
                ("runAsUser", 0),
                ("runAsGroup", platform == .kubernetes ? 0 : nil),
                ("capabilities", ["add": ["SETFCAP"]]),
            ])
        }
        return .object([
            ("allowPrivilegeEscalation", false),
            ("capabilities", ["drop": ["ALL"]]),
            ("runAsNonRoot", true),
            // OpenShift: restricted-v2 assigns the UID; the group is 0 for arbitrary UIDs.
            ("runAsUser", platform == .kubernetes ? .int(kubernetesStepUser) : nil),
            ("runAsGroup", platform == .kubernetes ? 0 : nil),
            ("seccompProfile", ["type": "RuntimeDefault"]),
        ])
    }

    /// git-clone.sh (shared with the validation Job) and generate-dockerfile.sh.
    static func buildScripts(
        namespace: String, scripts: [ScriptFile], templates: BuildTemplates, context: PlanContext,
        unusable: inout [UnusableTemplate]
    ) -> PlannedObject? {
        var data: [String: String] = [:]
        for script in scripts where script.name == cloneScript { data[script.name] = script.contents }
        for script in templates.scripts where script.name == generatorScript { data[script.name] = script.contents }
        for required in [cloneScript, generatorScript] where data[required] == nil {
            unusable.append(
                UnusableTemplate(
                    file: required == cloneScript ? "templates/scripts/\(required)" : "templates/tekton/\(required)",
                    problem: "the build script '\(required)' is missing from templates/"))
            return nil
        }
        let name = context.derivedName(BuildPlanner.buildScriptsConfigMapBase)
        let manifest = PlanMetadata.object(
            apiVersion: "v1", kind: "ConfigMap", name: name, namespace: namespace,
            labels: PlanMetadata.labels(component: "build-scripts"), body: [("data", .strings(data))])
        return PlannedObject(
            apiVersion: "v1", kind: "ConfigMap", name: name, namespace: namespace, manifest: manifest, wave: .config,
            sources: [],
            provenance: context.recordsProvenance
                ? [
                    "": FieldOrigin(
                        .builtinDefault("the build Tasks' scripts"),
                        rule: "git-clone.sh from templates/scripts/ (shared with the validation Job), "
                            + "generate-dockerfile.sh from templates/tekton/")
                ] : [:])
    }

}
