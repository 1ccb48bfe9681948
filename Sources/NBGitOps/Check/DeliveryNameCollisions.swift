/// NBG350: two environments whose delivery objects (`DeliveryNames`) would be one object in the
/// cluster — one kind, one controller namespace, one name — so that applying either overwrites
/// the other's repository path or destination, and Argo CD or Flux delivers only one of them.
/// Project-qualified names keep projects apart; inside one project this still happens when one
/// environment's name is another's plus a part (`dev` delivers `…-dev-serving`, an environment
/// named `dev-serving` delivers `…-dev-serving` too), or when name prefixes line up.
///
/// Flux objects that run on different clusters' own Flux (an environment naming
/// `delivery.cluster.name` without a kubeconfig) are apart; Argo CD's Applications all live
/// in its one control plane.
struct DeliveryNameCollisions {
    struct Key: Hashable {
        var group: String
        var kind: String
        var namespace: String
        var name: String
        /// The cluster whose own Flux applies the object; nil for the control plane.
        var cluster: String?
    }

    struct Owner {
        var environment: String
        var location: SourceLocation?
    }

    var seen: [Key: Owner] = [:]

    mutating func check(_ plan: EnvironmentPlan, diagnostics: DiagnosticCollector) {
        let environment = plan.environment
        let cluster = environment.delivery.cluster.value
        let ownFlux = environment.delivery.tool.value == .flux && cluster?.kubeConfigSecret == nil ? cluster?.name : nil
        for object in plan.deliveryObjects {
            let key = Key(
                group: ArgoProjectPlanner.group(ofAPIVersion: object.apiVersion), kind: object.kind,
                namespace: object.namespace ?? "", name: object.name, cluster: ownFlux)
            guard let first = seen[key] else {
                seen[key] = Owner(environment: environment.name, location: environment.definedAt)
                continue
            }
            guard first.environment != environment.name else { continue }
            diagnostics.error(
                .deliveryNameCollision,
                "\(object.kind) '\(object.name)' in namespace '\(key.namespace)' is delivered by both environment "
                    + "'\(first.environment)' and environment '\(environment.name)': in the cluster they are one object, "
                    + "and each render's version overwrites the other's",
                at: environment.definedAt,
                help: "rename one of the environments (or change its naming.namePrefix or delivery.controllerNamespace): "
                    + "delivery objects are named namePrefix + project name + '-' + environment name, and parts of a "
                    + "delivery add '-builds' or '-serving'",
                notes: [DiagnosticNote("environment '\(first.environment)' is defined here", at: first.location)])
        }
    }
}
