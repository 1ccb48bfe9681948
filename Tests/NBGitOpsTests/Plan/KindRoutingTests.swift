import XCTest

@testable import NBGitOps

/// One place routes a document by kind (`SpecKinds`), and the shared planners take workload
/// units of any kind, not NotebookValidationJobs.
final class KindRoutingTests: XCTestCase {
    typealias F = PlanFixtures

    func testDocumentsAreRoutedByKind() {
        XCTAssertEqual(SpecKinds.entry(forKind: "NotebookValidationJob")?.apiVersions, SpecDecoder.jobAPIVersions)
        XCTAssertNil(SpecKinds.entry(forKind: "ConfigMap"))
        XCTAssertNil(SpecKinds.entry(forKind: nil))
        let (set, messages) = decodeSpecs(jobSpec() + "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n")
        XCTAssertEqual(messages, [])
        XCTAssertEqual(set.jobs.map(\.name.value), ["demo"])
        XCTAssertEqual(set.supportingObjects.map(\.kind), ["ConfigMap"])
    }

    func testAJobGivesOneUnitWithItsAccountPermissionsAndClaims() {
        let specs = F.richSpecs()
        let units = specs.workloadUnits
        XCTAssertEqual(units.map(\.key), ["NotebookValidationJob/train-sentiment", "NotebookValidationJob/churn-model"])
        XCTAssertEqual(units[0].claims.map(\.value), ["trained-models"])
        XCTAssertEqual(units[0].permissions.map(\.resource), ["inferenceservices"])
        XCTAssertEqual(units[1].serviceAccount?.value, "analyst")
        XCTAssertEqual(units[1].permissions, [])
    }

    /// A unit of another kind (as a ModelPipeline task will be) gets its ServiceAccount, a
    /// least-privilege Role for its permissions, and its claim, from the same planners.
    func testSharedPlannersTakeUnitsOfAnyKind() {
        let at = F.at(3, 9, file: "specs/pipeline.yaml")
        let unit = WorkloadUnit(
            specKind: "ModelPipeline", specName: Located("granite", at: at), role: "download",
            serviceAccount: Located("model-downloader", at: at),
            permissions: [APIPermission(apiGroup: "image.openshift.io", resource: "imagestreams", verbs: ["get"])],
            claims: [Located("model-cache", at: at)])
        var environment = F.environment(manageAllClaims: true)
        environment.naming.namespace = Traced("models", .builtinDefault("test"))
        let context = PlanContext(environment: environment, delivery: .project(outputPath: "gitops"))
        let diagnostics = DiagnosticCollector()
        let access = AccessPlanner.plan(units: [unit], supportingObjects: [], context: context)
        XCTAssertEqual(access.access[unit.key]?.serviceAccountName, "model-downloader")
        XCTAssertEqual(access.access[unit.key]?.needsAPI, true)
        XCTAssertEqual(access.objects.map(\.kind), ["ServiceAccount", "Role", "RoleBinding"])
        XCTAssertEqual(
            access.objects[1].manifest.value(at: "rules[0].resources")?.elements?.compactMap(\.stringValue), ["imagestreams"])
        let claims = StoragePlanner.plan(units: [unit], supportingObjects: [], context: context)
        XCTAssertEqual(claims.map(\.name), ["model-cache"])
        XCTAssertEqual(claims.first?.sources, [at])
        XCTAssertFalse(diagnostics.hasErrors, diagnostics.sorted.map(\.rendered).joined(separator: "\n"))
    }

    /// Every spec kind the decoder routes has its planner, and no planner lacks a kind.
    func testEveryDecodedKindHasAPlanner() {
        XCTAssertEqual(KindPlanners.all.map(\.kind), SpecKinds.all.map(\.kind))
    }
}
