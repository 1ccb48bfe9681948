/// What every planner of one environment needs to know, computed once.
struct PlanContext: Sendable {
    var environment: Environment
    /// Where the delivery objects point: the output folder inside the repository.
    var delivery: DeliveryTarget
    /// Whether objects keep what their construction recorded for `explain` (their
    /// provenance). Off when the plan is only rendered and released (`render`, `check`): the
    /// records of thousands of jobs would stay alive for nothing.
    var recordsProvenance = true

    /// The namespace the objects being planned land in: the environment's own, or — in a
    /// context `placed(in:)` a spec's `metadata.namespace` — where the environment maps that.
    var namespace: String { environment.naming.namespace.value }
    /// The environment's own naming (its `naming.namespace`), whatever a placed context's
    /// environment says: where a spec's written namespace lands is always asked of this.
    let homeNaming: NamingSettings
    var homeNamespace: String { homeNaming.namespace.value }

    init(environment: Environment, delivery: DeliveryTarget) {
        self.environment = environment
        self.delivery = delivery
        self.homeNaming = environment.naming
    }

    /// The context for objects of a spec (or supporting object) whose file says
    /// `metadata.namespace: written`: the same environment with its namespace replaced by where
    /// that lands (`NamingSettings.target(of:)`), traced to the mapping or the spec line. Every
    /// planner then places, names and binds as it does in the environment's own namespace — the
    /// build namespace becomes `<that namespace>-builds`.
    func placed(in written: Located<String>?) -> PlanContext {
        guard let written else { return self }
        return placed(at: homeNaming.target(of: written))
    }

    /// The context of objects in `namespace`: the same environment, its namespace replaced. The
    /// environment's `security.uidRange`/`mcs`, when declared, belong to the environment's own
    /// namespace only: OpenShift gives each namespace its own UID block and MCS level, and
    /// pinning one pair on several namespaces would let their pods share files and SELinux
    /// categories (cluster-policy-controller `namespace_scc_allocation_controller.go`:
    /// `syncNamespace` skips an annotated namespace, `Repair` ignores `ErrAllocated`). Every
    /// other namespace keeps the pair `security.namespaces` declares for it, else is left to
    /// OpenShift's allocator, and its pods to restricted-v2's UID.
    func placed(at namespace: Traced<String>) -> PlanContext {
        var copy = self
        copy.environment.naming.namespace = namespace
        if namespace.value != homeNamespace {
            let pinned = environment.security.namespaceRanges[namespace.value]
            copy.environment.security.uidRange =
                pinned?.uidRange ?? .byDefault(nil, SecuritySettings.otherNamespaceRangeReason)
            copy.environment.security.mcs = pinned?.mcs ?? .byDefault(nil, SecuritySettings.otherNamespaceRangeReason)
        }
        return copy
    }

    /// Where an object written with `metadata.namespace: written` lands (the environment's
    /// namespace when nil).
    func targetNamespace(_ written: Located<String>?) -> String {
        homeNaming.target(of: written).value
    }
    var prefix: String { environment.naming.namePrefix.value }
    var platform: Platform { environment.platform.value }
    var mirrors: [ImageMirror] { environment.images.mirrors.value }
    var deliveryTool: DeliveryTool { environment.delivery.tool.value }

    /// `namePrefix + base`: every name nbgitops derives.
    func derivedName(_ base: String) -> String { prefix + base }

    /// Where the name prefix was set (derived names are reported there when nothing better exists).
    var prefixLocation: SourceLocation? { environment.naming.namePrefix.origin.location }

    func image(_ reference: String) -> String { ImageMirroring.apply(mirrors, to: reference) }
}

/// Labels, annotations and object skeletons shared by the planners.
enum PlanMetadata {
    // The keys and values themselves are in Model/Vocabulary.swift (LabelKey, AnnotationKey).

    /// Labels of every object nbgitops creates itself (not of passed-through ones).
    static func labels(component: String, extra: [String: String] = [:]) -> [String: String] {
        var labels = extra
        labels[LabelKey.managedBy] = LabelValue.managedBy
        labels[LabelKey.component] = component
        return labels
    }

    /// `apiVersion`, `kind`, `metadata` and the rest of an object. Empty label/annotation
    /// maps are left out.
    static func object(
        apiVersion: String, kind: String, name: String, namespace: String?, labels: [String: String],
        annotations: [String: String] = [:], body: [(String, ManifestNode?)]
    ) -> ManifestNode {
        let metadata = ManifestNode.object([
            ("name", .string(name)),
            ("namespace", namespace.map { .string($0) }),
            ("labels", labels.isEmpty ? nil : .strings(labels)),
            ("annotations", annotations.isEmpty ? nil : .strings(annotations)),
        ])
        return .object([("apiVersion", .string(apiVersion)), ("kind", .string(kind)), ("metadata", metadata)] + body)
    }

    /// Sets `metadata.<field>.<key>` (creating the maps as needed), keeping other keys.
    static func setting(_ field: String, _ key: String, to value: String, in manifest: ManifestNode) -> ManifestNode {
        var manifest = manifest
        var metadata = manifest["metadata"] ?? .map([])
        var map = metadata[field] ?? .map([])
        if map.entries == nil { map = .map([]) }
        map[key] = .string(value)
        metadata[field] = map
        manifest["metadata"] = metadata
        return manifest
    }
}

/// A name a planner derived (namePrefix + a spec's name + a hash, the namespace + a suffix, …)
/// with the Kubernetes rule it must meet and where the user fixes it. The planner records it on
/// the object it names; the Check stage's `NameRules.derivedNames` checks it (NBG130, NBG131).
public struct DerivedName: Sendable, Hashable {
    public var value: String
    var rule: PlanNames.Rule
    /// What the name is, as messages say it ("Job name", "build namespace (…)").
    public var what: String
    public var location: SourceLocation?
    public var help: String?
    public var notes: [DiagnosticNote]

    init(
        _ value: String, rule: PlanNames.Rule, what: String, at location: SourceLocation?, help: String? = nil,
        notes: [DiagnosticNote] = []
    ) {
        self.value = value
        self.rule = rule
        self.what = what
        self.location = location
        self.help = help
        self.notes = notes
    }
}

/// The Kubernetes name rules derived names must meet.
enum PlanNames {
    enum Rule: Sendable, Hashable {
        /// DNS-1123 label, at most 63 characters (Jobs: the name becomes a pod label; Namespaces).
        case label
        /// DNS-1123 subdomain, at most 253 characters.
        case subdomain
        /// DNS-1123 subdomain that is also written as a label value, so at most 63 characters
        /// (Argo CD's Application and Flux's Kustomization names, on every object they apply).
        case subdomainLabelValue

        var limit: Int {
            switch self {
            case .label, .subdomainLabelValue: return 63
            case .subdomain: return 253
            }
        }
    }
}

/// A namespaced object's identity within one kind: a ServiceAccount or claim of one name in two
/// namespaces (each team's `model-validator-sa`) is two objects.
struct NamespacedName: Hashable, Comparable, Sendable {
    var namespace: String
    var name: String

    static func < (lhs: NamespacedName, rhs: NamespacedName) -> Bool {
        if lhs.namespace != rhs.namespace { return lhs.namespace.utf8.lexicographicallyPrecedes(rhs.namespace.utf8) }
        return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
    }
}
