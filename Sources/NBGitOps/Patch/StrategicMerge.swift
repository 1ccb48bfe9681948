import Foundation

/// Strategic-merge patches with kustomize's semantics, on the typed manifest tree:
///
/// - maps merge key by key; `key: null` deletes the key;
/// - `$patch: delete` deletes the map it sits in (a list item, or the whole object: refused
///   by the caller), `$patch: replace` replaces it, `$patch: merge` is the default;
/// - lists merge by key where Kubernetes declares a merge key (built-in kinds: containers,
///   initContainers, ephemeralContainers, volumes, env, imagePullSecrets by `name`;
///   volumeMounts by `mountPath`; volumeDevices by `devicePath`; ports by `containerPort`
///   (`port` for a Service); hostAliases by `ip`), and, as kustomize infers for custom
///   resources, by `name` where every item of both lists has one; a list item
///   `$patch: delete` removes the matching item, `- $patch: replace` replaces the whole
///   list; every other list is replaced whole.
///
/// Other directives (`$retainKeys`, `$setElementOrder/…`, `$deleteFromPrimitiveList/…`) are
/// refused (NBG147), never silently ignored.
enum StrategicMerge {
    /// API groups of Kubernetes' built-in kinds, whose schemas declare the merge keys.
    static let builtinGroups: Set<String> = [
        "", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io",
        "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io", "discovery.k8s.io",
    ]

    static func isBuiltin(_ apiVersion: String) -> Bool {
        let parts = apiVersion.split(separator: "/", maxSplits: 1)
        return builtinGroups.contains(parts.count == 2 ? String(parts[0]) : "")
    }

    /// Merge keys of built-in kinds' lists, by field name.
    static let builtinMergeKeys: [String: [String]] = [
        "containers": ["name"], "initContainers": ["name"], "ephemeralContainers": ["name"], "volumes": ["name"],
        "env": ["name"], "imagePullSecrets": ["name"], "volumeMounts": ["mountPath"], "volumeDevices": ["devicePath"],
        "ports": ["containerPort", "port"], "hostAliases": ["ip"],
    ]

    private static let rule = "strategic-merge patch"

    /// `object` with `patch` merged in; nil when the patch deletes the whole object.
    static func apply(_ patch: YAMLNode, to object: ManifestNode, builtinKind: Bool, recorder: inout PatchRecorder) throws
        -> ManifestNode?
    {
        var merger = Merger(builtinKind: builtinKind, recorder: recorder)
        defer { recorder = merger.recorder }
        return try merger.merge(object, patch, path: "")
    }

    private struct Merger {
        let builtinKind: Bool
        var recorder: PatchRecorder

        mutating func merge(_ target: ManifestNode, _ patch: YAMLNode, path: String) throws -> ManifestNode? {
            guard let pairs = patch.pairs, case .map(var entries) = target else {
                return try build(patch, path: path)
            }
            if let directive = patch.pair("$patch") {
                switch directive.value.scalar?.value {
                case "delete": return nil
                case "replace": return try build(patch, path: path)
                case "merge": break
                default:
                    throw PatchFailure(
                        message: "'$patch' must be delete, replace or merge", location: directive.value.location,
                        help: "use $patch: delete to remove the map, $patch: replace to replace it")
                }
            }
            for pair in pairs {
                guard let key = pair.key.scalar?.value, key != "$patch" else { continue }
                try refuseDirective(key, at: pair.key.location)
                let child = path.isEmpty ? key : path + SourceMap.component(key)
                let index = entries.firstIndex { $0.key == key }
                if case .null? = pair.value.resolvedScalar {
                    if let index {
                        entries.remove(at: index)
                        recorder.removed[child] = pair.key.location
                    }
                    continue
                }
                let existing = index.map { entries[$0].value }
                let merged: ManifestNode?
                switch (existing, pair.value.content) {
                case (.map?, .mapping):
                    merged = try merge(existing ?? .null, pair.value, path: child)
                case (.list(let current)?, .sequence(let items)):
                    merged = try mergeList(current, items, field: key, path: child)
                default:
                    merged = try build(pair.value, path: child)
                }
                switch (index, merged) {
                case (let index?, let value?): entries[index].value = value
                case (let index?, nil):
                    entries.remove(at: index)
                    recorder.removed[child] = pair.key.location
                case (nil, let value?): entries.append(ManifestEntry(key, value))
                case (nil, nil): break
                }
            }
            return .map(entries)
        }

        /// The merge key of a list field: a built-in kind's declared key, else `name` where
        /// every item of both lists has one.
        private func mergeKey(field: String, current: [ManifestNode], items: [YAMLNode]) -> String? {
            let candidates = builtinKind ? (builtinMergeKeys[field] ?? []) : ["name"]
            return candidates.first { key in
                let patchItems = items.filter { !isReplaceDirective($0) }
                return !patchItems.isEmpty && patchItems.allSatisfy { $0[key]?.scalar != nil }
                    && current.allSatisfy { $0[key] != nil }
            }
        }

        private func isReplaceDirective(_ node: YAMLNode) -> Bool {
            node.pairs?.count == 1 && node["$patch"]?.scalar?.value == "replace"
        }

        private mutating func mergeList(_ current: [ManifestNode], _ items: [YAMLNode], field: String, path: String) throws
            -> ManifestNode?
        {
            if items.contains(where: isReplaceDirective) {
                let rest = items.filter { !isReplaceDirective($0) }
                return try build(YAMLNode(.sequence(rest), at: rest.first?.location ?? SourceLocation.startOf("")), path: path)
            }
            guard let key = mergeKey(field: field, current: current, items: items) else {
                return try build(YAMLNode(.sequence(items), at: items.first?.location ?? .startOf("")), path: path)
            }
            var result = current
            // Deletions first, so the indexes recorded for merged and appended items are final.
            for item in items where item["$patch"]?.scalar?.value == "delete" {
                guard let keyNode = item[key] else { continue }
                let wanted = ManifestConversion.convert(keyNode)
                if let index = result.firstIndex(where: { $0[key] == wanted }) {
                    result.remove(at: index)
                    recorder.removed["\(path)[\(index)]"] = item.location
                }
            }
            for item in items where item["$patch"]?.scalar?.value != "delete" {
                guard let keyNode = item[key] else { continue }
                let wanted = ManifestConversion.convert(keyNode)
                let index = result.firstIndex { $0[key] == wanted }
                if let index {
                    if let merged = try merge(result[index], item, path: "\(path)[\(index)]") {
                        result[index] = merged
                    } else {
                        result.remove(at: index)
                    }
                } else if let built = try build(item, path: "\(path)[\(result.count)]") {
                    result.append(built)
                }
            }
            return .list(result)
        }

        /// `node` as a new value (directives stripped), every field recorded.
        private mutating func build(_ node: YAMLNode, path: String) throws -> ManifestNode? {
            let value = try strip(node)
            if let value {
                recorder.recordTree(path, value: value, node: node, fallback: node.location, rule: rule)
            }
            return value
        }

        private func strip(_ node: YAMLNode) throws -> ManifestNode? {
            switch node.content {
            case .scalar: return ManifestConversion.convert(node)
            case .mapping(let pairs):
                if let directive = node["$patch"]?.scalar?.value, directive == "delete" { return nil }
                var entries: [ManifestEntry] = []
                for pair in pairs {
                    guard let key = pair.key.scalar?.value, key != "$patch" else { continue }
                    try refuseDirective(key, at: pair.key.location)
                    if case .null? = pair.value.resolvedScalar { continue }
                    if let value = try strip(pair.value) { entries.append(ManifestEntry(key, value)) }
                }
                return .map(entries)
            case .sequence(let items):
                return .list(try items.filter { !isReplaceDirective($0) }.compactMap(strip))
            }
        }

        private func refuseDirective(_ key: String, at location: SourceLocation) throws {
            guard key.hasPrefix("$") else { return }
            throw PatchFailure(
                message: "strategic-merge directive '\(key)' is not supported", at: location,
                help: "use $patch: delete or $patch: replace, key: null to delete a key, or a JSON 6902 patch")
        }
    }
}

extension PatchFailure {
    init(message: String, at location: SourceLocation?, help: String) {
        self.init(message: message, location: location, help: help)
    }
}
