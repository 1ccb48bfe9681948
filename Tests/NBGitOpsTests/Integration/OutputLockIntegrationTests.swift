import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The output folder under faults and contention, through the built executable: killed runs,
/// concurrent renders, a held lock, removed environments, and where the project may put its
/// output and overlays.
final class OutputLockIntegrationTests: XCTestCase {
    /// The process id of a process that has exited and been reaped.
    private func deadProcessID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exit 0"]
        try process.run()
        process.waitUntilExit()
        let pid = process.processIdentifier
        XCTAssertNotEqual(kill(pid, 0), 0, "process \(pid) should be gone")
        return pid
    }

    /// Entries of the output root that are no environment folder.
    private func strays(_ project: IntegrationProject) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: project.path("gitops"))) ?? [])
            .filter { !integrationEnvironments.contains($0) }.sorted()
    }

    // MARK: kill -9

    /// What `kill -9` leaves during a render: a staging folder (here with a dead process id) and,
    /// where the rename fallback runs, an environment folder moved aside before the new one was
    /// put in. `check` reports both as drift; the next render puts the moved-aside folder back
    /// (with its foreign file), removes the staging folder and leaves a clean tree.
    func testAKilledRunsLeftoversAreDriftAndTheNextRenderClearsThem() throws {
        let project = try IntegrationProject()
        XCTAssertEqual(try project.run(["render"]).status, 0)
        let clean = project.files()
        try project.write("gitops/openshift-rwx/README.md", "kept by hand\n")
        let dead = try deadProcessID()
        let staging = "gitops/.nbgitops-staging-kubernetes-\(dead)"
        try project.write(staging + "/manifests/partial.yaml", String(repeating: "x", count: 100_000))
        let previous = "gitops/.nbgitops-previous-openshift-rwx-\(dead)"
        try FileManager.default.moveItem(atPath: project.path("gitops/openshift-rwx"), toPath: project.path(previous))

        let check = try project.run(["check", "--quiet-diff"])
        XCTAssertEqual(check.status, 2, "\(check)")
        XCTAssertTrue(check.stdout.contains("leftover: gitops/.nbgitops-staging-kubernetes-\(dead) (staging)"), "\(check)")
        XCTAssertTrue(check.stdout.contains("leftover: gitops/.nbgitops-previous-openshift-rwx-\(dead) (previous)"), "\(check)")
        XCTAssertTrue(
            check.stderrLines.contains {
                $0.hasPrefix(project.path(staging) + ":1:1: warning[NBG177]: ")
                    && $0.contains("left behind by an interrupted nbgitops run")
            }, "\(check)")

        let render = try project.run(["render"])
        XCTAssertEqual(render.status, 0, "\(render)")
        XCTAssertEqual(strays(project), [], "\(render)")
        XCTAssertEqual(project.read("gitops/openshift-rwx/README.md"), "kept by hand\n", "the foreign file came back")
        var expected = clean
        expected["openshift-rwx/README.md"] = Array("kept by hand\n".utf8)
        assertIntegrationFilesEqual(expected, project.files(), "after the render that cleared the leftovers:")
        let again = try project.run(["check", "--quiet-diff"])
        XCTAssertEqual(again.status, 0, "\(again)")
    }

    // MARK: Concurrent renders

    /// Two renders started together into the same (absent, then existing) output: both succeed,
    /// nothing is left over, and the bytes are those of a render run alone.
    func testTwoConcurrentRendersBothSucceedWithIdenticalBytes() throws {
        let reference = try IntegrationProject()
        XCTAssertEqual(try reference.run(["render"]).status, 0)
        let expected = reference.files()

        let project = try IntegrationProject()
        for round in 0..<3 {
            if round == 2 {
                // Owned files gone, so that both runs find environments to stage and swap.
                for name in integrationEnvironments {
                    let owned = try XCTUnwrap(expected.keys.sorted().first { $0.hasPrefix(name + "/delivery/") })
                    try project.remove("gitops/" + owned)
                }
            }
            let runs = ConcurrentRuns()
            let root = project.root
            DispatchQueue.concurrentPerform(iterations: 2) { _ in
                runs.append(Result { try IntegrationCLI.run(["render"], in: root, environment: ["NBGITOPS_HOME": root]) })
            }
            for result in runs.all {
                let run = try result.get()
                XCTAssertEqual(run.status, 0, "round \(round): \(run)")
            }
            XCTAssertEqual(strays(project), [], "round \(round)")
            assertIntegrationFilesEqual(expected, project.files(), "round \(round):")
            if round == 0 { try project.remove("gitops") }
        }
    }

    // MARK: The lock

    /// A render finding the output locked waits, naming the holder's process; with the lock
    /// held past `NBGITOPS_LOCK_TIMEOUT` it fails with a located NBG176 and writes nothing; once
    /// the holder lets go, a waiting render goes on and succeeds.
    func testASecondRenderWaitsForTheLockAndNamesItsHolder() throws {
        let project = try IntegrationProject()
        XCTAssertEqual(try project.run(["render"]).status, 0)
        try project.write("examples/specs/zz-new.yaml", integrationJobSpec(name: "lock-probe"))
        let before = project.snapshot()

        let descriptor = open(project.path("gitops"), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        XCTAssertEqual(flock(descriptor, LOCK_EX), 0)
        let timedOut = try project.run(["render"], environment: ["NBGITOPS_LOCK_TIMEOUT": "1"])
        XCTAssertEqual(timedOut.status, 1, "\(timedOut)")
        XCTAssertTrue(
            timedOut.stderrLines.contains {
                $0.contains("waiting for the output folder") && $0.contains("(process \(getpid()))")
            }, "\(timedOut)")
        XCTAssertTrue(
            timedOut.locatedErrors.contains {
                $0.hasPrefix(project.path("gitops") + ":1:1: error[NBG176]: ") && $0.contains("(process \(getpid()))")
            }, "\(timedOut)")
        assertSameTree(before, project.snapshot(), "locked:")

        // Held long enough for the render to compile and reach the write even on a busy machine.
        DispatchQueue.global().asyncAfter(deadline: .now() + 10) { close(descriptor) }
        let waited = try project.run(["render"], environment: ["NBGITOPS_LOCK_TIMEOUT": "60"])
        XCTAssertEqual(waited.status, 0, "\(waited)")
        XCTAssertTrue(waited.stderr.contains("waiting for the output folder"), "\(waited)")
        XCTAssertTrue(project.files().keys.contains { $0.contains("lock-probe") }, "the waiting render wrote")
    }

    // MARK: Removed environments

    /// Renaming an environment: `check` names the old folder as a leftover; `render` (even of
    /// other selected environments) removes it (all of it owned) and never another project
    /// environment's folder. An old folder holding a file
    /// nbgitops does not own is kept, with a warning, and stays drift.
    func testARemovedEnvironmentsFolderIsDriftAndRemovedWhenWhollyOwned() throws {
        let project = try IntegrationProject()
        XCTAssertEqual(try project.run(["render"]).status, 0)
        let configuration = try XCTUnwrap(project.read("nbgitops.yaml"))
        XCTAssertTrue(configuration.contains("  - name: kubernetes\n"))
        try project.write(
            "nbgitops.yaml", configuration.replacingOccurrences(of: "  - name: kubernetes\n", with: "  - name: k8s\n"))

        let check = try project.run(["check", "--quiet-diff"])
        XCTAssertEqual(check.status, 2, "\(check)")
        XCTAssertTrue(check.stdout.contains("leftover: gitops/kubernetes (removed environment)"), "\(check)")
        XCTAssertTrue(
            check.stderrLines.contains {
                $0.hasPrefix(project.path("gitops/kubernetes") + ":1:1: warning[NBG177]: ")
                    && $0.contains("an environment the project no longer defines")
            }, "\(check)")

        // Any render removes it; one of selected environments leaves the others' folders.
        let partial = try project.run(["render", "--env", "openshift-gpu"])
        XCTAssertEqual(partial.status, 0, "\(partial)")
        XCTAssertFalse(project.exists("gitops/kubernetes"), "\(partial)")
        XCTAssertTrue(project.exists("gitops/openshift-rwx/.nbgitops-owned"), "a selected render leaves the others")
        XCTAssertFalse(project.exists("gitops/k8s"))

        let render = try project.run(["render"])
        XCTAssertEqual(render.status, 0, "\(render)")
        XCTAssertTrue(project.exists("gitops/k8s/.nbgitops-owned"))
        XCTAssertEqual(try project.run(["check", "--quiet-diff"]).status, 0)

        // Back to the old name, with a hand-written file in the renamed folder: kept, reported.
        try project.write("gitops/k8s/NOTES.md", "mine\n")
        try project.write("nbgitops.yaml", configuration)
        let kept = try project.run(["render"])
        XCTAssertEqual(kept.status, 0, "\(kept)")
        XCTAssertEqual(project.read("gitops/k8s/NOTES.md"), "mine\n")
        XCTAssertTrue(
            kept.stderrLines.contains { $0.contains("warning[NBG177]: ") && $0.contains("NOTES.md") }, "\(kept)")
        let still = try project.run(["check", "--quiet-diff"])
        XCTAssertEqual(still.status, 2, "\(still)")
        XCTAssertTrue(still.stdout.contains("leftover: gitops/k8s (removed environment)"), "\(still)")
    }

    /// A run killed between two environments' swaps leaves some environments from the new
    /// inputs and some from the old: `check` compares every environment with a render of the
    /// same inputs, so such a mixed tree is drift, named per environment.
    func testAMixedTreeIsDrift() throws {
        let project = try IntegrationProject()
        XCTAssertEqual(try project.run(["render"]).status, 0)
        try project.write("examples/specs/zz-new.yaml", integrationJobSpec(name: "mixed-probe"))
        XCTAssertEqual(try project.run(["render", "--env", "kubernetes"]).status, 0)
        let check = try project.run(["check", "--quiet-diff"])
        XCTAssertEqual(check.status, 2, "\(check)")
        XCTAssertTrue(check.stdout.contains("kubernetes: up to date"), "\(check)")
        XCTAssertTrue(check.stdout.contains("openshift-gpu: 1 added"), "\(check)")
        XCTAssertTrue(check.stdout.contains("openshift-rwx: 1 added"), "\(check)")
        XCTAssertTrue(check.stdout.contains("gitops output is out of date"), "\(check)")
    }

    // MARK: Where output and overlays may be

    /// An output folder inside a spec path (its manifests would be read back as specs) or in
    /// `.git` is refused where the project file names it, and nothing is written.
    func testOutputInsideTheSpecsOrGitIsRefused() throws {
        let project = try IntegrationProject()
        let configuration = try XCTUnwrap(project.read("nbgitops.yaml"))
        XCTAssertTrue(configuration.contains("  output: gitops\n"))
        for (output, message) in [
            ("examples/specs/rendered", "lies inside the spec path 'examples/specs'"),
            ("examples", "spec path 'examples/specs' lies inside the output folder 'examples'"),
            (".git", "lies in a '.git' folder"), (".git/gitops", "lies in a '.git' folder"),
        ] {
            try project.write(
                "nbgitops.yaml", configuration.replacingOccurrences(of: "  output: gitops\n", with: "  output: \(output)\n"))
            let before = project.snapshot("")
            let run = try project.run(["render"])
            XCTAssertEqual(run.status, 1, "\(output): \(run)")
            XCTAssertTrue(
                run.locatedErrors.contains {
                    $0.hasPrefix("nbgitops.yaml:") && $0.contains("error[NBG170]: ") && $0.contains(message)
                }, "\(output): \(run)")
            assertSameTree(before, project.snapshot(""), "\(output):")
        }
    }

    /// An overlay the project file names by a path that leaves the repository (`..`, or a
    /// symbolic link) is refused where it is named.
    func testOverlayOutsideTheRepositoryIsRefused() throws {
        let project = try IntegrationProject()
        let configuration = try XCTUnwrap(project.read("nbgitops.yaml"))
        let outside = project.base + "/elsewhere"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: project.path("examples/overlays/teams.yaml"), toPath: outside + "/teams.yaml")
        try FileManager.default.createSymbolicLink(atPath: project.path("linked"), withDestinationPath: outside)
        for path in ["../elsewhere/teams.yaml", "linked/teams.yaml", outside + "/teams.yaml"] {
            try project.write(
                "nbgitops.yaml",
                configuration.replacingOccurrences(
                    of: "examples/overlays/teams.yaml]", with: "\(path)]"))
            let run = try project.run(["render"])
            XCTAssertEqual(run.status, 1, "\(path): \(run)")
            XCTAssertTrue(
                run.locatedErrors.contains {
                    $0.hasPrefix("nbgitops.yaml:") && $0.contains("error[NBG160]: ")
                        && $0.contains("resolves outside the repository (to \(outside)/teams.yaml)")
                }, "\(path): \(run)")
            XCTAssertFalse(project.exists("gitops"), "\(path): nothing written")
        }
    }
}

/// Results gathered from concurrent runs.
private final class ConcurrentRuns: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<CLIRun, any Error>] = []

    func append(_ result: Result<CLIRun, any Error>) {
        lock.lock()
        results.append(result)
        lock.unlock()
    }

    var all: [Result<CLIRun, any Error>] {
        lock.lock()
        defer { lock.unlock() }
        return results
    }
}
