/// Plain Kubernetes objects carried in spec files (ConfigMaps, ServiceAccounts, RBAC, serving
/// objects, ExternalSecrets…). They pass into the environment's output after these checks:
/// a known namespaced kind, a valid name, and no literal secret material.
enum SupportingObjectDecoder {
    /// Kinds nbgitops places in an environment's namespace, by `group/kind` (core group: "").
    static let namespacedKinds: Set<String> = [
        "/ConfigMap", "/Secret", "/ServiceAccount", "/PersistentVolumeClaim", "/Service", "/LimitRange",
        "/ResourceQuota", "rbac.authorization.k8s.io/Role", "rbac.authorization.k8s.io/RoleBinding",
        "apps/Deployment", "apps/StatefulSet", "batch/Job", "batch/CronJob",
        "networking.k8s.io/NetworkPolicy", "networking.k8s.io/Ingress", "policy/PodDisruptionBudget",
        "route.openshift.io/Route", "image.openshift.io/ImageStream",
        "serving.kserve.io/InferenceService", "serving.kserve.io/ServingRuntime",
        "external-secrets.io/ExternalSecret", "external-secrets.io/SecretStore",
        "bitnami.com/SealedSecret", "tekton.dev/Task", "tekton.dev/Pipeline", "tekton.dev/PipelineRun",
        "tekton.dev/TaskRun", "build.openshift.io/BuildConfig",
    ]

    static let clusterScopedKinds: Set<String> = [
        "/Namespace", "/PersistentVolume", "/Node", "rbac.authorization.k8s.io/ClusterRole",
        "rbac.authorization.k8s.io/ClusterRoleBinding", "apiextensions.k8s.io/CustomResourceDefinition",
        "security.openshift.io/SecurityContextConstraints", "storage.k8s.io/StorageClass",
        "external-secrets.io/ClusterSecretStore",
    ]

    static func decode(_ document: YAMLDocument, diagnostics: DiagnosticCollector) -> SupportingObject? {
        let root = document.root
        guard let apiVersionNode = root["apiVersion"], case .string(let apiVersion)? = apiVersionNode.resolvedScalar,
            !apiVersion.isEmpty
        else {
            diagnostics.error(
                .documentKind, "document has no apiVersion", at: root.location,
                help: "every document needs apiVersion, kind and metadata.name")
            return nil
        }
        guard let kindNode = root["kind"], case .string(let kind)? = kindNode.resolvedScalar, !kind.isEmpty else {
            diagnostics.error(
                .documentKind, "document has no kind", at: root.location,
                help: "every document needs apiVersion, kind and metadata.name")
            return nil
        }
        let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
        let key = "\(group)/\(kind)"
        if clusterScopedKinds.contains(key) {
            diagnostics.error(
                .passthroughKind, "\(kind) is cluster-scoped; nbgitops only places namespaced objects from spec files",
                at: kindNode.location,
                help: "manage cluster-scoped objects outside nbgitops (nbgitops emits the Namespace itself)")
            return nil
        }
        if group == "tekton.dev" && apiVersion.hasSuffix("v1beta1") {
            diagnostics.error(
                .passthroughKind, "\(apiVersion) \(kind) is deprecated; Tekton v1 moved its fields",
                at: apiVersionNode.location,
                help:
                    "convert it to tekton.dev/v1 (spec.taskRunTemplate.serviceAccountName, spec.timeouts, spec.taskRunTemplate.podTemplate)"
            )
            return nil
        }
        guard namespacedKinds.contains(key) else {
            let known = namespacedKinds.map { $0.split(separator: "/").last.map(String.init) ?? $0 }
            var help = "supported kinds: \(Set(known).sorted().joined(separator: ", "))"
            if let suggestion = Suggestions.closest(to: kind, in: Array(Set(known))) {
                help = "did you mean '\(suggestion)'? " + help
            }
            diagnostics.error(
                .passthroughKind, "\(apiVersion) \(kind) is not a kind nbgitops can place", at: kindNode.location, help: help)
            return nil
        }
        guard let metadata = MetadataDecoder.decode(root, kind: kind, nameRule: .dnsSubdomain, diagnostics: diagnostics) else {
            return nil
        }
        MetadataDecoder.checkPodTemplateLabels(root, kind: kind, diagnostics: diagnostics)
        if kind == "Secret" && group.isEmpty {
            guard checkSecret(root, diagnostics: diagnostics) else { return nil }
        } else if !SecretScanner.scan(root, kind: kind, diagnostics: diagnostics) {
            return nil
        }
        if let status = root.pair("status") {
            diagnostics.error(
                .fieldUnknown, "'status' in a spec file", at: status.key.location,
                help: "status is written by the cluster; remove it")
            return nil
        }
        var manifest = ManifestConversion.convert(root)
        var metadataNode = ManifestNode.object([
            ("name", .string(metadata.name.value)),
            ("labels", metadata.labels.isEmpty ? nil : .strings(metadata.labels)),
            ("annotations", metadata.annotations.isEmpty ? nil : .strings(metadata.annotations)),
        ])
        if metadata.namespace != nil { metadataNode["namespace"] = .string(metadata.namespace?.value ?? "") }
        manifest["metadata"] = metadataNode
        var object = SupportingObject(
            apiVersion: apiVersion, kind: kind, name: metadata.name, namespaced: true, manifest: manifest,
            file: document.file, documentIndex: document.index, location: root.location)
        object.namespace = metadata.namespace
        object.sourceMap = SourceMap.of(root)
        return object
    }

    /// A Secret may only be a reference shell (no data). Values are never echoed.
    static func checkSecret(_ root: YAMLNode, diagnostics: DiagnosticCollector) -> Bool {
        var clean = true
        for field in ["data", "stringData"] {
            guard let pair = root.pair(field) else { continue }
            let isEmpty = pair.value.pairs?.isEmpty ?? (pair.value.resolvedScalar == .null)
            if isEmpty { continue }
            clean = false
            diagnostics.error(
                .secretLiteral,
                "Secret '\(root["metadata"]?["name"]?.scalar?.value ?? "")' carries literal \(field); secret values must never reach gitops/",
                at: pair.key.location,
                help:
                    "create the Secret outside git, or commit an ExternalSecret (external-secrets.io) or SealedSecret instead, and reference it by name"
            )
        }
        return clean
    }
}

/// Finds literal secret material in supporting objects other than core Secrets: fields whose
/// name says they hold a credential value, credential-like env literals in pod templates, and
/// External Secrets' `fake` provider (which keeps its values in the object itself).
enum SecretScanner {
    /// Field names that carry a credential's value (compared case-insensitively). Fields that
    /// *name* a secret (`secretName`, `secretKeyRef`, `secretKey`…) are references and pass.
    static let valueFields: Set<String> = [
        "password", "passwd", "token", "apikey", "api_key", "accesskey", "access_key", "secretaccesskey",
        "secret_access_key", "privatekey", "private_key", "clientsecret", "client_secret", "bearertoken",
    ]

    /// Returns false when it reported an error.
    static func scan(_ root: YAMLNode, kind: String, diagnostics: DiagnosticCollector) -> Bool {
        let before = diagnostics.errorCount
        if let fake = root["spec"]?["provider"]?["fake"] {
            diagnostics.error(
                .secretLiteral, "\(kind) uses the External Secrets 'fake' provider, which stores secret values in git",
                at: fake.location,
                help: "point the store at a real provider (Vault, AWS, …) and keep only references in git")
        }
        walk(root, diagnostics: diagnostics)
        return diagnostics.errorCount == before
    }

    private static func walk(_ node: YAMLNode, diagnostics: DiagnosticCollector) {
        switch node.content {
        case .scalar: return
        case .sequence(let items):
            for item in items { walk(item, diagnostics: diagnostics) }
        case .mapping(let pairs):
            // An env entry: {name: API_TOKEN, value: literal}
            if let name = node["name"]?.scalar?.value, let value = node.pair("value"),
                let text = value.value.scalar?.value, !text.isEmpty, SecretHeuristics.looksLikeCredentialName(name),
                !SecretHeuristics.isFileReference(name: name, value: text)
            {
                diagnostics.error(
                    .secretLiteral, "env '\(name)' carries a literal value that looks like a credential",
                    at: value.value.location,
                    help: "store it in a Secret and use valueFrom.secretKeyRef; secret values must not reach gitops/")
            }
            for pair in pairs {
                if let key = pair.key.scalar?.value, valueFields.contains(key.lowercased()),
                    let text = pair.value.scalar?.value, !text.isEmpty, pair.value.resolvedScalar != .null
                {
                    diagnostics.error(
                        .secretLiteral, "field '\(key)' carries a literal credential", at: pair.value.location,
                        help:
                            "keep the value in a Secret (created outside git, or through an ExternalSecret/SealedSecret) and reference it by name"
                    )
                }
                walk(pair.value, diagnostics: diagnostics)
            }
        }
    }
}
