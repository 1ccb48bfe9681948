/// Where a plan's objects go in the output folder, and the kustomizations that list them.
///
/// ```
/// <env>/manifests/<wave>-<kind>-<name>.yaml   one object per file, e.g. 5-job-nb-foo-1a2b3c4d.yaml
/// <env>/manifests/kustomization.yaml          resources: every file above, in apply order
/// <env>/delivery/<kind>-<name>.yaml           the Argo CD Application or Flux objects
/// <env>/delivery/kustomization.yaml
/// <env>/builds/…                              Flux only, when jobs build images: the build
///                                             objects, applied by their own Kustomization
/// <env>/serving/…                             Flux only, with ModelPipelines: the
///                                             InferenceServices, applied after the Jobs
/// <env>/delivery/<kind>-<name>-snippet.yaml  controller configuration to merge by hand (argocd-cm)
/// ```
/// Paths are relative to the output root. One object per file keeps diffs reviewable and
/// lets the file name alone tell what changed; the wave prefix makes `ls` show apply order.
///
/// Every file starts with one comment line (`FileHeader`) naming nbgitops and the input files
/// the object came from. It is the only byte sequence not produced by the libyaml emitter, and
/// it is added here, in one place.
public enum OutputLayout {
    public static let kustomizationFile = "kustomization.yaml"
    /// Flux environments with image builds: `<env>/builds/` holds the build objects.
    public static let buildsFolderName = "builds"
    /// Flux environments with model serving: `<env>/serving/` holds the InferenceServices.
    public static let servingFolderName = "serving"

    /// The files of one environment, rendered through `ManifestRenderer`, in a stable order.
    ///
    /// The returned paths are relative to the output folder. (The repository path the
    /// delivery objects point at was fixed when the plan was made:
    /// `EnvironmentPlanner.plan(…, delivery:…)`.)
    ///
    /// A file libyaml fails to emit is reported (`NBG171`, at the object's first source) and left
    /// out: never a truncated file (the run then fails before anything is written).
    public static func files(for plan: EnvironmentPlan, diagnostics: DiagnosticCollector = DiagnosticCollector())
        -> [OutputFile]
    {
        let environment = plan.environment.name
        let home = plan.environment.naming.namespace.value
        var files: [OutputFile] = []
        let split = plan.objects + plan.buildObjects + plan.servingObjects
        if split.contains(where: { $0.part != nil }) {
            // delivery.split: one folder per part (DeliverySplit), each with its kustomization.
            var folders: [String: [PlannedObject]] = [:]
            for object in split { folders[object.part ?? "manifests", default: []].append(object) }
            for name in folders.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                let objects = (folders[name] ?? []).sorted(by: EnvironmentPlanner.applyOrder)
                files += folder("\(environment)/\(name)", objects: objects, diagnostics: diagnostics) {
                    manifestPath($0, homeNamespace: home)
                }
            }
        } else {
            files += unsplitFiles(plan, diagnostics: diagnostics)
        }
        // Delivery objects in a part of their own (Argo CD's child Applications in `apps/`).
        let partDelivery = plan.deliveryObjects.filter { $0.part != nil }
        for name in Set(partDelivery.compactMap(\.part)).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            files += folder(
                "\(environment)/\(name)", objects: partDelivery.filter { $0.part == name }, diagnostics: diagnostics
            ) { deliveryFileName($0) }
        }
        let deliveryObjects = plan.deliveryObjects.filter { $0.part == nil }
        // No delivery tool (or an ad-hoc render without a repository): no delivery folder at all,
        // rather than an empty kustomization.
        if !deliveryObjects.isEmpty {
            files += folder("\(environment)/delivery", objects: deliveryObjects, diagnostics: diagnostics) {
                deliveryFileName($0)
            }
        }
        // Snippets: next to the delivery objects, in no kustomization (merged by hand).
        for snippet in plan.snippets {
            let path = "\(environment)/delivery/\(snippetFileName(snippet))"
            if let bytes = emitted(
                ManifestRenderer.emit([snippet.manifest], after: FileHeader.line(sources: snippet.sources)), path: path,
                sources: snippet.sources, diagnostics: diagnostics)
            {
                files.append(OutputFile(path: path, bytes: bytes))
            }
        }
        return files
    }

    /// The manifests, builds and serving folders of an environment that is not split.
    private static func unsplitFiles(_ plan: EnvironmentPlan, diagnostics: DiagnosticCollector) -> [OutputFile] {
        let environment = plan.environment.name
        let home = plan.environment.naming.namespace.value
        var files: [OutputFile] = []
        files += folder("\(environment)/manifests", objects: plan.objects, diagnostics: diagnostics) {
            manifestPath($0, homeNamespace: home)
        }
        if !plan.buildObjects.isEmpty {
            files += folder("\(environment)/\(buildsFolderName)", objects: plan.buildObjects, diagnostics: diagnostics) {
                manifestPath($0, homeNamespace: home)
            }
        }
        if !plan.servingObjects.isEmpty {
            files += folder("\(environment)/\(servingFolderName)", objects: plan.servingObjects, diagnostics: diagnostics) {
                manifestPath($0, homeNamespace: home)
            }
        }
        return files
    }

    /// The bytes of a file, or nil with an error when libyaml could not emit it.
    private static func emitted(
        _ result: Result<[UInt8], ManifestRenderer.EmitFailure>, path: String, sources: [SourceLocation],
        diagnostics: DiagnosticCollector
    ) -> [UInt8]? {
        switch result {
        case .success(let bytes): return bytes
        case .failure(let failure):
            diagnostics.error(
                .outputWrite, "cannot render \(path): the YAML emitter failed (\(failure.problem))",
                at: sources.first ?? SourceLocation(file: "<output>", line: 1, column: 1),
                help: "nothing was written; report this with the input that causes it")
            return nil
        }
    }

    /// `<wave>-<kind lowercased>-<name>.yaml`.
    public static func manifestFileName(_ object: PlannedObject) -> String {
        "\(object.wave.rawValue)-\(object.kind.lowercased())-\(object.name).yaml"
    }

    /// Where an object goes in its folder: `manifestFileName`, inside a folder named after its
    /// namespace when that is neither the environment's namespace nor its build namespace
    /// (`team-a/5-job-nb-foo-1a2b3c4d.yaml`): objects of one kind and name in two namespaces are two
    /// files, and a project of one namespace keeps its flat folder.
    public static func manifestPath(_ object: PlannedObject, homeNamespace: String) -> String {
        guard let namespace = object.namespace, namespace != homeNamespace,
            namespace != homeNamespace + BuildPlanner.buildNamespaceSuffix
        else { return manifestFileName(object) }
        return "\(namespace)/\(manifestFileName(object))"
    }

    /// `<kind lowercased>-<name>.yaml`.
    public static func deliveryFileName(_ object: PlannedObject) -> String {
        "\(object.kind.lowercased())-\(object.name).yaml"
    }

    /// `<kind lowercased>-<name>-snippet.yaml` (e.g. `configmap-argocd-cm-snippet.yaml`).
    public static func snippetFileName(_ object: PlannedObject) -> String {
        "\(object.kind.lowercased())-\(object.name)-snippet.yaml"
    }

    /// The repository path of an environment's manifests folder: `<outputRoot>/<env>/manifests`.
    public static func manifestsFolder(environment: String, outputRoot: String) -> String {
        let root = normalizeRoot(outputRoot)
        return root == "." ? "\(environment)/manifests" : "\(root)/\(environment)/manifests"
    }

    /// The repository path of an environment's builds folder: `<outputRoot>/<env>/builds`.
    /// `<output>/<env>/<name>` (`gitops/kubernetes/serving`).
    public static func folder(_ name: String, environment: String, outputRoot: String) -> String {
        let root = normalizeRoot(outputRoot)
        return root == "." ? "\(environment)/\(name)" : "\(root)/\(environment)/\(name)"
    }

    /// `./gitops/` → `gitops`; `` and `./` → `.`.
    static func normalizeRoot(_ root: String) -> String {
        let parts = root.split(separator: "/").filter { $0 != "." }
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    private static func folder(
        _ folder: String, objects: [PlannedObject], diagnostics: DiagnosticCollector, name: (PlannedObject) -> String
    ) -> [OutputFile] {
        let fileNames = objects.map(name)
        // Headers name the source files; most objects come from one file, shared by many
        // objects, so each such header is built once.
        // An object shared by specs, or made from several input files, names the environment
        // (the first path component) instead: adding or removing a spec leaves its file alone.
        let environment = String(folder.split(separator: "/").first ?? "")
        let sharedHeader = FileHeader.line(sharedIn: environment)
        var headerByFile: [String: [UInt8]] = [:]
        let headers = objects.map { object -> [UInt8] in
            if object.shared { return sharedHeader }
            guard let first = object.sources.first?.file, object.sources.allSatisfy({ $0.file == first }) else {
                return object.sources.isEmpty ? FileHeader.line(sources: []) : sharedHeader
            }
            if let cached = headerByFile[first] { return cached }
            let header = FileHeader.line(sources: object.sources)
            headerByFile[first] = header
            return header
        }
        // Objects render independently: in parallel, results in object order.
        var files = Parallel.map(Array(zip(zip(objects, fileNames), headers))) { item, header -> OutputFile? in
            let path = "\(folder)/\(item.1)"
            let bytes = emitted(
                ManifestRenderer.emit([item.0.manifest], after: header), path: path, sources: item.0.sources,
                diagnostics: diagnostics)
            return bytes.map { OutputFile(path: path, bytes: $0) }
        }.compactMap { $0 }
        let resources = fileNames.map { ManifestNode.string($0) }
        let kustomization: ManifestNode = [
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": .list(resources),
        ]
        let path = "\(folder)/\(kustomizationFile)"
        if let bytes = emitted(
            ManifestRenderer.emit([kustomization], after: FileHeader.line(sources: [])), path: path, sources: [],
            diagnostics: diagnostics)
        {
            files.append(OutputFile(path: path, bytes: bytes))
        }
        return files
    }
}

/// The one-line comment every emitted file begins with:
///
/// ```
/// # Generated by nbgitops from examples/specs/05-gpu.yaml; do not edit, change the source and run nbgitops render
/// # Generated by nbgitops (built-in); do not edit, run nbgitops render
/// # Generated by nbgitops for environment dev from the specs and overlays that share it (`nbgitops explain` lists them); do not edit, change the sources and run nbgitops render
/// ```
/// The last form is for an object several specs share, or made from several input files: a
/// header listing them would change in every file such an object has whenever one spec is
/// added or removed.
/// Source files are listed once each, sorted by UTF-8 bytes (deterministic); characters that
/// could end the comment (line breaks, other control characters) are replaced by `?`.
public enum FileHeader {
    public static let prefix = "# Generated by nbgitops"

    public static func text(sources: [SourceLocation]) -> String {
        let files = Set(sources.map(\.file)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        if files.isEmpty { return "\(prefix) (built-in); do not edit, run nbgitops render" }
        let list = files.map(sanitized).joined(separator: ", ")
        return "\(prefix) from \(list); do not edit, change the source and run nbgitops render"
    }

    /// The header of an object several specs or input files contribute to: it names the
    /// environment, so the file does not change when a spec is added or removed
    /// (`nbgitops explain` lists the contributing files).
    public static func text(sharedIn environment: String) -> String {
        "\(prefix) for environment \(sanitized(environment)) from the specs and overlays that share it (`nbgitops explain` lists them); do not edit, change the sources and run nbgitops render"
    }

    public static func line(sharedIn environment: String) -> [UInt8] {
        Array((text(sharedIn: environment) + "\n").utf8)
    }

    public static func line(sources: [SourceLocation]) -> [UInt8] {
        Array((text(sources: sources) + "\n").utf8)
    }

    static func sanitized(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { scalar in
                    scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x85 || scalar.value == 0x2028
                        || scalar.value == 0x2029 ? "?" : scalar
                }))
    }
}
