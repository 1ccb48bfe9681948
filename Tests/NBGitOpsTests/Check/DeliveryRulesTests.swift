import XCTest

@testable import NBGitOps

/// NBG165 is a rule of the Check stage (`DeliveryRules`, in `PlanRules.all`): the engine runs
/// it, no separate pass after the rules. Its fixtures are `Fixtures/rules/NBG165-*.yaml`.
final class DeliveryRulesTests: XCTestCase {
    typealias F = PlanFixtures

    func testPruneOffWithJobsWarnsAtTheOverlayLine() {
        var environment = F.environment()
        environment.delivery.prune = Traced(false, .overlay(name: "site", F.at(9, 12, file: "overlays/site.yaml")))
        let specs = F.richSpecs()
        let (plan, _) = F.plan(specs, environment)
        let diagnostics = DiagnosticCollector()
        PlanChecker.check(plan, specs: specs, diagnostics: diagnostics)
        let prune = diagnostics.diagnostics.filter { $0.id == .deliveryPruneDisabled }
        XCTAssertEqual(prune.count, 1)
        XCTAssertEqual(prune.first?.severity, .warning)
        XCTAssertEqual(
            prune.first?.rendered.split(separator: "\n").first.map(String.init),
            "overlays/site.yaml:9:12: warning[NBG165]: delivery.prune is false in environment 'openshift-gpu': when a validation changes, Argo CD creates its new Job but leaves the superseded one (and its pods) in the cluster"
        )
    }

    func testPruneOnOrNoJobsIsQuiet() {
        let diagnostics = DiagnosticCollector()
        PlanChecker.check(F.plan(F.richSpecs(), F.environment()).0, specs: F.richSpecs(), diagnostics: diagnostics)
        var environment = F.environment()
        environment.delivery.prune = Traced(false, .overlay(name: "site", F.at(9, 12, file: "overlays/site.yaml")))
        PlanChecker.check(F.plan(SpecSet(), environment).0, specs: SpecSet(), diagnostics: diagnostics)
        XCTAssertFalse(diagnostics.diagnostics.contains { $0.id == .deliveryPruneDisabled })
    }

    /// A waiver cannot name it: the finding is environment-wide.
    func testPruneIsNotWaivable() {
        XCTAssertFalse(RuleCatalog.waivableIDs.contains(.deliveryPruneDisabled))
        XCTAssertEqual(RuleCatalog.all.first { $0.id == .deliveryPruneDisabled }?.stage, .check)
    }
}
