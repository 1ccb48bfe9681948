import Foundation

/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let secretLiteral: RuleID = "NBG140"
    public static let s2iOnKubernetes: RuleID = "NBG270"
    public static let openshiftAPI: RuleID = "NBG271"
}

/// Platform rules (ADR-023, seed 003) and literal secrets anywhere in specs or overlays.
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

    /// Token shapes that are never anything but a credential.
    static let tokenPatterns: [(String, NSRegularExpression?)] = [
        (
            "a GitHub token",
            try? NSRegularExpression(pattern: #"\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}"#)
        ),
        ("a GitLab token", try? NSRegularExpression(pattern: #"\bglpat-[A-Za-z0-9_-]{20,}"#)),
        ("an AWS access key id", try? NSRegularExpression(pattern: #"\b(AKIA|ASIA)[A-Z0-9]{16}\b"#)),
        ("a private key", try? NSRegularExpression(pattern: #"-----BEGIN [A-Z ]*PRIVATE KEY-----"#)),
        ("a Hugging Face token", try? NSRegularExpression(pattern: #"\bhf_[A-Za-z0-9]{30,}"#)),
        ("a Slack token", try? NSRegularExpression(pattern: #"\bxox[abpr]-[A-Za-z0-9-]{10,}"#)),
    ]
    /// Literals one of which every token pattern contains (URL patterns need an `@`).
    static let secretMarkers = [
        "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "AKIA", "ASIA", "PRIVATE KEY-----", "hf_", "xox",
    ]
    /// Whether `text` could hold secret material: a URL with an `@` (`://` and `@`; a
    /// digest-pinned image has an `@` but no `://`) or one of `secretMarkers`, compared byte
    /// for byte (no locale, no allocation for the common native string).
    static func mayHoldSecret(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            func contains(_ marker: [UInt8]) -> Bool {
                guard let first = marker.first, bytes.count >= marker.count else { return false }
                for start in 0...(bytes.count - marker.count) where bytes[start] == first {
                    if bytes[start..<start + marker.count].elementsEqual(marker) { return true }
                }
                return false
            }
            if bytes.contains(UInt8(ascii: "@")) && contains(schemeSeparator) { return true }
            return secretMarkerBytes.contains(where: contains)
        }
    }

    static let secretMarkerBytes: [[UInt8]] = secretMarkers.map { Array($0.utf8) }
    static let schemeSeparator = Array("://".utf8)

    /// `scheme://user:password@host` (or `scheme://token@host` for http(s)).
    static let credentialURL = try? NSRegularExpression(pattern: #"[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]+:[^\s/@]+@[^\s/]+"#)
    static let tokenURL = try? NSRegularExpression(pattern: #"https?://[^\s/@:]{20,}@[^\s/]+"#)

    /// What kind of secret material a string holds, if any.
    static func secretKind(_ text: String) -> String? {
        // Every pattern needs one of these literals; most strings have none (a cheap scan
        // before the regular expressions, which dominate the Check stage otherwise).
        guard mayHoldSecret(text) else { return nil }
        let range = NSRange(text.startIndex..., in: text)
        if credentialURL?.firstMatch(in: text, range: range) != nil { return "credentials inside a URL" }
        if tokenURL?.firstMatch(in: text, range: range) != nil { return "a token inside a URL" }
        for (kind, pattern) in tokenPatterns where pattern?.firstMatch(in: text, range: range) != nil { return kind }
        return nil
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
        func walk(_ node: ManifestNode) {
            switch node {
            case .string(let text):
                if let value = match(text) { result.append((pathText(), value)) }
            case .map(let entries):
                for entry in entries {
                    steps.append(.key(entry.key))
                    walk(entry.value)
                    steps.removeLast()
                }
            case .list(let items):
                for (index, item) in items.enumerated() {
                    steps.append(.index(index))
                    walk(item)
                    steps.removeLast()
                }
            default: return
            }
        }
        walk(node)
        return result
    }

    /// What NBG140 finds in the specs themselves: the same in every environment, so computed
    /// once per run (`SpecIndex.memo`) and reported in each.
    struct SpecSecret: Sendable {
        var message: String
        var location: SourceLocation?
        var subject: DocumentKey
    }

    static func specSecrets(_ specs: SpecSet) -> [SpecSecret] {
        struct Document {
            var what: String
            var tree: ManifestNode
            var root: String
            var sourceMap: SourceMap
            var fallback: SourceLocation
            var subject: DocumentKey
        }
        // git URLs with credentials and credential-named env literals are refused while
        // decoding (SecretScanner), so they never reach here.
        let documents =
            specs.jobs.map { job in
                Document(
                    what: "NotebookValidationJob '\(job.name.value)'", tree: job.document, root: "spec",
                    sourceMap: job.sourceMap, fallback: job.name.location,
                    subject: DocumentKey(file: job.file, index: job.documentIndex))
            }
            + specs.supportingObjects.map { object in
                Document(
                    what: "\(object.kind) '\(object.name.value)'", tree: object.manifest, root: "",
                    sourceMap: object.sourceMap, fallback: object.location,
                    subject: DocumentKey(file: object.file, index: object.documentIndex))
            }
        return documents.flatMap { document in
            strings(document.tree, path: document.root, matching: secretKind).map { path, kind in
                SpecSecret(
                    message: "\(document.what) carries \(kind) at '\(path)'; secret values must never reach gitops/",
                    location: document.sourceMap.nearest(path) ?? document.fallback, subject: document.subject)
            }
        }
    }

    /// NBG140: literal secret material anywhere in a spec (every field, passed-through objects
    /// included) or in an overlay setting; the value is never echoed.
    static let secrets = PlanRule(
        .secretLiteral, .error, "literal secret material in an input"
    ) { context in
        let help =
            "remove it: keep credentials in a Secret created outside git (or an ExternalSecret / SealedSecret) and reference it by name"
        for found in context.index.memo("NBG140.specs", { specSecrets(context.specs) }) {
            context.report(found.message, at: found.location, help: help, subject: found.subject)
        }
        let environment = context.environment
        var settings: [(String, String?, Origin)] = [
            ("delivery.repositoryURL", environment.delivery.repositoryURL.value, environment.delivery.repositoryURL.origin),
            ("images.registry", environment.images.registry.value, environment.images.registry.origin),
            ("images.gitClone", environment.images.gitClone.value, environment.images.gitClone.origin),
        ]
        for mirror in environment.images.mirrors.value {
            settings.append(("images.mirrors", mirror.mirror, environment.images.mirrors.origin))
            settings.append(("images.mirrors", mirror.source, environment.images.mirrors.origin))
        }
        for (field, value, origin) in settings {
            guard let value, let kind = secretKind(value) else { continue }
            context.report(
                "overlay setting \(field) carries \(kind) (\(origin)); secret values must never reach gitops/",
                at: origin.location, help: help, subject: nil)
        }
    }
}
