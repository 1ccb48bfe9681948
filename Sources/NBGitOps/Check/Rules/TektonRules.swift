import Foundation

/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let affinityAssistantUnreachable: RuleID = "NBG220"
    public static let affinityOverwritten: RuleID = "NBG221"
    public static let workspacesPerTask: RuleID = "NBG222"
    public static let tektonBetaField: RuleID = "NBG230"
    public static let internalRegistryTLSOff: RuleID = "NBG231"
    public static let credentialOnCommandLine: RuleID = "NBG232"
    public static let pipelinesSCCSeccomp: RuleID = "NBG325"
}

/// Tekton rules: the affinity assistant under the cluster's `coschedule`
/// mode, and v1beta1 fields in tekton.dev/v1 objects, which v1 drops with only a warning.
enum TektonRules {
    /// The v1beta1 fields Tekton v1 removed, with where they moved.
    static let betaFields: [String: [(path: String, replacement: String)]] = [
        "PipelineRun": [
            ("spec.serviceAccountName", "spec.taskRunTemplate.serviceAccountName"),
            ("spec.serviceAccountNames", "spec.taskRunSpecs[].serviceAccountName"),
            ("spec.timeout", "spec.timeouts.pipeline"),
            ("spec.podTemplate", "spec.taskRunTemplate.podTemplate"),
            ("spec.resources", "parameters and workspaces (PipelineResources are gone)"),
        ],
        "TaskRun": [("spec.resources", "parameters and workspaces (PipelineResources are gone)")],
        "Task": [("spec.resources", "parameters and workspaces (PipelineResources are gone)")],
        "Pipeline": [("spec.resources", "parameters and workspaces (PipelineResources are gone)")],
    ]

    /// NBG230: v1 objects with v1beta1 fields. `kubectl apply` only warns (`unknown field
    /// "spec.podTemplate"`) and the setting is silently lost (a misplaced `podTemplate`; a v1beta1
    /// `spec.serviceAccountName`).
    static let betaFieldsInV1 = PlanRule(
        .tektonBetaField, .error, "a tekton.dev/v1 object uses a v1beta1 field that v1 drops or ignores"
    ) { context in
        for object in context.plan.objects + context.plan.deliveryObjects where object.apiVersion == "tekton.dev/v1" {
            var found: [(String, String)] = []
            for (path, replacement) in betaFields[object.kind] ?? [] where object.manifest.value(at: path) != nil {
                found.append((path, replacement))
            }
            if object.kind == "PipelineRun" {
                for (index, spec) in (object.manifest.value(at: "spec.taskRunSpecs")?.elements ?? []).enumerated() {
                    if spec["taskServiceAccountName"] != nil {
                        found.append(
                            (
                                "spec.taskRunSpecs[\(index)].taskServiceAccountName",
                                "spec.taskRunSpecs[\(index)].serviceAccountName"
                            ))
                    }
                    if spec["taskPodTemplate"] != nil {
                        found.append(("spec.taskRunSpecs[\(index)].taskPodTemplate", "spec.taskRunSpecs[\(index)].podTemplate"))
                    }
                }
            }
            // Steps and step templates of the Task, or of the task specs a run or Pipeline embeds:
            // v1 dropped step `resources` for `computeResources`, so limits vanish and the
            // namespace's LimitRange defaults apply (an OOM-killed download or build).
            for (base, taskSpec) in taskSpecs(object) {
                if taskSpec["stepTemplate"]?["resources"] != nil {
                    found.append(("\(base).stepTemplate.resources", "\(base).stepTemplate.computeResources"))
                }
                for (index, step) in (taskSpec["steps"]?.elements ?? []).enumerated() where step["resources"] != nil {
                    found.append(("\(base).steps[\(index)].resources", "\(base).steps[\(index)].computeResources"))
                }
            }
            for (path, replacement) in found {
                let key = context.supportingObject(for: object)?.sourceMap.keyLocations[path]
                context.report(
                    "\(object.kind) '\(object.name)' is tekton.dev/v1 but sets the v1beta1 field '\(path)'; v1 ignores it (kubectl only warns \"unknown field\")",
                    at: key ?? context.location(of: object, path: path),
                    help: "move it to \(replacement)", subject: context.subject(for: object))
            }
        }
    }

    /// NBG325: OpenShift Pipelines' `pipelines-scc` (root with SETFCAP, what buildah needs) has
    /// no `seccompProfiles`, so OpenShift refuses it for a pod any of whose containers sets a
    /// seccomp profile ("seccomp may not be set": openshift/apiserver-library-go
    /// `pkg/securitycontextconstraints/seccomp/strategy.go` `validateProfile`); admission then
    /// falls back to restricted-v2, which refuses root. Reported at each seccomp profile of a
    /// Task (or embedded task spec) whose steps need pipelines-scc: a step running as root that
    /// adds SETFCAP without privileged mode. nbgitops' own buildah Tasks set none. Waivable: an
    /// account also granted SCC privileged is admitted by that SCC instead.
    /// Platform fact: with Tekton's `set-security-context: "true"` its injected init containers
    /// set a RuntimeDefault seccomp profile too, which pipelines-scc refuses the same way.
    static let pipelinesSCCSeccomp = PlanRule(
        .pipelinesSCCSeccomp, .error,
        "a Tekton step that needs pipelines-scc sets a seccomp profile, which pipelines-scc refuses"
    ) { context in
        guard context.platform == .openshift else { return }
        for object in context.plan.objects + context.plan.buildObjects where object.isTekton {
            for (base, taskSpec) in taskSpecs(object) {
                let steps = (taskSpec["steps"]?.elements ?? []).enumerated().map { ("\(base).steps[\($0.offset)]", $0.element) }
                let needsPipelinesSCC = steps.contains { _, step in
                    let security = step["securityContext"]
                    let root =
                        security?["runAsUser"]?.intValue == 0
                        || taskSpec.value(at: "stepTemplate.securityContext.runAsUser")?.intValue == 0
                    let adds = (security?.value(at: "capabilities.add")?.elements ?? []).compactMap(\.stringValue)
                    return root && adds.contains("SETFCAP") && security?["privileged"]?.boolValue != true
                }
                guard needsPipelinesSCC else { continue }
                var containers = steps
                containers.append(("\(base).stepTemplate", taskSpec["stepTemplate"] ?? .null))
                containers += (taskSpec["sidecars"]?.elements ?? []).enumerated().map {
                    ("\(base).sidecars[\($0.offset)]", $0.element)
                }
                for (path, container) in containers where container.value(at: "securityContext.seccompProfile") != nil {
                    let field = path + ".securityContext.seccompProfile"
                    let key = context.supportingObject(for: object)?.sourceMap.keyLocations[field]
                    context.report(
                        "\(object.kind) '\(object.name)' runs a step as root with SETFCAP, which on OpenShift only pipelines-scc "
                            + "admits, but '\(field)' sets a seccomp profile: pipelines-scc allows none (\"seccomp may not be set\"), "
                            + "and restricted-v2 then refuses the root step",
                        at: key ?? context.location(of: object, path: field),
                        help: "remove the seccompProfile from this container; pipelines-scc already confines the pod",
                        subject: context.subject(for: object))
                }
            }
        }
    }

    /// The OpenShift internal registry's service host.
    static let internalRegistryHost = "image-registry.openshift-image-registry.svc"

    /// Parameter names that switch TLS verification (value "false" turns it off; for the
    /// `skip-` names, "true").
    static let tlsVerifyParameters: Set<String> = ["tls-verify", "tlsverify", "tls_verify", "verify-tls"]
    static let skipTLSParameters: Set<String> = ["skip-tls-verify", "skip_tls_verify", "skiptlsverify", "insecure"]

    /// Command-line flags that turn TLS verification off (buildah, podman, skopeo, oras, kaniko).
    static let tlsOffFlags = [
        "--tls-verify=false", "--dest-tls-verify=false", "--src-tls-verify=false", "--skip-tls-verify", "--insecure",
        "--dest-tls-verify false", "--tls-verify false",
    ]

    /// NBG231: on OpenShift, image pushes and pulls of the internal registry keep TLS
    /// verification on: the registry's certificate is signed by the service CA, which a
    /// ConfigMap annotated `service.beta.openshift.io/inject-cabundle: "true"` provides to the
    /// step (the private-ai-demo pipelines turned verification off instead, and a
    /// man-in-the-middle could then replace the model image). Reported at each parameter value
    /// or step flag that turns it off, in a Tekton object of an environment whose Tekton
    /// objects name the internal registry.
    static let internalRegistryTLSOff = PlanRule(
        .internalRegistryTLSOff, .error, "a Tekton push or pull of the OpenShift internal registry turns TLS verification off"
    ) { context in
        guard context.platform == .openshift else { return }
        let tekton = context.plan.objects.filter(\.isTekton)
        let namesInternal = tekton.contains { object in
            !PlatformRules.strings(object.manifest, path: "") { $0.contains(internalRegistryHost) ? true : nil }.isEmpty
        }
        guard namesInternal else { return }
        for object in tekton {
            var found: [(path: String, what: String)] = []
            // Parameters: a Task's defaults, a run's or a Pipeline task's values.
            func parameters(_ list: ManifestNode?, at base: String, valueKey: String) {
                for (index, parameter) in (list?.elements ?? []).enumerated() {
                    let name = (parameter["name"]?.stringValue ?? "").lowercased()
                    let value = (parameter[valueKey]?.stringValue ?? "").lowercased()
                    if (tlsVerifyParameters.contains(name) && value == "false")
                        || (skipTLSParameters.contains(name) && value == "true")
                    {
                        found.append(
                            ("\(base)[\(index)].\(valueKey)", "parameter '\(parameter["name"]?.stringValue ?? name)' is \(value)")
                        )
                    }
                }
            }
            let manifest = object.manifest
            switch object.kind {
            case "Task": parameters(manifest.value(at: "spec.params"), at: "spec.params", valueKey: "default")
            case "PipelineRun", "TaskRun": parameters(manifest.value(at: "spec.params"), at: "spec.params", valueKey: "value")
            case "Pipeline":
                parameters(manifest.value(at: "spec.params"), at: "spec.params", valueKey: "default")
                for (index, task) in (manifest.value(at: "spec.tasks")?.elements ?? []).enumerated() {
                    parameters(task["params"], at: "spec.tasks[\(index)].params", valueKey: "value")
                }
            default: break
            }
            // Step flags, in every task spec the object holds.
            for (base, taskSpec) in taskSpecs(object) {
                for (index, step) in (taskSpec["steps"]?.elements ?? []).enumerated() {
                    for (path, flag) in PlatformRules.strings(
                        step, path: "\(base).steps[\(index)]",
                        matching: { text in
                            tlsOffFlags.first { text.contains($0) }
                        })
                    {
                        found.append((path, "step flag '\(flag)'"))
                    }
                }
            }
            for (path, what) in found {
                context.report(
                    "\(object.kind) '\(object.name)' turns TLS verification off (\(what)) in an environment whose Tekton objects push to or pull from the internal registry \(internalRegistryHost)",
                    at: context.location(of: object, path: path),
                    help:
                        "keep verification on and give the step the service CA: a ConfigMap annotated service.beta.openshift.io/inject-cabundle: \"true\", mounted at /etc/containers/certs.d/\(internalRegistryHost):5000/",
                    subject: context.subject(for: object))
            }
        }
    }

    /// Flags that take a credential as their value (buildah, podman, skopeo, oras).
    static let credentialFlags = ["--creds", "--src-creds", "--dest-creds", "--password", "--registry-token"]

    /// The credential flag `text` passes a value to (`--creds=user:$TOKEN`, `--password "$P"`, or
    /// an `args` element `--dest-creds` whose next element is the value), if any.
    /// `--password-stdin` and the like are not matches.
    static func credentialFlag(in text: String) -> String? {
        for flag in credentialFlags {
            var rest = Substring(text)
            while let range = rest.range(of: flag) {
                let before = rest[..<range.lowerBound].last
                let after = rest[range.upperBound...].first
                if before == nil || before == " " || before == "\t" || before == "\n" || before == "\"" || before == "'" {
                    // `--creds=v`, `--creds v`, or an `args` element that is the flag itself (the
                    // next element is the value).
                    if after == nil || after == "=" || after == " " || after == "\t" { return flag }
                }
                rest = rest[range.upperBound...]
            }
        }
        return nil
    }

    /// NBG232: a step passes a registry credential on its command line — a ModelCar pipeline's
    /// `buildah push --creds="serviceaccount:${TOKEN}"`. The expanded token is in the process
    /// list (`/proc/<pid>/cmdline`, readable by every process of the pod and by node agents) and in
    /// any `set -x` trace of the TaskRun's log. Log in with `--password-stdin` into a private auth
    /// file (`REGISTRY_AUTH_FILE`) instead, as nbgitops' own buildah Task does.
    static let credentialOnCommandLine = PlanRule(
        .credentialOnCommandLine, .error, "a Tekton step passes a registry credential on its command line"
    ) { context in
        for object in context.plan.objects where object.isTekton {
            for (base, taskSpec) in taskSpecs(object) {
                for (index, step) in (taskSpec["steps"]?.elements ?? []).enumerated() {
                    let found = PlatformRules.strings(step, path: "\(base).steps[\(index)]") { text in
                        credentialFlag(in: text)
                    }
                    for (path, flag) in found where !path.contains(".env[") {
                        context.report(
                            "\(object.kind) '\(object.name)' passes a credential on a command line (\(flag)) in step '\(step["name"]?.stringValue ?? "\(index)")'; the expanded token is visible in the process list and in traced logs",
                            at: context.location(of: object, path: path),
                            help:
                                "log in with --password-stdin into a private auth file (export REGISTRY_AUTH_FILE=/tmp/auth.json; buildah login --username serviceaccount --password-stdin REGISTRY < /var/run/secrets/kubernetes.io/serviceaccount/token), then push without --creds",
                            subject: context.subject(for: object))
                    }
                }
            }
        }
    }

    /// The task specs an object holds, with their paths: a Task's own spec, a TaskRun's
    /// `spec.taskSpec`, and the `taskSpec` of each task (and `finally` task) of a Pipeline or of a
    /// PipelineRun's embedded `spec.pipelineSpec`.
    static func taskSpecs(_ object: PlannedObject) -> [(path: String, spec: ManifestNode)] {
        let manifest = object.manifest
        func pipelineTasks(_ base: String) -> [(path: String, spec: ManifestNode)] {
            ["tasks", "finally"].flatMap { list in
                (manifest.value(at: "\(base).\(list)")?.elements ?? []).enumerated().compactMap { index, task in
                    task["taskSpec"].map { ("\(base).\(list)[\(index)].taskSpec", $0) }
                }
            }
        }
        switch object.kind {
        case "Task": return manifest["spec"].map { [("spec", $0)] } ?? []
        case "TaskRun": return manifest.value(at: "spec.taskSpec").map { [("spec.taskSpec", $0)] } ?? []
        case "Pipeline": return pipelineTasks("spec")
        case "PipelineRun": return pipelineTasks("spec.pipelineSpec")
        default: return []
        }
    }

    /// PVC-backed workspace bindings of a PipelineRun: (index, binding).
    static func pvcBindings(_ run: PlannedObject) -> [(Int, ManifestNode)] {
        (run.manifest.value(at: "spec.workspaces")?.elements ?? []).enumerated().filter { _, binding in
            binding["persistentVolumeClaim"] != nil || binding["volumeClaimTemplate"] != nil
        }.map { ($0.offset, $0.element) }
    }

    static func pipelineRuns(_ context: RuleContext) -> [PlannedObject] {
        context.plan.objects.filter { $0.isTekton && $0.kind == "PipelineRun" }
    }

    /// NBG220: with an affinity assistant, every task pod must run on the assistant's node. The
    /// assistant is placed by the run-level `taskRunTemplate.podTemplate` only, so placement
    /// given only in `taskRunSpecs`, or a GPU task under a run-level template that does not
    /// tolerate the GPU taints, leaves pods Pending ("didn't match pod affinity rules").
    static let assistantUnreachable = PlanRule(
        .affinityAssistantUnreachable, .error, "a task pod's placement cannot reach Tekton's affinity assistant"
    ) { context in
        let mode = context.environment.tekton.coschedule
        guard mode.value != .disabled else { return }
        let modeNote = DiagnosticNote(
            "Tekton's coschedule mode is \(mode.value.rawValue): \(mode.origin)", at: mode.origin.location)
        for run in pipelineRuns(context) where !pvcBindings(run).isEmpty {
            let runPod = run.manifest.value(at: "spec.taskRunTemplate.podTemplate") ?? .map([])
            for (index, spec) in (run.manifest.value(at: "spec.taskRunSpecs")?.elements ?? []).enumerated() {
                for field in ["tolerations", "nodeSelector"] {
                    guard let value = spec["podTemplate"]?[field], value != runPod[field] else { continue }
                    let task = spec["pipelineTaskName"]?.stringValue ?? ""
                    // Tekton's MergePodTemplateWithDefault: a task's podTemplate field that is set
                    // (even to an empty list) replaces the run-level one.
                    let message =
                        runPod[field] == nil
                        ? "PipelineRun '\(run.name)': \(field) for task '\(task)' are set only in taskRunSpecs; the affinity assistant is placed without them, and the task pod must join the assistant's node, so it stays Pending"
                        : "PipelineRun '\(run.name)': taskRunSpecs replaces the run-level \(field) for task '\(task)'\(value.isEmptyCollection ? " with an empty list" : ""); the affinity assistant keeps the run-level ones, and the task pod must join the assistant's node, so it stays Pending"
                    context.report(
                        message,
                        at: context.location(of: run, path: "spec.taskRunSpecs[\(index)].podTemplate.\(field)"),
                        help:
                            "set \(field) in spec.taskRunTemplate.podTemplate (the assistant inherits it), or give the task its own workspace",
                        notes: [modeNote], subject: context.subject(for: run))
                }
            }
            // GPU tasks must reach a GPU node together with the assistant.
            let taints = PodRules.blockingTaints(context)
            let resource = context.environment.gpu.resourceName.value
            guard !taints.isEmpty else { continue }
            let runTolerations = runPod["tolerations"]?.elements ?? []
            let untolerated = taints.filter { taint in !runTolerations.contains { GPUPlacement.tolerates($0, taint) } }
            guard !untolerated.isEmpty else { continue }
            for unit in context.units where unit.object.name == run.name && unit.object.kind == "PipelineRun" {
                guard let container = PodRules.requestsGPU(unit, resource: resource), !unit.claims.isEmpty else { continue }
                context.report(
                    "\(unit.displayName) requests \(resource) and shares a PVC workspace, but the run-level podTemplate does not tolerate the GPU taint \(untolerated[0].key); the affinity assistant lands on a non-GPU node and the task can never join it",
                    at: context.location(of: run, path: "spec.taskRunTemplate.podTemplate"),
                    help:
                        "add the GPU tolerations to spec.taskRunTemplate.podTemplate, or give the GPU task a workspace of its own",
                    notes: [
                        modeNote,
                        DiagnosticNote(
                            "the GPU is requested here", at: PodRules.gpuLocation(container, context: context, field: "limits")),
                    ],
                    subject: context.subject(for: run))
            }
        }
    }

    /// NBG221: Tekton replaces a task pod's affinity with the affinity assistant's.
    static let affinityOverwritten = PlanRule(
        .affinityOverwritten, .error, "affinity in a podTemplate of a run with a PVC workspace (Tekton overwrites it)"
    ) { context in
        guard context.environment.tekton.coschedule.value != .disabled else { return }
        for run in pipelineRuns(context) where !pvcBindings(run).isEmpty {
            var paths = ["spec.taskRunTemplate.podTemplate.affinity"]
            for index in (run.manifest.value(at: "spec.taskRunSpecs")?.elements ?? []).indices {
                paths.append("spec.taskRunSpecs[\(index)].podTemplate.affinity")
            }
            for path in paths where run.manifest.value(at: path) != nil {
                context.report(
                    "PipelineRun '\(run.name)' sets affinity in a podTemplate but binds a PVC workspace; Tekton overwrites the pod affinity with the affinity assistant's, so this affinity never applies",
                    at: context.location(of: run, path: path),
                    help: "use nodeSelector and tolerations in spec.taskRunTemplate.podTemplate (the assistant inherits them)",
                    subject: context.subject(for: run))
            }
        }
    }

    /// NBG222: under `coschedule: workspaces` each PVC-backed workspace gets its own affinity
    /// assistant, possibly on different nodes; a task bound to two of them cannot be placed.
    static let workspacesPerTask = PlanRule(
        .workspacesPerTask, .error, "a task binds more than one PVC-backed workspace under coschedule: workspaces"
    ) { context in
        let mode = context.environment.tekton.coschedule
        guard mode.value == .workspaces else { return }
        for run in pipelineRuns(context) {
            let pvc = Set(pvcBindings(run).compactMap { $0.1["name"]?.stringValue })
            guard pvc.count >= 2, let pipeline = Workloads.pipelineSpec(run, plan: context.plan) else { continue }
            for (index, task) in (pipeline.spec["tasks"]?.elements ?? []).enumerated() {
                let bound = (task["workspaces"]?.elements ?? []).compactMap {
                    $0["workspace"]?.stringValue ?? $0["name"]?.stringValue
                }
                .filter { pvc.contains($0) }
                guard Set(bound).count >= 2 else { continue }
                let taskName = task["name"]?.stringValue ?? ""
                context.report(
                    "task '\(taskName)' of PipelineRun '\(run.name)' binds \(Set(bound).count) PVC-backed workspaces (\(Set(bound).sorted().joined(separator: ", "))); under coschedule: workspaces each has its own affinity assistant, so the task pod cannot be placed",
                    at: context.location(of: pipeline.object, path: "\(pipeline.path).tasks[\(index)].workspaces"),
                    help:
                        "bind one PVC workspace per task (use subPaths of one claim), or set the cluster's coschedule to pipelineruns",
                    notes: [
                        DiagnosticNote(
                            "Tekton's coschedule mode is \(mode.value.rawValue): \(mode.origin)", at: mode.origin.location)
                    ],
                    subject: context.subject(for: run))
            }
        }
    }
}
