import Foundation

/// What the rules need to know about one planned object's strings and Secret references, read
/// from its manifest in a single walk.
///
/// Several rules used to walk every node of every object of the plan, each on its own (the
/// Secret references of NBG129, the secret material of NBG140, the token exposures of NBG288),
/// building path strings as they went. `PlanFacts` walks each object once, in parallel over the
/// objects, and keeps only what a rule can act on: the few strings that may be findings, each
/// with its path, and every Secret the object names. Rules read these facts; none walks the
/// tree again.
struct ObjectFacts: Sendable {
    /// One place an object names a Secret it needs (`optional: true` ones are left out).
    struct SecretReference: Sendable, Equatable {
        var name: String
        /// Manifest path of the field holding the name (`spec.template.spec.volumes[0].secret.secretName`).
        var path: String
    }

    /// One string of the object that holds secret material (never echoed in messages).
    struct SecretString: Sendable {
        /// Manifest path (`spec.template.spec.containers[0].env[1].value`).
        var path: String
        /// What it holds ("a GitHub token").
        var kind: String
        var text: String
    }

    /// One string of the object that names a Hugging Face token variable or token Secret, or
    /// passes a build argument.
    struct TokenString: Sendable {
        var path: String
        var text: String
    }

    /// Every required Secret reference, in document order: volumes (`secret.secretName`),
    /// projected sources and Tekton workspaces (`secret.name`), `envFrom.secretRef`,
    /// `env.valueFrom.secretKeyRef`, `imagePullSecrets`, a ServiceAccount's `secrets`, and
    /// BuildConfig `pushSecret` / `pullSecret` / `sourceSecret`. Empty for a Secret or a
    /// ConfigMap (their data hold no references); `metadata` is not read.
    var secretReferences: [SecretReference] = []
    /// Every string holding secret material (`PlatformRules.secretKind`; an env entry's
    /// `value` is judged under the entry's `name`), metadata included.
    var secretStrings: [SecretString] = []
    /// Every string that may expose a Hugging Face token (`ModelCarRules.isTokenCandidate`).
    var tokenStrings: [TokenString] = []

    /// The facts of one object. `tokenSecrets`: the Secret names ModelPipelines read a
    /// Hugging Face token from.
    static func read(_ object: PlannedObject, tokenSecrets: Set<String>, memo: SecretKindMemo = SecretKindMemo())
        -> ObjectFacts
    {
        var reader = Reader(
            tokenSecrets: tokenSecrets, memo: memo, readsReferences: object.kind != "Secret" && object.kind != "ConfigMap",
            isServiceAccount: object.kind == "ServiceAccount")
        reader.walk(object.manifest, key: nil)
        return reader.facts
    }

    /// The walk: a stack of path steps, turned into a path string only for a fact kept.
    private struct Reader {
        enum Step {
            case key(String)
            case index(Int)
        }

        let tokenSecrets: Set<String>
        let memo: SecretKindMemo
        let readsReferences: Bool
        let isServiceAccount: Bool
        var steps: [Step] = []
        /// Inside the root `metadata` (no Secret references are read there).
        var inRootMetadata = false
        var facts = ObjectFacts()

        init(tokenSecrets: Set<String>, memo: SecretKindMemo, readsReferences: Bool, isServiceAccount: Bool) {
            self.tokenSecrets = tokenSecrets
            self.memo = memo
            self.readsReferences = readsReferences
            self.isServiceAccount = isServiceAccount
        }

        /// The path of the current node (`a.b[0].c`; a key holding `.`, `/` or `[` in brackets),
        /// as the source maps and provenance tables spell it.
        func path() -> String {
            var text = ""
            for step in steps {
                switch step {
                case .key(let key): text = text.isEmpty ? key : text + SourceMap.component(key)
                case .index(let index): text += "[\(index)]"
                }
            }
            return text
        }

        /// The path of the current node followed by `extra`, spelled as reference paths have
        /// always been (`ManifestFlattening.join`).
        func referencePath(_ extra: [Step]) -> String {
            var text = ""
            for step in steps + extra {
                switch step {
                case .key(let key): text = ManifestFlattening.join(text, key: key)
                case .index(let index): text += "[\(index)]"
                }
            }
            return text
        }

        mutating func reference(_ node: ManifestNode?, key: String, at extra: [Step]) {
            guard let node, node["optional"] != .bool(true), let name = node[key]?.stringValue, !name.isEmpty else {
                return
            }
            facts.secretReferences.append(SecretReference(name: name, path: referencePath(extra + [.key(key)])))
        }

        /// Secret references held directly under the map entry `key`.
        mutating func references(under key: String, value: ManifestNode, atRoot: Bool) {
            switch key {
            case "secret":
                // A volume's `secretName`, or a projected source's / Tekton workspace's name.
                if value["secretName"] != nil {
                    reference(value, key: "secretName", at: [.key(key)])
                } else {
                    reference(value, key: "name", at: [.key(key)])
                }
            case "secretRef", "secretKeyRef", "pushSecret", "pullSecret", "sourceSecret":
                reference(value, key: "name", at: [.key(key)])
            case "imagePullSecrets":
                for (index, element) in (value.elements ?? []).enumerated() {
                    reference(element, key: "name", at: [.key(key), .index(index)])
                }
            case "secrets" where atRoot && isServiceAccount:
                for (index, element) in (value.elements ?? []).enumerated() {
                    reference(element, key: "name", at: [.key(key), .index(index)])
                }
            default:
                break
            }
        }

        mutating func string(_ text: String, key: String?) {
            // `PlatformRules.secretKind`, with the pattern match looked up in the memo.
            let secretKind: String?
            if key == PlatformRules.lastAppliedKey, let kind = PlatformRules.lastAppliedSecret(text) {
                secretKind = kind
            } else if let kind = memo.kind(of: text) {
                secretKind = kind
            } else if let key {
                secretKind = SecretPatterns.kind(ofValue: text, underKey: key)
            } else {
                secretKind = nil
            }
            let token = ModelCarRules.isTokenCandidate(text, tokenSecrets: tokenSecrets)
            guard secretKind != nil || token else { return }
            let path = path()
            if let secretKind { facts.secretStrings.append(SecretString(path: path, kind: secretKind, text: text)) }
            if token { facts.tokenStrings.append(TokenString(path: path, text: text)) }
        }

        /// `key`: the key the node is held under (a list item's is its list's; an env entry's
        /// `value` is held under the entry's `name`).
        mutating func walk(_ node: ManifestNode, key: String?) {
            switch node {
            case .string(let text):
                string(text, key: key)
            case .map(let entries):
                let atRoot = steps.isEmpty
                var envName: String?
                if entries.contains(where: { $0.key == "value" }), case .string(let name)? = node["name"] {
                    envName = name
                }
                for entry in entries {
                    let metadata = atRoot && entry.key == "metadata"
                    if readsReferences && !inRootMetadata && !metadata {
                        references(under: entry.key, value: entry.value, atRoot: atRoot)
                    }
                    if metadata { inRootMetadata = true }
                    steps.append(.key(entry.key))
                    walk(entry.value, key: entry.key == "value" ? (envName ?? entry.key) : entry.key)
                    steps.removeLast()
                    if metadata { inRootMetadata = false }
                }
            case .list(let items):
                for (index, item) in items.enumerated() {
                    steps.append(.index(index))
                    walk(item, key: key)
                    steps.removeLast()
                }
            default:
                return
            }
        }
    }
}

/// `SecretPatterns.kind(of:)` remembered per string for one environment's plan: the strings
/// whose bytes name a pattern's marker (a script mentioning a "token", a "secret" or a "key")
/// repeat in every job's objects, and each would otherwise run the regular expressions again.
/// Shared by the threads reading objects.
final class SecretKindMemo: @unchecked Sendable {
    private let lock = NSLock()
    private var kinds: [String: String?] = [:]

    func kind(of text: String) -> String? {
        // Most strings name no marker: no regular expression runs for them, nothing is stored.
        guard SecretPatterns.candidatePatterns(text) != 0 else { return nil }
        lock.lock()
        let known = kinds[text]
        lock.unlock()
        if let known { return known }
        let kind = SecretPatterns.kind(of: text)
        lock.lock()
        kinds[text] = .some(kind)
        lock.unlock()
        return kind
    }
}
