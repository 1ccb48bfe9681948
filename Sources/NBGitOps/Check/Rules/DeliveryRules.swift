/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let deliveryIncomplete: RuleID = "NBG166"
    public static let deliverySkipped: RuleID = "NBG167"
    public static let deliveryPruneDisabled: RuleID = "NBG165"
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
