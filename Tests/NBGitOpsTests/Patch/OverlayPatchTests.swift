import Foundation
import XCTest

@testable import NBGitOps

/// Overlay escape hatches (`metadata` and `patches`) through `CompilerPipeline.run`: applied
/// after planning and before the rules, recorded for `explain`, located when they fail.
final class OverlayPatchTests: XCTestCase {
    /// A scratch folder holding the example's training-to-serving spec (a Job, a claim, an
    /// InferenceService), an overlay `ov.yaml` and whatever files a test adds.
    final class Scratch {
        let root: String

        init() throws {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-patch-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            root = url.resolvingSymlinksInPath().path
            try FileManager.default.copyItem(
                atPath: repositoryRoot + "/examples/specs/11-model-from-notebook.yaml", toPath: root + "/spec.yaml")
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        func write(_ relative: String, _ text: String) throws {
            let url = URL(fileURLWithPath: root + "/" + relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }

        /// Compiles spec.yaml in an environment stacking kubernetes, rwo, the rule fixtures'
        /// cluster overlay and `ov.yaml` (whose `spec` is `overlaySpec`).
        func compile(_ overlaySpec: String) throws -> (output: CompilerOutput?, diagnostics: [Diagnostic]) {
            try write("ov.yaml", overlayYAML(name: "escape", spec: overlaySpec))
            let at = SourceLocation(file: "<test>", line: 1, column: 1)
            let overlays = [
                "kubernetes", "rwo", repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/overlays/rules.yaml", root + "/ov.yaml",
            ]
            let input = CompilerInput(
                specFiles: [SpecFileFinder.Found(path: root + "/spec.yaml", displayPath: "spec.yaml")],
                environments: [EnvironmentRequest(name: Located("dev", at: at), overlays: overlays.map { Located($0, at: at) })],
                baseDirectory: root, resources: ResourceRoot(path: repositoryRoot), outputName: "gitops")
            let diagnostics = DiagnosticCollector()
            let output = CompilerPipeline.run(input, diagnostics: diagnostics)
            return (output, diagnostics.sorted.filter { !isAdvisory($0) && $0.severity != .note })
        }
    }

    static func object(_ output: CompilerOutput?, kind: String) throws -> PlannedObject {
        let plan = try XCTUnwrap(output?.plans.first)
        return try XCTUnwrap(
            (plan.objects + plan.buildObjects + plan.servingObjects + plan.deliveryObjects).first { $0.kind == kind })
    }

    static func text(_ output: CompilerOutput?, containing name: String) -> String {
        let files = output?.files["dev"] ?? []
        return files.filter { $0.path.contains(name) }.map { String(decoding: $0.bytes, as: UTF8.self) }.joined()
    }

    // MARK: - metadata

    /// The trial's case: `serving.kserve.io/deploymentMode` on an InferenceService, chosen by
    /// kind and name, with a label chosen by a label selector; both recorded for `explain`.
    func testMetadataAddsTheDeploymentModeAnnotationToTheInferenceService() throws {
        let scratch = try Scratch()
        let (output, diagnostics) = try scratch.compile(
            """
              metadata:
              - select: {kind: InferenceService, name: nb-churn}
                annotations:
                  serving.kserve.io/deploymentMode: RawDeployment
              - select: {labelSelector: 'app.kubernetes.io/managed-by=nbgitops,app.kubernetes.io/instance in (churn)'}
                labels:
                  team: fraud

            """)
        XCTAssertEqual(diagnostics.map(\.rendered), [])
        let service = try Self.object(output, kind: "InferenceService")
        XCTAssertEqual(
            service.manifest.value(at: "metadata.annotations[serving.kserve.io/deploymentMode]")?.stringValue, "RawDeployment")
        XCTAssertEqual(service.manifest.value(at: "metadata.labels.team")?.stringValue, "fraud")
        let text = Self.text(output, containing: "inferenceservice")
        XCTAssertTrue(text.contains("serving.kserve.io/deploymentMode: RawDeployment"), text)
        let origin = try XCTUnwrap(service.provenance["metadata.annotations[serving.kserve.io/deploymentMode]"])
        XCTAssertEqual(origin.origin, .overlay(name: "ov", SourceLocation(file: "ov.yaml", line: 9, column: 41)))
        let match = try Explainer.find(
            "InferenceService/nb-churn.metadata.annotations[serving.kserve.io/deploymentMode]", in: XCTUnwrap(output?.plans.first)
        ).get()
        XCTAssertTrue(Explainer.render(match, environment: "dev", outputRoot: "gitops").contains("ov.yaml:9:41"))
    }

    // MARK: - strategic merge

    /// Containers and env merge by name (the Job's one container gains a variable instead of a
    /// second container appearing); `key: null` and `$patch: delete` remove; every set field is
    /// recorded at its line of the patch file.
    func testStrategicMergeMergesByNameDeletesAndRecordsThePatchFileLine() throws {
        let scratch = try Scratch()
        try scratch.write(
            "patches/job.yaml",
            """
            spec:
              activeDeadlineSeconds: null
              template:
                spec:
                  containers:
                  - name: validate
                    env:
                    - name: EXTRA
                      value: "1"
                    - name: XDG_DATA_HOME
                      $patch: delete

            """)
        let (output, diagnostics) = try scratch.compile(
            """
              patches:
              - target: {group: batch, version: v1, kind: Job, name: 'nb-train-churn-.*'}
                path: patches/job.yaml

            """)
        XCTAssertEqual(diagnostics.map(\.rendered), [])
        let job = try Self.object(output, kind: "Job")
        let containers = try XCTUnwrap(job.manifest.value(at: "spec.template.spec.containers")?.elements)
        XCTAssertEqual(containers.count, 1)
        let env = try XCTUnwrap(containers[0]["env"]?.elements)
        XCTAssertEqual(env.last?["name"]?.stringValue, "EXTRA")
        XCTAssertEqual(env.last?["value"]?.stringValue, "1")
        XCTAssertFalse(env.contains { $0["name"]?.stringValue == "XDG_DATA_HOME" })
        XCTAssertNil(job.manifest.value(at: "spec.activeDeadlineSeconds"))
        let index = env.count - 1
        let origin = try XCTUnwrap(job.provenance["spec.template.spec.containers[0].env[\(index)].value"])
        XCTAssertEqual(origin.origin.location, SourceLocation(file: "patches/job.yaml", line: 9, column: 18))
        XCTAssertEqual(origin.rule, "strategic-merge patch")
        XCTAssertEqual(BuildProvenanceTests.checkRecordsResolve(output?.plans ?? [], context: "patched") > 0, true)
    }

    /// A strategic-merge patch without a target names its object itself (kustomize's form);
    /// kustomize's inline string form keeps the overlay's lines.
    func testStrategicMergeWithoutTargetAndInlineStringPatch() throws {
        let scratch = try Scratch()
        let (output, diagnostics) = try scratch.compile(
            """
              patches:
              - patch: |-
                  apiVersion: serving.kserve.io/v1beta1
                  kind: InferenceService
                  metadata:
                    name: nb-churn
                    annotations:
                      serving.kserve.io/deploymentMode: Serverless

            """)
        XCTAssertEqual(diagnostics.map(\.rendered), [])
        let service = try Self.object(output, kind: "InferenceService")
        let path = "metadata.annotations[serving.kserve.io/deploymentMode]"
        XCTAssertEqual(service.manifest.value(at: path)?.stringValue, "Serverless")
        XCTAssertEqual(service.provenance[path]?.origin.location, SourceLocation(file: "ov.yaml", line: 13, column: 45))
    }

    // MARK: - JSON 6902

    func testJSON6902OperationsApplyInOrder() throws {
        let scratch = try Scratch()
        let (output, diagnostics) = try scratch.compile(
            """
              patches:
              - target: {kind: InferenceService}
                patch:
                - op: test
                  path: /spec/predictor/minReplicas
                  value: 1
                - op: replace
                  path: /spec/predictor/minReplicas
                  value: 2
                - op: add
                  path: /metadata/annotations/example.com~1owner
                  value: ml-platform
                - op: copy
                  from: /metadata/annotations/example.com~1owner
                  path: /metadata/labels/owner
                - op: move
                  from: /metadata/labels/owner
                  path: /metadata/labels/team
                - op: remove
                  path: /spec/predictor/maxReplicas

            """)
        XCTAssertEqual(diagnostics.map(\.rendered), [])
        let service = try Self.object(output, kind: "InferenceService")
        XCTAssertEqual(service.manifest.value(at: "spec.predictor.minReplicas")?.intValue, 2)
        XCTAssertNil(service.manifest.value(at: "spec.predictor.maxReplicas"))
        XCTAssertEqual(service.manifest.value(at: "metadata.annotations[example.com/owner]")?.stringValue, "ml-platform")
        XCTAssertEqual(service.manifest.value(at: "metadata.labels.team")?.stringValue, "ml-platform")
        XCTAssertNil(service.manifest.value(at: "metadata.labels.owner"))
        XCTAssertEqual(
            service.provenance["spec.predictor.minReplicas"]?.origin.location,
            SourceLocation(file: "ov.yaml", line: 14, column: 14))
    }

    func testAFailedTestOperationIsALocatedError() throws {
        let scratch = try Scratch()
        let (output, diagnostics) = try scratch.compile(
            """
              patches:
              - target: {kind: InferenceService}
                patch:
                - op: test
                  path: /spec/predictor/minReplicas
                  value: 5
                - op: replace
                  path: /spec/predictor/nothing/here
                  value: 2

            """)
        XCTAssertNil(output)
        XCTAssertEqual(
            diagnostics.map { $0.rendered.split(separator: "\n").first.map(String.init) ?? "" },
            [
                "ov.yaml:11:14: error[NBG147]: test failed: '/spec/predictor/minReplicas' does not hold the value the patch expects (patching InferenceService 'nb-churn')"
            ])
    }

    // MARK: - content-addressed names

    /// The Job's name with no patch touching the Job (an unrelated InferenceService label).
    static func unpatchedJobName(_ scratch: Scratch) throws -> String {
        let (output, diagnostics) = try scratch.compile(
            """
              patches:
              - target: {kind: InferenceService}
                patch: [{op: add, path: /metadata/labels/team, value: fraud}]

            """)
        XCTAssertEqual(diagnostics.map(\.rendered), [])
        return try object(output, kind: "Job").name
    }

    /// A Job's pod template cannot change in place: a patch adding a variable to the validate
    /// container gives the Job the name its patched spec hashes to, and the kustomization,
    /// the file name and `explain` follow it.
    func testAPatchChangingTheJobsPodTemplateRenamesTheJob() throws {
        let scratch = try Scratch()
        let unpatched = try Self.unpatchedJobName(scratch)
        try scratch.write(
            "patches/env.yaml",
            """
            spec:
              template:
                spec:
                  containers:
                  - name: validate
                    env:
                    - name: EXTRA
                      value: "1"

            """)
        let (output, diagnostics) = try scratch.compile(
            """
              patches:
              - target: {kind: Job}
                path: patches/env.yaml

            """)
        XCTAssertEqual(diagnostics.map(\.rendered), [])
        let job = try Self.object(output, kind: "Job")
        XCTAssertNotEqual(job.name, unpatched)
        let spec = try XCTUnwrap(job.manifest["spec"])
        let base = String(unpatched.dropLast(ValidationJobPlanner.hashSuffixLength))
        XCTAssertEqual(job.name, "\(base)-\(StableHash.shortHex(spec))")
        XCTAssertEqual(job.manifest.value(at: "metadata.name")?.stringValue, job.name)
        let files = output?.files["dev"] ?? []
        let kustomizations = files.filter { $0.path.hasSuffix("kustomization.yaml") }
            .map { String(decoding: $0.bytes, as: UTF8.self) }.joined()
        XCTAssertTrue(kustomizations.contains("job-\(job.name).yaml"), kustomizations)
        XCTAssertFalse(files.contains { String(decoding: $0.bytes, as: UTF8.self).contains(unpatched) })
        XCTAssertEqual(
            job.provenance["metadata.name"]?.origin.location, SourceLocation(file: "patches/env.yaml", line: 7, column: 11))
    }

    /// Labels and annotations are mutable: a patch or metadata entry changing only them keeps
    /// the Job's name.
    func testAMetadataOnlyPatchKeepsTheJobsName() throws {
        let scratch = try Scratch()
        let unpatched = try Self.unpatchedJobName(scratch)
        let (output, diagnostics) = try scratch.compile(
            """
              metadata:
              - select: {kind: Job}
                labels: {team: fraud}
                annotations: {example.com/owner: ml-platform}
              patches:
              - target: {kind: Job}
                patch:
                  metadata:
                    labels: {tier: gold}
                    annotations: {example.com/ticket: "42"}
              - target: {kind: Job}
                patch: [{op: add, path: /metadata/labels/cost-center, value: ml}]

            """)
        XCTAssertEqual(diagnostics.map(\.rendered), [])
        let job = try Self.object(output, kind: "Job")
        XCTAssertEqual(job.manifest.value(at: "metadata.labels.tier")?.stringValue, "gold")
        XCTAssertEqual(job.manifest.value(at: "metadata.labels[cost-center]")?.stringValue, "ml")
        XCTAssertEqual(job.name, unpatched)
    }

    // MARK: - the rules run on the patched result

    /// Removing the container's securityContext makes the Pod Security rule fire, at the
    /// patch's line (the Job as planned passes).
    func testAPatchRemovingTheSecurityContextTriggersTheRuleAtThePatchLine() throws {
        let scratch = try Scratch()
        let (output, diagnostics) = try scratch.compile(
            """
              patches:
              - target: {kind: Job}
                patch:
                - op: remove
                  path: /spec/template/spec/containers/0/securityContext

            """)
        XCTAssertNil(output)
        let first = diagnostics.first?.rendered ?? ""
        XCTAssertTrue(first.hasPrefix("ov.yaml:9:7: error[NBG250]:"), first)
        XCTAssertTrue(first.contains("lacks allowPrivilegeEscalation: false"), first)
    }

    /// A literal secret a patch adds is refused by NBG140 like any other input.
    func testALiteralSecretInAPatchIsRefusedByNBG140() throws {
        let scratch = try Scratch()
        let (output, diagnostics) = try scratch.compile(
            """
              patches:
              - target: {kind: Job}
                patch:
                  spec:
                    template:
                      spec:
                        containers:
                        - name: validate
                          env:
                          - name: GITHUB_TOKEN
                            value: ghp_0123456789abcdefghijklmnopqrstuvwxyzAB

            """)
        XCTAssertNil(output)
        XCTAssertTrue(
            diagnostics.contains { $0.id == .secretLiteral && $0.location?.file == "ov.yaml" && $0.location?.line == 16 },
            diagnostics.map(\.rendered).joined(separator: "\n"))
        XCTAssertFalse(diagnostics.map(\.rendered).joined().contains("ghp_0123"), "the secret is never echoed")
    }

    // MARK: - located refusals

    func testAPatchOrSelectorThatMatchesNothingIsALocatedError() throws {
        let scratch = try Scratch()
        let (output, diagnostics) = try scratch.compile(
            """
              metadata:
              - select: {kind: InferenceService, name: churn}
                annotations: {a: b}
              patches:
              - target: {kind: Deployment}
                patch: [{op: add, path: /metadata/labels/x, value: y}]

            """)
        XCTAssertNil(output)
        XCTAssertEqual(
            diagnostics.map { $0.rendered.split(separator: "\n").first.map(String.init) ?? "" },
            [
                "ov.yaml:7:13: error[NBG145]: the metadata entry's selector (kind InferenceService, name churn) matches no object in environment 'dev'",
                "ov.yaml:10:13: error[NBG145]: the patch's target (kind Deployment) matches no object in environment 'dev'",
            ])
    }

    func testAPatchThatChangesANameNamespaceOrKindIsRefused() throws {
        let scratch = try Scratch()
        let (output, diagnostics) = try scratch.compile(
            """
              patches:
              - target: {kind: InferenceService}
                patch: [{op: replace, path: /metadata/name, value: other}]
              - target: {kind: PersistentVolumeClaim}
                patch:
                  metadata:
                    namespace: elsewhere
              - target: {kind: Job}
                patch: [{op: replace, path: /kind, value: CronJob}]

            """)
        XCTAssertNil(output)
        XCTAssertEqual(
            diagnostics.map { $0.rendered.split(separator: "\n").first.map(String.init) ?? "" },
            [
                "ov.yaml:8:56: error[NBG146]: the patch changes metadata.name of InferenceService 'nb-churn'",
                "ov.yaml:12:20: error[NBG146]: the patch changes metadata.namespace of PersistentVolumeClaim 'churn-models'",
                "ov.yaml:14:47: error[NBG146]: the patch changes kind of Job 'nb-train-churn-0b061adb'",
            ])
        XCTAssertTrue(
            diagnostics.count == 3 && diagnostics[1].help?.contains("a strategic-merge patch names its object") == true,
            "\(diagnostics.map(\.help))")
    }

    func testUnknownFieldsAndDirectivesAreLocatedErrors() throws {
        let scratch = try Scratch()
        let (output, diagnostics) = try scratch.compile(
            """
              patches:
              - targte: {kind: Job}
                patch: {spec: {}}
              - target: {kinds: Job}
                patch: {spec: {}}
              - target: {kind: Job}
                patch: [{op: add, path: /metadata/labels/x, vaule: y}]
              - target: {kind: Job}
                patch: [{op: upsert, path: /metadata/labels/x, value: y}]

            """)
        XCTAssertNil(output)
        let lines = diagnostics.map { $0.rendered.split(separator: "\n").first.map(String.init) ?? "" }
        XCTAssertTrue(lines.contains { $0.hasPrefix("ov.yaml:7:5: error[NBG102]:") && $0.contains("targte") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("ov.yaml:9:14: error[NBG102]:") && $0.contains("kinds") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("ov.yaml:12:49: error[NBG102]:") && $0.contains("vaule") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("ov.yaml:14:18: error[NBG104]:") }, "\(lines)")

        let directive = try Scratch()
        let (none, found) = try directive.compile(
            """
              patches:
              - target: {kind: Job}
                patch:
                  spec:
                    $retainKeys: [template]

            """)
        XCTAssertNil(none)
        XCTAssertEqual(
            found.map { $0.rendered.split(separator: "\n").first.map(String.init) ?? "" },
            [
                "ov.yaml:10:9: error[NBG147]: strategic-merge directive '$retainKeys' is not supported (patching Job 'nb-train-churn-0b061adb')"
            ])
    }

    /// An unquoted `true` for a label is a boolean, which the API server refuses in labels.
    func testANonStringLabelFromAPatchIsALocatedError() throws {
        let scratch = try Scratch()
        let (output, diagnostics) = try scratch.compile(
            """
              patches:
              - target: {kind: InferenceService}
                patch:
                  metadata:
                    labels:
                      canary: true

            """)
        XCTAssertNil(output)
        XCTAssertEqual(
            diagnostics.first?.rendered.split(separator: "\n").first.map(String.init),
            "ov.yaml:11:19: error[NBG107]: the patch sets metadata.labels.canary of InferenceService 'nb-churn' to a non-string value (a boolean); label and annotation values are strings"
        )
    }

    func testAMissingPatchFileIsALocatedError() throws {
        let scratch = try Scratch()
        let (output, diagnostics) = try scratch.compile(
            """
              patches:
              - target: {kind: Job}
                path: patches/absent.yaml

            """)
        XCTAssertNil(output)
        XCTAssertEqual(
            diagnostics.first?.rendered.split(separator: "\n").first.map(String.init),
            "ov.yaml:8:11: error[NBG147]: patch file 'patches/absent.yaml' does not exist")
    }
}
