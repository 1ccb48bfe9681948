import Foundation
import XCTest

@testable import NBGitOps

/// Overlay patches and extra metadata through the built binary: `render` writes the patched
/// objects, `explain` names the patch file and line of a patched field, `check` agrees, and a
/// patch that matches nothing stops the render with a located error.
final class PatchIntegrationTests: XCTestCase {
    func project() throws -> IntegrationProject {
        let project = try IntegrationProject(copy: ["overlays", "templates", "docs"])
        try project.write(
            "nbgitops.yaml", projectYAML(environments: [("dev", "[kubernetes, rwo, flux, team/prod-serving.yaml]")]))
        try project.write(
            "specs/model.yaml",
            try String(
                contentsOfFile: IntegrationProject.repositoryRoot + "/examples/specs/11-model-from-notebook.yaml", encoding: .utf8
            ))
        try project.write(
            "team/patches/job.yaml",
            """
            spec:
              backoffLimit: 0

            """)
        return project
    }

    func overlay(_ extra: String = "") -> String {
        overlayYAML(
            name: "prod-serving",
            spec: """
                  delivery:
                    repositoryURL: https://git.example.com/org/gitops.git
                  metadata:
                  - select: {kind: InferenceService, name: churn}
                    annotations:
                      serving.kserve.io/deploymentMode: RawDeployment
                  patches:
                  - target: {kind: Job}
                    path: patches/job.yaml

                """ + extra)
    }

    func testRenderWritesThePatchedObjectsAndExplainNamesThePatchLine() throws {
        let project = try project()
        try project.write("team/prod-serving.yaml", overlay())
        let render = try project.run(["render"])
        XCTAssertEqual(render.status, 0, render.stderr)
        let files = project.files()
        let service = try XCTUnwrap(files.first { $0.key.contains("inferenceservice-churn") }?.value)
        XCTAssertTrue(
            String(decoding: service, as: UTF8.self).contains("serving.kserve.io/deploymentMode: RawDeployment"))
        let job = try XCTUnwrap(files.first { $0.key.contains("job-train-churn") }?.value)
        XCTAssertTrue(String(decoding: job, as: UTF8.self).contains("backoffLimit: 0"))

        let annotation = try project.run([
            "explain", "dev", "InferenceService/churn.metadata.annotations[serving.kserve.io/deploymentMode]",
        ])
        XCTAssertEqual(annotation.status, 0, annotation.stderr)
        XCTAssertTrue(annotation.stdout.contains("team/prod-serving.yaml:11:41"), annotation.stdout)
        let backoff = try project.run(["explain", "dev", "Job/train-churn.spec.backoffLimit"])
        XCTAssertEqual(backoff.status, 0, backoff.stderr)
        XCTAssertTrue(backoff.stdout.contains("team/patches/job.yaml:2:17"), backoff.stdout)
        XCTAssertTrue(backoff.stdout.contains("strategic-merge patch"), backoff.stdout)

        let check = try project.run(["check"])
        XCTAssertEqual(check.status, 0, check.stderr)
    }

    /// A patch that changes a rendered Job's pod template renames the Job (its template cannot
    /// change in place): the next render writes the new Job, lists it in the kustomization,
    /// drops the old one and reports no NBG173; rendering again changes nothing and `check`
    /// agrees.
    func testAPatchChangingARenderedJobsPodTemplateRenamesIt() throws {
        let project = try project()
        try project.write("team/prod-serving.yaml", overlay())
        let first = try project.run(["render"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let jobFile = { (files: [String: [UInt8]]) in files.keys.filter { $0.contains("/5-job-train-churn-") }.sorted() }
        let before = jobFile(project.files())
        XCTAssertEqual(before.count, 1, "\(before)")

        try project.write(
            "team/patches/job.yaml",
            """
            spec:
              backoffLimit: 0
              template:
                spec:
                  containers:
                  - name: validate
                    env:
                    - name: EXTRA
                      value: "1"

            """)
        let second = try project.run(["render"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertFalse(second.stderr.contains("NBG173"), second.stderr)
        let files = project.files()
        let after = jobFile(files)
        XCTAssertEqual(after.count, 1, "\(after)")
        XCTAssertNotEqual(after, before)
        let path = try XCTUnwrap(after.first)
        let name = String((path as NSString).lastPathComponent.dropFirst("5-job-".count).dropLast(".yaml".count))
        let job = String(decoding: try XCTUnwrap(files[path]), as: UTF8.self)
        XCTAssertTrue(job.contains("name: \(name)\n") && job.contains("name: EXTRA"), job)
        let kustomization = try XCTUnwrap(
            files.first { $0.key.hasSuffix("kustomization.yaml") && String(decoding: $0.value, as: UTF8.self).contains("5-job-") }
        )
        XCTAssertTrue(String(decoding: kustomization.value, as: UTF8.self).contains("5-job-\(name).yaml"))
        let oldName = String(
            (try XCTUnwrap(before.first) as NSString).lastPathComponent.dropFirst("5-job-".count).dropLast(".yaml".count))
        XCTAssertFalse(files.values.contains { String(decoding: $0, as: UTF8.self).contains(oldName) })

        let third = try project.run(["render"])
        XCTAssertEqual(third.status, 0, third.stderr)
        XCTAssertEqual(project.files(), files, "a second render changes nothing")
        let check = try project.run(["check"])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertFalse(check.stderr.contains("NBG173"), check.stderr)
        let explain = try project.run(["explain", "dev", "Job/train-churn.metadata.name"])
        XCTAssertEqual(explain.status, 0, explain.stderr)
        XCTAssertTrue(explain.stdout.contains("team/patches/job.yaml:8:11"), explain.stdout)
    }

    func testAPatchThatMatchesNothingStopsTheRenderAtItsLine() throws {
        let project = try project()
        try project.write(
            "team/prod-serving.yaml",
            overlay(
                """
                  - target: {kind: InferenceService, name: churn-v2}
                    patch: [{op: add, path: /metadata/labels/team, value: fraud}]

                """))
        let render = try project.run(["render"])
        XCTAssertNotEqual(render.status, 0)
        XCTAssertTrue(
            render.stderr.contains(
                "team/prod-serving.yaml:15:13: error[NBG145]: the patch's target (kind InferenceService, name churn-v2) matches no object in environment 'dev'"
            ), render.stderr)
        XCTAssertFalse(project.exists("gitops/dev"), "nothing is written")
    }
}
