import Foundation

/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let secretLiteral: RuleID = "NBG140"
    public static let s2iOnKubernetes: RuleID = "NBG270"
    public static let openshiftAPI: RuleID = "NBG271"
}

/// Platform rules (ADR-023: S2I and OpenShift API groups exist only on OpenShift) and literal secrets anywhere in specs or overlays.
enum PlatformRules {
    /// API groups only OpenShift serves.
    static let openshiftGroups: Set<String> = [
        "route.openshift.io", "image.openshift.io", "build.openshift.io", "security.openshift.io", "apps.openshift.io",
        "project.openshift.io", "template.openshift.io", "config.openshift.io", "user.openshift.io",
        "quota.openshift.io", "oauth.openshift.io", "operator.openshift.io",
    ]

    /// NBG270: Source-to-Image needs OpenShift's build controller (passed-through BuildConfigs).
    static let s2iOnKubernetes = PlanRule(
        .s2iOnKubernetes, .error, "an S2I build on a plain Kubernetes environment"
    ) { context in
        guard context.platform == .kubernetes else { return }
        let platform = context.environment.platform
        let note = DiagnosticNote("the platform is kubernetes: \(platform.origin)", at: platform.origin.location)
        // A spec's `strategy: s2i` on Kubernetes is the planner's NBG150 (the job's build is
        // never planned); this rule is for BuildConfigs passed through from spec files.
        for object in context.plan.objects where object.kind == "BuildConfig" {
            let type = object.manifest.value(at: "spec.strategy.type")?.stringValue
            guard type == "Source" || object.manifest.value(at: "spec.strategy.sourceStrategy") != nil else { continue }
            context.report(
                "BuildConfig '\(object.name)' is an S2I (Source) build; environment '\(context.environment.name)' is plain Kubernetes, which has no build controller",
                at: context.location(of: object, path: "spec.strategy"),
                help: "use a Tekton build on Kubernetes, or target an OpenShift environment", notes: [note],
                subject: context.subject(for: object))
        }
    }

    /// NBG271: objects of OpenShift-only API groups cannot be applied to Kubernetes (the sync
    /// fails with "no matches for kind").
    static let openshiftAPI = PlanRule(
        .openshiftAPI, .error, "an OpenShift-only API group in a Kubernetes environment"
    ) { context in
        guard context.platform == .kubernetes else { return }
        let platform = context.environment.platform
        for object in context.plan.objects where openshiftGroups.contains(object.group) {
            context.report(
                "\(object.kind) '\(object.name)' uses the OpenShift-only API group \(object.group); environment '\(context.environment.name)' is plain Kubernetes, where the sync fails with \"no matches for kind\"",
                at: context.location(of: object, path: "apiVersion"),
                help: object.kind == "Route"
                    ? "use a networking.k8s.io/v1 Ingress on Kubernetes" : "keep this object out of Kubernetes environments",
                notes: [DiagnosticNote("the platform is kubernetes: \(platform.origin)", at: platform.origin.location)],
                subject: context.subject(for: object))
        }
    }

    // MARK: Secrets

    /// What kind of secret material a string holds, if any (`SecretPatterns`: token shapes,
    /// credentials inside URLs, credential lines in text; never the value).
    static func secretKind(_ text: String) -> String? {
        SecretPatterns.kind(of: text)
    }

    /// kubectl's copy of an object's previous content: for a Secret, its values.
    static let lastAppliedKey = "kubectl.kubernetes.io/last-applied-configuration"

    /// What secret material a string of a tree holds: its shape (`SecretPatterns`), a random-looking
    /// value under a credential-like key, or a Secret's values inside kubectl's last-applied-configuration.
    static func secretKind(_ text: String, key: String?) -> String? {
        if key == lastAppliedKey, let kind = lastAppliedSecret(text) { return kind }
        if let kind = SecretPatterns.kind(of: text) { return kind }
        guard let key else { return nil }
        return SecretPatterns.kind(ofValue: text, underKey: key)
    }

    /// A Secret's `data`/`stringData`, or secret material in any field, inside a
    /// last-applied-configuration (JSON) annotation.
    static func lastAppliedSecret(_ text: String) -> String? {
        // Not JSON: the string is scanned as any other.
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        if object["kind"] as? String == "Secret" {
            for field in ["data", "stringData"] {
                if let values = object[field] as? [String: Any], !values.isEmpty {
                    return "a Secret's \(field) inside kubectl's last-applied-configuration annotation"
                }
            }
        }
        func walk(_ value: Any, key: String?) -> String? {
            if let text = value as? String { return secretKind(text, key: key) }
            if let map = value as? [String: Any] {
                for (childKey, child) in map.sorted(by: { $0.key < $1.key }) {
                    if let found = walk(child, key: childKey) { return found }
                }
            }
            if let list = value as? [Any] {
                for child in list {
                    if let found = walk(child, key: key) { return found }
                }
            }
            return nil
        }
        return walk(object, key: nil).map { "\($0), inside kubectl's last-applied-configuration annotation" }
    }

    /// Every string of a tree holding secret material, with its path and what it holds. Each
    /// string is offered with the key it is held under (an env entry's `value` under its
    /// `name`).
    static func secretFindings(_ node: ManifestNode, path: String) -> [(path: String, kind: String, text: String)] {
        var result: [(path: String, kind: String, text: String)] = []
        walkStrings(node, path: path, envValuesByName: true) { text, key, pathText in
            if let kind = secretKind(text, key: key) { result.append((pathText(), kind, text)) }
        }
        return result
    }

    /// One step of a path into a tree: a map key or a list index.
    enum PathStep {
        case key(String)
        case index(Int)
    }

    /// Every string of a tree that `match` accepts, with its path
    /// (`spec.template.spec.containers[0].args[1]`) and what `match` made of it. A path is
    /// built only for an accepted string: scans such as NBG140's accept almost none.
    static func strings<Value>(
        _ node: ManifestNode, path: String, matching match: (String) -> Value?
    ) -> [(path: String, value: Value)] {
        var result: [(path: String, value: Value)] = []
        walkStrings(node, path: path, envValuesByName: false) { text, _, pathText in
            if let value = match(text) { result.append((pathText(), value)) }
        }
        return result
    }

    /// Offers every string of a tree to `visit`, in document order, with the key it is held
    /// under (a list item's is its list's) and a function that builds its path below `path`.
    /// The walk keeps a stack of steps, so a path string is built only when `visit` asks for
    /// one. With `envValuesByName`, the `value` of a map that has a string `name` (an env
    /// entry) is offered under that name.
    private static func walkStrings(
        _ node: ManifestNode, path: String, envValuesByName: Bool,
        visit: (_ text: String, _ key: String?, _ path: () -> String) -> Void
    ) {
        var steps: [PathStep] = []
        func pathText() -> String {
            var text = path
            for step in steps {
                switch step {
                case .key(let key): text = text.isEmpty ? key : text + SourceMap.component(key)
                case .index(let index): text += "[\(index)]"
                }
            }
            return text
        }
        func walk(_ node: ManifestNode, key: String?) {
            switch node {
            case .string(let text):
                visit(text, key, pathText)
            case .map(let entries):
                var envName: String?
                if envValuesByName, entries.contains(where: { $0.key == "value" }), case .string(let name)? = node["name"] {
                    envName = name
                }
                for entry in entries {
                    steps.append(.key(entry.key))
                    walk(entry.value, key: entry.key == "value" ? (envName ?? entry.key) : entry.key)
                    steps.removeLast()
                }
            case .list(let items):
                for (index, item) in items.enumerated() {
                    steps.append(.index(index))
                    walk(item, key: key)
                    steps.removeLast()
                }
            default: return
            }
        }
        walk(node, key: nil)
    }

    /// What NBG140 finds in the specs themselves: the same in every environment, so computed
    /// once per run (`SpecIndex.memo`) and reported in each.
    struct SpecSecret: Sendable {
        var message: String
        var location: SourceLocation?
        var subject: DocumentKey
        /// Where the document is named: the first source of the objects planned from it.
        var anchor: SourceLocation
    }

    /// One spec document the scan reads: every field, metadata included.
    struct ScannedDocument {
        var what: String
        var tree: ManifestNode
        var sourceMap: SourceMap
        var fallback: SourceLocation
        var subject: DocumentKey
    }

    /// The documents of one spec kind of `SpecKinds.all`, the list the scan iterates. nil for a
    /// kind this function does not know: `SecretScanCoverageTests` enumerates `SpecKinds.all`
    /// and fails on it, so a new kind cannot go unscanned (and its planned objects are scanned
    /// in every environment regardless).
    static func specDocuments(ofKind kind: String, in specs: SpecSet) -> [ScannedDocument]? {
        func metadata(labels: [String: String], annotations: [String: String]) -> ManifestNode {
            .object([
                ("labels", labels.isEmpty ? nil : .strings(labels)),
                ("annotations", annotations.isEmpty ? nil : .strings(annotations)),
            ])
        }
        switch kind {
        case SpecDecoder.jobKind:
            return specs.jobs.map { job in
                ScannedDocument(
                    what: "\(kind) '\(job.name.value)'",
                    tree: .object([
                        ("metadata", metadata(labels: job.labels, annotations: job.annotations)), ("spec", job.document),
                    ]),
                    sourceMap: job.sourceMap, fallback: job.name.location,
                    subject: DocumentKey(file: job.file, index: job.documentIndex))
            }
        case ModelPipelineDecoder.kind:
            return specs.modelPipelines.map { pipeline in
                ScannedDocument(
                    what: "\(kind) '\(pipeline.name.value)'", tree: pipeline.document, sourceMap: pipeline.sourceMap,
                    fallback: pipeline.name.location,
                    subject: DocumentKey(file: pipeline.file, index: pipeline.documentIndex))
            }
        default:
            return nil
        }
    }

    static func specSecrets(_ specs: SpecSet) -> [SpecSecret] {
        // git URLs with credentials and credential-named env literals are refused while
        // decoding (SecretScanner), so they never reach here.
        let documents =
            SpecKinds.all.flatMap { specDocuments(ofKind: $0.kind, in: specs) ?? [] }
            + specs.supportingObjects.map { object in
                ScannedDocument(
                    what: "\(object.kind) '\(object.name.value)'", tree: object.manifest, sourceMap: object.sourceMap,
                    fallback: object.location, subject: DocumentKey(file: object.file, index: object.documentIndex))
            }
        return documents.flatMap { document in
            secretFindings(document.tree, path: "").map { path, kind, _ in
                SpecSecret(
                    message: "\(document.what) carries \(kind) at '\(path)'; secret values must never reach gitops/",
                    location: document.sourceMap.nearest(path) ?? document.fallback, subject: document.subject,
                    anchor: document.fallback)
            }
        }
    }

    /// Every string an overlay sets in the environment (the `Traced` values whose origin is an
    /// overlay), with the setting's path (`images.registry`, `gpu.nodeSelector`). Found by
    /// reflection over `Environment`, so a setting added later is scanned without a list to
    /// keep up to date; runs once per environment over a few hundred values.
    static func overlayStrings(_ environment: Environment) -> [(field: String, text: String, origin: Origin)] {
        var result: [(field: String, text: String, origin: Origin)] = []
        func strings(_ value: Any, depth: Int, into found: inout [String]) {
            guard depth < 16 else { return }
            if let text = value as? String { return found.append(text) }
            for child in Mirror(reflecting: value).children { strings(child.value, depth: depth + 1, into: &found) }
        }
        func walk(_ value: Any, path: String, depth: Int) {
            guard depth < 16 else { return }
            let mirror = Mirror(reflecting: value)
            if let origin = mirror.children.first(where: { $0.label == "origin" })?.value as? Origin,
                let inner = mirror.children.first(where: { $0.label == "value" })?.value
            {
                guard case .overlay = origin else { return }
                var found: [String] = []
                strings(inner, depth: depth + 1, into: &found)
                for text in found { result.append((path, text, origin)) }
                return
            }
            for child in mirror.children {
                guard let label = child.label else { continue }
                walk(child.value, path: path.isEmpty ? label : path + "." + label, depth: depth + 1)
            }
        }
        walk(environment, path: "", depth: 0)
        return result
    }

    /// NBG140: literal secret material anywhere in a spec (every field, passed-through objects
    /// included) or in an overlay setting; the value is never echoed.
    static let secrets = PlanRule(
        .secretLiteral, .error, "literal secret material in an input"
    ) { context in
        let help =
            "remove it: keep credentials in a Secret created outside git (or an ExternalSecret / SealedSecret) and reference it by name"
        let specFindings = context.index.memo("NBG140.specs", { specSecrets(context.specs) })
        for found in specFindings {
            context.report(found.message, at: found.location, help: help, subject: found.subject)
        }
        var reported: Set<String> = []
        // Every overlay setting, found by reflection (`overlayStrings`): a new setting is scanned too.
        var overlaySecrets: [String] = []
        for (field, text, origin) in overlayStrings(context.environment) {
            guard let kind = secretKind(text, key: field.split(separator: ".").last.map(String.init)) else { continue }
            overlaySecrets.append(text)
            guard reported.insert("\(origin.location.map { "\($0)" } ?? "")|\(kind)").inserted else { continue }
            context.report(
                "overlay setting \(field) carries \(kind) (\(origin)); secret values must never reach gitops/",
                at: origin.location, help: help, subject: nil)
        }
        // What reaches an object (an overlay's value, a default) is scanned in the objects
        // themselves; a document or an overlay value already reported is not reported again
        // through its objects, and one value reaching many objects is reported once.
        let reportedDocuments = Set(specFindings.map(\.subject))
        let reportedAnchors = Set(specFindings.map(\.anchor))
        // The strings holding secret material were found once per object (`ObjectFacts`).
        for (object, objectFacts) in zip(
            context.plan.objects + context.plan.buildObjects + context.plan.deliveryObjects, context.facts.objects)
        where !objectFacts.secretStrings.isEmpty {
            let subject = context.subject(for: object)
            if let subject, reportedDocuments.contains(subject) { continue }
            if object.sources.contains(where: reportedAnchors.contains) { continue }
            for found in objectFacts.secretStrings where !overlaySecrets.contains(where: { found.text.contains($0) }) {
                let (path, kind) = (found.path, found.kind)
                let origin = object.provenance[path]?.origin
                let location = origin?.location ?? context.location(of: object, path: path)
                guard reported.insert("\(location.map { "\($0)" } ?? "")|\(kind)").inserted else { continue }
                let from = origin.map { " (set by \($0))" } ?? ""
                context.report(
                    "\(object.kind) '\(object.name)' would carry \(kind) at '\(path)'\(from); secret values must never reach gitops/",
                    at: location, help: help, subject: subject)
            }
        }
    }
}
