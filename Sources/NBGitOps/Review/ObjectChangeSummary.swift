/// The object-level view of `nbgitops check`'s file differences: which Kubernetes objects a
/// write would add, change or remove, one line per environment for a pull-request comment:
///
/// ```
/// openshift-gpu objects: 1 added (Job/intro-statistics-1b108a83), 1 removed (Job/intro-statistics-5e6b8fa8)
/// ```
/// Each manifest file holds one object, so a file's difference is its object's; the object is
/// read from the rendered bytes (added, changed) or from the file on disk (removed).
/// `kustomization.yaml` files are not cluster objects and are left out.
public struct ObjectChangeSummary: Sendable, Hashable {
    public var environment: String
    public var added: [String]
    public var changed: [String]
    public var removed: [String]

    public var line: String {
        var parts: [String] = []
        if !added.isEmpty { parts.append("\(added.count) added (\(added.joined(separator: ", ")))") }
        if !changed.isEmpty { parts.append("\(changed.count) changed (\(changed.joined(separator: ", ")))") }
        if !removed.isEmpty { parts.append("\(removed.count) removed (\(removed.joined(separator: ", ")))") }
        return "\(environment) objects: " + (parts.isEmpty ? "no changes" : parts.joined(separator: ", "))
    }

    /// - Parameters:
    ///   - root: the output root the paths of `difference` are relative to (to read removed files).
    ///   - rendered: the environment's rendered files (paths relative to the output root).
    public static func summarize(_ difference: EnvironmentDifference, rendered: [OutputFile], root: String)
        -> ObjectChangeSummary
    {
        let renderedByPath = Dictionary(rendered.map { ($0.path, $0.bytes) }, uniquingKeysWith: { first, _ in first })
        var summary = ObjectChangeSummary(environment: difference.environment, added: [], changed: [], removed: [])
        for file in difference.files where file.path.hasSuffix(".yaml") || file.path.hasSuffix(".yml") {
            let bytes: [UInt8]?
            switch file.kind {
            case .added, .changed: bytes = renderedByPath[file.path]
            case .removed: bytes = try? FileSystem.readFile(root + "/" + file.path)
            }
            guard let bytes, let name = objectName(bytes, file: file.path) else { continue }
            switch file.kind {
            case .added: summary.added.append(name)
            case .changed: summary.changed.append(name)
            case .removed: summary.removed.append(name)
            }
        }
        return summary
    }

    /// `Kind/name` of the first document, or nil for kustomization files and unreadable YAML.
    static func objectName(_ bytes: [UInt8], file: String) -> String? {
        let diagnostics = DiagnosticCollector()
        guard let root = YAMLLoader.load(bytes: bytes, file: file, diagnostics: diagnostics).first?.root,
            let kind = root["kind"]?.scalar?.value,
            let apiVersion = root["apiVersion"]?.scalar?.value,
            !apiVersion.hasPrefix("kustomize.config.k8s.io/")
        else { return nil }
        let name = root["metadata"]?["name"]?.scalar?.value ?? "?"
        return "\(kind)/\(name)"
    }
}
