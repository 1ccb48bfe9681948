/// What a planner writes down while it builds one of nbgitops' own objects: each field it sets,
/// with the input line, overlay line or built-in default the value came from. The planner sets
/// the value and its origin in one call (`set`), so the record cannot drift from the manifest;
/// the record becomes the object's `provenance` (what `nbgitops explain` prints).
///
/// Paths are manifest paths as `ManifestNode.value(at:)` reads them (`spec.params[2]`,
/// `metadata.labels[app.kubernetes.io/name]`); `""` is the whole object. Passed-through objects
/// have no record: they are explained by the spec document they came from.
struct FieldRecord: Sendable {
    private(set) var origins: [String: FieldOrigin] = [:]
    /// Off for plans that are rendered and released: nothing is kept.
    let keeps: Bool

    init(keeps: Bool = true) { self.keeps = keeps }

    init(_ context: PlanContext) { self.init(keeps: context.recordsProvenance) }

    /// Records where the value at `path` came from and returns the value, so the record is
    /// written where the field is.
    mutating func set(_ path: String, _ value: ManifestNode, from origin: FieldOrigin) -> ManifestNode {
        note(path, origin)
        return value
    }

    /// As `set`, for a field that may be left out (`nil` records nothing).
    mutating func setIfPresent(_ path: String, _ value: ManifestNode?, from origin: FieldOrigin) -> ManifestNode? {
        guard let value else { return nil }
        note(path, origin)
        return value
    }

    /// A list whose entries each carry their origin: records `path[index]` for each entry and
    /// `path` itself for the list as a whole.
    mutating func list(_ path: String, _ entries: [(ManifestNode, FieldOrigin)], whole: FieldOrigin) -> ManifestNode {
        note(path, whole)
        for (index, entry) in entries.enumerated() { note("\(path)[\(index)]", entry.1) }
        return .list(entries.map(\.0))
    }

    mutating func note(_ path: String, _ origin: FieldOrigin) {
        if keeps { origins[path] = origin }
    }

    /// The origins a sub-builder recorded, under `prefix` (`spec`, `spec.template`).
    mutating func merge(_ other: FieldRecord, under prefix: String) {
        guard keeps else { return }
        for (path, origin) in other.origins {
            origins[path.isEmpty ? prefix : prefix.isEmpty ? path : "\(prefix).\(path)"] = origin
        }
    }
}
