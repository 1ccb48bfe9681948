/// Leaf paths of a manifest, for field-level comparison and `explain` listings.
///
/// Paths use the syntax `ManifestNode.value(at:)` reads: `spec.template.spec.containers[0].image`,
/// with keys holding `.`, `[` or `]` in brackets (`metadata.labels[app.kubernetes.io/name]`).
/// Empty maps and lists are leaves. Order: the canonical key order of the rendered YAML.
public enum ManifestFlattening {
    /// `namingListElements`: a list whose elements are all maps with distinct string `name`s
    /// is walked by name (`containers[validate].image`), for review output where a reordering
    /// is no change; such paths are for display, not for `ManifestNode.value(at:)`.
    public static func leaves(_ node: ManifestNode, namingListElements: Bool = false) -> [(
        path: String, value: ManifestNode
    )] {
        var result: [(String, ManifestNode)] = []
        walk(node, path: "", naming: namingListElements, into: &result)
        return result
    }

    public static func join(_ path: String, key: String) -> String {
        let needsBrackets = key.contains(".") || key.contains("[") || key.contains("]") || key.isEmpty
        if needsBrackets { return "\(path)[\(key)]" }
        return path.isEmpty ? key : "\(path).\(key)"
    }

    private static func walk(
        _ node: ManifestNode, path: String, naming: Bool, into result: inout [(String, ManifestNode)]
    ) {
        switch node {
        case .map(let entries) where !entries.isEmpty:
            for entry in ManifestRenderer.canonicalOrder(entries) {
                walk(entry.value, path: join(path, key: entry.key), naming: naming, into: &result)
            }
        case .list(let elements) where !elements.isEmpty:
            if naming, let names = elementNames(elements) {
                for (name, element) in zip(names, elements) {
                    walk(element, path: "\(path)[\(name)]", naming: naming, into: &result)
                }
                return
            }
            for (index, element) in elements.enumerated() {
                walk(element, path: "\(path)[\(index)]", naming: naming, into: &result)
            }
        default:
            result.append((path, node))
        }
    }

    /// The `name` of every element, when all are maps with distinct, non-numeric string names.
    static func elementNames(_ elements: [ManifestNode]) -> [String]? {
        var names: [String] = []
        for element in elements {
            guard case .map(let entries) = element,
                case .string(let name)? = entries.first(where: { $0.key == "name" })?.value,
                !name.isEmpty, Int(name) == nil, !name.contains("]"), !names.contains(name)
            else { return nil }
            names.append(name)
        }
        return names
    }

    /// A value on one line: strings JSON-quoted (a multi-line string shows its first line and
    /// its line count), numbers and booleans as written, collections by size.
    /// `expandingSmallMaps`: a map of at most four scalar values is shown whole
    /// (`{cpu: "1", memory: "2Gi"}`) instead of by its size.
    public static func inline(_ node: ManifestNode?, expandingSmallMaps: Bool = false) -> String {
        guard let node else { return "(absent)" }
        if expandingSmallMaps, case .map(let entries) = node, !entries.isEmpty, entries.count <= 4,
            entries.allSatisfy({ !$0.value.isCollection })
        {
            let shown = ManifestRenderer.canonicalOrder(entries).map { "\($0.key): \(inline($0.value))" }
            return "{" + shown.joined(separator: ", ") + "}"
        }
        switch node {
        case .string(let text):
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.count > 2 || (lines.count == 2 && !lines[1].isEmpty) {
                return quoted(String(lines[0])) + " … (\(text.hasSuffix("\n") ? lines.count - 1 : lines.count) lines)"
            }
            return quoted(text)
        case .int(let value): return String(value)
        case .float(let text): return text
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .map(let entries): return entries.isEmpty ? "{}" : "{\(entries.count) keys}"
        case .list(let elements): return elements.isEmpty ? "[]" : "[\(elements.count) items]"
        }
    }

    static func quoted(_ text: String) -> String { CanonicalJSON.quoted(text) }
}

extension ManifestNode {
    /// A map or a list (of any size).
    fileprivate var isCollection: Bool {
        switch self {
        case .map, .list: return true
        default: return false
        }
    }
}
