/// A value with the place in the input that set it.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

extension Located: Equatable where Value: Equatable {}
extension Located: Hashable where Value: Hashable {}

/// Where a resolved setting came from: a spec, an overlay, or nbgitops' own default.
public enum Origin: Sendable, Hashable, CustomStringConvertible {
    /// Set in a spec file.
    case spec(SourceLocation)
    /// Set (or overridden) by an overlay file.
    case overlay(name: String, SourceLocation)
    /// nbgitops' built-in default, with the reason it is the default.
    case builtinDefault(String)

    public var location: SourceLocation? {
        switch self {
        case .spec(let location), .overlay(_, let location): return location
        case .builtinDefault: return nil
        }
    }

    public var description: String {
        switch self {
        case .spec(let location): return "set in spec \(location)"
        case .overlay(let name, let location): return "set by overlay '\(name)' at \(location)"
        case .builtinDefault(let why): return "built-in default (\(why))"
        }
    }
}

/// A resolved value that remembers which file and line set it (or that it is a default).
public struct Traced<Value: Sendable>: Sendable {
    public var value: Value
    public var origin: Origin

    public init(_ value: Value, _ origin: Origin) {
        self.value = value
        self.origin = origin
    }

    public static func byDefault(_ value: Value, _ why: String) -> Traced<Value> {
        Traced(value, .builtinDefault(why))
    }
}

extension Traced: Equatable where Value: Equatable {}
extension Traced: Hashable where Value: Hashable {}

/// Locations of every field of a decoded document, keyed by dotted path
/// (`spec.podConfig.volumes[0].name`). Later stages use it to point diagnostics at the input.
public struct SourceMap: Sendable {
    public var locations: [String: SourceLocation] = [:]
    /// Locations of keys (where the `name:` text starts), for "unknown field" style messages.
    public var keyLocations: [String: SourceLocation] = [:]

    public init() {}

    public subscript(path: String) -> SourceLocation? { locations[path] }

    /// The path component for a map key: `.key`, or `[key]` when the key holds `.`, `/` or `[`
    /// (annotation and label keys), so such keys stay one component.
    public static func component(_ key: String) -> String {
        key.contains(where: { $0 == "." || $0 == "/" || $0 == "[" }) ? "[\(key)]" : ".\(key)"
    }

    /// Records every value (and key) of a YAML tree under its dotted path, the way the
    /// schema validator does for specs.
    public static func of(_ node: YAMLNode) -> SourceMap {
        var map = SourceMap()
        func walk(_ node: YAMLNode, _ path: String) {
            if !path.isEmpty { map.locations[path] = node.location }
            switch node.content {
            case .scalar: return
            case .mapping(let pairs):
                for pair in pairs {
                    guard let key = pair.key.scalar?.value else { continue }
                    let child = path.isEmpty ? key : path + component(key)
                    map.keyLocations[child] = pair.key.location
                    walk(pair.value, child)
                }
            case .sequence(let items):
                for (index, item) in items.enumerated() { walk(item, "\(path)[\(index)]") }
            }
        }
        walk(node, "")
        return map
    }

    /// The location of `path`, or of the nearest ancestor that has one.
    public func nearest(_ path: String) -> SourceLocation? {
        var candidate = path
        while true {
            if let location = locations[candidate] { return location }
            guard let cut = candidate.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            candidate = String(candidate[..<cut])
        }
    }
}
