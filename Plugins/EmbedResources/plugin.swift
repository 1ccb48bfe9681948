import PackagePlugin

/// Compiles the YAML files of a target's `Resources/` folder into the target as Swift string
/// constants (`EmbeddedResources.swift`), so the schemas the decoder validates against travel
/// inside the binary: a copied or installed `nbgitops` needs no resource bundle next to it.
@main
struct EmbedResources: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        guard let source = target as? SourceModuleTarget else { return [] }
        let inputs = source.sourceFiles
            .filter { $0.url.pathExtension == "yaml" && $0.url.deletingLastPathComponent().lastPathComponent == "Resources" }
            .map(\.url)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        guard !inputs.isEmpty else { return [] }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedResources.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) resource file(s) into \(target.name)",
                executable: try context.tool(named: "nbgitops-embed").url,
                arguments: [output.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output])
        ]
    }
}
