/// The Resolve stage: stacks overlays (later wins, field by field) on top of nbgitops' defaults
/// into one `Environment`, where every value remembers the overlay file and line that set it.
public enum EnvironmentResolver {
    /// Built-in defaults, each with the reason it is the default.
    public enum Defaults {
        public static let namespace = "notebook-validation"
        public static let claimSize = "10Gi"
        public static let workspaceSize = "5Gi"
        public static let gpuResource = "nvidia.com/gpu"
        /// Needs git and an ssh client; pinned, never a moving tag.
        /// alpine/git 2.47.2 by its published (multi-arch) digest: pinned by content, so the
        /// kubelet runs exactly this image whatever the tag later points at.
        public static let gitCloneImage =
            "docker.io/alpine/git:2.47.2@sha256:062a01ad7a0eb17cff382bc5e26086b4d710e56dfdfdf001109a49b6d9bd378c"
        public static let revision = "main"
    }

    public static func resolve(
        name: String, overlays: [Overlay], definedAt: SourceLocation? = nil, diagnostics: DiagnosticCollector
    ) -> Environment {
        let stack = LayerStack(overlays: overlays)
        // `platform: openshift`, or `platform: {name: openshift, ...facts}`.
        let platform = stack.enumValue(
            "platform", Platform.kubernetes, Platform.init(rawValue:), aliases: ["platform.name"],
            why: "vanilla Kubernetes unless an overlay says openshift")
        let accessMode = stack.enumValue(
            "storage.accessMode", AccessMode.readWriteOnce, AccessMode.init(rawValue:),
            why: "ReadWriteOnce is available on every cluster")
        let coschedule = stack.enumValue(
            "tekton.coschedule", CoscheduleMode.workspaces, CoscheduleMode.init(rawValue:),
            aliases: ["platform.tekton.coschedule"], why: "Tekton's default coschedule mode")
        let tool = stack.enumValue(
            "delivery.tool", DeliveryTool.argocd, DeliveryTool.init(rawValue:), why: "Argo CD unless an overlay says flux")

        let taintsTraced: Traced<[Taint]> = stack.list("gpu.taints", why: "no GPU taints unless an overlay declares them") {
            node in
            guard let key = node["key"]?.stringValue, let effect = node["effect"]?.stringValue else { return nil }
            return Taint(key: key, value: node["value"]?.stringValue, effect: effect)
        }
        let mirrors: Traced<[ImageMirror]> = stack.list("images.mirrors", why: "no image mirrors") { node in
            guard let source = node["source"]?.stringValue, let mirror = node["mirror"]?.stringValue else { return nil }
            return ImageMirror(source: source, mirror: mirror)
        }
        var syncOptions: Traced<[String]> = stack.list("delivery.syncOptions", why: DeliverySettings.syncOptionsReason) {
            $0.stringValue
        }
        if case .builtinDefault = syncOptions.origin { syncOptions.value = DeliverySettings.defaultSyncOptions }
        let claims: Traced<[String]> = stack.list("storage.existingClaims", why: "no claims declared as pre-existing") {
            $0.stringValue
        }

        let environment = Environment(
            name: name,
            overlays: overlays.map(\.reference),
            platform: platform,
            storage: StorageSettings(
                accessMode: accessMode,
                storageClassName: stack.optionalString("storage.storageClassName", why: "the cluster's default storage class"),
                claimSize: stack.string("storage.claimSize", Defaults.claimSize, why: "room for typical notebook outputs"),
                workspaceSize: stack.string(
                    "storage.workspaceSize", Defaults.workspaceSize, why: "room for a typical build context"),
                existingClaims: claims,
                manageAllClaims: stack.bool(
                    "storage.manageAllClaims", false, why: "claims not declared in specs are expected to pre-exist")),
            gpu: GPUSettings(
                resourceName: stack.string("gpu.resourceName", Defaults.gpuResource, why: "the NVIDIA device plugin's resource"),
                taints: taintsTraced,
                nodeSelector: stack.stringMap("gpu.nodeSelector", why: "no GPU node labels required")),
            tekton: TektonSettings(coschedule: coschedule),
            images: ImageSettings(
                registry: stack.optionalString("images.registry", why: "the platform's default registry"),
                mirrors: mirrors,
                gitClone: stack.string("images.gitClone", Defaults.gitCloneImage, why: "a pinned image with git and ssh"),
                pushSecret: stack.optionalString("images.pushSecret", why: "no push credentials (the platform provides them)"),
                pullSecret: stack.optionalString("images.pullSecret", why: "no pull credentials (the platform provides them)"),
                buildah: stack.string(
                    "images.buildah", ImageSettings.defaultBuildahImage,
                    why: "buildah 1.38.0, by tag only (pin it by digest with images.buildah)")),
            naming: NamingSettings(
                namespace: stack.string("naming.namespace", Defaults.namespace, why: "one namespace per environment"),
                namePrefix: stack.string("naming.namePrefix", "", why: "no prefix"),
                namespaces: stack.tracedStringMap("naming.namespaces"),
                namespacePrefix: stack.string(
                    "naming.namespacePrefix", "", why: "a spec's metadata.namespace lands as written")),
            delivery: DeliverySettings(
                tool: tool,
                repositoryURL: stack.string("delivery.repositoryURL", "", why: "no repository configured"),
                revision: stack.string("delivery.revision", Defaults.revision, why: "the main branch"),
                path: stack.optionalString("delivery.path", why: "derived from the output folder"),
                controllerNamespace: stack.optionalString(
                    "delivery.controllerNamespace", why: "the delivery tool's usual namespace on the platform"),
                prune: stack.bool("delivery.prune", true, why: DeliverySettings.pruneReason),
                selfHeal: stack.bool("delivery.selfHeal", true, why: DeliverySettings.selfHealReason),
                syncOptions: syncOptions))
        var resolved = environment
        resolved.definedAt = definedAt
        resolved.delivery.argocdInstancePatch = stack.enumValue(
            "delivery.argocd.instancePatch", false, { $0 == "emit" ? true : $0 == "none" ? false : nil },
            why: DeliverySettings.instancePatchReason)
        resolved.delivery.cluster = DeliveryDestination.resolveCluster(stack)
        resolved.delivery.argocdProject = stack.optionalString(
            "delivery.argocd.project", why: DeliveryCluster.ownProjectReason)
        resolved.delivery.fluxSecretRef = stack.optionalString(
            "delivery.flux.secretRef", why: DeliveryCluster.publicRepositoryReason)
        resolved.delivery.split = stack.enumValue(
            "delivery.split", DeliverySplitMode.none, DeliverySplitMode.init(rawValue:), why: DeliverySplitMode.reason)
        func parseRange(_ field: String, _ text: String, _ origin: Origin) -> Traced<ClosedRange<Int>?> {
            let parts = text.split(separator: "/").compactMap { Int($0) }
            if parts.count == 2, parts[1] > 0, parts[0] <= Int.max - parts[1] {
                return Traced(parts[0]...(parts[0] + parts[1] - 1), origin)
            }
            // The schema's pattern admits `first/0` and numbers past Int: refuse them here
            // rather than silently checking against no range at all.
            diagnostics.error(
                .fieldRange,
                "\(field) '\(text)' is not a UID range: it needs a first UID and a size of at least 1 that stay below \(Int.max)",
                at: origin.location,
                help:
                    "copy openshift.io/sa.scc.uid-range from the namespace (`oc get ns NAME -o yaml`), e.g. 1000680000/10000")
            return .byDefault(nil, "no UID range declared")
        }
        var uidRange: Traced<ClosedRange<Int>?> = .byDefault(nil, "no UID range declared")
        if let (value, origin) = stack.lookup("security.uidRange"), let text = value.stringValue {
            uidRange = parseRange("security.uidRange", text, origin)
        }
        var namespaceRanges: [String: NamespaceRange] = [:]
        for overlay in stack.overlays {
            for entry in overlay.spec.value(at: "security.namespaces")?.entries ?? [] {
                let base = "spec.security.namespaces" + SourceMap.component(entry.key)
                func origin(_ field: String) -> Origin {
                    .overlay(
                        name: overlay.reference.name,
                        overlay.sourceMap[base + "." + field] ?? overlay.sourceMap[base] ?? .startOf(overlay.reference.file))
                }
                let why = "no range declared for namespace '\(entry.key)'"
                let range = entry.value["uidRange"]?.stringValue.map {
                    parseRange("security.namespaces.\(entry.key).uidRange", $0, origin("uidRange"))
                }
                let mcs = entry.value["mcs"]?.stringValue.map { Traced<String?>($0, origin("mcs")) }
                namespaceRanges[entry.key] = NamespaceRange(
                    uidRange: range ?? .byDefault(nil, why), mcs: mcs ?? .byDefault(nil, why))
            }
        }
        var runAsUser: Traced<Int> = .byDefault(SecuritySettings.defaultRunAsUser, SecuritySettings.runAsUserReason)
        if let (value, origin) = stack.lookup("security.runAsUser"), let uid = value.intValue { runAsUser = Traced(uid, origin) }
        resolved.security = SecuritySettings(
            privilegeCap: stack.optionalString("security.privilegeCap", why: "the platform's most restrictive level"),
            uidRange: uidRange,
            mcs: stack.optionalString("security.mcs", why: "no MCS level declared"),
            runAsUser: runAsUser,
            existingSecrets: stack.list("security.existingSecrets", why: SecuritySettings.existingSecretsReason) {
                $0.stringValue
            })
        resolved.security.namespaceRanges = namespaceRanges
        Self.checkSharedRanges(resolved, diagnostics: diagnostics)
        var defaults = SpecDefaults()
        for name in SpecDefaults.resourceNames {
            if let (value, origin) = stack.lookup("defaults.resources.requests.\(name)"), let text = value.stringValue {
                defaults.requests[name] = Traced(text, origin)
            }
            if let (value, origin) = stack.lookup("defaults.resources.limits.\(name)"), let text = value.stringValue {
                defaults.limits[name] = Traced(text, origin)
            }
        }
        resolved.defaults = defaults
        // `kserve.*` and `platform.kserve.*` are one fact: the later overlay's wins.
        if let (value, origin) = stack.lookup("kserve.enableModelcar", aliases: ["platform.kserve.enableModelcar"]),
            let flag = value.boolValue
        {
            resolved.kserve.enableModelcar = Traced(flag, origin)
        }
        if let (value, origin) = stack.lookup("kserve.uidModelcar", aliases: ["platform.kserve.uidModelcar"]) {
            if let uid = value.intValue {
                resolved.kserve.uidModelcar = Traced(uid, origin)
            } else if value.stringValue == KServeSettings.uidModelcarUnset {
                // Declared unset (OpenShift AI's inferenceservice-config): known, not unknown.
                resolved.kserve.uidModelcar = Traced(nil, origin)
            } else {
                diagnostics.error(
                    .fieldRange,
                    "kserve.uidModelcar '\(value.stringValue ?? "")' is neither a UID nor '\(KServeSettings.uidModelcarUnset)'",
                    at: origin.location,
                    help:
                        "copy storageInitializer.uidModelcar from KServe's inferenceservice-config ConfigMap, or write '\(KServeSettings.uidModelcarUnset)' when it has none"
                )
            }
        }
        resolved.facts = resolveFacts(stack)
        resolved.servingDeploymentMode = stack.enumValue(
            "serving.deploymentMode", ServingDeploymentMode.rawDeployment, ServingDeploymentMode.init(rawValue:),
            why: ServingDeploymentMode.defaultReason)
        var models = ModelSettings()
        func quantity(_ path: String, _ keyPath: WritableKeyPath<ModelSettings, Traced<String>>) {
            if let (value, origin) = stack.lookup(path), let text = value.stringValue {
                models[keyPath: keyPath] = Traced(text, origin)
            }
        }
        func optionalQuantity(_ path: String, _ keyPath: WritableKeyPath<ModelSettings, Traced<String?>>) {
            if let (value, origin) = stack.lookup(path), let text = value.stringValue {
                models[keyPath: keyPath] = Traced(text, origin)
            }
        }
        quantity("models.modelcarLimit", \.modelcarLimit)
        quantity("models.registryLayerLimit", \.registryLayerLimit)
        quantity("models.downloadThroughput", \.downloadThroughput)
        quantity("models.pushThroughput", \.pushThroughput)
        quantity("images.modelTools", \.toolsImage)
        quantity("images.skopeo", \.skopeoImage)
        optionalQuantity("models.nodeEphemeralFree", \.nodeEphemeralFree)
        optionalQuantity("models.nodeImageFsFree", \.nodeImageFsFree)
        for (path, keyPath) in [
            ("models.downloadThroughput", \ModelSettings.downloadThroughput), ("models.pushThroughput", \.pushThroughput),
        ] {
            let setting = models[keyPath: keyPath]
            if (Quantity.value(setting.value) ?? 0) <= 0 {
                diagnostics.error(
                    .fieldRange, "\(path) '\(setting.value)' is not a rate nbgitops can derive a timeout from",
                    at: setting.origin.location, help: "write the bytes per second as a positive quantity, e.g. 20Mi")
                models[keyPath: keyPath] = Traced(ModelSettings()[keyPath: keyPath].value, setting.origin)
            }
        }
        // NBG106: every quantity of the environment within Kubernetes' range (the byte counts the
        // model scripts receive and the sizes the rules compare are derived from them); an
        // out-of-range value is reported at its overlay line and replaced by the default.
        func outOfRange(_ path: String, _ setting: Traced<String>) -> Bool {
            guard Quantity.isOutOfRange(setting.value) else { return false }
            diagnostics.error(
                .fieldRange, "\(path) '\(setting.value)' is out of range: at most \(Quantity.limitText)",
                at: setting.origin.location, help: "write a quantity Kubernetes can represent, e.g. 10Gi")
            return true
        }
        for (path, keyPath) in [
            ("models.modelcarLimit", \ModelSettings.modelcarLimit), ("models.registryLayerLimit", \.registryLayerLimit),
            ("models.downloadThroughput", \.downloadThroughput), ("models.pushThroughput", \.pushThroughput),
        ] where outOfRange(path, models[keyPath: keyPath]) {
            models[keyPath: keyPath] = Traced(ModelSettings()[keyPath: keyPath].value, models[keyPath: keyPath].origin)
        }
        for (path, keyPath) in [
            ("models.nodeEphemeralFree", \ModelSettings.nodeEphemeralFree), ("models.nodeImageFsFree", \.nodeImageFsFree),
        ] {
            let setting = models[keyPath: keyPath]
            if let value = setting.value, outOfRange(path, Traced(value, setting.origin)) {
                models[keyPath: keyPath] = Traced(nil, setting.origin)
            }
        }
        for (path, setting) in [
            ("storage.claimSize", resolved.storage.claimSize), ("storage.workspaceSize", resolved.storage.workspaceSize),
        ] {
            _ = outOfRange(path, setting)
        }
        for (name, setting) in resolved.defaults.requests.sorted(by: { $0.key < $1.key }) {
            _ = outOfRange("defaults.resources.requests.\(name)", setting)
        }
        for (name, setting) in resolved.defaults.limits.sorted(by: { $0.key < $1.key }) {
            _ = outOfRange("defaults.resources.limits.\(name)", setting)
        }
        resolved.models = models
        resolved.results = ResultsSettings(
            claim: stack.optionalString("results.claim", why: ResultsSettings.unsetReason),
            path: stack.optionalString("results.path", why: "the store's root"),
            s3Bucket: stack.optionalString("results.s3.bucket", why: ResultsSettings.unsetReason),
            s3Endpoint: stack.optionalString("results.s3.endpoint", why: "AWS S3 of the region"),
            s3Region: stack.optionalString("results.s3.region", why: S3Bucket.defaultRegion),
            s3CredentialsSecret: stack.optionalString("results.s3.credentialsSecret", why: "no credentials named"))
        // OpenShift: the service CA that signs in-cluster S3 endpoints (ODF, NooBaa), published as
        // the ConfigMap openshift-service-ca.crt in every namespace. Kubernetes has no such CA.
        let caConfigMap = stack.optionalString(
            "results.s3.caConfigMap", why: "no cluster CA: the image's system CA bundle only")
        resolved.results.s3CAConfigMap =
            caConfigMap.value == nil && platform.value == .openshift
            ? .byDefault(
                ResultsSettings.openShiftServiceCA,
                "OpenShift: the service CA (ConfigMap openshift-service-ca.crt, in every namespace) plus the system bundle")
            : caConfigMap
        resolved.nodePools = stack.list("cluster.nodePools", why: "no node pools declared") { node in
            guard let name = node["name"]?.stringValue, case .int(let count)? = node["count"] else { return nil }
            var labels: [String: String] = [:]
            for entry in node["labels"]?.entries ?? [] { labels[entry.key] = entry.value.stringValue ?? "" }
            if let zone = node["zone"]?.stringValue { labels["topology.kubernetes.io/zone"] = zone }
            var allocatable: [String: String] = [:]
            for entry in node["allocatable"]?.entries ?? [] {
                if let text = entry.value.stringValue { allocatable[entry.key] = text }
            }
            let taints = (node["taints"]?.elements ?? []).compactMap { taint -> Taint? in
                guard let key = taint["key"]?.stringValue, let effect = taint["effect"]?.stringValue else { return nil }
                return Taint(key: key, value: taint["value"]?.stringValue, effect: effect)
            }
            return NodePool(name: name, count: count, labels: labels, taints: taints, allocatable: allocatable)
        }
        return resolved
    }
}

extension EnvironmentResolver {
    /// The `platform` facts of the stack (docs/platforms.md); undeclared ones stay unknown.
    static func resolveFacts(_ stack: LayerStack) -> PlatformFacts {
        var facts = PlatformFacts()
        func optional<Value>(_ path: String, _ make: (ManifestNode) -> Value?) -> Traced<Value?> {
            if let (value, origin) = stack.lookup(path), let parsed = make(value) { return Traced(parsed, origin) }
            return .byDefault(nil, PlatformFacts.unknown)
        }
        for component in PlatformFacts.Component.allCases {
            if let (value, origin) = stack.lookup("platform.versions.\(component.rawValue)"), let text = value.stringValue {
                facts.versions[component] = Traced(text, origin)
            }
        }
        func strings(_ node: ManifestNode?) -> [String] { (node?.elements ?? []).compactMap(\.stringValue) }
        facts.argocdNamespace = optional("platform.argocd.namespace") { $0.stringValue }
        facts.argocdName = optional("platform.argocd.name") { $0.stringValue }
        facts.argocdOperatorManaged = optional("platform.argocd.operatorManaged") { $0.boolValue }
        facts.argocdResourceExclusions = optional("platform.argocd.resourceExclusions") { node in
            node.elements.map { elements in
                elements.map {
                    PlatformFacts.ResourceExclusion(
                        apiGroups: strings($0["apiGroups"]), kinds: strings($0["kinds"]), clusters: strings($0["clusters"]))
                }
            }
        }
        facts.tektonSetSecurityContext = optional("platform.tekton.setSecurityContext") { $0.boolValue }
        if let (value, origin) = stack.lookup("tekton.coschedule", aliases: ["platform.tekton.coschedule"]),
            let text = value.stringValue
        {
            facts.tektonCoschedule = Traced(text, origin)
        }
        facts.tektonDefaultTimeoutMinutes = optional("platform.tekton.defaultTimeoutMinutes") { $0.intValue }
        facts.kserveDefaultDeploymentMode = optional("platform.kserve.defaultDeploymentMode") { $0.stringValue }
        facts.kserveOCIModelMode = optional("platform.kserve.ociModelMode") { $0.stringValue }
        facts.knativeFeatures = optional("platform.knative.features") { $0.elements.map { strings(.list($0)) } }
        facts.podSecurityNamespaces = optional("platform.podSecurity.namespaces") { node in
            node.entries.map { entries in
                Dictionary(entries.map { ($0.key, $0.value.stringValue ?? "") }, uniquingKeysWith: { $1 })
            }
        }
        facts.storageClasses = optional("platform.storageClasses") { node in
            node.elements.map { elements in
                elements.compactMap { entry in
                    entry["name"]?.stringValue.map {
                        PlatformFacts.StorageClass(
                            name: $0, volumeBindingMode: entry["volumeBindingMode"]?.stringValue,
                            accessModes: entry["accessModes"].map { strings($0) }, zonal: entry["zonal"]?.boolValue,
                            isDefault: entry["default"]?.boolValue)
                    }
                }
            }
        }
        facts.podSecurityDefaultEnforce = optional("platform.podSecurity.defaultEnforce") { $0.stringValue }
        facts.sccs = optional("platform.podSecurity.sccs") { $0.elements.map { strings(.list($0)) } }
        facts.kserveServingRuntimes = optional("platform.kserve.servingRuntimes") { $0.elements.map { strings(.list($0)) } }
        facts.buildahMounts = optional("platform.podSecurity.buildahMounts") { $0.boolValue }
        return facts
    }
}

/// Looks a dotted field up through the overlay stack, top (last) overlay first.
struct LayerStack {
    let overlays: [Overlay]

    /// The value of `path` (or of one of its `aliases`, the same fact under another key) in the
    /// last overlay that sets it, with its origin. A `platform` written as a name has no facts.
    func lookup(_ path: String, aliases: [String] = []) -> (ManifestNode, Origin)? {
        for overlay in overlays.reversed() {
            for key in [path] + aliases {
                guard let value = overlay.spec.value(at: key) else { continue }
                // `platform` as a mapping is the facts' form, not the platform's name.
                if key == "platform", value.stringValue == nil { continue }
                let location = overlay.sourceMap["spec.\(key)"] ?? .startOf(overlay.reference.file)
                return (value, .overlay(name: overlay.reference.name, location))
            }
        }
        return nil
    }

    func string(_ path: String, _ fallback: String, why: String) -> Traced<String> {
        if let (value, origin) = lookup(path), let text = value.stringValue { return Traced(text, origin) }
        return .byDefault(fallback, why)
    }

    func optionalString(_ path: String, why: String) -> Traced<String?> {
        if let (value, origin) = lookup(path), let text = value.stringValue { return Traced(text, origin) }
        return .byDefault(nil, why)
    }

    func bool(_ path: String, _ fallback: Bool, why: String) -> Traced<Bool> {
        if let (value, origin) = lookup(path), let flag = value.boolValue { return Traced(flag, origin) }
        return .byDefault(fallback, why)
    }

    func enumValue<Value>(
        _ path: String, _ fallback: Value, _ make: (String) -> Value?, aliases: [String] = [], why: String
    ) -> Traced<Value> {
        if let (value, origin) = lookup(path, aliases: aliases), let text = value.stringValue, let parsed = make(text) {
            return Traced(parsed, origin)
        }
        return .byDefault(fallback, why)
    }

    /// Lists are replaced whole by the last overlay that sets them.
    func list<Element>(_ path: String, why: String, _ make: (ManifestNode) -> Element?) -> Traced<[Element]> {
        if let (value, origin) = lookup(path), let elements = value.elements {
            return Traced(elements.compactMap(make), origin)
        }
        return .byDefault([], why)
    }

    /// Maps are merged key by key; the origin is the last overlay that touched the map.
    /// A map of strings merged across the stack (a later overlay's entry wins), each entry with
    /// the line that set it.
    func tracedStringMap(_ path: String) -> [String: Traced<String>] {
        var result: [String: Traced<String>] = [:]
        for overlay in overlays {
            guard let entries = overlay.spec.value(at: path)?.entries else { continue }
            for entry in entries {
                let location =
                    overlay.sourceMap["spec.\(path)\(SourceMap.component(entry.key))"] ?? overlay.sourceMap["spec.\(path)"]
                    ?? .startOf(overlay.reference.file)
                result[entry.key] = Traced(entry.value.stringValue ?? "", .overlay(name: overlay.reference.name, location))
            }
        }
        return result
    }

    func stringMap(_ path: String, why: String) -> Traced<[String: String]> {
        var result: [String: String] = [:]
        var origin: Origin = .builtinDefault(why)
        for overlay in overlays {
            guard let entries = overlay.spec.value(at: path)?.entries else { continue }
            for entry in entries { result[entry.key] = entry.value.stringValue ?? "" }
            origin = .overlay(name: overlay.reference.name, overlay.sourceMap["spec.\(path)"] ?? .startOf(overlay.reference.file))
        }
        return Traced(result, origin)
    }
}

extension EnvironmentResolver {
    /// NBG322: two namespaces pinned to overlapping UID blocks or to the same MCS level. Their
    /// pods would share UIDs and SELinux categories, so files on shared storage and containers
    /// on one node are no longer separated between them; OpenShift's allocator never hands out
    /// one block twice and skips an annotated namespace (openshift/cluster-policy-controller
    /// `namespace_scc_allocation_controller.go`: `syncNamespace`, `Repair`).
    static func checkSharedRanges(_ environment: Environment, diagnostics: DiagnosticCollector) {
        let security = environment.security
        var pins: [(namespace: String, range: Traced<ClosedRange<Int>?>, mcs: Traced<String?>)] = [
            (environment.naming.namespace.value, security.uidRange, security.mcs)
        ]
        for name in security.namespaceRanges.keys.sorted() where name != environment.naming.namespace.value {
            guard let entry = security.namespaceRanges[name] else { continue }
            pins.append((name, entry.uidRange, entry.mcs))
        }
        for (index, pin) in pins.enumerated() {
            for earlier in pins[..<index] {
                if let range = pin.range.value, let other = earlier.range.value, range.overlaps(other) {
                    diagnostics.error(
                        .namespaceRangeShared,
                        "namespaces '\(earlier.namespace)' and '\(pin.namespace)' are pinned to overlapping UID blocks (\(other.lowerBound)/\(other.count) and \(range.lowerBound)/\(range.count)); their pods would share UIDs and the files they write",
                        at: pin.range.origin.location,
                        help:
                            "give each namespace the block OpenShift allocated to it (`oc get ns NAME -o yaml | grep sa.scc`), or remove the entry and let the allocator choose",
                        notes: [
                            DiagnosticNote(
                                "'\(earlier.namespace)' is pinned to \(other.lowerBound)/\(other.count): \(earlier.range.origin)",
                                at: earlier.range.origin.location)
                        ])
                }
                if let mcs = pin.mcs.value, mcs == earlier.mcs.value {
                    diagnostics.error(
                        .namespaceRangeShared,
                        "namespaces '\(earlier.namespace)' and '\(pin.namespace)' are pinned to the same MCS level \(mcs); SELinux no longer separates their containers or their files",
                        at: pin.mcs.origin.location,
                        help:
                            "give each namespace the MCS level OpenShift allocated to it (`oc get ns NAME -o yaml | grep sa.scc.mcs`), or remove the entry and let the allocator choose",
                        notes: [
                            DiagnosticNote(
                                "'\(earlier.namespace)' is pinned to \(mcs): \(earlier.mcs.origin)",
                                at: earlier.mcs.origin.location)
                        ])
                }
            }
        }
    }
}
