/// The NetworkPolicy that isolates validation pods from inbound traffic.
///
/// A validation pod serves nothing: papermill talks to its kernel over loopback, which
/// NetworkPolicy does not govern. So every inbound connection to it is denied. Outbound
/// traffic is left alone (policyTypes lists only Ingress): the pods clone from git servers,
/// pull packages and, for model validation, call the cluster API and model endpoints — which
/// hosts those are is the user's, and a wrong egress guess would break validation silently.
enum NetworkPolicyPlanner {
    /// Base name of the policy (the environment's name prefix is added).
    static let policyBase = "notebook-validation-deny-ingress"

    static func plan(context: PlanContext) -> PlannedObject {
        let name = context.derivedName(policyBase)
        let checkedName = DerivedName(name, rule: .subdomain, what: "NetworkPolicy name", at: context.prefixLocation)
        let manifest = PlanMetadata.object(
            apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", name: name, namespace: context.namespace,
            labels: PlanMetadata.labels(component: "network-policy"),
            body: [
                (
                    "spec",
                    [
                        // The label every validation pod carries (ValidationJobPlanner).
                        "podSelector": [
                            "matchLabels": [LabelKey.name: .string(LabelValue.validationPod)]
                        ],
                        "policyTypes": ["Ingress"],
                    ]
                )
            ])
        return PlannedObject(
            apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", name: name, namespace: context.namespace,
            manifest: manifest, wave: .config, sources: [],
            provenance: context.recordsProvenance
                ? [
                    "": FieldOrigin(
                        .builtinDefault("validation pods serve nothing: every inbound connection is denied"),
                        rule: "egress is left alone (git, packages, model endpoints are the user's)"),
                    "spec.podSelector": FieldOrigin(
                        .builtinDefault("the label every validation pod carries (\(LabelKey.name): \(LabelValue.validationPod))")),
                ] : [:]
        ).checking(checkedName)
    }
}
