/// Supporting objects from the spec files (ConfigMaps, ServiceAccounts, PVCs, serving objects, …)
/// placed into the environment: namespaced ones move to the environment's namespace, images
/// follow the environment's mirrors, and each lands in the wave of its kind so it exists
/// before the Jobs that use it. Nothing else about them changes.
public enum PassthroughPlanner {
    static let rbacKinds: Set<String> = ["ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"]
    static let storageKinds: Set<String> = ["PersistentVolumeClaim"]
    static let configKinds: Set<String> = [
        "ConfigMap", "Secret", "ExternalSecret", "SecretStore", "NetworkPolicy", "LimitRange", "ResourceQuota",
    ]

    /// The apply wave of a passed-through object's kind: namespaces, then identities and
    /// permissions, storage, configuration, and workloads (Deployments, Services,
    /// InferenceServices, ServingRuntimes and anything else) last.
    public static func wave(forKind kind: String) -> SyncWave {
        if kind == "Namespace" { return .namespace }
        if rbacKinds.contains(kind) { return .rbac }
        if storageKinds.contains(kind) { return .storage }
        if configKinds.contains(kind) { return .config }
        return .workload
    }

    static func plan(_ objects: [SupportingObject], context: PlanContext) -> [PlannedObject] {
        objects.map { object in
            var manifest = ImageMirroring.applyToContainers(context.mirrors, in: object.manifest)
            var namespace: String?
            if object.namespaced {
                namespace = context.namespace
                var metadata = manifest["metadata"] ?? .map([])
                metadata["namespace"] = .string(context.namespace)
                manifest["metadata"] = metadata
            }
            return PlannedObject(
                apiVersion: object.apiVersion, kind: object.kind, name: object.name.value, namespace: namespace,
                manifest: manifest, wave: wave(forKind: object.kind), sources: [object.location],
                provenance: context.recordsProvenance
                    ? [
                        "": FieldOrigin(
                            .spec(object.location), field: object.kind,
                            rule: "supporting object from a spec file: copied, moved to the environment's namespace, "
                                + "images mirrored")
                    ] : [:])
        }
    }
}
