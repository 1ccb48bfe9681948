/// Checks a YAML tree against a `Schema`, reports every violation at its exact location, and
/// returns the typed value with the schema's defaults applied, plus a map of where each field was.
///
/// Kubernetes semantics are followed where they differ from plain JSON Schema: an explicit
/// `null` is the same as an absent field; defaults fill absent fields of objects that are present.
/// One stricter rule than the API server: an unquoted scalar that YAML 1.1 reads as a bool,
/// number or null where the schema wants a string is an error, not a silent conversion.
public struct SchemaValidator {
    /// Lets a caller replace the generic "unknown field" message for specific fields
    /// (e.g. `hostPath` volumes get their own rule). Return true when it reported something.
    public typealias UnknownFieldHook = (_ path: String, _ key: YAMLNode, _ diagnostics: DiagnosticCollector) -> Bool

    public var diagnostics: DiagnosticCollector
    public var unknownFieldHook: UnknownFieldHook?
    public private(set) var sourceMap = SourceMap()
    /// Words used in messages to name the thing being checked ("NotebookValidationJob").
    public var subject: String

    public init(subject: String, diagnostics: DiagnosticCollector, unknownFieldHook: UnknownFieldHook? = nil) {
        self.subject = subject
        self.diagnostics = diagnostics
        self.unknownFieldHook = unknownFieldHook
    }

    /// Validates `node` at `path` (a dotted path such as `spec`). Returns nil when the value is
    /// unusable (wrong type); other violations are reported and the value is still returned.
    public mutating func validate(_ node: YAMLNode, against schema: Schema, path: String) -> ManifestNode? {
        sourceMap.locations[path] = node.location
        if schema.intOrString {
            switch node.resolvedScalar {
            case .int(let value)?: return checkNumber(Double(value), .int(value), node, schema, path)
            case .string(let text)?: return checkString(text, node, schema, path)
            default:
                typeError(node, expected: "an integer or a string", path: path)
                return nil
            }
        }
        switch schema.type {
        case .object?: return validateObject(node, schema, path)
        case .array?: return validateArray(node, schema, path)
        case .string?:
            guard node.scalar != nil else {
                typeError(node, expected: "a string", path: path)
                return nil
            }
            switch node.resolvedScalar {
            case .string(let text)?: return checkString(text, node, schema, path)
            default:
                let text = node.scalar?.value ?? ""
                diagnostics.error(
                    .ambiguousScalar,
                    "'\(path)' must be a string, but unquoted \(text) is read as \(node.kindDescription) by Kubernetes",
                    at: node.location, help: "quote the value: \"\(text)\"")
                return .string(text)
            }
        case .integer?:
            if case .int(let value)? = node.resolvedScalar {
                return checkNumber(Double(value), .int(value), node, schema, path)
            }
            // Digits that do not fit 64 bits are a number to the reader, not "a string".
            if let scalar = node.scalar, scalar.isPlain, Self.isDecimalInteger(scalar.value) {
                diagnostics.error(
                    .fieldRange, "'\(path)' is out of range: \(scalar.value) does not fit a 64-bit integer",
                    at: node.location, help: "use a value between \(Int.min) and \(Int.max)")
                return nil
            }
            typeError(node, expected: "an integer", path: path)
            return nil
        case .number?:
            switch node.resolvedScalar {
            case .int(let value)?: return checkNumber(Double(value), .int(value), node, schema, path)
            case .float(let text)?: return checkNumber(Double(text) ?? 0, .float(text), node, schema, path)
            default:
                typeError(node, expected: "a number", path: path)
                return nil
            }
        case .boolean?:
            if case .bool(let value)? = node.resolvedScalar { return .bool(value) }
            typeError(node, expected: "a boolean (true or false)", path: path)
            return nil
        case nil:
            // A schema with both `enum` and `properties` (overlay `platform`) takes either one of
            // the names as a scalar or the mapping of its properties.
            if let names = schema.enumValues, !schema.properties.isEmpty, let scalar = node.scalar {
                if case .string(let text)? = node.resolvedScalar, names.contains(text) { return .string(text) }
                diagnostics.error(
                    .fieldEnum, "'\(path)' must be one of \(names.joined(separator: ", ")) or a mapping, found '\(scalar.value)'",
                    at: node.location, help: "write one of: \(names.joined(separator: ", ")); or a mapping of facts")
                return nil
            }
            if !schema.properties.isEmpty { return validateObject(node, schema, path) }
            return ManifestConversion.convert(node)
        }
    }

    /// `[-+]?[0-9]+`: what YAML reads as a decimal integer, whatever its size.
    static func isDecimalInteger(_ text: String) -> Bool {
        let digits =
            text.utf8.first == UInt8(ascii: "-") || text.utf8.first == UInt8(ascii: "+") ? text.utf8.dropFirst() : text.utf8[...]
        return !digits.isEmpty && digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    private func typeError(_ node: YAMLNode, expected: String, path: String) {
        diagnostics.error(
            .fieldType, "'\(path)' must be \(expected), found \(node.kindDescription)", at: node.location,
            help: Self.typeHelp(expected: expected, node: node))
    }

    private static func typeHelp(expected: String, node: YAMLNode) -> String {
        if expected.hasPrefix("a boolean"), let text = node.scalar?.value {
            return "write true or false without quotes (found \"\(text)\")"
        }
        if expected == "a list" { return "write the value as a YAML list (`- item` lines)" }
        if expected == "a mapping" { return "write the value as a mapping of `key: value` lines" }
        return "change the value to \(expected)"
    }

    private mutating func validateObject(_ node: YAMLNode, _ schema: Schema, _ path: String) -> ManifestNode? {
        guard let pairs = node.pairs else {
            typeError(node, expected: "a mapping", path: path)
            return nil
        }
        var entries: [ManifestEntry] = []
        var present = Set<String>()
        var suggested = Set<String>()
        for pair in pairs {
            guard let key = pair.key.scalar?.value else { continue }
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            sourceMap.keyLocations[childPath] = pair.key.location
            let childSchema: Schema
            if let property = schema.properties[key] {
                childSchema = property
            } else if let additional = schema.additionalProperties {
                childSchema = additional
            } else if schema.preservesUnknownFields || (schema.type == nil && schema.properties.isEmpty) {
                sourceMap.locations[childPath] = pair.value.location
                entries.append(ManifestEntry(key, ManifestConversion.convert(pair.value)))
                present.insert(key)
                continue
            } else {
                if let hook = unknownFieldHook, hook(childPath, pair.key, diagnostics) { continue }
                if let suggestion = reportUnknown(key, at: pair.key.location, path: path, known: Array(schema.properties.keys)) {
                    suggested.insert(suggestion)
                }
                continue
            }
            // An explicit null is the same as an absent field.
            if case .null? = pair.value.resolvedScalar { continue }
            present.insert(key)
            if let value = validate(pair.value, against: childSchema, path: childPath) {
                entries.append(ManifestEntry(key, value))
            }
        }
        // A misspelt required field is one mistake: NBG102 ("did you mean 'notebook'?") says it,
        // so no NBG103 for the field it suggests.
        for key in schema.required where !present.contains(key) && !suggested.contains(key) {
            diagnostics.error(
                .fieldRequired, "missing required field '\(key)' in '\(path.isEmpty ? subject : path)'",
                at: node.location, help: Self.requiredHelp(key: key, schema: schema.properties[key]))
        }
        for key in schema.properties.keys.sorted() where !present.contains(key) {
            guard let property = schema.properties[key], let defaultNode = property.defaultValue else { continue }
            entries.append(ManifestEntry(key, ManifestConversion.convert(defaultNode)))
        }
        return .map(entries)
    }

    private static func requiredHelp(key: String, schema: Schema?) -> String {
        guard let schema else { return "add '\(key):'" }
        if let values = schema.enumValues { return "add '\(key):' with one of: \(values.joined(separator: ", "))" }
        switch schema.type {
        case .object?: return "add a '\(key):' mapping"
        case .array?: return "add a '\(key):' list"
        default: return "add '\(key): <value>'"
        }
    }

    /// Reports NBG102; returns the field it suggests instead, if any.
    @discardableResult
    private func reportUnknown(_ key: String, at location: SourceLocation, path: String, known: [String]) -> String? {
        var help = "remove it"
        let suggestion = Suggestions.closest(to: key, in: known)
        if let suggestion {
            help = "did you mean '\(suggestion)'?"
        } else if !known.isEmpty && known.count <= 12 {
            help = "remove it; known fields here: \(known.sorted().joined(separator: ", "))"
        }
        diagnostics.error(
            .fieldUnknown, "unknown field '\(key)' in '\(path.isEmpty ? subject : path)'", at: location, help: help)
        return suggestion
    }

    private mutating func validateArray(_ node: YAMLNode, _ schema: Schema, _ path: String) -> ManifestNode? {
        guard let items = node.items else {
            typeError(node, expected: "a list", path: path)
            return nil
        }
        if let minItems = schema.minItems, items.count < minItems {
            diagnostics.error(
                .fieldRange, "'\(path)' needs at least \(minItems) item(s), found \(items.count)", at: node.location,
                help: "add items to the list")
        }
        if let maxItems = schema.maxItems, items.count > maxItems {
            diagnostics.error(
                .fieldRange, "'\(path)' allows at most \(maxItems) item(s), found \(items.count)", at: node.location,
                help: "remove items from the list")
        }
        var values: [ManifestNode] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            if let itemSchema = schema.items {
                if let value = validate(item, against: itemSchema, path: itemPath) { values.append(value) }
            } else {
                sourceMap.locations[itemPath] = item.location
                values.append(ManifestConversion.convert(item))
            }
        }
        return .list(values)
    }

    private func checkString(_ text: String, _ node: YAMLNode, _ schema: Schema, _ path: String) -> ManifestNode {
        if let values = schema.enumValues, !values.contains(text) {
            let shown = values.map { $0.isEmpty ? "\"\"" : $0 }.joined(separator: ", ")
            var help = "use one of: \(shown)"
            if let suggestion = Suggestions.closest(to: text, in: values.filter { !$0.isEmpty }) {
                help = "did you mean '\(suggestion)'? allowed: \(shown)"
            }
            diagnostics.error(.fieldEnum, "'\(path)' must be one of \(shown), found '\(text)'", at: node.location, help: help)
        }
        if !schema.patternCompiles {
            diagnostics.error(
                .fieldPattern,
                "'\(path)' cannot be checked: the schema's pattern \(schema.pattern ?? "") is not a regular expression nbgitops can compile",
                at: node.location, help: "fix the pattern in the CRD or schema; until then no value is accepted")
        } else if !schema.matchesPattern(text) {
            diagnostics.error(
                .fieldPattern, "'\(path)' value '\(Self.shortened(text))' does not match the pattern \(schema.pattern ?? "")",
                at: node.location, help: Self.patternHelp(path: path, pattern: schema.pattern))
        }
        let length = text.count
        if let minLength = schema.minLength, length < minLength {
            diagnostics.error(
                .fieldRange, "'\(path)' must be at least \(minLength) characters long", at: node.location,
                help: "lengthen the value")
        }
        if let maxLength = schema.maxLength, length > maxLength {
            diagnostics.error(
                .fieldRange, "'\(path)' must be at most \(maxLength) characters long, found \(length)",
                at: node.location, help: "shorten the value")
        }
        return .string(text)
    }

    private static func shortened(_ text: String) -> String {
        text.count > 80 ? String(text.prefix(77)) + "..." : text
    }

    private static func patternHelp(path: String, pattern: String?) -> String {
        if path.hasSuffix(".url") { return "use an https://, http://, ssh://, git:// or git@host:path URL" }
        if path.hasSuffix(".path") && pattern?.contains("ipynb") == true { return "point at a notebook file ending in .ipynb" }
        if path.hasSuffix("timeout") { return "write a duration such as 30m, 1h30m or 90s" }
        if path.hasSuffix("sizeLimit") { return "write a quantity such as 10Gi or 500Mi" }
        if path.hasSuffix(".mountPath") { return "mount paths must be absolute (start with /)" }
        if path.hasSuffix(".name") { return "use lowercase letters, digits and '-', starting and ending with a letter or digit" }
        return "change the value to match \(pattern ?? "the pattern")"
    }

    private func checkNumber(_ value: Double, _ result: ManifestNode, _ node: YAMLNode, _ schema: Schema, _ path: String)
        -> ManifestNode
    {
        if let minimum = schema.minimum, value < minimum {
            diagnostics.error(
                .fieldRange, "'\(path)' must be at least \(Self.format(minimum)), found \(node.scalar?.value ?? "")",
                at: node.location,
                help: "use a value from \(Self.format(minimum))\(schema.maximum.map { " to \(Self.format($0))" } ?? " up")")
        }
        if let maximum = schema.maximum, value > maximum {
            diagnostics.error(
                .fieldRange, "'\(path)' must be at most \(Self.format(maximum)), found \(node.scalar?.value ?? "")",
                at: node.location,
                help: maximum == 511 ? "file modes are 0 to 0777 (511); write octal as 0644 or 0o644" : "use a smaller value")
        }
        if let values = schema.enumValues, let text = node.scalar?.value, !values.contains(text) {
            diagnostics.error(
                .fieldEnum, "'\(path)' must be one of \(values.joined(separator: ", "))", at: node.location,
                help: "use an allowed value")
        }
        return result
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// YAML trees → manifest values, resolving plain scalars the way Kubernetes does.
public enum ManifestConversion {
    public static func convert(_ node: YAMLNode) -> ManifestNode {
        switch node.content {
        case .mapping(let pairs):
            return .map(pairs.map { ManifestEntry($0.key.scalar?.value ?? "", convert($0.value)) })
        case .sequence(let items):
            return .list(items.map(convert))
        case .scalar:
            switch node.resolvedScalar {
            case .string(let text)?: return .string(text)
            case .bool(let value)?: return .bool(value)
            case .int(let value)?: return .int(value)
            case .float(let text)?: return .float(text)
            case .null?, nil: return .null
            }
        }
    }
}

/// "Did you mean" suggestions by edit distance.
public enum Suggestions {
    public static func closest(to word: String, in candidates: [String]) -> String? {
        let lowered = word.lowercased()
        if let exact = candidates.first(where: { $0.lowercased() == lowered }) { return exact }
        var best: (String, Int)?
        for candidate in candidates.sorted() {
            let distance = editDistance(lowered, candidate.lowercased())
            if best == nil || distance < best?.1 ?? Int.max { best = (candidate, distance) }
        }
        guard let (candidate, distance) = best else { return nil }
        let allowed = max(2, min(word.count, candidate.count) / 3)
        return distance <= allowed ? candidate : nil
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
