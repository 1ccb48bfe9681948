import Foundation

/// The escape hatches of one environment, in overlay order: extra labels and annotations by
/// selector (`metadata`) and structured patches (`patches`, kustomize's field shape). Loaded
/// in the Resolve stage with their marks; applied by `PlanPatcher` between Plan and Check, so
/// the rules see the patched objects.
public struct PatchSet: Sendable {
    public var metadata: [MetadataRule] = []
    public var patches: [ObjectPatch] = []

    public init() {}

    public var isEmpty: Bool { metadata.isEmpty && patches.isEmpty }
}

/// Which objects a metadata rule or a patch applies to: kustomize's `Selector` (group, version,
/// kind, name and namespace as anchored regular expressions; label and annotation selectors as
/// Kubernetes label-selector expressions). Every field given must match.
public struct ObjectSelector: Sendable {
    public var group: String?
    public var version: String?
    public var kind: String?
    public var name: String?
    public var namespace: String?
    public var labelSelector: LabelSelector?
    public var annotationSelector: LabelSelector?
    /// Where the selector was written.
    public var location: SourceLocation

    public init(location: SourceLocation) { self.location = location }

    /// The selector as a user would read it ("kind InferenceService, name churn").
    public var summary: String {
        let parts: [(String, String?)] = [
            ("group", group), ("version", version), ("kind", kind), ("name", name), ("namespace", namespace),
            ("labelSelector", labelSelector?.text), ("annotationSelector", annotationSelector?.text),
        ]
        let given = parts.compactMap { field, value in value.map { "\(field) \($0)" } }
        return given.isEmpty ? "every object" : given.joined(separator: ", ")
    }
}

/// Labels and annotations an overlay adds to the objects `select` picks.
public struct MetadataRule: Sendable {
    public var select: ObjectSelector
    public var labels: [(key: String, value: String, location: SourceLocation)]
    public var annotations: [(key: String, value: String, location: SourceLocation)]
    /// The overlay that declared it.
    public var overlay: String
    /// The list item (`- select: …`).
    public var location: SourceLocation
}

/// One JSON 6902 operation (RFC 6902), its paths parsed as RFC 6901 pointers.
public struct JSONPatchOperation: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case add, remove, replace, move, copy, test
    }

    public var op: Kind
    public var path: [String]
    public var pathText: String
    public var from: [String]?
    public var value: YAMLNode?
    /// The operation's list item.
    public var location: SourceLocation
}

/// A patch's content.
public enum PatchBody: Sendable {
    /// A strategic-merge patch: a partial object merged into each target.
    case strategicMerge(YAMLNode)
    /// A JSON 6902 patch: operations applied in order.
    case json6902([JSONPatchOperation])
}

/// One entry of an overlay's `patches`.
public struct ObjectPatch: Sendable {
    /// Which objects it applies to: `target`, or for a strategic-merge patch without one, the
    /// object the patch names itself (`kind`, `metadata.name`, optionally `apiVersion` and
    /// `metadata.namespace`).
    public var target: ObjectSelector
    public var body: PatchBody
    /// The overlay that declared it.
    public var overlay: String
    /// The list item (`- target: …`).
    public var location: SourceLocation
    /// Where the patch's content starts (the patch file, or the inline `patch:` value).
    public var contentLocation: SourceLocation
}

/// A Kubernetes label-selector expression (`app=x,tier!=y,env in (a,b),!legacy`), as
/// kustomize's `labelSelector` and `annotationSelector` take it.
public struct LabelSelector: Sendable {
    public enum Requirement: Sendable, Hashable {
        case exists(String)
        case absent(String)
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, [String])
        case notIn(String, [String])
    }

    public var text: String
    public var requirements: [Requirement]

    /// Parses `text`; nil (with the reason) when it is not a selector expression.
    public static func parse(_ text: String) -> (LabelSelector?, String?) {
        var terms: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == ",", depth == 0 {
                terms.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        terms.append(current)
        var requirements: [Requirement] = []
        func valid(_ key: String) -> Bool {
            !key.isEmpty && key.allSatisfy { $0.isLetter || $0.isNumber || "-_./".contains($0) }
        }
        for raw in terms {
            let term = raw.trimmingCharacters(in: .whitespaces)
            if term.isEmpty { return (nil, "an empty requirement") }
            if let (word, negated) = [(" notin ", true), (" in ", false)].first(where: { term.contains($0.0) }),
                let range = term.range(of: word)
            {
                let key = term[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let rest = term[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard valid(key), rest.hasPrefix("("), rest.hasSuffix(")") else {
                    return (nil, "'\(term)' is not KEY\(word)(VALUE, …)")
                }
                let values = rest.dropFirst().dropLast().split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                requirements.append(negated ? .notIn(key, values) : .isIn(key, values))
                continue
            }
            if term.hasPrefix("!") {
                let key = String(term.dropFirst()).trimmingCharacters(in: .whitespaces)
                guard valid(key) else { return (nil, "'\(term)' names no key") }
                requirements.append(.absent(key))
            } else if let range = term.range(of: "!=") {
                let key = term[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                guard valid(key) else { return (nil, "'\(term)' names no key") }
                requirements.append(.notEquals(key, term[range.upperBound...].trimmingCharacters(in: .whitespaces)))
            } else if let range = term.range(of: "==") ?? term.range(of: "=") {
                let key = term[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                guard valid(key) else { return (nil, "'\(term)' names no key") }
                requirements.append(.equals(key, term[range.upperBound...].trimmingCharacters(in: .whitespaces)))
            } else {
                guard valid(term) else { return (nil, "'\(term)' is not a key") }
                requirements.append(.exists(term))
            }
        }
        return (LabelSelector(text: text, requirements: requirements), nil)
    }

    /// Whether `labels` satisfy every requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .exists(let key): return labels[key] != nil
            case .absent(let key): return labels[key] == nil
            case .equals(let key, let value): return labels[key] == value
            case .notEquals(let key, let value): return labels[key] != value
            case .isIn(let key, let values): return labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): return !(labels[key].map(values.contains) ?? false)
            }
        }
    }
}
