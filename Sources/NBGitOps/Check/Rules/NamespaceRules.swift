/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let crossNamespaceModelUnbound: RuleID = "NBG302"
    public static let systemNamespace: RuleID = "NBG139"
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

    /// The namespaces the cluster, its platform and its delivery and serving stacks own:
    /// nbgitops would write a Namespace object for them (Pod Security labels, managed-by labels)
    /// that the delivery tool then owns and prunes with the environment. Exact names, then
    /// prefixes (docs/rules/NBG139.md lists them).
    static let systemNamespaces: Set<String> = [
        "default", "openshift", "flux-system", "argocd", "openshift-gitops", "tekton-pipelines",
        "tekton-pipelines-resolvers", "knative-serving", "knative-eventing", "kserve", "istio-system",
    ]
    static let systemNamespacePrefixes = ["kube-", "openshift-", "redhat-ods-"]

    /// Why `namespace` is a system namespace in this environment, or nil.
    static func systemReason(_ namespace: String, controllerNamespace: String) -> String? {
        if namespace == controllerNamespace {
            return "the namespace of the environment's delivery controller"
        }
        if systemNamespaces.contains(namespace) { return "a namespace the cluster or its platform owns" }
        if let prefix = systemNamespacePrefixes.first(where: { namespace.hasPrefix($0) }) {
            return "a namespace the cluster or its platform owns (prefix '\(prefix)')"
        }
        return nil
    }

    /// The delivery controller's namespace: the overlay's `delivery.controllerNamespace`, else
    /// the tool's default (as `DeliveryPlanner.controllerNamespace` places its objects).
    static func controllerNamespace(_ environment: Environment) -> String {
        if let namespace = environment.delivery.controllerNamespace.value { return namespace }
        switch (environment.delivery.tool.value, environment.platform.value) {
        case (.argocd, .openshift): return "openshift-gitops"
        case (.argocd, .kubernetes): return "argocd"
        case (.flux, _): return "flux-system"
        }
    }

    /// NBG139: a spec's objects (every spec kind: NotebookValidationJobs, ModelPipelines,
    /// supporting objects) or the environment itself land, after the environment's namespace
    /// mapping, in a system namespace: nbgitops would emit and own that Namespace — with
    /// restricted Pod Security and its managed-by labels — and the delivery tool would prune it
    /// with the environment. Reported at the spec's `metadata.namespace` value when it is
    /// written so, at the overlay line when a mapping (`naming.namespace`, `naming.namespaces`,
    /// `naming.namespacePrefix`) puts it there.
    static let systemNamespace = PlanRule(
        .systemNamespace, .error,
        "objects would land in a system namespace (kube-*, default, openshift-*, the delivery namespace)",
        waivable: false
    ) { context in
        let environment = context.environment
        let naming = environment.naming
        let controller = controllerNamespace(environment)
        let help =
            "write the objects' own namespace in metadata.namespace (e.g. 'notebook-validation'), or map it elsewhere "
            + "with naming.namespaces in an overlay; nbgitops creates and owns every namespace it places objects in"
        var reportedOverlayLines: Set<SourceLocation> = []
        func refuse(_ target: Traced<String>, written: Located<String>?, what: String, subject: DocumentKey?) {
            guard let reason = systemReason(target.value, controllerNamespace: controller) else { return }
            let mapped: Bool
            if case .overlay = target.origin { mapped = true } else { mapped = false }
            if mapped, let line = target.origin.location {
                guard reportedOverlayLines.insert(line).inserted else { return }
            }
            var notes: [DiagnosticNote] = []
            if mapped, let written {
                notes.append(DiagnosticNote("\(what) writes namespace '\(written.value)' here", at: written.location))
            }
            let message =
                mapped
                ? "environment '\(environment.name)' maps \(what)\(written.map { " (namespace '\($0.value)')" } ?? "") into "
                    + "namespace '\(target.value)', \(reason); nbgitops would create, label and prune it"
                : "\(what) is placed in namespace '\(target.value)', \(reason); nbgitops would create, label and prune it"
            context.report(
                message, at: mapped ? target.origin.location : (written?.location ?? target.origin.location),
                help: help, notes: notes, subject: mapped ? nil : subject)
        }
        // The environment's own namespace (objects without metadata.namespace land there).
        refuse(naming.namespace, written: nil, what: "its own namespace (naming.namespace)", subject: nil)
        for entry in naming.namespaces.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            guard let target = naming.namespaces[entry] else { continue }
            refuse(target, written: nil, what: "namespace '\(entry)' (naming.namespaces)", subject: nil)
        }
        for job in context.specs.jobs {
            guard let written = job.namespace else { continue }
            refuse(
                naming.target(of: written), written: written, what: "NotebookValidationJob '\(job.name.value)'",
                subject: context.subject(for: job))
        }
        for pipeline in context.specs.modelPipelines {
            guard let written = pipeline.namespace else { continue }
            refuse(
                naming.target(of: written), written: written, what: "ModelPipeline '\(pipeline.name.value)'",
                subject: DocumentKey(file: pipeline.file, index: pipeline.documentIndex))
        }
        for object in context.specs.supportingObjects {
            guard let written = object.namespace else { continue }
            refuse(
                naming.target(of: written), written: written, what: "\(object.kind) '\(object.name.value)'",
                subject: DocumentKey(file: object.file, index: object.documentIndex))
        }
    }
}
