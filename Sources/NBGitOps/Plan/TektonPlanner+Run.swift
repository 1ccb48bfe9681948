/// The Pipeline and PipelineRun of a Tekton image build (part of `TektonPlanner`).
extension TektonPlanner {
    // MARK: Pipeline and run

    static let pipelineParams = [
        "url", "revision", "base-image", "notebook-path", "dockerfile", "requirements-file", "requirements-sources",
        "auto-generate-requirements", "prefer-dockerfile", "fallback-strategy", "image",
        "push-with-service-account-token",
    ]

    enum Credentials {
        case none
        case basicAuth(String)
        case ssh(String)
    }

    static func credentials(_ job: NotebookValidationJob) -> Credentials {
        guard let secret = job.notebook.git.credentialsSecret?.value else { return .none }
        switch job.notebook.git.transport {
        case .https, .http: return .basicAuth(secret)
        case .ssh: return .ssh(secret)
        case .git: return .none
        }
    }

    /// `task` with `timeout` set. Every generated Pipeline task carries the run's
    /// `timeouts.pipeline`: until tektoncd/pipeline v1.11.0 `createTaskRun`
    /// (`pkg/reconciler/pipelinerun/pipelinerun.go`) took a TaskRun's timeout only from
    /// `pipelineTask.timeout`, and the TaskRun defaulting (`pkg/apis/pipeline/v1/taskrun_defaults.go`)
    /// then set the 60-minute `default-timeout-minutes`, killing longer tasks of a longer run.
    /// Equal to the run's limit, never above it, so the PipelineRun's timeout still bounds the whole.
    static func withTimeout(_ task: ManifestNode, _ timeout: String) -> ManifestNode {
        var task = task
        task["timeout"] = .string(timeout)
        return task
    }

    static func pipeline(
        name: String, job: NotebookValidationJob, namespace: String, tasks: [PlannedTask], context: PlanContext,
        internalPush: Bool, timeout: String
    ) -> PlannedObject {
        func taskName(_ template: String) -> String { tasks.first { $0.templateName == template }?.name ?? template }
        func pass(_ names: [String]) -> ManifestNode {
            .list(names.map { ["name": .string($0), "value": .string("$(params.\($0))")] })
        }
        var workspaces: [ManifestNode] = [["name": "source"]]
        var cloneWorkspaces: [ManifestNode] = [["name": "source", "workspace": "source"]]
        switch credentials(job) {
        case .basicAuth:
            workspaces.append(["name": "basic-auth"])
            cloneWorkspaces.append(["name": "basic-auth", "workspace": "basic-auth"])
        case .ssh:
            workspaces.append(["name": "ssh-directory"])
            cloneWorkspaces.append(["name": "ssh-directory", "workspace": "ssh-directory"])
        case .none: break
        }
        var buildWorkspaces: [ManifestNode] = [["name": "source", "workspace": "source"]]
        if !internalPush, context.environment.images.pushSecret.value != nil {
            workspaces.append(["name": "dockerconfig"])
            buildWorkspaces.append(["name": "dockerconfig", "workspace": "dockerconfig"])
        }
        let generatorParams = [
            "base-image", "notebook-path", "dockerfile", "requirements-file", "requirements-sources",
            "auto-generate-requirements", "prefer-dockerfile", "fallback-strategy",
        ]
        var record = FieldRecord(context)
        record.note(
            "",
            FieldOrigin(
                .spec(job.name.location), field: "spec.podConfig.buildConfig",
                rule: "one Pipeline per job: clone → generate-dockerfile → build-image"))
        let credentialsOrigin = FieldOrigin(
            job.notebook.git.credentialsSecret.map { .spec($0.location) } ?? .builtinDefault("no clone credentials"),
            field: "spec.notebook.git.credentialsSecret",
            rule: "a credentials workspace only when the clone needs one (basic-auth for HTTPS, ssh-directory for SSH)")
        let spec: ManifestNode = [
            "params": record.set(
                "spec.params", .list(pipelineParams.map { ["name": .string($0), "type": "string"] }),
                from: FieldOrigin(.builtinDefault("the parameters of nbgitops' three Tasks"))),
            "workspaces": record.set("spec.workspaces", .list(workspaces), from: credentialsOrigin),
            "tasks": ManifestNode.list(
                [
                    [
                        "name": "clone",
                        "taskRef": ["name": .string(taskName(cloneTask))],
                        "params": pass(["url", "revision"]),
                        "workspaces": .list(cloneWorkspaces),
                    ],
                    [
                        "name": "generate-dockerfile",
                        "runAfter": ["clone"],
                        "taskRef": ["name": .string(taskName(generateTask))],
                        "params": pass(generatorParams),
                        "workspaces": [["name": "source", "workspace": "source"]],
                    ],
                    [
                        "name": .string(buildImagePipelineTask),
                        "runAfter": ["generate-dockerfile"],
                        "taskRef": ["name": .string(taskName(buildahTask))],
                        "params": [
                            ["name": "image", "value": "$(params.image)"],
                            ["name": "dockerfile", "value": "$(tasks.generate-dockerfile.results.dockerfile)"],
                            ["name": "push-with-service-account-token", "value": "$(params.push-with-service-account-token)"],
                        ],
                        "workspaces": .list(buildWorkspaces),
                    ],
                ].map { withTimeout($0, timeout) }),
            "results": [
                ["name": "image-url", "value": .string("$(tasks.\(buildImagePipelineTask).results.IMAGE_URL)")],
                ["name": "image-digest", "value": .string("$(tasks.\(buildImagePipelineTask).results.IMAGE_DIGEST)")],
            ],
        ]
        let manifest = PlanMetadata.object(
            apiVersion: "tekton.dev/v1", kind: "Pipeline", name: name, namespace: namespace,
            labels: PlanMetadata.labels(component: "build", extra: [LabelKey.instance: job.name.value]),
            body: [("spec", spec)])
        return PlannedObject(
            apiVersion: "tekton.dev/v1", kind: "Pipeline", name: name, namespace: namespace, manifest: manifest,
            wave: .config, sources: [job.name.location], provenance: record.origins)
    }

    /// The PipelineRun's spec; `record` receives each field's origin (paths relative to `spec`).
    static func runSpec(
        job: NotebookValidationJob, build: BuildConfigSpec, pipeline: String, image: String, builder: String,
        buildah: String, internalPush: Bool, context: PlanContext, record: inout FieldRecord
    ) -> ManifestNode {
        let environment = context.environment
        func buildField(_ name: String, rule: String? = nil, absent: String) -> FieldOrigin {
            FieldProvenance.spec(job, "spec.podConfig.buildConfig.\(name)", rule: rule, absent: absent)
        }
        let git = job.notebook.git
        let values: [String: (String, FieldOrigin)] = [
            "url": (git.url.value, FieldOrigin(.spec(git.url.location), field: "spec.notebook.git.url")),
            "revision": (git.ref.value, FieldOrigin(.spec(git.ref.location), field: "spec.notebook.git.ref")),
            "base-image": (
                context.image(build.baseImage.value),
                buildField(
                    "baseImage",
                    rule: context.mirrors.isEmpty
                        ? nil : "images.mirrors rewrite the registry prefix (\(environment.images.mirrors.origin))",
                    absent: "the CRD default quay.io/jupyter/minimal-notebook:latest")
            ),
            "notebook-path": (
                job.notebook.path.value,
                FieldOrigin(
                    .spec(job.notebook.path.location), field: "spec.notebook.path",
                    rule: "the generator looks for requirements next to the notebook")
            ),
            "dockerfile": (build.dockerfile?.value ?? "", buildField("dockerfile", absent: "no Dockerfile: one is generated")),
            "requirements-file": (
                build.requirementsFile?.value ?? "", buildField("requirementsFile", absent: "the default search chain")
            ),
            "requirements-sources": (
                build.requirementsSources.map(\.value).joined(separator: "\n"),
                buildField("requirementsSources", rule: "one path per line, tried in order", absent: "none")
            ),
            "auto-generate-requirements": (
                build.autoGenerateRequirements ? "true" : "false",
                buildField("autoGenerateRequirements", absent: "the CRD default true")
            ),
            "prefer-dockerfile": (
                build.preferDockerfile ? "true" : "false", buildField("preferDockerfile", absent: "the CRD default false")
            ),
            "fallback-strategy": (build.fallbackStrategy, buildField("fallbackStrategy", absent: "the CRD default warn")),
            "image": (
                image,
                FieldOrigin(
                    environment.images.registry.origin, field: "images.registry",
                    rule: "<registry>/<namePrefix><job>:nbgitops-<hash of the build's inputs> (unset on OpenShift: "
                        + "the build namespace's ImageStream in the internal registry)")
            ),
            "push-with-service-account-token": (
                internalPush ? "true" : "false",
                FieldOrigin(
                    environment.images.registry.origin, field: "images.registry",
                    rule: "true only when the OpenShift internal registry receives the push (the buildah account's token)")
            ),
        ]
        let params = record.list(
            "params",
            pipelineParams.map { name in
                let (value, origin) = values[name] ?? ("", FieldOrigin(.builtinDefault("an empty parameter")))
                return (["name": .string(name), "value": .string(value)], origin)
            },
            whole: FieldOrigin(
                .spec(build.location), field: "spec.podConfig.buildConfig",
                rule: "every Pipeline parameter, from the notebook's git source and the buildConfig"))
        let storage = environment.storage
        // One PVC per run (ADR-040): ReadWriteOnce suffices, whatever the environment offers.
        let claimSpec = ManifestNode.object([
            ("accessModes", ["ReadWriteOnce"]),
            (
                "storageClassName",
                record.setIfPresent(
                    "workspaces[0].volumeClaimTemplate.spec.storageClassName",
                    storage.storageClassName.value.map { .string($0) },
                    from: FieldProvenance.traced(storage.storageClassName, field: "storage.storageClassName"))
            ),
            (
                "resources",
                [
                    "requests": [
                        "storage": record.set(
                            "workspaces[0].volumeClaimTemplate.spec.resources.requests.storage",
                            .string(storage.workspaceSize.value),
                            from: FieldProvenance.traced(storage.workspaceSize, field: "storage.workspaceSize"))
                    ]
                ]
            ),
        ])
        var workspaces: [(ManifestNode, FieldOrigin)] = [
            (
                ["name": "source", "volumeClaimTemplate": ["spec": claimSpec]],
                FieldOrigin(
                    .builtinDefault("a volumeClaimTemplate: each run gets its own ReadWriteOnce PVC that no other run mounts"),
                    rule: "one workspace PVC shared by concurrent builds makes them fail at random, so each run gets its own")
            )
        ]
        let credentialsOrigin = FieldOrigin(
            git.credentialsSecret.map { .spec($0.location) } ?? .builtinDefault("no credentials"),
            field: "spec.notebook.git.credentialsSecret", rule: "the Secret, by name, bound to the clone Task only")
        switch credentials(job) {
        case .basicAuth(let secret):
            workspaces.append((["name": "basic-auth", "secret": ["secretName": .string(secret)]], credentialsOrigin))
        case .ssh(let secret):
            workspaces.append(
                (["name": "ssh-directory", "secret": ["secretName": .string(secret), "defaultMode": 0o440]], credentialsOrigin)
            )
        case .none: break
        }
        if !internalPush, let push = environment.images.pushSecret.value {
            workspaces.append(
                (
                    ["name": "dockerconfig", "secret": ["secretName": .string(push)]],
                    FieldProvenance.traced(
                        environment.images.pushSecret, field: "images.pushSecret",
                        rule: "the push credentials, by name, bound to the buildah Task only")
                ))
        }
        let workspaceList = record.list(
            "workspaces", workspaces,
            whole: FieldOrigin(
                .builtinDefault("the source workspace, then the clone's and the push's credentials when there are any")))
        var template: [(String, ManifestNode?)] = [
            (
                "serviceAccountName",
                record.set(
                    "taskRunTemplate.serviceAccountName", .string(builder),
                    from: FieldOrigin(
                        .builtinDefault("nbgitops' build ServiceAccount: no token, no SCC beyond restricted"),
                        rule: "the clone and generator Tasks run as it; buildah gets its own (taskRunSpecs)"))
            )
        ]
        if context.platform == .kubernetes {
            // fsGroup 0: the PVC's root is group 0 and group-writable for every step. Safe for
            // the affinity assistant too (it receives this securityContext).
            template.append(
                (
                    "podTemplate",
                    record.set(
                        "taskRunTemplate.podTemplate", ["securityContext": ["fsGroup": 0]],
                        from: FieldProvenance.traced(
                            environment.platform, field: "platform",
                            rule: "Kubernetes: fsGroup 0 makes the workspace group-writable for every step's UID "
                                + "(OpenShift: no securityContext, which would reach the affinity assistant)"))
                ))
        }
        return [
            "pipelineRef": record.set(
                "pipelineRef", ["name": .string(pipeline)],
                from: FieldOrigin(.spec(job.name.location), field: "metadata.name", rule: "the job's own Pipeline")),
            "params": params,
            "workspaces": workspaceList,
            "taskRunTemplate": record.set(
                "taskRunTemplate", .object(template),
                from: FieldOrigin(
                    .builtinDefault("pod settings in taskRunTemplate (Tekton v1 ignores spec.podTemplate)"),
                    rule: "a podTemplate at the wrong level is silently dropped")),
            // Only the buildah Task runs as the ServiceAccount that may use pipelines-scc.
            "taskRunSpecs": record.set(
                "taskRunSpecs",
                [["pipelineTaskName": .string(buildImagePipelineTask), "serviceAccountName": .string(buildah)]],
                from: FieldOrigin(
                    .builtinDefault("only the build-image Task runs as the buildah ServiceAccount (SETFCAP, pipelines-scc)"))),
            "timeouts": [
                "pipeline": record.set(
                    "timeouts.pipeline", .string(BuildPlanner.goDuration(build.timeoutSeconds.value)),
                    from: buildField(
                        "timeout", rule: "a Go duration (Tekton parses it)", absent: "the CRD default timeout: 15m"))
            ],
        ]
    }
}
