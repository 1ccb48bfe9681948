import Foundation

/// The Patch stage, between Plan and Check: applies an environment's `PatchSet` (extra labels
/// and annotations by selector, then strategic-merge and JSON 6902 patches, in overlay order)
/// to the planned objects, so the rules run on what will be applied. Every field a patch sets
/// is recorded for `explain` with the patch's file and line. A selector or patch that matches
/// nothing (NBG145), a patch that changes or removes an object's apiVersion, kind, name or
/// namespace (NBG146), and a patch that cannot apply (NBG147) are located errors.
///
/// Patches reach the manifests folder's objects and the delivery objects (Argo CD
/// Applications, Flux Kustomizations), never the snippets an administrator merges by hand.
public enum PlanPatcher {
    public static func apply(_ set: PatchSet, to plan: EnvironmentPlan, diagnostics: DiagnosticCollector) -> EnvironmentPlan {
        guard !set.isEmpty else { return plan }
        var lists = [plan.objects, plan.buildObjects, plan.servingObjects, plan.deliveryObjects]
        var records: [[Int: [String: FieldOrigin]]] = Array(repeating: [:], count: lists.count)

        for rule in set.metadata {
            let matcher = SelectorMatcher(rule.select)
            var matched = 0
            for list in lists.indices {
                for index in lists[list].indices where matcher.matches(lists[list][index]) {
                    matched += 1
                    var manifest = lists[list][index].manifest
                    var metadata = manifest["metadata"] ?? .map([])
                    for (field, values) in [("labels", rule.labels), ("annotations", rule.annotations)] where !values.isEmpty {
                        var map = metadata[field] ?? .map([])
                        for (key, value, location) in values {
                            map[key] = .string(value)
                            lists[list][index].patchedFields["metadata.\(field)" + SourceMap.component(key)] = location
                            records[list][index, default: [:]]["metadata.\(field)" + SourceMap.component(key)] = FieldOrigin(
                                .overlay(name: rule.overlay, location),
                                rule: "extra \(field.dropLast()) from the overlay's metadata setting")
                        }
                        metadata[field] = map
                    }
                    manifest["metadata"] = metadata
                    lists[list][index].manifest = manifest
                }
            }
            if matched == 0 {
                diagnostics.error(
                    .patchNoMatch,
                    "the metadata entry's selector (\(rule.select.summary)) matches no object in environment '\(plan.environment.name)'",
                    at: rule.select.location,
                    help: "check the kind and name against the rendered objects (`nbgitops render --stdout`), or remove the entry"
                )
            }
        }

        let unpatched = lists
        // Per object named after its content: the overlay and line of the first patch that
        // changed that content (the new name's origin).
        var contentPatches: [[Int: (overlay: String, location: SourceLocation)]] = Array(
            repeating: [:], count: lists.count)
        for patch in set.patches {
            let matcher = SelectorMatcher(patch.target)
            var matched = 0
            for list in lists.indices {
                for index in lists[list].indices where matcher.matches(lists[list][index]) {
                    matched += 1
                    let object = lists[list][index]
                    var recorder = PatchRecorder(overlay: patch.overlay)
                    let result: ManifestNode?
                    do {
                        switch patch.body {
                        case .strategicMerge(let node):
                            result = try StrategicMerge.apply(
                                node, to: object.manifest, builtinKind: StrategicMerge.isBuiltin(object.apiVersion),
                                recorder: &recorder)
                        case .json6902(let operations):
                            result = try JSONPatch.apply(operations, to: object.manifest, recorder: &recorder)
                        }
                    } catch let failure as PatchFailure {
                        diagnostics.error(
                            .patchInvalid, "\(failure.message) (patching \(object.kind) '\(object.name)')",
                            at: failure.location ?? patch.location, help: failure.help)
                        continue
                    } catch {
                        continue
                    }
                    guard let result else {
                        diagnostics.error(
                            .patchIdentity, "the patch removes \(object.kind) '\(object.name)'",
                            at: patch.contentLocation,
                            help:
                                "nbgitops plans every object it writes: leave the spec or setting out instead of deleting its object"
                        )
                        continue
                    }
                    if let (path, value) = nonStringMetadata(in: result) {
                        diagnostics.error(
                            .ambiguousScalar,
                            "the patch sets \(path) of \(object.kind) '\(object.name)' to a non-string value (\(value)); label and annotation values are strings",
                            at: recorder.location(of: path) ?? patch.contentLocation,
                            help: "quote the value in the patch (\"true\", \"1\")")
                        continue
                    }
                    if let changed = identityChange(of: object, to: result) {
                        diagnostics.error(
                            .patchIdentity,
                            "the patch changes \(changed) of \(object.kind) '\(object.name)'",
                            at: recorder.location(of: changed) ?? patch.contentLocation,
                            help: identityHelp(patch.body))
                        continue
                    }
                    lists[list][index].manifest = result
                    records[list][index, default: [:]].merge(recorder.records) { _, new in new }
                    for (path, origin) in recorder.records {
                        if let location = origin.origin.location { lists[list][index].patchedFields[path] = location }
                    }
                    lists[list][index].patchedFields.merge(recorder.removed) { _, new in new }
                    if let address = object.contentAddress, contentPatches[list][index] == nil,
                        object.manifest.value(at: address.hashedPath) != result.value(at: address.hashedPath),
                        let location = recorder.firstChange(under: address.hashedPath, from: object.manifest, to: result)
                    {
                        contentPatches[list][index] = (patch.overlay, location)
                    }
                }
            }
            if matched == 0 {
                diagnostics.error(
                    .patchNoMatch,
                    "the patch's target (\(patch.target.summary)) matches no object in environment '\(plan.environment.name)'",
                    at: patch.target.location,
                    help: "check the kind and name against the rendered objects (`nbgitops render --stdout`), or remove the patch"
                )
            }
        }

        // A patch that changed what a content-addressed object's name hashes (a validation Job's
        // spec, whose pod template cannot change in place) gives it the name that content gives,
        // and every reference to the old name in the environment follows.
        var renames: [Rename] = []
        for list in lists.indices {
            for index in contentPatches[list].keys.sorted() {
                guard let patched = contentPatches[list][index] else { continue }
                let object = lists[list][index]
                guard let address = object.contentAddress,
                    unpatched[list][index].manifest.value(at: address.hashedPath)
                        != object.manifest.value(at: address.hashedPath),
                    let name = address.name(for: object.manifest), name != object.name
                else { continue }
                var manifest = object.manifest
                var metadata = manifest["metadata"] ?? .map([])
                metadata["name"] = .string(name)
                manifest["metadata"] = metadata
                lists[list][index].manifest = manifest
                lists[list][index].name = name
                lists[list][index].derivedNames = object.derivedNames.map { derived in
                    var derived = derived
                    if derived.value == object.name { derived.value = name }
                    return derived
                }
                lists[list][index].patchedFields["metadata.name"] = patched.location
                records[list][index, default: [:]]["metadata.name"] = FieldOrigin(
                    .overlay(name: patched.overlay, patched.location),
                    rule: "the name's hash covers the patched \(address.hashedPath): a \(object.kind) whose "
                        + "\(address.hashedPath) changes is a new \(object.kind)")
                renames.append(
                    Rename(
                        apiVersion: object.apiVersion, kind: object.kind, namespace: object.namespace, old: object.name,
                        new: name))
            }
        }
        if !renames.isEmpty {
            for list in lists.indices {
                for index in lists[list].indices {
                    lists[list][index].manifest = Rename.follow(renames, in: lists[list][index].manifest)
                    if let writer = lists[list][index].writtenOnceBy,
                        let rename = renames.first(where: { $0.reference == writer })
                    {
                        lists[list][index].writtenOnceBy = "\(rename.kind)/\(rename.namespace ?? "")/\(rename.new)"
                    }
                }
            }
        }

        for list in lists.indices {
            for (index, found) in records[list] {
                let manifest = lists[list][index].manifest
                lists[list][index].deriveProvenance { base in
                    // Fields a patch removed are explained no more; what it set wins.
                    base.filter { $0.key.isEmpty || manifest.value(at: $0.key) != nil }.merging(found) { _, new in new }
                }
            }
        }
        var result = plan
        result.objects = lists[0]
        result.buildObjects = lists[1]
        result.servingObjects = lists[2]
        result.deliveryObjects = lists[3]
        return result
    }

    /// Where a patch touched `path`: the patch line of the longest patched path that is `path`
    /// or holds it, else of a patched path inside `path` (the finding concerns what the patch
    /// changed there, a removed securityContext say). Nil when no patch touched it.
    public static func location(in patched: [String: SourceLocation], for path: String) -> SourceLocation? {
        guard !patched.isEmpty else { return nil }
        func holds(_ outer: String, _ inner: String) -> Bool {
            outer.isEmpty || inner == outer || inner.hasPrefix(outer + ".") || inner.hasPrefix(outer + "[")
        }
        if let best = patched.keys.filter({ holds($0, path) }).max(by: { ($0.count, $1) < ($1.count, $0) }) {
            return patched[best]
        }
        return patched.filter { holds(path, $0.key) }.min { ($0.key.count, $0.key) < ($1.key.count, $1.key) }?.value
    }

    private static func identityHelp(_ body: PatchBody) -> String {
        let rename =
            "rename through the spec or the naming settings (naming.namePrefix, naming.namespaces)"
        guard case .strategicMerge = body else { return "a patch may change fields, never which object it is: " + rename }
        return "a strategic-merge patch names its object, it never renames it: leave metadata.name and metadata.namespace "
            + "out of a patch that has a target, or write the object's own (kustomize silently keeps the object's; "
            + "nbgitops refuses a patch that looks like a rename), and " + rename
    }

    /// A label or annotation whose value is not a string (a patch's unquoted `true` or `1`),
    /// which the API server refuses: its path and a description of the value.
    private static func nonStringMetadata(in manifest: ManifestNode) -> (String, String)? {
        for field in ["labels", "annotations"] {
            for entry in manifest.value(at: "metadata.\(field)")?.entries ?? [] where entry.value.stringValue == nil {
                let kind: String
                switch entry.value {
                case .bool: kind = "a boolean"
                case .int, .float: kind = "a number"
                case .null: kind = "null"
                default: kind = "a mapping or list"
                }
                return ("metadata.\(field)" + SourceMap.component(entry.key), kind)
            }
        }
        return nil
    }

    /// The identity field a patch changed ("metadata.name"), or nil.
    private static func identityChange(of object: PlannedObject, to manifest: ManifestNode) -> String? {
        if manifest["apiVersion"]?.stringValue != object.apiVersion { return "apiVersion" }
        if manifest["kind"]?.stringValue != object.kind { return "kind" }
        if manifest.value(at: "metadata.name")?.stringValue != object.name { return "metadata.name" }
        if manifest.value(at: "metadata.namespace")?.stringValue != object.namespace { return "metadata.namespace" }
        return nil
    }
}

/// A content-addressed object a patch renamed, and how references to it follow.
struct Rename {
    var apiVersion: String
    var kind: String
    var namespace: String?
    var old: String
    var new: String

    /// The object as `PlannedObject.writtenOnceBy` names it.
    var reference: String { "\(kind)/\(namespace ?? "")/\(old)" }

    /// `node` with every object reference to a renamed object (a map naming its `kind` and
    /// `name`, and its `apiVersion` and `namespace` when it has them: Flux health checks, owner
    /// references) naming the new name.
    static func follow(_ renames: [Rename], in node: ManifestNode) -> ManifestNode {
        switch node {
        case .map(let entries):
            var result = ManifestNode.map(
                entries.map { ManifestEntry($0.key, follow(renames, in: $0.value)) })
            if let kind = node["kind"]?.stringValue, let name = node["name"]?.stringValue,
                let rename = renames.first(where: { rename in
                    rename.kind == kind && rename.old == name
                        && (node["apiVersion"]?.stringValue).map { $0 == rename.apiVersion } != false
                        && (node["namespace"]?.stringValue).map { $0 == rename.namespace } != false
                })
            {
                result["name"] = .string(rename.new)
            }
            return result
        case .list(let elements):
            return .list(elements.map { follow(renames, in: $0) })
        default:
            return node
        }
    }
}

/// A patch that cannot apply, located at the patch line that failed.
struct PatchFailure: Error {
    var message: String
    var location: SourceLocation?
    var help: String
}

/// Collects the fields a patch set, with the line of the patch that set each.
struct PatchRecorder {
    let overlay: String
    var records: [String: FieldOrigin] = [:]
    /// Paths the patch removed, with the patch line that removed each.
    var removed: [String: SourceLocation] = [:]

    init(overlay: String) { self.overlay = overlay }

    mutating func record(_ path: String, at location: SourceLocation, rule: String) {
        guard !path.isEmpty else { return }
        records[path] = FieldOrigin(.overlay(name: overlay, location), field: nil, rule: rule)
    }

    /// Records `value` and every field under it, each at the line of `node` that wrote it
    /// (nodes and values walk together; a value with no node of its own takes `fallback`).
    mutating func recordTree(_ path: String, value: ManifestNode, node: YAMLNode?, fallback: SourceLocation, rule: String) {
        let location = node?.location ?? fallback
        record(path, at: location, rule: rule)
        switch value {
        case .map(let entries):
            for entry in entries {
                recordTree(
                    path + SourceMap.component(entry.key), value: entry.value, node: node?[entry.key], fallback: location,
                    rule: rule)
            }
        case .list(let elements):
            for (offset, element) in elements.enumerated() {
                let child = node?.items.flatMap { offset < $0.count ? $0[offset] : nil }
                recordTree("\(path)[\(offset)]", value: element, node: child, fallback: location, rule: rule)
            }
        default: break
        }
    }

    /// The line of the patch's first change (by path) at `path` or under it that makes
    /// `after` differ from `before` (a field set to the value it had changes nothing).
    func firstChange(under path: String, from before: ManifestNode, to after: ManifestNode) -> SourceLocation? {
        func holds(_ key: String) -> Bool { key == path || key.hasPrefix(path + ".") || key.hasPrefix(path + "[") }
        let set = records.compactMap { entry in entry.value.origin.location.map { (entry.key, $0) } }
        let touched = (set + removed.map { ($0.key, $0.value) }).filter { holds($0.0) }.sorted { $0.0 < $1.0 }
        return (touched.first { before.value(at: $0.0) != after.value(at: $0.0) } ?? touched.first)?.1
    }

    /// Where the patch set `path` (for an identity field it changed).
    func location(of path: String) -> SourceLocation? { records[path]?.origin.location }
}

/// A compiled `ObjectSelector`.
struct SelectorMatcher {
    private let selector: ObjectSelector
    private let patterns: [String: NSRegularExpression]

    init(_ selector: ObjectSelector) {
        self.selector = selector
        var patterns: [String: NSRegularExpression] = [:]
        for (field, text) in [
            ("group", selector.group), ("version", selector.version), ("kind", selector.kind), ("name", selector.name),
            ("namespace", selector.namespace),
        ] {
            guard let text, !text.isEmpty, let expression = try? NSRegularExpression(pattern: "^(?:\(text))$") else { continue }
            patterns[field] = expression
        }
        self.patterns = patterns
    }

    func matches(_ object: PlannedObject) -> Bool {
        let parts = object.apiVersion.split(separator: "/", maxSplits: 1).map(String.init)
        let values: [String: String] = [
            "group": parts.count == 2 ? parts[0] : "", "version": parts.last ?? "", "kind": object.kind, "name": object.name,
            "namespace": object.namespace ?? "",
        ]
        for (field, expression) in patterns {
            let text = values[field] ?? ""
            let range = NSRange(text.startIndex..<text.endIndex, in: text)
            guard expression.firstMatch(in: text, options: [], range: range) != nil else { return false }
        }
        // An empty group or version given explicitly (the core group) matches only the empty value.
        if selector.group == "", !values["group", default: ""].isEmpty { return false }
        func strings(_ field: String) -> [String: String] {
            var result: [String: String] = [:]
            for entry in object.manifest.value(at: "metadata.\(field)")?.entries ?? [] {
                if let value = entry.value.stringValue { result[entry.key] = value }
            }
            return result
        }
        if let labels = selector.labelSelector, !labels.matches(strings("labels")) { return false }
        if let annotations = selector.annotationSelector, !annotations.matches(strings("annotations")) { return false }
        return true
    }
}
