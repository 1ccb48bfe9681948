import Foundation

/// Reads the `metadata` and `patches` settings of an environment's overlays (already checked
/// against the overlay schema) into a `PatchSet`: patch files and inline patches are loaded by
/// the libyaml loader, so every value keeps its file, line and column. Every overlay's entries
/// apply, in overlay order (as kustomize layers add patches; these lists are not replaced).
public enum PatchLoader {
    public static func load(
        _ overlays: [Overlay], resourceRoot: String, overlayRoot: String?, diagnostics: DiagnosticCollector
    ) -> PatchSet {
        var set = PatchSet()
        for overlay in overlays {
            guard let spec = overlay.specNode else { continue }
            for item in spec["metadata"]?.items ?? [] {
                if let rule = metadataRule(item, overlay: overlay, diagnostics: diagnostics) { set.metadata.append(rule) }
            }
            for item in spec["patches"]?.items ?? [] {
                if let patch = patch(
                    item, overlay: overlay, resourceRoot: resourceRoot, overlayRoot: overlayRoot, diagnostics: diagnostics)
                {
                    set.patches.append(patch)
                }
            }
        }
        return set
    }

    private static func metadataRule(_ item: YAMLNode, overlay: Overlay, diagnostics: DiagnosticCollector) -> MetadataRule? {
        guard let selectNode = item["select"],
            let select = selector(selectNode, diagnostics: diagnostics)
        else { return nil }
        func strings(_ key: String) -> [(key: String, value: String, location: SourceLocation)] {
            (item[key]?.pairs ?? []).compactMap { pair in
                guard let name = pair.key.scalar?.value, let value = pair.value.scalar?.value else { return nil }
                return (name, value, pair.value.location)
            }
        }
        let labels = strings("labels")
        let annotations = strings("annotations")
        if labels.isEmpty && annotations.isEmpty {
            diagnostics.error(
                .fieldRequired, "a metadata entry sets no labels and no annotations", at: item.location,
                help: "add 'labels:' or 'annotations:' with the keys to set on the selected objects")
            return nil
        }
        return MetadataRule(
            select: select, labels: labels, annotations: annotations, overlay: overlay.reference.name,
            location: item.location)
    }

    /// The selector of `node` (a mapping the schema admitted); reports a pattern or a selector
    /// expression that does not parse.
    static func selector(_ node: YAMLNode, diagnostics: DiagnosticCollector) -> ObjectSelector? {
        var selector = ObjectSelector(location: node.location)
        var valid = true
        for pair in node.pairs ?? [] {
            guard let key = pair.key.scalar?.value, let text = pair.value.scalar?.value else { continue }
            switch key {
            case "labelSelector", "annotationSelector":
                let (parsed, problem) = LabelSelector.parse(text)
                guard let parsed else {
                    diagnostics.error(
                        .fieldPattern, "'\(key)' is not a label-selector expression: \(problem ?? "unreadable")",
                        at: pair.value.location, help: "write requirements such as app=x,tier!=y,env in (dev,prod),!legacy")
                    valid = false
                    continue
                }
                if key == "labelSelector" { selector.labelSelector = parsed } else { selector.annotationSelector = parsed }
            default:
                guard (try? NSRegularExpression(pattern: "^(?:\(text))$")) != nil else {
                    diagnostics.error(
                        .fieldPattern, "'\(key)' is not a regular expression", at: pair.value.location,
                        help: "write the exact \(key), or an anchored regular expression (kustomize's selector form)")
                    valid = false
                    continue
                }
                switch key {
                case "group": selector.group = text
                case "version": selector.version = text
                case "kind": selector.kind = text
                case "name": selector.name = text
                case "namespace": selector.namespace = text
                default: break
                }
            }
        }
        return valid ? selector : nil
    }

    private static func patch(
        _ item: YAMLNode, overlay: Overlay, resourceRoot: String, overlayRoot: String?, diagnostics: DiagnosticCollector
    ) -> ObjectPatch? {
        let pathPair = item.pair("path")
        let inlinePair = item.pair("patch")
        let content: YAMLNode
        switch (pathPair, inlinePair) {
        case (let path?, nil):
            guard let text = path.value.scalar?.value,
                let loaded = loadFile(
                    text, at: path.value.location, overlay: overlay.reference, resourceRoot: resourceRoot,
                    overlayRoot: overlayRoot, diagnostics: diagnostics)
            else { return nil }
            content = loaded
        case (nil, let inline?):
            guard
                let loaded = inlineContent(
                    inline.value, overlay: overlay.reference, resourceRoot: resourceRoot, diagnostics: diagnostics)
            else { return nil }
            content = loaded
        case (.some, .some):
            diagnostics.error(
                .fieldUnknown, "a patch has both 'path' and 'patch'", at: item.location,
                help: "give the patch in a file (path) or inline (patch), not both")
            return nil
        case (nil, nil):
            diagnostics.error(
                .fieldRequired, "a patch has neither 'path' nor 'patch'", at: item.location,
                help: "add 'path: FILE' (relative to this overlay's folder) or an inline 'patch:'")
            return nil
        }
        let explicitTarget: ObjectSelector?
        if let node = item["target"] {
            guard let parsed = selector(node, diagnostics: diagnostics) else { return nil }
            explicitTarget = parsed
        } else {
            explicitTarget = nil
        }
        let body: PatchBody
        let target: ObjectSelector
        switch content.content {
        case .sequence(let items):
            guard let explicitTarget else {
                diagnostics.error(
                    .fieldRequired, "a JSON 6902 patch needs a 'target'", at: item.location,
                    help: "add 'target:' with the kind and name of the objects to patch")
                return nil
            }
            guard let operations = operations(items, diagnostics: diagnostics) else { return nil }
            body = .json6902(operations)
            target = explicitTarget
        case .mapping:
            body = .strategicMerge(content)
            if let explicitTarget {
                target = explicitTarget
            } else {
                guard let kind = content["kind"]?.scalar?.value, let name = content["metadata"]?["name"]?.scalar?.value
                else {
                    diagnostics.error(
                        .fieldRequired, "a strategic-merge patch without 'target' must name its object (kind and metadata.name)",
                        at: content.location, help: "add kind: and metadata.name: to the patch, or a 'target:' to the patch entry"
                    )
                    return nil
                }
                var named = ObjectSelector(location: content.location)
                named.kind = NSRegularExpression.escapedPattern(for: kind)
                named.name = NSRegularExpression.escapedPattern(for: name)
                if let namespace = content["metadata"]?["namespace"]?.scalar?.value {
                    named.namespace = NSRegularExpression.escapedPattern(for: namespace)
                }
                if let apiVersion = content["apiVersion"]?.scalar?.value {
                    let parts = apiVersion.split(separator: "/", maxSplits: 1).map(String.init)
                    named.group = NSRegularExpression.escapedPattern(for: parts.count == 2 ? parts[0] : "")
                    named.version = NSRegularExpression.escapedPattern(for: parts.last ?? "")
                }
                target = named
            }
        case .scalar:
            diagnostics.error(
                .fieldType,
                "a patch must be a mapping (strategic merge) or a list of operations (JSON 6902), found \(content.kindDescription)",
                at: content.location, help: "write the partial object to merge, or a list of '- op: …' operations")
            return nil
        }
        return ObjectPatch(
            target: target, body: body, overlay: overlay.reference.name, location: item.location,
            contentLocation: content.location)
    }

    private static func operations(_ items: [YAMLNode], diagnostics: DiagnosticCollector) -> [JSONPatchOperation]? {
        var result: [JSONPatchOperation] = []
        var valid = true
        for item in items {
            guard let pairs = item.pairs else {
                diagnostics.error(
                    .fieldType, "a JSON 6902 operation must be a mapping, found \(item.kindDescription)", at: item.location,
                    help: "write '- op: add', 'path: /metadata/annotations/…', 'value: …'")
                valid = false
                continue
            }
            let known = ["op", "path", "value", "from"]
            for pair in pairs {
                guard let key = pair.key.scalar?.value, !known.contains(key) else { continue }
                diagnostics.error(
                    .fieldUnknown, "unknown field '\(key)' in a JSON 6902 operation", at: pair.key.location,
                    help: Suggestions.closest(to: key, in: known).map { "did you mean '\($0)'?" } ?? "use op, path, value or from"
                )
                valid = false
            }
            guard let opNode = item["op"], let opText = opNode.scalar?.value else {
                diagnostics.error(
                    .fieldRequired, "missing required field 'op' in a JSON 6902 operation", at: item.location,
                    help: "add 'op:' with one of: add, remove, replace, move, copy, test")
                valid = false
                continue
            }
            guard let op = JSONPatchOperation.Kind(rawValue: opText) else {
                diagnostics.error(
                    .fieldEnum, "'op' must be one of add, remove, replace, move, copy, test", at: opNode.location,
                    help: "use an operation of RFC 6902")
                valid = false
                continue
            }
            guard let pathNode = item["path"], let pathText = pathNode.scalar?.value else {
                diagnostics.error(
                    .fieldRequired, "missing required field 'path' in a JSON 6902 operation", at: item.location,
                    help: "add 'path:' with an RFC 6901 pointer such as /metadata/annotations/example.com~1key")
                valid = false
                continue
            }
            guard let path = pointer(pathText, at: pathNode.location, diagnostics: diagnostics) else {
                valid = false
                continue
            }
            var from: [String]?
            if op == .move || op == .copy {
                guard let fromNode = item["from"], let fromText = fromNode.scalar?.value,
                    let parsed = pointer(fromText, at: fromNode.location, diagnostics: diagnostics)
                else {
                    if item["from"] == nil {
                        diagnostics.error(
                            .fieldRequired, "missing required field 'from' in a JSON 6902 \(op.rawValue)", at: item.location,
                            help: "add 'from:' with the pointer to \(op.rawValue) from")
                    }
                    valid = false
                    continue
                }
                from = parsed
            }
            let value = item["value"]
            if [.add, .replace, .test].contains(op), value == nil {
                diagnostics.error(
                    .fieldRequired, "missing required field 'value' in a JSON 6902 \(op.rawValue)", at: item.location,
                    help: "add 'value:' with the value to \(op.rawValue)")
                valid = false
                continue
            }
            result.append(
                JSONPatchOperation(
                    op: op, path: path, pathText: pathText, from: from, value: value, location: item.location))
        }
        return valid ? result : nil
    }

    /// An RFC 6901 pointer's reference tokens (`~1` is `/`, `~0` is `~`).
    static func pointer(_ text: String, at location: SourceLocation, diagnostics: DiagnosticCollector) -> [String]? {
        if text.isEmpty { return [] }
        guard text.hasPrefix("/") else {
            diagnostics.error(
                .fieldPattern, "'\(text)' is not a JSON pointer: it must start with '/'", at: location,
                help: "write an RFC 6901 pointer such as /spec/template/metadata/labels/team (~1 for '/', ~0 for '~')")
            return nil
        }
        return text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    /// A patch file, relative to the overlay file's folder, loaded with marks: exactly one
    /// document, inside the repository.
    private static func loadFile(
        _ relative: String, at location: SourceLocation, overlay: OverlayReference, resourceRoot: String,
        overlayRoot: String?, diagnostics: DiagnosticCollector
    ) -> YAMLNode? {
        let overlayPath =
            overlay.isBuiltin ? (resourceRoot as NSString).appendingPathComponent(overlay.file) : (overlay.path ?? overlay.file)
        let folder = (overlayPath as NSString).deletingLastPathComponent
        let path = relative.hasPrefix("/") ? relative : (folder as NSString).appendingPathComponent(relative)
        let display =
            relative.hasPrefix("/")
            ? relative
            : URL(
                fileURLWithPath: ((overlay.file as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
                    relative)
            )
            .standardized.relativePath
        guard FileManager.default.fileExists(atPath: path) else {
            diagnostics.error(
                .patchInvalid, "patch file '\(relative)' does not exist", at: location,
                help: "give the path relative to the folder of \(overlay.file)")
            return nil
        }
        if let root = overlayRoot {
            let realRoot = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
            let real = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
            guard real == realRoot || real.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") else {
                diagnostics.error(
                    .patchInvalid, "patch file '\(relative)' resolves outside the repository (to \(real))", at: location,
                    help: "keep patch files inside the repository (\(realRoot)); symbolic links may not leave it")
                return nil
            }
        }
        let documents = YAMLLoader.load(
            path: path, displayName: display.hasPrefix("/") ? relative : display, diagnostics: diagnostics)
        return single(documents, at: location, diagnostics: diagnostics)
    }

    private static func single(_ documents: [YAMLDocument], at location: SourceLocation, diagnostics: DiagnosticCollector)
        -> YAMLNode?
    {
        guard let first = documents.first else {
            diagnostics.error(
                .patchInvalid, "the patch is empty", at: location,
                help: "write a partial object (strategic merge) or a list of operations (JSON 6902)")
            return nil
        }
        if documents.count > 1 {
            diagnostics.error(
                .patchInvalid, "a patch holds exactly one document", at: documents[1].root.location,
                help: "give each patch its own entry under 'patches'")
            return nil
        }
        return first.root
    }

    /// `patch:` as structured YAML, or as a string holding YAML (kustomize's form), loaded
    /// with marks shifted to where the string sits in the overlay file.
    private static func inlineContent(
        _ node: YAMLNode, overlay: OverlayReference, resourceRoot: String, diagnostics: DiagnosticCollector
    ) -> YAMLNode? {
        guard let scalar = node.scalar else { return node }
        let block = scalar.style == .literal || scalar.style == .folded
        // A block scalar's text starts on the line after its indicator, indented.
        var indent = 0
        if block {
            let overlayPath =
                overlay.isBuiltin
                ? (resourceRoot as NSString).appendingPathComponent(overlay.file) : (overlay.path ?? overlay.file)
            if let text = try? String(contentsOfFile: overlayPath, encoding: .utf8) {
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                let next = node.location.line  // 0-based index of the following line
                if next < lines.count { indent = lines[next].prefix { $0 == " " }.count }
            }
        }
        let local = DiagnosticCollector()
        let documents = YAMLLoader.load(bytes: Array(scalar.value.utf8), file: node.location.file, diagnostics: local)
        func shift(_ location: SourceLocation) -> SourceLocation {
            block
                ? SourceLocation(file: location.file, line: node.location.line + location.line, column: location.column + indent)
                : node.location
        }
        for diagnostic in local.diagnostics {
            var moved = diagnostic
            moved.location = diagnostic.location.map(shift)
            diagnostics.report(moved)
        }
        guard !local.hasErrors, let root = single(documents, at: node.location, diagnostics: diagnostics) else { return nil }
        return shifted(root, by: shift)
    }

    private static func shifted(_ node: YAMLNode, by shift: (SourceLocation) -> SourceLocation) -> YAMLNode {
        var result = node
        result.location = shift(node.location)
        switch node.content {
        case .scalar: break
        case .mapping(let pairs):
            result.content = .mapping(
                pairs.map { YAMLPair(key: shifted($0.key, by: shift), value: shifted($0.value, by: shift)) })
        case .sequence(let items):
            result.content = .sequence(items.map { shifted($0, by: shift) })
        }
        return result
    }
}
