import Foundation

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
