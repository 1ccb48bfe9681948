import Foundation
import XCTest

/// `nbgitops diff --base REF`, the review summary of a pull request, run as a user runs it in a
/// real git repository with two commits: the base, and a change that adds a spec (with a new
/// warning), removes one (resolving its warning), changes an image (renaming the
/// content-addressed Job) and changes the delivery branch (a GitRepository changed in place).
final class ReviewDiffIntegrationTests: XCTestCase {
    static let project = """
        apiVersion: nbgitops.dev/v1alpha1
        kind: Project
        metadata:
          name: review
        spec:
          specs:
          - specs
          output: gitops
          environments:
          - name: kubernetes
            overlays: [kubernetes, rwo, flux, kubernetes-1.33, tekton-1.x, kserve-0.15, flux-2.6,
              examples/overlays/repository.yaml]

        """

    static let resources = """
            resources:
              requests: {cpu: 500m, memory: 1Gi}
              limits: {cpu: "1", memory: 2Gi}

        """

    static let oldImage =
        "quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2"
    static let newImage =
        "quay.io/jupyter/minimal-notebook:2025-06-02@sha256:0e6cd5b4a1e0c8d5e3f1e1cf3f6a5bc1a1d0fb7d6c3f2ab1de0f4c5b6a7d8e9f"

    func git(_ arguments: [String], in folder: String) throws {
        let run = try IntegrationCLI.run(
            ["git"] + arguments, in: folder,
            environment: [
                "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
                "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_GLOBAL": "/dev/null",
            ],
            executable: URL(fileURLWithPath: "/usr/bin/env"))
        XCTAssertEqual(run.status, 0, "\(run)")
    }

    /// The base commit and the change on top of it; returns the project.
    func pullRequest() throws -> IntegrationProject {
        let project = try IntegrationProject(copy: ["overlays", "templates", "docs", "examples"])
        try project.write("nbgitops.yaml", Self.project)
        try project.write("specs/probe.yaml", integrationJobSpec(name: "probe", podConfig: Self.resources))
        // No resources, and the overlays set no defaults: warning NBG274, resolved by its removal.
        try project.write("specs/legacy.yaml", integrationJobSpec(name: "legacy"))
        try git(["init", "-q", "-b", "main"], in: project.root)
        try git(["add", "-A"], in: project.root)
        try git(["commit", "-q", "-m", "base"], in: project.root)
        let changed = integrationJobSpec(name: "probe", podConfig: Self.resources)
            .replacingOccurrences(of: Self.oldImage, with: Self.newImage)
        try project.write("specs/probe.yaml", changed)
        // No resources, and the overlays set no defaults: warning NBG274.
        try project.write("specs/second.yaml", integrationJobSpec(name: "second"))
        try project.remove("specs/legacy.yaml")
        // The delivery's branch: the GitRepository changes under the same name.
        let repository = try XCTUnwrap(project.read("examples/overlays/repository.yaml"))
        try project.write(
            "examples/overlays/repository.yaml",
            repository.replacingOccurrences(of: "revision: main", with: "revision: release"))
        try git(["add", "-A"], in: project.root)
        try git(["commit", "-q", "-m", "change"], in: project.root)
        return project
    }

    func testTextSummaryOfAPullRequest() throws {
        let project = try pullRequest()
        let run = try project.run(["diff", "--base", "HEAD~1"])
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertEqual(run.stdout, Self.expectedText, "\(run)")
    }

    func testMarkdownSummaryOfAPullRequest() throws {
        let project = try pullRequest()
        let run = try project.run(["diff", "--base", "main~1", "kubernetes", "--format", "markdown"])
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertEqual(run.stdout, Self.expectedMarkdown, "\(run)")
    }

    func testAnUnknownBaseIsAnError() throws {
        let project = try pullRequest()
        let run = try project.run(["diff", "--base", "no-such-branch"])
        XCTAssertEqual(run.status, 1, "\(run)")
        XCTAssertTrue(run.stderr.contains("error: cannot read the base no-such-branch"), "\(run)")
        XCTAssertEqual(run.stdout, "")
    }

    /// A REF that git would read as an option is refused before git runs.
    func testARefThatLooksLikeAnOptionIsRefused() throws {
        let project = try pullRequest()
        let marker = project.base + "/ran"
        let run = try project.run(["diff", "--base=--output=\(marker)"])
        XCTAssertEqual(run.status, 64, "\(run)")
        XCTAssertTrue(run.stderr.contains("--base needs a git ref"), "\(run)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }

    static let expectedText = """
        nbgitops diff --base HEAD~1

        == kubernetes: 1 added, 1 removed, 1 renamed, 1 changed, 5 identical; 1 new diagnostic(s), 1 resolved
        + Job/second-703c2b7e
        - Job/legacy-0d1c5366
        > Job/probe-45ccaa5f → probe-1f7cdcfd
            spec.template.spec.containers[validate].env[NBG_IMAGE].value: "quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2" → "quay.io/jupyter/minimal-notebook:2025-06-02@sha256:0e6cd5b4a1e0c8d5e3f1e1cf3f6a5bc1a1d0fb7d6c3f2ab1de0f4c5b6a7d8e9f"
            spec.template.spec.containers[validate].image: "quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2" → "quay.io/jupyter/minimal-notebook:2025-06-02@sha256:0e6cd5b4a1e0c8d5e3f1e1cf3f6a5bc1a1d0fb7d6c3f2ab1de0f4c5b6a7d8e9f"
        ~ GitRepository/review-kubernetes
            spec.ref.branch: "main" → "release"
        new diagnostics:
            specs/second.yaml:14:21: warning[NBG274]: the notebook container of 'second' has no requests.cpu, requests.memory, limits.cpu, limits.memory, even after the environment's defaults
        resolved diagnostics:
            specs/legacy.yaml:14:21: warning[NBG274]: the notebook container of 'legacy' has no requests.cpu, requests.memory, limits.cpu, limits.memory, even after the environment's defaults

        """

    static let expectedMarkdown = """
        ## nbgitops review: changes compared with `main~1`

        | Environment | Added | Removed | Renamed | Changed | Identical | New diagnostics | Resolved |
        |---|---:|---:|---:|---:|---:|---:|---:|
        | kubernetes | 1 | 1 | 1 | 1 | 5 | 1 | 1 |

        ### kubernetes

        - **added** `Job/second-703c2b7e`
        - **removed** `Job/legacy-0d1c5366`
        - **renamed** `Job/probe-45ccaa5f` → `probe-1f7cdcfd`
          - `spec.template.spec.containers[validate].env[NBG_IMAGE].value: "quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2" → "quay.io/jupyter/minimal-notebook:2025-06-02@sha256:0e6cd5b4a1e0c8d5e3f1e1cf3f6a5bc1a1d0fb7d6c3f2ab1de0f4c5b6a7d8e9f"`
          - `spec.template.spec.containers[validate].image: "quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2" → "quay.io/jupyter/minimal-notebook:2025-06-02@sha256:0e6cd5b4a1e0c8d5e3f1e1cf3f6a5bc1a1d0fb7d6c3f2ab1de0f4c5b6a7d8e9f"`
        - **changed** `GitRepository/review-kubernetes`
          - `spec.ref.branch: "main" → "release"`
        - **new** `specs/second.yaml:14:21: warning[NBG274]: the notebook container of 'second' has no requests.cpu, requests.memory, limits.cpu, limits.memory, even after the environment's defaults`
        - **resolved** `specs/legacy.yaml:14:21: warning[NBG274]: the notebook container of 'legacy' has no requests.cpu, requests.memory, limits.cpu, limits.memory, even after the environment's defaults`

        """
}
