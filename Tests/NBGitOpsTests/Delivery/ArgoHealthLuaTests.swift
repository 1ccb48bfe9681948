import Foundation
import XCTest

@testable import NBGitOps

/// The Argo CD health scripts of `templates/argocd/`, run by a real Lua 5.1 interpreter (Argo CD
/// embeds gopher-lua, a Lua 5.1) against sample objects in every phase. CI installs `lua5.1`
/// (`.ci/run`, the GitHub workflow); a machine without it skips these tests.
final class ArgoHealthLuaTests: XCTestCase {
    /// Skips before the test body runs: an `XCTSkip` thrown inside an assertion's argument
    /// would count as a failure. The README's set-up installs lua5.1, so CI never skips.
    override func setUpWithError() throws {
        if Self.luaPath == nil { throw RequiredTool.missing("lua5.1 is not installed (the README's set-up installs it)") }
    }

    struct Outcome: Equatable {
        var status: String
        var message: String
    }

    static let luaPath: String? = {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = "\(folder)/lua5.1"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    /// Lua source for a manifest value (tables with ["key"] = value).
    static func luaLiteral(_ node: ManifestNode) -> String {
        switch node {
        case .string(let text): return luaString(text)
        case .int(let value): return String(value)
        case .float(let text): return text
        case .bool(let value): return value ? "true" : "false"
        case .null: return "nil"
        case .map(let entries):
            return "{" + entries.map { "[\(luaString($0.key))] = \(luaLiteral($0.value))" }.joined(separator: ", ") + "}"
        case .list(let elements): return "{" + elements.map(luaLiteral).joined(separator: ", ") + "}"
        }
    }

    static func luaString(_ text: String) -> String {
        var result = "\""
        for character in text.unicodeScalars {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.unicodeScalars.append(character)
            }
        }
        return result + "\""
    }

    /// Runs `script` as Argo CD does: `obj` is a global holding the live object; the chunk
    /// returns the health table.
    func health(_ script: String, _ object: ManifestNode) throws -> Outcome {
        let scriptPath = (repositoryRoot as NSString).appendingPathComponent("templates/argocd/\(script)")
        return try Self.run(loader: "loadfile(\(Self.luaString(scriptPath)))", object)
    }

    /// As `health`, for a script's text (as the rendered `argocd-cm` snippet holds it).
    static func health(text: String, _ object: ManifestNode) throws -> Outcome {
        try run(loader: "loadstring(\(Self.luaString(text)))", object)
    }

    private static func run(loader: String, _ object: ManifestNode) throws -> Outcome {
        guard let lua = Self.luaPath else { throw RequiredTool.missing("lua5.1 is not installed (CI installs it)") }
        let harness = """
            obj = \(luaLiteral(object))
            local check = assert(\(loader))
            local hs = check()
            io.write(tostring(hs.status), "\\n", tostring(hs.message), "\\n")
            """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-health-\(UUID().uuidString).lua")
        try harness.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: lua)
        process.arguments = [file.path]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, errorText)
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return Outcome(status: lines.first.map(String.init) ?? "", message: lines.count > 1 ? String(lines[1]) : "")
    }

    static func pipelineRun(_ condition: ManifestNode?) -> ManifestNode {
        var object: ManifestNode = [
            "apiVersion": "tekton.dev/v1", "kind": "PipelineRun", "metadata": ["name": "build-abc"],
            "spec": ["pipelineRef": ["name": "build"]],
        ]
        if let condition { object["status"] = ["conditions": [condition], "startTime": "2026-01-01T00:00:00Z"] }
        return object
    }

    func testPipelineRunInEveryPhase() throws {
        let script = ArgoHealthPlanner.pipelineRun.file
        XCTAssertEqual(
            try health(script, Self.pipelineRun(nil)),
            Outcome(status: "Progressing", message: "Waiting for the PipelineRun to start"))
        XCTAssertEqual(
            try health(
                script,
                Self.pipelineRun([
                    "type": "Succeeded", "status": "Unknown", "reason": "Running",
                    "message": "Tasks Completed: 0 (Failed: 0, Cancelled 0), Incomplete: 2, Skipped: 0",
                ])),
            Outcome(
                status: "Progressing", message: "Running: Tasks Completed: 0 (Failed: 0, Cancelled 0), Incomplete: 2, Skipped: 0")
        )
        XCTAssertEqual(
            try health(
                script, Self.pipelineRun(["type": "Succeeded", "status": "Unknown", "reason": "PipelineRunPending"])),
            Outcome(status: "Progressing", message: "PipelineRunPending"))
        XCTAssertEqual(
            try health(
                script,
                Self.pipelineRun([
                    "type": "Succeeded", "status": "True", "reason": "Succeeded",
                    "message": "Tasks Completed: 2 (Failed: 0, Cancelled 0), Skipped: 0",
                ])),
            Outcome(status: "Healthy", message: "Succeeded: Tasks Completed: 2 (Failed: 0, Cancelled 0), Skipped: 0"))
        XCTAssertEqual(
            try health(
                script,
                Self.pipelineRun([
                    "type": "Succeeded", "status": "False", "reason": "Failed",
                    "message": "Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 1",
                ])),
            Outcome(status: "Degraded", message: "Failed: Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 1"))
        XCTAssertEqual(
            try health(
                script,
                Self.pipelineRun([
                    "type": "Succeeded", "status": "False", "reason": "PipelineRunTimeout",
                    "message": "PipelineRun \"build-abc\" failed to finish within \"1h0m0s\"",
                ])),
            Outcome(
                status: "Degraded", message: "PipelineRunTimeout: PipelineRun \"build-abc\" failed to finish within \"1h0m0s\""))
        XCTAssertEqual(
            try health(script, Self.pipelineRun(["type": "Succeeded", "status": "False", "reason": "Cancelled"])),
            Outcome(status: "Degraded", message: "Cancelled"))
    }

    static func build(_ status: ManifestNode?) -> ManifestNode {
        var object: ManifestNode = [
            "apiVersion": "build.openshift.io/v1", "kind": "Build", "metadata": ["name": "notebook-image-1"],
            "spec": ["strategy": ["type": "Source"]],
        ]
        if let status { object["status"] = status }
        return object
    }

    func testBuildInEveryPhase() throws {
        let script = ArgoHealthPlanner.build.file
        XCTAssertEqual(
            try health(script, Self.build(nil)), Outcome(status: "Progressing", message: "Waiting for the build to start"))
        XCTAssertEqual(try health(script, Self.build(["phase": "New"])), Outcome(status: "Progressing", message: "New"))
        XCTAssertEqual(
            try health(script, Self.build(["phase": "Pending", "reason": "ExceededQuota"])),
            Outcome(status: "Progressing", message: "Pending: ExceededQuota"))
        XCTAssertEqual(try health(script, Self.build(["phase": "Running"])), Outcome(status: "Progressing", message: "Running"))
        XCTAssertEqual(try health(script, Self.build(["phase": "Complete"])), Outcome(status: "Healthy", message: "Complete"))
        XCTAssertEqual(
            try health(
                script, Self.build(["phase": "Failed", "reason": "GenericBuildFailed", "message": "Generic Build failure"])),
            Outcome(status: "Degraded", message: "Failed: Generic Build failure"))
        XCTAssertEqual(try health(script, Self.build(["phase": "Error"])), Outcome(status: "Degraded", message: "Error"))
        XCTAssertEqual(try health(script, Self.build(["phase": "Cancelled"])), Outcome(status: "Degraded", message: "Cancelled"))
    }

    static func imageStream(awaiting tag: String?, tags: ManifestNode?) -> ManifestNode {
        var metadata: ManifestNode = ["name": "notebook-image"]
        if let tag { metadata["annotations"] = ["nbgitops.dev/await-tag": .string(tag)] }
        var object: ManifestNode = [
            "apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": metadata,
            "spec": ["lookupPolicy": ["local": true]],
        ]
        if let tags { object["status"] = ["tags": tags] }
        return object
    }

    func testImageStreamWaitsForTheAwaitedTag() throws {
        let script = ArgoHealthPlanner.imageStream.file
        XCTAssertEqual(
            try health(script, Self.imageStream(awaiting: nil, tags: nil)), Outcome(status: "Healthy", message: "No tag awaited"))
        XCTAssertEqual(
            try health(script, Self.imageStream(awaiting: "nbgitops-1a2b", tags: nil)),
            Outcome(status: "Progressing", message: "Waiting for a build to push tag nbgitops-1a2b"))
        XCTAssertEqual(
            try health(
                script,
                Self.imageStream(
                    awaiting: "nbgitops-1a2b", tags: [["tag": "nbgitops-0000", "items": [["image": "sha256:aa"]]]])),
            Outcome(status: "Progressing", message: "Waiting for a build to push tag nbgitops-1a2b"))
        XCTAssertEqual(
            try health(
                script,
                Self.imageStream(
                    awaiting: "nbgitops-1a2b", tags: [["tag": "nbgitops-1a2b", "items": [["image": "sha256:bb"]]]])),
            Outcome(status: "Healthy", message: "Tag nbgitops-1a2b is built"))
    }

    static func claim(phase: String?, outside: Bool) -> ManifestNode {
        var metadata: ManifestNode = ["name": "models"]
        if outside { metadata["annotations"] = ["nbgitops.dev/first-consumer": "outside"] }
        var object: ManifestNode = ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata]
        if let phase { object["status"] = ["phase": .string(phase)] }
        return object
    }

    /// B2: a claim no pod of the output mounts is Healthy while Pending (a WaitForFirstConsumer
    /// claim stays Pending until its consumer exists); every other claim as Argo CD's built-in
    /// check (gitops-engine `pkg/health/health_pvc.go`) judges it.
    func testB2_pvcHealthIsHealthyWhilePendingOnlyForClaimsConsumedOutside() throws {
        let script = ArgoHealthPlanner.persistentVolumeClaim.file
        XCTAssertEqual(ArgoHealthPlanner.persistentVolumeClaim.dataKey, "resource.customizations.health.PersistentVolumeClaim")
        XCTAssertEqual(try health(script, Self.claim(phase: "Pending", outside: true)).status, "Healthy")
        XCTAssertEqual(try health(script, Self.claim(phase: nil, outside: true)).status, "Healthy")
        XCTAssertEqual(try health(script, Self.claim(phase: "Pending", outside: false)).status, "Progressing")
        XCTAssertEqual(try health(script, Self.claim(phase: "Bound", outside: false)).status, "Healthy")
        XCTAssertEqual(try health(script, Self.claim(phase: "Bound", outside: true)).status, "Healthy")
        XCTAssertEqual(try health(script, Self.claim(phase: "Lost", outside: true)).status, "Degraded")
        XCTAssertEqual(try health(script, Self.claim(phase: "Lost", outside: false)).status, "Degraded")
    }

    static func job(_ conditions: [[String: String]], ours: Bool = true) -> ManifestNode {
        var labels: ManifestNode = ["app": "other"]
        if ours {
            labels = ["app.kubernetes.io/managed-by": "nbgitops", "app.kubernetes.io/name": "notebook-validation"]
        }
        var object: ManifestNode = [
            "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "churn-b0e68fd2", "labels": labels],
        ]
        if !conditions.isEmpty { object["status"] = ["conditions": .list(conditions.map { .strings($0) })] }
        return object
    }

    /// The Job check names a validation Job's failure from the exit code its FailJob rules put
    /// in the Failed condition, and judges every other Job as Argo CD's built-in check does.
    func testJobNamesTheValidationFailure() throws {
        let script = ArgoHealthPlanner.job.file
        let failJob = "Container validate for pod ns/churn-b0e68fd2-x7k2p failed with exit code 4 matching FailJob rule at index 3"
        XCTAssertEqual(
            try health(script, Self.job([["type": "Failed", "status": "True", "reason": "PodFailurePolicy", "message": failJob]])),
            Outcome(
                status: "Degraded",
                message:
                    "notebook validation failed: the output differs from the golden notebook (exit code 4); run `nbgitops results` for the cells"
            ))
        XCTAssertEqual(
            try health(
                script,
                Self.job([
                    [
                        "type": "Failed", "status": "True", "reason": "PodFailurePolicy",
                        "message": failJob.replacingOccurrences(of: "code 4", with: "code 1"),
                    ]
                ])),
            Outcome(
                status: "Degraded",
                message: "notebook validation failed: the notebook raised an error (exit code 1); run `nbgitops results` for the cells"))
        XCTAssertEqual(
            try health(
                script,
                Self.job([
                    [
                        "type": "Failed", "status": "True", "reason": "DeadlineExceeded",
                        "message": "Job was active longer than specified deadline",
                    ]
                ])),
            Outcome(
                status: "Degraded",
                message: "notebook validation ran past its deadline (activeDeadlineSeconds): Job was active longer than specified deadline"))
        XCTAssertEqual(
            try health(
                script,
                Self.job([
                    [
                        "type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                    ]
                ])),
            Outcome(
                status: "Degraded",
                message: "notebook validation failed (BackoffLimitExceeded): Job has reached the specified backoff limit"))
        XCTAssertEqual(
            try health(script, Self.job([["type": "Complete", "status": "True", "message": "Reached expected number of succeeded pods"]])),
            Outcome(status: "Healthy", message: "notebook validation passed"))
        XCTAssertEqual(try health(script, Self.job([])), Outcome(status: "Progressing", message: ""))
        // Any other Job: exactly gitops-engine's getBatchv1JobHealth.
        XCTAssertEqual(
            try health(
                script,
                Self.job(
                    [["type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"]],
                    ours: false)),
            Outcome(status: "Degraded", message: "Job has reached the specified backoff limit"))
        XCTAssertEqual(
            try health(script, Self.job([["type": "Complete", "status": "True", "message": "done"]], ours: false)),
            Outcome(status: "Healthy", message: "done"))
        XCTAssertEqual(
            try health(script, Self.job([["type": "Suspended", "status": "True", "message": "Job suspended"]], ours: false)),
            Outcome(status: "Suspended", message: ""))
    }

    func testLuaLiteralEscapes() {
        XCTAssertEqual(
            Self.luaLiteral(["a\"b": "x\ny", "n": 1, "l": [true]]), "{[\"a\\\"b\"] = \"x\\ny\", [\"n\"] = 1, [\"l\"] = {true}}")
    }
}
