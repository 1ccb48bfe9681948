/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let argocdExcludesEmittedKind: RuleID = "NBG330"
    public static let argocdHealthChecksInConfigMap: RuleID = "NBG331"
}

/// Rules about the Argo CD instance that applies an environment (`platform.argocd`).
enum ArgoInstanceRules {
    /// NBG330: the declared Argo CD instance excludes a kind the environment emits (the OpenShift
    /// GitOps default instance excludes tekton.dev PipelineRun and TaskRun: redhat-developer/
    /// gitops-operator `controllers/argocd/argocd.go` `NewCR()`). Argo CD removes excluded kinds
    /// from the target objects and only raises an ExcludedResourceWarning (argoproj/argo-cd
    /// `controller/state.go`, `util/settings/resources_filter.go`), so those objects would never be
    /// applied. Lifted by `delivery.argocd.instancePatch: emit` (the planner then writes an ArgoCD
    /// resource patch without those exclusions). Environment-wide: no spec's waiver applies.
    static let excludedKind = PlanRule(
        .argocdExcludesEmittedKind, .error,
        "the declared Argo CD instance excludes a kind the environment emits, so Argo CD never applies it",
        waivable: false
    ) { context in
        let plan = context.plan
        guard plan.environment.delivery.tool.value == .argocd, !plan.environment.delivery.argocdInstancePatch.value
        else { return }
        let excluded = ArgoHealthPlanner.excludedObjects(plan.objects, facts: plan.environment.facts)
        guard let first = excluded.first else { return }
        var kinds: [String] = []
        for item in excluded {
            let kind = item.group.isEmpty ? item.object.kind : "\(item.group)/\(item.object.kind)"
            if !kinds.contains(kind) { kinds.append(kind) }
        }
        let names = excluded.map { "\($0.object.kind) \($0.object.name)" }
        context.report(
            "the Argo CD instance of environment '\(plan.environment.name)' excludes \(kinds.joined(separator: ", ")) "
                + "(platform.argocd.resourceExclusions), so Argo CD never applies \(names.prefix(3).joined(separator: ", "))"
                + (names.count > 3 ? " (and \(names.count - 3) more)" : "")
                + ": what needs them would wait for images and models that are never built",
            at: plan.environment.facts.argocdResourceExclusions.origin.location
                ?? context.location(of: first.object, path: "kind"),
            help: "set delivery.argocd.instancePatch: emit in an overlay (nbgitops then writes delivery/"
                + "argocd-\(ArgoHealthPlanner.instanceName(plan))-snippet.yaml, an ArgoCD resource patch without "
                + "those exclusions, for the platform team to apply), or have the instance's exclusions changed "
                + "(or use a dedicated Argo CD instance) and declare its platform.argocd.resourceExclusions",
            subject: nil)
    }

    /// NBG331: the health checks went into an argocd-cm snippet, but whether the instance is
    /// operator-managed is unknown: the argocd-operator rebuilds argocd-cm from the ArgoCD
    /// resource (argoproj-labs/argocd-operator `controllers/argocd/configmap.go`
    /// `reconcileArgoConfigMap`) and would revert the snippet. Once per environment, for every
    /// environment delivering with Argo CD whose `platform.argocd.operatorManaged` is unknown.
    static let healthChecksInConfigMap = PlanRule(
        .argocdHealthChecksInConfigMap, .note,
        "Argo CD health checks are written as an argocd-cm snippet while it is unknown whether an operator manages the instance",
        waivable: false
    ) { context in
        let plan = context.plan
        let facts = plan.environment.facts
        // Every Argo CD environment that leaves out who manages the instance, whether or not it
        // describes the instance otherwise: an undescribed instance may be operator-managed too.
        guard facts.argocdOperatorManaged.value == nil,
            let snippet = plan.snippets.first(where: { $0.name == ArgoHealthPlanner.configMapName })
        else { return }
        context.report(
            "environment '\(plan.environment.name)' gets its Argo CD health checks as an argocd-cm snippet "
                + "(delivery/\(OutputLayout.snippetFileName(snippet))); an Argo CD instance managed by the "
                + "argocd-operator (OpenShift GitOps) rebuilds argocd-cm and drops them",
            // At the overlay line that chose Argo CD.
            at: plan.environment.delivery.tool.origin.location ?? plan.environment.definedAt,
            help: "declare platform.argocd.operatorManaged (true writes the checks as the ArgoCD resource's "
                + "spec.resourceHealthChecks instead; false keeps the snippet and silences this note)",
            subject: nil)
    }
}
