/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let buildRegistryMissing: RuleID = "NBG151"
    public static let buildSourceStrategy: RuleID = "NBG152"
}

/// Rules over the image builds the plan holds.
enum BuildRules {
    /// NBG151, NBG150 for S2I outside OpenShift, and NBG153 for a template of nbgitops' own the
    /// plan needed but could not use: a build the environment cannot make. A
    /// Tekton build on Kubernetes pushes to `images.registry` (OpenShift has its internal
    /// registry and ImageStreams); S2I needs OpenShift's build API. The planner plans neither.
    static let unbuildable = PlanRule(
        .buildRegistryMissing, .error, "a build on Kubernetes has no registry to push the image to", waivable: false,
        alsoReports: [.buildUnavailable, .buildTemplateInvalid]
    ) { context in
        // A template of nbgitops' own that a build or the Argo CD snippet needed (NBG153).
        for template in context.plan.unusableTemplates {
            context.report(
                template.problem, at: .startOf(template.file), rule: .buildTemplateInvalid,
                help: "reinstall nbgitops or set NBGITOPS_HOME to a folder with its templates/", subject: nil)
        }
        let environment = context.environment
        let origin = environment.platform.origin
        let platformNote = DiagnosticNote(
            "the platform is \(context.platform.rawValue): \(origin.description)", at: origin.location)
        for job in context.plannedJobs {
            guard let build = job.podConfig.buildConfig, build.enabled, context.platform != .openshift else { continue }
            switch build.strategy.value {
            case "tekton" where environment.images.registry.value == nil:
                context.report(
                    "job '\(job.name.value)' builds its image, but environment '\(environment.name)' names no registry to push it to",
                    at: build.strategy.location,
                    help:
                        "set images.registry (and images.pushSecret / images.pullSecret if it needs credentials) in an overlay of this environment",
                    notes: [platformNote], subject: context.subject(for: job))
            case "s2i":
                context.report(
                    "build strategy 's2i' needs OpenShift, but environment '\(environment.name)' is \(context.platform.rawValue)",
                    at: build.strategy.location, rule: .buildUnavailable,
                    help: "use strategy: tekton, which builds on Kubernetes and OpenShift alike", notes: [platformNote],
                    subject: context.subject(for: job))
            default:
                continue
            }
        }
    }

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
