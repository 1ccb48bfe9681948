/// Compares one environment's render with the tree already in the output folder and reports,
/// as an error (`NBG173`), an object that keeps its name while a field the API server refuses
/// to update changes: Argo CD or Flux would apply it, the API server would refuse it, and the
/// whole environment's sync would fail.
///
/// Objects are matched by file (the file name carries kind, namespace and name) and then by
/// apiVersion group, kind, namespace and name inside the previous file, which is read without
/// following links and loaded with the project's YAML loader. No tree (a first render), a
/// missing or unreadable previous file, or an identical file report nothing; a renamed object
/// is a new object, so nothing is compared.
///
/// The fields, as the API server enforces them (kubernetes/kubernetes):
/// - PersistentVolumeClaim: `pkg/apis/core/validation/validation.go`
///   `ValidatePersistentVolumeClaimUpdate` — the spec is immutable after creation except
///   `resources.requests` (which may only grow: "field can not be less than previous value")
///   and `volumeAttributesClassName`.
/// - Service: `ValidateServiceUpdate` — `spec.clusterIP` (and `clusterIPs`) once set.
/// - Secret, ConfigMap: `ValidateSecretUpdate`, `ValidateConfigMapUpdate` — with `immutable:
///   true`, `data`, `stringData`, `binaryData` and `immutable` itself.
/// - Job: `pkg/apis/batch/validation/validation.go` `ValidateJobUpdate` / `ValidateJobSpecUpdate`
///   — `selector`, `template`, `completionMode`, `completions`, `podFailurePolicy`,
///   `manualSelector`. nbgitops names its Jobs by a hash of their spec, so a Job never keeps
///   its name with a changed template; this comparison proves it on every render.
/// - Deployment, DaemonSet: `pkg/apis/apps/validation/validation.go` `ValidateDeploymentUpdate`,
///   `ValidateDaemonSetUpdate` — `spec.selector`.
/// - StatefulSet: `ValidateStatefulSetUpdate` — everything in the spec but `replicas`,
///   `ordinals`, `template`, `updateStrategy`, `persistentVolumeClaimRetentionPolicy`,
///   `minReadySeconds`.
/// - RoleBinding, ClusterRoleBinding: `pkg/apis/rbac/validation/validation.go`
///   `ValidateRoleBindingUpdate` — `roleRef` ("cannot change roleRef").
/// - Tekton PipelineRun and TaskRun: tektoncd/pipeline `pkg/apis/pipeline/v1`
///   `pipelinerun_validation.go` / `taskrun_validation.go` `ValidateUpdate` — once started, only
///   the cancel/pending `status` of the spec may change.
/// Not compared: Namespace, BuildConfig, ImageStream, InferenceService (their specs update in place).
enum ImmutableFieldComparison {
    /// One field whose change the API server refuses.
    struct Change: Equatable {
        /// The manifest path (`spec.storageClassName`).
        var path: String
        /// What changed, in words (`'standard' → 'fast'`).
        var detail: String
    }

    /// The kinds `changes` compares: only their previous files are read.
    static let comparedKinds: Set<String> = [
        "PersistentVolumeClaim", "Service", "Secret", "ConfigMap", "Job", "Deployment", "DaemonSet", "StatefulSet",
        "RoleBinding", "ClusterRoleBinding", "PipelineRun", "TaskRun",
    ]

    /// The API group of `apiVersion` (`""` for the core group).
    static func group(_ apiVersion: String) -> String {
        guard let slash = apiVersion.firstIndex(of: "/") else { return "" }
        return String(apiVersion[..<slash])
    }

    /// The fields of `current` that differ from `previous` and that the API server refuses to
    /// update for this kind (empty for kinds it updates in place).
    static func changes(kind: String, group: String, previous: ManifestNode, current: ManifestNode) -> [Change] {
        var result: [Change] = []
        func compare(_ path: String) {
            let old = previous.value(at: path)
            let new = current.value(at: path)
            guard !equal(old, new) else { return }
            result.append(Change(path: path, detail: describe(old) + " → " + describe(new)))
        }
        /// Every key of `path` in either object but `allowed`.
        func compareKeys(under path: String, except allowed: Set<String>) {
            let keys = Set((previous.value(at: path)?.entries ?? []).map(\.key))
                .union((current.value(at: path)?.entries ?? []).map(\.key))
            for key in keys.subtracting(allowed).sorted() { compare(path + "." + key) }
        }
        switch (group, kind) {
        case ("", "PersistentVolumeClaim"):
            compareKeys(under: "spec", except: ["resources", "volumeAttributesClassName"])
            compareKeys(under: "spec.resources", except: ["requests"])
            let path = "spec.resources.requests.storage"
            if let old = previous.value(at: path)?.stringValue.flatMap(Quantity.value),
                let new = current.value(at: path)?.stringValue.flatMap(Quantity.value), new < old
            {
                result.append(
                    Change(
                        path: path,
                        detail: describe(previous.value(at: path)) + " → " + describe(current.value(at: path))
                            + " (a claim can grow, never shrink)"))
            }
        case ("", "Service"):
            for path in ["spec.clusterIP", "spec.clusterIPs"] where previous.value(at: path) != nil { compare(path) }
        case ("", "Secret"), ("", "ConfigMap"):
            if previous["immutable"]?.boolValue == true {
                for path in ["immutable", "data", "stringData", "binaryData"] { compare(path) }
            }
        case ("batch", "Job"):
            for path in [
                "spec.selector", "spec.manualSelector", "spec.template", "spec.completionMode", "spec.completions",
                "spec.podFailurePolicy",
            ] {
                compare(path)
            }
        case ("apps", "Deployment"), ("apps", "DaemonSet"), ("extensions", "Deployment"), ("extensions", "DaemonSet"):
            compare("spec.selector")
        case ("apps", "StatefulSet"):
            compareKeys(
                under: "spec",
                except: [
                    "replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                    "minReadySeconds",
                ])
        case ("rbac.authorization.k8s.io", "RoleBinding"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"):
            compare("roleRef")
        case ("tekton.dev", "PipelineRun"), ("tekton.dev", "TaskRun"):
            compareKeys(under: "spec", except: ["status", "statusMessage"])
        default:
            break
        }
        return result
    }

    static func equal(_ lhs: ManifestNode?, _ rhs: ManifestNode?) -> Bool {
        switch (lhs, rhs) {
        case (nil, nil): return true
        case (let lhs?, let rhs?): return ManifestRenderer.render([lhs]) == ManifestRenderer.render([rhs])
        default: return false
        }
    }

    /// A value as the message shows it: a scalar quoted, a structure by its size.
    static func describe(_ node: ManifestNode?) -> String {
        guard let node else { return "unset" }
        switch node {
        case .string(let text): return "'" + String(text.prefix(80)) + "'"
        case .int(let value): return String(value)
        case .float(let text): return text
        case .bool(let value): return String(value)
        case .null: return "null"
        case .map, .list:
            let text = ManifestRenderer.renderString([node]).split(separator: "\n").joined(separator: " ")
            return text.count <= 80 ? "{" + text + "}" : "a different value"
        }
    }

    /// The object of `documents` that is `object` (same API group, kind, namespace and name).
    static func previous(of object: PlannedObject, in documents: [YAMLDocument]) -> ManifestNode? {
        for document in documents {
            let node = ManifestConversion.convert(document.root)
            guard node["kind"]?.stringValue == object.kind,
                group(node["apiVersion"]?.stringValue ?? "") == group(object.apiVersion),
                node.value(at: "metadata.name")?.stringValue == object.name,
                node.value(at: "metadata.namespace")?.stringValue == object.namespace
            else { continue }
            return node
        }
        return nil
    }

    /// A violation found in one environment, before it is located.
    struct Violation {
        var object: PlannedObject
        var file: String
        var changes: [Change]
    }

    /// The objects of `plan` that keep their name in `outputRoot` while an immutable field
    /// changes. `files` are the environment's rendered files (paths relative to the output root):
    /// a previous file with the same bytes is not read twice.
    static func violations(in plan: EnvironmentPlan, files: [OutputFile], outputRoot: String) -> [Violation] {
        let rendered = Dictionary(files.map { ($0.path, $0.bytes) }, uniquingKeysWith: { first, _ in first })
        var result: [Violation] = []
        for (object, file) in Explainer.objectsWithFiles(plan) where comparedKinds.contains(object.kind) {
            guard let current = rendered[file] else { continue }
            let path = outputRoot + "/" + file
            // Regular files only, never through a link; no file (a first render, a new object): nothing to compare.
            guard (try? FileSystem.status(path))??.kind == .file, let bytes = try? FileSystem.readFile(path),
                bytes != current
            else { continue }
            let documents = YAMLLoader.load(bytes: bytes, file: file, diagnostics: DiagnosticCollector())
            guard let previous = previous(of: object, in: documents) else { continue }
            let found = changes(
                kind: object.kind, group: group(object.apiVersion), previous: previous, current: object.manifest)
            if !found.isEmpty { result.append(Violation(object: object, file: file, changes: found)) }
        }
        return result
    }

    /// Where a field of an object copied from a spec file is written there (its source map), if known.
    typealias WrittenAt = (PlannedObject, String) -> SourceLocation?

    /// The origin of `path` in `object`: the longest recorded prefix, else the line of a copied
    /// object's spec document that wrote it, else the object's own origin or first source.
    static func origin(of path: String, in object: PlannedObject, written: WrittenAt) -> (SourceLocation?, FieldOrigin?) {
        let provenance = object.provenance
        var candidate = path
        while !candidate.isEmpty {
            if let origin = provenance[candidate], let location = origin.origin.location { return (location, origin) }
            guard let cut = candidate.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            candidate = String(candidate[..<cut])
        }
        if let location = written(object, path) { return (location, nil) }
        if let origin = provenance[""], let location = origin.origin.location { return (location, origin) }
        return (object.sources.first, nil)
    }

    /// Reports each violation at the spec or overlay line that set its first changed field;
    /// `located` is the same object from a plan that recorded provenance (the render's own plan
    /// may not).
    static func report(
        _ violations: [Violation], environment: String, located: (PlannedObject) -> PlannedObject,
        written: WrittenAt, diagnostics: DiagnosticCollector
    ) {
        for violation in violations {
            let object = located(violation.object)
            guard let first = violation.changes.first else { continue }
            let (location, origin) = self.origin(of: first.path, in: object, written: written)
            let fields = violation.changes.map { "\($0.path) \($0.detail)" }.joined(separator: "; ")
            let namespace = object.namespace.map { " in namespace '\($0)'" } ?? ""
            let setting = origin?.field.flatMap { $0 == object.kind ? nil : " (\($0))" } ?? ""
            var notes: [DiagnosticNote] = [DiagnosticNote("the object as rendered before: \(violation.file)")]
            for change in violation.changes.dropFirst() {
                let (other, otherOrigin) = self.origin(of: change.path, in: object, written: written)
                if let other, other != location {
                    notes.append(
                        DiagnosticNote("\(change.path) set here\(otherOrigin?.field.map { " (\($0))" } ?? "")", at: other))
                }
            }
            diagnostics.error(
                .outputImmutableField,
                "environment '\(environment)': \(object.kind) '\(object.name)'\(namespace) keeps its name while a field "
                    + "the API server refuses to update changes: \(fields); the sync of the whole environment would fail",
                at: location,
                help: help(kind: object.kind, setting: setting),
                notes: notes)
        }
    }

    static func help(kind: String, setting: String) -> String {
        switch kind {
        case "PersistentVolumeClaim":
            return "a claim's storage class, access modes, volume mode, selector and data source are fixed at creation, "
                + "and it can grow but never shrink: revert the setting\(setting), or give the claim a new name "
                + "(copy its data first) and delete the old claim after the sync"
        case "Secret", "ConfigMap":
            return "an object with `immutable: true` cannot change its data: give it a new name and update what refers to it"
        default:
            return "revert the change\(setting), or give the \(kind) a new name so the delivery tool creates a new object "
                + "(and prunes the old one)"
        }
    }
}
