import Foundation

/// The reference pages of `docs/reference/`, generated from what the compiler itself reads: the
/// decoder's schemas (every field of every file kind), the kinds a spec file may carry, the rule
/// catalog, and the command-line help. A test compares them with the committed pages and
/// re-records them with `NBGITOPS_RECORD=1`, so the reference cannot drift from the code.
public enum ReferenceDocs {
    /// The folder of the generated pages, relative to the repository root.
    public static let folder = "docs/reference"

    static let recordCommand = "NBGITOPS_RECORD=1 swift test --filter ReferenceDocsTests"

    /// Every generated page, path relative to the repository root → text. `help` is each
    /// command's `--help` text by command name ("" for `nbgitops` itself), in the order to print.
    public static func pages(help: [(command: String, text: String)]) -> [(path: String, text: String)] {
        [
            (folder + "/overlay.md", overlayPage()),
            (folder + "/project.md", projectPage()),
            (folder + "/notebookvalidationjob.md", notebookValidationJobPage()),
            (folder + "/modelpipeline.md", modelPipelinePage()),
            (folder + "/supporting-objects.md", supportingObjectsPage()),
            (folder + "/rules.md", rulesPage()),
            (folder + "/cli.md", cliPage(help: help)),
        ]
    }

    static func header(_ source: String) -> String {
        "<!-- Generated from \(source) by `\(recordCommand)`; do not edit by hand. -->\n\n"
    }

    // MARK: Field pages

    static func overlayPage() -> String {
        var text = header("Sources/NBGitOps/Resources/nbgitops-schemas.yaml (overlaySpec)")
        text += "# Overlay fields\n\n"
        text += "An overlay file is one YAML document: `apiVersion: \(OverlayLoader.apiVersion)`, "
        text += "`kind: \(OverlayLoader.kind)`, an optional `metadata` (`name`, `labels`, `annotations`) and the "
        text += "`spec` below. An environment stacks overlays in order; a later overlay overrides an earlier one "
        text += "field by field (lists are replaced whole, maps merged by key), and every resolved value remembers "
        text += "the file and line that set it. A field not listed here is an error "
        text += "(\(RuleID.fieldUnknown.rawValue)). "
        text += "See [Overlays](../overlays.md) for how they stack and which built-in overlays exist, and "
        text += "[Platforms](../platforms.md) for the facts under `platform`.\n\n"
        text += fieldTable(CRDSchemas.overlaySpec, root: "spec")
        return text
    }

    static func projectPage() -> String {
        var text = header("Sources/NBGitOps/Resources/nbgitops-schemas.yaml (projectSpec)")
        text += "# Project file fields (`nbgitops.yaml`)\n\n"
        text += "The project file is one YAML document: `apiVersion: \(OverlayLoader.apiVersion)`, `kind: \(Project.kind)`, "
        text += "an optional `metadata` (`name`, `labels`, `annotations`) and the `spec` below. Paths are relative to the "
        text += "project file. See [Getting started](../getting-started.md).\n\n"
        text += fieldTable(CRDSchemas.projectSpec, root: "spec")
        return text
    }

    static func notebookValidationJobPage() -> String {
        var text = header("Sources/NBGitOps/Resources/notebookvalidationjob-crd.yaml (the operator's CRD, v1alpha1)")
        text += "# NotebookValidationJob fields\n\n"
        text += "`apiVersion`: one of \(SpecDecoder.jobAPIVersions.map { "`\($0)`" }.joined(separator: ", ")); "
        text += "`kind: \(SpecDecoder.jobKind)`. The spec is the notebook validator operator's resource, field for field: "
        text += "the schema below is the operator's CRD, which the decoder reads as is. "
        text += specMetadataSentence
        text += "What nbgitops builds from it is described in [Validation Jobs](../validation-jobs.md).\n\n"
        text += fieldTable(CRDSchemas.notebookValidationJobSpec, root: "spec")
        return text
    }

    static func modelPipelinePage() -> String {
        var text = header("Sources/NBGitOps/Resources/nbgitops-schemas.yaml (modelPipelineSpec)")
        text += "# ModelPipeline fields\n\n"
        text += "`apiVersion`: \(ModelPipelineDecoder.apiVersions.map { "`\($0)`" }.joined(separator: ", ")); "
        text += "`kind: \(ModelPipelineDecoder.kind)`. "
        text += specMetadataSentence
        text += "What nbgitops builds from it is described in [Model pipelines](../model-pipelines.md).\n\n"
        text += fieldTable(CRDSchemas.modelPipelineSpec, root: "spec")
        return text
    }

    static let specMetadataSentence =
        "`metadata` holds `name` (required), `namespace`, `labels` and `annotations`, nothing else. "

    static func supportingObjectsPage() -> String {
        func names(_ keys: Set<String>) -> String {
            keys.sorted().map { key -> String in
                let parts = key.split(separator: "/", omittingEmptySubsequences: false)
                let group = parts.first.map(String.init) ?? ""
                let kind = parts.last.map(String.init) ?? key
                return "| \(kind) | \(group.isEmpty ? "core" : "`\(group)`") |"
            }.joined(separator: "\n")
        }
        var text = header("the supporting-object decoder's kind lists (Sources/NBGitOps/Decode/SupportingObjectDecoder.swift)")
        text += "# Supporting objects: the kinds a spec file may carry\n\n"
        let specKinds = SpecKinds.all.map { "`\($0.kind)`" }.joined(separator: ", ")
        text += "A document of a spec file whose `kind` is not a spec kind (\(specKinds)) is a supporting object: "
        text += "a plain Kubernetes object passed into the environment's output after the checks described in "
        text += "[Supporting objects](../supporting-objects.md). It needs `apiVersion`, `kind` and `metadata.name`; "
        text += "its kind must be one of the namespaced kinds below (any other is \(RuleID.passthroughKind.rawValue)).\n\n"
        text += "| kind | API group |\n|---|---|\n" + names(SupportingObjectDecoder.namespacedKinds) + "\n\n"
        text += "Cluster-scoped kinds are refused (\(RuleID.passthroughKind.rawValue)): manage them outside nbgitops, "
        text += "which writes the Namespace itself.\n\n"
        text += "| kind | API group |\n|---|---|\n" + names(SupportingObjectDecoder.clusterScopedKinds) + "\n\n"
        text +=
            "Tekton objects must be `tekton.dev/v1`: the `v1beta1` versions are refused (\(RuleID.passthroughKind.rawValue)).\n"
        return text
    }

    /// One row per field, depth first, properties in name order; array items as `field[]`,
    /// map values as `field.<key>`.
    static func fieldTable(_ schema: Schema?, root: String) -> String {
        guard let schema else { return "The schema is missing from this build.\n" }
        var rows: [String] = []
        if let description = schema.description {
            rows.append(
                "| `\(root)` | \(typeName(schema)) | \(cell(constraints(schema, required: false))) | \(cell(description)) |")
        }
        walk(schema, path: root, rows: &rows, depth: 0)
        return "| field | type | constraints | description |\n|---|---|---|---|\n" + rows.joined(separator: "\n") + "\n"
    }

    static func walk(_ schema: Schema, path: String, rows: inout [String], depth: Int) {
        // The schemas nest a few levels (the CRD's affinity about 10); a bound keeps a
        // recursive schema from looping.
        guard depth < 32 else { return }
        for name in schema.properties.keys.sorted() {
            guard let field = schema.properties[name] else { continue }
            let fieldPath = path + "." + name
            let required = schema.required.contains(name)
            rows.append(
                "| `\(fieldPath)` | \(typeName(field)) | \(cell(constraints(field, required: required))) | "
                    + "\(cell(field.description ?? "")) |")
            descend(field, path: fieldPath, rows: &rows, depth: depth + 1)
        }
    }

    static func descend(_ field: Schema, path: String, rows: inout [String], depth: Int) {
        walk(field, path: path, rows: &rows, depth: depth)
        if let items = field.items {
            if !items.properties.isEmpty { walk(items, path: path + "[]", rows: &rows, depth: depth) }
            if let nested = items.items { descend(nested, path: path + "[][]", rows: &rows, depth: depth + 1) }
        }
        if let values = field.additionalProperties, !values.properties.isEmpty {
            walk(values, path: path + ".<key>", rows: &rows, depth: depth)
        }
    }

    static func typeName(_ schema: Schema) -> String {
        if schema.intOrString { return "integer or string" }
        if schema.type == nil, schema.enumValues != nil, !schema.properties.isEmpty { return "string or object" }
        guard let type = schema.type else { return schema.preservesUnknownFields ? "any" : "—" }
        switch type {
        case .array:
            guard let items = schema.items else { return "array" }
            return "array of " + typeName(items)
        case .object:
            if let values = schema.additionalProperties, schema.properties.isEmpty {
                return "map of " + typeName(values)
            }
            return "object"
        default:
            return type.rawValue
        }
    }

    static func constraints(_ schema: Schema, required: Bool) -> String {
        var parts: [String] = []
        if required { parts.append("required") }
        if let values = schema.enumValues { parts.append("one of " + values.map { "`\($0)`" }.joined(separator: ", ")) }
        if let values = schema.items?.enumValues {
            parts.append("items one of " + values.map { "`\($0)`" }.joined(separator: ", "))
        }
        if let pattern = schema.pattern { parts.append("pattern `\(pattern)`") }
        if let minimum = schema.minimum { parts.append("≥ \(number(minimum))") }
        if let maximum = schema.maximum { parts.append("≤ \(number(maximum))") }
        if let length = schema.minLength { parts.append("at least \(length) characters") }
        if let length = schema.maxLength { parts.append("at most \(length) characters") }
        if let count = schema.minItems { parts.append("at least \(count) item\(count == 1 ? "" : "s")") }
        if let count = schema.maxItems { parts.append("at most \(count) item\(count == 1 ? "" : "s")") }
        if let value = schema.defaultValue?.scalar?.value { parts.append("default `\(value)`") }
        if schema.preservesUnknownFields { parts.append("any fields") }
        return parts.joined(separator: "; ")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// One table cell: one line, pipes and angle brackets escaped. The operator's CRD prefixes
    /// some description lines with the number of one of its design records ("ADR-041: "), which
    /// means nothing to a reader here: the prefix is left out, the sentence kept.
    static func cell(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { line -> String in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("ADR-"), let colon = trimmed.firstIndex(of: ":"),
                trimmed[trimmed.index(trimmed.startIndex, offsetBy: 4)..<colon].allSatisfy(\.isNumber)
            else { return trimmed }
            return trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
            .joined(separator: " ")
            .replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    // MARK: Rules

    static func rulesPage() -> String {
        var text = header("the rule catalog (RuleCatalog.all)")
        text += "# Rules index\n\n"
        text += "Every diagnostic nbgitops reports has one of these ids. `nbgitops rules` prints this list and "
        text += "`nbgitops rules ID` a rule's page. *Stage* is where the rule runs (see [Concepts](../concepts.md)); "
        text += "*waivable* rules can be waived for one spec document with a `nbgitops.dev/waive` annotation "
        text += "(see [Rules and waivers](../rules.md)).\n\n"
        text += "| id | severity | stage | waivable | what it reports |\n|---|---|---|---|---|\n"
        for rule in RuleCatalog.all {
            let id = rule.id.rawValue
            text += "| [\(id)](../rules/\(id).md) | \(rule.severity.rawValue) | \(rule.stage.rawValue) | "
            text += "\(rule.waivable ? "yes" : "no") | \(cell(rule.title)) |\n"
        }
        return text
    }

    // MARK: Command line

    static func cliPage(help: [(command: String, text: String)]) -> String {
        var text = header("each command's `--help`")
        text += "# Command reference\n\n"
        text += "The `--help` of every command, as the binary prints it at 100 columns. "
        text += "[The command line](../cli.md) explains the commands with examples.\n\n"
        for entry in help {
            let name = entry.command.isEmpty ? "nbgitops" : "nbgitops \(entry.command)"
            text += "## \(name)\n\n```\n" + entry.text.trimmingCharacters(in: .newlines) + "\n```\n\n"
        }
        return text.trimmingCharacters(in: .newlines) + "\n"
    }
}
