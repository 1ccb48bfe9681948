/// The platform facts of an environment (overlay `platform:` as a mapping, docs/platforms.md).
/// Each is nil when no overlay declares it: unknown, never guessed.
public struct PlatformFacts: Sendable {
    /// The components whose versions an overlay may declare (`platform.versions.<key>`).
    public enum Component: String, Sendable, CaseIterable {
        case kubernetes, openshift, tektonPipelines, openshiftPipelines, kserve, openshiftAI, argocd, openshiftGitops, flux
        case externalSecrets
    }

    /// A resource exclusion of the Argo CD instance (`resource.exclusions`).
    public struct ResourceExclusion: Sendable, Hashable {
        public var apiGroups: [String]
        public var kinds: [String]
        public var clusters: [String]

        /// Whether the exclusion drops `kind` of `group` (Argo CD's globs: `*` or an exact name).
        public func excludes(group: String, kind: String) -> Bool {
            func matches(_ patterns: [String], _ value: String) -> Bool {
                patterns.isEmpty || patterns.contains { $0 == "*" || $0 == value }
            }
            return matches(apiGroups, group) && matches(kinds, kind)
        }
    }

    /// A storage class the cluster offers (`platform.storageClasses[]`).
    public struct StorageClass: Sendable, Hashable {
        public var name: String
        public var volumeBindingMode: String?
        public var accessModes: [String]?
        public var zonal: Bool?
        public var isDefault: Bool?
    }

    public var versions: [Component: Traced<String>] = [:]
    public var argocdNamespace: Traced<String?> = .byDefault(nil, PlatformFacts.unknown)
    /// The ArgoCD resource's name (`platform.argocd.name`): the patch nbgitops emits is named
    /// after it. Unknown: the controller namespace's name (OpenShift GitOps' default instance).
    public var argocdName: Traced<String?> = .byDefault(nil, PlatformFacts.unknown)
    public var argocdOperatorManaged: Traced<Bool?> = .byDefault(nil, PlatformFacts.unknown)
    public var argocdResourceExclusions: Traced<[ResourceExclusion]?> = .byDefault(nil, PlatformFacts.unknown)
    public var tektonSetSecurityContext: Traced<Bool?> = .byDefault(nil, PlatformFacts.unknown)
    /// Alias of `tekton.coschedule` (whichever a later overlay sets wins).
    public var tektonCoschedule: Traced<String?> = .byDefault(nil, PlatformFacts.unknown)
    public var tektonDefaultTimeoutMinutes: Traced<Int?> = .byDefault(nil, PlatformFacts.unknown)
    public var kserveDefaultDeploymentMode: Traced<String?> = .byDefault(nil, PlatformFacts.unknown)
    public var kserveOCIModelMode: Traced<String?> = .byDefault(nil, PlatformFacts.unknown)
    /// The enabled flags of Knative Serving's `config-features` (`kubernetes.podspec-nodeselector`,
    /// ...): what a Serverless predictor may carry. Unknown: upstream's defaults, all disabled
    /// (knative/serving `pkg/apis/config/features.go` `defaultFeaturesConfig`).
    public var knativeFeatures: Traced<[String]?> = .byDefault(nil, PlatformFacts.unknown)
    /// Namespaces' Pod Security `enforce` labels, by namespace (`platform.podSecurity.namespaces`).
    public var podSecurityNamespaces: Traced<[String: String]?> = .byDefault(nil, PlatformFacts.unknown)
    public var storageClasses: Traced<[StorageClass]?> = .byDefault(nil, PlatformFacts.unknown)
    public var podSecurityDefaultEnforce: Traced<String?> = .byDefault(nil, PlatformFacts.unknown)
    public var sccs: Traced<[String]?> = .byDefault(nil, PlatformFacts.unknown)
    /// ClusterServingRuntimes (or ServingRuntimes) the cluster already has (`platform.kserve.servingRuntimes`).
    public var kserveServingRuntimes: Traced<[String]?> = .byDefault(nil, PlatformFacts.unknown)
    /// Whether the nodes' seccomp/AppArmor profiles let the buildah Task (root, SETFCAP, no
    /// CAP_SYS_ADMIN) unshare and mount (`platform.podSecurity.buildahMounts`).
    public var buildahMounts: Traced<Bool?> = .byDefault(nil, PlatformFacts.unknown)

    public static let unknown = "not declared by any overlay (unknown)"

    public init() {}

    /// Whether the declared version of `component` is at least `major.minor`: nil when it is
    /// not declared or does not decide (e.g. "2" against 2.5).
    public func version(_ component: Component, atLeast major: Int, _ minor: Int) -> Bool? {
        guard let text = versions[component]?.value else { return nil }
        let parts = text.split(separator: ".").map { Int($0) }
        guard let first = parts.first ?? nil else { return nil }
        if first != major { return first > major }
        guard parts.count > 1, let second = parts[1] else { return nil }
        return second >= minor
    }
}

extension PlatformFacts {
    /// Every fact as `platform.<path>`, its value as text ("unknown" when undeclared) and where
    /// it was set: what `nbgitops explain ENV platform` prints.
    public var entries: [(path: String, value: String, origin: Origin)] {
        func text<Value>(_ traced: Traced<Value?>, _ show: (Value) -> String) -> String {
            traced.value.map(show) ?? "unknown"
        }
        func same<Value>(_ value: Value) -> String { "\(value)" }
        var result: [(String, String, Origin)] = []
        for component in Component.allCases {
            let traced = versions[component]
            result.append(
                (
                    "versions.\(component.rawValue)", traced.map { "\"\($0.value)\"" } ?? "unknown",
                    traced?.origin ?? .builtinDefault(Self.unknown)
                ))
        }
        result.append(("argocd.name", text(argocdName, same), argocdName.origin))
        result.append(("argocd.namespace", text(argocdNamespace, same), argocdNamespace.origin))
        result.append(("argocd.operatorManaged", text(argocdOperatorManaged, same), argocdOperatorManaged.origin))
        result.append(
            (
                "argocd.resourceExclusions",
                text(argocdResourceExclusions) { exclusions in
                    "["
                        + exclusions.map {
                            "\($0.apiGroups.map { $0.isEmpty ? "core" : $0 }.joined(separator: ","))/\($0.kinds.joined(separator: ","))"
                        }
                        .joined(separator: "; ") + "]"
                }, argocdResourceExclusions.origin
            ))
        result.append(("tekton.setSecurityContext", text(tektonSetSecurityContext, same), tektonSetSecurityContext.origin))
        result.append(("tekton.coschedule", text(tektonCoschedule, same), tektonCoschedule.origin))
        result.append(
            ("tekton.defaultTimeoutMinutes", text(tektonDefaultTimeoutMinutes, same), tektonDefaultTimeoutMinutes.origin))
        result.append(
            ("kserve.defaultDeploymentMode", text(kserveDefaultDeploymentMode, same), kserveDefaultDeploymentMode.origin))
        result.append(("kserve.ociModelMode", text(kserveOCIModelMode, same), kserveOCIModelMode.origin))
        result.append(
            ("knative.features", text(knativeFeatures) { "[\($0.joined(separator: ", "))]" }, knativeFeatures.origin))
        result.append(
            (
                "podSecurity.namespaces",
                text(podSecurityNamespaces) { map in
                    "[" + map.keys.sorted().map { "\($0)=\(map[$0] ?? "")" }.joined(separator: ", ") + "]"
                }, podSecurityNamespaces.origin
            ))
        result.append(
            (
                "kserve.servingRuntimes", text(kserveServingRuntimes) { "[\($0.joined(separator: ", "))]" },
                kserveServingRuntimes.origin
            ))
        result.append(
            (
                "storageClasses",
                text(storageClasses) { classes in
                    "[" + classes.map { "\($0.name) \($0.volumeBindingMode ?? "?")" }.joined(separator: "; ") + "]"
                }, storageClasses.origin
            ))
        result.append(("podSecurity.defaultEnforce", text(podSecurityDefaultEnforce, same), podSecurityDefaultEnforce.origin))
        result.append(("podSecurity.sccs", text(sccs) { "[\($0.joined(separator: ", "))]" }, sccs.origin))
        result.append(("podSecurity.buildahMounts", text(buildahMounts, same), buildahMounts.origin))
        return result.map { (path: "platform." + $0.0, value: $0.1, origin: $0.2) }
    }
}
