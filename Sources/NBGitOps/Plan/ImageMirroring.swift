/// Applies the environment's image mirrors (`images.mirrors`) to image references.
///
/// A mirror's `source` matches an image when the image is the source itself or continues it
/// at a path, tag or digest boundary (`quay.io/jupyter` matches `quay.io/jupyter/scipy:x` but
/// not `quay.io/jupyterhub/x`). The longest matching source wins, so a specific repository
/// mirror beats a whole-registry one whatever the overlay order.
public enum ImageMirroring {
    public static func apply(_ mirrors: [ImageMirror], to image: String) -> String {
        var best: ImageMirror?
        for mirror in mirrors where matches(mirror.source, image) {
            if let current = best, current.source.utf8.count >= mirror.source.utf8.count { continue }
            best = mirror
        }
        guard let best else { return image }
        return best.mirror + image.dropFirst(best.source.count)
    }

    static func matches(_ source: String, _ image: String) -> Bool {
        guard !source.isEmpty, image.hasPrefix(source) else { return false }
        let rest = image.dropFirst(source.count)
        guard let next = rest.first else { return true }
        return next == "/" || next == ":" || next == "@" || source.hasSuffix("/")
    }

    /// Rewrites the `image` of every container (`containers`, `initContainers`,
    /// `ephemeralContainers` lists, at any depth) of a passed-through object, so Deployments,
    /// ServingRuntimes and InferenceServices follow the mirrors as nbgitops' own pods do.
    public static func applyToContainers(_ mirrors: [ImageMirror], in node: ManifestNode) -> ManifestNode {
        guard !mirrors.isEmpty else { return node }
        switch node {
        case .map(let entries):
            return .map(
                entries.map { entry in
                    if containerListKeys.contains(entry.key), case .list(let containers) = entry.value {
                        let rewritten = containers.map { container -> ManifestNode in
                            var container = applyToContainers(mirrors, in: container)
                            if let image = container["image"]?.stringValue {
                                container["image"] = .string(apply(mirrors, to: image))
                            }
                            return container
                        }
                        return ManifestEntry(entry.key, .list(rewritten))
                    }
                    return ManifestEntry(entry.key, applyToContainers(mirrors, in: entry.value))
                })
        case .list(let elements):
            return .list(elements.map { applyToContainers(mirrors, in: $0) })
        default:
            return node
        }
    }

    static let containerListKeys: Set<String> = ["containers", "initContainers", "ephemeralContainers"]
}
