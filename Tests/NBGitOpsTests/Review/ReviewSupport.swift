import Foundation
import XCTest

@testable import NBGitOps

/// The repository's example (`nbgitops.yaml` over `examples/`) compiled in-process.
func compileRepositoryExample(file: StaticString = #filePath, line: UInt = #line) throws -> CompilerOutput {
    let diagnostics = DiagnosticCollector()
    let projectPath = (repositoryRoot as NSString).appendingPathComponent("nbgitops.yaml")
    let project = try XCTUnwrap(
        Project.load(path: projectPath, diagnostics: diagnostics), "\(diagnostics.sorted.map(\.rendered))",
        file: file, line: line)
    let files = SpecFileFinder.find(
        project.specs, baseDirectory: repositoryRoot, confineTo: repositoryRoot, diagnostics: diagnostics)
    let input = CompilerInput(
        specFiles: files, environments: project.environments, baseDirectory: repositoryRoot,
        resources: ResourceRoot(path: repositoryRoot), outputName: project.output.value)
    return try XCTUnwrap(
        CompilerPipeline.run(input, diagnostics: diagnostics), "\(diagnostics.sorted.map(\.rendered))", file: file,
        line: line)
}

func examplePlan(_ environment: String, file: StaticString = #filePath, line: UInt = #line) throws -> EnvironmentPlan {
    try XCTUnwrap(
        compileRepositoryExample(file: file, line: line).plans.first { $0.environment.name == environment }, file: file,
        line: line)
}

extension Result {
    var success: Success? {
        if case .success(let value) = self { return value }
        return nil
    }

    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
