/// Where a plan's objects go in the output folder, and the kustomizations that list them.
///
/// ```
/// <env>/manifests/<wave>-<kind>-<name>.yaml   one object per file, e.g. 5-job-nb-foo-1a2b3c4d.yaml
/// <env>/manifests/kustomization.yaml          resources: every file above, in apply order
/// <env>/delivery/<kind>-<name>.yaml           the Argo CD Application or Flux objects
/// <env>/delivery/kustomization.yaml
/// <env>/builds/…                              Flux only, when jobs build images: the build
///                                             objects, applied by their own Kustomization
/// ```
/// Paths are relative to the output root. One object per file keeps diffs reviewable and
/// lets the file name alone tell what changed; the wave prefix makes `ls` show apply order.
public enum OutputLayout {
    public static let kustomizationFile = "kustomization.yaml"
    /// Flux environments with image builds: `<env>/builds/` holds the build objects.
    public static let buildsFolderName = "builds"

    /// The files of one environment, rendered through `ManifestRenderer`, in a stable order.
    ///
    /// `outputRoot` is the folder the returned paths are relative to; it is not part of them.
    /// (The repository path the delivery objects point at was fixed when the plan was made:
    /// `EnvironmentPlanner.plan(…, outputRoot:…)`.)
    public static func files(for plan: EnvironmentPlan, outputRoot: String) -> [OutputFile] {
        let environment = plan.environment.name
        var files: [OutputFile] = []
        files += folder("\(environment)/manifests", objects: plan.objects) { manifestFileName($0) }
        if !plan.buildObjects.isEmpty {
            files += folder("\(environment)/\(buildsFolderName)", objects: plan.buildObjects) { manifestFileName($0) }
        }
        files += folder("\(environment)/delivery", objects: plan.deliveryObjects) { deliveryFileName($0) }
        for extra in plan.deliveryExtras {
            // Listed nowhere: applied by an administrator, not by the delivery folder.
            files.append(
                OutputFile(
                    path: "\(environment)/delivery/\(deliveryFileName(extra))",
                    bytes: ManifestRenderer.render([extra.manifest])))
        }
        return files
    }

    /// `<wave>-<kind lowercased>-<name>.yaml`.
    public static func manifestFileName(_ object: PlannedObject) -> String {
        "\(object.wave.rawValue)-\(object.kind.lowercased())-\(object.name).yaml"
    }

    /// `<kind lowercased>-<name>.yaml`.
    public static func deliveryFileName(_ object: PlannedObject) -> String {
        "\(object.kind.lowercased())-\(object.name).yaml"
    }

    /// The repository path of an environment's manifests folder: `<outputRoot>/<env>/manifests`.
    public static func manifestsFolder(environment: String, outputRoot: String) -> String {
        let root = normalizeRoot(outputRoot)
        return root == "." ? "\(environment)/manifests" : "\(root)/\(environment)/manifests"
    }

    /// The repository path of an environment's builds folder: `<outputRoot>/<env>/builds`.
    public static func buildsFolder(environment: String, outputRoot: String) -> String {
        let root = normalizeRoot(outputRoot)
        return root == "." ? "\(environment)/\(buildsFolderName)" : "\(root)/\(environment)/\(buildsFolderName)"
    }

    /// `./gitops/` → `gitops`; `` and `./` → `.`.
    static func normalizeRoot(_ root: String) -> String {
        let parts = root.split(separator: "/").filter { $0 != "." }
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    private static func folder(
        _ folder: String, objects: [PlannedObject], name: (PlannedObject) -> String
    ) -> [OutputFile] {
        var files: [OutputFile] = []
        var resources: [ManifestNode] = []
        for object in objects {
            let file = name(object)
            resources.append(.string(file))
            files.append(OutputFile(path: "\(folder)/\(file)", bytes: ManifestRenderer.render([object.manifest])))
        }
        let kustomization: ManifestNode = [
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": .list(resources),
        ]
        files.append(
            OutputFile(path: "\(folder)/\(kustomizationFile)", bytes: ManifestRenderer.render([kustomization])))
        return files
    }
}
