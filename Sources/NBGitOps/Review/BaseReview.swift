import Foundation

/// `nbgitops diff --base REF`: what a change does to every environment compared with the
/// project at a base git ref, for a pull request's review: objects added, removed, renamed
/// (a Job or PipelineRun whose content-addressed name changed) and changed, each changed object
/// with its fields, and the diagnostics that are new or resolved.
///
/// Both sides are compiled from their specs with this nbgitops (the base from a copy of the
/// tree at REF), so a difference is a difference of the inputs, not of nbgitops versions.
public struct BaseReview: Sendable {
    /// One side's compile: its plans (none when it did not compile) and all its diagnostics.
    public struct Side: Sendable {
        public var plans: [EnvironmentPlan]
        public var diagnostics: [Diagnostic]
        public var compiled: Bool
        /// The environments the project file defines, in its order.
        public var environments: [String]

        public init(plans: [EnvironmentPlan], diagnostics: [Diagnostic], compiled: Bool, environments: [String]) {
            self.plans = plans
            self.diagnostics = diagnostics
            self.compiled = compiled
            self.environments = environments
        }
    }

    public enum Presence: String, Sendable {
        case both, added, removed
    }

    public struct EnvironmentReview: Sendable {
        public var name: String
        public var presence: Presence
        public var objects: [EnvironmentDiff.ObjectChange]
        public var unchanged: Int
        public var newDiagnostics: [Diagnostic]
        public var resolvedDiagnostics: [Diagnostic]
        /// False when a side that has this environment did not compile: no object comparison.
        public var compared: Bool = true

        public var added: [EnvironmentDiff.ObjectChange] { objects.filter { $0.change == .added } }
        public var removed: [EnvironmentDiff.ObjectChange] { objects.filter { $0.change == .removed } }
        /// Changed objects whose name changed (a content-addressed Job, PipelineRun or BuildConfig).
        public var renamed: [EnvironmentDiff.ObjectChange] {
            objects.filter { $0.change == .changed && $0.fromName != $0.toName }
        }
        public var changed: [EnvironmentDiff.ObjectChange] {
            objects.filter { $0.change == .changed && $0.fromName == $0.toName }
        }
        public var isEmpty: Bool { objects.isEmpty && newDiagnostics.isEmpty && resolvedDiagnostics.isEmpty }
    }

    public var base: String
    public var baseCompiled: Bool
    public var currentCompiled: Bool
    public var environments: [EnvironmentReview]
    /// Diagnostics of the inputs themselves (load, decode, resolve), of no one environment.
    public var newDiagnostics: [Diagnostic]
    public var resolvedDiagnostics: [Diagnostic]

    /// - Parameter only: the environments to show (all of either side when empty).
    public static func compare(base ref: String, base: Side, current: Side, only: [String] = []) -> BaseReview {
        var names = current.environments
        for name in base.environments where !names.contains(name) { names.append(name) }
        if !only.isEmpty { names = names.filter { only.contains($0) } }
        var environments: [EnvironmentReview] = []
        for name in names {
            let old = base.plans.first { $0.environment.name == name }
            let new = current.plans.first { $0.environment.name == name }
            let presence: Presence =
                !base.environments.contains(name) ? .added : !current.environments.contains(name) ? .removed : .both
            var objects: [EnvironmentDiff.ObjectChange] = []
            var unchanged = 0
            var compared = true
            switch (old, new) {
            case (let old?, let new?):
                let diff = EnvironmentDiff.compare(old, new, namingListElements: true)
                // A renamed object's heading names both names.
                objects = diff.objects.map { object in
                    var object = object
                    if object.fromName != object.toName { object.fields.removeAll { $0.path == "metadata.name" } }
                    return object
                }
                unchanged = diff.unchanged
            case (nil, let new?) where presence == .added:
                objects = EnvironmentDiff.keyed(new).ordered.map { oneSided(.added, $0.1) }
            case (let old?, nil) where presence == .removed:
                objects = EnvironmentDiff.keyed(old).ordered.map { oneSided(.removed, $0.1) }
            default:
                compared = false  // a side did not compile
            }
            let (new_, resolved) = diagnosticChanges(
                base.diagnostics.filter { $0.environments.contains(name) },
                current.diagnostics.filter { $0.environments.contains(name) })
            environments.append(
                EnvironmentReview(
                    name: name, presence: presence, objects: objects, unchanged: unchanged, newDiagnostics: new_,
                    resolvedDiagnostics: resolved, compared: compared))
        }
        let (new_, resolved) = diagnosticChanges(
            base.diagnostics.filter { $0.environments.isEmpty }, current.diagnostics.filter { $0.environments.isEmpty })
        return BaseReview(
            base: ref, baseCompiled: base.compiled, currentCompiled: current.compiled, environments: environments,
            newDiagnostics: new_, resolvedDiagnostics: resolved)
    }

    static func oneSided(_ change: EnvironmentDiff.Change, _ entry: EnvironmentDiff.Entry) -> EnvironmentDiff.ObjectChange {
        EnvironmentDiff.ObjectChange(
            change: change, kind: entry.object.kind, identity: entry.identity,
            fromName: change == .removed ? entry.object.name : nil, toName: change == .added ? entry.object.name : nil,
            fromFile: change == .removed ? entry.file : nil, toFile: change == .added ? entry.file : nil, fields: [])
    }

    /// Diagnostics are the same finding when severity, rule, file and message match: a line that
    /// moved because lines were added above it is not a new finding. Counted as multisets.
    static func diagnosticChanges(_ old: [Diagnostic], _ new: [Diagnostic]) -> (new: [Diagnostic], resolved: [Diagnostic]) {
        func key(_ diagnostic: Diagnostic) -> String {
            "\(diagnostic.severity.rawValue)|\(diagnostic.id.rawValue)|\(diagnostic.location?.file ?? "")|\(diagnostic.message)"
        }
        func subtract(_ items: [Diagnostic], _ others: [Diagnostic]) -> [Diagnostic] {
            var counts: [String: Int] = [:]
            for other in others { counts[key(other), default: 0] += 1 }
            var result: [Diagnostic] = []
            for item in sorted(items) {
                let k = key(item)
                if let count = counts[k], count > 0 {
                    counts[k] = count - 1
                } else {
                    result.append(item)
                }
            }
            return result
        }
        return (subtract(new, old), subtract(old, new))
    }

    static func sorted(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.sorted {
            ($0.location?.file ?? "", $0.location?.line ?? 0, $0.location?.column ?? 0, $0.id.rawValue, $0.message)
                < ($1.location?.file ?? "", $1.location?.line ?? 0, $1.location?.column ?? 0, $1.id.rawValue, $1.message)
        }
    }

    // MARK: Output

    static func counts(_ environment: EnvironmentReview) -> String {
        var text =
            !environment.compared
            ? "objects not compared"
            : "\(environment.added.count) added, \(environment.removed.count) removed, \(environment.renamed.count) renamed, "
                + "\(environment.changed.count) changed, \(environment.unchanged) identical"
        if !environment.newDiagnostics.isEmpty || !environment.resolvedDiagnostics.isEmpty {
            text +=
                "; \(environment.newDiagnostics.count) new diagnostic(s), \(environment.resolvedDiagnostics.count) resolved"
        }
        return text
    }

    static func heading(_ environment: EnvironmentReview) -> String {
        switch environment.presence {
        case .both: return environment.name
        case .added: return "\(environment.name) (new environment)"
        case .removed: return "\(environment.name) (environment removed)"
        }
    }

    static func diagnosticLine(_ diagnostic: Diagnostic) -> String {
        let location = diagnostic.location.map { "\($0.file):\($0.line):\($0.column): " } ?? ""
        return "\(location)\(diagnostic.severity.rawValue)[\(diagnostic.id.rawValue)]: \(diagnostic.message)"
    }

    static func fieldLine(_ field: EnvironmentDiff.FieldChange) -> String {
        "\(field.path): \(ManifestFlattening.inline(field.from)) → \(ManifestFlattening.inline(field.to))"
    }

    var compileNotes: [String] {
        var notes: [String] = []
        if !baseCompiled { notes.append("the project at \(base) does not compile: its objects are not compared") }
        if !currentCompiled { notes.append("the current project does not compile: its objects are not compared") }
        return notes
    }

    public func renderText() -> String {
        var text = "nbgitops diff --base \(base)\n"
        for note in compileNotes { text += "note: \(note)\n" }
        for environment in environments {
            text += "\n== \(Self.heading(environment)): \(Self.counts(environment))\n"
            for object in environment.added {
                text += "+ \(object.kind)/\(object.toName ?? object.identity)\n"
            }
            for object in environment.removed {
                text += "- \(object.kind)/\(object.fromName ?? object.identity)\n"
            }
            for object in environment.renamed {
                text += "> \(object.kind)/\(object.fromName ?? "") → \(object.toName ?? "")\n"
                for field in object.fields { text += "    \(Self.fieldLine(field))\n" }
            }
            for object in environment.changed {
                text += "~ \(object.kind)/\(object.toName ?? object.identity)\n"
                for field in object.fields { text += "    \(Self.fieldLine(field))\n" }
            }
            text += Self.diagnosticsText(environment.newDiagnostics, environment.resolvedDiagnostics)
        }
        if !newDiagnostics.isEmpty || !resolvedDiagnostics.isEmpty {
            text += "\n== inputs (every environment)\n"
            text += Self.diagnosticsText(newDiagnostics, resolvedDiagnostics)
        }
        return text
    }

    static func diagnosticsText(_ new: [Diagnostic], _ resolved: [Diagnostic]) -> String {
        var text = ""
        if !new.isEmpty {
            text += "new diagnostics:\n"
            for diagnostic in new { text += "    \(diagnosticLine(diagnostic))\n" }
        }
        if !resolved.isEmpty {
            text += "resolved diagnostics:\n"
            for diagnostic in resolved { text += "    \(diagnosticLine(diagnostic))\n" }
        }
        return text
    }

    /// GitHub-flavoured markdown for a job summary: a table of counts, then per environment
    /// the objects and their fields. Values are shown in code spans.
    public func renderMarkdown() -> String {
        var text = "## nbgitops review: changes compared with `\(Self.code(base))`\n\n"
        for note in compileNotes { text += "> **Note:** \(Self.escape(note))\n\n" }
        text += "| Environment | Added | Removed | Renamed | Changed | Identical | New diagnostics | Resolved |\n"
        text += "|---|---:|---:|---:|---:|---:|---:|---:|\n"
        for environment in environments {
            let objects =
                environment.compared
                ? [
                    environment.added.count, environment.removed.count, environment.renamed.count,
                    environment.changed.count, environment.unchanged,
                ].map(String.init) : Array(repeating: "–", count: 5)
            let cells =
                [Self.escape(Self.heading(environment))] + objects
                + [String(environment.newDiagnostics.count), String(environment.resolvedDiagnostics.count)]
            text += "| " + cells.joined(separator: " | ") + " |\n"
        }
        for environment in environments where !environment.isEmpty {
            text += "\n### \(Self.escape(Self.heading(environment)))\n\n"
            for object in environment.added {
                text += "- **added** `\(Self.code("\(object.kind)/\(object.toName ?? object.identity)"))`\n"
            }
            for object in environment.removed {
                text += "- **removed** `\(Self.code("\(object.kind)/\(object.fromName ?? object.identity)"))`\n"
            }
            for object in environment.renamed {
                text +=
                    "- **renamed** `\(Self.code("\(object.kind)/\(object.fromName ?? "")"))` → "
                    + "`\(Self.code(object.toName ?? ""))`\n"
                for field in object.fields { text += "  - `\(Self.code(Self.fieldLine(field)))`\n" }
            }
            for object in environment.changed {
                text += "- **changed** `\(Self.code("\(object.kind)/\(object.toName ?? object.identity)"))`\n"
                for field in object.fields { text += "  - `\(Self.code(Self.fieldLine(field)))`\n" }
            }
            text += Self.diagnosticsMarkdown(environment.newDiagnostics, environment.resolvedDiagnostics)
        }
        if !newDiagnostics.isEmpty || !resolvedDiagnostics.isEmpty {
            text += "\n### Inputs (every environment)\n\n"
            text += Self.diagnosticsMarkdown(newDiagnostics, resolvedDiagnostics)
        }
        return text
    }

    static func diagnosticsMarkdown(_ new: [Diagnostic], _ resolved: [Diagnostic]) -> String {
        var text = ""
        for diagnostic in new { text += "- **new** `\(code(diagnosticLine(diagnostic)))`\n" }
        for diagnostic in resolved { text += "- **resolved** `\(code(diagnosticLine(diagnostic)))`\n" }
        return text
    }

    /// Text inside a single-backtick code span: backticks and line breaks would end it.
    static func code(_ text: String) -> String {
        text.replacingOccurrences(of: "`", with: "'").replacingOccurrences(of: "\n", with: " ")
    }

    /// Text in a table cell or heading: `|` and markup characters escaped.
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            if "\\`*_[]<>|#".contains(character) { result.append("\\") }
            result.append(character == "\n" ? " " : character)
        }
        return result
    }
}

/// The project's files as they are at a git ref, copied into a temporary folder
/// (`git archive`), so the base of a review compiles like a checkout of it.
public enum BaseTree {
    public enum Failure: Error, CustomStringConvertible {
        case git(String)
        case io(String)

        public var description: String {
            switch self {
            case .git(let message): return message
            case .io(let message): return message
            }
        }
    }

    /// Extracts `ref` of the repository at `repositoryRoot` into a new temporary folder and
    /// returns it; the caller removes it.
    public static func extract(ref: String, repositoryRoot: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-base-\(UUID().uuidString)")
            .path
        do {
            try FileManager.default.createDirectory(atPath: folder + "/tree", withIntermediateDirectories: true)
        } catch {
            throw Failure.io("cannot create a temporary folder for the base: \(error.localizedDescription)")
        }
        do {
            // `^{tree}`: a tag or a commit both name a tree (the CLI refuses a REF that starts with `-`).
            _ = try ExternalCommand.output(
                of: "git", ["-C", repositoryRoot, "rev-parse", "--verify", "--quiet", "\(ref)^{tree}"])
            _ = try ExternalCommand.output(
                of: "git", ["-C", repositoryRoot, "archive", "--format=tar", "-o", folder + "/base.tar", "\(ref)^{tree}"])
            _ = try ExternalCommand.output(of: "tar", ["-x", "-f", folder + "/base.tar", "-C", folder + "/tree"])
        } catch ExternalCommand.Failure.exited(_, let message) {
            try? FileManager.default.removeItem(atPath: folder)
            throw Failure.git(
                message.isEmpty ? "'\(ref)' does not name a commit of the repository at \(repositoryRoot)" : message)
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw Failure.git("cannot run git: \(error)")
        }
        return folder
    }
}
