import Foundation
import XCTest

@testable import NBGitOps

/// Image builds on the platform that runs them: the Secrets a build reads must exist in the
/// builds namespace (a build pod mounts `sourceSecret` from its own namespace, openshift-controller-manager
/// `pkg/build/controller/strategy/util.go` `setupSourceSecrets`), and a failed S2I build must fail
/// the sync instead of leaving it waiting at the build wave. Compiled through `CompilerPipeline.run`.
final class BuildSecretsAndHealthTests: XCTestCase {
    static let baseOverlays = ["openshift", "rwo", "gpu-taints", "Tests/NBGitOpsTests/Fixtures/overlays/rules.yaml"]

    static func s2iSpec() -> String {
        BuildPlannerTests.tektonSpec(name: "churn", secret: "git-credentials", build: "      strategy: s2i")
    }

    static func nbg129(_ diagnostics: DiagnosticCollector) -> [String] {
        diagnostics.sorted.filter { $0.id == RuleID.secretNotProvided }.map(\.rendered)
    }

    /// A Secret listed by bare name exists in the validation namespace only; the BuildConfig and
    /// Build in `<namespace>-builds` that name it as `sourceSecret` get NBG129 for that namespace,
    /// located at the spec's `credentialsSecret`.
    func testB7_SourceSecretListedOnlyForTheValidationNamespaceIsReportedForTheBuildsNamespace() throws {
        let (output, diagnostics) = try compileSpecWithDiagnostics(
            Self.s2iSpec(),
            overlays: Self.baseOverlays + ["argocd", "Tests/NBGitOpsTests/Fixtures/overlays/secrets-builds-bare.yaml"])
        XCTAssertNotNil(output, "\(diagnostics.sorted.map(\.rendered))")
        let reported = Self.nbg129(diagnostics)
        XCTAssertEqual(reported.count, 1, "\(reported)")
        let first = try XCTUnwrap(reported.first)
        XCTAssertTrue(first.hasPrefix("spec.yaml:11:26: warning[NBG129]: Secret 'git-credentials' named by "), first)
        XCTAssertTrue(
            first.contains(
                "is needed in namespace 'nb-validation-builds' but is created or listed only in namespace 'nb-validation'"),
            first)
        XCTAssertTrue(first.contains("list it as 'nb-validation-builds/git-credentials' in security.existingSecrets"), first)
    }

    /// `namespace/name` lists the builds namespace's copy: nothing is reported.
    func testB7_SourceSecretListedForTheBuildsNamespaceIsAccepted() throws {
        let (output, diagnostics) = try compileSpecWithDiagnostics(
            Self.s2iSpec(),
            overlays: Self.baseOverlays + [
                "argocd", "Tests/NBGitOpsTests/Fixtures/overlays/secrets-builds-namespaced.yaml",
            ])
        XCTAssertNotNil(output, "\(diagnostics.sorted.map(\.rendered))")
        XCTAssertEqual(Self.nbg129(diagnostics), [])
    }

    /// An entry that is neither `name` nor `namespace/name` is a located error at its overlay line.
    func testB7_MalformedExistingSecretEntriesAreLocatedErrors() throws {
        let (output, diagnostics) = try compileSpecWithDiagnostics(
            Self.s2iSpec(),
            overlays: Self.baseOverlays + ["argocd", "Tests/NBGitOpsTests/Fixtures/overlays/secrets-malformed.yaml"])
        XCTAssertNil(output)
        let errors = diagnostics.sorted.filter { $0.severity == .error }.map(\.rendered)
        for line in [9, 10] {
            XCTAssertTrue(
                errors.contains { $0.hasPrefix("Tests/NBGitOpsTests/Fixtures/overlays/secrets-malformed.yaml:\(line):") },
                "\(errors)")
        }
    }

    /// A Tekton build's git workspace Secret (`ssh-directory`) in the builds namespace is judged
    /// the same way.
    func testB7_TektonBuildWorkspaceSecretIsJudgedInTheBuildsNamespace() throws {
        let spec = BuildPlannerTests.tektonSpec(
            name: "sales", url: "git@github.com:org/repo.git", secret: "git-credentials")
        let (_, bare) = try compileSpecWithDiagnostics(
            spec,
            overlays: Self.baseOverlays + ["argocd", "Tests/NBGitOpsTests/Fixtures/overlays/secrets-builds-bare.yaml"])
        XCTAssertTrue(
            Self.nbg129(bare).contains { $0.contains("PipelineRun/") && $0.contains("namespace 'nb-validation-builds'") },
            "\(Self.nbg129(bare))")
        let (_, listed) = try compileSpecWithDiagnostics(
            spec,
            overlays: Self.baseOverlays + [
                "argocd", "Tests/NBGitOpsTests/Fixtures/overlays/secrets-builds-namespaced.yaml",
            ])
        XCTAssertEqual(Self.nbg129(listed), [])
    }

    /// Argo CD: the S2I build is an Argo-managed `Build` in the build wave (a BuildConfig trigger
    /// would create one Argo CD never waits on), the BuildConfig has no trigger (one build, not
    /// two), and the emitted `argocd-cm` health check, run in Lua 5.1, turns the rendered Build
    /// Degraded when it fails and Healthy when it completes.
    func testB7_FailedS2IBuildTurnsTheArgoCDSyncDegraded() throws {
        if ArgoHealthLuaTests.luaPath == nil { throw RequiredTool.missing("lua5.1 is not installed (the README's set-up installs it)") }
        let plan = try compileSpecThroughPipeline(
            Self.s2iSpec(),
            overlays: Self.baseOverlays + [
                "argocd", "Tests/NBGitOpsTests/Fixtures/overlays/secrets-builds-namespaced.yaml",
            ])
        let builds = plan.objects.filter { $0.kind == "Build" }
        XCTAssertEqual(builds.count, 1)
        let build = try XCTUnwrap(builds.first)
        let buildConfig = try XCTUnwrap(plan.objects.first { $0.kind == "BuildConfig" })
        XCTAssertEqual(build.apiVersion, "build.openshift.io/v1")
        XCTAssertEqual(build.namespace, "nb-validation-builds")
        XCTAssertEqual(build.name, buildConfig.name)
        XCTAssertEqual(
            build.manifest.value(at: "metadata.annotations[argocd.argoproj.io/sync-wave]")?.stringValue, "4")
        for field in ["source", "strategy", "output", "completionDeadlineSeconds"] {
            XCTAssertEqual(
                build.manifest.value(at: "spec.\(field)"), buildConfig.manifest.value(at: "spec.\(field)"), field)
        }
        XCTAssertEqual(buildConfig.manifest.value(at: "spec.triggers"), .list([]))
        XCTAssertNil(build.manifest.value(at: "spec.triggers"))
        XCTAssertNil(build.manifest.value(at: "spec.runPolicy"))

        let snippet = try XCTUnwrap(plan.snippets.first { $0.name == ArgoHealthPlanner.configMapName })
        let script = try XCTUnwrap(
            snippet.manifest.value(at: "data[\(ArgoHealthPlanner.build.dataKey)]")?.stringValue)
        func live(_ status: ManifestNode) -> ManifestNode {
            var object = build.manifest
            object["status"] = status
            return object
        }
        XCTAssertEqual(
            try ArgoHealthLuaTests.health(text: script, live(["phase": "Failed", "reason": "FetchSourceFailed"])),
            ArgoHealthLuaTests.Outcome(status: "Degraded", message: "Failed: FetchSourceFailed"))
        XCTAssertEqual(
            try ArgoHealthLuaTests.health(text: script, live(["phase": "Cancelled"])),
            ArgoHealthLuaTests.Outcome(status: "Degraded", message: "Cancelled"))
        XCTAssertEqual(
            try ArgoHealthLuaTests.health(text: script, live(["phase": "Running"])),
            ArgoHealthLuaTests.Outcome(status: "Progressing", message: "Running"))
        XCTAssertEqual(
            try ArgoHealthLuaTests.health(text: script, live(["phase": "Complete"])),
            ArgoHealthLuaTests.Outcome(status: "Healthy", message: "Complete"))
    }

    /// Flux: kstatus sees no Ready condition on a Build and would call it Current at once; the
    /// builds Kustomization's `healthCheckExprs` waits for Complete and fails on Failed, Error or
    /// Cancelled, and its timeout outlasts the build's completion deadline.
    func testB7_FailedS2IBuildFailsTheFluxKustomization() throws {
        let plan = try compileSpecThroughPipeline(
            Self.s2iSpec(),
            overlays: Self.baseOverlays + [
                "flux", "Tests/NBGitOpsTests/Fixtures/overlays/secrets-builds-namespaced.yaml",
            ])
        XCTAssertTrue(plan.buildObjects.contains { $0.kind == "Build" })
        let kustomizations = plan.deliveryObjects.filter { $0.kind == "Kustomization" }
        let withBuildHealth = kustomizations.filter { object in
            (object.manifest.value(at: "spec.healthCheckExprs")?.elements ?? []).contains {
                $0["kind"] == .string("Build")
            }
        }
        XCTAssertEqual(withBuildHealth.map(\.name), ["nb-test-builds"], "\(kustomizations.map(\.name))")
        // The default build timeout (15m) + 10 minutes.
        XCTAssertEqual(withBuildHealth.first?.manifest.value(at: "spec.timeout"), "25m0s")
        let entry = try XCTUnwrap(
            withBuildHealth.first?.manifest.value(at: "spec.healthCheckExprs")?.elements?.first {
                $0["kind"] == .string("Build")
            })
        XCTAssertEqual(entry["apiVersion"], "build.openshift.io/v1")
        XCTAssertEqual(entry["current"], "status.?phase.orValue('') == 'Complete'")
        XCTAssertEqual(entry["failed"], "status.?phase.orValue('') in ['Failed', 'Error', 'Cancelled']")
    }
}
