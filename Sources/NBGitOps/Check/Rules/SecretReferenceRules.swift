import Foundation

/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let secretNotProvided: RuleID = "NBG129"
}

/// Secrets by reference only: nbgitops never writes credentials, so every Secret a pod, build or
/// ServiceAccount names must come from somewhere else. NBG129 says so when nothing in git creates
/// it (like NBG126 for claims): the first run otherwise fails in the cluster with
/// `CreateContainerConfigError` / `FailedMount`, long after review.
enum SecretReferenceRules {
    /// One place an object names a Secret.
    struct Reference {
        var name: String
        var namespace: String
        var object: PlannedObject
        /// Manifest path of the field holding the name.
        var path: String
    }

    /// NBG129: a Secret referenced by the plan, created by no object in it (a Secret, a
    /// SealedSecret, an ExternalSecret) and not listed in `security.existingSecrets`.
    static let unprovidedSecrets = PlanRule(
        .secretNotProvided, .warning,
        "a referenced Secret is created by nothing in git and not listed in security.existingSecrets; it must pre-exist"
    ) { context in
        let environment = context.environment
        // Delivery objects name Secrets of the controller's namespace: a private repository's
        // credentials (GitRepository spec.secretRef), another cluster's kubeconfig.
        let objects = context.plan.objects + context.plan.buildObjects + context.plan.deliveryObjects
        let facts = context.facts
        let created = facts.createdSecrets
        let existing = environment.security.existingSecrets
        let listed = Set(
            existing.value.map { listedSecret($0, defaultNamespace: environment.naming.namespace.value) })
        // Once per Secret and spec document: a document's waiver decides for its own objects
        // only, never for another document naming the same Secret.
        var reported: [DocumentKey?: Set<String>] = [:]
        for (object, objectFacts) in zip(objects, facts.objects) where !objectFacts.secretReferences.isEmpty {
            let namespace = object.namespace ?? environment.naming.namespace.value
            let subject = context.subject(for: object)
            for named in objectFacts.secretReferences {
                let reference = Reference(name: named.name, namespace: namespace, object: object, path: named.path)
                let key = reference.namespace + "/" + reference.name
                // Judged per namespace: a pod mounts only Secrets of its own namespace
                // (LocalObjectReference), so one in the validation namespace does not serve a
                // build in the builds namespace.
                if created.contains(key) || listed.contains(key) { continue }
                guard reported[subject, default: []].insert(key).inserted else { continue }
                let elsewhere = (created.union(listed)).filter { $0.hasSuffix("/" + reference.name) }
                    .map { String($0.dropLast(reference.name.count + 1)) }.sorted()
                // A delivery object's Secret is read by the controller, not by a pod.
                let reader =
                    object.manifest.value(at: "metadata.labels[\(LabelKey.component)]")?.stringValue == "delivery"
                    ? "Flux reconciles \(object.kind)/\(object.name)" : "the pod runs"
                let message =
                    elsewhere.isEmpty
                    ? "Secret '\(reference.name)' named by \(object.kind)/\(object.name) (\(reference.path)) is created by nothing in git; "
                        + "it must exist in namespace '\(reference.namespace)' before \(reader)"
                    : "Secret '\(reference.name)' named by \(object.kind)/\(object.name) (\(reference.path)) is needed in namespace "
                        + "'\(reference.namespace)' but is created or listed only in namespace "
                        + "\(elsewhere.map { "'\($0)'" }.joined(separator: ", ")); a pod reads Secrets of its own namespace only"
                context.report(
                    message,
                    at: location(of: reference, context: context),
                    help: elsewhere.isEmpty
                        ? "create it in the cluster (kubectl create secret …, a sealed or external secret), then list it in security.existingSecrets of an overlay (a bare name means the validation namespace, '\(reference.namespace)/\(reference.name)' names this one); never commit its values"
                        : "create it in namespace '\(reference.namespace)' too (an ExternalSecret or SealedSecret with that namespace, or by hand), then list it as '\(reference.namespace)/\(reference.name)' in security.existingSecrets; never commit its values",
                    notes: [
                        DiagnosticNote(
                            "security.existingSecrets: \(existing.value.isEmpty ? "none" : existing.value.joined(separator: ", ")) (\(existing.origin))",
                            at: existing.origin.location)
                    ],
                    subject: subject)
            }
        }
    }

    /// `namespace/name` of one `security.existingSecrets` entry: `namespace/name` as written, or
    /// a bare `name` in the environment's validation namespace.
    static func listedSecret(_ entry: String, defaultNamespace: String) -> String {
        entry.contains("/") ? entry : defaultNamespace + "/" + entry
    }

    /// `namespace/name` of every Secret the objects create.
    static func createdSecrets(_ objects: [PlannedObject], defaultNamespace: String) -> Set<String> {
        var result: Set<String> = []
        for object in objects {
            let namespace = object.namespace ?? defaultNamespace
            switch object.kind {
            case "Secret":
                result.insert(namespace + "/" + object.name)
            case "SealedSecret":
                // bitnami-labs/sealed-secrets: the controller writes spec.template's name, else the object's.
                let name = object.manifest.value(at: "spec.template.metadata.name")?.stringValue ?? object.name
                result.insert(namespace + "/" + name)
            case "ExternalSecret":
                // external-secrets.io: spec.target.name, else the ExternalSecret's own name.
                let name = object.manifest.value(at: "spec.target.name")?.stringValue ?? object.name
                result.insert(namespace + "/" + name)
            default:
                continue
            }
        }
        return result
    }

    /// The input line that named the Secret: the overlay's `images.pushSecret`/`pullSecret`, the
    /// spec's `credentialsSecret` or Secret volume, or the field of a passed-through object.
    static func location(of reference: Reference, context: RuleContext) -> SourceLocation? {
        let images = context.environment.images
        let delivery = context.environment.delivery
        if reference.path == "spec.secretRef.name", delivery.fluxSecretRef.value == reference.name,
            let location = delivery.fluxSecretRef.origin.location
        {
            return location
        }
        if reference.path == "spec.kubeConfig.secretRef.name", delivery.cluster.value?.kubeConfigSecret == reference.name,
            let location = delivery.cluster.origin.location
        {
            return location
        }
        if context.supportingObject(for: reference.object) == nil {
            if images.pushSecret.value == reference.name, let location = images.pushSecret.origin.location { return location }
            if images.pullSecret.value == reference.name, let location = images.pullSecret.origin.location { return location }
            if let job = context.owningJob(of: reference.object) {
                if let credentials = job.notebook.git.credentialsSecret, credentials.value == reference.name {
                    return credentials.location
                }
                for (index, volume) in job.podConfig.volumes.enumerated() {
                    if case .secret(let secretName) = volume.source, secretName == reference.name {
                        return job.sourceMap.nearest("spec.podConfig.volumes[\(index)].secret.secretName") ?? volume.name.location
                    }
                }
                for (index, source) in job.podConfig.envFrom.enumerated()
                where source.value(at: "secretRef.name")?.stringValue == reference.name {
                    return context.location(
                        of: reference.object, path: reference.path, specPath: "spec.podConfig.envFrom[\(index)]")
                }
                return context.location(of: reference.object, path: reference.path, specPath: "spec.podConfig")
            }
        }
        return context.location(of: reference.object, path: reference.path)
    }
}
