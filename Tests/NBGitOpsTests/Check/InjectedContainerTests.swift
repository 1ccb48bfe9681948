import Foundation
import XCTest

@testable import NBGitOps

/// Pod Security of the containers the platform injects (Tekton's init containers and affinity
/// assistant, KServe's modelcar containers) and OpenShift's UID blocks, through
/// `CompilerPipeline.run`: B5, B6 and M3 of the platform review.
final class InjectedContainerTests: XCTestCase {
    static let kubernetes =
        "kubernetes, rwo, flux, examples/overlays/repository.yaml, examples/overlays/registry.yaml"
    static let openshift =
        "openshift, rwo, argocd, examples/overlays/repository.yaml, examples/overlays/site-defaults.yaml"

    static let modelcarPipeline = """
        apiVersion: nbgitops.dev/v1alpha1
        kind: ModelPipeline
        metadata:
          name: phi-mini
        spec:
          source:
            huggingFace: {repo: microsoft/Phi-3-mini-4k-instruct, revision: 0a67737cc96d2554230f90338b163bc6380a2a85}
          size: {model: 8Gi, largestFile: 5Gi}
          modelcar:
            destinations:
            - registry: {repository: quay.io/example-org/modelcar-phi-mini, pushSecret: quay-modelcar-push}
          serving:
            modelFormat: {name: vLLM}

        """

    static let claimPipeline = """
        apiVersion: nbgitops.dev/v1alpha1
        kind: ModelPipeline
        metadata:
          name: phi-claim
        spec:
          source:
            huggingFace: {repo: microsoft/Phi-3-mini-4k-instruct, revision: 0a67737cc96d2554230f90338b163bc6380a2a85}
          size: {model: 8Gi, largestFile: 5Gi}
          delivery: pvc
          serving:
            modelFormat: {name: vLLM}

        """

    /// Compiles `spec` for one environment: its first-line diagnostics and its plan.
    static func compile(_ spec: String, overlays: String) throws -> (diagnostics: [Diagnostic], plan: EnvironmentPlan?) {
        let names = overlays.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let run = TestPipeline.run(
            [TestPipeline.file(spec, displayPath: "specs/spec.yaml")],
            environments: [TestPipeline.environment(names.first ?? "test", names)])
        let (output, diagnostics) = (run.output, run.diagnostics)
        return (diagnostics.sorted, output?.plans.first)
    }

    static func lines(_ diagnostics: [Diagnostic], _ rule: RuleID) -> [String] {
        diagnostics.filter { $0.id == rule }.map { String($0.rendered.split(separator: "\n").first ?? "") }
    }

    static func all(_ plan: EnvironmentPlan) -> [PlannedObject] {
        plan.objects + plan.buildObjects + plan.servingObjects
    }

    static func namespace(_ name: String, in plan: EnvironmentPlan) throws -> ManifestNode {
        try XCTUnwrap(all(plan).first { $0.kind == "Namespace" && $0.name == name }?.manifest, name)
    }

    static func label(_ namespace: ManifestNode, _ key: String) -> String? {
        namespace.value(at: "metadata.labels")?[key]?.stringValue
    }

    /// B5: the model PipelineRuns nbgitops writes run where Pod Security admits Tekton's
    /// injected containers (set-security-context unknown, so assumed off): the namespace
    /// enforces baseline while audit and warn stay restricted.
    func testB5_ModelPipelineRunsRunInANamespaceThatAdmitsTektonsInjectedContainers() throws {
        let (diagnostics, compiled) = try Self.compile(Self.claimPipeline, overlays: Self.kubernetes)
        XCTAssertEqual(diagnostics.filter { $0.severity == .error }.map(\.rendered), [])
        let plan = try XCTUnwrap(compiled)
        let runs = Self.all(plan).filter { $0.kind == "PipelineRun" }
        XCTAssertFalse(runs.isEmpty)
        for run in runs {
            let namespace = try Self.namespace(try XCTUnwrap(run.namespace), in: plan)
            XCTAssertEqual(Self.label(namespace, LabelKey.podSecurityEnforce), "baseline", run.name)
            XCTAssertEqual(Self.label(namespace, LabelKey.podSecurityAudit), "restricted", run.name)
            XCTAssertEqual(Self.label(namespace, LabelKey.podSecurityWarn), "restricted", run.name)
        }
        XCTAssertEqual(Self.lines(diagnostics, .tektonRunRestricted), [])
    }

    /// B5: a namespace with no Tekton run and no ModelCar keeps enforcing restricted.
    func testB5_ANamespaceWithoutInjectedContainersStaysRestricted() throws {
        let (_, compiled) = try Self.compile(jobSpec(), overlays: Self.kubernetes)
        let plan = try XCTUnwrap(compiled)
        let namespace = try Self.namespace(plan.environment.naming.namespace.value, in: plan)
        XCTAssertEqual(Self.label(namespace, LabelKey.podSecurityEnforce), "restricted")
    }

    /// B5: a hand-written PipelineRun passed through into a restricted namespace is refused at
    /// the run (NBG320); a baseline cap admits it.
    func testB5_APassedThroughPipelineRunInARestrictedNamespaceIsALocatedError() throws {
        let spec = try RuleFixtureTests.body("NBG320-fail.yaml")
        let (diagnostics, _) = try Self.compile(spec, overlays: Self.kubernetes)
        XCTAssertEqual(
            Self.lines(diagnostics, .tektonRunRestricted),
            [
                "specs/spec.yaml:4:9: error[NBG320]: PipelineRun 'report-upload' runs in namespace 'notebook-validation', which enforces Pod Security restricted; Tekton adds its prepare and place-scripts init containers and the affinity assistant without allowPrivilegeEscalation: false or capabilities.drop: [ALL] unless its feature flag set-security-context is \"true\" (off by default), so no TaskRun pod is ever created"
            ])
        let (capped, _) = try Self.compile(
            spec, overlays: Self.kubernetes + ", Tests/NBGitOpsTests/Fixtures/overlays/baseline-cap.yaml")
        XCTAssertEqual(Self.lines(capped, .tektonRunRestricted), [])
    }

    /// B5: a declared `security.privilegeCap: restricted` is the cluster's word: the level
    /// stays, and the model runs that cannot start there are refused at their spec.
    func testB5_ADeclaredRestrictedCapStaysAndRefusesTheModelRuns() throws {
        let overlay = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-cap-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: overlay) }
        try Data(
            """
            apiVersion: nbgitops.dev/v1alpha1
            kind: Overlay
            metadata:
              name: restricted-cap
            spec:
              security:
                privilegeCap: restricted

            """.utf8
        ).write(to: overlay)
        let (diagnostics, compiled) = try Self.compile(Self.claimPipeline, overlays: Self.kubernetes + ", " + overlay.path)
        let found = Self.lines(diagnostics, .tektonRunRestricted)
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(found.first?.hasPrefix("specs/spec.yaml:4:9: error[NBG320]: PipelineRun 'phi-claim-") == true, "\(found)")
        if let plan = compiled {
            let namespace = try Self.namespace(plan.environment.naming.namespace.value, in: plan)
            XCTAssertEqual(Self.label(namespace, LabelKey.podSecurityEnforce), "restricted")
        }
    }

    /// B6: a ModelCar served on Kubernetes is served from a namespace that admits KServe's
    /// modelcar and modelcar-init containers.
    func testB6_AModelCarIsServedFromANamespaceThatAdmitsKServesInjectedContainers() throws {
        let (diagnostics, compiled) = try Self.compile(Self.modelcarPipeline, overlays: Self.kubernetes)
        XCTAssertEqual(diagnostics.filter { $0.severity == .error }.map(\.rendered), [])
        let plan = try XCTUnwrap(compiled)
        let services = Self.all(plan).filter { $0.kind == "InferenceService" }
        XCTAssertEqual(services.count, 1)
        for service in services {
            let namespace = try Self.namespace(try XCTUnwrap(service.namespace), in: plan)
            XCTAssertEqual(Self.label(namespace, LabelKey.podSecurityEnforce), "baseline")
            XCTAssertEqual(Self.label(namespace, LabelKey.podSecurityWarn), "restricted")
        }
        XCTAssertEqual(Self.lines(diagnostics, .modelcarRestricted), [])
    }

    /// B6: a hand-written InferenceService serving oci:// from a restricted namespace is
    /// refused at its storageUri (NBG321).
    func testB6_APassedThroughModelCarInARestrictedNamespaceIsALocatedError() throws {
        let spec = try RuleFixtureTests.body("NBG321-fail.yaml")
        let (diagnostics, _) = try Self.compile(spec, overlays: Self.kubernetes)
        let found = Self.lines(diagnostics, .modelcarRestricted)
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(
            found.first?.hasPrefix(
                "specs/spec.yaml:11:19: error[NBG321]: InferenceService 'granite' serves the ModelCar oci://quay.io/example-org/modelcar-granite@sha256:"
            ) == true, "\(found)")
    }

    /// B6: on OpenShift an undeclared uidModelcar is unknown: upstream KServe's 1010 is outside
    /// every namespace range, so the ModelCar is refused naming the fact; `unset` (OpenShift
    /// AI) admits it.
    func testB6_OnOpenShiftAnUnknownUidModelcarIsRefusedNamingTheFact() throws {
        let spec = Self.modelcarPipeline.replacingOccurrences(
            of:
                "  modelcar:\n    destinations:\n    - registry: {repository: quay.io/example-org/modelcar-phi-mini, pushSecret: quay-modelcar-push}\n",
            with: "")
        let (unknown, _) = try Self.compile(spec, overlays: Self.openshift)
        let found = Self.lines(unknown, .modelcarUID)
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(
            found.first?.contains(
                "error[NBG290]: InferenceService 'phi-mini' serves a ModelCar, and the environment does not say which UID KServe runs its modelcar containers as"
            ) == true, "\(found)")
        XCTAssertTrue(
            unknown.first { $0.id == .modelcarUID }?.rendered.contains("declare kserve.uidModelcar in an overlay") == true)
        let (declared, _) = try Self.compile(
            spec, overlays: Self.openshift + ", Tests/NBGitOpsTests/Fixtures/overlays/uid-modelcar-unset.yaml")
        XCTAssertEqual(Self.lines(declared, .modelcarUID), [])
    }

    /// M3: `security.uidRange`/`mcs` pin the environment's own namespace only; a team
    /// namespace keeps the block and MCS level OpenShift allocates, and its pods name no UID.
    func testM3_OneUIDBlockAndMCSLevelPinOnlyTheEnvironmentsOwnNamespace() throws {
        let spec = jobSpec().replacingOccurrences(of: "  name: demo\n", with: "  name: demo\n  namespace: team-a\n")
        let overlays = Self.openshift + ", examples/overlays/openshift-uids.yaml"
        let (diagnostics, compiled) = try Self.compile(spec + "---\n" + jobSpec(name: "home"), overlays: overlays)
        XCTAssertEqual(diagnostics.filter { $0.severity == .error }.map(\.rendered), [])
        let plan = try XCTUnwrap(compiled)
        let own = plan.environment.naming.namespace.value
        let namespaces = Self.all(plan).filter { $0.kind == "Namespace" }
        XCTAssertTrue(namespaces.contains { $0.name == "team-a" }, "\(namespaces.map(\.name))")
        for namespace in namespaces {
            let annotations = namespace.manifest.value(at: "metadata.annotations")
            let pinned = annotations?["openshift.io/sa.scc.uid-range"]?.stringValue
            let mcs = annotations?["openshift.io/sa.scc.mcs"]?.stringValue
            if namespace.name == own {
                XCTAssertEqual(pinned, "1000680000/10000")
                XCTAssertEqual(mcs, "s0:c26,c15")
            } else {
                XCTAssertNil(pinned, namespace.name)
                XCTAssertNil(mcs, namespace.name)
                XCTAssertNil(annotations?["openshift.io/sa.scc.supplemental-groups"], namespace.name)
            }
        }
        for job in Self.all(plan).filter({ $0.kind == "Job" }) {
            let user = job.manifest.value(at: "spec.template.spec.securityContext.runAsUser")
            XCTAssertEqual(user?.intValue, job.namespace == own ? 1_000_680_000 : nil, job.name)
        }
    }
}

/// M3 through `CompilerPipeline.run`: a pair per namespace (`security.namespaces`), and no two
/// namespaces sharing a block or an MCS level.
final class NamespaceRangeTests: XCTestCase {
    func teamSpecs() -> String {
        jobSpec(name: "alpha").replacingOccurrences(of: "  name: alpha\n", with: "  name: alpha\n  namespace: team-a\n")
            + "---\n"
            + jobSpec(name: "beta").replacingOccurrences(of: "  name: beta\n", with: "  name: beta\n  namespace: team-b\n")
    }

    /// M3: a namespace listed in `security.namespaces` gets its own pair, and its pods the first
    /// UID of its own block.
    func testM3_ANamespaceDeclaredInSecurityNamespacesGetsItsOwnBlockAndLevel() throws {
        let overlay = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-m3-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: overlay) }
        try Data(
            """
            apiVersion: nbgitops.dev/v1alpha1
            kind: Overlay
            metadata:
              name: uids-per-namespace
            spec:
              security:
                uidRange: 1000680000/10000
                mcs: s0:c26,c15
                namespaces:
                  team-b:
                    uidRange: 1000700000/10000
                    mcs: s0:c27,c4

            """.utf8
        ).write(to: overlay)
        let (diagnostics, compiled) = try InjectedContainerTests.compile(
            teamSpecs(), overlays: InjectedContainerTests.openshift + ", " + overlay.path)
        XCTAssertEqual(diagnostics.filter { $0.severity == .error }.map(\.rendered), [])
        let plan = try XCTUnwrap(compiled)
        func annotation(_ namespace: String, _ key: String) throws -> String? {
            try InjectedContainerTests.namespace(namespace, in: plan).value(at: "metadata.annotations")?[key]?.stringValue
        }
        XCTAssertEqual(try annotation("team-b", "openshift.io/sa.scc.uid-range"), "1000700000/10000")
        XCTAssertEqual(try annotation("team-b", "openshift.io/sa.scc.mcs"), "s0:c27,c4")
        XCTAssertNil(try annotation("team-a", "openshift.io/sa.scc.uid-range"))
        XCTAssertEqual(try annotation("notebook-validation", "openshift.io/sa.scc.uid-range"), "1000680000/10000")
        let jobs = InjectedContainerTests.all(plan).filter { $0.kind == "Job" }
        func user(_ namespace: String) -> Int? {
            let job = jobs.first { $0.namespace == namespace }
            return job?.manifest.value(at: "spec.template.spec.securityContext.runAsUser")?.intValue
        }
        XCTAssertEqual(user("team-b"), 1_000_700_000)
        XCTAssertNil(user("team-a"))
        XCTAssertEqual(jobs.count, 2)
    }

    /// M3: two namespaces sharing a block or an MCS level are refused at the overlay line.
    func testM3_TwoNamespacesSharingABlockOrMCSLevelAreRefusedAtTheOverlayLine() throws {
        let (diagnostics, _) = try InjectedContainerTests.compile(
            teamSpecs(),
            overlays: InjectedContainerTests.openshift + ", Tests/NBGitOpsTests/Fixtures/overlays/uids-shared.yaml")
        XCTAssertEqual(
            InjectedContainerTests.lines(diagnostics, .namespaceRangeShared),
            [
                "Tests/NBGitOpsTests/Fixtures/overlays/uids-shared.yaml:12:19: error[NBG322]: namespaces 'notebook-validation' and 'team-a' are pinned to overlapping UID blocks (1000680000/10000 and 1000685000/10000); their pods would share UIDs and the files they write",
                "Tests/NBGitOpsTests/Fixtures/overlays/uids-shared.yaml:13:14: error[NBG322]: namespaces 'notebook-validation' and 'team-a' are pinned to the same MCS level s0:c26,c15; SELinux no longer separates their containers or their files",
            ])
    }
}
