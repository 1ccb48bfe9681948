/// Supporting objects from the spec files (ConfigMaps, ServiceAccounts, PVCs, serving objects, …)
/// placed into the environment: namespaced ones move to the environment's namespace, images
/// follow the environment's mirrors, and each lands in the wave of its kind so it exists
/// before the Jobs that use it. Claims and Namespaces are marked never to be pruned
/// (`PruneProtection`) unless they already carry the delivery tool's annotation. Nothing else
/// about them changes.
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
                let target = context.targetNamespace(object.namespace)
                namespace = target
                var metadata = manifest["metadata"] ?? .map([])
                metadata["namespace"] = .string(target)
                manifest["metadata"] = metadata
            }
            if object.kind == "RoleBinding" { manifest = mappingSubjects(of: manifest, object: object, context: context) }
            var protected = false
            if storageKinds.contains(object.kind) || object.kind == "Namespace" {
                for (key, value) in PruneProtection.annotations(context)
                where manifest.value(at: "metadata.annotations")?[key] == nil {
                    manifest = PlanMetadata.setting("annotations", key, to: value, in: manifest)
                    protected = true
                }
            }
            // A claim that names no class gets the environment's, as the claims nbgitops creates do
            // (the cluster's default class may not be the one the environment's storage is);
            // one bound to a named volume keeps the volume's.
            let storageClass = context.environment.storage.storageClassName
            var classed = false
            if object.kind == "PersistentVolumeClaim", let name = storageClass.value,
                manifest.value(at: "spec.storageClassName") == nil, manifest.value(at: "spec.volumeName") == nil
            {
                var spec = manifest["spec"] ?? .map([])
                spec["storageClassName"] = .string(name)
                manifest["spec"] = spec
                classed = true
            }
            var provenance: [String: FieldOrigin] = [:]
            if context.recordsProvenance {
                if classed {
                    provenance["spec.storageClassName"] = FieldOrigin(
                        storageClass.origin, field: "storage.storageClassName",
                        rule: "a passed-through claim naming no storage class gets the environment's")
                }
                provenance[""] = FieldOrigin(
                    .spec(object.location), field: object.kind,
                    rule: "supporting object from a spec file: copied, placed in the namespace the environment "
                        + "maps its metadata.namespace to (or the environment's), images mirrored")
                if protected {
                    provenance["metadata.annotations"] = PruneProtection.origin(
                        context,
                        holds: object.kind == "Namespace"
                            ? "deleting a namespace deletes every object in it"
                            : "a claim holds data its writers cannot regenerate")
                }
            }
            return PlannedObject(
                apiVersion: object.apiVersion, kind: object.kind, name: object.name.value, namespace: namespace,
                manifest: manifest, wave: wave(forKind: object.kind), sources: [object.location], provenance: provenance)
        }
    }

    /// A RoleBinding's ServiceAccount subjects name their namespace as the spec files write it
    /// (`team-a`); the binding must name where that namespace lands in this environment, as the
    /// ServiceAccount itself does. A subject without a namespace is the binding's own.
    static func mappingSubjects(of manifest: ManifestNode, object: SupportingObject, context: PlanContext)
        -> ManifestNode
    {
        guard let subjects = manifest["subjects"]?.elements else { return manifest }
        var manifest = manifest
        manifest["subjects"] = .list(
            subjects.enumerated().map { index, subject in
                guard subject["kind"]?.stringValue == "ServiceAccount", let written = subject["namespace"]?.stringValue
                else { return subject }
                var subject = subject
                subject["namespace"] = .string(
                    context.targetNamespace(
                        Located(written, at: object.sourceMap["subjects[\(index)].namespace"] ?? object.location)))
                return subject
            })
        return manifest
    }
}
