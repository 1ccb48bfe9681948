/// The image-build templates nbgitops ships (loaded by `ResourceRoot.buildTemplates`):
/// plain, valid Tekton v1 `Task` bodies that the Plan stage patches structurally, the scripts
/// their steps run.
/// (The Argo CD health checks that make sync waves wait for builds are `ArgoHealthPlanner`'s.)
public struct BuildTemplates: Sendable {
    public struct Template: Sendable {
        /// `templates/tekton/<name>.yaml`, for diagnostics.
        public var file: String
        public var manifest: ManifestNode

        public init(file: String, manifest: ManifestNode) {
            self.file = file
            self.manifest = manifest
        }
    }

    /// Every document of `templates/tekton/*.yaml`, by file name.
    public var tasks: [Template] = []
    /// `templates/tekton/*.sh`: shipped in the build scripts ConfigMap.
    public var scripts: [ScriptFile] = []

    public init() {}

    /// The Task template whose `metadata.name` is `name`.
    public func task(named name: String) -> Template? {
        tasks.first { $0.manifest.value(at: "metadata.name")?.stringValue == name && $0.manifest["kind"]?.stringValue == "Task" }
    }
}
