import Foundation

/// `nbgitops diff ENV_A ENV_B`: how two environments' planned objects differ, object by object
/// and field by field.
///
/// Objects are paired by a logical identity that survives what differs between environments
/// by design: a validation Job, and a build's PipelineRun or BuildConfig, by its
/// NotebookValidationJob's name (their names carry a content hash), the environment's
/// Namespaces and delivery objects by role, everything else by
/// API group, kind and name without the environment's `namePrefix`.
public struct EnvironmentDiff: Sendable {
    public enum Change: String, Sendable {
        case added, removed, changed
    }

    public struct FieldChange: Sendable {
        public var path: String
        /// nil: the field is absent on that side.
        public var from: ManifestNode?
        public var to: ManifestNode?
    }

    public struct ObjectChange: Sendable {
        public var change: Change
        public var kind: String
        /// The logical name objects were paired by.
        public var identity: String
        public var fromName: String?
        public var toName: String?
        public var fromFile: String?
        public var toFile: String?
        public var fields: [FieldChange]
    }

    public var from: String
    public var to: String
    public var objects: [ObjectChange]
    public var unchanged: Int

    public var added: Int { objects.filter { $0.change == .added }.count }
    public var removed: Int { objects.filter { $0.change == .removed }.count }
    public var changed: Int { objects.filter { $0.change == .changed }.count }

    /// `namingListElements`: list elements that are maps with unique `name`s are compared by
    /// name and shown as `containers[validate]` (see `ManifestFlattening.leaves`).
    public static func compare(_ a: EnvironmentPlan, _ b: EnvironmentPlan, namingListElements: Bool = false)
        -> EnvironmentDiff
    {
        let left = keyed(a)
        let right = keyed(b)
        var objects: [ObjectChange] = []
        var unchanged = 0
        for (key, entry) in left.ordered {
            if let other = right.byKey[key] {
                let fields = fieldChanges(
                    entry.object.manifest, other.object.manifest, namingListElements: namingListElements)
                if fields.isEmpty {
                    unchanged += 1
                    continue
                }
                objects.append(
                    ObjectChange(
                        change: .changed, kind: entry.object.kind, identity: entry.identity,
                        fromName: entry.object.name, toName: other.object.name, fromFile: entry.file,
                        toFile: other.file, fields: fields))
            } else {
                objects.append(
                    ObjectChange(
                        change: .removed, kind: entry.object.kind, identity: entry.identity,
                        fromName: entry.object.name, toName: nil, fromFile: entry.file, toFile: nil, fields: []))
            }
        }
        for (key, entry) in right.ordered where left.byKey[key] == nil {
            objects.append(
                ObjectChange(
                    change: .added, kind: entry.object.kind, identity: entry.identity, fromName: nil,
                    toName: entry.object.name, fromFile: nil, toFile: entry.file, fields: []))
        }
        return EnvironmentDiff(from: a.environment.name, to: b.environment.name, objects: objects, unchanged: unchanged)
    }

    struct Entry {
        var object: PlannedObject
        var file: String
        var identity: String
    }

    static func keyed(_ plan: EnvironmentPlan) -> (ordered: [(String, Entry)], byKey: [String: Entry]) {
        var ordered: [(String, Entry)] = []
        var byKey: [String: Entry] = [:]
        for (object, file) in Explainer.objectsWithFiles(plan) {
            let home = plan.environment.naming.namespace.value
            // A team's Namespace (not the environment's own) pairs by its name.
            let name =
                object.kind == "Namespace" && object.name != home
                    && !object.name.hasSuffix(BuildPlanner.buildNamespaceSuffix)
                ? object.name
                : logicalName(
                    object, prefix: plan.environment.naming.namePrefix.value,
                    environment: DeliveryNames.base(PlanContext(environment: plan.environment, delivery: plan.delivery)))
            // Objects of another namespace than the environment's (a team's) pair by that
            // namespace too: one name in two namespaces is two objects.
            let identity =
                object.namespace.map { $0 == home || $0 == home + BuildPlanner.buildNamespaceSuffix ? name : "\($0)/\(name)" }
                ?? name
            let key = "\(ArgoProjectPlanner.group(ofAPIVersion: object.apiVersion))/\(object.kind)/\(identity)"
            guard byKey[key] == nil else { continue }
            let entry = Entry(object: object, file: file, identity: identity)
            byKey[key] = entry
            ordered.append((key, entry))
        }
        return (ordered, byKey)
    }

    static func logicalName(_ object: PlannedObject, prefix: String, environment: String = "") -> String {
        let component = object.manifest.value(at: "metadata.labels[\(LabelKey.component)]")?.stringValue
        let managed = object.manifest.value(at: "metadata.labels[\(LabelKey.managedBy)]")?.stringValue
        if object.kind == "Namespace", component == "namespace" { return "(environment namespace)" }
        if component == "delivery" {
            // Named after the environment (`DeliveryNames.base`: namePrefix + project + environment),
            // and that name + `-builds` or `-serving` for Flux's other Kustomizations.
            if !environment.isEmpty, object.name.hasPrefix(environment) {
                return "(environment)" + object.name.dropFirst(environment.count)
            }
            return "(environment)"
        }
        if object.kind == "Namespace", component == "build-namespace" { return "(environment build namespace)" }
        if managed == LabelValue.managedBy,
            let instance = object.manifest.value(at: "metadata.labels[\(LabelKey.instance)]")?.stringValue
        {
            // A validation Job, and a build's PipelineRun or BuildConfig: `<job>-<content hash>`.
            if object.kind == "Job" { return instance }
            let suffix = object.name.hasPrefix(instance + "-") ? object.name.dropFirst(instance.count + 1) : ""
            if suffix.count == 8, suffix.allSatisfy(\.isHexDigit) { return instance }
        }
        if !prefix.isEmpty, managed == LabelValue.managedBy, object.name.hasPrefix(prefix) {
            return String(object.name.dropFirst(prefix.count))
        }
        return object.name
    }

    static func fieldChanges(_ a: ManifestNode, _ b: ManifestNode, namingListElements: Bool = false) -> [FieldChange] {
        let left = ManifestFlattening.leaves(a, namingListElements: namingListElements)
        let right = ManifestFlattening.leaves(b, namingListElements: namingListElements)
        let rightByPath = Dictionary(right.map { ($0.path, $0.value) }, uniquingKeysWith: { first, _ in first })
        let leftPaths = Set(left.map(\.path))
        var changes: [FieldChange] = []
        // The environment's own name label differs between any two environments by definition.
        let environmentLabel = "metadata.labels[\(LabelKey.environment)]"
        for (path, value) in left where path != environmentLabel {
            let other = rightByPath[path]
            if other != value { changes.append(FieldChange(path: path, from: value, to: other)) }
        }
        for (path, value) in right where !leftPaths.contains(path) && path != environmentLabel {
            changes.append(FieldChange(path: path, from: nil, to: value))
        }
        return changes
    }

    // MARK: Output

    public var summary: String {
        "\(from) → \(to): \(added) added, \(removed) removed, \(changed) changed, \(unchanged) identical"
    }

    public func renderText() -> String {
        var text = "--- \(from)\n+++ \(to)\n"
        for object in objects {
            switch object.change {
            case .added:
                text += "+ \(object.kind)/\(object.toName ?? object.identity)  (only in \(to): \(object.toFile ?? ""))\n"
            case .removed:
                text += "- \(object.kind)/\(object.fromName ?? object.identity)  (only in \(from): \(object.fromFile ?? ""))\n"
            case .changed:
                var title = "~ \(object.kind)/\(object.identity)"
                if object.fromName != object.toName {
                    title += "  (\(object.fromName ?? "") → \(object.toName ?? ""))"
                }
                text += title + "\n"
                for field in object.fields {
                    text +=
                        "    \(field.path): \(ManifestFlattening.inline(field.from)) → \(ManifestFlattening.inline(field.to))\n"
                }
            }
        }
        return text + summary + "\n"
    }

    /// JSON with sorted keys (deterministic). A side where a field is absent has no key.
    public func renderJSON() -> String {
        let objectsJSON: [[String: Any]] = objects.map { object in
            var entry: [String: Any] = [
                "change": object.change.rawValue, "kind": object.kind, "identity": object.identity,
            ]
            if let name = object.fromName { entry["fromName"] = name }
            if let name = object.toName { entry["toName"] = name }
            if let file = object.fromFile { entry["fromFile"] = file }
            if let file = object.toFile { entry["toFile"] = file }
            if object.change == .changed {
                entry["fields"] = object.fields.map { field -> [String: Any] in
                    var value: [String: Any] = ["path": field.path]
                    if let from = field.from { value["from"] = Self.json(from) }
                    if let to = field.to { value["to"] = Self.json(to) }
                    return value
                }
            }
            return entry
        }
        let document: [String: Any] = [
            "from": from, "to": to, "objects": objectsJSON,
            "summary": ["added": added, "removed": removed, "changed": changed, "identical": unchanged],
        ]
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func json(_ node: ManifestNode) -> Any {
        switch node {
        case .string(let text): return text
        case .int(let value): return value
        case .float(let text): return Double(text) ?? text
        case .bool(let value): return value
        case .null: return NSNull()
        case .map(let entries):
            var result: [String: Any] = [:]
            for entry in entries { result[entry.key] = json(entry.value) }
            return result
        case .list(let elements): return elements.map(json)
        }
    }
}
