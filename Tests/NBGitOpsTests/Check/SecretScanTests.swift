import Foundation
import XCTest

@testable import NBGitOps

/// NBG140's patterns: every one compiles, and one that does not is reported by name, never
/// dropped (a dropped pattern would silently disable its part of the check).
final class SecretPatternsTests: XCTestCase {
    func testEveryPatternCompiles() throws {
        let compiled = try SecretPatterns.compile(SecretPatterns.all)
        XCTAssertEqual(compiled.count, SecretPatterns.all.count)
        XCTAssertEqual(SecretPatterns.compiled.count, SecretPatterns.all.count)
        XCTAssertLessThanOrEqual(SecretPatterns.all.count, 64, "the prefilter's bit set holds 64 patterns")
        for pattern in SecretPatterns.all {
            XCTAssertFalse(pattern.markers.isEmpty, "\(pattern.kind) has no prefilter marker")
            XCTAssertTrue(pattern.markers.allSatisfy { $0.utf8.count >= 2 }, pattern.kind)
        }
    }

    func testABrokenPatternIsReportedNotDropped() {
        let good = SecretPatterns.Pattern(kind: "a good one", markers: ["ab"], regex: "ab+")
        let bad = SecretPatterns.Pattern(kind: "a broken one", markers: ["cd"], regex: "cd(+")
        XCTAssertThrowsError(try SecretPatterns.compile([good, bad])) { error in
            let error = error as? SecretPatterns.CompileError
            XCTAssertEqual(error?.kind, "a broken one")
            XCTAssertTrue(error?.description.contains("a broken one") ?? false)
        }
    }

    /// Values a real project holds that look a little like secrets.
    func testOrdinaryValuesAreNotSecrets() {
        let ordinary = [
            "quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2",
            "https://github.com/example-org/probe.git", "git@github.com:example-org/repo.git",
            "oci://image-registry.openshift-image-registry.svc:5000/ns/granite-2b:3c3f7e9a",
            "Basic authentication is not used", "Authorization: Bearer ${HF_TOKEN}",
            "headers = {'Authorization': f'Bearer {token}'}", "token = open(path).read().strip()",
            "TOKEN_FILE=/var/run/secrets/kubernetes.io/serviceaccount/token", "tokenizer_config.json",
            "secretName: git-ssh-credentials", "postgres://db.example.com:5432/app", "redis://redis:6379/0",
            "https://user@github.com/org/repo.git", "password: ${DB_PASSWORD}", "--max-model-len=8192",
            "sk-learn", "SG.example", "eyJ", "AIza", "npm_config_cache=/tmp/npm", "hf_transfer",
        ]
        for value in ordinary {
            XCTAssertNil(SecretPatterns.kind(of: value), value)
        }
        XCTAssertNil(SecretPatterns.kind(ofValue: "3c3f7e9a0d2b4a51f8e6c9d7b1a2e4f6c8d0b2a4", underKey: "tokenizer_sha"))
        XCTAssertNil(SecretPatterns.kind(ofValue: "notebook-results-s3-credentials", underKey: "secretName"))
        XCTAssertNil(SecretPatterns.kind(ofValue: "/var/run/secrets/hf/token123456", underKey: "HF_TOKEN_PATH"))
        XCTAssertNotNil(SecretPatterns.kind(ofValue: "q7Zx2Lm9Pv4Rt8Wn3Ks6", underKey: "DB_PASSWORD"))
    }
}

/// NBG140 through the whole pipeline: each class of secret in a spec or a passed-through
/// object ends in a located NBG140 error, nothing rendered, and the value printed in no
/// diagnostic format. The inputs are in the hostile corpus (`Fixtures/hostile/secret-*.yaml`,
/// each with its value on a `# secret:` comment line).
final class SecretScanPipelineTests: XCTestCase {
    static let corpus = repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/hostile"

    /// One sample per spec kind of `SpecKinds.all`, its secret in a field no other rule reads.
    static let kindSamples: [String: String] = [
        "NotebookValidationJob": "secret-job-annotation.yaml",
        "ModelPipeline": "secret-model-pipeline-args.yaml",
    ]

    /// The corpus file compiled as HostileCorpusTests compiles it (`TestPipeline`, both environments).
    static func compile(_ file: String) -> (diagnostics: [Diagnostic], files: [String: [OutputFile]]?) {
        let run = TestPipeline.run(
            [SpecFileFinder.Found(path: corpus + "/" + file, displayPath: "hostile/" + file)],
            environments: TestPipeline.openShiftAndKubernetes)
        return (run.sorted, run.output?.files)
    }

    static func secretValues(_ file: String) throws -> [String] {
        let text = try String(contentsOfFile: corpus + "/" + file, encoding: .utf8)
        return text.split(separator: "\n").filter { $0.hasPrefix("# secret: ") }.map { String($0.dropFirst(10)) }
    }

    func assertRefused(_ file: String, line: UInt = #line) throws {
        let values = try Self.secretValues(file)
        XCTAssertFalse(values.isEmpty, "\(file) names its secret on a '# secret:' line", line: line)
        let result = Self.compile(file)
        let errors = result.diagnostics.filter { $0.severity == .error }
        XCTAssertTrue(
            errors.contains { $0.id == .secretLiteral && $0.location?.file == "hostile/" + file },
            "\(file): expected a located NBG140 error, got \(result.diagnostics.map(\.rendered))", line: line)
        XCTAssertNil(result.files, "\(file): a run with a secret renders nothing", line: line)
        for format in DiagnosticFormat.allCases {
            let printed = DiagnosticFormatter.format(result.diagnostics, as: format, sourceRoot: repositoryRoot)
            for value in values {
                XCTAssertFalse(printed.contains(value), "\(file): the \(format) output echoes the secret", line: line)
            }
        }
    }

    // One test per class of secret the scan must find.
    func testCredentialURLInAnAnnotation() throws { try assertRefused("secret-url-annotation.yaml") }
    func testCredentialURLWithAnEmptyUser() throws { try assertRefused("secret-url-redis.yaml") }
    func testSlackWebhook() throws { try assertRefused("secret-slack-webhook.yaml") }
    func testStripeLiveKey() throws { try assertRefused("secret-stripe.yaml") }
    func testJSONWebToken() throws { try assertRefused("secret-jwt.yaml") }
    func testGoogleAPIKey() throws { try assertRefused("secret-google-api-key.yaml") }
    func testNpmToken() throws { try assertRefused("secret-npm-token.yaml") }
    func testOpenAIProjectKey() throws { try assertRefused("secret-openai-key.yaml") }
    func testSendGridKey() throws { try assertRefused("secret-sendgrid-key.yaml") }
    func testAzureConnectionString() throws { try assertRefused("secret-azure-connection-string.yaml") }
    func testBasicAuthorizationHeader() throws { try assertRefused("secret-basic-header.yaml") }
    func testBearerAuthorizationHeader() throws { try assertRefused("secret-bearer-header.yaml") }
    func testKubeconfigToken() throws { try assertRefused("secret-kubeconfig-token.yaml") }
    func testKubeconfigClientKeyData() throws { try assertRefused("secret-kubeconfig-client-key.yaml") }
    func testPEMKeyInBinaryData() throws { try assertRefused("secret-pem-binarydata.yaml") }
    func testGitHubTokenAsALabelValue() throws { try assertRefused("secret-ghp-label.yaml") }
    func testSecretInLastAppliedConfiguration() throws { try assertRefused("secret-last-applied.yaml") }
    func testRandomValueUnderACredentialKey() throws { try assertRefused("secret-credential-key-entropy.yaml") }
    func testModelPipelineVLLMArgument() throws { try assertRefused("secret-model-pipeline-args.yaml") }
    func testNotebookValidationJobAnnotation() throws { try assertRefused("secret-job-annotation.yaml") }

    /// The kinds NBG140 covers are `SpecKinds.all`: every kind of that list has its documents
    /// scanned and a sample proving it through the pipeline, so a new kind cannot be missed.
    func testEverySpecKindIsScanned() throws {
        XCTAssertFalse(SpecKinds.all.isEmpty)
        for entry in SpecKinds.all {
            XCTAssertNotNil(
                PlatformRules.specDocuments(ofKind: entry.kind, in: SpecSet()),
                "NBG140 does not scan \(entry.kind) documents (PlatformRules.specDocuments)")
            guard let sample = Self.kindSamples[entry.kind] else {
                XCTFail("no NBG140 sample for spec kind \(entry.kind): add one to SecretScanPipelineTests.kindSamples")
                continue
            }
            try assertRefused(sample)
            let result = Self.compile(sample)
            XCTAssertTrue(
                result.diagnostics.contains { $0.id == .secretLiteral && $0.message.hasPrefix("\(entry.kind) '") },
                "\(entry.kind): the finding names the spec document: \(result.diagnostics.map(\.rendered))")
        }
    }
}

/// NBG140 through the built binary: exit 1, nothing written, the value in no output.
final class SecretScanIntegrationTests: XCTestCase {
    static let hostileSecrets = [
        "secret-url-annotation.yaml", "secret-url-redis.yaml", "secret-slack-webhook.yaml", "secret-stripe.yaml",
        "secret-jwt.yaml", "secret-google-api-key.yaml", "secret-npm-token.yaml", "secret-openai-key.yaml",
        "secret-sendgrid-key.yaml", "secret-azure-connection-string.yaml", "secret-basic-header.yaml",
        "secret-bearer-header.yaml", "secret-kubeconfig-token.yaml", "secret-kubeconfig-client-key.yaml",
        "secret-pem-binarydata.yaml", "secret-ghp-label.yaml", "secret-last-applied.yaml",
        "secret-credential-key-entropy.yaml", "secret-model-pipeline-args.yaml", "secret-job-annotation.yaml",
    ]

    func testEverySecretClassFailsTheRunAndWritesNothing() throws {
        let project = try IntegrationProject()
        for (index, file) in Self.hostileSecrets.enumerated() {
            let source = SecretScanPipelineTests.corpus + "/" + file
            let text = try String(contentsOfFile: source, encoding: .utf8)
            try project.write(file, text)
            let values = try SecretScanPipelineTests.secretValues(file)
            let format = DiagnosticFormat.allCases[index % DiagnosticFormat.allCases.count]
            let run = try project.run([
                "render", file, "--overlay", "openshift", "--overlay", "rwo", "--output", "out-\(index)",
                "--diagnostics-format", format.rawValue,
            ])
            XCTAssertEqual(run.status, 1, "\(file): \(run)")
            XCTAssertTrue(run.stdout.contains("NBG140") || run.stderr.contains("NBG140"), "\(file) (\(format)): \(run)")
            XCTAssertFalse(project.exists("out-\(index)"), "\(file): nothing may be written")
            for value in values {
                XCTAssertFalse(run.stdout.contains(value) || run.stderr.contains(value), "\(file) (\(format)) echoes the secret")
            }
        }
    }

    /// An overlay value that reaches an object (here a GPU node selector, copied into the Job's
    /// pod) is scanned in the object it reaches, and located at the overlay.
    func testOverlayValueReachingAnObjectIsRefused() throws {
        let project = try IntegrationProject()
        let token = "ghp_Zy98Xw76Vu54Ts32Rq10Po98Nm76Lk54Ji32"
        try project.write(
            "leaky.yaml",
            """
            apiVersion: nbgitops.dev/v1alpha1
            kind: Overlay
            metadata:
              name: leaky
            spec:
              gpu:
                nodeSelector:
                  example.com/owner: \(token)

            """)
        let run = try project.run([
            "render", "examples/specs/05-gpu.yaml", "--overlay", "openshift", "--overlay", "rwo", "--overlay", "leaky.yaml",
            "--output", "out",
        ])
        XCTAssertEqual(run.status, 1, "\(run)")
        XCTAssertTrue(
            run.locatedErrors.contains { $0.hasPrefix("leaky.yaml:8:") && $0.contains("error[NBG140]") }, "\(run)")
        XCTAssertFalse(run.stdout.contains(token) || run.stderr.contains(token))
        XCTAssertFalse(project.exists("out"))
    }

    /// Ordinary values are not flagged: the example project and a freshly initialised one
    /// render with no NBG140.
    func testExampleAndInitProjectsHaveNoSecretFindings() throws {
        let project = try IntegrationProject()
        let run = try project.run(["render"])
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertFalse(run.stderr.contains("NBG140"), "\(run)")

        let fresh = try IntegrationProject(copy: [])
        let home = ["NBGITOPS_HOME": IntegrationProject.repositoryRoot]
        let initialise = try IntegrationCLI.run(
            ["init", "--repository-url", "https://git.example.com/org/gitops.git"], in: fresh.root, environment: home)
        XCTAssertEqual(initialise.status, 0, "\(initialise)")
        let rendered = try IntegrationCLI.run(["render"], in: fresh.root, environment: home)
        XCTAssertEqual(rendered.status, 0, "\(rendered)")
        XCTAssertFalse(rendered.stderr.contains("NBG140"), "\(rendered)")
    }
}
