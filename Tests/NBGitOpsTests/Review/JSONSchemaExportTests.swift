import Foundation
import XCTest

@testable import NBGitOps

/// `nbgitops schema`: generated from the decoder's schemas; every example validates against it
/// (with the oracle venv's python jsonschema), and a wrong overlay does not.
final class JSONSchemaExportTests: XCTestCase {
    /// The manifest oracle's venv in the checkout (`.ci/run` creates it before the tests).
    static let python = repositoryRoot + "/.venv-oracle/bin/python"

    func testSchemaMirrorsTheDecoderSchemas() throws {
        let all = JSONSchemaExport.schema(.all)
        XCTAssertEqual(all["$schema"] as? String, JSONSchemaExport.draft)
        let overlay = JSONSchemaExport.schema(.overlay)
        let spec = try XCTUnwrap((overlay["properties"] as? [String: Any])?["spec"] as? [String: Any])
        let platform = try XCTUnwrap((spec["properties"] as? [String: Any])?["platform"] as? [String: Any])
        // `platform`: the platform's name, or the mapping of its facts (docs/platforms.md).
        let forms = try XCTUnwrap(platform["anyOf"] as? [[String: Any]])
        XCTAssertEqual(forms.first?["enum"] as? [String], ["openshift", "kubernetes"])
        XCTAssertEqual(forms.last?["type"] as? String, "object")
        XCTAssertEqual(forms.last?["additionalProperties"] as? Bool, false)
        XCTAssertEqual(spec["additionalProperties"] as? Bool, false)
        let delivery = try XCTUnwrap((spec["properties"] as? [String: Any])?["delivery"] as? [String: Any])
        let syncOptions = try XCTUnwrap((delivery["properties"] as? [String: Any])?["syncOptions"] as? [String: Any])
        XCTAssertEqual(
            (syncOptions["items"] as? [String: Any])?["pattern"] as? String,
            CRDSchemas.overlaySpec?.properties["delivery"]?.properties["syncOptions"]?.items?.pattern)
        // The CRD's timeout default reaches the editor.
        let job = JSONSchemaExport.schema(.spec)
        let jobSpec = try XCTUnwrap((job["properties"] as? [String: Any])?["spec"] as? [String: Any])
        let timeout = try XCTUnwrap((jobSpec["properties"] as? [String: Any])?["timeout"] as? [String: Any])
        XCTAssertEqual(timeout["default"] as? String, "30m")
        // Deterministic text.
        XCTAssertEqual(JSONSchemaExport.render(.all), JSONSchemaExport.render(.all))
    }

    func testEveryExampleValidatesAndABadOverlayDoesNot() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            throw RequiredTool.missing(
                "the oracle venv (\(Self.python)) with jsonschema is not available; run ../shared/tools/manifest-oracle/manifest-oracle once"
            )
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let schemaFile = folder.appendingPathComponent("schema.json").path
        try JSONSchemaExport.render(.all).write(toFile: schemaFile, atomically: true, encoding: .utf8)
        let validator = folder.appendingPathComponent("validate.py").path
        try Self.validatorScript.write(toFile: validator, atomically: true, encoding: .utf8)

        let manager = FileManager.default
        var files = ["nbgitops.yaml"]
        for directory in ["overlays", "examples/overlays", "examples/specs"] {
            let names = try manager.contentsOfDirectory(atPath: (repositoryRoot as NSString).appendingPathComponent(directory))
            files += names.filter { $0.hasSuffix(".yaml") }.sorted().map { "\(directory)/\($0)" }
        }
        let good = try run([validator, schemaFile] + files)
        XCTAssertEqual(good.status, 0, good.output)
        XCTAssertTrue(good.output.hasSuffix("schema: \(good.output.split(separator: " ")[1]) documents, 0 errors\n"), good.output)
        XCTAssertGreaterThanOrEqual(files.count, 15)

        let bad = folder.appendingPathComponent("bad.yaml").path
        try """
        apiVersion: nbgitops.dev/v1alpha1
        kind: Overlay
        spec:
          platform: windows
          storage: {acessMode: ReadWriteOnce}
        ---
        apiVersion: mlops.mlops.dev/v1alpha1
        kind: NotebookValidationJob
        metadata: {name: x}
        spec:
          notebook: {git: {url: https://github.com/org/repo.git, ref: main}, path: a.ipynb}
          podConfig: {containerImage: quay.io/jupyter/minimal-notebook:2024-05-27, restartPolicyy: Never}
        """.write(toFile: bad, atomically: true, encoding: .utf8)
        let failing = try run([validator, schemaFile, bad])
        XCTAssertEqual(failing.status, 1, failing.output)
        XCTAssertTrue(
            failing.output.contains("spec.platform: 'windows' is not valid under any of the given schemas"), failing.output)
        XCTAssertTrue(failing.output.contains("'acessMode' was unexpected"), failing.output)
        XCTAssertTrue(failing.output.contains("'restartPolicyy' was unexpected"), failing.output)
        XCTAssertTrue(failing.output.hasSuffix("schema: 2 documents, 3 errors\n"), failing.output)
    }

    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// YAML as Kubernetes reads it (no timestamp conversion), every document validated.
    static let validatorScript = """
        import json, sys, yaml, jsonschema
        class Loader(yaml.SafeLoader):
            pass
        Loader.yaml_implicit_resolvers = {
            key: [r for r in value if r[0] != 'tag:yaml.org,2002:timestamp']
            for key, value in yaml.SafeLoader.yaml_implicit_resolvers.items()}
        validator = jsonschema.Draft7Validator(json.load(open(sys.argv[1])))
        errors = documents = 0
        for path in sys.argv[2:]:
            for index, document in enumerate(yaml.load_all(open(path), Loader=Loader)):
                if document is None:
                    continue
                documents += 1
                for error in sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]):
                    errors += 1
                    print(f"{path}:{index}: {'.'.join(map(str, error.absolute_path))}: {error.message}")
        print(f"schema: {documents} documents, {errors} errors")
        sys.exit(1 if errors else 0)

        """
}
