/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let tektonRunRestricted: RuleID = "NBG320"
    public static let modelcarRestricted: RuleID = "NBG321"
}

/// Containers the platform adds to pods nbgitops emits or passes through, and the Pod Security
/// level of the namespace they land in. nbgitops raises its own namespaces where it runs Tekton
/// or serves a ModelCar (`EnvironmentPlanner.admittingInjectedContainers`); these rules refuse
/// what reaches a namespace that still enforces `restricted` (a passed-through run or
/// InferenceService, a `naming.namespaces` target).
enum InjectedContainerRules {
    /// The level a planned Namespace enforces; nil when the namespace is not planned here.
    static func enforcedLevel(_ namespace: String?, context: RuleContext) -> String? {
        guard let namespace else { return nil }
        let object = context.plan.objects.first { $0.kind == "Namespace" && $0.name == namespace }
        return object?.manifest.value(at: "metadata.labels")?[LabelKey.podSecurityEnforce]?.stringValue
    }

    /// The note naming the Namespace's enforce label, at its source when it has one.
    static func levelNote(_ namespace: String, context: RuleContext) -> DiagnosticNote {
        DiagnosticNote(
            "namespace '\(namespace)' enforces Pod Security restricted (\(LabelKey.podSecurityEnforce))")
    }

    /// NBG320: a Tekton PipelineRun or TaskRun in a namespace enforcing Pod Security
    /// `restricted` on Kubernetes. Tekton's `prepare` and `place-scripts` init containers and the
    /// affinity assistant get a securityContext only with `set-security-context: "true"`
    /// (upstream default "false": tektoncd/pipeline `config/config-feature-flags.yaml`,
    /// `pkg/pod/pod.go`, `pkg/pod/script.go`, `pkg/reconciler/pipelinerun/affinity_assistant.go`),
    /// so restricted refuses every TaskRun pod (pod-security-admission
    /// `check_allowPrivilegeEscalation.go`, `check_capabilities_restricted.go`).
    static let tektonRun = PlanRule(
        .tektonRunRestricted, .error,
        "a Tekton run is in a namespace whose Pod Security level refuses the containers Tekton injects",
        waivable: false
    ) { context in
        guard context.platform == .kubernetes else { return }
        // Platform fact: Tekton's set-security-context "true" would admit the injected containers under restricted.
        for object in context.plan.objects where InjectedContainers.isTektonRun(object) {
            guard let namespace = object.namespace,
                enforcedLevel(namespace, context: context) == PodSecurityLevel.restricted.rawValue
            else { continue }
            context.report(
                "\(object.kind) '\(object.name)' runs in namespace '\(namespace)', which enforces Pod Security restricted; Tekton adds its prepare and place-scripts init containers and the affinity assistant without allowPrivilegeEscalation: false or capabilities.drop: [ALL] unless its feature flag set-security-context is \"true\" (off by default), so no TaskRun pod is ever created",
                at: context.location(of: object, path: "metadata.name"),
                help:
                    "run it in a namespace that enforces baseline (security.privilegeCap: baseline, or nbgitops' build namespace), or describe it as a ModelPipeline or a job's buildConfig so nbgitops places it",
                notes: [levelNote(namespace, context: context)],
                subject: context.subject(for: object))
        }
    }

    /// NBG321: an InferenceService serving an `oci://` ModelCar in a namespace enforcing Pod
    /// Security `restricted` on Kubernetes. KServe 0.16 and later inject `modelcar` (a
    /// securityContext with `runAsUser` only) and `modelcar-init` (none) (kserve
    /// `pkg/utils/storage.go` `CreateModelcarContainer`, `CreateModelcarInitContainer`), which
    /// restricted refuses: the predictor's pods are never created.
    static let modelcar = PlanRule(
        .modelcarRestricted, .error,
        "a ModelCar is served in a namespace whose Pod Security level refuses the containers KServe injects",
        waivable: false
    ) { context in
        guard context.platform == .kubernetes, context.environment.kserve.enableModelcar.value != false else { return }
        // Platform fact: KServe serving OCI models as image volumes (no modelcar containers) would allow restricted.
        for (service, path, uri) in ModelPipelineRules.modelcarURIs(context.plan.objects) {
            guard let namespace = service.namespace,
                enforcedLevel(namespace, context: context) == PodSecurityLevel.restricted.rawValue
            else { continue }
            context.report(
                "InferenceService '\(service.name)' serves the ModelCar \(uri) in namespace '\(namespace)', which enforces Pod Security restricted; KServe adds its modelcar and modelcar-init containers without allowPrivilegeEscalation: false or capabilities.drop: [ALL], so the predictor's pods are never created",
                at: context.location(of: service, path: path),
                help:
                    "serve it from a namespace that enforces baseline (security.privilegeCap: baseline), let a ModelPipeline serve it (nbgitops then enforces baseline where it serves a ModelCar), or serve the model from a claim (pvc://)",
                notes: [levelNote(namespace, context: context)],
                subject: context.subject(for: service))
        }
    }
}
