/// The objects that make a GitOps controller apply an environment's manifests folder:
/// an Argo CD `Application`, or a Flux `GitRepository` + `Kustomization`. They live in the
/// controller's namespace and are applied once by hand (or by an app-of-apps); they are not
/// part of the manifests folder they point at.
///
/// Both prune (objects removed from the specs disappear from the cluster) and self-heal.
/// Apply order inside the folder comes from the `argocd.argoproj.io/sync-wave` annotations
/// (Argo CD) or from Flux's kind ordering, which puts Namespaces and RBAC first as well.
public enum DeliveryPlanner {
    /// The controller namespace: the environment's, else the platform's usual one.
    static func controllerNamespace(_ context: PlanContext) -> String {
        if let namespace = context.environment.delivery.controllerNamespace.value { return namespace }
        switch (context.deliveryTool, context.platform) {
        case (.argocd, .openshift): return "openshift-gitops"
        case (.argocd, .kubernetes): return "argocd"
        case (.flux, _): return "flux-system"
        }
    }

    /// The manifests folder inside the repository, without leading `./` or `/`.
    static func manifestsPath(_ context: PlanContext) -> String {
        if let path = context.environment.delivery.path.value {
            var trimmed = Substring(path)
            while trimmed.hasPrefix("./") { trimmed = trimmed.dropFirst(2) }
            while trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
            while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
            return trimmed.isEmpty ? "." : String(trimmed)
        }
        return OutputLayout.manifestsFolder(environment: context.environment.name, outputRoot: context.outputRoot)
    }

    /// How Flux should follow a revision: a full commit SHA pins a commit, `refs/tags/x` or a
    /// version-like name (`v1.2.3`, `1.4`) a tag, `refs/heads/x` or anything else a branch.
    public enum FluxReference: Equatable, Sendable {
        case branch(String)
        case tag(String)
        case commit(String)
    }

    public static func fluxReference(_ revision: String) -> FluxReference {
        if revision.utf8.count == 40, revision.allSatisfy(\.isHexDigit) { return .commit(revision.lowercased()) }
        if revision.hasPrefix("refs/tags/") { return .tag(String(revision.dropFirst("refs/tags/".count))) }
        if revision.hasPrefix("refs/heads/") { return .branch(String(revision.dropFirst("refs/heads/".count))) }
        if looksLikeVersion(revision) { return .tag(revision) }
        return .branch(revision)
    }

    /// `v1.2`, `1.2.3`, `v1.2.3-rc.1`, `v2.0.0+build`: at least two dot-separated numbers.
    static func looksLikeVersion(_ text: String) -> Bool {
        var body = Substring(text)
        if body.hasPrefix("v") { body = body.dropFirst() }
        let core = body.prefix { $0 != "-" && $0 != "+" }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.count <= 4 else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }

    static func plan(context: PlanContext, objects: [PlannedObject], diagnostics: DiagnosticCollector)
        -> [PlannedObject]
    {
        let delivery = context.environment.delivery
        let name = context.derivedName(context.environment.name)
        PlanNames.check(
            name, rule: .subdomain, what: "delivery object name (namePrefix + environment name)",
            at: context.prefixLocation ?? delivery.tool.origin.location, diagnostics: diagnostics)
        let namespace = controllerNamespace(context)
        PlanNames.check(
            namespace, rule: .label, what: "delivery controller namespace",
            at: delivery.controllerNamespace.origin.location, diagnostics: diagnostics)
        let path = manifestsPath(context)
        let labels = PlanMetadata.labels(component: "delivery")
        let sources = [delivery.repositoryURL.origin.location].compactMap { $0 }

        switch context.deliveryTool {
        case .argocd:
            let spec: ManifestNode = [
                // The environment's own AppProject (ArgoProjectPlanner), never `default`.
                "project": .string(ArgoProjectPlanner.projectName(context)),
                "source": [
                    "repoURL": .string(delivery.repositoryURL.value),
                    "targetRevision": .string(delivery.revision.value),
                    "path": .string(path),
                ],
                "destination": [
                    "server": "https://kubernetes.default.svc",
                    "namespace": .string(context.namespace),
                ],
                // Per overlay (delivery.prune/selfHeal/syncOptions); defaults prune + selfHeal +
                // PruneLast=true: delete removed objects only after the rest is applied and healthy.
                "syncPolicy": .object([
                    ("automated", ["prune": .bool(delivery.prune.value), "selfHeal": .bool(delivery.selfHeal.value)]),
                    ("syncOptions", delivery.syncOptions.value.isEmpty ? nil : .list(delivery.syncOptions.value.map { .string($0) })),
                ]),
            ]
            let manifest = PlanMetadata.object(
                apiVersion: "argoproj.io/v1alpha1", kind: "Application", name: name, namespace: namespace,
                labels: labels, body: [("spec", spec)])
            return [
                PlannedObject(
                    apiVersion: "argoproj.io/v1alpha1", kind: "Application", name: name, namespace: namespace,
                    manifest: manifest, wave: .workload, sources: sources,
                    provenance: FieldProvenance.delivery(context, kind: "Application"))
            ]
        case .flux:
            let reference: ManifestNode
            switch fluxReference(delivery.revision.value) {
            case .branch(let branch): reference = ["branch": .string(branch)]
            case .tag(let tag): reference = ["tag": .string(tag)]
            case .commit(let sha): reference = ["commit": .string(sha)]
            }
            let repository = PlanMetadata.object(
                apiVersion: "source.toolkit.fluxcd.io/v1", kind: "GitRepository", name: name, namespace: namespace,
                labels: labels,
                body: [
                    (
                        "spec",
                        ["url": .string(delivery.repositoryURL.value), "ref": reference, "interval": "5m"]
                    )
                ])
            let kustomization = PlanMetadata.object(
                apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: name, namespace: namespace,
                labels: labels,
                body: [
                    (
                        "spec",
                        [
                            "sourceRef": ["kind": "GitRepository", "name": .string(name)],
                            "path": .string(path == "." ? "./" : "./" + path),
                            "prune": .bool(delivery.prune.value),
                            // Wait for the applied objects (Jobs included) to become ready.
                            "wait": true,
                            "interval": "10m",
                            // Long enough for the slowest Job to finish (wait: true health-checks it).
                            "timeout": .string(ImmutableObjects.fluxTimeout(objects)),
                        ]
                    )
                ])
            return [
                PlannedObject(
                    apiVersion: "source.toolkit.fluxcd.io/v1", kind: "GitRepository", name: name, namespace: namespace,
                    manifest: repository, wave: .config, sources: sources,
                    provenance: FieldProvenance.delivery(context, kind: "GitRepository")),
                PlannedObject(
                    apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: name,
                    namespace: namespace, manifest: kustomization, wave: .workload, sources: sources,
                    provenance: FieldProvenance.delivery(context, kind: "Kustomization")),
            ]
        }
    }
}
