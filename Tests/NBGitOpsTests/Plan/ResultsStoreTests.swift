import Foundation
import XCTest

@testable import NBGitOps

/// The results store (issue 14): where validation Jobs save the executed notebook, the full
/// report and the verdict — a claim or an S3-compatible bucket named by an overlay, or by a
/// spec's `nbgitops.dev/results` annotation — and the rules that keep it usable.
final class ResultsStoreTests: XCTestCase {
    static let base = ["kubernetes", "rwx", "flux", "examples/overlays/repository.yaml", "examples/overlays/site-defaults.yaml"]
    static let overlays = "Tests/NBGitOpsTests/Fixtures/overlays/"

    func spec(_ name: String = "demo", annotation: String? = nil) -> String {
        let text = jobSpec(name: name)
        guard let annotation else { return text }
        return text.replacingOccurrences(
            of: "  name: \(name)\n", with: "  name: \(name)\n  annotations:\n    nbgitops.dev/results: \"\(annotation)\"\n")
    }

    func job(_ text: String, overlays: [String]) throws -> ManifestNode {
        let plan = try compileSpecThroughPipeline(text, overlays: Self.base + overlays.map { Self.overlays + $0 })
        return try XCTUnwrap(plan.objects.first { $0.kind == "Job" }?.manifest)
    }

    func lines(_ text: String, overlays: [String], base: [String] = ResultsStoreTests.base, rules: Set<RuleID>) throws
        -> [String]
    {
        let (_, diagnostics) = try compileSpecWithDiagnostics(text, overlays: base + overlays.map { Self.overlays + $0 })
        return diagnostics.sorted.filter { rules.contains($0.id) }.map { $0.rendered.components(separatedBy: "\n")[0] }
    }

    static func env(_ job: ManifestNode) -> [String: String] {
        var result: [String: String] = [:]
        for variable in job.value(at: "spec.template.spec.containers[0].env")?.elements ?? [] {
            let name = variable["name"]?.stringValue ?? ""
            result[name] =
                variable["value"]?.stringValue ?? variable.value(at: "valueFrom.fieldRef.fieldPath")?.stringValue
        }
        return result
    }

    static func volume(_ job: ManifestNode, _ name: String) -> ManifestNode? {
        job.value(at: "spec.template.spec.volumes")?.elements?.first { $0["name"]?.stringValue == name }
    }

    static func mountPaths(_ job: ManifestNode, container: String) -> [String] {
        let containers =
            (job.value(at: "spec.template.spec.containers")?.elements ?? [])
            + (job.value(at: "spec.template.spec.initContainers")?.elements ?? [])
        let found = containers.first { $0["name"]?.stringValue == container }
        return (found?["volumeMounts"]?.elements ?? []).compactMap { $0["mountPath"]?.stringValue }
    }

    func testAClaimIsMountedInTheValidationContainerOnly() throws {
        let job = try job(spec(), overlays: ["results-claim.yaml"])
        XCTAssertEqual(
            Self.volume(job, "nbgitops-results"),
            ["name": "nbgitops-results", "persistentVolumeClaim": ["claimName": "notebook-results"]])
        XCTAssertTrue(Self.mountPaths(job, container: "validate").contains("/workspace/results"))
        XCTAssertFalse(Self.mountPaths(job, container: "git-clone").contains("/workspace/results"))
        let env = Self.env(job)
        XCTAssertEqual(env["NBG_RESULTS_DIR"], "/workspace/results/validations")
        XCTAssertEqual(env["NBG_RESULTS_LOCATION"], "pvc://notebook-results/validations")
        XCTAssertEqual(env["NBG_RESULTS_NAME"], "demo")
        XCTAssertEqual(env["NBG_JOB_NAME"], "metadata.labels['batch.kubernetes.io/job-name']")
        XCTAssertNil(env["NBG_RESULTS_S3_URL"])
    }

    func testABucketGetsItsSecretAsFilesAndNoStoreMeansNothingAdded() throws {
        let job = try job(spec(), overlays: ["results-s3.yaml"])
        XCTAssertEqual(
            Self.volume(job, "nbgitops-results-s3"),
            [
                "name": "nbgitops-results-s3",
                "secret": [
                    "secretName": "results-s3", "defaultMode": 0o400,
                    "items": [
                        ["key": "AWS_ACCESS_KEY_ID", "path": "AWS_ACCESS_KEY_ID"],
                        ["key": "AWS_SECRET_ACCESS_KEY", "path": "AWS_SECRET_ACCESS_KEY"],
                    ],
                ],
            ])
        XCTAssertEqual(Self.mountPaths(job, container: "validate").last, "/etc/nbgitops/results-s3")
        let env = Self.env(job)
        XCTAssertEqual(env["NBG_RESULTS_S3_URL"], "https://minio.example.com:9000/nb-results/ci")
        XCTAssertEqual(env["NBG_RESULTS_S3_REGION"], "us-east-1")
        XCTAssertEqual(env["NBG_RESULTS_S3_CREDENTIALS"], "/etc/nbgitops/results-s3")
        XCTAssertEqual(env["NBG_RESULTS_LOCATION"], "s3://nb-results/ci")
        XCTAssertFalse(env.keys.contains { $0.hasPrefix("AWS_") }, "credentials are never environment variables")

        let plain = try self.job(spec(), overlays: [])
        XCTAssertFalse(Self.env(plain).keys.contains { $0.hasPrefix("NBG_RESULTS") || $0 == "NBG_JOB_NAME" })
        XCTAssertNil(Self.volume(plain, "nbgitops-results"))
    }

    func testTheAnnotationOverridesOrOptsOut() throws {
        let own = try job(spec(annotation: "pvc://team-results/nightly"), overlays: ["results-s3.yaml"])
        XCTAssertEqual(Self.env(own)["NBG_RESULTS_LOCATION"], "pvc://team-results/nightly")
        XCTAssertEqual(Self.env(own)["NBG_RESULTS_DIR"], "/workspace/results/nightly")
        XCTAssertNil(Self.volume(own, "nbgitops-results-s3"))

        let bucket = try job(spec(annotation: "s3://team-bucket/runs"), overlays: ["results-s3-connection.yaml"])
        XCTAssertEqual(Self.env(bucket)["NBG_RESULTS_S3_URL"], "http://minio.minio.svc:9000/team-bucket/runs")
        XCTAssertEqual(Self.env(bucket)["NBG_RESULTS_S3_REGION"], "eu-west-1")

        let none = try job(spec(annotation: "none"), overlays: ["results-claim.yaml"])
        XCTAssertNil(Self.volume(none, "nbgitops-results"))
        XCTAssertNil(Self.env(none)["NBG_RESULTS_DIR"])
    }

    /// The Job's name hash covers the store: another store is another Job (it re-runs).
    func testTheStoreIsPartOfTheJobsContentHash() throws {
        let plain = try job(spec(), overlays: [])["metadata"]?["name"]?.stringValue
        let claim = try job(spec(), overlays: ["results-claim.yaml"])["metadata"]?["name"]?.stringValue
        XCTAssertNotEqual(plain, claim)
    }

    func testUnusableStoresAreNBG138AtTheirLine() throws {
        let rules: Set<RuleID> = [.resultsStore]
        XCTAssertEqual(
            try lines(spec(), overlays: ["results-bucket-without-secret.yaml"], rules: rules),
            [
                "Tests/NBGitOpsTests/Fixtures/overlays/results-bucket-without-secret.yaml:9:15: error[NBG138]: environment 'test' saves results to the bucket 'nb-results' but names no credentials"
            ])
        XCTAssertEqual(
            try lines(spec(), overlays: ["results-claim.yaml", "results-claim-and-bucket.yaml"], rules: rules),
            [
                "Tests/NBGitOpsTests/Fixtures/overlays/results-claim-and-bucket.yaml:9:15: error[NBG138]: environment 'test' names both a results claim and the bucket 'nb-results'; validation Jobs save to one store"
            ])
        XCTAssertEqual(
            try lines(spec(annotation: "s3://team-bucket"), overlays: [], rules: rules),
            [
                "spec.yaml:6:27: error[NBG138]: 'demo' saves its results to the bucket 'team-bucket', but environment 'test' names no credentials for it"
            ])
        XCTAssertEqual(
            try lines(spec(annotation: "pvc://results/../etc"), overlays: [], rules: rules),
            [
                "spec.yaml:6:27: error[NBG138]: annotation nbgitops.dev/results of 'demo' is malformed: the path '../etc' must be relative, without empty, '.' or '..' segments"
            ])
        XCTAssertEqual(
            try lines(spec(annotation: "results-claim"), overlays: [], rules: rules),
            [
                "spec.yaml:6:27: error[NBG138]: annotation nbgitops.dev/results of 'demo' is malformed: it is neither 'none', 'pvc://CLAIM[/PATH]' nor 's3://BUCKET[/PREFIX]'"
            ])
        XCTAssertEqual(try lines(spec(), overlays: ["results-claim.yaml"], rules: rules), [])
        XCTAssertEqual(try lines(spec(), overlays: ["results-s3.yaml"], rules: rules), [])
    }

    /// Seed 001's RWO workspace, for results: every validation Job mounts the claim at once.
    func testAReadWriteOnceResultsClaimSharedByJobsIsNBG200AtTheOverlayLine() throws {
        let two = spec("first") + "\n---\n" + spec("second")
        let rwo = ["kubernetes", "rwo", "flux", "examples/overlays/repository.yaml", "examples/overlays/site-defaults.yaml"]
        let found = try lines(two, overlays: ["results-claim.yaml"], base: rwo, rules: [.rwoConcurrentMount])
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(
            found.first?.hasPrefix(
                "Tests/NBGitOpsTests/Fixtures/overlays/results-claim.yaml:8:12: error[NBG200]: ReadWriteOnce claim 'notebook-results' is mounted by Job 'second-"
            ) == true, "\(found)")
        XCTAssertEqual(try lines(two, overlays: ["results-claim.yaml"], rules: [.rwoConcurrentMount]), [], "RWX is fine")
    }

    func testAResultsClaimOrSecretNothingProvidesIsWarned() throws {
        let claim = try lines(
            spec(annotation: "pvc://team-results"), overlays: [], rules: [.claimNotProvided, .secretNotProvided])
        XCTAssertEqual(
            claim,
            [
                "spec.yaml:6:27: warning[NBG126]: PersistentVolumeClaim 'team-results' is not created by nbgitops; it must exist in namespace 'notebook-validation' before the job runs"
            ])
        let secret = try lines(
            spec(), overlays: ["results-claim-and-bucket.yaml"], rules: [.claimNotProvided, .secretNotProvided])
        XCTAssertEqual(secret.count, 1, "\(secret)")
        XCTAssertTrue(secret.first?.contains("warning[NBG129]: Secret 'results-s3' named by Job/") == true, "\(secret)")
    }

    func testResultsVariablesAndVolumesAreReserved() {
        for name in ["NBG_RESULTS_DIR", "NBG_RESULTS_S3_URL", "NBG_JOB_NAME", "NBG_RESULTS_NAME"] {
            XCTAssertTrue(PodLayout.isReservedEnvName(name), name)
        }
        XCTAssertEqual(PodLayout.collision(forMountPath: "/workspace/results/x")?.volume, "nbgitops-results")
        XCTAssertEqual(PodLayout.collision(forMountPath: "/etc/nbgitops/results-s3")?.volume, "nbgitops-results-s3")
    }

    func testAnnotationParsing() {
        XCTAssertEqual(try ResultsAnnotation.parse("none").get(), ResultsAnnotation.none)
        XCTAssertEqual(try ResultsAnnotation.parse("pvc://a-claim").get(), .claim(name: "a-claim", path: ""))
        XCTAssertEqual(try ResultsAnnotation.parse("s3://my.bucket/a/b/").get(), .bucket(name: "my.bucket", prefix: "a/b"))
        for bad in ["pvc://Claim", "s3://ab", "s3://bucket/a//b", "pvc://c/a b", "file:///tmp", ""] {
            XCTAssertThrowsError(try ResultsAnnotation.parse(bad).get(), bad)
        }
    }
}
