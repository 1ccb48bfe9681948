/// `metadata` of a spec document.
public struct DecodedMetadata: Sendable {
    public var name: Located<String>
    public var namespace: Located<String>?
    public var labels: [String: String]
    public var annotations: [String: String]
}

enum MetadataDecoder {
    enum NameRule {
        case dnsLabel
        case dnsSubdomain
    }

    static let knownFields = ["name", "namespace", "labels", "annotations"]

    static func decode(_ root: YAMLNode, kind: String, nameRule: NameRule, diagnostics: DiagnosticCollector) -> DecodedMetadata? {
        guard let metadata = root["metadata"] else {
            diagnostics.error(
                .fieldRequired, "missing required field 'metadata' in \(kind)", at: root.location,
                help: "add metadata: with a name")
            return nil
        }
        guard let pairs = metadata.pairs else {
            diagnostics.error(
                .fieldType, "'metadata' must be a mapping, found \(metadata.kindDescription)", at: metadata.location,
                help: "write metadata as a mapping with name: ...")
            return nil
        }
        var name: Located<String>?
        var namespace: Located<String>?
        var labels: [String: String] = [:]
        var annotations: [String: String] = [:]
        for pair in pairs {
            guard let key = pair.key.scalar?.value else { continue }
            switch key {
            case "name", "namespace":
                guard case .string(let text)? = pair.value.resolvedScalar else {
                    diagnostics.error(
                        pair.value.scalar == nil ? .fieldType : .ambiguousScalar,
                        "'metadata.\(key)' must be a string, found \(pair.value.kindDescription)", at: pair.value.location,
                        help: pair.value.scalar == nil
                            ? "write a plain name" : "quote the value: \"\(pair.value.scalar?.value ?? "")\"")
                    continue
                }
                let located = Located(text, at: pair.value.location)
                if key == "name" { name = located } else { namespace = located }
            case "labels", "annotations":
                guard let entries = pair.value.pairs else {
                    if case .null? = pair.value.resolvedScalar { continue }
                    diagnostics.error(
                        .fieldType, "'metadata.\(key)' must be a mapping, found \(pair.value.kindDescription)",
                        at: pair.value.location, help: "write \(key) as key: value lines")
                    continue
                }
                for entry in entries {
                    guard let entryKey = entry.key.scalar?.value else { continue }
                    guard case .string(let value)? = entry.value.resolvedScalar else {
                        diagnostics.error(
                            .ambiguousScalar,
                            "'metadata.\(key).\(entryKey)' must be a string, found \(entry.value.kindDescription)",
                            at: entry.value.location, help: "quote the value: \"\(entry.value.scalar?.value ?? "")\"")
                        continue
                    }
                    if key == "labels" {
                        checkLabelValue(value, key: entryKey, at: entry.value.location, diagnostics: diagnostics)
                    }
                    if key == "labels" { labels[entryKey] = value } else { annotations[entryKey] = value }
                }
            default:
                diagnostics.error(
                    .fieldUnknown, "unknown field '\(key)' in 'metadata'", at: pair.key.location,
                    help: Suggestions.closest(to: key, in: knownFields).map { "did you mean '\($0)'?" }
                        ?? "spec files carry only name, namespace, labels and annotations")
            }
        }
        guard let name else {
            if metadata.pair("name") != nil { return nil }
            diagnostics.error(
                .fieldRequired, "missing required field 'name' in 'metadata'", at: metadata.location,
                help: "add name: <lowercase-name>")
            return nil
        }
        switch nameRule {
        case .dnsLabel: NameChecks.checkLabel(name, what: "\(kind) name", diagnostics: diagnostics)
        case .dnsSubdomain: NameChecks.checkSubdomain(name, what: "\(kind) name", diagnostics: diagnostics)
        }
        if let namespace { NameChecks.checkLabel(namespace, what: "namespace", diagnostics: diagnostics) }
        return DecodedMetadata(name: name, namespace: namespace, labels: labels, annotations: annotations)
    }

    /// NBG109: a label value apimachinery's `IsValidLabelValue` refuses, at the value.
    static func checkLabelValue(
        _ value: String, key: String, at location: SourceLocation, diagnostics: DiagnosticCollector
    ) {
        guard !NameChecks.isLabelValue(value) else { return }
        diagnostics.error(
            .labelValue,
            "label '\(key)' has value '\(value)', which the API server rejects: "
                + (value.utf8.count > 63
                    ? "longer than 63 characters"
                    : "a label value holds only letters, digits, '-', '_' and '.', and begins and ends with a letter or digit"),
            at: location,
            help: "shorten it or replace the other characters (e.g. '\(labelValueSuggestion(value))'); "
                + "free text belongs in an annotation")
    }

    /// NBG109 for the pod template of a passed-through workload (`spec.template.metadata.labels`,
    /// a CronJob's `spec.jobTemplate.spec.template.metadata.labels`): the API server validates
    /// those labels as it validates the object's own.
    static func checkPodTemplateLabels(_ root: YAMLNode, kind: String, diagnostics: DiagnosticCollector) {
        guard let podPath = Workloads.podPaths[kind], podPath.hasSuffix(".spec") else { return }
        var node: YAMLNode? = root
        let keys: [String] = podPath.dropLast(".spec".count).split(separator: ".").map(String.init) + ["metadata", "labels"]
        for key in keys { node = node?[key] }
        for entry in node?.pairs ?? [] {
            guard let key = entry.key.scalar?.value, case .string(let value)? = entry.value.resolvedScalar else { continue }
            checkLabelValue(value, key: key, at: entry.value.location, diagnostics: diagnostics)
        }
    }

    /// A label value close to `value` that the API server accepts.
    static func labelValueSuggestion(_ value: String) -> String {
        var mapped = String(
            value.unicodeScalars.map { scalar -> Character in
                scalar.isASCII
                    && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_.".unicodeScalars.contains(scalar))
                    ? Character(scalar) : "-"
            })
        mapped = String(mapped.prefix(63))
        while let first = mapped.first, !(first.isASCII && (first.isLetter || first.isNumber)) { mapped.removeFirst() }
        while let last = mapped.last, !(last.isASCII && (last.isLetter || last.isNumber)) { mapped.removeLast() }
        return mapped.isEmpty ? "value" : mapped
    }
}
