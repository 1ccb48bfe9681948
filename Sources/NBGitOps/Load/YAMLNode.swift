/// How a scalar was written. Only plain scalars are subject to type resolution;
/// a quoted `"yes"` is always the string yes.
public enum ScalarStyle: Sendable, Hashable {
    case plain
    case singleQuoted
    case doubleQuoted
    case literal
    case folded
}

/// A YAML scalar with its original text.
public struct YAMLScalar: Sendable, Hashable {
    public var value: String
    public var style: ScalarStyle

    public init(_ value: String, style: ScalarStyle = .plain) {
        self.value = value
        self.style = style
    }

    public var isPlain: Bool { style == .plain }
}

/// One key/value entry of a mapping, in source order.
public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode
}

/// The loaded YAML tree: every node knows the file, line and column it came from,
/// so every later stage can point a diagnostic at the exact place in the input.
public struct YAMLNode: Sendable {
    public enum Content: Sendable {
        case scalar(YAMLScalar)
        case mapping([YAMLPair])
        case sequence([YAMLNode])
    }

    public var content: Content
    public var location: SourceLocation
    /// An explicit core tag such as `tag:yaml.org,2002:str`, or nil.
    public var tag: String?

    public init(_ content: Content, at location: SourceLocation, tag: String? = nil) {
        self.content = content
        self.location = location
        self.tag = tag
    }

    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    public var pairs: [YAMLPair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    public var items: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    /// The value under a scalar key of a mapping.
    public subscript(key: String) -> YAMLNode? {
        guard let pairs else { return nil }
        return pairs.first { $0.key.scalar?.value == key }?.value
    }

    /// The pair (key node and value) under a key, for diagnostics that point at the key.
    public func pair(_ key: String) -> YAMLPair? {
        pairs?.first { $0.key.scalar?.value == key }
    }

    /// The resolved meaning of this node if it is a scalar, honouring explicit tags.
    public var resolvedScalar: ResolvedScalar? {
        guard let scalar else { return nil }
        switch tag {
        case "tag:yaml.org,2002:str": return .string(scalar.value)
        case nil where !scalar.isPlain: return .string(scalar.value)
        default: return ScalarResolver.resolve(scalar.value)
        }
    }

    /// A short name of the node's YAML type for messages ("a mapping", "a list", "a string").
    public var kindDescription: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar:
            switch resolvedScalar {
            case .string?, nil: return "a string"
            case .bool?: return "a boolean"
            case .int?: return "an integer"
            case .float?: return "a number"
            case .null?: return "null"
            }
        }
    }
}

/// One document of a YAML stream.
public struct YAMLDocument: Sendable {
    public var file: String
    /// 0-based position of the document in its file.
    public var index: Int
    public var root: YAMLNode
}
