/// Provenance of the main emitted fields, per kind of planned object: which spec line, overlay
/// line or built-in default set each one, and the lowering rule that shaped it. The planners
/// attach these maps to their `PlannedObject`s; `nbgitops explain` prints them.
///
/// Keys are manifest paths as `ManifestNode.value(at:)` reads them; `""` stands for the whole
/// object. A path without an entry is explained by its longest listed prefix.
enum FieldProvenance {
    static func traced<Value>(_ value: Traced<Value>, field: String, rule: String? = nil) -> FieldOrigin {
        FieldOrigin(value.origin, field: field, rule: rule)
    }

    /// A spec field: its line when written, else the CRD default (or `absent`).
    static func spec(_ job: NotebookValidationJob, _ field: String, rule: String? = nil, absent: String) -> FieldOrigin {
        if let location = job.sourceMap[field] { return FieldOrigin(.spec(location), field: field, rule: rule) }
        return FieldOrigin(.builtinDefault(absent), field: field, rule: rule)
    }

    static func namespace(_ context: PlanContext) -> FieldOrigin {
        let naming = context.environment.naming
        if naming.namespace.value == context.homeNamespace {
            return traced(
                naming.namespace, field: "naming.namespace",
                rule: "an object whose spec names no metadata.namespace goes to the environment's namespace")
        }
        return traced(
            naming.namespace, field: "metadata.namespace",
            rule: "the spec's metadata.namespace, as the environment maps it (naming.namespaces, naming.namespacePrefix)")
    }

    /// The origin of a planned object's namespace: the environment's, or — for an object in
    /// another namespace — the mapping that put it there, as far as the home context can tell.
    static func namespace(of object: PlannedObject, context: PlanContext) -> FieldOrigin {
        guard let namespace = object.namespace, namespace != context.homeNamespace else { return self.namespace(context) }
        if namespace.hasSuffix(BuildPlanner.buildNamespaceSuffix) {
            return traced(
                context.homeNaming.namespace, field: "naming.namespace",
                rule: "the build namespace of the namespace its jobs land in: <namespace>\(BuildPlanner.buildNamespaceSuffix)")
        }
        if let entry = context.homeNaming.namespaces.first(where: { $0.value.value == namespace }) {
            return traced(
                entry.value, field: "naming.namespaces[\(entry.key)]",
                rule: "the spec's metadata.namespace '\(entry.key)', as the environment maps it")
        }
        return FieldOrigin(
            object.sources.first.map { .spec($0) } ?? .builtinDefault("the namespace a spec names"),
            field: "metadata.namespace",
            rule: "the namespace the spec file names (naming.namespacePrefix prepended when set)")
    }

    // MARK: Per kind

    /// Lowers what the planner recorded while it built the pod (`ValidationJobPlanner.PodBuild`:
    /// which toleration and nodeSelector key came from the spec or the GPU settings, what each
    /// init container is for, where the image, each defaulted resource, env variable, volume and
    /// mount came from) to a path → origin map. Nothing here is inferred from the manifest.
    static func validationJob(
        _ job: NotebookValidationJob, context: PlanContext, pod record: ValidationJobPlanner.PodBuild
    ) -> [String: FieldOrigin] {
        let environment = context.environment
        let pod = "spec.template.spec"
        let placement = record.placement
        let initContainers = record.initContainers
        let defaultOrigin = record.defaultedResources.values.map(\.origin)
            .min { ($0.location ?? .startOf("")) < ($1.location ?? .startOf("")) }
        var result: [String: FieldOrigin] = [
            "": FieldOrigin(
                .spec(job.name.location), field: "NotebookValidationJob",
                rule: "one batch/v1 Job per NotebookValidationJob (ValidationJobPlanner)"),
            "metadata.name": FieldOrigin(
                .spec(job.name.location), field: "metadata.name",
                rule: "namePrefix + metadata.name + '-' + 8 hex digits hashing the Job spec: Jobs are immutable, "
                    + "so new content gets a new name and prune deletes the old Job"),
            "metadata.namespace": namespace(context),
            "spec.activeDeadlineSeconds": spec(
                job, "spec.timeout", rule: "Go duration → whole seconds, rounded up",
                absent: "the CRD's default spec.timeout: 30m"),
            "spec.backoffLimit": FieldOrigin(
                .builtinDefault("one attempt: a failed validation is a result, not a flake to retry")),
            "\(pod).containers[0].image": image(job, record.image, environment: environment),
            "\(pod).containers[0].env": spec(
                job, "spec.podConfig.env",
                rule: "nbgitops' NBG_* and HOME variables first (from the notebook, golden, comparison and "
                    + "validation settings), then spec.podConfig.env",
                absent: "no user variables"),
            "\(pod).containers[0].resources":
                job.podConfig.resources == nil
                ? FieldOrigin(
                    defaultOrigin ?? .builtinDefault(""), field: "defaults.resources",
                    rule: "the environment's defaults.resources: the spec sets no resources")
                : spec(
                    job, "spec.podConfig.resources",
                    rule: defaultOrigin == nil
                        ? "copied as written"
                        : "copied as written; defaults.resources fill only what the spec leaves unset",
                    absent: "the spec's resources"),
            "\(pod).serviceAccountName": spec(
                job, "spec.podConfig.serviceAccountName",
                rule: "a named account is used as is; otherwise nbgitops' own least-privilege ServiceAccount",
                absent: "nbgitops' least-privilege ServiceAccount (the CRD default 'default' is not used)"),
            "\(pod).securityContext":
                environment.platform.value == .kubernetes
                ? traced(
                    environment.security.runAsUser, field: "security.runAsUser",
                    rule: "Pod Security restricted: runs as a high UID in group 100, the Jupyter images' users group")
                : environment.security.pinnedUID(on: .openshift) != nil
                    ? traced(
                        environment.security.uidRange, field: "security.uidRange",
                        rule: "OpenShift restricted-v2 with a pinned namespace range (uidRange + mcs): the range's first UID")
                    : traced(
                        environment.platform, field: "platform",
                        rule: "OpenShift restricted-v2: no fixed UID/fsGroup (random UIDs)"),
            "\(pod).volumes": spec(
                job, "spec.podConfig.volumes",
                rule: "nbgitops' workspace, home, tmp and scripts volumes first, then spec.podConfig.volumes",
                absent: "only nbgitops' own volumes"),
            "spec.template.metadata.annotations[\(AnnotationKey.scriptsChecksum)]": FieldOrigin(
                .builtinDefault("hash of templates/scripts/: new scripts give new Jobs")),
        ]
        if job.podConfig.resources == nil && defaultOrigin == nil {
            // No requests or limits at all: the container has no resources field to explain.
            result["\(pod).containers[0].resources"] = nil
        }
        for (key, traced) in record.defaultedResources {
            result["\(pod).containers[0].resources.\(key)"] = FieldOrigin(
                traced.origin, field: "defaults.resources.\(key)",
                rule: key.hasPrefix("requests")
                    ? "filled in: the spec sets neither a request nor a limit for it"
                    : "filled in: the spec sets no limit for it (and its request is not above the default)")
        }
        for (index, source) in record.env.enumerated() {
            result["\(pod).containers[0].env[\(index)]"] = entry(source, job: job, list: "env")
        }
        for (index, source) in record.volumes.enumerated() {
            result["\(pod).volumes[\(index)]"] = entry(source, job: job, list: "volumes")
        }
        for (index, source) in record.volumeMounts.enumerated() {
            result["\(pod).containers[0].volumeMounts[\(index)]"] = entry(source, job: job, list: "volumeMounts")
        }
        for (index, role) in initContainers.enumerated() {
            let path = "\(pod).initContainers[\(index)]"
            switch role {
            case .passwd:
                result[path] = FieldOrigin(
                    .builtinDefault("an SSH clone needs a passwd entry for the pod's UID (ssh refuses to run without one)"),
                    field: "spec.notebook.git.url", rule: "git-passwd writes /etc/passwd for the clone containers")
                result[path + ".image"] = traced(
                    environment.images.gitClone, field: "images.gitClone", rule: "the clone image runs the passwd step")
            case .clone:
                result[path] = spec(
                    job, "spec.notebook.git.url", rule: "git-clone.sh clones spec.notebook.git at its ref",
                    absent: "required field")
                result[path + ".image"] = traced(
                    environment.images.gitClone, field: "images.gitClone", rule: "the clone image needs git and ssh")
            case .goldenClone:
                result[path] = spec(
                    job, "spec.goldenNotebook.git.url", rule: "git-clone.sh clones the golden notebook's repository",
                    absent: "required with goldenNotebook")
                result[path + ".image"] = traced(
                    environment.images.gitClone, field: "images.gitClone", rule: "the clone image needs git and ssh")
            }
        }
        let gpuRule =
            "pods that request \(environment.gpu.resourceName.value) tolerate exactly the environment's GPU taints"
        let taints = environment.gpu.taints
        for (index, source) in placement.tolerationSources.enumerated() {
            let path = "\(pod).tolerations[\(index)]"
            switch source {
            case .spec(let specIndex):
                result[path] = spec(
                    job, "spec.podConfig.tolerations[\(specIndex)]", rule: "the spec's toleration, copied as written",
                    absent: "the spec's toleration")
            case .gpu(let taintIndex):
                result[path] = FieldOrigin(
                    taints.origin, field: "gpu.taints[\(taintIndex)]", rule: gpuRule + " (one toleration per taint)")
            }
        }
        if !placement.tolerationSources.isEmpty {
            let fromGPU = placement.tolerationSources.contains { if case .gpu = $0 { return true } else { return false } }
            result["\(pod).tolerations"] =
                fromGPU
                ? FieldOrigin(taints.origin, field: "gpu.taints", rule: gpuRule + "; spec.podConfig.tolerations are kept first")
                : spec(
                    job, "spec.podConfig.tolerations", rule: "the spec's tolerations, copied as written",
                    absent: "the spec's tolerations")
        }
        for (key, source) in placement.nodeSelectorSources {
            let path = ManifestFlattening.join("\(pod).nodeSelector", key: key)
            switch source {
            case .spec:
                result[path] = spec(
                    job, "spec.podConfig.nodeSelector" + SourceMap.component(key), rule: "the spec's node label",
                    absent: "the spec's node label")
            case .gpu:
                result[path] = traced(
                    environment.gpu.nodeSelector, field: "gpu.nodeSelector",
                    rule: "GPU pods get the environment's GPU node labels (the spec's own keys win)")
            }
        }
        return result
    }

    static func image(
        _ job: NotebookValidationJob, _ source: ValidationJobPlanner.ImageSource, environment: Environment
    ) -> FieldOrigin {
        switch source {
        case .built:
            let build = job.podConfig.buildConfig
            return FieldOrigin(
                build.map { .spec($0.location) } ?? .builtinDefault("the job's in-cluster build"),
                field: "spec.podConfig.buildConfig",
                rule: "the image the in-cluster build pushes, tagged nbgitops-<hash of the build's inputs>, "
                    + "pulled Always (spec.podConfig.containerImage is not run)")
        case .spec(let mirrored):
            return spec(
                job, "spec.podConfig.containerImage",
                rule: mirrored ? "images.mirrors rewrite the registry prefix (\(environment.images.mirrors.origin))" : nil,
                absent: "required field")
        }
    }

    /// One entry of the validation pod's env, volumes or volumeMounts.
    static func entry(
        _ source: ValidationJobPlanner.EntrySource, job: NotebookValidationJob, list: String
    ) -> FieldOrigin {
        switch source {
        case .own(let name):
            if list == "env" { return validateEnvironmentVariable(name, job: job) }
            return FieldOrigin(
                .builtinDefault("nbgitops' own '\(name)' (writable workspace, HOME and /tmp under any UID; the scripts)"))
        case .spec(let index):
            if list == "env" {
                let names = job.podConfig.envNames
                let location = names.indices.contains(index) ? names[index].location : job.name.location
                return FieldOrigin(
                    .spec(location), field: "spec.podConfig.env[\(index)]",
                    rule: "user variables follow nbgitops' own; a reserved name is an error")
            }
            return spec(
                job, "spec.podConfig.\(list)[\(index)]", rule: "the spec's entry, copied as written after nbgitops' own",
                absent: "the spec's entry")
        case .gitCredentials(let golden):
            let source = golden ? job.goldenNotebook : job.notebook
            let field = golden ? "spec.goldenNotebook.git.credentialsSecret" : "spec.notebook.git.credentialsSecret"
            return FieldOrigin(
                source?.git.credentialsSecret.map { .spec($0.location) } ?? .builtinDefault("the clone's credentials"),
                field: field, rule: "the Secret, by name, mounted read-only (0400) in its clone container only")
        case .apiAccess:
            return spec(
                job, "spec.modelValidation",
                rule: "a projected ServiceAccount token, mounted in the validation container only (no automount)",
                absent: "model validation")
        case .results(let origin):
            let field: String
            if case .spec = origin {
                field = "metadata.annotations" + SourceMap.component(AnnotationKey.results)
            } else {
                field = "results"
            }
            return FieldOrigin(
                origin, field: field,
                rule: "the results store: the executed notebook, report and verdict under <spec name>/<content hash>/, "
                    + "from the validation container only")
        }
    }

    /// One variable of the validate container: which spec field it carries.
    static func validateEnvironmentVariable(_ name: String, job: NotebookValidationJob) -> FieldOrigin {
        switch name {
        case "NBG_NOTEBOOK", "NBG_OUTPUT_NOTEBOOK":
            return FieldOrigin(
                .spec(job.notebook.path.location), field: "spec.notebook.path",
                rule: "the notebook's path inside the clone (output: same file name under the output folder)")
        case "NBG_GOLDEN_NOTEBOOK":
            if let golden = job.goldenNotebook {
                return FieldOrigin(
                    .spec(golden.path.location), field: "spec.goldenNotebook.path",
                    rule: "the golden notebook's path inside its clone")
            }
        case "NBG_COMPARISON_CONFIG":
            return spec(
                job, "spec.comparisonConfig", rule: "canonical JSON with the CRD's defaults applied",
                absent: "the CRD's comparisonConfig defaults")
        case "NBG_VALIDATION_CONFIG":
            return spec(
                job, "spec.validationConfig", rule: "canonical JSON with the CRD's defaults applied",
                absent: "the CRD's validationConfig defaults")
        default:
            break
        }
        if let located = job.podConfig.envNames.first(where: { $0.value == name }) {
            return FieldOrigin(
                .spec(located.location), field: "spec.podConfig.env",
                rule: "user variables follow nbgitops' own; a reserved name is an error")
        }
        return FieldOrigin(
            .builtinDefault(
                "set by nbgitops for validate-notebook.py (report file, writable HOME and caches under any UID)"))
    }

    /// Fields every object shares, added where the planner recorded nothing more specific: the
    /// namespace, and for a generated object without a record of its own the input it came from.
    static func common(_ object: PlannedObject, base: [String: FieldOrigin], context: PlanContext) -> [String: FieldOrigin] {
        var result = base
        if object.namespace != nil, result["metadata.namespace"] == nil {
            result["metadata.namespace"] = namespace(of: object, context: context)
        }
        if result[""] == nil {
            result[""] =
                object.sources.first.map { FieldOrigin(.spec($0), field: object.kind, rule: "generated from this input") }
                ?? FieldOrigin(.builtinDefault("generated by nbgitops itself"))
        }
        return result
    }
}
