/// The object-level view of `nbgitops check`'s file differences: which Kubernetes objects a
/// write would add, change or remove, one line per environment for a pull-request comment:
///
/// ```
/// openshift-gpu objects: 1 added (Job/intro-statistics-1b108a83), 1 removed (Job/intro-statistics-5e6b8fa8)
/// ```
/// Each manifest file holds one object, so a file's difference is its object's; the object is
/// read from the rendered bytes (added, changed) or from the file on disk (removed).
/// `kustomization.yaml` files are not cluster objects and are left out.
///
/// A validation Job whose content changed is written under a new name (Jobs are immutable); the
/// old and the new file of the same NotebookValidationJob are paired as a *replacement*, shown
/// as one diff from the old content to the new.
public struct ObjectChangeSummary: Sendable, Hashable {
    public var environment: String
    public var added: [String]
    public var changed: [String]
    public var removed: [String]
    /// `Kind/old-name → new-name`.
    public var replaced: [String] = []

    /// A removed file and an added file holding the same validation Job under two names.
    public struct Replacement: Sendable, Hashable {
        public var oldPath: String
        public var newPath: String
        public var oldName: String
        public var newName: String
        /// Unified diff from the old file to the new one.
        public var diff: String
    }

    public var line: String {
        var parts: [String] = []
        if !added.isEmpty { parts.append("\(added.count) added (\(added.joined(separator: ", ")))") }
        if !changed.isEmpty { parts.append("\(changed.count) changed (\(changed.joined(separator: ", ")))") }
        if !replaced.isEmpty { parts.append("\(replaced.count) replaced (\(replaced.joined(separator: ", ")))") }
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
        let pairs = replacements(difference, rendered: rendered, root: root)
        let paired = Set(pairs.flatMap { [$0.oldPath, $0.newPath] })
        summary.replaced = pairs.map { "Job/\($0.oldName) → \($0.newName)" }
        for file in difference.files
        where (file.path.hasSuffix(".yaml") || file.path.hasSuffix(".yml")) && !paired.contains(file.path) {
            let bytes: [UInt8]?
            switch file.kind {
            case .added, .changed: bytes = renderedByPath[file.path]
            case .removed, .unowned: bytes = try? FileSystem.readFile(root + "/" + file.path)
            }
            guard let bytes, let name = objectName(bytes, file: file.path) else { continue }
            switch file.kind {
            case .added: summary.added.append(name)
            case .changed: summary.changed.append(name)
            case .removed, .unowned: summary.removed.append(name)
            }
        }
        return summary
    }

    /// Removed and added Job files of the same NotebookValidationJob (label
    /// `app.kubernetes.io/instance`) in the same folder, in path order of the new file.
    /// `patchPath` turns an output-root path into the path the diffs name (see
    /// `OutputComparator.patchPath`).
    public static func replacements(
        _ difference: EnvironmentDifference, rendered: [OutputFile], root: String,
        patchPath: (String) -> String = { $0 }
    ) -> [Replacement] {
        let renderedByPath = Dictionary(rendered.map { ($0.path, $0.bytes) }, uniquingKeysWith: { first, _ in first })
        func folder(_ path: String) -> Substring { path[..<(path.lastIndex(of: "/") ?? path.startIndex)] }
        var removedJobs: [String: (path: String, name: String, bytes: [UInt8])] = [:]
        for file in difference.files where file.kind == .removed {
            guard let bytes = try? FileSystem.readFile(root + "/" + file.path),
                let job = jobIdentity(bytes, file: file.path)
            else { continue }
            removedJobs["\(folder(file.path))|\(job.instance)"] = (file.path, job.name, bytes)
        }
        var result: [Replacement] = []
        for file in difference.files where file.kind == .added {
            guard let bytes = renderedByPath[file.path], let job = jobIdentity(bytes, file: file.path),
                let old = removedJobs.removeValue(forKey: "\(folder(file.path))|\(job.instance)")
            else { continue }
            let diff = UnifiedDiff.gitPatch(
                old: old.bytes, new: bytes, path: patchPath(file.path), oldPath: patchPath(old.path))
            result.append(
                Replacement(oldPath: old.path, newPath: file.path, oldName: old.name, newName: job.name, diff: diff))
        }
        return result
    }

    static func jobIdentity(_ bytes: [UInt8], file: String) -> (name: String, instance: String)? {
        let diagnostics = DiagnosticCollector()
        guard let root = YAMLLoader.load(bytes: bytes, file: file, diagnostics: diagnostics).first?.root,
            root["kind"]?.scalar?.value == "Job",
            let name = root["metadata"]?["name"]?.scalar?.value,
            let instance = root["metadata"]?["labels"]?[LabelKey.instance]?.scalar?.value
        else { return nil }
        return (name, instance)
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
