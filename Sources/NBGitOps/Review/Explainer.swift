/// `nbgitops explain ENV KIND/NAME[.field.path]`: an emitted object, or one of its fields, with
/// the input that set it (spec line, overlay line, or built-in default and why) and the rule
/// that shaped it. Answers from the plan, so it explains exactly what `render` writes.
public enum Explainer {
    /// An object found for a `KIND/NAME[.path]` target.
    public struct Match: Sendable {
        public var object: PlannedObject
        /// The file it is written to, relative to the output root.
        public var file: String
        /// The field asked for, or nil for the whole object.
        public var path: String?
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformedTarget(String)
        case noObject(kind: String, name: String, candidates: [String])
        case noField(object: String, path: String, available: [String], suggestion: String?)

        public var description: String {
            switch self {
            case .malformedTarget(let target):
                return "'\(target)' is not KIND/NAME[.field.path] (e.g. Job/intro-statistics.spec.activeDeadlineSeconds)"
            case .noObject(let kind, let name, let candidates):
                let list = candidates.isEmpty ? "none" : candidates.joined(separator: ", ")
                return "no \(kind) named '\(name)' in this environment; \(kind) objects: \(list)"
            case .noField(let object, let path, let available, let suggestion):
                let hint = suggestion.map { "did you mean '\($0)'? " } ?? ""
                return "\(object) has no field '\(path)'; \(hint)its top-level fields: \(available.joined(separator: ", "))"
            }
        }
    }

    /// Every object of the plan with the file it is written to.
    public static func objectsWithFiles(_ plan: EnvironmentPlan) -> [(object: PlannedObject, file: String)] {
        let environment = plan.environment.name
        let home = plan.environment.naming.namespace.value
        func placed(_ object: PlannedObject, _ folder: String) -> String {
            "\(environment)/\(object.part ?? folder)/\(OutputLayout.manifestPath(object, homeNamespace: home))"
        }
        return plan.objects.map { ($0, placed($0, "manifests")) }
            + plan.buildObjects.map { ($0, placed($0, OutputLayout.buildsFolderName)) }
            + plan.servingObjects.map { ($0, placed($0, OutputLayout.servingFolderName)) }
            + plan.deliveryObjects.map {
                ($0, "\(environment)/\($0.part ?? "delivery")/\(OutputLayout.deliveryFileName($0))")
            }
            + plan.snippets.map { ($0, "\(environment)/delivery/\(OutputLayout.snippetFileName($0))") }
    }

    /// Kinds whose names add a content hash to the spec's name (they are immutable or run once
    /// per content): validation Jobs, Tekton PipelineRuns, S2I BuildConfigs and Builds.
    static let hashedKinds: Set<String> = ["Job", "PipelineRun", "BuildConfig", "Build"]

    /// Names a target may use for an object: its name, and for the hashed kinds the name of the
    /// spec that made it (`app.kubernetes.io/instance`, the name without the hash).
    static func aliases(_ object: PlannedObject) -> [String] {
        var names = [object.name]
        if let instance = object.manifest.value(at: "metadata.labels[app.kubernetes.io/instance]")?.stringValue,
            hashedKinds.contains(object.kind), instance != object.name
        {
            names.append(instance)
        }
        return names
    }

    public static func find(_ target: String, in plan: EnvironmentPlan) -> Result<Match, Failure> {
        guard let slash = target.firstIndex(of: "/") else { return .failure(.malformedTarget(target)) }
        let kind = String(target[..<slash])
        let rest = String(target[target.index(after: slash)...])
        guard !kind.isEmpty, !rest.isEmpty else { return .failure(.malformedTarget(target)) }
        let candidates = objectsWithFiles(plan).filter { $0.object.kind.lowercased() == kind.lowercased() }
        // The longest name that the rest starts with wins (names may contain dots).
        var best: (match: Match, length: Int, exactName: Bool)?
        for candidate in candidates {
            for (index, alias) in aliases(candidate.object).enumerated() {
                var path: String?
                if rest == alias {
                    path = nil
                } else if rest.hasPrefix(alias + ".") {
                    path = String(rest.dropFirst(alias.count + 1))
                } else if rest.hasPrefix(alias + "[") {
                    path = String(rest.dropFirst(alias.count))
                } else {
                    continue
                }
                let length = alias.utf8.count
                if let current = best, current.length > length || (current.length == length && current.exactName) {
                    continue
                }
                best = (Match(object: candidate.object, file: candidate.file, path: path), length, index == 0)
            }
        }
        guard let match = best?.match else {
            let name = rest.split(separator: ".").first.map(String.init) ?? rest
            let shown = candidates.isEmpty ? kind : candidates[0].object.kind
            return .failure(
                .noObject(kind: shown, name: name, candidates: candidates.map(\.object.name).sorted()))
        }
        if let path = match.path, match.object.manifest.value(at: path) == nil {
            let top = match.object.manifest.entries.map { ManifestRenderer.canonicalOrder($0).map(\.key) } ?? []
            return .failure(
                .noField(
                    object: "\(match.object.kind)/\(match.object.name)", path: path, available: top,
                    suggestion: nearestPath(to: path, in: match.object.manifest)))
        }
        return .success(match)
    }

    /// The diagnostics located in one of the object's inputs, and how many others there are.
    /// With `specs`, an input in a spec file is the spec document that made the object (of any
    /// kind), never the other documents of that file; an overlay or template is its whole file.
    public static func diagnostics(
        _ all: [Diagnostic], about object: PlannedObject, specs: SpecSet? = nil
    ) -> (about: [Diagnostic], others: Int) {
        let index = specs.map(SpecIndex.init)
        var documents: Set<DocumentKey> = []
        var files: Set<String> = []
        for source in object.sources {
            if let document = index?.document(at: source) { documents.insert(document) } else { files.insert(source.file) }
        }
        let about = all.filter { diagnostic in
            guard let location = diagnostic.location else { return false }
            if let document = index?.document(at: location) { return documents.contains(document) }
            return files.contains(location.file)
        }
        return (about, all.count - about.count)
    }

    /// The existing field path closest to `path`: among the leaves and the collections above
    /// them, the one at the least edit distance, if it is close enough to be a slip.
    static func nearestPath(to path: String, in manifest: ManifestNode) -> String? {
        var candidates: Set<String> = []
        for leaf in ManifestFlattening.leaves(manifest) {
            var prefix = leaf.path
            candidates.insert(prefix)
            // Every ancestor too (`spec.template.spec.containers[0]`, `spec.template.spec`, …).
            while let cut = prefix.lastIndex(where: { $0 == "." || $0 == "[" }) {
                prefix = String(prefix[..<cut])
                if prefix.isEmpty || !candidates.insert(prefix).inserted { break }
            }
        }
        return Suggestions.closest(to: path, in: candidates.sorted(by: FieldPathOrder.precedes))
    }

    /// The provenance entry explaining `path`: the entry for the path itself, else for its
    /// longest listed prefix (`""`, the whole object, last).
    public static func origin(of path: String, in object: PlannedObject) -> (key: String, origin: FieldOrigin)? {
        var best: (String, FieldOrigin)?
        for (key, origin) in object.provenance where covers(key, path) {
            if let current = best, current.0.utf8.count >= key.utf8.count { continue }
            best = (key, origin)
        }
        return best
    }

    /// Whether provenance key `key` covers `path` (equal, or a prefix ending at a component).
    static func covers(_ key: String, _ path: String) -> Bool {
        if key.isEmpty || key == path { return true }
        guard path.hasPrefix(key) else { return false }
        let next = path.utf8.dropFirst(key.utf8.count).first
        return next == UInt8(ascii: ".") || next == UInt8(ascii: "[")
    }

    /// The text `nbgitops explain` prints.
    /// Credential-looking substrings of the values shown are redacted (`EchoedText`), as in
    /// diagnostics: what a terminal or CI log shows is not where a secret should surface.
    public static func render(_ match: Match, environment: String, outputRoot: String) -> String {
        EchoedText.redacted(unredacted(match, environment: environment, outputRoot: outputRoot))
    }

    private static func unredacted(_ match: Match, environment: String, outputRoot: String) -> String {
        let object = match.object
        let root = OutputLayout.normalizeRoot(outputRoot)
        let file = root == "." ? match.file : "\(root)/\(match.file)"
        var text = "\(object.kind)/\(object.name) in environment \(environment)\n"
        text += "  file:    \(file)\n"
        let sources = object.sources.map(\.description)
        text += "  from:    \(sources.isEmpty ? "nbgitops (built-in)" : sources.joined(separator: ", "))\n"
        if let path = match.path {
            let value = object.manifest.value(at: path)
            text += "\n\(path):\(value.map(valueText) ?? " (absent)\n")"
            text += describe(path: path, object: object, indent: "  ")
            return text
        }
        text += "\nfields:\n"
        let keys = object.provenance.keys.sorted(by: FieldPathOrder.precedes)
        for key in keys {
            guard let origin = object.provenance[key] else { continue }
            let value = key.isEmpty ? nil : object.manifest.value(at: key)
            if !key.isEmpty && value == nil { continue }
            text += "  \(key.isEmpty ? "(object)" : key)"
            if let value { text += " = \(ManifestFlattening.inline(value, expandingSmallMaps: true))" }
            text += "\n" + lines(origin, indent: "      ")
        }
        return text
    }

    static func describe(path: String, object: PlannedObject, indent: String) -> String {
        guard let (key, origin) = origin(of: path, in: object) else {
            return "\(indent)origin: nbgitops (built-in): no input sets this field\n"
        }
        var text = lines(origin, indent: indent)
        if key != path { text += "\(indent)(explained by \(key.isEmpty ? "the whole object" : key))\n" }
        return text
    }

    static func lines(_ field: FieldOrigin, indent: String) -> String {
        var text = "\(indent)origin: \(field.origin)"
        if let name = field.field { text += " [\(name)]" }
        text += "\n"
        if let rule = field.rule { text += "\(indent)rule:   \(rule)\n" }
        return text
    }

    /// Scalars inline; collections as an indented YAML block.
    static func valueText(_ node: ManifestNode) -> String {
        switch node {
        case .map(let entries) where !entries.isEmpty: break
        case .list(let elements) where !elements.isEmpty: break
        case .string(let text) where text.contains("\n"): break
        default: return " " + ManifestFlattening.inline(node) + "\n"
        }
        let yaml = ManifestRenderer.renderString([node])
        return "\n"
            + yaml.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "    " + $0 }
            .joined(separator: "\n").trimmingTrailingNewlines() + "\n"
    }
}

extension String {
    fileprivate func trimmingTrailingNewlines() -> String {
        var text = self
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}

/// Field paths in reading order: text compared byte by byte, but a run of digits (a list index)
/// compared as a number, so `containers[2]` comes before `containers[10]`.
public enum FieldPathOrder {
    public static func precedes(_ a: String, _ b: String) -> Bool {
        var left = Array(a.utf8)[...]
        var right = Array(b.utf8)[...]
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        while let x = left.first, let y = right.first {
            if isDigit(x) && isDigit(y) {
                let leftDigits = left.prefix(while: isDigit)
                let rightDigits = right.prefix(while: isDigit)
                // Compare as numbers without overflow: strip leading zeros, then length, then digits.
                let leftValue = leftDigits.drop(while: { $0 == UInt8(ascii: "0") })
                let rightValue = rightDigits.drop(while: { $0 == UInt8(ascii: "0") })
                if leftValue.count != rightValue.count { return leftValue.count < rightValue.count }
                if !leftValue.elementsEqual(rightValue) { return leftValue.lexicographicallyPrecedes(rightValue) }
                if leftDigits.count != rightDigits.count { return leftDigits.count < rightDigits.count }
                left = left.dropFirst(leftDigits.count)
                right = right.dropFirst(rightDigits.count)
                continue
            }
            if x != y { return x < y }
            left = left.dropFirst()
            right = right.dropFirst()
        }
        return left.isEmpty && !right.isEmpty
    }
}
