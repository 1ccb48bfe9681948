/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let crossNamespaceModelUnbound: RuleID = "NBG302"
}

/// Projects of several namespaces: what one namespace's pods need from another.
enum NamespaceRules {
    /// NBG302: a job validates a model in another namespace (`targetModels: [shared-models/fraud]`)
    /// but no RoleBinding of the plan in that namespace names the job's ServiceAccount (of the
    /// job's namespace, both as the environment maps them). nbgitops grants a job read access to
    /// the serving objects of its own namespace only; another team's namespace is theirs to open,
    /// by a RoleBinding in the spec files (the operator's cross-namespace sample has one per team).
    static let crossNamespaceModels = PlanRule(
        .crossNamespaceModelUnbound, .warning,
        "a job validates a model in another namespace where no RoleBinding names its ServiceAccount"
    ) { context in
        let naming = context.environment.naming
        let defaultAccount = context.environment.naming.namePrefix.value + EnvironmentPlanner.defaultServiceAccountBase
        for job in context.plannedJobs where !job.apiPermissions.isEmpty {
            let namespace = naming.target(of: job.namespace).value
            let account = job.podConfig.serviceAccountName?.value ?? defaultAccount
            let models = job.modelValidation?["targetModels"]?.elements ?? []
            var reported: Set<String> = []
            for (index, model) in models.enumerated() {
                guard let reference = model.stringValue, let slash = reference.firstIndex(of: "/") else { continue }
                let location = job.sourceMap["spec.modelValidation.targetModels[\(index)]"] ?? job.name.location
                let written = Located(String(reference[..<slash]), at: location)
                let target = naming.target(of: written).value
                guard target != namespace, reported.insert(target).inserted else { continue }
                let bindings = context.roleBindings(naming: account, namespace: namespace).filter { $0.namespace == target }
                guard bindings.isEmpty else { continue }
                let mapped = target == written.value ? "" : " ('\(written.value)' in this environment)"
                context.report(
                    "model '\(reference)' of job '\(job.name.value)' is in namespace '\(target)'\(mapped), where no "
                        + "RoleBinding names ServiceAccount '\(account)' of namespace '\(namespace)': the notebook's "
                        + "lookups of it are forbidden",
                    at: location,
                    help: "add a RoleBinding in namespace '\(written.value)' to the spec files with subject "
                        + "{kind: ServiceAccount, name: \(account), namespace: \(job.namespace?.value ?? namespace)} and a "
                        + "role that may get, list and watch inferenceservices (serving.kserve.io)",
                    notes: [
                        DiagnosticNote(
                            "nbgitops binds the job's ServiceAccount to read the serving objects of its own namespace "
                                + "'\(namespace)' only")
                    ],
                    subject: context.subject(for: job))
            }
        }
    }
}
