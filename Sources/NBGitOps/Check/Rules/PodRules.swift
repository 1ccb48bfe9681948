import Foundation

/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let volumeHostPath: RuleID = "NBG125"
    public static let gpuUntolerated: RuleID = "NBG210"
    public static let gpuRequestLimit: RuleID = "NBG211"
    public static let gpuTolerationWithoutRequest: RuleID = "NBG212"
    public static let runtimeInstallNoHome: RuleID = "NBG272"
}

/// Rules over pod shapes: GPU placement (GPU-tainted nodes strand pods that do not tolerate them),
/// the volume rules of ADR-053 for pods that nbgitops did not build itself, and runtime installs
/// under OpenShift's random UID.
enum PodRules {
    // MARK: GPU

    static func requestsGPU(_ unit: PodUnit, resource: String) -> ContainerRef? {
        guard !resource.isEmpty else { return nil }
        return unit.containers.first { container in
            container.resources?["limits"]?[resource] != nil || container.resources?["requests"]?[resource] != nil
        }
    }

    static func gpuLocation(_ container: ContainerRef, context: RuleContext, field: String) -> SourceLocation? {
        let resource = context.environment.gpu.resourceName.value
        return context.location(
            of: container.object, path: "\(container.resourcesPath).\(field)" + SourceMap.component(resource),
            specPath: "spec.podConfig.resources.\(field)" + SourceMap.component(resource))
    }

    /// Taints that keep pods off a node (PreferNoSchedule only discourages).
    static func blockingTaints(_ context: RuleContext) -> [Taint] {
        context.environment.gpu.taints.value.filter { $0.effect == "NoSchedule" || $0.effect == "NoExecute" }
    }

    /// NBG210: a GPU pod that does not tolerate the GPU nodes' taints stays Pending forever.
    static let gpuUntolerated = PlanRule(
        .gpuUntolerated, .error, "a pod requests the GPU resource but does not tolerate the GPU nodes' taints"
    ) { context in
        let resource = context.environment.gpu.resourceName.value
        let taints = blockingTaints(context)
        guard !taints.isEmpty else { return }
        for unit in context.units {
            guard let container = requestsGPU(unit, resource: resource) else { continue }
            let tolerations = unit.podSpec["tolerations"]?.elements ?? []
            let missing = taints.filter { taint in !tolerations.contains { GPUPlacement.tolerates($0, taint) } }
            guard !missing.isEmpty else { continue }
            let taintText = missing.map { "\($0.key)\($0.value.map { "=\($0)" } ?? ""):\($0.effect)" }.joined(separator: ", ")
            let taintsOrigin = context.environment.gpu.taints.origin
            context.report(
                "\(unit.displayName) requests \(resource) but does not tolerate the GPU nodes' taint \(taintText); it stays Pending (\"had untolerated taint\")",
                at: gpuLocation(
                    container, context: context, field: container.resources?["limits"]?[resource] != nil ? "limits" : "requests"),
                help: "add tolerations for the GPU taints to \(unit.podPath).tolerations",
                notes: [DiagnosticNote("the GPU taints are \(taintsOrigin)", at: taintsOrigin.location)],
                subject: context.subject(for: unit.object))
        }
    }

    /// NBG211: extended resources cannot be overcommitted; the API server rejects a pod whose
    /// GPU request differs from its limit.
    /// Also NBG106 for passed-through pods (specs' quantities are bounded when decoded): a
    /// resource quantity at or above 2^63, past the largest Kubernetes quantity.
    static let gpuRequestLimit = PlanRule(
        .gpuRequestLimit, .error, "the GPU resource's request differs from its limit", waivable: false,
        alsoReports: [.fieldRange]
    ) { context in
        for unit in context.units where context.supportingObject(for: unit.object) != nil {
            for container in unit.containers {
                for field in ["requests", "limits"] {
                    for entry in container.resources?[field]?.entries ?? [] {
                        guard let value = Quantity.value(entry.value), !(value < Quantity.limit) else { continue }
                        context.report(
                            "\(unit.displayName), container '\(container.name)': resources.\(field).\(entry.key) '\(text(entry.value))' is out of range: at most \(Quantity.limitText)",
                            at: context.location(
                                of: container.object, path: "\(container.resourcesPath).\(field)" + SourceMap.component(entry.key)
                            ),
                            rule: .fieldRange, help: "write a quantity Kubernetes can represent, e.g. 4Gi",
                            subject: context.subject(for: unit.object))
                    }
                }
            }
        }
        let resource = context.environment.gpu.resourceName.value
        guard !resource.isEmpty else { return }
        for unit in context.units {
            for container in unit.containers {
                guard let request = container.resources?["requests"]?[resource],
                    let limit = container.resources?["limits"]?[resource],
                    Quantity.value(request) != Quantity.value(limit)
                else { continue }
                context.report(
                    "\(unit.displayName), \(container.name.isEmpty ? "its model container" : "container '\(container.name)'"): \(resource) request \(text(request)) differs from its limit \(text(limit)); Kubernetes rejects the pod",
                    at: gpuLocation(container, context: context, field: "limits"),
                    help: "set the \(resource) request equal to the limit (or give only the limit)",
                    notes: [
                        DiagnosticNote("the request is set here", at: gpuLocation(container, context: context, field: "requests"))
                    ],
                    subject: context.subject(for: unit.object))
            }
        }
    }

    static func text(_ node: ManifestNode) -> String {
        switch node {
        case .string(let value), .float(let value): return value
        case .int(let value): return String(value)
        default: return "?"
        }
    }

    /// NBG212: a pod that tolerates the GPU taints without requesting a GPU can land on a GPU
    /// node and take its CPU and memory from the pods that need the GPU.
    static let gpuTolerationWithoutRequest = PlanRule(
        .gpuTolerationWithoutRequest, .warning, "a pod tolerates the GPU taints but requests no GPU (it can occupy a GPU node)"
    ) { context in
        let resource = context.environment.gpu.resourceName.value
        let taints = blockingTaints(context)
        guard !taints.isEmpty else { return }
        for unit in context.units where requestsGPU(unit, resource: resource) == nil {
            let tolerations = unit.podSpec["tolerations"]?.elements ?? []
            guard
                let index = tolerations.firstIndex(where: { toleration in
                    taints.contains { GPUPlacement.tolerates(toleration, $0) }
                })
            else { continue }
            context.report(
                "\(unit.displayName) tolerates the GPU nodes' taint but requests no \(resource); it can be scheduled onto (and crowd) a GPU node",
                at: context.location(
                    of: unit.object, path: "\(unit.podPath).tolerations[\(index)]",
                    specPath: "spec.podConfig.tolerations[\(index)]"),
                help: "remove the GPU toleration, or request \(resource) in resources.limits",
                subject: context.subject(for: unit.object))
        }
    }

    // MARK: Volumes of passed-through pods

    /// ADR-053's volume rules (checked for specs while decoding) applied to the pods of
    /// passed-through workloads and Tekton podTemplates.
    static let passthroughVolumes = PlanRule(
        .volumeHostPath, .error, "hostPath volumes are refused", waivable: false,
        alsoReports: [
            .volumeDuplicateName, .volumeSourceCount, .volumeMountUndeclared, .volumeMountPathDuplicate, .volumeMode,
            .volumePath, .nameInvalid,
        ]
    ) { context in
        for unit in context.units where context.job(for: unit.object) == nil {
            checkVolumes(unit, context: context)
        }
    }

    static func checkVolumes(_ unit: PodUnit, context: RuleContext) {
        let object = unit.object
        let subject = context.subject(for: object)
        func at(_ path: String) -> SourceLocation? { context.location(of: object, path: path) }
        var names: [String: String] = [:]
        for (index, volume) in (unit.podSpec["volumes"]?.elements ?? []).enumerated() {
            let path = "\(unit.podPath).volumes[\(index)]"
            let name = volume["name"]?.stringValue ?? ""
            if !NameChecks.isDNSLabel(name) {
                context.report(
                    "volume name '\(name)' is not a valid DNS-1123 label", at: at("\(path).name"), rule: .nameInvalid,
                    help: "use lowercase letters, digits and '-' (at most 63)", subject: subject)
            }
            if let first = names[name] {
                context.report(
                    "volume name '\(name)' is used twice in \(unit.displayName)", at: at("\(path).name"),
                    rule: .volumeDuplicateName,
                    help: "give every volume a unique name", notes: [DiagnosticNote("first used here", at: at(first))],
                    subject: subject)
            } else {
                names[name] = "\(path).name"
            }
            let sources = (volume.entries ?? []).map(\.key).filter { $0 != "name" }
            if sources.contains("hostPath") {
                context.report(
                    "hostPath volume '\(name)' in \(unit.displayName)", at: at("\(path).hostPath"),
                    help: "use a persistentVolumeClaim, configMap, secret or emptyDir volume", subject: subject)
            } else if sources.count != 1 {
                context.report(
                    "volume '\(name)' has \(sources.count) sources\(sources.isEmpty ? "" : " (\(sources.joined(separator: ", ")))")",
                    at: at(path), rule: .volumeSourceCount, help: "set exactly one volume source", subject: subject)
            }
            for kind in ["configMap", "secret", "projected"] {
                guard let source = volume[kind] else { continue }
                checkMode(source["defaultMode"], at: at("\(path).\(kind).defaultMode"), context: context, subject: subject)
                for (itemIndex, item) in (source["items"]?.elements ?? []).enumerated() {
                    checkMode(
                        item["mode"], at: at("\(path).\(kind).items[\(itemIndex)].mode"), context: context, subject: subject)
                    if let itemPath = item["path"]?.stringValue,
                        itemPath.hasPrefix("/") || itemPath.split(separator: "/").contains("..")
                    {
                        context.report(
                            "item path '\(itemPath)' escapes volume '\(name)'",
                            at: at("\(path).\(kind).items[\(itemIndex)].path"),
                            rule: .volumePath, help: "use a relative path without a leading '/' or '..'", subject: subject)
                    }
                }
            }
        }
        // Tekton steps mount Task volumes and workspaces, which the Task declares.
        if case .tektonTask = unit.origin { return }
        for container in unit.containers {
            var paths: [String: String] = [:]
            for (index, mount) in (container.node["volumeMounts"]?.elements ?? []).enumerated() {
                let path = "\(container.path).volumeMounts[\(index)]"
                let name = mount["name"]?.stringValue ?? ""
                let mountPath = mount["mountPath"]?.stringValue ?? ""
                func mountAt(_ field: String) -> SourceLocation? {
                    context.location(of: container.object, path: "\(path).\(field)")
                }
                if names[name] == nil {
                    context.report(
                        "volume mount names volume '\(name)', which \(unit.displayName) does not declare", at: mountAt("name"),
                        rule: .volumeMountUndeclared, help: "declare the volume under volumes", subject: subject)
                }
                if !mountPath.hasPrefix("/") {
                    context.report(
                        "mount path '\(mountPath)' is not absolute", at: mountAt("mountPath"), rule: .volumePath,
                        help: "write an absolute path", subject: subject)
                }
                let normalized = Paths.normalizedAbsolute(mountPath)
                if let first = paths[normalized] {
                    context.report(
                        "mount path '\(mountPath)' is used twice in container '\(container.name)'", at: mountAt("mountPath"),
                        rule: .volumeMountPathDuplicate, help: "mount each volume at its own path",
                        notes: [DiagnosticNote("first used here", at: context.location(of: container.object, path: first))],
                        subject: subject)
                } else {
                    paths[normalized] = "\(path).mountPath"
                }
            }
        }
    }

    static func checkMode(_ node: ManifestNode?, at location: SourceLocation?, context: RuleContext, subject: DocumentKey?) {
        guard let mode = node?.intValue, mode < 0 || mode > 0o777 else { return }
        context.report(
            "file mode \(mode) is outside 0-0777 (0-511 in decimal)", at: location, rule: .volumeMode,
            help: "write the mode in decimal: 420 for 0644, 256 for 0400, 493 for 0755", subject: subject)
    }

    // MARK: Runtime installs under a random UID

    static let pipInstall = try? NSRegularExpression(pattern: #"\bpip3?(\.[0-9]+)?\s+install\b|-m\s+pip\s+install\b"#)
    static let writableHomeVariables = ["HOME", "PYTHONUSERBASE", "PIP_TARGET", "PIP_PREFIX"]

    /// NBG272: under OpenShift's restricted-v2 a pod runs as a random UID with no writable
    /// home and read-only image directories, so a runtime `pip install` fails (ADR-023).
    static let runtimeInstall = PlanRule(
        .runtimeInstallNoHome, .error, "a runtime `pip install` under OpenShift's random UID with no writable HOME"
    ) { context in
        guard context.platform == .openshift else { return }
        for unit in context.units where context.job(for: unit.object) == nil {
            for container in unit.containers {
                let texts =
                    [container.node["script"]?.stringValue]
                    + (container.node["command"]?.elements ?? []).map(\.stringValue)
                    + (container.node["args"]?.elements ?? []).map(\.stringValue)
                let text = texts.compactMap { $0 }.joined(separator: "\n")
                guard let regex = pipInstall,
                    regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil,
                    !text.contains("--target"), !text.contains("--prefix"),
                    !hasWritableHome(container, unit: unit)
                else { continue }
                let field =
                    container.node["script"] != nil
                    ? "script" : (container.node["args"] != nil && container.node["command"] == nil ? "args" : "command")
                context.report(
                    "\(unit.displayName), container '\(container.name)' runs `pip install` at run time, but on OpenShift it runs as a random UID with no writable HOME; the install fails with permission denied",
                    at: context.location(of: container.object, path: "\(container.path).\(field)"),
                    help:
                        "build the dependencies into the image (S2I or a Containerfile), or set HOME (or PYTHONUSERBASE) to a path on a writable emptyDir mount",
                    subject: context.subject(for: unit.object))
            }
        }
    }

    /// Whether HOME (or a pip target) points into a writable volume mount of the container,
    /// or into Tekton's own writable directories.
    static func hasWritableHome(_ container: ContainerRef, unit: PodUnit) -> Bool {
        let env = (container.node["env"]?.elements ?? []) + (container.template?["env"]?.elements ?? [])
        let mounts = (container.node["volumeMounts"]?.elements ?? []).filter { $0["readOnly"]?.boolValue != true }
            .compactMap { $0["mountPath"]?.stringValue }.map(Paths.normalizedAbsolute)
        for variable in env {
            guard let name = variable["name"]?.stringValue, writableHomeVariables.contains(name),
                let value = variable["value"]?.stringValue, value.hasPrefix("/")
            else { continue }
            let path = Paths.normalizedAbsolute(value)
            if case .tektonTask = unit.origin, path.hasPrefix("/tekton/") || path.hasPrefix("/workspace/") { return true }
            if mounts.contains(where: { path == $0 || path.hasPrefix($0 == "/" ? "/" : $0 + "/") }) { return true }
        }
        return false
    }
}
