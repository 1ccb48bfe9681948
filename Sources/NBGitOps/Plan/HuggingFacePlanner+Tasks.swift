/// The Tasks and the scripts ConfigMap of a Hugging Face pipeline (part of `HuggingFacePlanner`).
extension HuggingFacePlanner {
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

}
