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
