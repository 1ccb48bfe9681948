import Foundation
import XCTest

@testable import NBGitOps

/// `nbgitops check`'s object-level line per environment.
final class ObjectChangeSummaryTests: XCTestCase {
    func file(_ path: String, kind: String, name: String, data: String = "1") -> OutputFile {
        let node: ManifestNode = [
            "apiVersion": "v1", "kind": .string(kind), "metadata": ["name": .string(name)], "data": ["k": .string(data)],
        ]
        return OutputFile(path: path, bytes: FileHeader.line(sources: []) + ManifestRenderer.render([node]))
    }

    func testAddedChangedRemovedObjectsAreNamed() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-summary-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let kustomization = OutputFile(
            path: "dev/manifests/kustomization.yaml",
            bytes: ManifestRenderer.render([["apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"]]))
        let before = [
            file("dev/manifests/3-configmap-a.yaml", kind: "ConfigMap", name: "a"),
            file("dev/manifests/4-job-x-1111.yaml", kind: "Job", name: "x-1111"),
            kustomization,
        ]
        let diagnostics = DiagnosticCollector()
        XCTAssertTrue(OutputWriter(root: root).write(environment: "dev", files: before, diagnostics: diagnostics).succeeded)
        let after = [
            file("dev/manifests/3-configmap-a.yaml", kind: "ConfigMap", name: "a", data: "2"),
            file("dev/manifests/4-job-x-2222.yaml", kind: "Job", name: "x-2222"),
            OutputFile(path: kustomization.path, bytes: kustomization.bytes + Array("# changed\n".utf8)),
        ]
        let difference = try XCTUnwrap(
            OutputComparator(root: root).compare(environment: "dev", files: after, diagnostics: diagnostics))
        let summary = ObjectChangeSummary.summarize(difference, rendered: after, root: root)
        XCTAssertEqual(
            summary.line, "dev objects: 1 added (Job/x-2222), 1 changed (ConfigMap/a), 1 removed (Job/x-1111)")

        let same = try XCTUnwrap(
            OutputComparator(root: root).compare(environment: "dev", files: before, diagnostics: diagnostics))
        XCTAssertEqual(ObjectChangeSummary.summarize(same, rendered: before, root: root).line, "dev objects: no changes")
    }
}

final class ObjectReplacementTests: XCTestCase {
    func job(_ name: String, deadline: Int) -> OutputFile {
        let node: ManifestNode = [
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": ["name": .string(name), "labels": ["app.kubernetes.io/instance": "intro"]],
            "spec": ["activeDeadlineSeconds": .int(deadline)],
        ]
        return OutputFile(path: "dev/manifests/4-job-\(name).yaml", bytes: ManifestRenderer.render([node]))
    }

    func testARenamedValidationJobIsOneReplacementWithOneDiff() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-replace-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let diagnostics = DiagnosticCollector()
        XCTAssertTrue(
            OutputWriter(root: root).write(environment: "dev", files: [job("intro-aaaa", deadline: 60)], diagnostics: diagnostics)
                .succeeded)
        let after = [job("intro-bbbb", deadline: 90)]
        let difference = try XCTUnwrap(
            OutputComparator(root: root).compare(environment: "dev", files: after, diagnostics: diagnostics))
        let replacements = ObjectChangeSummary.replacements(difference, rendered: after, root: root)
        XCTAssertEqual(replacements.count, 1)
        XCTAssertEqual(
            replacements.first?.diff,
            """
            diff --git a/dev/manifests/4-job-intro-aaaa.yaml b/dev/manifests/4-job-intro-bbbb.yaml
            rename from dev/manifests/4-job-intro-aaaa.yaml
            rename to dev/manifests/4-job-intro-bbbb.yaml
            --- a/dev/manifests/4-job-intro-aaaa.yaml
            +++ b/dev/manifests/4-job-intro-bbbb.yaml
            @@ -1,8 +1,8 @@
             apiVersion: batch/v1
             kind: Job
             metadata:
            -  name: intro-aaaa
            +  name: intro-bbbb
               labels:
                 app.kubernetes.io/instance: intro
             spec:
            -  activeDeadlineSeconds: 60
            +  activeDeadlineSeconds: 90

            """)
        XCTAssertEqual(
            ObjectChangeSummary.summarize(difference, rendered: after, root: root).line,
            "dev objects: 1 replaced (Job/intro-aaaa → intro-bbbb)")
    }
}
