/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let existingAppProject: RuleID = "NBG351"
}

/// What an environment's delivery reuses instead of writing it.
enum DeliveryReuseRules {
    /// NBG351 (a note): `delivery.argocd.project` names an AppProject that exists already, so
    /// nbgitops writes none, and the Applications' sources, destinations and kinds are checked
    /// against nothing: the project it cannot see may refuse them at sync time (Argo CD reports
    /// "application destination ... is not permitted in project" or a resource "not permitted"),
    /// which only the cluster shows. Environment-wide (the overlay line), so no spec's waiver
    /// applies.
    static let existingAppProject = PlanRule(
        .existingAppProject, .note,
        "the Applications use an existing AppProject, which nbgitops cannot check them against", waivable: false
    ) { context in
        let environment = context.environment
        let project = environment.delivery.argocdProject
        guard environment.delivery.tool.value == .argocd, let name = project.value,
            let application = context.plan.deliveryObjects.first(where: { $0.kind == "Application" })
        else { return }
        let namespaces = Set(context.plan.objects.compactMap(\.namespace)).sorted()
        let kinds = Set(context.plan.objects.map(\.kind)).sorted()
        context.report(
            "environment '\(environment.name)' delivers through the existing AppProject '\(name)', which nbgitops does "
                + "not see: it writes no AppProject and cannot check that '\(name)' allows the repository, the "
                + "destination namespaces (\(namespaces.joined(separator: ", "))) and the kinds "
                + "(\(kinds.joined(separator: ", "))) Application '\(application.name)' syncs",
            at: project.origin.location,
            help: "make sure AppProject '\(name)' lists them in sourceRepos, destinations and its resource whitelists, "
                + "or remove delivery.argocd.project to let nbgitops write a project restricted to exactly these",
            subject: nil)
    }
}
