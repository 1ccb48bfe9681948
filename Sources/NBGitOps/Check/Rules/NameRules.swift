/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let nameTooLong: RuleID = "NBG131"
}

/// Names nbgitops derives must be names Kubernetes accepts.
enum NameRules {
    /// NBG131, and NBG130 for a derived name that is not DNS-1123: each name a planner derived
    /// (`PlannedObject.derivedNames`: the object's own name, the namespace it goes to), against
    /// the rule the planner recorded with it (a DNS label of at most 63 characters for
    /// Namespaces and for objects whose name becomes a pod label — Jobs, PipelineRuns,
    /// BuildConfigs — a subdomain of at most 253 otherwise), reported where the user shortens it.
    static let derivedNames = PlanRule(
        .nameTooLong, .error, "a derived object name would exceed Kubernetes' length limit", waivable: false,
        alsoReports: [.nameInvalid]
    ) { context in
        let plan = context.plan
        for object in plan.objects + plan.buildObjects + plan.servingObjects + plan.deliveryObjects {
            for name in object.derivedNames {
                let length = name.value.utf8.count
                let limit = name.rule.limit
                if length > limit {
                    context.report(
                        "\(name.what) '\(name.value)' is \(length) characters long; Kubernetes allows at most \(limit)",
                        at: name.location, help: name.help ?? "shorten the name or the environment's namePrefix",
                        notes: name.notes, subject: nil)
                    continue
                }
                let label = name.rule == .label
                guard label ? !NameChecks.isDNSLabel(name.value) : !NameChecks.isDNSSubdomain(name.value) else { continue }
                context.report(
                    "\(name.what) '\(name.value)' is not a valid DNS-1123 \(label ? "label" : "subdomain")",
                    at: name.location, rule: .nameInvalid,
                    help:
                        "use lowercase letters, digits and '-'\(label ? "" : " (and '.')"), starting and ending with a letter or digit",
                    notes: name.notes, subject: nil)
            }
        }
    }
}
