/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let deliveryPruneDisabled: RuleID = "NBG165"
}

/// Check-stage rules about how the delivery tool (Argo CD or Flux) applies an environment.
enum DeliveryRules {
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
