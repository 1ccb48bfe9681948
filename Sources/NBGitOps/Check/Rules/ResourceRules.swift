/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let resourcesUnset: RuleID = "NBG274"
}

/// NBG274: a notebook container without CPU and memory requests and limits, after the
/// environment's `defaults.resources` were applied. Without requests the scheduler places it
/// anywhere and it is evicted first; without limits one notebook can take a node's memory or
/// CPUs (and CKV_K8S_10–13 of the security gate fail).
enum ResourceRules {
    static let kinds: [(String, String)] = [("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory")]

    static let resourcesUnset = PlanRule(
        .resourcesUnset, .warning,
        "a validation container has no CPU or memory request or limit, even after the environment's defaults"
    ) { context in
        let defaults = context.environment.defaults
        for job in context.specs.jobs where EnvironmentPlanner.isPlanned(job, on: context.platform) {
            let effective = ValidationJobPlanner.withDefaults(job.podConfig.resources, defaults)
            let missing = kinds.filter { effective?[$0.0]?[$0.1] == nil }.map { "\($0.0).\($0.1)" }
            guard !missing.isEmpty else { continue }
            let origins = (defaults.requests.values.map(\.origin) + defaults.limits.values.map(\.origin))
            let note =
                origins.isEmpty
                ? DiagnosticNote("the environment sets no defaults.resources")
                : DiagnosticNote(
                    "defaults.resources fill only fields the spec leaves unset, and no limit below the spec's request",
                    at: origins.compactMap(\.location).min())
            context.report(
                "the notebook container of '\(job.name.value)' has no \(missing.joined(separator: ", ")), even after the environment's defaults",
                at: job.podConfig.containerImage.location,
                help:
                    "set spec.podConfig.resources (requests and limits for cpu and memory), or defaults.resources in an overlay of the environment",
                notes: [note],
                subject: context.subject(for: job))
        }
    }
}
