/// The Pipeline and PipelineRun of a Hugging Face pipeline (part of `HuggingFacePlanner`).
extension HuggingFacePlanner {
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
}
