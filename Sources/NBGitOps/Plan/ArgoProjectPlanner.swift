/// The Argo CD `AppProject` of an environment: the Application may deploy from the
/// environment's repository only, into the namespaces nbgitops emits objects into (the
/// environment's, and its build namespace) only, and only the kinds nbgitops emits there. Cluster-scoped kinds are listed one by one (in practice only the
/// Namespace); there is no wildcard, so a spec can never smuggle a ClusterRole through Argo CD.
public enum ArgoProjectPlanner {
    public static let apiVersion = "argoproj.io/v1alpha1"
    public static let kind = "AppProject"

    /// The Application's own name (`DeliveryNames`), or the existing AppProject an overlay names.
    static func projectName(_ context: PlanContext) -> String {
        context.environment.delivery.argocdProject.value ?? DeliveryNames.base(context)
    }

    /// A `{group, kind}` entry of a resource whitelist.
    public struct GroupKind: Hashable, Sendable {
        public var group: String
        public var kind: String

        var manifest: ManifestNode { ["group": .string(group), "kind": .string(kind)] }
    }

    /// The group of an `apiVersion` (`batch/v1` → `batch`, `v1` → the core group `""`).
    public static func group(ofAPIVersion apiVersion: String) -> String {
        let parts = apiVersion.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 ? String(parts[0]) : ""
    }

    /// Sorted by group then kind (UTF-8 bytes): deterministic.
    public static func groupKinds(_ objects: [PlannedObject], clusterScoped: Bool) -> [GroupKind] {
        let set = Set(
            objects.filter { ($0.namespace == nil) == clusterScoped }.map {
                GroupKind(group: group(ofAPIVersion: $0.apiVersion), kind: $0.kind)
            })
        return set.sorted {
            $0.group != $1.group
                ? $0.group.utf8.lexicographicallyPrecedes($1.group.utf8)
                : $0.kind.utf8.lexicographicallyPrecedes($1.kind.utf8)
        }
    }

    /// The environment's namespace, then every other namespace an object is emitted into (the
    /// build namespace `<namespace>-builds`), sorted: Argo CD refuses to sync an object whose
    /// namespace is not a destination of its project.
    static func destinationNamespaces(context: PlanContext, objects: [PlannedObject]) -> [String] {
        let others = Set(objects.compactMap(\.namespace)).subtracting([context.namespace])
        return [context.namespace] + others.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    static func plan(context: PlanContext, repositoryURL: String, objects: [PlannedObject]) -> [PlannedObject] {
        guard context.deliveryTool == .argocd else { return [] }
        let name = projectName(context)
        let namespace = DeliveryPlanner.controllerNamespace(context)
        let delivery = context.environment.delivery
        let spec = ManifestNode.object([
            (
                "description",
                .string("nbgitops environment \(context.environment.name): its namespaces and the kinds nbgitops emits")
            ),
            ("sourceRepos", [.string(repositoryURL)]),
            (
                "destinations",
                .list(
                    destinationNamespaces(context: context, objects: objects).map {
                        ["server": "https://kubernetes.default.svc", "namespace": .string($0)]
                    })
            ),
            // An empty list denies every cluster-scoped kind; nbgitops emits at most the Namespace.
            ("clusterResourceWhitelist", .list(groupKinds(objects, clusterScoped: true).map(\.manifest))),
            ("namespaceResourceWhitelist", .list(groupKinds(objects, clusterScoped: false).map(\.manifest))),
        ])
        let manifest = PlanMetadata.object(
            apiVersion: apiVersion, kind: kind, name: name, namespace: namespace,
            labels: PlanMetadata.labels(component: "delivery"), body: [("spec", spec)])
        let provenance: [String: FieldOrigin] = [
            "": FieldOrigin(.builtinDefault("one AppProject per Argo CD environment"), field: "delivery.tool"),
            "metadata.namespace": FieldProvenance.traced(
                delivery.controllerNamespace, field: "delivery.controllerNamespace"),
            "spec.sourceRepos": FieldProvenance.traced(delivery.repositoryURL, field: "delivery.repositoryURL"),
            "spec.destinations": FieldProvenance.namespace(context),
            "spec.clusterResourceWhitelist": FieldOrigin(
                .builtinDefault("the cluster-scoped kinds nbgitops emits (no wildcard)")),
            "spec.namespaceResourceWhitelist": FieldOrigin(
                .builtinDefault("exactly the kinds this environment's manifests contain")),
        ]
        return [
            PlannedObject(
                apiVersion: apiVersion, kind: kind, name: name, namespace: namespace, manifest: manifest,
                wave: .config, sources: [delivery.repositoryURL.origin.location].compactMap { $0 },
                provenance: provenance)
        ]
    }
}

/// Objects Kubernetes will not update in place (a Job's pod template, a PipelineRun's spec).
///
/// nbgitops' own Jobs carry a hash of their spec in their name, so a change is a new object and
/// the old one is pruned: no sync ever patches an immutable field. As a second line for objects
/// whose names do not change (Jobs passed through from spec files), Flux environments mark
/// every immutable object `kustomize.toolkit.fluxcd.io/force: enabled`: Flux then recreates it
/// when an apply is refused as immutable, and only then.
public enum ImmutableObjects {

    /// `group/kind` of the immutable kinds nbgitops may emit.
    public static let kinds: Set<String> = [
        "batch/Job", "tekton.dev/PipelineRun", "tekton.dev/TaskRun", "build.openshift.io/Build",
    ]

    /// The Flux Kustomization `timeout`: with `wait: true` Flux health-checks every Job until it
    /// completes, so the timeout must outlast the longest `activeDeadlineSeconds` (plus 5 minutes
    /// for scheduling and image pulls), else a healthy but slow validation reads as a failure.
    /// Whole minutes, at least 5m.
    public static func fluxTimeout(_ objects: [PlannedObject]) -> String {
        let deadlines = objects.compactMap { $0.manifest.value(at: "spec.activeDeadlineSeconds")?.intValue }
        let timeouts = objects.compactMap { object -> Int? in
            guard object.kind == "PipelineRun", let text = object.manifest.value(at: "spec.timeouts.pipeline")?.stringValue
            else { return nil }
            return Durations.seconds(text)
        }
        let longest = (deadlines + timeouts).max() ?? 0
        let minutes = max(5, (longest + 300 + 59) / 60)
        return "\(minutes)m"
    }

    public static func isImmutable(_ object: PlannedObject) -> Bool {
        kinds.contains("\(ArgoProjectPlanner.group(ofAPIVersion: object.apiVersion))/\(object.kind)")
    }

    static func marked(_ objects: [PlannedObject], context: PlanContext) -> [PlannedObject] {
        guard context.deliveryTool == .flux else { return objects }
        return objects.map { object in
            guard isImmutable(object) else { return object }
            var object = object
            object.manifest = PlanMetadata.setting("annotations", AnnotationKey.fluxForce, to: "enabled", in: object.manifest)
            object.provenance["metadata.annotations[\(AnnotationKey.fluxForce)]"] = FieldOrigin(
                .builtinDefault("Flux recreates an immutable object when an apply is refused"),
                field: "delivery.tool", rule: "flux: immutable kinds (Job, PipelineRun, TaskRun, Build) get force")
            return object
        }
    }
}
