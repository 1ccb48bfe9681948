import XCTest

@testable import NBGitOps

final class SpecDecoderTests: XCTestCase {
    func testValidJobDecodesWithCRDDefaults() throws {
        let (set, messages) = decodeSpecs(jobSpec())
        XCTAssertEqual(messages, [])
        let job = try XCTUnwrap(set.jobs.first)
        XCTAssertEqual(job.name.value, "demo")
        XCTAssertEqual(job.timeoutSeconds.value, 1800)
        XCTAssertEqual(job.comparisonConfig["strategy"], "normalized")
        XCTAssertEqual(job.comparisonConfig["floatingPointTolerance"], "0.0001")
        XCTAssertEqual(job.validationConfig["level"], "development")
        XCTAssertEqual(job.notebook.git.transport, .https)
        XCTAssertNil(job.podConfig.serviceAccountName)
    }

    func testOlderAPIGroupIsAccepted() {
        let text = jobSpec().replacingOccurrences(of: "mlops.mlops.dev/v1alpha1", with: "mlops.redhat.com/v1alpha1")
        XCTAssertEqual(decodeSpecs(text).1, [])
    }

    func testMissingContainerImageIsLocated() {
        let text = jobSpec().replacingOccurrences(of: "    containerImage: quay.io/jupyter/minimal-notebook:2024-05-27\n", with: "    serviceAccountName: runner\n")
        let messages = decodeSpecs(text).1
        XCTAssertEqual(messages.first?.components(separatedBy: "\n").first,
            "spec.yaml:12:5: error[NBG103]: missing required field 'containerImage' in 'spec.podConfig'")
    }

    func testUnknownFieldSuggestsTheRightOne() {
        let messages = decodeSpecs(jobSpec(extraPodConfig: "    containerImag: x")).1
        XCTAssertEqual(messages.first, """
            spec.yaml:13:5: error[NBG102]: unknown field 'containerImag' in 'spec.podConfig'
              help: did you mean 'containerImage'?
            """)
    }

    func testWrongTypesAndEnums() {
        let messages = decodeSpecs(jobSpec(extraSpec: "  timeout: 30\n  comparisonConfig:\n    strategy: fuzzy\n    ignoreTimestamps: \"yes\"")).1
        XCTAssertTrue(messages.contains { $0.hasPrefix("spec.yaml:14:12: error[NBG107]: 'spec.timeout' must be a string") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix("spec.yaml:16:15: error[NBG104]: 'spec.comparisonConfig.strategy' must be one of exact, normalized, found 'fuzzy'") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix("spec.yaml:17:23: error[NBG101]: 'spec.comparisonConfig.ignoreTimestamps' must be a boolean") }, "\(messages)")
    }

    func testGitURLRefAndPathChecks() {
        func message(_ url: String, _ ref: String, _ path: String) -> [String] {
            let text = jobSpec().replacingOccurrences(of: "https://github.com/org/repo.git", with: url)
                .replacingOccurrences(of: "ref: main", with: "ref: \(ref)")
                .replacingOccurrences(of: "notebooks/demo.ipynb", with: path)
            return decodeSpecs(text).1
        }
        XCTAssertEqual(message("https://github.com/org/repo.git", "0123456789abcdef0123456789abcdef01234567", "a/b.ipynb"), [])
        XCTAssertEqual(message("git@github.com:org/repo.git", "v1.0.0", "b.ipynb"), [])
        XCTAssertTrue(message("ftp://host/repo", "main", "a.ipynb").first?.contains("error[NBG105]") ?? false)
        XCTAssertTrue(message("https://user:tok3n@github.com/org/r.git", "main", "a.ipynb").first?.contains("error[NBG140]: git URL carries credentials") ?? false)
        XCTAssertFalse(message("https://user:tok3n@github.com/org/r.git", "main", "a.ipynb").joined().contains("tok3n"))
        XCTAssertTrue(message("https://github.com/org/r.git", "bad..ref", "a.ipynb").first?.contains("error[NBG111]") ?? false)
        XCTAssertTrue(message("https://github.com/org/r.git", "main", "../escape.ipynb").first?.contains("error[NBG112]: notebook path '../escape.ipynb' escapes the repository") ?? false)
        XCTAssertTrue(message("https://github.com/org/r.git", "main", "notes.txt").first?.contains("error[NBG105]") ?? false)
    }

    func testVolumeWebhookRules() {
        let pod = """
                volumes:
                - name: data
                  emptyDir: {}
                - name: data
                  configMap:
                    name: c
                - name: both
                  emptyDir: {}
                  secret:
                    secretName: s
                - name: host
                  hostPath:
                    path: /etc
                volumeMounts:
                - name: data
                  mountPath: /data
                - name: missing
                  mountPath: /data/
            """
        let messages = decodeSpecs(jobSpec(extraPodConfig: pod)).1.map { $0.components(separatedBy: "\n")[0] }
        XCTAssertTrue(messages.contains("spec.yaml:16:13: error[NBG120]: volume name 'data' is used twice"), "\(messages)")
        XCTAssertFalse(messages.contains { $0.contains("volume 'host' has no source") }, "hostPath is reported once, by its own rule")
        XCTAssertTrue(messages.contains { $0.hasPrefix("spec.yaml:19:7: error[NBG121]: volume 'both' has 2 sources") }, "\(messages)")
        XCTAssertTrue(messages.contains("spec.yaml:24:7: error[NBG125]: hostPath volumes are not allowed"), "\(messages)")
        XCTAssertTrue(messages.contains("spec.yaml:29:13: error[NBG122]: volume mount names volume 'missing', which is not declared"), "\(messages)")
        XCTAssertTrue(messages.contains("spec.yaml:30:18: error[NBG123]: mount path '/data/' is used twice"), "\(messages)")
    }

    func testModeBoundsFromCRD() {
        let pod = "    volumes:\n    - name: c\n      configMap:\n        name: x\n        defaultMode: 0o1777\n    volumeMounts:\n    - name: c\n      mountPath: /c"
        let messages = decodeSpecs(jobSpec(extraPodConfig: pod)).1
        XCTAssertTrue(messages.first?.hasPrefix("spec.yaml:17:22: error[NBG106]: 'spec.podConfig.volumes[0].configMap.defaultMode' must be at most 511") ?? false, "\(messages)")
    }

    func testUnimplementedBuildStrategiesAreLocatedErrors() {
        for strategy in ["kaniko", "shipwright", "custom"] {
            let messages = decodeSpecs(jobSpec(extraPodConfig: "    buildConfig:\n      enabled: true\n      strategy: \(strategy)")).1
            XCTAssertEqual(messages.first?.components(separatedBy: "\n"), [
                "spec.yaml:15:17: error[NBG150]: build strategy '\(strategy)' is not implemented by nbgitops",
                "  help: use strategy: tekton (Kubernetes and OpenShift) or strategy: s2i (OpenShift only)",
            ])
        }
        // Disabled builds of any strategy, and the implemented strategies, decode cleanly.
        XCTAssertEqual(decodeSpecs(jobSpec(extraPodConfig: "    buildConfig:\n      enabled: false\n      strategy: kaniko")).1, [])
        XCTAssertEqual(decodeSpecs(jobSpec(extraPodConfig: "    buildConfig:\n      enabled: true\n      strategy: tekton")).1, [])
        XCTAssertEqual(decodeSpecs(jobSpec(extraPodConfig: "    buildConfig:\n      enabled: true")).1, [], "s2i (the CRD default)")
    }

    func testBuildConfigFieldsAndDefaultsAreDecoded() throws {
        let pod = "    buildConfig:\n      enabled: true\n      strategy: tekton\n      requirementsFile: a/requirements.txt\n"
            + "      requirementsSources: [b.txt, c/d.txt]\n      preferDockerfile: true\n      timeout: 1h30m\n      fallbackStrategy: fail"
        let (set, messages) = decodeSpecs(jobSpec(extraPodConfig: pod))
        XCTAssertEqual(messages, [])
        let build = try XCTUnwrap(set.jobs.first?.podConfig.buildConfig)
        XCTAssertEqual(build.requirementsFile?.value, "a/requirements.txt")
        XCTAssertEqual(build.requirementsSources.map(\.value), ["b.txt", "c/d.txt"])
        XCTAssertTrue(build.preferDockerfile)
        XCTAssertTrue(build.autoGenerateRequirements, "CRD default")
        XCTAssertEqual(build.baseImage.value, "quay.io/jupyter/minimal-notebook:latest", "CRD default")
        XCTAssertEqual(build.timeoutSeconds.value, 5400)
        XCTAssertEqual(build.fallbackStrategy, "fail")
        XCTAssertNil(build.dockerfile)
    }

    func testBuildPathsMustStayInsideTheRepository() {
        let pod = "    buildConfig:\n      enabled: true\n      strategy: tekton\n      requirementsFile: ../secrets.txt"
        let messages = decodeSpecs(jobSpec(extraPodConfig: pod)).1
        XCTAssertEqual(messages.first?.components(separatedBy: "\n").first,
            "spec.yaml:16:25: error[NBG105]: build path '../secrets.txt' must be a relative path inside the repository")
    }

    /// One mistake, one error: a misspelt required field is NBG102 with a suggestion, not also
    /// NBG103 for the field it was meant to be; a `.py` notebook path is the schema's NBG105 only.
    func testOneMistakeGivesOneError() {
        let misspelt = jobSpec().replacingOccurrences(of: "  notebook:\n", with: "  notebok:\n")
        let (_, typo) = decodeSpecs(misspelt)
        XCTAssertEqual(typo.count, 1, "\(typo)")
        XCTAssertEqual(
            typo.first?.components(separatedBy: "\n"),
            ["spec.yaml:6:3: error[NBG102]: unknown field 'notebok' in 'spec'", "  help: did you mean 'notebook'?"])
        // A field that is really missing (nothing suggests it) is still NBG103.
        let missing = jobSpec().replacingOccurrences(of: "  notebook:\n", with: "  unrelatedThing:\n")
        let (_, both) = decodeSpecs(missing)
        XCTAssertTrue(both.contains { $0.contains("error[NBG103]: missing required field 'notebook' in 'spec'") }, "\(both)")

        let python = jobSpec().replacingOccurrences(of: "notebooks/demo.ipynb", with: "notebooks/demo.py")
        let (_, path) = decodeSpecs(python)
        XCTAssertEqual(path.count, 1, "\(path)")
        XCTAssertTrue(path.first?.hasPrefix("spec.yaml:10:11: error[NBG105]: 'spec.notebook.path' value 'notebooks/demo.py'") ?? false, "\(path)")
        // A path the pattern accepts but that names no notebook file is still NBG112.
        let (_, bare) = decodeSpecs(jobSpec().replacingOccurrences(of: "notebooks/demo.ipynb", with: "notebooks/.ipynb"))
        XCTAssertEqual(bare.count, 1, "\(bare)")
        XCTAssertTrue(bare.first?.contains("error[NBG112]: notebook path 'notebooks/.ipynb' does not name a .ipynb file") ?? false, "\(bare)")
    }

    func testSecretWithLiteralDataIsRefusedWithoutEchoingIt() {
        let text = jobSpec() + "\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: hunter2\n"
        let messages = decodeSpecs(text).1
        XCTAssertTrue(messages.first?.contains("spec.yaml:20:1: error[NBG140]: Secret 'creds' carries literal stringData") ?? false, "\(messages)")
        XCTAssertFalse(messages.joined().contains("hunter2"))
    }

    func testCredentialLikeEnvLiteralIsRefused() {
        let messages = decodeSpecs(jobSpec(extraPodConfig: "    env:\n    - name: API_TOKEN\n      value: abc123")).1
        XCTAssertTrue(messages.first?.contains("error[NBG140]: env 'API_TOKEN' carries a literal value") ?? false, "\(messages)")
        XCTAssertFalse(messages.joined().contains("abc123"))
    }

    func testSupportingObjectsPassAndClusterScopedAreRefused() {
        let text = jobSpec() + "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: x\n"
        let (set, messages) = decodeSpecs(text)
        XCTAssertEqual(set.supportingObjects.map(\.kind), ["ConfigMap"])
        XCTAssertTrue(messages.first?.contains("error[NBG135]: ClusterRole is cluster-scoped") ?? false, "\(messages)")
    }

    func testNamesThatCannotBeResourceNames() {
        let long = String(repeating: "a", count: 64)
        XCTAssertTrue(decodeSpecs(jobSpec(name: long)).1.first?.contains("error[NBG130]") ?? false)
        XCTAssertTrue(decodeSpecs(jobSpec(name: "Bad_Name")).1.first?.contains("error[NBG130]") ?? false)
        XCTAssertEqual(decodeSpecs(jobSpec(name: "on")).1.first?.components(separatedBy: "\n").first, "spec.yaml:4:9: error[NBG107]: 'metadata.name' must be a string, found a boolean")
        XCTAssertEqual(decodeSpecs(jobSpec(name: "123")).1.first?.components(separatedBy: "\n").first, "spec.yaml:4:9: error[NBG107]: 'metadata.name' must be a string, found an integer")
    }

    func testDuplicateJobsAcrossDocuments() {
        let messages = decodeSpecs(jobSpec() + "\n---\n" + jobSpec()).1
        XCTAssertTrue(messages.contains { $0.contains("error[NBG132]: NotebookValidationJob 'demo' is defined twice") })
    }

    func testDocumentThatIsNotAMapping() {
        XCTAssertTrue(decodeSpecs("- a\n- b\n").1.first?.hasPrefix("spec.yaml:1:1: error[NBG100]") ?? false)
    }

    func testDurations() {
        XCTAssertEqual(Durations.seconds("1h30m"), 5400)
        XCTAssertEqual(Durations.seconds("500ms"), 1)
        XCTAssertEqual(Durations.seconds("2.5h"), 9000)
        XCTAssertNil(Durations.seconds("10x"))
        XCTAssertNil(Durations.seconds("m"))
    }

    func testSecretMaterialInOtherSupportingObjectsIsRefused() {
        let store = "apiVersion: external-secrets.io/v1beta1\nkind: SecretStore\nmetadata:\n  name: s\nspec:\n  provider:\n    fake:\n      data:\n      - key: k\n        value: s3cr3t\n"
        let messages = decodeSpecs(store).1
        XCTAssertEqual(messages.first?.components(separatedBy: "\n").first,
            "spec.yaml:8:7: error[NBG140]: SecretStore uses the External Secrets 'fake' provider, which stores secret values in git")
        XCTAssertFalse(messages.joined().contains("s3cr3t"))
        let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        env:\n        - name: DB_PASSWORD\n          value: hunter2\n"
        XCTAssertEqual(decodeSpecs(deployment).1.first?.components(separatedBy: "\n").first,
            "spec.yaml:12:18: error[NBG140]: env 'DB_PASSWORD' carries a literal value that looks like a credential")
        let reference = "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: e\nspec:\n  data:\n  - secretKey: password\n    remoteRef:\n      key: db\n      property: password\n"
        XCTAssertEqual(decodeSpecs(reference).1, [])
    }
}
