import XCTest

@testable import NBGitOps

final class ReservedVolumeTests: XCTestCase {
    private func messages(_ podConfig: String) -> [String] {
        let (set, decodeMessages) = decodeSpecs(jobSpec(extraPodConfig: podConfig))
        XCTAssertEqual(decodeMessages, [])
        let diagnostics = DiagnosticCollector()
        PlanChecker.check(PlanFixtures.plan(set).0, specs: set, diagnostics: diagnostics)
        return diagnostics.sorted.filter { $0.id == .volumeReserved }.map { $0.rendered.components(separatedBy: "\n")[0] }
    }

    func testReservedNamesAndPathsAreErrors() {
        let found = messages("""
                volumes:
                - name: nbgitops-scripts
                  emptyDir: {}
                - name: out
                  emptyDir: {}
                volumeMounts:
                - name: nbgitops-scripts
                  mountPath: /data
                - name: out
                  mountPath: /workspace/notebook
            """)
        XCTAssertEqual(found, [
            "spec.yaml:14:13: error[NBG124]: volume name 'nbgitops-scripts' uses the prefix 'nbgitops-' reserved for nbgitops' own volumes",
            "spec.yaml:22:18: error[NBG124]: mount path '/workspace/notebook' collides with /workspace/notebook, where nbgitops mounts the notebook checkout",
        ])
    }

    func testOrdinaryVolumesPass() {
        XCTAssertEqual(messages("""
                volumes:
                - name: out
                  emptyDir: {}
                volumeMounts:
                - name: out
                  mountPath: /workspace/output/models
            """), [])
    }
}
