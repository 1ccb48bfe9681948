import Foundation
import XCTest

@testable import NBGitOps

/// A waiver applies to exactly the document that carries it, for every spec kind
/// (`SpecKinds.all`) and for passed-through objects: compiled through `CompilerPipeline.run`,
/// in multi-document files in every order, one kind's waiver never waives (or is used up by)
/// another document's finding, and `explain` shows a document's own diagnostics only.
final class WaiverDocumentTests: XCTestCase {
    /// An environment with tainted GPU nodes: a pod that tolerates the taint without requesting
    /// a GPU is an NBG212 finding, which every kind below can produce.
    static let overlays = ["openshift", "rwo", "argocd", "gpu-taints", "Tests/NBGitOpsTests/Fixtures/overlays/rules.yaml"]
    static let rule = PodRules.gpuTolerationWithoutRequest.id
    /// The passed-through kind the tests use besides the compiled kinds.
    static let passedThroughKind = "Deployment"
    static var kinds: [String] { SpecKinds.all.map(\.kind) + [passedThroughKind] }

    /// One document of `kind` named `name`; `tolerating`: its pod tolerates the GPU taint
    /// without requesting a GPU. Nil for a kind this test does not know yet.
    static func document(_ kind: String, name: String, tolerating: Bool, waive: String?) -> String? {
        /// The toleration list, indented by `spaces`, on lines of its own after its key.
        func tolerations(_ spaces: Int) -> String {
            guard tolerating else { return "" }
            let lines = ["- key: nvidia.com/gpu", "  operator: Exists", "  effect: NoSchedule"]
            return lines.map { "\n" + String(repeating: " ", count: spaces) + $0 }.joined()
        }
        switch kind {
        case SpecDecoder.jobKind:
            return jobSpec(name: name, waive: waive, extraPodConfig: "    tolerations:" + tolerations(4))
        case ModelPipelineDecoder.kind:
            return """
                apiVersion: nbgitops.dev/v1alpha1
                kind: ModelPipeline
                metadata:
                  name: \(name)
                \(waiveAnnotation(waive))spec:
                  source:
                    huggingFace:
                      repo: ibm-granite/granite-3.1-2b-instruct
                      revision: 3f05a5e2a1ee2a9f0b7bd6e8a3a8ad8ffb6c4e8e
                  size:
                    model: 5Gi
                  delivery: pvc
                  serving:
                    modelFormat: {name: vLLM}
                    placement:
                      tolerations:\(tolerations(6))

                """
        case passedThroughKind:
            return deployment(
                name, waive: waive, container: "cache", podTail: "      tolerations:" + tolerations(6) + "\n")
        default:
            return nil
        }
    }

    /// A Deployment named `name` with one container, `container`, of a pinned image with
    /// resources; `containerTail` and `podTail`: lines added to that container and to the pod
    /// spec (indented 8 and 6 spaces, each ending in a newline).
    static func deployment(_ name: String, waive: String?, container: String, containerTail: String = "", podTail: String)
        -> String
    {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: \(name)
        \(waiveAnnotation(waive))spec:
          replicas: 1
          selector:
            matchLabels: {app: \(name)}
          template:
            metadata:
              labels: {app: \(name)}
            spec:
              containers:
              - name: \(container)
                image: quay.io/org/cache@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2
                resources:
                  requests: {cpu: 100m, memory: 128Mi}
                  limits: {cpu: 100m, memory: 128Mi}
        \(containerTail)\(podTail)
        """
    }

    struct Part {
        var kind: String
        var tolerating: Bool
        var waive: String?
    }

    /// What compiling a file of `parts` reported, with each part's line range and waiver line.
    struct Compiled {
        var output: CompilerOutput?
        var diagnostics: [Diagnostic]
        var lines: [ClosedRange<Int>]
        var waiverLines: [Int?]

        /// The findings of the rule located in part `index`.
        func findings(of index: Int) -> [Diagnostic] {
            diagnostics.filter { $0.id == WaiverDocumentTests.rule && lines[index].contains($0.location?.line ?? 0) }
        }

        var unusedWaiverLines: [Int] { diagnostics.filter { $0.id == .waiverUnused }.compactMap { $0.location?.line } }
    }

    func compile(_ parts: [Part], file: StaticString = #filePath, line: UInt = #line) throws -> Compiled {
        var text = ""
        var lines: [ClosedRange<Int>] = []
        var waiverLines: [Int?] = []
        for (position, part) in parts.enumerated() {
            let name = "\(part.tolerating ? "tolerant" : "plain")-\(position)"
            let document = try XCTUnwrap(
                Self.document(part.kind, name: name, tolerating: part.tolerating, waive: part.waive),
                "no document of kind \(part.kind) in this test", file: file, line: line)
            if position > 0 { text += "---\n" }
            let first = text.split(separator: "\n", omittingEmptySubsequences: false).count
            let documentLines = document.split(separator: "\n", omittingEmptySubsequences: false)
            lines.append(first...(first + documentLines.count - 1))
            waiverLines.append(documentLines.firstIndex { $0.contains("nbgitops.dev/waive") }.map { first + $0 })
            text += document.hasSuffix("\n") ? document : document + "\n"
        }
        let (output, diagnostics) = try compileSpecWithDiagnostics(text, overlays: Self.overlays)
        return Compiled(output: output, diagnostics: diagnostics.sorted, lines: lines, waiverLines: waiverLines)
    }

    /// The list of kinds covers every compiled kind: each has a document here, and that
    /// document is a spec document of its kind once decoded.
    func testEveryCompiledKindIsASpecDocument() throws {
        for kind in Self.kinds {
            let compiled = try compile([Part(kind: kind, tolerating: true, waive: nil)])
            let output = try XCTUnwrap(compiled.output, "\(kind): \(compiled.diagnostics.map(\.rendered))")
            XCTAssertEqual(SpecKinds.documents(in: output.specs).map(\.kind), [kind])
            XCTAssertEqual(compiled.findings(of: 0).map(\.severity), [.warning], "\(kind): the test's finding")
        }
    }

    /// (a) Each kind's waiver waives its own finding, alone and next to a document of any kind
    /// (before or after it): the finding is a note, and the waiver counts as used.
    func testAWaiverWaivesItsOwnDocumentForEveryKind() throws {
        for kind in Self.kinds {
            let own = Part(kind: kind, tolerating: true, waive: "\(Self.rule.rawValue): reserves a GPU node on purpose")
            var files = [[own]]
            for other in Self.kinds {
                let neighbour = Part(kind: other, tolerating: false, waive: nil)
                files += [[own, neighbour], [neighbour, own]]
            }
            for parts in files {
                let compiled = try compile(parts)
                let index = try XCTUnwrap(parts.firstIndex { $0.tolerating })
                let context = "\(parts.map(\.kind)): \(compiled.diagnostics.map(\.rendered))"
                XCTAssertEqual(compiled.findings(of: index).map(\.severity), [.note], context)
                XCTAssertEqual(
                    compiled.findings(of: index).first?.waiverReason, "reserves a GPU node on purpose", context)
                XCTAssertEqual(compiled.unusedWaiverLines, [], context)
                XCTAssertFalse(compiled.diagnostics.contains { $0.severity == .error }, context)
            }
        }
    }

    /// (b) A waiver on another document of the same file — of any kind, before or after —
    /// leaves the finding a warning, and is itself reported as matching nothing.
    func testAWaiverOnAnotherDocumentWaivesNothingForEveryKind() throws {
        for kind in Self.kinds {
            for other in Self.kinds {
                let finding = Part(kind: kind, tolerating: true, waive: nil)
                let waiving = Part(kind: other, tolerating: false, waive: "\(Self.rule.rawValue): not this document's")
                for parts in [[waiving, finding], [finding, waiving]] {
                    let compiled = try compile(parts)
                    let index = try XCTUnwrap(parts.firstIndex { $0.tolerating })
                    let context = "\(parts.map(\.kind)): \(compiled.diagnostics.map(\.rendered))"
                    XCTAssertEqual(compiled.findings(of: index).map(\.severity), [.warning], context)
                    XCTAssertEqual(compiled.unusedWaiverLines, [compiled.waiverLines[1 - index]].compactMap { $0 }, context)
                    XCTAssertEqual(
                        compiled.diagnostics.filter { $0.id == .waiverUnused }.first?.message,
                        "waiver for \(Self.rule.rawValue) matches no diagnostic of this object in any environment", context)
                }
            }
        }
    }

    /// Both documents waive: each waiver waives its own finding only.
    func testTwoDocumentsEachWaiveTheirOwn() throws {
        for (first, second) in [
            (SpecDecoder.jobKind, ModelPipelineDecoder.kind), (ModelPipelineDecoder.kind, SpecDecoder.jobKind),
        ] {
            let parts = [
                Part(kind: first, tolerating: true, waive: "\(Self.rule.rawValue): first"),
                Part(kind: second, tolerating: true, waive: "\(Self.rule.rawValue): second"),
            ]
            let compiled = try compile(parts)
            let context = "\(compiled.diagnostics.map(\.rendered))"
            XCTAssertEqual(compiled.findings(of: 0).map(\.waiverReason), ["first"], context)
            XCTAssertEqual(compiled.findings(of: 1).map(\.waiverReason), ["second"], context)
            XCTAssertEqual(compiled.unusedWaiverLines, [], context)
        }
    }

    /// `explain` on an object shows the diagnostics of the document that made it, not those of
    /// the other documents in its file.
    func testExplainShowsTheObjectsOwnDocumentsDiagnostics() throws {
        let parts = [
            Part(kind: SpecDecoder.jobKind, tolerating: false, waive: "\(Self.rule.rawValue): not this document's"),
            Part(kind: ModelPipelineDecoder.kind, tolerating: true, waive: nil),
        ]
        let compiled = try compile(parts)
        let output = try XCTUnwrap(compiled.output, "\(compiled.diagnostics.map(\.rendered))")
        let plan = try XCTUnwrap(output.plans.first)
        let objects = Explainer.objectsWithFiles(plan).map(\.object)
        let service = try XCTUnwrap(objects.first { $0.kind == "InferenceService" })
        let (aboutService, _) = Explainer.diagnostics(compiled.diagnostics, about: service, specs: output.specs)
        XCTAssertEqual(aboutService.map(\.id), [Self.rule], "\(aboutService.map(\.rendered))")
        let job = try XCTUnwrap(objects.first { $0.kind == "Job" })
        let (aboutJob, _) = Explainer.diagnostics(compiled.diagnostics, about: job, specs: output.specs)
        XCTAssertTrue(aboutJob.contains { $0.id == .waiverUnused }, "\(aboutJob.map(\.rendered))")
        XCTAssertTrue(
            aboutJob.allSatisfy { compiled.lines[0].contains($0.location?.line ?? 0) }, "\(aboutJob.map(\.rendered))")
    }

    /// A Secret an overlay names for every Job (the results bucket's credentials) is reported
    /// for each document's Job: the first job's waiver waives its own Job's finding, and the
    /// other job's finding is still reported (not folded into the first and waived with it).
    func testASecretAnOverlayNamesIsReportedForEachDocument() throws {
        let waiving = jobSpec(name: "waiving", waive: "NBG129: the platform team creates results-s3")
        let other = jobSpec(name: "other")
        XCTAssertFalse(other.contains("waive"))
        for text in [waiving + "---\n" + other, other + "---\n" + waiving] {
            let (_, collector) = try compileSpecWithDiagnostics(
                text, overlays: Self.overlays + ["Tests/NBGitOpsTests/Fixtures/overlays/results-s3-unlisted.yaml"])
            let found = collector.sorted.filter { $0.id == .secretNotProvided }
            let context = "\(found.map(\.rendered))"
            XCTAssertEqual(found.count, 2, context)
            XCTAssertEqual(
                found.filter { $0.message.contains("Job/nb-waiving-") }.map(\.severity), [.note], context)
            XCTAssertEqual(found.filter { $0.message.contains("Job/nb-other-") }.map(\.severity), [.warning], context)
            XCTAssertFalse(collector.sorted.contains { $0.id == .waiverUnused }, context)
        }
    }

    /// Two passed-through workloads in one file mount a claim nothing declares: the waiver of
    /// one leaves the other's finding reported.
    func testASharedClaimIsReportedForEachDocument() throws {
        func deployment(_ name: String, waive: String?) -> String {
            Self.deployment(
                name, waive: waive, container: "app",
                containerTail: """
                            volumeMounts:
                            - name: data
                              mountPath: /data
                              readOnly: true

                    """,
                podTail: """
                          volumes:
                          - name: data
                            persistentVolumeClaim:
                              claimName: shared-data
                              readOnly: true

                    """)
        }
        let waiving = deployment("waiving", waive: "NBG126: the data team's repository creates shared-data")
        let other = deployment("other", waive: nil)
        for text in [waiving + "---\n" + other, other + "---\n" + waiving] {
            let (_, collector) = try compileSpecWithDiagnostics(text, overlays: Self.overlays)
            let found = collector.sorted.filter { $0.id == .claimNotProvided }
            let context = "\(found.map(\.rendered))"
            XCTAssertEqual(found.filter { $0.message.contains("waiving'") }.map(\.severity), [.note], context)
            XCTAssertEqual(found.filter { $0.message.contains("other'") }.map(\.severity), [.warning], context)
            XCTAssertFalse(collector.sorted.contains { $0.id == .waiverUnused }, context)
        }
    }
}
