import Foundation
import XCTest

@testable import NBGitOps

/// Replays every input under Fixtures/fuzz-regressions/ (crashes and slow units the fuzzer
/// found, and hand-written near-misses) through load → decode → plan → check → render, as the
/// fuzz target does. Each must finish, quickly, with or without diagnostics; the complete list of
/// diagnostics of each is listed in EXPECTED there (`CorpusExpectations`).
final class FuzzRegressionTests: XCTestCase {
    static let folder = repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/fuzz-regressions"

    func testEveryRegressionInputCompletesWithItsExpectedDiagnostic() throws {
        var expectations = try CorpusExpectations(folder: Self.folder)
        let present = try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter { $0 != "EXPECTED" && !$0.hasPrefix(".") }
        XCTAssertEqual(Set(expectations.files), Set(present))
        for file in expectations.files {
            let start = Date()
            let result = HostileCorpusTests.compile(path: Self.folder + "/" + file, display: "fuzz/" + file)
            XCTAssertLessThan(Date().timeIntervalSince(start), HostileCorpusTests.timeBound, file)
            expectations.check(file, diagnostics: result.all, rendered: result.files != nil)
        }
        try expectations.finish()
    }

    /// NBG113: a timeout the CRD's pattern admits but that overflows is an error, not the
    /// 30-minute default.
    func testOverflowingTimeoutIsReportedAndAUsableOneIsKept() {
        let (_, bad) = decodeSpecs(jobSpec(extraSpec: "  timeout: 9999999h"))
        XCTAssertEqual(
            bad.first?.split(separator: "\n").first.map(String.init),
            "spec.yaml:14:12: error[NBG113]: timeout '9999999h' is not a duration nbgitops can use (at most 596523h, about 68 years)")
        let (good, none) = decodeSpecs(jobSpec(extraSpec: "  timeout: 596523h"))
        XCTAssertEqual(none, [])
        XCTAssertEqual(good.jobs.first?.timeoutSeconds.value, 596523 * 3600)
    }
}
