import Foundation
import XCTest

@testable import NBGitOps

/// M11: a validation against a branch runs again when the branch moves. `nbgitops lock`
/// resolves each branch or tag ref to a commit in `nbgitops.lock`; `render` clones that commit
/// and the Job's name hashes it; `check --refs` reports a lock whose branch has moved. Over a
/// real local git repository, reached through the user's git configuration (`insteadOf`), and
/// the built binary.
final class RefLockIntegrationTests: XCTestCase {
    static let url = "https://git.example.invalid/team/probe.git"
    var project: IntegrationProject!
    var remote = ""

    override func setUpWithError() throws {
        project = try IntegrationProject()
        remote = project.base + "/remote"
        try FileManager.default.createDirectory(atPath: remote, withIntermediateDirectories: true)
        try git(["init", "-q", "-b", "main"], in: remote)
        try commit("first")
        // Only the probe spec, in the kubernetes environment.
        let text = try XCTUnwrap(project.read("nbgitops.yaml")).replacingOccurrences(
            of: "  - examples/specs\n", with: "  - specs\n")
        try project.write("nbgitops.yaml", text)
        try project.write("specs/probe.yaml", spec(ref: "main"))
    }

    override func tearDown() { project = nil }

    /// The probe spec with `ref` (line 11, column 12) and a golden notebook on tag `v1`.
    func spec(ref: String, golden: Bool = false) -> String {
        integrationJobSpec().replacingOccurrences(of: "https://github.com/example-org/probe.git", with: Self.url)
            .replacingOccurrences(of: "ref: main", with: "ref: \(ref)")
            + (golden
                ? "  goldenNotebook:\n    git:\n      url: \(Self.url)\n      ref: v1\n    path: notebooks/golden.ipynb\n"
                : "")
    }

    /// The environment that points the spec's URL at the local repository: the user's own git
    /// configuration, which `nbgitops lock` uses as is.
    var gitEnvironment: [String: String] {
        [
            "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "url.file://\(remote).insteadOf",
            "GIT_CONFIG_VALUE_0": Self.url,
        ]
    }

    @discardableResult
    func git(_ arguments: [String], in folder: String) throws -> String {
        let run = try IntegrationCLI.run(
            ["git", "-c", "user.name=nbgitops", "-c", "user.email=nbgitops@example.invalid"] + arguments, in: folder,
            environment: ["GIT_AUTHOR_DATE": "2026-12-01T12:00:00Z", "GIT_COMMITTER_DATE": "2026-12-01T12:00:00Z"],
            executable: URL(fileURLWithPath: "/usr/bin/env"))
        if run.status == 127 { throw RequiredTool.missing("git is not installed: \(run.stderr)") }
        XCTAssertEqual(run.status, 0, "git \(arguments): \(run.stderr)")
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A new commit on main; its SHA.
    @discardableResult
    func commit(_ message: String) throws -> String {
        try git(["commit", "-q", "--allow-empty", "-m", message], in: remote)
        return try git(["rev-parse", "HEAD"], in: remote)
    }

    func nbgitops(_ arguments: [String]) throws -> CLIRun {
        try project.run(arguments, environment: gitEnvironment)
    }

    /// The rendered validation Job: its file name and the ref its clone checks out.
    func renderedJob() throws -> (name: String, ref: String) {
        let render = try nbgitops(["render", "--env", "kubernetes"])
        XCTAssertEqual(render.status, 0, render.stderr)
        let folder = project.path("gitops/kubernetes/validation")
        let job = try XCTUnwrap(
            FileManager.default.contentsOfDirectory(atPath: folder).first { $0.hasPrefix("5-job-integration-probe-") })
        let text = try String(contentsOfFile: folder + "/" + job, encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        let index = try XCTUnwrap(lines.firstIndex { $0.hasSuffix("- name: NBG_GIT_REF") })
        let ref = lines[index + 1].trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "value: ", with: "")
        return (job, ref)
    }

    func testM11_theJobNameChangesWhenTheBranchMovesAndLockRunsAgain() throws {
        let unlocked = try renderedJob()
        XCTAssertEqual(unlocked.ref, "main")

        let first = try git(["rev-parse", "HEAD"], in: remote)
        let lock = try nbgitops(["lock"])
        XCTAssertEqual(lock.status, 0, lock.stderr)
        let locked = try renderedJob()
        XCTAssertEqual(locked.ref, first, "the clone checks out the locked commit")
        XCTAssertNotEqual(locked.name, unlocked.name)

        // The branch moves: nothing changes until `lock` runs again, then the Job is a new one.
        let second = try commit("second")
        XCTAssertEqual(try renderedJob().name, locked.name)
        XCTAssertEqual(try nbgitops(["lock"]).status, 0)
        let moved = try renderedJob()
        XCTAssertEqual(moved.ref, second)
        XCTAssertNotEqual(moved.name, locked.name, "a new commit on the branch is a new Job: it runs again")
        XCTAssertEqual(try nbgitops(["check", "--env", "kubernetes"]).status, 0)
    }

    func testM11_checkRefsReportsAMovedBranch() throws {
        XCTAssertEqual(try nbgitops(["lock"]).status, 0)
        XCTAssertEqual(try nbgitops(["render", "--env", "kubernetes"]).status, 0)
        let fresh = try nbgitops(["check", "--refs", "--env", "kubernetes"])
        XCTAssertEqual(fresh.status, 0, fresh.stderr)

        let old = try git(["rev-parse", "HEAD"], in: remote)
        let new = try commit("moved")
        let stale = try nbgitops(["check", "--refs", "--env", "kubernetes"])
        XCTAssertEqual(stale.status, 1, stale.stderr)
        XCTAssertTrue(
            stale.stderr.contains(
                "nbgitops.lock:6:3: error[NBG185]: 'main' of \(Self.url) moved: locked at \(old), now at \(new)"),
            stale.stderr)
        // Plain `check` asks no repository: the committed output is still what render writes.
        XCTAssertEqual(try nbgitops(["check", "--env", "kubernetes"]).status, 0)
    }

    func testM11_lockFileBytesAreDeterministic() throws {
        try git(["tag", "-a", "-m", "one", "v1"], in: remote)
        let tagged = try git(["rev-parse", "v1^{commit}"], in: remote)
        let head = try commit("after the tag")
        try project.write("specs/probe.yaml", spec(ref: "main", golden: true))
        XCTAssertEqual(try nbgitops(["lock"]).status, 0)
        let first = try XCTUnwrap(project.read("nbgitops.lock"))
        try project.remove("nbgitops.lock")
        let again = try nbgitops(["lock"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(project.read("nbgitops.lock"), first, "a second process writes the same bytes")
        // The annotated tag is locked at its commit (what the clone checks out), not the tag object.
        let expected = RefLock(entries: [
            RefLock.Entry(key: RefLock.Key(url: Self.url, ref: "main"), commit: head),
            RefLock.Entry(key: RefLock.Key(url: Self.url, ref: "v1"), commit: tagged),
        ])
        XCTAssertEqual(first, String(decoding: expected.render(), as: UTF8.self))
        XCTAssertTrue(first.hasPrefix("# Written by `nbgitops lock`"), first)
        XCTAssertTrue(first.contains("kind: RefLock\nrefs:\n- commit: "), first)
        XCTAssertTrue(try nbgitops(["lock"]).stderr.contains("nbgitops.lock: 2 refs, unchanged"))
    }

    func testM11_aBranchMissingFromTheLockIsAWarning() throws {
        try project.write("nbgitops.lock", "apiVersion: nbgitops.dev/v1alpha1\nkind: RefLock\nrefs: []\n")
        let render = try nbgitops(["render", "--env", "kubernetes"])
        XCTAssertEqual(render.status, 0, render.stderr)
        XCTAssertTrue(render.stderr.contains("specs/probe.yaml:11:12: warning[NBG184]: 'main' of \(Self.url)"), render.stderr)
        XCTAssertTrue(render.stderr.contains("help: run `nbgitops lock`"), render.stderr)
    }

    func testM11_aMalformedLockFileIsALocatedError() throws {
        try project.write(
            "nbgitops.lock",
            "apiVersion: nbgitops.dev/v1alpha1\nkind: RefLock\nrefs:\n- url: \(Self.url)\n  ref: main\n  commit: 3f2a9c1\n")
        let render = try nbgitops(["render", "--env", "kubernetes"])
        XCTAssertEqual(render.status, 1, render.stderr)
        XCTAssertTrue(
            render.stderr.contains("nbgitops.lock:6:11: error[NBG183]: commit '3f2a9c1' is not a full lowercase commit SHA"),
            render.stderr)
        XCTAssertFalse(project.exists("gitops/kubernetes"), "nothing is written")
        // `lock` writes it again (what the error's help says).
        let lock = try nbgitops(["lock"])
        XCTAssertEqual(lock.status, 0, lock.stderr)
        XCTAssertTrue(lock.stderr.contains("note: nbgitops.lock is malformed"), lock.stderr)
        XCTAssertEqual(try nbgitops(["render", "--env", "kubernetes"]).status, 0)
    }

    /// Hostile lock files are located errors, never a crash: an alias, a list where a mapping
    /// belongs, a ref locked twice.
    func testM11_hostileLockFilesAreLocatedErrors() throws {
        let header = "apiVersion: nbgitops.dev/v1alpha1\nkind: RefLock\n"
        let entry = "- url: \(Self.url)\n  ref: main\n  commit: \(String(repeating: "a", count: 40))\n"
        let cases: [(String, String)] = [
            (header + "refs:\n- &e {url: x, ref: main, commit: y}\n- *e\n", "error[NBG005]"),
            ("- just\n- a list\n", "nbgitops.lock:1:1: error[NBG183]: nbgitops.lock is not a mapping"),
            (header + "refs:\n" + entry + entry, "nbgitops.lock:7:3: error[NBG183]: 'main' of \(Self.url) is locked twice"),
            (header + "refs: {url: x}\n", "nbgitops.lock:3:7: error[NBG183]: refs is not a list"),
        ]
        for (text, expected) in cases {
            try project.write("nbgitops.lock", text)
            let render = try nbgitops(["render", "--env", "kubernetes"])
            XCTAssertEqual(render.status, 1, render.stderr)
            XCTAssertTrue(render.stderr.contains(expected), "\(expected) not in:\n\(render.stderr)")
            XCTAssertFalse(render.stderr.contains("Fatal error"), render.stderr)
        }
    }

    func testM11_anUnresolvableRefIsAnErrorOfLock() throws {
        try project.write("specs/probe.yaml", spec(ref: "no-such-branch"))
        let lock = try nbgitops(["lock"])
        XCTAssertEqual(lock.status, 1, lock.stderr)
        XCTAssertTrue(
            lock.stderr.contains(
                "specs/probe.yaml:11:12: error[NBG184]: cannot resolve 'no-such-branch' of \(Self.url): the remote has no branch or tag 'no-such-branch'"
            ), lock.stderr)
    }
}
