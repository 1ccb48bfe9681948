import Foundation
import XCTest

/// Hostile and malformed inputs through the real executable: each must end, within five
/// seconds, in exit 1 with a located `file:line:col: error[NBGnnn]` line and nothing written;
/// a few merely unusual ones must succeed.
final class HostileInputIntegrationTests: XCTestCase {
    static let timeLimit: TimeInterval = 5

    /// Renders `hostile/<name>` alone in ad-hoc mode and checks the common expectations of a refusal.
    @discardableResult
    private func expectRefusal(
        _ project: IntegrationProject, _ name: String, bytes: [UInt8], firstLine: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> CLIRun {
        try project.write("hostile/\(name)", bytes: bytes)
        let run = try project.run(
            ["render", "hostile/\(name)", "--overlay", "kubernetes", "--overlay", "rwo", "--output", "out-\(name)"],
            timeout: Self.timeLimit)
        XCTAssertFalse(run.timedOut, "\(name) took over \(Self.timeLimit) s", file: file, line: line)
        XCTAssertEqual(run.status, 1, "\(run)", file: file, line: line)
        XCTAssertEqual(run.stderrLines.first, firstLine, "\(name)", file: file, line: line)
        XCTAssertTrue(
            run.stderrLines.first.map(IntegrationCLI.isLocatedError) ?? false, "not located: \(run)", file: file,
            line: line)
        XCTAssertFalse(project.exists("out-\(name)"), "\(name): something was written", file: file, line: line)
        return run
    }

    func testAliasBombIsRefusedAtTheFirstAlias() throws {
        let project = try IntegrationProject()
        var lines = ["a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
        for index in 1..<names.count {
            let previous = names[index - 1]
            lines.append(
                "\(names[index]): &\(names[index]) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",")
                    + "]")
        }
        let column = (lines[1].firstIndex(of: "*").map { lines[1].distance(from: lines[1].startIndex, to: $0) } ?? 0) + 1
        try expectRefusal(
            project, "bomb.yaml", bytes: Array((lines.joined(separator: "\n") + "\n").utf8),
            firstLine: "hostile/bomb.yaml:2:\(column): error[NBG005]: aliases are not supported")
    }

    func testDeepNestingIsRefused() throws {
        let project = try IntegrationProject()
        let depth = 10_000
        let sequences = "a: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        // The mapping is level 1, so the 100th `[` (column 103) is level 101.
        try expectRefusal(
            project, "deep-sequences.yaml", bytes: Array(sequences.utf8),
            firstLine: "hostile/deep-sequences.yaml:1:103: error[NBG008]: nesting deeper than 100 levels")
        let mappings = String(repeating: "{a: ", count: depth) + "x" + String(repeating: "}", count: depth) + "\n"
        try expectRefusal(
            project, "deep-mappings.yaml", bytes: Array(mappings.utf8),
            firstLine: "hostile/deep-mappings.yaml:1:401: error[NBG008]: nesting deeper than 100 levels")
    }

    func testOversizedFileIsRefusedBeforeReading() throws {
        let project = try IntegrationProject()
        let size = 20 << 20
        var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        bytes[0] = UInt8(ascii: "#")
        bytes[1] = UInt8(ascii: " ")
        bytes[size - 1] = UInt8(ascii: "\n")
        try expectRefusal(
            project, "big.yaml", bytes: bytes,
            firstLine: "hostile/big.yaml:1:1: error[NBG008]: file is \(size) bytes, over the 16777216-byte input limit")
    }

    func testMalformedTextIsRefusedWhereItIs() throws {
        let project = try IntegrationProject()
        let spec = integrationJobSpec()

        var invalidUTF8 = Array(spec.replacingOccurrences(of: "team: qa", with: "team: q@a").utf8)
        if let at = invalidUTF8.firstIndex(of: UInt8(ascii: "@")) {
            invalidUTF8.replaceSubrange(at...at, with: [0xFF, 0xFE])
        }
        try expectRefusal(
            project, "bad-utf8.yaml", bytes: invalidUTF8,
            firstLine: "hostile/bad-utf8.yaml:6:12: error[NBG009]: input is not valid UTF-8 text (invalid leading UTF-8 octet)")

        try expectRefusal(
            project, "tab.yaml",
            bytes: Array(spec.replacingOccurrences(of: "  name: integration-probe", with: "\tname: integration-probe").utf8),
            firstLine: "hostile/tab.yaml:4:1: error[NBG003]: tab character in indentation")

        let duplicate = try expectRefusal(
            project, "duplicate.yaml",
            bytes: Array(
                spec.replacingOccurrences(of: "  name: integration-probe\n", with: "  name: integration-probe\n  name: other\n")
                    .utf8),
            firstLine: "hostile/duplicate.yaml:5:3: error[NBG004]: duplicate key 'name'")
        XCTAssertEqual(duplicate.stderrLines.dropFirst().first, "  note: hostile/duplicate.yaml:4:3: first defined here")

        try expectRefusal(
            project, "python-tag.yaml",
            bytes: Array(spec.replacingOccurrences(of: "team: qa", with: "team: !!python/object:os.system qa").utf8),
            firstLine:
                "hostile/python-tag.yaml:6:11: error[NBG007]: tag 'tag:yaml.org,2002:python/object:os.system' is not supported")

        try expectRefusal(
            project, "merge-key.yaml",
            bytes: Array(spec.replacingOccurrences(of: "    team: qa\n", with: "    team: qa\n    <<: {x: y}\n").utf8),
            firstLine: "hostile/merge-key.yaml:7:5: error[NBG006]: merge keys (`<<`) are not supported")

        try expectRefusal(
            project, "list.yaml",
            bytes: Array("- apiVersion: mlops.mlops.dev/v1alpha1\n  kind: NotebookValidationJob\n".utf8),
            firstLine: "hostile/list.yaml:1:1: error[NBG100]: document 0 is a list, expected a Kubernetes object (a mapping)")
    }

    func testOverlongJobNameIsRefusedAtTheName() throws {
        let project = try IntegrationProject()
        let name = String(repeating: "a", count: 70)
        try project.write("hostile/long-name.yaml", integrationJobSpec(name: name))
        let run = try project.run(
            ["render", "hostile/long-name.yaml", "--overlay", "kubernetes", "--overlay", "rwo", "--output", "out"],
            timeout: Self.timeLimit)
        XCTAssertFalse(run.timedOut)
        XCTAssertEqual(run.status, 1, "\(run)")
        let first = run.stderrLines.first ?? ""
        XCTAssertTrue(
            first.hasPrefix("hostile/long-name.yaml:4:9: error[NBG130]: ")
                || first.hasPrefix("hostile/long-name.yaml:4:9: error[NBG131]: "), "\(run)")
        XCTAssertTrue(first.contains(name), "the message names the offending name: \(first)")
        XCTAssertFalse(project.exists("out"))
    }

    /// Huge quantities in an overlay (models.registryLayerLimit: 8Ei, 2^63 bytes) once crashed
    /// `render` and `check` (SIGILL converting to Int): now a located NBG106 at the overlay line,
    /// exit 1, nothing written. A model whose derived timeout passes what Tekton accepts (1000Pi at
    /// 1 byte/s) renders with the timeout capped, and `check` agrees.
    func testHugeQuantitiesAreLocatedErrorsNotCrashes() throws {
        let project = try IntegrationProject()
        func pipeline(_ size: String) -> String {
            """
            apiVersion: nbgitops.dev/v1alpha1
            kind: ModelPipeline
            metadata:
              name: granite
            spec:
              source:
                huggingFace:
                  repo: ibm-granite/granite-3.1-2b-instruct
                  revision: 0123456789abcdef0123456789abcdef01234567
              size:
                model: \(size)
              delivery: modelcar
              serving:
                modelFormat: {name: vLLM}
                resources:
                  limits: {nvidia.com/gpu: "1"}
            """
        }
        func overlay(_ models: String) -> String {
            "apiVersion: nbgitops.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: huge\nspec:\n  models:\n" + models + "\n"
        }
        try project.write("huge/spec.yaml", pipeline("2Gi"))
        try project.write("huge/layer.yaml", overlay("    registryLayerLimit: 8Ei"))
        let overlays = ["--overlay", "openshift", "--overlay", "rwo", "--overlay", "gpu-taints", "--overlay", "argocd"]
        for command in ["render", "check"] {
            let run = try project.run(
                [command, "spec.yaml"] + overlays + ["--overlay", "layer.yaml", "--output", "out", "--name", "x"],
                in: project.path("huge"), timeout: 30)
            XCTAssertEqual(run.status, 1, "\(command): \(run)")
            XCTAssertEqual(
                run.stderrLines.first,
                "layer.yaml:7:25: error[NBG106]: models.registryLayerLimit '8Ei' is out of range: at most 2^63 - 1 (just under 8Ei)",
                command)
            XCTAssertFalse(project.exists("huge/out"), command)
        }

        try project.write("slow/spec.yaml", pipeline("1000Pi"))
        // OpenShift AI's KServe (no uidModelcar), else the ModelCar is refused (NBG290).
        try project.write(
            "slow/slow.yaml",
            overlay("    pushThroughput: \"1\"\n    registryLayerLimit: 1Ei") + "  kserve:\n    uidModelcar: unset\n")
        let arguments = ["spec.yaml"] + overlays + ["--overlay", "slow.yaml", "--output", "out", "--name", "x"]
        let render = try project.run(["render"] + arguments, in: project.path("slow"), timeout: 30)
        XCTAssertEqual(render.status, 0, "\(render)")
        let runs = project.files("slow/out").filter { $0.key.contains("pipelinerun-granite") }
        XCTAssertEqual(runs.count, 1, "\(runs.keys)")
        XCTAssertTrue(
            runs.values.first.map { String(decoding: $0, as: UTF8.self) }?.contains("pipeline: 2500000h0m0s") == true,
            "the derived timeout is capped below Go's longest duration")
        let check = try project.run(["check"] + arguments, in: project.path("slow"), timeout: 30)
        XCTAssertEqual(check.status, 0, "\(check)")

        // Two node pools of 2^63 - 1 nodes each: the node total saturates instead of overflowing.
        let pool = "    - name: NAME\n      count: 9223372036854775807\n      allocatable: {cpu: \"1\"}\n"
        try project.write(
            "pools/pools.yaml",
            "apiVersion: nbgitops.dev/v1alpha1\nkind: Overlay\nmetadata:\n  name: pools\nspec:\n  cluster:\n    nodePools:\n"
                + pool.replacingOccurrences(of: "NAME", with: "a") + pool.replacingOccurrences(of: "NAME", with: "b"))
        try project.write(
            "pools/spec.yaml", integrationJobSpec(name: "demo", podConfig: "    resources:\n      requests: {cpu: \"4\"}\n"))
        let pools = try project.run(
            ["render", "spec.yaml", "--overlay", "kubernetes", "--overlay", "rwo", "--overlay", "pools.yaml", "--output", "out"],
            in: project.path("pools"), timeout: 30)
        XCTAssertEqual(pools.status, 1, "\(pools)")
        XCTAssertTrue(
            pools.stderrLines.contains { $0.contains("error[NBG300]") && $0.contains("0/9223372036854775807 nodes are available") },
            "\(pools)")
    }

    func testCRLFLineEndingsRenderLikeLF() throws {
        let project = try IntegrationProject()
        // A multi-document spec with a literal block, so line endings inside scalars matter too.
        let source = try XCTUnwrap(project.read("examples/specs/04-volumes.yaml"))
        try project.write("lf/spec.yaml", source)
        try project.write("crlf/spec.yaml", source.replacingOccurrences(of: "\n", with: "\r\n"))
        for folder in ["lf", "crlf"] {
            let run = try project.run(
                ["render", "spec.yaml", "--overlay", "kubernetes", "--overlay", "rwo", "--output", "out", "--name", "x"],
                in: project.path(folder), timeout: Self.timeLimit)
            XCTAssertEqual(run.status, 0, "\(folder): \(run)")
        }
        let lf = project.files("lf/out")
        XCTAssertGreaterThan(lf.count, 3)
        assertIntegrationFilesEqual(lf, project.files("crlf/out"), "CRLF vs LF:")
        for (path, bytes) in project.files("crlf/out") {
            XCTAssertFalse(bytes.contains(0x0D), "\(path) contains a carriage return")
        }
    }

    func testEmptySpecFileAddsNothing() throws {
        let project = try IntegrationProject()
        try project.write("plain/a.yaml", integrationJobSpec())
        try project.write("with-empty/a.yaml", integrationJobSpec())
        try project.write("with-empty/empty.yaml", "")
        try project.write("with-empty/comments.yaml", "# only a comment\n---\n# and another\n...\n")
        let plain = try project.run(
            ["render", "a.yaml", "--overlay", "kubernetes", "--overlay", "rwo", "--output", "out", "--name", "x"],
            in: project.path("plain"), timeout: Self.timeLimit)
        XCTAssertEqual(plain.status, 0, "\(plain)")
        let withEmpty = try project.run(
            [
                "render", "empty.yaml", "a.yaml", "comments.yaml", "--overlay", "kubernetes", "--overlay", "rwo", "--output",
                "out", "--name", "x",
            ], in: project.path("with-empty"), timeout: Self.timeLimit)
        XCTAssertEqual(withEmpty.status, 0, "\(withEmpty)")
        XCTAssertEqual(withEmpty.stderr, plain.stderr)
        assertIntegrationFilesEqual(project.files("plain/out"), project.files("with-empty/out"), "empty spec files:")

        // The same in project mode: an empty file in the specs folder changes nothing.
        XCTAssertEqual(try project.run(["render"]).status, 0)
        let before = project.snapshot()
        try project.write("examples/specs/00-empty.yaml", "")
        let again = try project.run(["render"], timeout: Self.timeLimit)
        XCTAssertEqual(again.status, 0, "\(again)")
        assertSameTree(before, project.snapshot(), "empty spec file in project mode:")
    }

    func testSymlinkedSpecFileLeavingTheProjectIsRefused() throws {
        let project = try IntegrationProject()
        XCTAssertEqual(try project.run(["render"]).status, 0)
        let before = project.snapshot()
        let outside = project.base + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try integrationJobSpec(name: "from-outside").write(toFile: outside + "/evil.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: project.path("examples/specs/07-outside.yaml"), withDestinationPath: outside + "/evil.yaml")

        let run = try project.run(["render"], timeout: Self.timeLimit)
        XCTAssertFalse(run.timedOut)
        XCTAssertEqual(run.status, 1, "\(run)")
        let first = run.stderrLines.first ?? ""
        XCTAssertTrue(IntegrationCLI.isLocatedError(first), "\(run)")
        XCTAssertTrue(first.hasPrefix("nbgitops.yaml:"), "points at the project's specs entry: \(first)")
        XCTAssertTrue(first.contains("error[NBG163]: spec file '"), first)
        XCTAssertTrue(first.contains("07-outside.yaml' resolves outside the project (\(outside)/evil.yaml)"), first)
        assertSameTree(before, project.snapshot(), "symlink outside:")
        for (path, bytes) in project.files() {
            XCTAssertFalse(String(decoding: bytes, as: UTF8.self).contains("from-outside"), path)
        }

        // A link that stays inside the project is fine.
        try project.remove("examples/specs/07-outside.yaml")
        try project.write("elsewhere/inside.yaml", integrationJobSpec(name: "from-inside"))
        try FileManager.default.createSymbolicLink(
            atPath: project.path("examples/specs/07-inside.yaml"), withDestinationPath: project.path("elsewhere/inside.yaml"))
        let inside = try project.run(["render"], timeout: Self.timeLimit)
        XCTAssertEqual(inside.status, 0, "\(inside)")
        XCTAssertTrue(
            project.files().keys.contains { $0.hasPrefix("kubernetes/validation/5-job-from-inside-") },
            "the linked spec was compiled")
    }

    /// A symlinked *folder* inside the specs folder that points outside the project.
    func testSymlinkedSpecFolderLeavingTheProjectIsRefused() throws {
        let project = try IntegrationProject()
        XCTAssertEqual(try project.run(["render"]).status, 0)
        let before = project.snapshot()
        let outside = project.base + "/outside-folder"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try integrationJobSpec(name: "from-outside").write(toFile: outside + "/evil.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: project.path("examples/specs/linked"), withDestinationPath: outside)

        let run = try project.run(["render"], timeout: Self.timeLimit)
        XCTAssertFalse(run.timedOut)
        if run.status == 0 {
            let compiled = project.files().keys.contains { $0.contains("from-outside") }
            return XCTFail(
                "known bug (Sources/NBGitOps/Resolve/Project.swift, SpecFileFinder.find): a symlinked folder inside a "
                    + "specs folder is "
                    + (compiled ? "followed outside the project" : "silently skipped (its specs are not compiled)")
                    + "; expected a located NBG163 error like the one for a symlinked file")
        }
        XCTAssertEqual(run.status, 1, "\(run)")
        XCTAssertTrue(run.locatedErrors.contains { $0.contains("error[NBG163]") }, "\(run)")
        assertSameTree(before, project.snapshot(), "symlinked folder:")
    }

    /// A committed `specs/x -> /` link: reported at once, never a crawl of the whole file system.
    func testSymlinkToTheFileSystemRootIsReportedNotCrawled() throws {
        let project = try IntegrationProject()
        XCTAssertEqual(try project.run(["render"]).status, 0)
        let before = project.snapshot()
        try FileManager.default.createSymbolicLink(atPath: project.path("examples/specs/x"), withDestinationPath: "/")

        let run = try project.run(["render"], timeout: Self.timeLimit)
        XCTAssertFalse(run.timedOut, "the spec search crawled through the link: \(run)")
        XCTAssertEqual(run.status, 1, "\(run)")
        XCTAssertTrue(
            run.locatedErrors.contains {
                $0.hasPrefix("nbgitops.yaml:")
                    && $0.contains("error[NBG163]: spec folder 'examples/specs/x' resolves outside the project (to /)")
            }, "\(run)")
        XCTAssertEqual(run.locatedErrors.count, 1, "one error for the link, none per file behind it: \(run)")
        assertSameTree(before, project.snapshot(), "link to /:")
        let check = try project.run(["check"], timeout: Self.timeLimit)
        XCTAssertFalse(check.timedOut, "\(check)")
        XCTAssertEqual(check.status, 1, "\(check)")
    }
}
