/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let buildSourceStrategy: RuleID = "NBG152"
}

/// Rules over the image builds the plan holds.
enum BuildRules {
    /// NBG152: an S2I BuildConfig with the Source strategy runs the base image's S2I
    /// `assemble` script; a plain Jupyter image has none, and the build fails at run time.
    /// Read off the planned BuildConfig (its `spec.strategy.type`), traced to its spec by the
    /// `buildConfig.strategy` line the planner recorded as its source.
    static let sourceStrategy = PlanRule(
        .buildSourceStrategy, .warning, "an S2I Source build needs a builder image with S2I scripts"
    ) { context in
        let builds = (context.plan.objects + context.plan.buildObjects).filter {
            $0.kind == "BuildConfig" && $0.manifest.value(at: "spec.strategy.type")?.stringValue == "Source"
        }
        for object in builds {
            guard let source = object.sources.first,
                let job = context.specs.jobs.first(where: { $0.podConfig.buildConfig?.strategy.location == source }),
                let build = job.podConfig.buildConfig
            else { continue }
            context.report(
                "job '\(job.name.value)' gets an S2I Source build from '\(build.baseImage.value)', which works only if that image is an S2I builder (has assemble scripts)",
                at: build.baseImage.location,
                help:
                    "set buildConfig.dockerfile, or autoGenerateRequirements: true (without preferDockerfile) for a generated Dockerfile",
                subject: context.subject(for: job))
        }
    }
}
