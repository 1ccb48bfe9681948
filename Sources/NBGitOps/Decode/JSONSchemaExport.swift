import Foundation

/// `nbgitops schema`: JSON Schema (draft-07, what the YAML language server reads) for the files
/// nbgitops reads, generated from the very `Schema` values the decoder validates against — the
/// operator's CRD for NotebookValidationJob specs, `Resources/nbgitops-schemas.yaml` for
/// overlays and the project file — so editor validation and `nbgitops render` cannot disagree
/// on a field, a type, an enum or a pattern.
///
/// The combined schema dispatches on `kind`: Project, Overlay, NotebookValidationJob, and any
/// other kind as a supporting Kubernetes object (apiVersion, kind, metadata.name).
public enum JSONSchemaExport {
    public enum Document: String, CaseIterable, Sendable {
        case all, project, overlay, spec
        case modelPipeline = "model-pipeline"
    }

    public static let draft = "http://json-schema.org/draft-07/schema#"

    /// The schema as JSON text (sorted keys, two-space indentation, trailing newline).
    public static func render(_ document: Document) -> String {
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: schema(document), options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    public static func schema(_ document: Document) -> [String: Any] {
        var result: [String: Any]
        switch document {
        case .project: result = project()
        case .overlay: result = overlay()
        case .spec: result = notebookValidationJob()
        case .modelPipeline: result = modelPipeline()
        case .all:
            let kinds = [Project.kind, OverlayLoader.kind, "NotebookValidationJob", ModelPipelineDecoder.kind]
            func when(_ kind: String, _ reference: String) -> [String: Any] {
                [
                    "if": ["properties": ["kind": ["const": kind]], "required": ["kind"]],
                    "then": ["$ref": "#/definitions/\(reference)"],
                ]
            }
            result = [
                "title": "nbgitops project, overlay and spec files",
                "type": "object",
                "definitions": [
                    "project": project(), "overlay": overlay(), "notebookValidationJob": notebookValidationJob(),
                    "modelPipeline": modelPipeline(), "supportingObject": supportingObject(),
                ],
                "allOf": [
                    when(Project.kind, "project"), when(OverlayLoader.kind, "overlay"),
                    when("NotebookValidationJob", "notebookValidationJob"),
                    when(ModelPipelineDecoder.kind, "modelPipeline"),
                    [
                        "if": ["properties": ["kind": ["not": ["enum": kinds]]]],
                        "then": ["$ref": "#/definitions/supportingObject"],
                    ],
                ],
            ]
        }
        result["$schema"] = draft
        return result
    }

    // MARK: Documents

    static func ownMetadata() -> [String: Any] {
        [
            "type": "object",
            "additionalProperties": false,
            "properties": [
                "name": ["type": "string"], "labels": stringMap(), "annotations": stringMap(),
            ],
        ]
    }

    static func envelope(
        kind: String, apiVersion: [String: Any], metadata: [String: Any], spec: Schema?, required: [String]
    ) -> [String: Any] {
        [
            "title": kind,
            "type": "object",
            "required": required,
            "additionalProperties": false,
            "properties": [
                "apiVersion": apiVersion, "kind": ["const": kind], "metadata": metadata,
                "spec": spec.map { convert($0) } ?? ["type": "object"],
            ],
        ]
    }

    static func project() -> [String: Any] {
        envelope(
            kind: Project.kind, apiVersion: ["const": OverlayLoader.apiVersion], metadata: ownMetadata(),
            spec: CRDSchemas.projectSpec, required: ["apiVersion", "kind", "spec"])
    }

    static func overlay() -> [String: Any] {
        envelope(
            kind: OverlayLoader.kind, apiVersion: ["const": OverlayLoader.apiVersion], metadata: ownMetadata(),
            spec: CRDSchemas.overlaySpec, required: ["apiVersion", "kind"])
    }

    /// `metadata` of a spec kind's document: a required name, optional namespace, labels and
    /// annotations, nothing else.
    static func specMetadata() -> [String: Any] {
        [
            "type": "object",
            "required": ["name"],
            "additionalProperties": false,
            "properties": [
                "name": ["type": "string"], "namespace": ["type": "string"], "labels": stringMap(),
                "annotations": stringMap(),
            ],
        ]
    }

    static func notebookValidationJob() -> [String: Any] {
        envelope(
            kind: "NotebookValidationJob", apiVersion: ["enum": SpecDecoder.jobAPIVersions], metadata: specMetadata(),
            spec: CRDSchemas.notebookValidationJobSpec, required: ["apiVersion", "kind", "metadata", "spec"])
    }

    static func modelPipeline() -> [String: Any] {
        envelope(
            kind: ModelPipelineDecoder.kind, apiVersion: ["enum": ModelPipelineDecoder.apiVersions], metadata: specMetadata(),
            spec: CRDSchemas.modelPipelineSpec, required: ["apiVersion", "kind", "metadata", "spec"])
    }

    static func supportingObject() -> [String: Any] {
        [
            "type": "object",
            "required": ["apiVersion", "kind", "metadata"],
            "properties": [
                "apiVersion": ["type": "string", "minLength": 1],
                "kind": ["type": "string", "minLength": 1],
                "metadata": ["type": "object", "required": ["name"], "properties": ["name": ["type": "string"]]],
            ],
        ]
    }

    static func stringMap() -> [String: Any] {
        ["type": "object", "additionalProperties": ["type": "string"]]
    }

    // MARK: Schema → JSON Schema

    /// Unknown fields are errors where the decoder reports them: objects with listed properties,
    /// no `additionalProperties` schema and no `x-kubernetes-preserve-unknown-fields`.
    public static func convert(_ schema: Schema) -> [String: Any] {
        // A name or a mapping (overlay `platform`): the two forms as alternatives.
        if schema.type == nil, let names = schema.enumValues, !schema.properties.isEmpty {
            var mapping = convert(schema.withoutEnum)
            mapping["type"] = "object"
            mapping["description"] = nil
            var result: [String: Any] = ["anyOf": [["type": "string", "enum": names], mapping]]
            if let description = schema.description { result["description"] = description }
            return result
        }
        var result: [String: Any] = [:]
        if let description = schema.description { result["description"] = description }
        if schema.intOrString {
            result["anyOf"] = [["type": "integer"], ["type": "string"]]
        } else if let type = schema.type {
            result["type"] = type.rawValue
        }
        if !schema.properties.isEmpty {
            var properties: [String: Any] = [:]
            for (key, value) in schema.properties { properties[key] = convert(value) }
            result["properties"] = properties
        }
        if !schema.required.isEmpty { result["required"] = schema.required }
        if let items = schema.items { result["items"] = convert(items) }
        if let additional = schema.additionalProperties {
            result["additionalProperties"] = convert(additional)
        } else if !schema.properties.isEmpty && !schema.preservesUnknownFields {
            result["additionalProperties"] = false
        }
        if let values = schema.enumValues {
            result["enum"] = values.map { value -> Any in
                switch schema.type {
                case .integer: return Int(value) ?? value
                case .number: return Double(value) ?? value
                case .boolean where value == "true": return true
                case .boolean where value == "false": return false
                default: return value
                }
            }
        }
        if let pattern = schema.pattern { result["pattern"] = pattern }
        if let minimum = schema.minimum { result["minimum"] = number(minimum) }
        if let maximum = schema.maximum { result["maximum"] = number(maximum) }
        if let value = schema.minLength { result["minLength"] = value }
        if let value = schema.maxLength { result["maxLength"] = value }
        if let value = schema.minItems { result["minItems"] = value }
        if let value = schema.maxItems { result["maxItems"] = value }
        if let value = schema.defaultValue { result["default"] = EnvironmentDiff.json(ManifestConversion.convert(value)) }
        return result
    }

    static func number(_ value: Double) -> Any {
        value.rounded() == value && abs(value) < 1e15 ? Int(value) as Any : value as Any
    }
}
