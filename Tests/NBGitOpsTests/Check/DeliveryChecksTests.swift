import XCTest

@testable import NBGitOps

final class DeliveryChecksTests: XCTestCase {
    typealias F = PlanFixtures

    func testPruneOffWithJobsWarnsAtTheOverlayLine() {
        var environment = F.environment()
        environment.delivery.prune = Traced(false, .overlay(name: "site", F.at(9, 12, file: "overlays/site.yaml")))
        let (plan, _) = F.plan(F.richSpecs(), environment)
        let diagnostics = DiagnosticCollector()
        DeliveryChecks.check(plan, diagnostics: diagnostics)
        XCTAssertEqual(diagnostics.diagnostics.map(\.id), [.deliveryPruneDisabled])
        XCTAssertEqual(diagnostics.diagnostics.first?.severity, .warning)
        XCTAssertEqual(
            diagnostics.sorted.first?.rendered.split(separator: "\n").first.map(String.init),
            "overlays/site.yaml:9:12: warning[NBG165]: delivery.prune is false in environment 'openshift-gpu': when a validation changes, Argo CD creates its new Job but leaves the superseded one (and its pods) in the cluster"
        )
    }

    func testPruneOnOrNoJobsIsQuiet() {
        let diagnostics = DiagnosticCollector()
        DeliveryChecks.check(F.plan(F.richSpecs(), F.environment()).0, diagnostics: diagnostics)
        var environment = F.environment()
        environment.delivery.prune = Traced(false, .overlay(name: "site", F.at(9, 12, file: "overlays/site.yaml")))
        DeliveryChecks.check(F.plan(SpecSet(), environment).0, diagnostics: diagnostics)
        XCTAssertTrue(diagnostics.diagnostics.isEmpty)
    }
}
