import XCTest

@testable import NBGitOps

/// SSH clones under a UID the image does not know (OpenShift's random UIDs, Kubernetes'
/// security.runAsUser): OpenSSH refuses to run without a passwd entry. Formerly warning NBG273
/// (retired); now prevented by construction on both platforms with the default image: a
/// `git-passwd` init container writes the entry into an emptyDir file mounted read-only over
/// /etc/passwd, and every container keeps a read-only root filesystem.
final class SSHClonePasswdTests: XCTestCase {
    private func plan(url: String, overlays: [String]) throws -> (EnvironmentPlan, DiagnosticCollector) {
        let spec = jobSpec().replacingOccurrences(of: "https://github.com/org/repo.git", with: url)
        let (documents, loadDiagnostics) = loadYAML(spec)
        XCTAssertFalse(loadDiagnostics.hasErrors)
        let diagnostics = DiagnosticCollector()
        let specs = SpecDecoder.decode(documents, diagnostics: diagnostics)
        XCTAssertFalse(diagnostics.hasErrors, "\(diagnostics.sorted.map(\.rendered))")
        var loaded: [Overlay] = []
        for name in overlays + ["examples/overlays/repository.yaml"] {
            let reference = try XCTUnwrap(OverlayLoader.locate(
                Located(name, at: .startOf("test")), baseDirectory: repositoryRoot, resourceRoot: repositoryRoot,
                diagnostics: diagnostics))
            loaded.append(try XCTUnwrap(OverlayLoader.load(reference, resourceRoot: repositoryRoot, diagnostics: diagnostics)))
        }
        let environment = EnvironmentResolver.resolve(name: "env", overlays: loaded, diagnostics: diagnostics)
        let plan = EnvironmentPlanner.plan(
            specs: specs, environment: environment, resources: PlanFixtures.resources(scripts: [ScriptFile(name: "git-clone.sh", contents: "#!/bin/sh\n")]),
            delivery: .project(outputPath: "gitops"))
        PlanChecker.check(plan, specs: specs, diagnostics: diagnostics)
        return (plan, diagnostics)
    }

    private func podSpec(_ plan: EnvironmentPlan) throws -> ManifestNode {
        try XCTUnwrap(plan.objects.first { $0.kind == "Job" }?.manifest.value(at: "spec.template.spec"))
    }

    func testSSHClonesGetAPasswdEntryAndReadOnlyRootsOnBothPlatforms() throws {
        for platform in ["openshift", "kubernetes"] {
            let (plan, diagnostics) = try plan(url: "git@github.com:org/repo.git", overlays: [platform])
            XCTAssertEqual(diagnostics.sorted.filter { $0.severity != .note && !isAdvisory($0) }.map(\.rendered), [], platform)
            let spec = try podSpec(plan)
            let initContainers = spec["initContainers"]?.elements ?? []
            XCTAssertEqual(initContainers.map { $0["name"]?.stringValue }, ["git-passwd", "git-clone"], platform)
            XCTAssertEqual(
                initContainers[0]["image"],
                .string("docker.io/alpine/git:2.47.2@sha256:062a01ad7a0eb17cff382bc5e26086b4d710e56dfdfdf001109a49b6d9bd378c"))
            let passwd = initContainers[1]["volumeMounts"]?.elements?.first { $0["mountPath"] == "/etc/passwd" }
            XCTAssertEqual(passwd?["name"], "nbgitops-passwd", platform)
            XCTAssertEqual(passwd?["subPath"], "passwd", platform)
            for container in initContainers + (spec["containers"]?.elements ?? []) {
                XCTAssertEqual(container.value(at: "securityContext.readOnlyRootFilesystem"), true, platform)
            }
        }
    }

    func testHTTPSClonesHaveNoPasswdWriter() throws {
        let (plan, _) = try plan(url: "https://github.com/org/repo.git", overlays: ["openshift"])
        let spec = try podSpec(plan)
        XCTAssertEqual(spec["initContainers"]?.elements?.map { $0["name"]?.stringValue }, ["git-clone"])
        XCTAssertFalse(spec["volumes"]?.elements?.contains { $0["name"] == "nbgitops-passwd" } ?? true)
    }
}
