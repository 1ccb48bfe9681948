import Foundation

/// A structural schema in the OpenAPI v3 subset Kubernetes CRDs use: types, properties,
/// required, items, additionalProperties, enum, pattern, bounds, defaults,
/// `x-kubernetes-preserve-unknown-fields` and `x-kubernetes-int-or-string`.
///
/// The operator's CRD schema is loaded into this form and drives decoding, so every field and
/// constraint of the CRD is honoured without being copied by hand. Immutable once built.
public final class Schema: @unchecked Sendable {
    public enum ValueType: String, Sendable {
        case object, array, string, integer, number, boolean
    }

    public let type: ValueType?
    public let properties: [String: Schema]
    public let required: [String]
    public let items: Schema?
    /// A schema for keys not listed in `properties` (maps such as labels or resource lists).
    public let additionalProperties: Schema?
    public let enumValues: [String]?
    public let pattern: String?
    public let minimum: Double?
    public let maximum: Double?
    public let minLength: Int?
    public let maxLength: Int?
    public let minItems: Int?
    public let maxItems: Int?
    public let defaultValue: YAMLNode?
    public let preservesUnknownFields: Bool
    public let intOrString: Bool
    public let description: String?
    private let compiledPattern: NSRegularExpression?

    init(
        type: ValueType?, properties: [String: Schema], required: [String], items: Schema?,
        additionalProperties: Schema?, enumValues: [String]?, pattern: String?, minimum: Double?, maximum: Double?,
        minLength: Int?, maxLength: Int?, minItems: Int?, maxItems: Int?, defaultValue: YAMLNode?,
        preservesUnknownFields: Bool, intOrString: Bool, description: String?
    ) {
        self.type = type
        self.properties = properties
        self.required = required
        self.items = items
        self.additionalProperties = additionalProperties
        self.enumValues = enumValues
        self.pattern = pattern
        self.minimum = minimum
        self.maximum = maximum
        self.minLength = minLength
        self.maxLength = maxLength
        self.minItems = minItems
        self.maxItems = maxItems
        self.defaultValue = defaultValue
        self.preservesUnknownFields = preservesUnknownFields
        self.intOrString = intOrString
        self.description = description
        self.compiledPattern = pattern.flatMap { try? NSRegularExpression(pattern: $0) }
    }

    /// The same schema without its `enum` (the mapping form of a name-or-mapping schema).
    var withoutEnum: Schema {
        Schema(
            type: type, properties: properties, required: required, items: items,
            additionalProperties: additionalProperties, enumValues: nil, pattern: pattern, minimum: minimum,
            maximum: maximum, minLength: minLength, maxLength: maxLength, minItems: minItems, maxItems: maxItems,
            defaultValue: defaultValue, preservesUnknownFields: preservesUnknownFields, intOrString: intOrString,
            description: description)
    }

    /// Whether the schema's pattern, if any, is a regular expression NSRegularExpression accepts.
    public var patternCompiles: Bool { pattern == nil || compiledPattern != nil }

    /// Whether `text` matches the schema's pattern (true when there is none). A pattern that
    /// does not compile matches nothing: fail closed (the validator reports it, and a test
    /// compiles every bundled pattern).
    public func matchesPattern(_ text: String) -> Bool {
        guard pattern != nil else { return true }
        guard let compiledPattern else { return false }
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        return compiledPattern.firstMatch(in: text, options: [], range: range) != nil
    }

    /// Builds a schema from a YAML `openAPIV3Schema` node.
    public static func parse(_ node: YAMLNode) -> Schema {
        func string(_ key: String) -> String? { node[key]?.scalar?.value }
        func number(_ key: String) -> Double? { string(key).flatMap(Double.init) }
        func integer(_ key: String) -> Int? { string(key).flatMap { Int($0) } }
        func flag(_ key: String) -> Bool { string(key) == "true" }

        var properties: [String: Schema] = [:]
        for pair in node["properties"]?.pairs ?? [] {
            if let key = pair.key.scalar?.value { properties[key] = parse(pair.value) }
        }
        var additional: Schema?
        if let additionalNode = node["additionalProperties"], additionalNode.pairs != nil {
            additional = parse(additionalNode)
        }
        var intOrString = flag("x-kubernetes-int-or-string")
        if let anyOf = node["anyOf"]?.items {
            let types = Set(anyOf.compactMap { $0["type"]?.scalar?.value })
            if types == ["integer", "string"] { intOrString = true }
        }
        return Schema(
            type: string("type").flatMap(ValueType.init(rawValue:)),
            properties: properties,
            required: node["required"]?.items?.compactMap { $0.scalar?.value } ?? [],
            items: node["items"].map(parse),
            additionalProperties: additional,
            enumValues: node["enum"]?.items?.compactMap { $0.scalar?.value },
            pattern: string("pattern"),
            minimum: number("minimum"),
            maximum: number("maximum"),
            minLength: integer("minLength"),
            maxLength: integer("maxLength"),
            minItems: integer("minItems"),
            maxItems: integer("maxItems"),
            defaultValue: node["default"],
            preservesUnknownFields: flag("x-kubernetes-preserve-unknown-fields"),
            intOrString: intOrString,
            description: string("description")
        )
    }
}
