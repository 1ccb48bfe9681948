/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let servingModeUnsupported: RuleID = "NBG335"
}

/// Rules about the KServe deployment mode an environment chooses (`serving.deploymentMode`).
enum ServingModeRules {
    /// A predictor field and the Knative Serving feature flag that admits it on a Knative
    /// Service (knative/serving `pkg/apis/config/features.go`: all Disabled by default;
    /// `pkg/apis/serving/fieldmask.go` `PodSpecMask`, `VolumeSourceMask`).
    static let knativeFlags: [(what: String, flag: String)] = [
        ("nodeSelector", "kubernetes.podspec-nodeselector"),
        ("tolerations", "kubernetes.podspec-tolerations"),
        ("a claim (storageUri pvc://)", "kubernetes.podspec-persistent-volume-claim"),
    ]

    /// NBG335: `serving.deploymentMode: Serverless` where the platform cannot run the
    /// predictors so. KServe copies the predictor's pod spec into a Knative Service
    /// (kserve/kserve `pkg/controller/v1beta1/inferenceservice/reconcilers/knative/
    /// ksvc_reconciler.go`), whose webhook rejects nodeSelector, tolerations and claim volumes
    /// unless Knative's config-features enables them; OpenShift AI 3 serves no Serverless mode
    /// at all. The pod-level securityContext needs no refusal: the planner moves the user and
    /// group to the container, where Knative accepts them. Reported at the overlay line that
    /// chose the mode.
    static let serverless = PlanRule(
        .servingModeUnsupported, .error,
        "the serving deployment mode cannot run the environment's predictors on the declared platform",
        waivable: false
    ) { context in
        let environment = context.plan.environment
        let mode = environment.servingDeploymentMode
        guard mode.value == .serverless else { return }
        let services = context.plan.objects.filter { $0.kind == "InferenceService" }
        guard let first = services.first else { return }
        let facts = environment.facts
        let location = mode.origin.location ?? context.location(of: first, path: "metadata.annotations")
        let help = "set serving.deploymentMode: RawDeployment (a Deployment, which takes every field nbgitops writes)"
        if let version = facts.versions[.openshiftAI], facts.version(.openshiftAI, atLeast: 3, 0) == true {
            context.report(
                "environment '\(environment.name)' serves in Serverless mode, but OpenShift AI \(version.value) "
                    + "no longer has it (KServe's Serverless mode was removed in 3.0): no InferenceService would start",
                at: location, help: help,
                notes: [
                    DiagnosticNote(
                        "platform.versions.openshiftAI is \(version.value): \(version.origin)", at: version.origin.location)
                ],
                subject: nil)
            return
        }
        let enabled = Set(facts.knativeFeatures.value ?? [])
        let declared = facts.knativeFeatures.value.map { "[\($0.joined(separator: ", "))]" } ?? "unknown"
        for service in services {
            let predictor = service.manifest.value(at: "spec.predictor")
            var carried: [(what: String, flag: String)] = []
            if !(predictor?["nodeSelector"]?.entries ?? []).isEmpty { carried.append(knativeFlags[0]) }
            if !(predictor?["tolerations"]?.elements ?? []).isEmpty { carried.append(knativeFlags[1]) }
            if predictor?["model"]?["storageUri"]?.stringValue?.hasPrefix("pvc://") == true {
                carried.append(knativeFlags[2])
            }
            let missing = carried.filter { !enabled.contains($0.flag) }
            guard !missing.isEmpty else { continue }
            context.report(
                "InferenceService \(service.name) is served in Serverless mode but carries "
                    + missing.map(\.what).joined(separator: ", ")
                    + ", which Knative rejects unless its config-features enables "
                    + missing.map(\.flag).joined(separator: ", ")
                    + " (platform.knative.features: \(declared)): the predictor would never start",
                at: location,
                help: help + ", or enable those flags in knative-serving's config-features and declare them in "
                    + "platform.knative.features",
                notes: facts.knativeFeatures.origin.location.map {
                    [DiagnosticNote("platform.knative.features: \(facts.knativeFeatures.origin)", at: $0)]
                } ?? [],
                subject: nil)
        }
    }
}
