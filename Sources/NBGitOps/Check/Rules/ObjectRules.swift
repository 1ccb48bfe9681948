/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let objectDuplicate: RuleID = "NBG132"
}

/// Rules over the set of objects an environment gets.
enum ObjectRules {
    /// NBG132: two objects with the same kind, namespace and name cannot both be applied. The
    /// decoder reports two spec documents defining the same object; here, an object the planner
    /// left out because an earlier one has its identity — a supporting object that shadows one
    /// nbgitops generates (`EnvironmentPlan.droppedDuplicates`), reported at the later one.
    static let duplicates = PlanRule(
        .objectDuplicate, .error, "two inputs define the same object", waivable: false
    ) { context in
        for (object, firstSource) in context.plan.droppedDuplicates {
            context.report(
                "\(object.kind) '\(object.name)' is defined twice" + (object.namespace.map { " in namespace '\($0)'" } ?? ""),
                at: object.sources.first,
                help: firstSource == nil
                    ? "nbgitops generates this object itself; rename the supporting object or remove it"
                    : "remove or rename one of them",
                notes: firstSource.map { [DiagnosticNote("first defined here", at: $0)] } ?? [], subject: nil)
        }
    }
}
