import XCTest

@testable import NBGitOps

/// NBG273: SSH clones on OpenShift need a git image that can give the random UID a passwd entry.
final class SSHCloneRuleTests: XCTestCase {
    private func findings(url: String, overlays: [String]) throws -> [String] {
        let spec = jobSpec().replacingOccurrences(of: "https://github.com/org/repo.git", with: url)
        let (documents, loadDiagnostics) = loadYAML(spec)
        XCTAssertFalse(loadDiagnostics.hasErrors)
        let diagnostics = DiagnosticCollector()
        let specs = SpecDecoder.decode(documents, diagnostics: diagnostics)
        XCTAssertFalse(diagnostics.hasErrors, "\(diagnostics.sorted.map(\.rendered))")
        var loaded: [Overlay] = []
        for name in overlays {
            let reference = try XCTUnwrap(OverlayLoader.locate(
                Located(name, at: .startOf("test")), baseDirectory: repositoryRoot, resourceRoot: repositoryRoot,
                diagnostics: diagnostics))
            loaded.append(try XCTUnwrap(OverlayLoader.load(reference, resourceRoot: repositoryRoot, diagnostics: diagnostics)))
        }
        let environment = EnvironmentResolver.resolve(name: "env", overlays: loaded, diagnostics: diagnostics)
        let plan = EnvironmentPlanner.plan(
            specs: specs, environment: environment, scripts: [ScriptFile(name: "git-clone.sh", contents: "#!/bin/sh\n")],
            outputRoot: "gitops", diagnostics: diagnostics)
        PlanChecker.check(plan, specs: specs, diagnostics: diagnostics)
        return diagnostics.sorted.filter { $0.id == .sshCloneRandomUID }.map { $0.rendered.components(separatedBy: "\n")[0] }
    }

    func testSSHCloneOnOpenShiftWithTheDefaultImageWarns() throws {
        XCTAssertEqual(
            try findings(url: "git@github.com:org/repo.git", overlays: ["openshift"]),
            [
                "test.yaml:8:12: warning[NBG273]: 'git@github.com:org/repo.git' is cloned over SSH on OpenShift, where the clone runs as a random UID; OpenSSH refuses to run without a passwd entry for it, and the default image docker.io/alpine/git:2.47.2 has no writable /etc/passwd to add one"
            ])
    }

    func testHTTPSOrKubernetesOrAChosenImagePass() throws {
        XCTAssertEqual(try findings(url: "https://github.com/org/repo.git", overlays: ["openshift"]), [])
        XCTAssertEqual(try findings(url: "git@github.com:org/repo.git", overlays: ["kubernetes"]), [])
        let overlay = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-git-image-\(UUID().uuidString).yaml")
        try """
            apiVersion: nbgitops.dev/v1alpha1
            kind: Overlay
            metadata:
              name: git-image
            spec:
              images:
                gitClone: registry.example.com/tools/git-arbitrary-uid:2.47
            """.write(to: overlay, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: overlay) }
        XCTAssertEqual(try findings(url: "git@github.com:org/repo.git", overlays: ["openshift", overlay.path]), [])
    }
}
