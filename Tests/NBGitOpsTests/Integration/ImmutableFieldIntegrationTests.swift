import Foundation
import XCTest

@testable import NBGitOps

/// Immutable fields (NBG173) and artifact names, through the built binary over a copy of the
/// example project: render, change a setting, render or check again.
final class ImmutableFieldIntegrationTests: XCTestCase {
    /// Rendered files below `gitops/<environment>` (any folder but delivery) whose name contains `part`.
    func manifests(_ project: IntegrationProject, _ environment: String, containing part: String) -> [String] {
        project.files().keys.filter { $0.hasPrefix(environment + "/") && !$0.hasPrefix(environment + "/delivery/") && $0.contains(part) }.sorted()
    }

    func storageURI(_ project: IntegrationProject, _ environment: String, _ pipeline: String) -> String? {
        let text =
            ["manifests", "serving", "notebook-serving"].lazy.compactMap {
                project.read("gitops/\(environment)/\($0)/6-inferenceservice-\(pipeline).yaml")
            }.first ?? ""
        return text.split(separator: "\n").first { $0.contains("storageUri:") }.map {
            $0.trimmingCharacters(in: .whitespaces)
        }
    }

    /// A changed storage class: the ModelCar tag and the served oci:// reference stay (where the
    /// workspace lives does not change the image), the `delivery: pvc` claim gets a new name (a
    /// claim's storage class cannot change in place), the runs are new; no NBG173.
    func testAChangedStorageClassRenamesThePvcClaimAndKeepsTheModelCarTag() throws {
        let project = try IntegrationProject()
        // A passed-through claim naming no class gets the environment's, and keeps its name: its
        // class change would be NBG173. Here it names its own class, so only nbgitops' claims follow.
        let volumes = try XCTUnwrap(project.read("examples/specs/04-volumes.yaml"))
        try project.write(
            "examples/specs/04-volumes.yaml",
            volumes.replacingOccurrences(
                of: "  name: sentiment-models\nspec:\n", with: "  name: sentiment-models\nspec:\n  storageClassName: gp3-csi\n"))
        let first = try project.run(["render"])
        XCTAssertEqual(first.status, 0, "\(first)")
        let claims = manifests(project, "openshift-gpu", containing: "persistentvolumeclaim-llama-70b-")
        XCTAssertEqual(claims.count, 1, "\(claims)")
        let served = try XCTUnwrap(storageURI(project, "openshift-gpu", "granite-2b"))
        XCTAssertTrue(served.contains("oci://"), served)
        let runs = manifests(project, "openshift-gpu", containing: "pipelinerun-granite-2b-")

        let overlay = try XCTUnwrap(project.read("examples/overlays/gpu-cluster.yaml"))
        try project.write(
            "examples/overlays/gpu-cluster.yaml",
            overlay.replacingOccurrences(of: "storageClassName: gp3-csi", with: "storageClassName: io2-csi"))
        let second = try project.run(["render"])
        XCTAssertEqual(second.status, 0, "\(second)")
        XCTAssertFalse(second.stderr.contains("NBG173"), second.stderr)
        XCTAssertEqual(storageURI(project, "openshift-gpu", "granite-2b"), served, "the ModelCar tag must not change")
        let renamed = manifests(project, "openshift-gpu", containing: "persistentvolumeclaim-llama-70b-")
        XCTAssertEqual(renamed.count, 1, "\(renamed)")
        XCTAssertNotEqual(renamed, claims, "a claim's storage class cannot change under the same name")
        XCTAssertTrue(project.read("gitops/" + (renamed.first ?? ""))?.contains("storageClassName: io2-csi") == true)
        XCTAssertNotEqual(manifests(project, "openshift-gpu", containing: "pipelinerun-granite-2b-"), runs)
        let check = try project.run(["check"])
        XCTAssertEqual(check.status, 0, "\(check)")
    }

    /// A claim nbgitops creates under the name the spec uses (`storage.manageAllClaims`: it holds
    /// the notebooks' data, so it cannot be renamed) whose storage class changes: `check` and
    /// `render` fail with NBG173 at the overlay line that set it, and nothing is written. The
    /// first render (no tree) reports nothing.
    func testAManagedClaimWhoseStorageClassChangesIsALocatedError() throws {
        let project = try IntegrationProject()
        try project.write(
            "examples/overlays/managed-claims.yaml",
            overlayYAML(
                name: "managed-claims", spec: "  storage:\n    manageAllClaims: true\n    storageClassName: standard\n"))
        let config = try XCTUnwrap(project.read("nbgitops.yaml"))
        try project.write(
            "nbgitops.yaml",
            config.replacingOccurrences(
                of: "examples/overlays/teams.yaml]",
                with: "examples/overlays/teams.yaml, examples/overlays/managed-claims.yaml]"))
        let first = try project.run(["render", "--env", "kubernetes"])
        XCTAssertEqual(first.status, 0, "\(first)")
        XCTAssertFalse(first.stderr.contains("NBG173"), first.stderr)
        // In the wave of the Job that mounts it (a WaitForFirstConsumer claim is Pending until then).
        let claim = "gitops/kubernetes/validation/5-persistentvolumeclaim-shared-datasets.yaml"
        let before = try XCTUnwrap(project.read(claim), "manageAllClaims creates the claim the spec mounts")
        XCTAssertTrue(before.contains("storageClassName: standard"), before)

        let overlay = try XCTUnwrap(project.read("examples/overlays/managed-claims.yaml"))
        try project.write(
            "examples/overlays/managed-claims.yaml",
            overlay.replacingOccurrences(of: "storageClassName: standard", with: "storageClassName: fast"))
        let tree = project.files()
        for command in ["check", "render"] {
            let run = try project.run([command, "--env", "kubernetes"])
            XCTAssertEqual(run.status, 1, "\(run)")
            XCTAssertTrue(
                run.stderr.contains(
                    "examples/overlays/managed-claims.yaml:8:23: error[NBG173]: environment 'kubernetes': "
                        + "PersistentVolumeClaim 'shared-datasets'"), run.stderr)
            XCTAssertTrue(run.stderr.contains("spec.storageClassName 'standard' → 'fast'"), run.stderr)
            XCTAssertTrue(run.stderr.contains("help: "), run.stderr)
        }
        XCTAssertEqual(project.files(), tree, "nothing is written")
        XCTAssertEqual(project.read(claim), before)
    }

    /// A passed-through claim that shrinks keeps its name: NBG173 at the spec line; growing it is
    /// an in-place update the API server accepts.
    func testAShrinkingClaimIsALocatedErrorAndAGrowingOneIsNot() throws {
        let project = try IntegrationProject()
        XCTAssertEqual(try project.run(["render", "--env", "openshift-rwx"]).status, 0)
        let spec = try XCTUnwrap(project.read("examples/specs/04-volumes.yaml"))
        try project.write("examples/specs/04-volumes.yaml", spec.replacingOccurrences(of: "storage: 20Gi", with: "storage: 10Gi"))
        let shrunk = try project.run(["check", "--env", "openshift-rwx"])
        XCTAssertEqual(shrunk.status, 1, "\(shrunk)")
        XCTAssertTrue(shrunk.stderr.contains("error[NBG173]"), shrunk.stderr)
        // At the line of the spec document that wrote the size.
        XCTAssertTrue(
            shrunk.stderr.contains(
                "examples/specs/04-volumes.yaml:55:16: error[NBG173]: environment 'openshift-rwx': "
                    + "PersistentVolumeClaim 'sentiment-models'"), shrunk.stderr)
        XCTAssertTrue(shrunk.stderr.contains("never shrink"), shrunk.stderr)
        try project.write("examples/specs/04-volumes.yaml", spec.replacingOccurrences(of: "storage: 20Gi", with: "storage: 30Gi"))
        let grown = try project.run(["render", "--env", "openshift-rwx"])
        XCTAssertEqual(grown.status, 0, "\(grown)")
        XCTAssertFalse(grown.stderr.contains("NBG173"), grown.stderr)
    }

    /// Jobs are content-addressed: a changed pod template gives a new Job name (the old Job is
    /// pruned), never an update the API server refuses. The comparison covers Jobs all the same:
    /// a tree whose Job has another template under the same name (edited by hand) is NBG173.
    func testJobsAreContentAddressedAndTheComparisonCoversThem() throws {
        let project = try IntegrationProject()
        XCTAssertEqual(try project.run(["render", "--env", "openshift-rwx"]).status, 0)
        let jobs = manifests(project, "openshift-rwx", containing: "5-job-intro-statistics-")
        XCTAssertEqual(jobs.count, 1, "\(jobs)")
        let spec = try XCTUnwrap(project.read("examples/specs/01-public-basic.yaml"))
        try project.write("examples/specs/01-public-basic.yaml", spec.replacingOccurrences(of: "value: Agg", with: "value: svg"))
        let changed = try project.run(["render", "--env", "openshift-rwx"])
        XCTAssertEqual(changed.status, 0, "\(changed)")
        XCTAssertFalse(changed.stderr.contains("NBG173"), changed.stderr)
        let renamed = manifests(project, "openshift-rwx", containing: "5-job-intro-statistics-")
        XCTAssertEqual(renamed.count, 1, "\(renamed)")
        XCTAssertNotEqual(renamed, jobs, "a new template is a new Job")

        // The same name with another template in the tree.
        let file = "gitops/" + (renamed.first ?? "")
        let rendered = try XCTUnwrap(project.read(file))
        try project.write(file, rendered.replacingOccurrences(of: "value: svg", with: "value: pdf"))
        let check = try project.run(["check", "--env", "openshift-rwx"])
        XCTAssertEqual(check.status, 1, "\(check)")
        XCTAssertTrue(check.stderr.contains("examples/specs/01-public-basic.yaml:"), check.stderr)
        XCTAssertTrue(check.stderr.contains("error[NBG173]: environment 'openshift-rwx': Job 'intro-statistics-"), check.stderr)
        XCTAssertTrue(check.stderr.contains("spec.template"), check.stderr)
    }

    /// A RoleBinding's roleRef cannot change (`ValidateRoleBindingUpdate`): NBG173 at the spec's roleRef.
    func testARoleBindingWhoseRoleRefChangesIsALocatedError() throws {
        let project = try IntegrationProject()
        XCTAssertEqual(try project.run(["render", "--env", "openshift-rwx"]).status, 0)
        let spec = try XCTUnwrap(project.read("examples/specs/15-team-namespaces.yaml"))
        try project.write(
            "examples/specs/15-team-namespaces.yaml",
            spec.replacingOccurrences(
                of: "  kind: Role\n  name: shared-model-reader\nsubjects:", with: "  kind: ClusterRole\n  name: view\nsubjects:"))
        let check = try project.run(["check", "--env", "openshift-rwx"])
        XCTAssertEqual(check.status, 1, "\(check)")
        XCTAssertTrue(
            check.stderr.contains(
                "examples/specs/15-team-namespaces.yaml:67:3: error[NBG173]: environment 'openshift-rwx': "
                    + "RoleBinding 'shared-model-readers'"), check.stderr)
    }
}
