/// Identity and API access of the validation pods: the ServiceAccounts they run as and, only
/// for ServiceAccounts whose jobs call the cluster API, a least-privilege Role + RoleBinding.
///
/// A job calls the API when `spec.modelValidation` is present and enabled: the validation
/// script then looks up the model serving objects. No wildcard verbs or resources, nothing
/// cluster-scoped, and a binding names exactly the ServiceAccounts that need it. Every other
/// pod runs without a token (`automountServiceAccountToken: false`).
enum AccessPlanner {
    struct Result {
        var objects: [PlannedObject]
        /// By `WorkloadUnit.key`.
        var access: [String: ValidationJobPlanner.Access]
    }

    static func plan(
        units: [WorkloadUnit], supportingObjects: [SupportingObject], context: PlanContext
    ) -> Result {
        let defaultName = context.derivedName(EnvironmentPlanner.defaultServiceAccountBase)
        var access: [String: ValidationJobPlanner.Access] = [:]
        var permissionsByAccount: [NamespacedName: Set<APIPermission>] = [:]
        var sourcesByAccount: [NamespacedName: [SourceLocation]] = [:]
        var contextByAccount: [NamespacedName: PlanContext] = [:]
        var userNamed: Set<NamespacedName> = []

        for unit in units {
            let placed = context.placed(in: unit.namespace)
            let account = NamespacedName(namespace: placed.namespace, name: unit.serviceAccount?.value ?? defaultName)
            if unit.serviceAccount != nil { userNamed.insert(account) }
            access[unit.key] = ValidationJobPlanner.Access(
                serviceAccountName: account.name, needsAPI: !unit.permissions.isEmpty)
            permissionsByAccount[account, default: []].formUnion(unit.permissions)
            sourcesByAccount[account, default: []].append(unit.serviceAccount?.location ?? unit.specName.location)
            if contextByAccount[account] == nil { contextByAccount[account] = placed }
        }

        let passedThrough = Set(
            supportingObjects.filter { $0.kind == "ServiceAccount" }.map {
                NamespacedName(namespace: context.targetNamespace($0.namespace), name: $0.name.value)
            })
        var objects: [PlannedObject] = []
        for account in permissionsByAccount.keys.sorted() {
            let sources = sourcesByAccount[account] ?? []
            let placed = contextByAccount[account] ?? context
            let nameBase = userNamed.contains(account) ? account.name : EnvironmentPlanner.defaultServiceAccountBase
            if !passedThrough.contains(account) {
                // A name the user wrote was checked as it was read; a derived one is checked here.
                let checkedNames =
                    userNamed.contains(account)
                    ? [] : [DerivedName(account.name, rule: .subdomain, what: "ServiceAccount name", at: context.prefixLocation)]
                let manifest = PlanMetadata.object(
                    apiVersion: "v1", kind: "ServiceAccount", name: account.name, namespace: placed.namespace,
                    labels: PlanMetadata.labels(component: "notebook-validation"),
                    body: [("automountServiceAccountToken", false)])
                objects.append(
                    {
                        var object = PlannedObject(
                            apiVersion: "v1", kind: "ServiceAccount", name: account.name, namespace: placed.namespace,
                            manifest: manifest, wave: .rbac, sources: sources)
                        object.derivedNames = checkedNames
                        object.shared = !userNamed.contains(account)
                        return object
                    }())
            }
            let permissions = permissionsByAccount[account] ?? []
            guard !permissions.isEmpty else { continue }
            let roleName = context.derivedName(nameBase + "-model-validation")
            var access = roleAndBinding(
                name: roleName, account: account.name, permissions: permissions, sources: sources, context: placed)
            for index in access.indices { access[index].shared = !userNamed.contains(account) }
            access[0].derivedNames = [
                DerivedName(roleName, rule: .subdomain, what: "Role name", at: sources.first ?? context.prefixLocation)
            ]
            objects += access
        }
        return Result(objects: objects, access: access)
    }

    /// Rules grouped by API group and verbs, resources sorted: stable and minimal.
    static func rules(_ permissions: Set<APIPermission>) -> [ManifestNode] {
        var grouped: [String: (group: String, verbs: [String], resources: Set<String>)] = [:]
        for permission in permissions {
            let verbs = permission.verbs.sorted()
            let key = permission.apiGroup + "|" + verbs.joined(separator: ",")
            grouped[key, default: (permission.apiGroup, verbs, [])].resources.insert(permission.resource)
        }
        return grouped.keys.sorted().compactMap { key in
            guard let rule = grouped[key] else { return nil }
            return [
                "apiGroups": [.string(rule.group)],
                "resources": .list(rule.resources.sorted().map { .string($0) }),
                "verbs": .list(rule.verbs.map { .string($0) }),
            ]
        }
    }

    static func roleAndBinding(
        name: String, account: String, permissions: Set<APIPermission>, sources: [SourceLocation], context: PlanContext
    ) -> [PlannedObject] {
        let labels = PlanMetadata.labels(component: "notebook-validation")
        let role = PlanMetadata.object(
            apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", name: name, namespace: context.namespace,
            labels: labels, body: [("rules", .list(rules(permissions)))])
        let binding = PlanMetadata.object(
            apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", name: name, namespace: context.namespace,
            labels: labels,
            body: [
                ("roleRef", ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": .string(name)]),
                (
                    "subjects",
                    [["kind": "ServiceAccount", "name": .string(account), "namespace": .string(context.namespace)]]
                ),
            ])
        return [
            PlannedObject(
                apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", name: name, namespace: context.namespace,
                manifest: role, wave: .rbac, sources: sources),
            PlannedObject(
                apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", name: name,
                namespace: context.namespace, manifest: binding, wave: .rbac, sources: sources),
        ]
    }
}
