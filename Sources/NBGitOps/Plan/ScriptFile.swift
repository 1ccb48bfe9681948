/// One file of `templates/scripts/` (top-level `*.sh` and `*.py` only; the caller loads them).
/// The Plan stage ships them in the scripts ConfigMap that every validation pod mounts.
public struct ScriptFile: Sendable, Hashable {
    /// The file name, which becomes the ConfigMap key (`git-clone.sh`).
    public var name: String
    public var contents: String

    public init(name: String, contents: String) {
        self.name = name
        self.contents = contents
    }
}
