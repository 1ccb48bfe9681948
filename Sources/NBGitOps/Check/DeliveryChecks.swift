/// Check-stage rules about how the delivery tool applies an environment.
public enum DeliveryChecks {
    public static func check(_ plan: EnvironmentPlan, diagnostics: DiagnosticCollector) {
        checkPrune(plan, diagnostics: diagnostics)
    }

    /// Validation Jobs are immutable, so a changed validation is a Job with a new name; only
    /// prune deletes the superseded one. With prune off, every change leaves a Job (and its
    /// pods) behind.
    static func checkPrune(_ plan: EnvironmentPlan, diagnostics: DiagnosticCollector) {
        let prune = plan.environment.delivery.prune
        guard !prune.value, plan.objects.contains(where: ImmutableObjects.isImmutable) else { return }
        let tool = plan.environment.delivery.tool.value == .argocd ? "Argo CD" : "Flux"
        diagnostics.warning(
            .deliveryPruneDisabled,
            "delivery.prune is false in environment '\(plan.environment.name)': when a validation changes, \(tool) "
                + "creates its new Job but leaves the superseded one (and its pods) in the cluster",
            at: prune.origin.location,
            help: "remove 'prune: false' (Jobs are named by content, so prune deletes only superseded ones), "
                + "or delete superseded Jobs by hand")
    }
}
