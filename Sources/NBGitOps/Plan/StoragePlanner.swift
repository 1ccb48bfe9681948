/// PersistentVolumeClaims the validation pods mount.
///
/// A claim a job mounts is provided by exactly one of: a PersistentVolumeClaim passed through
/// from the specs, the environment's `storage.existingClaims` (created outside nbgitops), or
/// nbgitops itself when the environment sets `storage.manageAllClaims: true` (with the
/// environment's access mode, storage class and size; the claim keeps the name the spec uses,
/// so the pod's volume needs no rewriting). Otherwise nothing is emitted and a warning
/// (`NBG126`) says the claim must exist before the job runs, or the pod stays Pending.
///
/// Claims nbgitops creates hold what notebooks write (trained models, ADR-053), so they are
/// marked to survive pruning: removing a job from the specs must not delete its data.
enum StoragePlanner {
    static func plan(
        units: [WorkloadUnit], supportingObjects: [SupportingObject], context: PlanContext
    ) -> [PlannedObject] {
        let storage = context.environment.storage
        // Claims are namespaced: a claim of one name in two namespaces is two claims.
        let declared = Set(
            supportingObjects.filter { $0.kind == "PersistentVolumeClaim" }.map {
                NamespacedName(namespace: context.targetNamespace($0.namespace), name: $0.name.value)
            })
        let existing = Set(storage.existingClaims.value)
        var claimSources: [NamespacedName: [SourceLocation]] = [:]
        var contexts: [String: PlanContext] = [:]

        for unit in units {
            let placed = context.placed(in: unit.namespace)
            for claim in unit.claims where !existing.contains(claim.value) {
                let key = NamespacedName(namespace: placed.namespace, name: claim.value)
                // A claim nobody provides is NBG126 (StorageRules.undeclaredClaims, Check stage).
                guard !declared.contains(key), storage.manageAllClaims.value else { continue }
                claimSources[key, default: []].append(claim.location)
                if contexts[placed.namespace] == nil { contexts[placed.namespace] = placed }
            }
        }

        return claimSources.keys.sorted().map { key in
            claim(key.name, sources: claimSources[key] ?? [], context: contexts[key.namespace] ?? context)
        }
    }

    static func claim(
        _ name: String, sources: [SourceLocation], context: PlanContext
    ) -> PlannedObject {
        let storage = context.environment.storage
        let checkedName = DerivedName(name, rule: .subdomain, what: "PersistentVolumeClaim name", at: sources.first)
        let annotations = PruneProtection.annotations(context)
        var record = FieldRecord(context)
        if let first = sources.first {
            record.note(
                "",
                FieldOrigin(
                    .spec(first), field: "spec.podConfig.volumes",
                    rule: "a claim a job mounts that no spec object provides and the environment does not list "
                        + "in storage.existingClaims"))
        }
        record.note(
            "metadata.annotations",
            PruneProtection.origin(context, holds: "the claim holds the notebooks' data"))
        let spec = ManifestNode.object([
            (
                "accessModes",
                record.set(
                    "spec.accessModes", [.string(storage.accessMode.value.rawValue)],
                    from: FieldProvenance.traced(storage.accessMode, field: "storage.accessMode"))
            ),
            (
                "storageClassName",
                record.setIfPresent(
                    "spec.storageClassName", storage.storageClassName.value.map { .string($0) },
                    from: FieldProvenance.traced(storage.storageClassName, field: "storage.storageClassName"))
            ),
            (
                "resources",
                [
                    "requests": [
                        "storage": record.set(
                            "spec.resources.requests.storage", .string(storage.claimSize.value),
                            from: FieldProvenance.traced(storage.claimSize, field: "storage.claimSize"))
                    ]
                ]
            ),
        ])
        let manifest = PlanMetadata.object(
            apiVersion: "v1", kind: "PersistentVolumeClaim", name: name, namespace: context.namespace,
            labels: PlanMetadata.labels(component: "notebook-storage"), annotations: annotations,
            body: [("spec", spec)])
        return PlannedObject(
            apiVersion: "v1", kind: "PersistentVolumeClaim", name: name, namespace: context.namespace,
            manifest: manifest, wave: .storage, sources: sources, provenance: record.origins
        ).checking(checkedName)
    }
}
