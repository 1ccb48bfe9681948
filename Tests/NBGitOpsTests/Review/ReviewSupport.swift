import Foundation
import XCTest

@testable import NBGitOps

/// The repository's example (`nbgitops.yaml` over `examples/`) compiled in-process. With the
/// default arguments this is the one shared compile (`TestPipeline.example`); a test that needs
/// its own run (other threads, plans released) gets a fresh one.
func compileRepositoryExample(
    retainPlans: Bool = true, threads: Int? = nil, file: StaticString = #filePath, line: UInt = #line
) throws -> CompilerOutput {
    if retainPlans && threads == nil { return try RepositoryExample.shared.get() }
    return try TestPipeline.runProject(retainPlans: retainPlans, threads: threads).unwrap(file: file, line: line)
}

/// The example compiled once for the tests that only read it.
enum RepositoryExample {
    static let shared: Result<CompilerOutput, Error> = TestPipeline.example.flatMap { run in
        Result { try run.unwrap() }
    }
}

/// Every object an environment renders, in every folder.
func everyObject(_ plan: EnvironmentPlan) -> [PlannedObject] {
    plan.objects + plan.buildObjects + plan.servingObjects + plan.deliveryObjects
}

/// The text of the first file of `environment` whose path contains `name`.
func renderedText(_ output: CompilerOutput, environment: String, containing name: String) throws -> String {
    let file = try XCTUnwrap(
        output.files[environment]?.first { $0.path.contains(name) }, "no rendered file for \(name) in \(environment)")
    return String(decoding: file.bytes, as: UTF8.self)
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

/// The content-hashed name (`<base>-<8 hex>`) the repository example gives a `kind` object in
/// `environment`. Tests name hashed objects through this, so a change to what a Job runs (and
/// so to its hash) needs no new literals; the hash itself is covered by the hashing tests.
func exampleHashedName(
    _ kind: String, _ base: String, in environment: String, file: StaticString = #filePath, line: UInt = #line
) throws -> String {
    let plan = try examplePlan(environment, file: file, line: line)
    let names = (plan.objects + plan.buildObjects).filter { $0.kind == kind }.map(\.name).filter { name in
        let hash = name.dropFirst(base.count + 1)
        return name.hasPrefix(base + "-") && hash.count == 8 && hash.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
    XCTAssertEqual(names.count, 1, "\(kind) \(base)-<hash> in \(environment): \(names)", file: file, line: line)
    return try XCTUnwrap(names.first, file: file, line: line)
}

/// Compiles one spec text through the real pipeline (`CompilerPipeline.run`) in an environment
/// stacked from real overlay files (built-in names or repository paths); returns its plan.
func compileSpecThroughPipeline(
    _ text: String, overlays: [String], environment: String = "test", file: StaticString = #filePath,
    line: UInt = #line
) throws -> EnvironmentPlan {
    let (output, diagnostics) = try compileSpecWithDiagnostics(text, overlays: overlays, environment: environment)
    let compiled = try XCTUnwrap(output, "\(diagnostics.sorted.map(\.rendered))", file: file, line: line)
    return try XCTUnwrap(compiled.plans.first, file: file, line: line)
}

/// The same run, for tests that look at the diagnostics: the output (nil when errors stopped it)
/// and every diagnostic reported. `displayPath`: the spec file's path in diagnostics.
func compileSpecWithDiagnostics(
    _ text: String, overlays: [String], environment: String = "test", displayPath: String = "spec.yaml"
) throws -> (CompilerOutput?, DiagnosticCollector) {
    let run = TestPipeline.run(
        [TestPipeline.file(text, displayPath: displayPath)], environments: [TestPipeline.environment(environment, overlays)])
    return (run.output, run.diagnostics)
}
