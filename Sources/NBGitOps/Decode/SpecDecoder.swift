import Foundation

/// The Decode stage for spec files: YAML documents → `NotebookValidationJob`s and supporting
/// objects, checked against the operator's CRD (every field, constraint and default), the
/// operator webhook's volume rules, and nbgitops' own rules for git sources, names and secrets.
public enum SpecDecoder {
    public static let jobKind = "NotebookValidationJob"
    /// Accepted API versions: the current group and the operator's older one.
    public static let jobAPIVersions = ["mlops.mlops.dev/v1alpha1", "mlops.redhat.com/v1alpha1"]

    /// Errors reported from one file's documents: past them, that file's further diagnostics
    /// are summed up in one error (the run fails either way; a generated file of thousands of
    /// broken documents must not print, or keep, thousands of messages).
    public static let maxErrorsPerFile = 100

    /// Decodes every document of every file. Reports problems and skips what cannot be used.
    public static func decode(_ documents: [YAMLDocument], diagnostics: DiagnosticCollector) -> SpecSet {
        // Documents decode independently: in parallel, each into its own collector, merged
        // in document order (the diagnostics and the set are those of a sequential run).
        let decoded = Parallel.map(documents) { document -> (DecodedSpec?, [Diagnostic]) in
            let local = DiagnosticCollector()
            guard document.root.pairs != nil else {
                local.error(
                    .documentKind,
                    "document \(document.index) is \(document.root.kindDescription), expected a Kubernetes object (a mapping)",
                    at: document.root.location, help: "each YAML document must be a mapping with apiVersion, kind and metadata")
                return (nil, local.diagnostics)
            }
            // A spec kind nbgitops compiles goes to its decoder (`SpecKinds`); any other
            // Kubernetes object is passed through.
            let kind = document.root["kind"]?.scalar?.value
            if let specKind = SpecKinds.entry(forKind: kind) {
                return (specKind.decode(document, local), local.diagnostics)
            }
            return (SupportingObjectDecoder.decode(document, diagnostics: local).map(DecodedSpec.supporting), local.diagnostics)
        }
        var set = SpecSet()
        var errorsByFile: [String: Int] = [:]
        var unreported: [String: (count: Int, first: SourceLocation?)] = [:]
        for (document, (result, reported)) in zip(documents, decoded) {
            let errors = reported.filter { $0.severity == .error }.count
            let before = errorsByFile[document.file, default: 0]
            if before >= maxErrorsPerFile, errors > 0 {
                let previous = unreported[document.file]
                unreported[document.file] = (
                    (previous?.count ?? 0) + errors, previous?.first ?? reported.first { $0.severity == .error }?.location
                )
                continue
            }
            errorsByFile[document.file] = before + errors
            for diagnostic in reported { diagnostics.report(diagnostic) }
            result?.add(to: &set)
        }
        for (file, skipped) in unreported.sorted(by: { $0.key < $1.key }) {
            diagnostics.error(
                .yamlLimit,
                "\(skipped.count) more error(s) in this file not reported: decoding stops reporting after "
                    + "\(maxErrorsPerFile) errors in one file",
                at: skipped.first ?? .startOf(file),
                help: "fix the errors above and run again; the file may have been generated wrongly")
        }
        checkDuplicates(set, diagnostics: diagnostics)
        return set
    }

    /// NBG132 for each spec of `kind` whose name an earlier one of the kind already has in the
    /// same written namespace (the same name in two namespaces is two objects; where the
    /// environment maps two namespaces onto one, the plan's duplicate check reports it).
    private static func reportRepeatedNames(
        _ names: [(name: Located<String>, namespace: Located<String>?)], kind: String, diagnostics: DiagnosticCollector
    ) {
        var seen: [String: SourceLocation] = [:]
        for (name, namespace) in names {
            let key = (namespace?.value ?? "") + "/" + name.value
            if let first = seen[key] {
                diagnostics.error(
                    .objectDuplicate, "\(kind) '\(name.value)' is defined twice" + inNamespace(namespace),
                    at: name.location,
                    help: "rename one of them; names must be unique in a namespace",
                    notes: [DiagnosticNote("first defined here", at: first)])
            } else {
                seen[key] = name.location
            }
        }
    }

    private static func inNamespace(_ namespace: Located<String>?) -> String {
        namespace.map { " in namespace '\($0.value)'" } ?? ""
    }

    private static func checkDuplicates(_ set: SpecSet, diagnostics: DiagnosticCollector) {
        reportRepeatedNames(set.jobs.map { ($0.name, $0.namespace) }, kind: jobKind, diagnostics: diagnostics)
        reportRepeatedNames(
            set.modelPipelines.map { ($0.name, $0.namespace) }, kind: ModelPipelineDecoder.kind, diagnostics: diagnostics)
        var seenObjects: [String: SourceLocation] = [:]
        for object in set.supportingObjects {
            let group = object.apiVersion.split(separator: "/").dropLast().joined()
            let key = "\(group)/\(object.kind)/\(object.namespace?.value ?? "")/\(object.name.value)"
            if let first = seenObjects[key] {
                diagnostics.error(
                    .objectDuplicate, "\(object.kind) '\(object.name.value)' is defined twice" + inNamespace(object.namespace),
                    at: object.name.location,
                    help: "remove or rename one of them", notes: [DiagnosticNote("first defined here", at: first)])
            } else {
                seenObjects[key] = object.name.location
            }
        }
    }

    static func decodeJob(_ document: YAMLDocument, diagnostics: DiagnosticCollector) -> NotebookValidationJob? {
        let root = document.root
        let errorsBefore = diagnostics.errorCount
        guard let schema = CRDSchemas.notebookValidationJobSpec else {
            diagnostics.error(
                .documentKind, "the bundled NotebookValidationJob schema cannot be loaded", at: root.location,
                help: "reinstall nbgitops; its resource bundle is missing")
            return nil
        }
        let apiVersion = checkEnvelope(root, kind: jobKind, apiVersions: jobAPIVersions, diagnostics: diagnostics)
        let metadata = MetadataDecoder.decode(root, kind: jobKind, nameRule: .dnsLabel, diagnostics: diagnostics)
        guard let specNode = root["spec"] else {
            diagnostics.error(
                .fieldRequired, "missing required field 'spec' in NotebookValidationJob", at: root.location,
                help: "add a 'spec:' with notebook and podConfig")
            return nil
        }
        var validator = SchemaValidator(subject: jobKind, diagnostics: diagnostics) { path, key, diagnostics in
            guard key.scalar?.value == "hostPath", path.contains(".volumes[") else { return false }
            diagnostics.error(
                .volumeHostPath, "hostPath volumes are not allowed", at: key.location,
                help: "use a persistentVolumeClaim, configMap, secret or emptyDir volume")
            return true
        }
        guard let spec = validator.validate(specNode, against: schema, path: "spec"), let metadata else { return nil }
        var sourceMap = validator.sourceMap
        sourceMap.locations["metadata.name"] = metadata.name.location
        for pair in root["metadata"]?["annotations"]?.pairs ?? [] {
            guard let key = pair.key.scalar?.value else { continue }
            sourceMap.locations["metadata.annotations" + SourceMap.component(key)] = pair.value.location
            if key == AnnotationKey.platforms, let list = pair.value.scalar?.value {
                checkPlatforms(list, job: metadata.name.value, at: pair.value.location, diagnostics: diagnostics)
            }
        }
        let context = JobContext(spec: spec, sourceMap: sourceMap, fallback: specNode.location, diagnostics: diagnostics)
        let job = context.makeJob(document: document, apiVersion: apiVersion, metadata: metadata)
        return diagnostics.errorCount == errorsBefore ? job : nil
    }

    /// The top level every spec kind shares: one of the kind's `apiVersions`, and no fields but
    /// apiVersion, kind, metadata and spec. Returns the apiVersion as written.
    static func checkEnvelope(
        _ root: YAMLNode, kind: String, apiVersions: [String], diagnostics: DiagnosticCollector
    ) -> String {
        let apiVersionNode = root["apiVersion"]
        let apiVersion = apiVersionNode?.scalar?.value ?? ""
        if !apiVersions.contains(apiVersion) {
            diagnostics.error(
                .documentKind, "\(kind) has apiVersion '\(apiVersion)'", at: apiVersionNode?.location ?? root.location,
                help: "use apiVersion: \(apiVersions[0])" + (apiVersions.count > 1 ? " (or \(apiVersions[1]))" : ""))
        }
        let topLevel = ["apiVersion", "kind", "metadata", "spec"]
        for pair in root.pairs ?? [] {
            guard let key = pair.key.scalar?.value, !topLevel.contains(key) else { continue }
            let help =
                key == "status"
                ? "status is written by a controller; remove it from the spec file"
                : Suggestions.closest(to: key, in: topLevel).map { "did you mean '\($0)'?" } ?? "remove it"
            diagnostics.error(.fieldUnknown, "unknown field '\(key)' in \(kind)", at: pair.key.location, help: help)
        }
        return apiVersion
    }

    /// `nbgitops.dev/platforms`: a comma-separated list of known platforms (the job is planned
    /// only there; `EnvironmentPlanner.isPlanned`).
    static func checkPlatforms(_ list: String, job: String, at location: SourceLocation, diagnostics: DiagnosticCollector) {
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard names.isEmpty || names.contains(where: { Platform(rawValue: $0) == nil }) else { return }
        diagnostics.error(
            .fieldPattern, "annotation \(AnnotationKey.platforms) of '\(job)' names unknown platforms: '\(list)'",
            at: location,
            help: "write a comma-separated list of \(Platform.allCases.map(\.rawValue).joined(separator: ", "))")
    }
}

/// Reads the typed job out of a schema-validated `spec`, adding the checks the CRD cannot express.
struct JobContext {
    let spec: ManifestNode
    let sourceMap: SourceMap
    let fallback: SourceLocation
    let diagnostics: DiagnosticCollector

    func location(_ path: String) -> SourceLocation { sourceMap.nearest(path) ?? fallback }

    func string(_ path: String) -> Located<String>? {
        guard let value = spec.value(at: path.dropPrefix("spec."))?.stringValue else { return nil }
        return Located(value, at: location(path))
    }

    func makeJob(document: YAMLDocument, apiVersion: String, metadata: DecodedMetadata) -> NotebookValidationJob? {
        guard let notebook = notebookSource("spec.notebook"),
            let image = string("spec.podConfig.containerImage")
        else { return nil }
        let golden = spec["goldenNotebook"] == nil ? nil : notebookSource("spec.goldenNotebook")
        let timeoutText = string("spec.timeout") ?? Located("30m", at: fallback)
        let parsedTimeout = Durations.seconds(timeoutText.value)
        if parsedTimeout == nil {
            // The CRD's pattern admits it, but it overflows (or is not a duration): never
            // fall back to the default silently.
            diagnostics.error(
                .duration, "timeout '\(timeoutText.value)' is not a duration nbgitops can use (at most 596523h, about 68 years)",
                at: timeoutText.location, help: "write the timeout in h, m, s or ms, e.g. 2h30m")
        }
        if parsedTimeout == 0 {
            // The Job's activeDeadlineSeconds must be positive (kubernetes validation.go
            // `ValidateJobSpec`): zero would be refused, and nbgitops never rounds it up.
            diagnostics.error(
                .fieldRange,
                "timeout '\(timeoutText.value)' is zero; a validation Job needs a positive deadline (activeDeadlineSeconds must be greater than 0)",
                at: timeoutText.location,
                help: "write how long the notebook may run, e.g. 30m, or remove timeout for the default 30m")
        }
        let timeout = parsedTimeout ?? 1800
        let podConfig = decodePodConfig(image: image)
        return NotebookValidationJob(
            apiVersion: apiVersion, name: metadata.name, namespace: metadata.namespace, labels: metadata.labels,
            annotations: metadata.annotations, notebook: notebook, goldenNotebook: golden, podConfig: podConfig,
            timeoutSeconds: Located(timeout, at: timeoutText.location),
            comparisonConfig: spec["comparisonConfig"] ?? defaults(for: "comparisonConfig"),
            validationConfig: spec["validationConfig"] ?? defaults(for: "validationConfig"),
            modelValidation: spec["modelValidation"], document: spec, sourceMap: sourceMap,
            file: document.file, documentIndex: document.index)
    }

    /// The CRD defaults of an absent object field, as if it had been written as `{}`.
    func defaults(for field: String) -> ManifestNode {
        guard let schema = CRDSchemas.notebookValidationJobSpec?.properties[field] else { return .map([]) }
        var entries: [ManifestEntry] = []
        for key in schema.properties.keys.sorted() {
            if let node = schema.properties[key]?.defaultValue {
                entries.append(ManifestEntry(key, ManifestConversion.convert(node)))
            }
        }
        return .map(entries)
    }

    func notebookSource(_ path: String) -> NotebookSource? {
        guard let url = string("\(path).git.url"), let ref = string("\(path).git.ref"),
            let notebookPath = string("\(path).path")
        else { return nil }
        let transport = GitChecks.checkURL(url, diagnostics: diagnostics)
        GitChecks.checkRef(ref, diagnostics: diagnostics)
        GitChecks.checkNotebookPath(notebookPath, diagnostics: diagnostics)
        let secret = string("\(path).git.credentialsSecret")
        if let secret { NameChecks.checkSubdomain(secret, what: "credentialsSecret", diagnostics: diagnostics) }
        return NotebookSource(
            git: GitSource(url: url, ref: ref, credentialsSecret: secret, transport: transport ?? .https),
            path: notebookPath)
    }

    /// NBG136: environment variables are inherited by every child process, printed by
    /// debugging tools and crash reports, and visible in `/proc/<pid>/environ`; a read-only
    /// Secret volume limits the value to the processes that open the file.
    func secretAsEnv(_ message: String, at location: SourceLocation, secret: String) {
        diagnostics.warning(
            .secretAsEnv, message, at: location,
            help:
                "mount it instead: podConfig.volumes [{name: \(secret), secret: {secretName: \(secret), defaultMode: 0440}}] and volumeMounts [{name: \(secret), mountPath: /var/run/secrets/\(secret), readOnly: true}], and read the files"
        )
    }

    func decodePodConfig(image: Located<String>) -> PodConfig {
        let base = "spec.podConfig"
        let pod = spec["podConfig"] ?? .map([])
        if image.value.trimmingCharacters(in: .whitespaces).isEmpty || image.value.contains(" ") {
            diagnostics.error(
                .fieldPattern, "'spec.podConfig.containerImage' is not an image reference", at: image.location,
                help: "write an image such as quay.io/jupyter/minimal-notebook:2024-05-27")
        } else if !image.value.contains("@sha256:") {
            // A tag can be moved (or re-pushed); a digest names the exact image content.
            diagnostics.warning(
                .imageNotByDigest,
                "'spec.podConfig.containerImage' \(image.value) names a tag only; the image it runs can change without a change in git",
                at: image.location,
                help:
                    "pin it by digest and keep the tag for readers: \(image.value)@sha256:<digest> (`skopeo inspect docker://\(image.value)` prints the digest)"
            )
        }
        var serviceAccount = string("\(base).serviceAccountName")
        if let name = serviceAccount {
            if name.value == "default" {
                serviceAccount = nil
            } else {
                NameChecks.checkSubdomain(name, what: "serviceAccountName", diagnostics: diagnostics)
            }
        }
        let env = pod["env"]?.elements ?? []
        var envNames: [Located<String>] = []
        for (index, entry) in env.enumerated() {
            guard let name = entry["name"]?.stringValue else { continue }
            let located = Located(name, at: location("\(base).env[\(index)].name"))
            envNames.append(located)
            if let secret = entry.value(at: "valueFrom.secretKeyRef.name")?.stringValue {
                secretAsEnv(
                    "env '\(name)' reads Secret '\(secret)' into an environment variable of the notebook container",
                    at: location("\(base).env[\(index)].valueFrom.secretKeyRef"), secret: secret)
            }
            if let value = entry["value"]?.stringValue, !value.isEmpty, SecretHeuristics.looksLikeCredentialName(name),
                !SecretHeuristics.isFileReference(name: name, value: value)
            {
                diagnostics.error(
                    .secretLiteral, "env '\(name)' carries a literal value that looks like a credential",
                    at: location("\(base).env[\(index)].value"),
                    help: "store it in a Secret and use valueFrom.secretKeyRef; secret values must not reach gitops/")
            }
        }
        var envFrom = pod["envFrom"]?.elements ?? []
        for (index, source) in envFrom.enumerated() {
            if let secret = source.value(at: "secretRef.name")?.stringValue {
                secretAsEnv(
                    "envFrom exposes every key of Secret '\(secret)' as environment variables of the notebook container",
                    at: location("\(base).envFrom[\(index)].secretRef"), secret: secret)
            }
        }
        for (index, credential) in (pod["credentials"]?.elements ?? []).enumerated() {
            guard let name = credential.stringValue else { continue }
            NameChecks.checkSubdomain(
                Located(name, at: location("\(base).credentials[\(index)]")), what: "credentials", diagnostics: diagnostics)
            secretAsEnv(
                "credentials exposes every key of Secret '\(name)' as environment variables of the notebook container (the operator's envFrom sugar)",
                at: location("\(base).credentials[\(index)]"), secret: name)
            envFrom.append(["secretRef": ["name": .string(name)]])
        }
        var nodeSelector: [String: String] = [:]
        for entry in pod["nodeSelector"]?.entries ?? [] {
            nodeSelector[entry.key] = entry.value.stringValue ?? ""
        }
        let volumes = decodeVolumes(pod["volumes"]?.elements ?? [], base: base)
        let mounts = decodeMounts(pod["volumeMounts"]?.elements ?? [], base: base, volumes: volumes)
        let build = decodeBuildConfig(pod["buildConfig"], base: "\(base).buildConfig")
        let resources = pod["resources"]
        // NBG114: a quantity the API server would refuse (`cpu: lots`, `memory: 4GB`), at its line.
        for field in ["requests", "limits"] {
            for entry in resources?[field]?.entries ?? [] {
                guard case .string(let text) = entry.value else { continue }
                if Quantity.isValid(text), Quantity.isOutOfRange(text) {
                    // NBG106: larger than any Kubernetes quantity (the API server caps it).
                    diagnostics.error(
                        .fieldRange,
                        "resources.\(field).\(entry.key) '\(text)' is out of range: at most \(Quantity.limitText)",
                        at: location("\(base).resources.\(field)" + SourceMap.component(entry.key)),
                        help: "request what the notebook uses, e.g. 4Gi (memory) or \"1\" (GPUs)")
                }
                guard !Quantity.isValid(text) else { continue }
                diagnostics.error(
                    .quantity, "resources.\(field).\(entry.key) '\(text)' is not a Kubernetes quantity",
                    at: location("\(base).resources.\(field)" + SourceMap.component(entry.key)),
                    help: "write a number with an optional suffix: 500m or 2 (CPU), 512Mi or 4Gi (memory), \"1\" (GPUs)")
            }
        }
        return PodConfig(
            containerImage: image, serviceAccountName: serviceAccount, env: env, envNames: envNames, envFrom: envFrom,
            resources: resources?.isEmptyCollection == true ? nil : resources, nodeSelector: nodeSelector,
            tolerations: pod["tolerations"]?.elements ?? [], affinity: pod["affinity"], volumes: volumes,
            volumeMounts: mounts, buildConfig: build)
    }

    /// Build strategies nbgitops implements; the CRD's others are refused (NBG150) rather than
    /// silently replaced by one of these.
    static let implementedBuildStrategies = ["tekton", "s2i"]

    func decodeBuildConfig(_ node: ManifestNode?, base: String) -> BuildConfigSpec? {
        guard let node else { return nil }
        let enabled = node["enabled"]?.boolValue ?? false
        let strategy = string("\(base).strategy") ?? Located("s2i", at: location(base))
        if enabled, !Self.implementedBuildStrategies.contains(strategy.value) {
            diagnostics.error(
                .buildUnavailable,
                "build strategy '\(strategy.value)' is not implemented by nbgitops",
                at: strategy.location,
                help: "use strategy: tekton (Kubernetes and OpenShift) or strategy: s2i (OpenShift only)")
        }
        let timeoutText = string("\(base).timeout") ?? Located("15m", at: location(base))
        let parsedTimeout = Durations.seconds(timeoutText.value)
        if parsedTimeout == 0 {
            // Tekton reads 0s as "no timeout"; a build that may run forever is refused rather
            // than written as 0s or rounded to 1s.
            diagnostics.error(
                .fieldRange,
                "build timeout '\(timeoutText.value)' is zero, which Tekton reads as no timeout at all",
                at: timeoutText.location,
                help: "write how long the build may run, e.g. 30m, or remove timeout for the default 15m")
        }
        let timeout = parsedTimeout ?? 900
        var sources: [Located<String>] = []
        for (index, element) in (node["requirementsSources"]?.elements ?? []).enumerated() {
            guard let text = element.stringValue else { continue }
            sources.append(Located(text, at: location("\(base).requirementsSources[\(index)]")))
        }
        let spec = BuildConfigSpec(
            enabled: enabled, strategy: strategy, location: location(base), manifest: node,
            baseImage: string("\(base).baseImage"),
            autoGenerateRequirements: node["autoGenerateRequirements"]?.boolValue ?? true,
            preferDockerfile: node["preferDockerfile"]?.boolValue ?? false,
            dockerfile: string("\(base).dockerfile"), requirementsFile: string("\(base).requirementsFile"),
            requirementsSources: sources, fallbackStrategy: node["fallbackStrategy"]?.stringValue ?? "warn",
            timeoutSeconds: Located(timeout, at: timeoutText.location))
        if enabled {
            var paths: [Located<String>] = sources
            if let file = spec.requirementsFile { paths.append(file) }
            if let file = spec.dockerfile { paths.append(file) }
            for path in paths {
                let parts = path.value.split(separator: "/", omittingEmptySubsequences: false)
                if path.value.isEmpty || path.value.hasPrefix("/") || parts.contains("..")
                    || path.value.contains(where: {
                        $0.isWhitespace || $0 == "'" || $0 == "\"" || $0 == "$" || $0 == "`" || $0 == "\\"
                    })
                {
                    diagnostics.error(
                        .fieldPattern, "build path '\(path.value)' must be a relative path inside the repository",
                        at: path.location,
                        help: "write a path such as notebooks/requirements.txt (no leading '/', no '..', no quotes or spaces)")
                }
            }
            if spec.baseImage.value.isEmpty || spec.baseImage.value.contains(where: { $0.isWhitespace }) {
                diagnostics.error(
                    .fieldPattern, "'\(base).baseImage' is not an image reference", at: spec.baseImage.location,
                    help: "write an image such as quay.io/jupyter/minimal-notebook:2024-05-27")
            }
        }
        return spec
    }

    static let volumeSources = ["persistentVolumeClaim", "configMap", "secret", "emptyDir"]

    func decodeVolumes(_ nodes: [ManifestNode], base: String) -> [VolumeSpec] {
        var volumes: [VolumeSpec] = []
        var seen: [String: SourceLocation] = [:]
        for (index, node) in nodes.enumerated() {
            let path = "\(base).volumes[\(index)]"
            guard let nameText = node["name"]?.stringValue else { continue }
            let name = Located(nameText, at: location("\(path).name"))
            NameChecks.checkLabel(name, what: "volume name", diagnostics: diagnostics)
            if let first = seen[nameText] {
                diagnostics.error(
                    .volumeDuplicateName, "volume name '\(nameText)' is used twice", at: name.location,
                    help: "give every volume a unique name", notes: [DiagnosticNote("first used here", at: first)])
            } else {
                seen[nameText] = name.location
            }
            let present = Self.volumeSources.filter { node[$0] != nil }
            if present.isEmpty && sourceMap.keyLocations["\(path).hostPath"] != nil { continue }
            guard present.count == 1, let kind = present.first else {
                let message =
                    present.isEmpty
                    ? "volume '\(nameText)' has no source"
                    : "volume '\(nameText)' has \(present.count) sources (\(present.joined(separator: ", ")))"
                diagnostics.error(
                    .volumeSourceCount, message, at: location(path),
                    help: "set exactly one of persistentVolumeClaim, configMap, secret or emptyDir")
                continue
            }
            let source: VolumeSpec.Source
            switch kind {
            case "persistentVolumeClaim":
                let claim = string("\(path).persistentVolumeClaim.claimName") ?? Located("", at: location(path))
                NameChecks.checkSubdomain(claim, what: "claimName", diagnostics: diagnostics)
                source = .persistentVolumeClaim(
                    claimName: claim, readOnly: node["persistentVolumeClaim"]?["readOnly"]?.boolValue ?? false)
            case "configMap": source = .configMap(name: node["configMap"]?["name"]?.stringValue ?? "")
            case "secret": source = .secret(secretName: node["secret"]?["secretName"]?.stringValue ?? "")
            default: source = .emptyDir
            }
            for sourceKind in ["configMap", "secret"] {
                checkMode(node[sourceKind]?["defaultMode"], at: "\(path).\(sourceKind).defaultMode")
                for (itemIndex, item) in (node[sourceKind]?["items"]?.elements ?? []).enumerated() {
                    let itemBase = "\(path).\(sourceKind).items[\(itemIndex)]"
                    checkMode(item["mode"], at: "\(itemBase).mode")
                    guard let itemPath = item["path"]?.stringValue else { continue }
                    let parts = itemPath.split(separator: "/", omittingEmptySubsequences: false)
                    if parts.contains("..") || itemPath.hasPrefix("/") {
                        diagnostics.error(
                            .volumePath, "item path '\(itemPath)' escapes the volume", at: location("\(itemBase).path"),
                            help: "use a relative path without a leading '/' or '..'")
                    }
                }
            }
            if case .string(let limit)? = node["emptyDir"]?["sizeLimit"], Quantity.isValid(limit), Quantity.isOutOfRange(limit) {
                diagnostics.error(
                    .fieldRange, "emptyDir sizeLimit '\(limit)' is out of range: at most \(Quantity.limitText)",
                    at: location("\(path).emptyDir.sizeLimit"), help: "write a size such as 500Mi or 20Gi")
            }
            if case .string(let limit)? = node["emptyDir"]?["sizeLimit"], !Quantity.isValid(limit),
                !diagnostics.hasError(at: location("\(path).emptyDir.sizeLimit"))
            {
                diagnostics.error(
                    .quantity, "emptyDir sizeLimit '\(limit)' is not a Kubernetes quantity",
                    at: location("\(path).emptyDir.sizeLimit"), help: "write a size such as 500Mi or 20Gi")
            }
            volumes.append(VolumeSpec(name: name, source: source, manifest: node))
        }
        return volumes
    }

    /// File modes are octal permission bits: 0 to 0777 (511). YAML 1.1 readers take `0644` as
    /// octal and YAML 1.2 ones as decimal 644, which is then out of range.
    func checkMode(_ node: ManifestNode?, at path: String) {
        guard let node, let mode = node.intValue else { return }
        guard mode < 0 || mode > 0o777 else { return }
        diagnostics.error(
            .volumeMode, "file mode \(mode) is outside 0-0777 (0-511 in decimal)", at: location(path),
            help: "write the mode in decimal, which every YAML reader reads alike: 420 for 0644, 256 for 0400, 493 for 0755")
    }

    func decodeMounts(_ nodes: [ManifestNode], base: String, volumes: [VolumeSpec]) -> [VolumeMountSpec] {
        var mounts: [VolumeMountSpec] = []
        var paths: [String: SourceLocation] = [:]
        let declared = Set(volumes.map(\.name.value))
        for (index, node) in nodes.enumerated() {
            let path = "\(base).volumeMounts[\(index)]"
            guard let nameText = node["name"]?.stringValue, let mountText = node["mountPath"]?.stringValue else { continue }
            let name = Located(nameText, at: location("\(path).name"))
            let mountPath = Located(mountText, at: location("\(path).mountPath"))
            if !declared.contains(nameText) {
                var help = "declare a volume named '\(nameText)' under podConfig.volumes"
                if let suggestion = Suggestions.closest(to: nameText, in: Array(declared)) {
                    help = "did you mean '\(suggestion)'?"
                }
                diagnostics.error(
                    .volumeMountUndeclared, "volume mount names volume '\(nameText)', which is not declared", at: name.location,
                    help: help)
            }
            if !mountText.hasPrefix("/") {
                diagnostics.error(
                    .volumePath, "mount path '\(mountText)' is not absolute", at: mountPath.location,
                    help: "write an absolute path such as /mnt/\(nameText)")
            }
            let normalized = Paths.normalizedAbsolute(mountText)
            if let first = paths[normalized] {
                diagnostics.error(
                    .volumeMountPathDuplicate, "mount path '\(mountText)' is used twice", at: mountPath.location,
                    help: "mount each volume at its own path", notes: [DiagnosticNote("first used here", at: first)])
            } else {
                paths[normalized] = mountPath.location
            }
            if let subPath = node["subPath"]?.stringValue, subPath.hasPrefix("/") || subPath.split(separator: "/").contains("..")
            {
                diagnostics.error(
                    .volumePath, "subPath '\(subPath)' must be a relative path inside the volume",
                    at: location("\(path).subPath"), help: "remove the leading '/' and any '..'")
            }
            mounts.append(
                VolumeMountSpec(name: name, mountPath: mountPath, readOnly: node["readOnly"]?.boolValue ?? false, manifest: node))
        }
        return mounts
    }
}

extension String {
    func dropPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
