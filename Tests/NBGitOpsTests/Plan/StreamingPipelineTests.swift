import XCTest

@testable import NBGitOps

/// The pipeline plans, checks and renders one environment at a time; without `retainPlans`
/// (render and check) it keeps no plan, and the files are exactly those of a retaining run.
final class StreamingPipelineTests: XCTestCase {
    func testReleasingPlansChangesNoOutputByte() throws {
        let retained = try compileRepositoryExample(retainPlans: true)
        let released = try compileRepositoryExample(retainPlans: false)
        XCTAssertEqual(retained.plans.map(\.environment.name), ["openshift-gpu", "openshift-rwx", "kubernetes"])
        XCTAssertTrue(released.plans.isEmpty)
        XCTAssertEqual(Set(retained.files.keys), Set(released.files.keys))
        for (environment, files) in retained.files {
            XCTAssertEqual(files, released.files[environment], environment)
        }
        XCTAssertEqual(released.timings.map(\.stage), ["load", "decode", "resolve", "plan", "check", "render"])
    }
}

/// Every stage runs its items in parallel; the bytes must not depend on how many threads.
final class ThreadCountIndependenceTests: XCTestCase {
    func testOneThreadAndManyThreadsRenderTheSameBytes() throws {
        let single = try compileRepositoryExample(retainPlans: false, threads: 1)
        let many = try compileRepositoryExample(retainPlans: false, threads: 4)
        XCTAssertFalse(single.files.isEmpty)
        XCTAssertEqual(single.files, many.files)
    }
}
