import Foundation
import XCTest

@testable import NBGitOps

/// `nbgitops platform --from-cluster` and `--verify` through the built binary, over two recorded
/// clusters (kubectl JSON in Fixtures/platform/, answered by a recorded kubectl): OpenShift 4.18
/// with OpenShift GitOps, OpenShift Pipelines and OpenShift AI; upstream Kubernetes 1.33 with
/// Tekton, KServe and Flux (no Argo CD, no ClusterVersion: those facts stay unknown).
final class PlatformCommandTests: XCTestCase {
    static let fixtures = repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/platform"
    static let clusters = ["openshift-4.18", "kubernetes"]

    func kubectl(_ cluster: String) -> [String: String] {
        ["NBGITOPS_KUBECTL": Self.fixtures + "/kubectl", "NBGITOPS_PLATFORM_FIXTURE": Self.fixtures + "/" + cluster]
    }

    /// The overlay of each recorded cluster equals its golden file (deterministic bytes, the
    /// `# from:` header naming each fact's object); what cannot be read is a note, not a guess.
    func testFromClusterWritesTheGoldenOverlayOfEachRecordedCluster() throws {
        let record = ProcessInfo.processInfo.environment["NBGITOPS_RECORD"] == "1"
        for cluster in Self.clusters {
            let run = try IntegrationCLI.run(
                ["platform", "--from-cluster", "--context", "recorded"], in: repositoryRoot,
                environment: kubectl(cluster).merging(["NBGITOPS_HOME": repositoryRoot]) { $1 })
            XCTAssertEqual(run.status, 0, run.stderr)
            let golden = repositoryRoot + "/Tests/NBGitOpsTests/Golden/platform/\(cluster).yaml"
            if record {
                try run.stdout.write(toFile: golden, atomically: true, encoding: .utf8)
                continue
            }
            XCTAssertEqual(run.stdout, try String(contentsOfFile: golden, encoding: .utf8), cluster)
            let again = try IntegrationCLI.run(
                ["platform", "--from-cluster"], in: repositoryRoot,
                environment: kubectl(cluster).merging(["NBGITOPS_HOME": repositoryRoot]) { $1 })
            XCTAssertEqual(again.stdout, run.stdout, "the same cluster gives the same bytes")
        }
        if record { XCTFail("re-recorded Golden/platform; run again without NBGITOPS_RECORD") }
        let upstream = try IntegrationCLI.run(
            ["platform", "--from-cluster"], in: repositoryRoot,
            environment: kubectl("kubernetes").merging(["NBGITOPS_HOME": repositoryRoot]) { $1 })
        XCTAssertFalse(upstream.stdout.contains("argocd:"), "no Argo CD on the cluster: unknown, not guessed")
        XCTAssertTrue(upstream.stderr.contains("note: ArgoCD resources (argocd-operator): cannot be read"), upstream.stderr)
        XCTAssertFalse(upstream.stdout.contains("defaultTimeoutMinutes"), "config-defaults sets no timeout: unknown")
    }

    /// The written overlay decodes cleanly when stacked on an environment, and its facts win.
    func testTheOverlayFromTheClusterDecodesWhenStacked() throws {
        for (cluster, environment) in [("openshift-4.18", "openshift-gpu"), ("kubernetes", "kubernetes")] {
            let project = try IntegrationProject()
            let written = try project.run(
                ["platform", "--from-cluster", "--output", project.path("examples/overlays/cluster.yaml")],
                environment: kubectl(cluster))
            XCTAssertEqual(written.status, 0, written.stderr)
            let file = try XCTUnwrap(project.read("nbgitops.yaml"))
            let stacked = file.replacingOccurrences(
                of: "examples/overlays/teams.yaml", with: "examples/overlays/teams.yaml, examples/overlays/cluster.yaml")
            XCTAssertNotEqual(stacked, file)
            try project.write("nbgitops.yaml", stacked)
            let explain = try project.run(["explain", environment, "platform"])
            XCTAssertEqual(explain.status, 0, explain.stderr)
            XCTAssertFalse(explain.stderr.contains("error["), explain.stderr)
            XCTAssertTrue(explain.stdout.contains("cluster.yaml"), explain.stdout)
            let verify = try project.run(["platform", "--verify", environment], environment: kubectl(cluster))
            XCTAssertEqual(verify.status, 0, verify.stderr)
        }
    }

    /// A declared fact the cluster contradicts is a located NBG334 at the overlay line that set
    /// it (exit 1); the example project's declarations match the recorded clusters (exit 0).
    func testVerifyFindsAPlantedDifferenceAtTheOverlayLine() throws {
        let project = try IntegrationProject()
        for (cluster, environment) in [("openshift-4.18", "openshift-gpu"), ("kubernetes", "kubernetes")] {
            let clean = try project.run(["platform", "--verify", environment], environment: kubectl(cluster))
            XCTAssertEqual(clean.status, 0, clean.stderr)
        }
        let profile = try XCTUnwrap(project.read("overlays/openshift-4.18.yaml"))
        try project.write(
            "overlays/openshift-4.18.yaml", profile.replacingOccurrences(of: "openshift: \"4.18\"", with: "openshift: \"4.20\""))
        let line =
            try XCTUnwrap(
                profile.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("openshift: \"4.18\"") }
            ) + 1
        let run = try project.run(["platform", "--verify", "openshift-gpu"], environment: kubectl("openshift-4.18"))
        XCTAssertEqual(run.status, 1, run.stderr)
        let errors = run.stderr.split(separator: "\n").map(String.init).filter { $0.contains("error[NBG334]") }
        XCTAssertEqual(
            errors,
            [
                "overlays/openshift-4.18.yaml:\(line):18: error[NBG334]: platform fact platform.versions.openshift is 4.20 here, 4.18 on the cluster"
            ],
            run.stderr)
        XCTAssertTrue(errors.allSatisfy(IntegrationCLI.isLocatedError))
    }
    /// `--verify` compares storage classes (binding mode, access modes where the provisioner makes
    /// them known, a class on one side only) and node pools (count, a resource declared beyond
    /// what the matching nodes offer): each difference a located NBG334, exit 1.
    func testVerifyComparesStorageClassesAndNodePools() throws {
        let project = try IntegrationProject()
        try project.write(
            "examples/overlays/storage.yaml",
            """
            apiVersion: nbgitops.dev/v1alpha1
            kind: Overlay
            metadata:
              name: storage
            spec:
              platform:
                storageClasses:
                - {name: gp3-csi, volumeBindingMode: Immediate, accessModes: [ReadWriteMany], default: true}

            """)
        let file = try XCTUnwrap(project.read("nbgitops.yaml"))
        try project.write(
            "nbgitops.yaml",
            file.replacingOccurrences(
                of: "examples/overlays/teams.yaml", with: "examples/overlays/teams.yaml, examples/overlays/storage.yaml"))
        let pools = try XCTUnwrap(project.read("examples/overlays/gpu-cluster.yaml"))
        let planted = pools.replacingOccurrences(of: "    - name: a100\n      count: 2", with: "    - name: a100\n      count: 3")
            .replacingOccurrences(of: "allocatable: {cpu: \"16\"", with: "allocatable: {cpu: \"64\"")
        XCTAssertNotEqual(planted, pools)
        try project.write("examples/overlays/gpu-cluster.yaml", planted)
        let run = try project.run(["platform", "--verify", "openshift-gpu"], environment: kubectl("openshift-4.18"))
        XCTAssertEqual(run.status, 1, run.stderr)
        let errors = run.stderr.split(separator: "\n").map(String.init).filter { $0.contains("error[NBG334]") }
        let messages = errors.map { $0.components(separatedBy: "error[NBG334]: ").last ?? $0 }
        XCTAssertEqual(
            messages.sorted(),
            [
                "cluster.nodePools[a100].count is 3 here, 2 matching nodes on the cluster",
                "cluster.nodePools[worker].allocatable.cpu is 64 here, the cluster's matching nodes offer 31750m",
                "platform.storageClasses[gp3-csi].accessModes are [ReadWriteMany] here, [ReadWriteOnce, ReadWriteOncePod] on the cluster (its provisioner's)",
                "platform.storageClasses[gp3-csi].volumeBindingMode is Immediate here, WaitForFirstConsumer on the cluster",
                "the cluster has StorageClass gp2-csi, which platform.storageClasses does not declare",
            ], run.stderr)
        XCTAssertTrue(errors.allSatisfy(IntegrationCLI.isLocatedError), run.stderr)
        XCTAssertTrue(errors.contains { $0.hasPrefix("examples/overlays/storage.yaml:") }, run.stderr)
        XCTAssertTrue(errors.contains { $0.hasPrefix("examples/overlays/gpu-cluster.yaml:") }, run.stderr)
    }

    /// `--from-cluster` reads the Argo CD instance's name and resource exclusions (the ArgoCD
    /// resource's spec.resourceExclusions), namespaces' Pod Security labels and the access modes
    /// of known provisioners; an unknown provisioner's stay unknown, with a note.
    func testFromClusterReadsExclusionsPodSecurityAndAccessModes() throws {
        let openshift = try IntegrationCLI.run(
            ["platform", "--from-cluster"], in: repositoryRoot,
            environment: kubectl("openshift-4.18").merging(["NBGITOPS_HOME": repositoryRoot]) { $1 })
        XCTAssertEqual(openshift.status, 0, openshift.stderr)
        XCTAssertTrue(openshift.stdout.contains("      name: openshift-gitops\n"), openshift.stdout)
        XCTAssertTrue(openshift.stdout.contains("        - TaskRun\n        - PipelineRun\n"), openshift.stdout)
        XCTAssertTrue(openshift.stdout.contains("        team-a: restricted\n"), openshift.stdout)
        XCTAssertTrue(openshift.stdout.contains("      accessModes:\n      - ReadWriteOnce\n      - ReadWriteOncePod\n"))
        XCTAssertFalse(openshift.stderr.contains("resourceExclusions"), openshift.stderr)
        // Argo CD's instance read from the cluster excludes PipelineRuns: the environment the
        // overlay is stacked on is refused (NBG330) unless it patches the instance.
        let project = try IntegrationProject()
        let written = try project.run(
            ["platform", "--from-cluster", "--output", project.path("examples/overlays/cluster.yaml")],
            environment: kubectl("openshift-4.18"))
        XCTAssertEqual(written.status, 0, written.stderr)
        let file = try XCTUnwrap(project.read("nbgitops.yaml"))
        // The openshift-gpu environment's instance overlay (the one followed by its cluster-prod).
        let stacked = file.replacingOccurrences(
            of: "examples/overlays/argocd-instance.yaml,\n      examples/overlays/serving-runtimes.yaml, examples/overlays/cluster-prod.yaml",
            with: "examples/overlays/cluster.yaml,\n      examples/overlays/serving-runtimes.yaml, examples/overlays/cluster-prod.yaml")
        XCTAssertNotEqual(stacked, file, "the openshift-gpu stack names its Argo CD instance overlay")
        try project.write("nbgitops.yaml", stacked)
        let check = try project.run(["check", "--env", "openshift-gpu"])
        XCTAssertTrue(check.stderr.contains("examples/overlays/cluster.yaml:"), check.stderr)
        XCTAssertTrue(check.stderr.contains("error[NBG330]"), check.stderr)
    }
    /// A hostile argocd-cm on the cluster (an alias bomb in resource.exclusions): the exclusions
    /// stay unknown with a note, never guessed, and the rest of the overlay is written.
    func testHostileExclusionsFromTheClusterStayUnknown() throws {
        let run = try IntegrationCLI.run(
            ["platform", "--from-cluster"], in: repositoryRoot,
            environment: kubectl("hostile-argocd").merging(["NBGITOPS_HOME": repositoryRoot]) { $1 })
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("      namespace: argocd\n"), run.stdout)
        XCTAssertFalse(run.stdout.contains("resourceExclusions"), run.stdout)
        XCTAssertTrue(
            run.stderr.contains("note: ConfigMap argocd/argocd-cm resource.exclusions is not a YAML list; left unknown"),
            run.stderr)
    }
}
