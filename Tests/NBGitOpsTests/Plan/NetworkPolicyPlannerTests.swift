import XCTest

@testable import NBGitOps

final class NetworkPolicyPlannerTests: XCTestCase {
    typealias F = PlanFixtures

    func testValidationPodsGetAPolicyDenyingAllIngressAndLeavingEgressAlone() throws {
        let (plan, _) = F.plan()
        let policy = try XCTUnwrap(F.object(plan, kind: "NetworkPolicy", name: "nb-notebook-validation-deny-ingress"))
        XCTAssertEqual(policy.value(at: "apiVersion"), "networking.k8s.io/v1")
        XCTAssertEqual(policy.value(at: "metadata.namespace"), "nb-validation")
        XCTAssertEqual(policy.value(at: "spec.policyTypes"), ["Ingress"])
        XCTAssertNil(policy.value(at: "spec.ingress"), "no ingress rule: everything inbound is denied")
        XCTAssertNil(policy.value(at: "spec.egress"))
        // It selects exactly what every validation pod carries.
        let selector = try XCTUnwrap(policy.value(at: "spec.podSelector.matchLabels"))
        XCTAssertEqual(selector, ["app.kubernetes.io/name": "notebook-validation"])
        for job in F.jobs(plan) {
            XCTAssertEqual(
                job.manifest.value(at: "spec.template.metadata.labels[app.kubernetes.io/name]"), "notebook-validation")
        }
    }

    func testNoPolicyWithoutValidationJobs() {
        let (plan, _) = F.plan(SpecSet())
        XCTAssertFalse(plan.objects.contains { $0.kind == "NetworkPolicy" })
    }
}
