import Foundation
import XCTest

@testable import NBGitOps

/// Projects of several namespaces (issue 13, part 2): a spec's `metadata.namespace` is honoured
/// and mapped through the environment (`naming.namespaces`, `naming.namespacePrefix`); each
/// namespace gets its own Namespace, ServiceAccounts, RBAC, scripts ConfigMap, NetworkPolicy and
/// build namespace; cross-namespace subjects follow the same mapping; objects of one kind and name
/// in two namespaces are two objects.
final class MultiNamespaceTests: XCTestCase {
    static let teams = "Tests/NBGitOpsTests/Fixtures/overlays/teams.yaml"
    static let openshift = ["openshift", "rwo", "argocd", "examples/overlays/repository.yaml", teams]
    static let kubernetes = [
        "kubernetes", "rwo", "flux", "examples/overlays/repository.yaml", "examples/overlays/registry.yaml", teams,
    ]
    static let image =
        "quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2"

    static func job(_ name: String, namespace: String?, account: String = "model-validator", extra: String = "")
        -> String
    {
        """
        apiVersion: mlops.mlops.dev/v1alpha1
        kind: NotebookValidationJob
        metadata:
          name: \(name)
        \(namespace.map { "  namespace: \($0)" } ?? "")
        spec:
          notebook:
            git: {url: https://github.com/org/repo.git, ref: main}
            path: checks/\(name).ipynb
          podConfig:
            containerImage: \(image)
            serviceAccountName: \(account)
        \(extra)
          modelValidation:
            enabled: true
            platform: kserve
            targetModels: [shared-models/fraud-detection]
        """
    }

    static let sharedAccess = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata:
          name: shared-model-readers
          namespace: shared-models
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
        subjects:
        - {kind: ServiceAccount, name: model-validator, namespace: team-a}
        - {kind: ServiceAccount, name: model-validator, namespace: team-b}
        """

    /// Two teams (team-a mapped to ml-team-a-prod, team-b as written), one spec without a
    /// namespace, and the shared namespace's binding.
    static let project = [
        job("fraud-check", namespace: "team-a"), job("fraud-check", namespace: "team-b"),
        job("house-check", namespace: nil, account: "house-validator"), sharedAccess,
    ].joined(separator: "\n---\n")

    func compile(_ text: String, overlays: [String]) throws -> (CompilerOutput?, DiagnosticCollector) {
        try compileSpecWithDiagnostics(text, overlays: overlays)
    }

    func names(_ plan: EnvironmentPlan, _ kind: String) -> [String] {
        (plan.objects + plan.buildObjects).filter { $0.kind == kind }.map { "\($0.namespace ?? "-")/\($0.name)" }.sorted()
    }

    func testEachNamespaceGetsItsNamespaceIdentityScriptsAndPolicy() throws {
        let (output, diagnostics) = try compile(Self.project, overlays: Self.openshift)
        let plan = try XCTUnwrap(output?.plans.first, "\(diagnostics.sorted.map(\.rendered))")
        XCTAssertFalse(diagnostics.hasErrors, "\(diagnostics.sorted.map(\.rendered))")
        XCTAssertEqual(
            names(plan, "Namespace"), ["-/ml-shared-models", "-/ml-team-a-prod", "-/notebook-validation", "-/team-b"])
        XCTAssertEqual(
            names(plan, "ServiceAccount"),
            ["ml-team-a-prod/model-validator", "notebook-validation/house-validator", "team-b/model-validator"])
        XCTAssertEqual(
            names(plan, "Job").map { String($0.prefix { $0 != "/" }) }, ["ml-team-a-prod", "notebook-validation", "team-b"])
        for kind in ["ConfigMap", "NetworkPolicy"] {
            XCTAssertEqual(
                names(plan, kind).map { String($0.prefix { $0 != "/" }) }, ["ml-team-a-prod", "notebook-validation", "team-b"],
                kind)
        }
        // Each team's Role is bound to its own account, in its own namespace.
        for namespace in ["ml-team-a-prod", "team-b"] {
            let binding = try XCTUnwrap(
                plan.objects.first { $0.kind == "RoleBinding" && $0.namespace == namespace }, namespace)
            XCTAssertEqual(binding.manifest.value(at: "subjects[0].namespace")?.stringValue, namespace)
        }
        // The shared namespace's binding names where each team lands in this environment.
        let shared = try XCTUnwrap(plan.objects.first { $0.name == "shared-model-readers" })
        XCTAssertEqual(shared.namespace, "ml-shared-models")
        XCTAssertEqual(shared.manifest.value(at: "subjects[0].namespace")?.stringValue, "ml-team-a-prod")
        XCTAssertEqual(shared.manifest.value(at: "subjects[1].namespace")?.stringValue, "team-b")
        // team-b is not in naming.namespaces: NBG134 says it lands as written.
        XCTAssertEqual(diagnostics.sorted.filter { $0.id == .namespaceUnmapped }.count, 1)
        // Both teams reach the shared model; the job of the environment's namespace is not bound there.
        XCTAssertEqual(
            diagnostics.sorted.filter { $0.id == .crossNamespaceModelUnbound }.map { $0.message.contains("'house-check'") },
            [true])

        // Argo CD may sync into every namespace; the files of other namespaces are in folders.
        let project = try XCTUnwrap(plan.deliveryObjects.first { $0.kind == "AppProject" })
        XCTAssertEqual(
            project.manifest["spec"]?["destinations"]?.elements?.compactMap { $0["namespace"]?.stringValue },
            ["notebook-validation", "ml-shared-models", "ml-team-a-prod", "team-b"])
        let paths = try XCTUnwrap(output?.files["test"]).map(\.path)
        XCTAssertTrue(paths.contains("test/manifests/1-serviceaccount-house-validator.yaml"))
        XCTAssertTrue(paths.contains("test/manifests/ml-team-a-prod/1-serviceaccount-model-validator.yaml"))
        XCTAssertTrue(paths.contains("test/manifests/team-b/1-serviceaccount-model-validator.yaml"))
        XCTAssertTrue(paths.contains("test/manifests/0-namespace-team-b.yaml"))
        let kustomization = try XCTUnwrap(output?.files["test"]?.first { $0.path == "test/manifests/kustomization.yaml" })
        XCTAssertTrue(
            String(decoding: kustomization.bytes, as: UTF8.self).contains("- team-b/3-networkpolicy-"), "listed by path")
    }

    func testBuildsRunInTheTeamsOwnBuildNamespace() throws {
        let build = [
            "    buildConfig:", "      enabled: true", "      strategy: tekton", "      baseImage: \(Self.image)",
            "      requirementsFile: requirements.txt",
        ].joined(separator: "\n")
        let text = Self.job("fraud-build", namespace: "team-a", extra: build)
        let (output, diagnostics) = try compile(text, overlays: Self.openshift)
        let plan = try XCTUnwrap(output?.plans.first, "\(diagnostics.sorted.map(\.rendered))")
        XCTAssertTrue(names(plan, "Namespace").contains("-/ml-team-a-prod-builds"))
        XCTAssertEqual(names(plan, "PipelineRun").map { String($0.prefix { $0 != "/" }) }, ["ml-team-a-prod-builds"])
        let puller = try XCTUnwrap(plan.objects.first { $0.kind == "RoleBinding" && $0.name.hasSuffix("image-puller") })
        XCTAssertEqual(puller.namespace, "ml-team-a-prod-builds")
        XCTAssertEqual(puller.manifest.value(at: "subjects[0].namespace")?.stringValue, "ml-team-a-prod")
        let job = try XCTUnwrap(plan.objects.first { $0.kind == "Job" })
        XCTAssertTrue(
            job.manifest.value(at: "spec.template.spec.containers[0].image")?.stringValue?.contains(
                "/ml-team-a-prod-builds/") ?? false)
        // The team's build objects sit in the team's build folder, not at the top level.
        let paths = try XCTUnwrap(output?.files["test"]).map(\.path)
        XCTAssertTrue(paths.contains { $0.hasPrefix("test/manifests/ml-team-a-prod-builds/4-pipelinerun-fraud-build-") })
    }

    func testOneNameInOneNamespaceTwiceIsNBG132AndInTwoIsNot() throws {
        let twice = [Self.job("same", namespace: "team-a"), Self.job("same", namespace: "team-a")]
            .joined(separator: "\n---\n")
        let (_, duplicate) = try compile(twice, overlays: Self.openshift)
        let errors = duplicate.sorted.filter { $0.severity == .error }
        XCTAssertEqual(errors.map(\.id), [.objectDuplicate])
        XCTAssertEqual(errors.first?.message, "NotebookValidationJob 'same' is defined twice in namespace 'team-a'")

        // Two written namespaces the environment maps onto one: the plan has two Jobs of one name.
        let collapsing = try overlay("namespaces: {team-a: shared, team-b: shared}")
        defer { try? FileManager.default.removeItem(atPath: collapsing) }
        let apart = [Self.job("same", namespace: "team-a"), Self.job("same", namespace: "team-b")]
            .joined(separator: "\n---\n")
        let (_, separate) = try compile(apart, overlays: Self.openshift)
        XCTAssertFalse(separate.hasErrors, "\(separate.sorted.map(\.rendered))")
        let (_, collapsed) = try compile(apart, overlays: Self.openshift + [collapsing])
        let collision = collapsed.sorted.filter { $0.severity == .error }
        XCTAssertTrue(collision.contains { $0.id == .objectDuplicate && $0.message.contains("in namespace 'shared'") })
    }

    /// An overlay file under the system's temporary folder with `naming:` set to `naming`.
    func overlay(_ naming: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-ns-\(UUID().uuidString).yaml").path
        try """
        apiVersion: nbgitops.dev/v1alpha1
        kind: Overlay
        metadata:
          name: mapping
        spec:
          naming: {\(naming)}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testNamespacePrefixAndTheEnvironmentsOwnNamespace() throws {
        let prefixed = try overlay("namespacePrefix: prod-")
        defer { try? FileManager.default.removeItem(atPath: prefixed) }
        let text = [
            Self.job("a", namespace: "team-c"), Self.job("b", namespace: "notebook-validation", account: "b"),
            Self.job("c", namespace: "team-a", account: "c"),
        ].joined(separator: "\n---\n")
        let (output, diagnostics) = try compile(text, overlays: Self.openshift + [prefixed])
        let plan = try XCTUnwrap(output?.plans.first, "\(diagnostics.sorted.map(\.rendered))")
        // team-c takes the prefix; the environment's own namespace stays; a mapped entry wins.
        XCTAssertEqual(
            names(plan, "Job").map { String($0.prefix { $0 != "/" }) }, ["ml-team-a-prod", "notebook-validation", "prod-team-c"])
        XCTAssertFalse(diagnostics.sorted.contains { $0.id == .namespaceUnmapped }, "a prefix maps every namespace")
        let explained = try XCTUnwrap(plan.objects.first { $0.kind == "Job" && $0.namespace == "prod-team-c" })
        XCTAssertEqual(explained.provenance["metadata.namespace"]?.field, "metadata.namespace")
    }

    func testFluxDeliversEveryNamespaceFromTheOneKustomization() throws {
        let (output, diagnostics) = try compile(Self.project, overlays: Self.kubernetes)
        let plan = try XCTUnwrap(output?.plans.first, "\(diagnostics.sorted.map(\.rendered))")
        XCTAssertFalse(diagnostics.hasErrors, "\(diagnostics.sorted.map(\.rendered))")
        let kustomizations = plan.deliveryObjects.filter { $0.kind == "Kustomization" }
        XCTAssertEqual(kustomizations.count, 1)
        XCTAssertNil(kustomizations.first?.manifest.value(at: "spec.targetNamespace"), "would override every namespace")
        // Pod Security labels on every namespace nbgitops creates.
        for namespace in plan.objects.filter({ $0.kind == "Namespace" }) {
            XCTAssertEqual(
                namespace.manifest.value(at: "metadata.labels")?[LabelKey.podSecurityEnforce]?.stringValue, "restricted",
                namespace.name)
        }
    }

    /// One UID block and MCS level per namespace: the declared pair pins the environment's own
    /// namespace (and its Jobs name the range's first UID); every other namespace is left to
    /// OpenShift's allocator, and its Jobs name no UID.
    func testADeclaredUIDRangeIsPinnedOnTheEnvironmentsOwnNamespaceOnly() throws {
        let (output, diagnostics) = try compile(
            Self.project, overlays: Self.openshift + ["examples/overlays/openshift-uids.yaml"])
        let plan = try XCTUnwrap(output?.plans.first, "\(diagnostics.sorted.map(\.rendered))")
        let own = plan.environment.naming.namespace.value
        let namespaces = plan.objects.filter { $0.kind == "Namespace" }
        XCTAssertGreaterThan(namespaces.count, 1)
        for namespace in namespaces {
            let pinned = namespace.manifest.value(at: "metadata.annotations")?["openshift.io/sa.scc.uid-range"]
            if namespace.name == own { XCTAssertNotNil(pinned, namespace.name) } else { XCTAssertNil(pinned, namespace.name) }
        }
        for job in plan.objects.filter({ $0.kind == "Job" }) {
            let user = job.manifest.value(at: "spec.template.spec.securityContext.runAsUser")
            if job.namespace == own { XCTAssertNotNil(user, job.name) } else { XCTAssertNil(user, job.name) }
        }
    }

    func testCrossNamespaceModelWithoutABindingIsNBG302() throws {
        let text = Self.job("fraud-check", namespace: "team-a")
        let (_, diagnostics) = try compile(text, overlays: Self.openshift)
        let found = diagnostics.sorted.filter { $0.id == .crossNamespaceModelUnbound }
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(
            found.first?.message,
            "model 'shared-models/fraud-detection' of job 'fraud-check' is in namespace 'ml-shared-models' "
                + "('shared-models' in this environment), where no RoleBinding names ServiceAccount 'model-validator' of "
                + "namespace 'ml-team-a-prod': the notebook's lookups of it are forbidden")
        XCTAssertEqual(found.first?.location?.line, 17)
    }
}
