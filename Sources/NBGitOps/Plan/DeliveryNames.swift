/// The names of the delivery objects (Argo CD `Application` and `AppProject`, Flux
/// `GitRepository` and `Kustomization`s). They live in the controller's namespace
/// (`openshift-gitops`, `argocd`, `flux-system`), which every project and team of the cluster
/// shares, so a project's are qualified by its `metadata.name`:
/// `namePrefix + project + "-" + environment` (a part of an environment's delivery adds
/// `-builds`, `-serving`, … to that). Outside a project (an ad-hoc render) the name is
/// `namePrefix + environment`.
///
/// The name is checked as a DNS-1123 subdomain of at most 63 characters (NBG130/NBG131): Argo CD
/// writes the Application's name into the `app.kubernetes.io/instance` label of every object it
/// tracks by label, and Flux the Kustomization's into `kustomize.toolkit.fluxcd.io/name`; a
/// label value has at most 63 characters. Two delivery objects of one kind and namespace with
/// one name across the project's environments are NBG350 (`DeliveryNameCollisions`).
enum DeliveryNames {
    /// The base name of an environment's delivery objects.
    static func base(_ context: PlanContext) -> String {
        guard let project = context.delivery.projectName, !project.isEmpty else {
            return context.derivedName(context.environment.name)
        }
        return context.derivedName(project + "-" + context.environment.name)
    }

    /// Where a user shortens or renames the base name: the project's `metadata.name`, else the
    /// name prefix, else the delivery tool's line.
    static func location(_ context: PlanContext) -> SourceLocation? {
        context.delivery.projectNameLocation ?? context.prefixLocation
            ?? context.environment.delivery.tool.origin.location
    }

    /// The base name with the rule it must meet.
    static func checked(_ name: String, context: PlanContext, what: String? = nil) -> DerivedName {
        let qualified = context.delivery.projectName != nil
        return DerivedName(
            name, rule: .subdomainLabelValue,
            what: what
                ?? (qualified
                    ? "delivery object name (namePrefix + project name + '-' + environment name)"
                    : "delivery object name (namePrefix + environment name)"),
            at: location(context),
            help: "shorten the project's metadata.name, the environment's name or its namePrefix: Argo CD and Flux "
                + "write this name into a label of every object they apply, and a label value has at most 63 characters")
    }
}
