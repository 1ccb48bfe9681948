import Foundation
import XCTest

@testable import NBGitOps

/// Hostile overlay patches and selectors (Fixtures/overlays/hostile-patch-*.yaml) through
/// `CompilerPipeline.run`: each is a located error, never a crash, a hang or a silently
/// ignored patch.
final class HostilePatchTests: XCTestCase {
    func testHostilePatchesAreLocatedErrors() {
        let folder = "Tests/NBGitOpsTests/Fixtures/overlays/"
        let cases: [(String, String)] = [
            ("hostile-patch-bad-regex", "hostile-patch-bad-regex.yaml:7:31: error[NBG105]: 'name' is not a regular expression"),
            (
                "hostile-patch-delete-object",
                "hostile-patch-delete-object.yaml:9:7: error[NBG146]: the patch removes Job 'intro-statistics-0956bbba'"
            ),
            (
                "hostile-patch-huge-index",
                "hostile-patch-huge-index.yaml:9:7: error[NBG147]: replace '/spec/template/spec/containers/99999999999999999999999/image'"
            ),
            (
                "hostile-patch-move-into-child",
                "hostile-patch-move-into-child.yaml:9:7: error[NBG147]: a move into its own child is impossible"
            ),
            (
                "hostile-patch-not-a-pointer",
                "hostile-patch-not-a-pointer.yaml:10:13: error[NBG105]: 'spec/template' is not a JSON pointer"
            ),
            (
                "hostile-patch-selector",
                "hostile-patch-selector.yaml:7:29: error[NBG105]: 'labelSelector' is not a label-selector expression"
            ),
            ("hostile-patch-string-alias", "hostile-patch-string-alias.yaml:10:19: error[NBG005]: aliases are not supported"),
            ("hostile-patch-two-documents", "patches/two-documents.yaml:3:1: error[NBG147]: a patch holds exactly one document"),
        ]
        for (name, expected) in cases {
            let start = Date()
            let (output, diagnostics) = PlatformFactsTests.compile(
                PlatformFactsTests.kubernetesOverlays([folder + name + ".yaml"]), specs: "examples/specs/01-public-basic.yaml")
            XCTAssertLessThan(Date().timeIntervalSince(start), 10, name)
            XCTAssertNil(output, name)
            let errors = diagnostics.filter { $0.severity == .error }.map(\.rendered)
            XCTAssertTrue(errors.first?.contains(expected) == true, "\(name): \(errors)")
        }
    }
}
