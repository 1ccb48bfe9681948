import Foundation

/// Typed facts about one environment's plan, built once after planning and shared by every
/// rule (`RuleContext.facts`), so rules judge facts instead of walking manifest trees.
///
/// - `objects`: per planned object, its strings of interest and the Secrets it names
///   (`ObjectFacts`), in the order of `plan.objects + plan.buildObjects + plan.deliveryObjects`;
/// - `pods`: per pod the plan runs, its containers, images, placement, claims, service account,
///   Secrets and what it needs of the platform (`PodFacts`);
/// - `claims`: per PersistentVolumeClaim the pods use, its size, access modes, class, and the
///   pods writing and reading it (`ClaimFacts`);
/// - `createdSecrets`: the Secrets something in the plan creates.
///
/// To adopt it in a rule: read `context.facts` (never `PlatformRules.strings` or a walk of
/// `object.manifest`); to add a fact, extend the reader that builds it here, once.
struct PlanFacts: Sendable {
    var objects: [ObjectFacts]
    var pods: [PodFacts]
    var claims: [ClaimFacts]
    /// `namespace/name` of every Secret the plan's objects create (a Secret, a SealedSecret's
    /// template, an ExternalSecret's target).
    var createdSecrets: Set<String>

    /// The facts of `plan`: `units` and `needs` are the pod units and their needs when already
    /// computed (the rule session computes them once per environment).
    static func build(
        _ plan: EnvironmentPlan, specs: SpecSet, units: [PodUnit], needs: [[SecurityRules.Need]]?
    ) -> PlanFacts {
        let tokenSecrets = ModelCarRules.tokenSecrets(specs)
        // In the order rules zip them with: objects, build objects, then delivery objects.
        let all = plan.objects + plan.buildObjects + plan.deliveryObjects
        let memo = SecretKindMemo()
        let objects = Parallel.map(all) { ObjectFacts.read($0, tokenSecrets: tokenSecrets, memo: memo) }
        let defaultNamespace = plan.environment.naming.namespace.value
        let pods = units.enumerated().map { position, unit in
            PodFacts(unit: unit, needs: needs.flatMap { position < $0.count ? $0[position] : nil } ?? [])
        }
        return PlanFacts(
            objects: objects, pods: pods, claims: ClaimFacts.all(plan, pods: pods, defaultNamespace: defaultNamespace),
            createdSecrets: SecretReferenceRules.createdSecrets(all, defaultNamespace: defaultNamespace))
    }
}

/// One pod the plan runs (a `PodUnit`) with what rules ask of it, read once.
struct PodFacts: Sendable {
    var unit: PodUnit
    /// What the pod needs of the platform (privilege, capabilities, host access, user ids).
    var needs: [SecurityRules.Need]

    var object: PlannedObject { unit.object }
    var serviceAccount: String { unit.serviceAccount }
    var claims: [ClaimUse] { unit.claims }
    /// Every container's image, in container order (steps of a Tekton task included).
    var images: [String] { unit.containers.compactMap { $0.node["image"]?.stringValue } }
    /// Each container's `resources` (requests and limits), nil where it sets none.
    var resources: [ManifestNode?] { unit.containers.map { $0.node["resources"] } }
    /// The pod's placement: node selector, affinity and tolerations as written.
    var nodeSelector: ManifestNode? { unit.podSpec["nodeSelector"] }
    var affinity: ManifestNode? { unit.podSpec["affinity"] }
    var tolerations: [ManifestNode] { unit.podSpec["tolerations"]?.elements ?? [] }
    /// The pod's volumes and its pod-level security context.
    var volumes: [ManifestNode] { unit.podSpec["volumes"]?.elements ?? [] }
    var securityContext: ManifestNode? { unit.podSpec["securityContext"] }
}

/// One PersistentVolumeClaim of the plan's namespace(s) and the pods that use it.
struct ClaimFacts: Sendable {
    var name: String
    var namespace: String
    /// The claim object when the plan creates it (nil: it must pre-exist).
    var object: PlannedObject?
    /// `spec.resources.requests.storage`, `spec.accessModes`, `spec.storageClassName`.
    var size: String?
    var accessModes: [String]
    var storageClass: String?
    /// Positions in `PlanFacts.pods` of the pods mounting it read-write, and read-only.
    var writers: [Int]
    var readers: [Int]

    static func all(_ plan: EnvironmentPlan, pods: [PodFacts], defaultNamespace: String) -> [ClaimFacts] {
        var result: [String: ClaimFacts] = [:]
        var order: [String] = []
        func entry(_ name: String, _ namespace: String) -> String {
            let key = namespace + "/" + name
            if result[key] == nil {
                result[key] = ClaimFacts(
                    name: name, namespace: namespace, object: nil, size: nil, accessModes: [], storageClass: nil,
                    writers: [], readers: [])
                order.append(key)
            }
            return key
        }
        for object in plan.objects + plan.buildObjects where object.kind == "PersistentVolumeClaim" {
            let key = entry(object.name, object.namespace ?? defaultNamespace)
            result[key]?.object = object
            result[key]?.size = object.manifest.value(at: "spec.resources.requests.storage")?.stringValue
            result[key]?.accessModes = (object.manifest.value(at: "spec.accessModes")?.elements ?? []).compactMap(\.stringValue)
            result[key]?.storageClass = object.manifest.value(at: "spec.storageClassName")?.stringValue
        }
        for (position, pod) in pods.enumerated() {
            for use in pod.claims where use.isNamedClaim {
                let key = entry(use.claim, pod.object.namespace ?? defaultNamespace)
                if use.readOnly {
                    result[key]?.readers.append(position)
                } else {
                    result[key]?.writers.append(position)
                }
            }
        }
        return order.compactMap { result[$0] }
    }
}
