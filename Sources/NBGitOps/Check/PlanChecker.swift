/// The Check stage: rules over the planned objects of one environment, after overlays are
/// resolved and before anything is rendered or written.
public enum PlanChecker {
    public static func check(_ plan: EnvironmentPlan, specs: SpecSet, diagnostics: DiagnosticCollector) {
        checkDerivedNameCollisions(plan, diagnostics: diagnostics)
    }

    /// Two inputs that derive the same object name would overwrite each other.
    static func checkDerivedNameCollisions(_ plan: EnvironmentPlan, diagnostics: DiagnosticCollector) {
        var seen: [String: PlannedObject] = [:]
        for object in plan.objects {
            let key = "\(object.apiVersion)/\(object.kind)/\(object.namespace ?? "")/\(object.name)"
            if let first = seen[key] {
                diagnostics.error(
                    .objectDuplicate,
                    "\(object.kind) '\(object.name)' would be emitted twice in environment '\(plan.environment.name)'",
                    at: object.sources.first, help: "rename one of the inputs so their derived names differ",
                    notes: first.sources.first.map { [DiagnosticNote("the other one comes from here", at: $0)] } ?? [])
            } else {
                seen[key] = object
            }
        }
    }
}
