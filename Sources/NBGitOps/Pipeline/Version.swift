/// nbgitops' own version and home, in one place: `nbgitops --version`, the SARIF log's
/// `tool.driver`, the scaffold `nbgitops init` writes (which pins the GitHub Action to this
/// release) and the release layout all read it from here.
public enum NBGitOpsVersion {
    /// The release, as a semantic version. Bumped by hand with each release tag `v<current>`.
    public static let current = "0.4.0"
    /// The project's home: the GitHub repository the reusable action and pre-commit hooks are
    /// used from (`uses: nbgitops/nbgitops@v<current>`).
    public static let repository = "nbgitops/nbgitops"
    public static let informationURI = "https://github.com/\(repository)"
    /// The rule pages as published (`docs/rules/<ID>.md` at this release's tag).
    public static func ruleHelpURI(_ id: RuleID) -> String {
        "\(informationURI)/blob/v\(current)/docs/rules/\(id.rawValue).md"
    }
}
