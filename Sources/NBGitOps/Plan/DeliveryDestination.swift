/// Where an environment's delivery objects send its manifests, and what they reuse.
///
/// - `delivery.cluster`: Argo CD's Application `spec.destination` names a cluster registered
///   with Argo CD by `name` or by API `server` URL, and never both: argo-cd
///   `pkg/apis/application/v1alpha1/types.go` `ApplicationDestination` (Server, Namespace, Name)
///   and `util/argo/argo.go` `ValidateDestination` ("application destination can't have both
///   name and server defined"). The Applications stay in the control plane's namespace; the
///   AppProject's `destinations` name the same cluster, one entry per namespace. Flux reaches
///   another cluster through a kubeconfig in a Secret of the Kustomization's namespace:
///   fluxcd/kustomize-controller `api/v1/kustomization_types.go` `KubeConfig` (`secretRef`, a
///   `meta.SecretKeyReference`, key `value` or `value.yaml` by default).
/// - `delivery.argocd.project`: an AppProject that exists already. The Applications name it and
///   nbgitops writes no AppProject (NBG351 notes that it cannot check them against it).
/// - `delivery.flux.secretRef`: the GitRepository's `spec.secretRef` (credentials of a private
///   repository), by name; NBG129 when no overlay lists it in `security.existingSecrets`.
///
/// Applied to every delivery object of the environment after they are planned, so each part of
/// a split delivery gets the same destination.
enum DeliveryDestination {
    static let argoGroup = "argoproj.io"
    static let fluxKustomizeGroup = "kustomize.toolkit.fluxcd.io"
    static let fluxSourceGroup = "source.toolkit.fluxcd.io"
    /// Argo CD's name for the cluster it runs in.
    static let inClusterServer = "https://kubernetes.default.svc"

    /// `delivery.cluster` of the last overlay that sets it, whole (a later overlay's `server`
    /// replaces an earlier one's `name`, rather than adding to it).
    static func resolveCluster(_ stack: LayerStack) -> Traced<DeliveryCluster?> {
        guard let (node, origin) = stack.lookup("delivery.cluster"), node.entries != nil else {
            return .byDefault(nil, DeliveryCluster.inClusterReason)
        }
        let cluster = DeliveryCluster(
            name: node["name"]?.stringValue, server: node["server"]?.stringValue,
            kubeConfigSecret: node["kubeConfigSecret"]?.stringValue)
        return Traced(cluster, origin)
    }

    /// NBG166 for a destination or reuse setting the environment's tool cannot honour; reported
    /// through `DeliveryPlanner.coordinates`, so a refused setting also leaves the delivery
    /// objects out.
    static func check(_ context: PlanContext, diagnostics: DiagnosticCollector) {
        let environment = context.environment
        let delivery = environment.delivery
        let name = environment.name
        if let cluster = delivery.cluster.value {
            let at = delivery.cluster.origin.location
            switch context.deliveryTool {
            case .argocd:
                if cluster.name != nil, cluster.server != nil {
                    diagnostics.error(
                        .deliveryIncomplete,
                        "delivery.cluster of environment '\(name)' sets both name and server: an Argo CD Application's "
                            + "destination names its cluster by one of them, and Argo CD refuses both",
                        at: at,
                        help: "keep name (the cluster's name in Argo CD, `argocd cluster list`) or server (its API URL)")
                } else if cluster.name == nil, cluster.server == nil {
                    diagnostics.error(
                        .deliveryIncomplete,
                        "delivery.cluster of environment '\(name)' names no cluster for Argo CD",
                        at: at,
                        help: "set delivery.cluster.name (the cluster's name in Argo CD) or delivery.cluster.server "
                            + "(its API URL), or remove delivery.cluster to deploy to the cluster Argo CD runs in")
                }
                if cluster.kubeConfigSecret != nil {
                    diagnostics.error(
                        .deliveryIncomplete,
                        "delivery.cluster.kubeConfigSecret of environment '\(name)' is for Flux; Argo CD reaches the "
                            + "clusters registered with it",
                        at: at,
                        help: "register the cluster with Argo CD (`argocd cluster add`, or a cluster Secret) and name it "
                            + "with delivery.cluster.name")
                }
            case .flux:
                if cluster.kubeConfigSecret == nil, cluster.server != nil {
                    diagnostics.error(
                        .deliveryIncomplete,
                        "delivery.cluster.server of environment '\(name)' cannot be reached by Flux without a kubeconfig",
                        at: at,
                        help: "put a kubeconfig for that cluster in a Secret of the Flux namespace and name it with "
                            + "delivery.cluster.kubeConfigSecret (list it in security.existingSecrets), or run Flux "
                            + "on that cluster and drop server")
                }
            }
        }
        if let project = delivery.argocdProject.value, context.deliveryTool != .argocd {
            diagnostics.error(
                .deliveryIncomplete,
                "delivery.argocd.project '\(project)' is set, but environment '\(name)' is delivered by Flux",
                at: delivery.argocdProject.origin.location, help: "remove it, or set delivery.tool: argocd")
        }
        if let secret = delivery.fluxSecretRef.value, context.deliveryTool != .flux {
            diagnostics.error(
                .deliveryIncomplete,
                "delivery.flux.secretRef '\(secret)' is set, but environment '\(name)' is delivered by Argo CD, "
                    + "which takes repository credentials from its own repository Secrets",
                at: delivery.fluxSecretRef.origin.location,
                help: "remove it and register the repository's credentials with Argo CD (see docs/delivery.md)")
        }
    }

    /// The Argo CD `destination` (an Application's, or one AppProject entry) for `namespace`.
    static func argoDestination(_ cluster: DeliveryCluster?, namespace: ManifestNode) -> ManifestNode {
        if let name = cluster?.name, cluster?.server == nil {
            return .object([("name", .string(name)), ("namespace", namespace)])
        }
        return .object([("server", .string(cluster?.server ?? inClusterServer)), ("namespace", namespace)])
    }

    /// The delivery objects with the environment's destination, reused project and repository
    /// credentials applied, and every name checked as a label value (NBG130/NBG131).
    static func applied(_ objects: [PlannedObject], context: PlanContext) -> [PlannedObject] {
        let delivery = context.environment.delivery
        let cluster = delivery.cluster
        var result: [PlannedObject] = []
        for original in objects {
            var object = original
            let group = ArgoProjectPlanner.group(ofAPIVersion: object.apiVersion)
            var spec = object.manifest["spec"] ?? .map([])
            var recorded: [String: FieldOrigin] = [:]
            switch (group, object.kind) {
            case (argoGroup, "AppProject"):
                // An existing AppProject replaces the environment's own.
                if delivery.argocdProject.value != nil { continue }
                if cluster.value != nil, let entries = spec["destinations"]?.elements {
                    spec["destinations"] = .list(
                        entries.map { argoDestination(cluster.value, namespace: $0["namespace"] ?? .null) })
                    recorded["spec.destinations"] = FieldProvenance.traced(cluster, field: "delivery.cluster")
                }
            case (argoGroup, "Application"):
                if let project = delivery.argocdProject.value {
                    spec["project"] = .string(project)
                    recorded["spec.project"] = FieldProvenance.traced(
                        delivery.argocdProject, field: "delivery.argocd.project",
                        rule: "an existing AppProject: nbgitops writes none and cannot check against it")
                }
                if cluster.value != nil, let destination = spec["destination"] {
                    spec["destination"] = argoDestination(cluster.value, namespace: destination["namespace"] ?? .null)
                    recorded["spec.destination"] = FieldProvenance.traced(
                        cluster, field: "delivery.cluster", rule: "name xor server, as Argo CD requires")
                }
            case (fluxKustomizeGroup, "Kustomization"):
                if let secret = cluster.value?.kubeConfigSecret {
                    spec["kubeConfig"] = ["secretRef": ["name": .string(secret)]]
                    recorded["spec.kubeConfig"] = FieldProvenance.traced(
                        cluster, field: "delivery.cluster.kubeConfigSecret",
                        rule: "the Secret's `value` (or `value.yaml`) key holds the kubeconfig")
                }
            case (fluxSourceGroup, "GitRepository"):
                if let secret = delivery.fluxSecretRef.value {
                    spec["secretRef"] = ["name": .string(secret)]
                    recorded["spec.secretRef"] = FieldProvenance.traced(delivery.fluxSecretRef, field: "delivery.flux.secretRef")
                }
            default:
                break
            }
            if !recorded.isEmpty {
                object.manifest["spec"] = spec
                if context.recordsProvenance {
                    let fields = recorded
                    object.deriveProvenance { base in base.merging(fields) { _, new in new } }
                }
            }
            // Every delivery object's name becomes a label value on what it applies.
            let objectName = object.name
            object.derivedNames.removeAll { $0.value == objectName }
            object.derivedNames.append(
                DeliveryNames.checked(object.name, context: context, what: "\(object.kind) name (\(whatName(context)))"))
            result.append(object)
        }
        return result
    }

    static func whatName(_ context: PlanContext) -> String {
        context.delivery.projectName != nil
            ? "namePrefix + project name + '-' + environment name" : "namePrefix + environment name"
    }
}
