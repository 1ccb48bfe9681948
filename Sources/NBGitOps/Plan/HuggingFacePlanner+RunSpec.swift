/// What a Hugging Face pipeline's run hashes and its spec (part of `HuggingFacePlanner`).
extension HuggingFacePlanner {
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
