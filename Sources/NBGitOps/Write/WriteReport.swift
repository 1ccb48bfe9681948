/// One environment's render, as handed to the Write stage.
public struct EnvironmentOutput: Sendable, Hashable {
    /// The environment's name, which is also its folder name under the output root.
    public var environment: String
    /// Files with paths relative to the output root, all below `<environment>/`.
    public var files: [OutputFile]

    public init(environment: String, files: [OutputFile]) {
        self.environment = environment
        self.files = files
    }
}

/// What a write did to one environment folder. Paths are relative to the output root, like
/// `OutputFile.path`, and sorted by UTF-8 bytes.
public struct EnvironmentWriteReport: Sendable, Hashable {
    public var environment: String
    /// Files that did not exist before.
    public var added: [String]
    /// Files whose bytes changed.
    public var changed: [String]
    /// Files already identical on disk: same inode, same modification time.
    public var unchanged: [String]
    /// Owned files the previous run wrote and this render no longer produces.
    public var removed: [String]
    /// The part of `removed` that `--prune-unowned` removed: files with the generated header
    /// that no ownership ledger listed.
    public var pruned: [String]
    /// Whether the environment folder was replaced. False when everything was already up to
    /// date and nothing on disk was touched.
    public var replacedFolder: Bool

    public init(
        environment: String, added: [String], changed: [String], unchanged: [String], removed: [String],
        replacedFolder: Bool, pruned: [String] = []
    ) {
        self.pruned = pruned
        self.environment = environment
        self.added = added
        self.changed = changed
        self.unchanged = unchanged
        self.removed = removed
        self.replacedFolder = replacedFolder
    }

    /// Added and changed files.
    public var written: [String] { (added + changed).sorted(by: precedesInByteOrder) }
}

/// The result of `OutputWriter.write`.
public struct WriteReport: Sendable, Hashable {
    /// True when every environment folder now holds its render. False when an error was
    /// reported; the output root is then exactly as it was before the call.
    public var succeeded: Bool
    /// One report per environment, in the order given; empty when the write failed.
    public var environments: [EnvironmentWriteReport]

    public init(succeeded: Bool, environments: [EnvironmentWriteReport]) {
        self.succeeded = succeeded
        self.environments = environments
    }

    static let failed = WriteReport(succeeded: false, environments: [])

    /// Added and changed files of every environment.
    public var written: [String] { environments.flatMap(\.written) }
    public var unchanged: [String] { environments.flatMap(\.unchanged) }
    public var removed: [String] { environments.flatMap(\.removed) }
}
