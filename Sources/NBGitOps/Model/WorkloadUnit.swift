/// What the planners shared by every spec kind (identity and API access, storage) need to know
/// about the pods a spec will run, whatever its kind: a NotebookValidationJob gives one unit
/// (its validation pod); a kind with several pods (a pipeline's tasks) gives one per pod
/// identity. `AccessPlanner` and `StoragePlanner` take units, not jobs.
public struct WorkloadUnit: Sendable {
    /// The spec's kind and name (`NotebookValidationJob`, `churn-model`); units are keyed by
    /// `key` in the planners' results.
    public var specKind: String
    public var specName: Located<String>
    /// Which of the spec's pods (empty for a kind with one).
    public var role: String
    /// The spec's `metadata.namespace` as written (nil: the environment's namespace); the
    /// planners place the unit where the environment maps it (`PlanContext.placed(in:)`).
    public var namespace: Located<String>?
    /// The ServiceAccount the spec names, or nil for the environment's default.
    public var serviceAccount: Located<String>?
    /// What its pods call in the cluster API; empty: no token is mounted.
    public var permissions: [APIPermission]
    /// The PersistentVolumeClaims its pods mount.
    public var claims: [Located<String>]

    public init(
        specKind: String, specName: Located<String>, role: String = "", namespace: Located<String>? = nil,
        serviceAccount: Located<String>?, permissions: [APIPermission], claims: [Located<String>]
    ) {
        self.specKind = specKind
        self.specName = specName
        self.role = role
        self.namespace = namespace
        self.serviceAccount = serviceAccount
        self.permissions = permissions
        self.claims = claims
    }

    /// Unique per unit of a spec set (kinds are not mixed: names are unique per kind and
    /// written namespace).
    public var key: String { Self.key(specKind: specKind, name: specName.value, namespace: namespace?.value, role: role) }

    static func key(specKind: String, name: String, namespace: String?, role: String = "") -> String {
        let qualified = namespace.map { "\($0)/\(name)" } ?? name
        return role.isEmpty ? "\(specKind)/\(qualified)" : "\(specKind)/\(qualified)/\(role)"
    }
}

/// One permission: verbs on one resource of one API group.
public struct APIPermission: Hashable, Sendable {
    public var apiGroup: String
    public var resource: String
    public var verbs: [String]

    public init(apiGroup: String, resource: String, verbs: [String]) {
        self.apiGroup = apiGroup
        self.resource = resource
        self.verbs = verbs
    }
}

extension NotebookValidationJob {
    /// Platforms whose models are KServe `InferenceService`s.
    static let kservePlatforms: Set<String> = ["kserve", "openshift-ai"]

    /// What the validation pod needs from the API: with `spec.modelValidation` present and
    /// enabled, the validation script looks up the model serving objects.
    var apiPermissions: [APIPermission] {
        guard let model = modelValidation, model["enabled"]?.boolValue ?? true else { return [] }
        let platform = model["platform"]?.stringValue ?? "kserve"
        if Self.kservePlatforms.contains(platform) {
            return [APIPermission(apiGroup: "serving.kserve.io", resource: "inferenceservices", verbs: ["get", "list", "watch"])]
        }
        // Other serving platforms are reached through plain Services backed by pods.
        return [
            APIPermission(apiGroup: "", resource: "pods", verbs: ["get", "list"]),
            APIPermission(apiGroup: "", resource: "services", verbs: ["get", "list"]),
        ]
    }

    /// The key of its one unit (`WorkloadUnit.key`).
    var unitKey: String { WorkloadUnit.key(specKind: SpecDecoder.jobKind, name: name.value, namespace: namespace?.value) }

    /// The one pod a validation job runs (its spec's claims only: `workloadUnits(in:)` adds the
    /// environment's results claim).
    public var workloadUnits: [WorkloadUnit] { units(claims: specClaims) }

    /// The one pod a validation job runs in `environment`: with the results claim, located where
    /// the store is named (the overlay line or the spec's annotation).
    public func workloadUnits(in environment: Environment) -> [WorkloadUnit] {
        guard let store = resultsStore(in: environment),
            let claim = store.value.claim(at: store.origin, fallback: name.location)
        else { return workloadUnits }
        return units(claims: specClaims + [claim])
    }

    var specClaims: [Located<String>] {
        podConfig.volumes.compactMap { volume -> Located<String>? in
            guard case .persistentVolumeClaim(let claim, _) = volume.source else { return nil }
            return claim
        }
    }

    func units(claims: [Located<String>]) -> [WorkloadUnit] {
        [
            WorkloadUnit(
                specKind: SpecDecoder.jobKind, specName: name, namespace: namespace,
                serviceAccount: podConfig.serviceAccountName,
                permissions: apiPermissions, claims: claims)
        ]
    }
}

extension SpecSet {
    /// The workload units of every spec of every kind, in spec order.
    public var workloadUnits: [WorkloadUnit] { jobs.flatMap(\.workloadUnits) }
}
