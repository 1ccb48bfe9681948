import Foundation

/// JSON 6902 patches (RFC 6902) with RFC 6901 pointers, on the typed manifest tree: add,
/// remove, replace, move, copy and test, applied in order; the first operation that cannot
/// apply (a missing parent or member, an index out of range, a failed test) stops the patch
/// for that object with a located error (NBG147).
enum JSONPatch {
    static func apply(_ operations: [JSONPatchOperation], to object: ManifestNode, recorder: inout PatchRecorder) throws
        -> ManifestNode?
    {
        var document = object
        for operation in operations {
            let rule = "JSON 6902 patch (\(operation.op.rawValue) \(operation.pathText))"
            switch operation.op {
            case .add, .replace:
                let value = ManifestConversion.convert(
                    operation.value ?? YAMLNode(.scalar(YAMLScalar("")), at: operation.location))
                let placed = try place(value, at: operation.path, in: &document, replacing: operation.op == .replace, operation)
                recorder.recordTree(placed, value: value, node: operation.value, fallback: operation.location, rule: rule)
            case .remove:
                let (_, path) = try remove(operation.path, from: &document, operation)
                recorder.removed[path] = operation.location
            case .move:
                let from = operation.from ?? []
                if operation.path.count > from.count, Array(operation.path.prefix(from.count)) == from {
                    throw PatchFailure(
                        message: "a move into its own child is impossible", at: operation.location,
                        help: "move to a path outside the one moved")
                }
                let (value, source) = try remove(from, from: &document, operation)
                recorder.removed[source] = operation.location
                let placed = try place(value, at: operation.path, in: &document, replacing: false, operation)
                recorder.recordTree(placed, value: value, node: nil, fallback: operation.location, rule: rule)
            case .copy:
                let value = try lookup(operation.from ?? [], in: document, operation)
                let placed = try place(value, at: operation.path, in: &document, replacing: false, operation)
                recorder.recordTree(placed, value: value, node: nil, fallback: operation.location, rule: rule)
            case .test:
                let found = try lookup(operation.path, in: document, operation)
                let expected = ManifestConversion.convert(
                    operation.value ?? YAMLNode(.scalar(YAMLScalar("")), at: operation.location))
                guard found == expected else {
                    throw PatchFailure(
                        message: "test failed: '\(operation.pathText)' does not hold the value the patch expects",
                        at: operation.value?.location ?? operation.location,
                        help: "the patch was written for other output: check the rendered object and update the test")
                }
            }
        }
        return document
    }

    /// The value at `pointer`.
    private static func lookup(_ pointer: [String], in document: ManifestNode, _ operation: JSONPatchOperation) throws
        -> ManifestNode
    {
        var current = document
        for token in pointer {
            switch current {
            case .map:
                guard let next = current[token] else { throw missing(token, operation) }
                current = next
            case .list(let elements):
                guard let index = Int(token), index >= 0, index < elements.count else { throw missing(token, operation) }
                current = elements[index]
            default: throw missing(token, operation)
            }
        }
        return current
    }

    /// Puts `value` at `pointer` (add: a new member, an insertion, or `-` appending; replace:
    /// an existing member only). Returns the manifest path of the placed value.
    private static func place(
        _ value: ManifestNode, at pointer: [String], in document: inout ManifestNode, replacing: Bool,
        _ operation: JSONPatchOperation
    ) throws -> String {
        guard let last = pointer.last else {
            throw PatchFailure(
                message: "a patch cannot replace the whole object", at: operation.location,
                help: "patch the fields to change, e.g. /metadata/annotations/KEY")
        }
        var path = ""
        var suffix = ""
        try modify(Array(pointer.dropLast()), in: &document, path: &path, operation) { parent in
            switch parent {
            case .map(var entries):
                if let index = entries.firstIndex(where: { $0.key == last }) {
                    entries[index].value = value
                } else {
                    if replacing { throw missing(last, operation) }
                    entries.append(ManifestEntry(last, value))
                }
                parent = .map(entries)
                suffix = SourceMap.component(last)
            case .list(var elements):
                let index: Int
                if last == "-", !replacing {
                    index = elements.count
                } else {
                    guard let number = Int(last), number >= 0, number <= elements.count - (replacing ? 1 : 0) else {
                        throw missing(last, operation)
                    }
                    index = number
                }
                if replacing { elements[index] = value } else { elements.insert(value, at: index) }
                parent = .list(elements)
                suffix = "[\(index)]"
            default:
                throw missing(last, operation)
            }
        }
        return path.isEmpty && suffix.hasPrefix(".") ? String(suffix.dropFirst()) : path + suffix
    }

    /// Removes and returns the value at `pointer`.
    private static func remove(_ pointer: [String], from document: inout ManifestNode, _ operation: JSONPatchOperation)
        throws -> (ManifestNode, String)
    {
        guard let last = pointer.last else {
            throw PatchFailure(
                message: "a patch cannot remove the whole object", at: operation.location,
                help: "remove fields, never the object: leave the spec or setting out instead")
        }
        var removed = ManifestNode.null
        var path = ""
        var suffix = ""
        try modify(Array(pointer.dropLast()), in: &document, path: &path, operation) { parent in
            switch parent {
            case .map(var entries):
                guard let index = entries.firstIndex(where: { $0.key == last }) else { throw missing(last, operation) }
                removed = entries.remove(at: index).value
                parent = .map(entries)
                suffix = SourceMap.component(last)
            case .list(var elements):
                guard let index = Int(last), index >= 0, index < elements.count else { throw missing(last, operation) }
                removed = elements.remove(at: index)
                parent = .list(elements)
                suffix = "[\(index)]"
            default:
                throw missing(last, operation)
            }
        }
        return (removed, path.isEmpty && suffix.hasPrefix(".") ? String(suffix.dropFirst()) : path + suffix)
    }

    /// Runs `change` on the value at `pointer` (which must exist), writing it back; `path`
    /// becomes that value's manifest path.
    private static func modify(
        _ pointer: [String], in node: inout ManifestNode, path: inout String, _ operation: JSONPatchOperation,
        _ change: (inout ManifestNode) throws -> Void
    ) throws {
        guard let token = pointer.first else {
            try change(&node)
            return
        }
        let rest = Array(pointer.dropFirst())
        switch node {
        case .map(var entries):
            guard let index = entries.firstIndex(where: { $0.key == token }) else { throw missing(token, operation) }
            path += path.isEmpty ? token : SourceMap.component(token)
            try modify(rest, in: &entries[index].value, path: &path, operation, change)
            node = .map(entries)
        case .list(var elements):
            guard let index = Int(token), index >= 0, index < elements.count else { throw missing(token, operation) }
            path += "[\(index)]"
            try modify(rest, in: &elements[index], path: &path, operation, change)
            node = .list(elements)
        default:
            throw missing(token, operation)
        }
    }

    private static func missing(_ token: String, _ operation: JSONPatchOperation) -> PatchFailure {
        PatchFailure(
            message: "\(operation.op.rawValue) '\(operation.pathText)': '\(token)' does not exist in the object",
            at: operation.location,
            help:
                "point at a field the rendered object has (`nbgitops render --stdout`); add a missing parent first with an add of a mapping"
        )
    }
}
