import Foundation

extension ResourceRoot {
    /// The Argo CD health scripts of `templates/argocd/` (`*.lua`), by file name.
    public func argoHealthScripts(diagnostics: DiagnosticCollector) -> [String: String] {
        let folder = (path as NSString).appendingPathComponent("templates/argocd")
        var result: [String: String] = [:]
        for check in ArgoHealthPlanner.all {
            let file = (folder as NSString).appendingPathComponent(check.file)
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8)
            else {
                diagnostics.error(.ioRead, "cannot read Argo CD health script", at: .startOf("templates/argocd/\(check.file)"))
                continue
            }
            result[check.file] = text
        }
        return result
    }
}

/// What the Plan stage reads from nbgitops' own resource folder: the pod scripts, the YAML
/// bodies of the build objects and the Argo CD health checks. Loaded once per run
/// (`load(from:diagnostics:)`); every caller of `EnvironmentPlanner.plan` passes the whole set,
/// so no caller gets a plan without, say, its `argocd-cm` health snippet.
public struct PlanResources: Sendable {
    /// The top-level `*.sh`/`*.py` files of `templates/scripts/`.
    public var scripts: [ScriptFile]
    /// `templates/tekton/` and `templates/openshift/` bodies.
    public var buildTemplates: BuildTemplates
    /// `templates/argocd/*.lua` by file name.
    public var argoHealthChecks: [String: String]

    public init(scripts: [ScriptFile], buildTemplates: BuildTemplates = BuildTemplates(), argoHealthChecks: [String: String]) {
        self.scripts = scripts
        self.buildTemplates = buildTemplates
        self.argoHealthChecks = argoHealthChecks
    }

    public static func load(from root: ResourceRoot, diagnostics: DiagnosticCollector) -> PlanResources {
        PlanResources(
            scripts: root.scripts(diagnostics: diagnostics), buildTemplates: root.buildTemplates(diagnostics: diagnostics),
            argoHealthChecks: root.argoHealthScripts(diagnostics: diagnostics))
    }
}
