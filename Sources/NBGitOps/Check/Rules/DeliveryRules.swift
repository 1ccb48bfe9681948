/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let deliveryIncomplete: RuleID = "NBG166"
    public static let deliverySkipped: RuleID = "NBG167"
    public static let deliveryPruneDisabled: RuleID = "NBG165"
    public static let fluxCannotWait: RuleID = "NBG310"
}

/// Check-stage rules about how the delivery tool (Argo CD or Flux) applies an environment.
enum DeliveryRules {
    /// NBG166 and NBG167: what Argo CD or Flux needs to find the environment's manifests — the
    /// repository URL (a URL the tool accepts, no credentials), the revision, a path inside the
    /// repository — validated by `DeliveryPlanner.coordinates`, the function the planner builds
    /// the delivery objects from (and that leaves them out when this rule reports). A project's
    /// environment must deliver (NBG166); an ad-hoc render naming no repository is a preview
    /// (NBG167). Environment-wide: no spec's waiver applies.
    static let settings = PlanRule(
        .deliveryIncomplete, .error,
        "a delivery setting Argo CD or Flux needs is missing or invalid (repository URL, revision, path)",
        waivable: false,
        alsoDescribes: [
            .check(
                .deliverySkipped, .warning, "an ad-hoc render names no repository, so it has no delivery objects",
                waivable: false)
        ],
        alsoReports: [.gitURL, .gitRef, .gitPlainHTTP, .gitRefAbbreviated, .outputPath]
    ) { context in
        let found = DiagnosticCollector()
        _ = DeliveryPlanner.coordinates(
            PlanContext(environment: context.environment, delivery: context.plan.delivery), diagnostics: found)
        for diagnostic in found.diagnostics {
            context.report(
                diagnostic.message, at: diagnostic.location, rule: diagnostic.id, severity: diagnostic.severity,
                help: diagnostic.help, notes: diagnostic.notes, subject: nil)
        }
    }

    /// NBG310: a Flux declared older than 2.5 (`platform.versions.flux`) has no
    /// `spec.healthCheckExprs` (kustomize-controller API v1.5.0, commit 6455cfe), and kstatus
    /// calls a PipelineRun or an image build Current as soon as it exists
    /// (kubernetes-sigs/cli-utils `pkg/kstatus/status/generic.go`). The planners then leave the
    /// field out, and an environment with something to wait for is refused: its validation
    /// Jobs and InferenceServices would start before their images and models exist.
    /// Environment-wide (the overlay line), so no spec's waiver applies.
    static let fluxCannotWait = PlanRule(
        .fluxCannotWait, .error,
        "the declared Flux (before 2.5) cannot wait for image builds or model pipelines", waivable: false
    ) { context in
        let plan = context.plan
        guard plan.environment.delivery.tool.value == .flux,
            plan.environment.facts.version(.flux, atLeast: 2, 5) == false,
            let version = plan.environment.facts.versions[.flux]
        else { return }
        let waited = plan.objects.filter { ["PipelineRun", "BuildConfig"].contains($0.kind) }.map { "\($0.kind) \($0.name)" }
        guard let first = waited.first else { return }
        context.report(
            "environment '\(plan.environment.name)' declares Flux \(version.value), which has no Kustomization "
                + "healthCheckExprs (Flux 2.5 added them), so Flux would report \(first)"
                + (waited.count > 1 ? " (and \(waited.count - 1) more)" : "")
                + " ready as soon as it exists and apply what needs its images or models before they are built",
            at: version.origin.location,
            help: "upgrade Flux to 2.5 or later and declare it (platform.versions.flux, or the flux-2.6 profile), "
                + "or deliver this environment with Argo CD",
            subject: nil)
    }

    /// Validation Jobs are immutable, so a changed validation is a Job with a new name; only
    /// prune deletes the superseded one. With prune off, every change leaves a Job (and its
    /// pods) behind. Environment-wide (the overlay line), so no spec's waiver applies.
    static let pruneDisabled = PlanRule(
        .deliveryPruneDisabled, .warning, "prune is off: superseded validation Jobs stay in the cluster", waivable: false
    ) { context in
        let plan = context.plan
        let prune = plan.environment.delivery.prune
        guard !prune.value, plan.objects.contains(where: ImmutableObjects.isImmutable) else { return }
        let tool = plan.environment.delivery.tool.value == .argocd ? "Argo CD" : "Flux"
        context.report(
            "delivery.prune is false in environment '\(plan.environment.name)': when a validation changes, \(tool) "
                + "creates its new Job but leaves the superseded one (and its pods) in the cluster",
            at: prune.origin.location,
            help: "remove 'prune: false' (Jobs are named by content, so prune deletes only superseded ones), "
                + "or delete superseded Jobs by hand",
            subject: nil)
    }
}
