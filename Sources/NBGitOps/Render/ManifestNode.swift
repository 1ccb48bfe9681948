/// A manifest value as nbgitops builds it: typed, ordered, and rendered exactly once by the
/// libyaml emitter. There is no other way to produce output YAML.
public indirect enum ManifestNode: Sendable, Hashable {
    case string(String)
    case int(Int)
    /// A number kept as written (never re-formatted, so bytes stay stable).
    case float(String)
    case bool(Bool)
    case null
    case map([ManifestEntry])
    case list([ManifestNode])
}

/// One key of a map. Maps keep insertion order here; the renderer imposes the canonical order.
public struct ManifestEntry: Sendable, Hashable {
    public var key: String
    public var value: ManifestNode

    public init(_ key: String, _ value: ManifestNode) {
        self.key = key
        self.value = value
    }
}

extension ManifestNode: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: ManifestNode...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, ManifestNode)...) {
        self = .map(elements.map { ManifestEntry($0.0, $0.1) })
    }
}

extension ManifestNode {
    /// A map from key/value pairs; a later duplicate key replaces the earlier one.
    public static func object(_ entries: [(String, ManifestNode?)]) -> ManifestNode {
        var result: [ManifestEntry] = []
        for (key, value) in entries {
            guard let value else { continue }
            if let index = result.firstIndex(where: { $0.key == key }) {
                result[index].value = value
            } else {
                result.append(ManifestEntry(key, value))
            }
        }
        return .map(result)
    }

    /// A string map (labels, annotations, nodeSelector, data) in key order.
    public static func strings(_ dictionary: [String: String]) -> ManifestNode {
        .map(dictionary.keys.sorted().map { ManifestEntry($0, .string(dictionary[$0] ?? "")) })
    }

    public var entries: [ManifestEntry]? {
        if case .map(let entries) = self { return entries }
        return nil
    }

    public var elements: [ManifestNode]? {
        if case .list(let elements) = self { return elements }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var intValue: Int? {
        if case .int(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var isEmptyCollection: Bool {
        switch self {
        case .map(let entries): return entries.isEmpty
        case .list(let elements): return elements.isEmpty
        default: return false
        }
    }

    /// The value under a key of a map.
    public subscript(key: String) -> ManifestNode? {
        get { entries?.first { $0.key == key }?.value }
        set {
            guard case .map(var entries) = self else { return }
            if let index = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append(ManifestEntry(key, newValue))
            }
            self = .map(entries)
        }
    }

    /// Looks up a dotted path with list indexes, e.g. `spec.template.spec.containers[0].image`.
    /// Keys that contain dots can be written in brackets: `metadata.labels[app.kubernetes.io/name]`.
    public func value(at path: String) -> ManifestNode? {
        // The common case, a plain dotted path, walks the path's bytes without building
        // component strings (rules look up thousands of these per environment).
        let utf8 = path.utf8
        if !utf8.contains(UInt8(ascii: "[")) {
            if !utf8.contains(UInt8(ascii: ".")) { return path.isEmpty ? self : self[path] }
            var current = self
            for key in utf8.split(separator: UInt8(ascii: ".")) {
                // Keys are short: `String` keeps them inline, without allocating.
                guard let next = current[String(Substring(key))] else { return nil }
                current = next
            }
            return current
        }
        var current: ManifestNode? = self
        for component in ManifestPath.components(path) {
            switch component {
            case .key(let key): current = current?[key]
            case .index(let index):
                guard let elements = current?.elements, index >= 0, index < elements.count else { return nil }
                current = elements[index]
            }
        }
        return current
    }
}

/// Parses the dotted paths used by `ManifestNode.value(at:)` and `nbgitops explain`.
public enum ManifestPath {
    public enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    public static func components(_ path: String) -> [Component] {
        var result: [Component] = []
        var current = ""
        var iterator = path.makeIterator()
        while let character = iterator.next() {
            switch character {
            case ".":
                if !current.isEmpty { result.append(.key(current)) }
                current = ""
            case "[":
                if !current.isEmpty { result.append(.key(current)) }
                current = ""
                var inside = ""
                while let next = iterator.next(), next != "]" { inside.append(next) }
                if let index = Int(inside) { result.append(.index(index)) } else { result.append(.key(inside)) }
            default:
                current.append(character)
            }
        }
        if !current.isEmpty { result.append(.key(current)) }
        return result
    }
}
