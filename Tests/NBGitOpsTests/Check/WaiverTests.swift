import Foundation
import XCTest

@testable import NBGitOps

/// `nbgitops.dev/waive`: per object, with a reason, echoed as a note.
final class WaiverTests: XCTestCase {
    func check(_ text: String) -> [Diagnostic] {
        let diagnostics = DiagnosticCollector()
        let documents = YAMLLoader.load(bytes: Array(text.utf8), file: "spec.yaml", limits: .standard, diagnostics: diagnostics)
        let specs = SpecDecoder.decode(documents, diagnostics: diagnostics)
        var environment = PlanFixtures.environment()
        environment.gpu.taints = PlanFixtures.overlay(
            [Taint(key: "nvidia.com/gpu", value: "true", effect: "NoSchedule")], line: 8)
        let plan = EnvironmentPlanner.plan(
            specs: specs, environment: environment, resources: PlanFixtures.resources(), delivery: .project(outputPath: "gitops"))
        PlanChecker.check([plan], specs: specs, diagnostics: diagnostics)
        return diagnostics.sorted.filter { !isAdvisory($0) }
    }

    func job(name: String, waive: String?) -> String {
        jobSpec(
            name: name, waive: waive,
            extraPodConfig: """
                    tolerations:
                    - key: nvidia.com/gpu
                      operator: Exists
                      effect: NoSchedule
                """)
    }

    func testWaiverTurnsTheFindingIntoANoteWithTheReason() {
        let diagnostics = check(job(name: "warm", waive: "NBG212: pre-warms the GPU node's image cache"))
        let finding = diagnostics.first { $0.id == .gpuTolerationWithoutRequest }
        XCTAssertEqual(finding?.severity, .note)
        XCTAssertEqual(
            finding?.rendered.split(separator: "\n").map(String.init),
            [
                "spec.yaml:16:7: note[NBG212]: waived: Job 'nb-warm-9c91a13e' tolerates the GPU nodes' taint but requests no nvidia.com/gpu; it can be scheduled onto (and crowd) a GPU node",
                "  note: spec.yaml:6:25: waived by annotation: pre-warms the GPU node's image cache",
            ])
        XCTAssertEqual(finding?.waiverReason, "pre-warms the GPU node's image cache")
        XCTAssertFalse(diagnostics.contains { $0.severity != .note })
    }

    func testAWaiverAppliesToItsOwnObjectOnly() {
        let text = job(name: "warm", waive: "NBG212: pre-warms the cache") + "---\n" + job(name: "other", waive: nil)
        let diagnostics = check(text).filter { $0.id == .gpuTolerationWithoutRequest }
        XCTAssertEqual(diagnostics.map(\.severity), [.note, .warning])
    }

    func testSeveralWaiversSeparatedBySemicolons() {
        let diagnostics = check(job(name: "warm", waive: "NBG212: pre-warms the cache; NBG200: never shares claims"))
        XCTAssertEqual(
            diagnostics.filter { $0.severity != .note }.map { $0.rendered.split(separator: "\n")[0] },
            [
                "spec.yaml:6:25: warning[NBG181]: waiver for NBG200 matches no diagnostic of this object in any environment"
            ])
    }

    func testMalformedWaivers() {
        let cases: [(String, String)] = [
            ("NBG212", "spec.yaml:6:25: error[NBG180]: waiver for NBG212 gives no reason"),
            ("NBG212:   ", "spec.yaml:6:25: error[NBG180]: waiver for NBG212 gives no reason"),
            ("NBG999: because", "spec.yaml:6:25: error[NBG180]: waiver names unknown rule 'NBG999'"),
            ("NBG102: because", "spec.yaml:6:25: error[NBG180]: NBG102 cannot be waived: it is checked while reading the input"),
            (" ; ", "spec.yaml:6:25: error[NBG180]: empty nbgitops.dev/waive annotation"),
        ]
        for (waive, expected) in cases {
            let lines = check(job(name: "warm", waive: waive)).map { String($0.rendered.split(separator: "\n")[0]) }
            XCTAssertTrue(lines.contains(expected), "\(waive): \(lines)")
        }
    }

    func testAPlanStageFindingOfAJobIsWaivable() {
        let text = """
            apiVersion: mlops.mlops.dev/v1alpha1
            kind: NotebookValidationJob
            metadata:
              name: reader
              annotations:
                nbgitops.dev/waive: "NBG126: the datasets claim is created by the data team's own GitOps repository"
            spec:
              notebook:
                git:
                  url: https://github.com/org/repo.git
                  ref: main
                path: notebooks/demo.ipynb
              podConfig:
                containerImage: quay.io/jupyter/minimal-notebook:2024-05-27
                volumes:
                - name: data
                  persistentVolumeClaim:
                    claimName: datasets
                volumeMounts:
                - name: data
                  mountPath: /data

            """
        let diagnostics = check(text)
        XCTAssertEqual(diagnostics.map(\.id), [.claimNotProvided])
        XCTAssertEqual(diagnostics.first?.severity, .note)
        XCTAssertEqual(
            diagnostics.first?.rendered.split(separator: "\n").first.map(String.init),
            "spec.yaml:18:20: note[NBG126]: waived: PersistentVolumeClaim 'datasets' is not created by nbgitops; it must exist in namespace 'nb-validation' before the job runs"
        )
    }

    func testRulesTheClusterEnforcesCannotBeWaived() {
        let lines = check(job(name: "warm", waive: "NBG211: we know")).map { String($0.rendered.split(separator: "\n")[0]) }
        XCTAssertTrue(
            lines.contains(
                "spec.yaml:6:25: error[NBG180]: NBG211 cannot be waived: the cluster rejects or loses such objects whatever the reason"
            ),
            "\(lines)")
    }

    func testWaiverOnAPassedThroughObject() {
        let text = """
            apiVersion: route.openshift.io/v1
            kind: Route
            metadata:
              name: model
              annotations:
                nbgitops.dev/waive: "NBG271: this cluster runs the OpenShift router on Kubernetes"
            spec:
              to:
                kind: Service
                name: model

            """
        let diagnostics = DiagnosticCollector()
        let documents = YAMLLoader.load(bytes: Array(text.utf8), file: "route.yaml", limits: .standard, diagnostics: diagnostics)
        let specs = SpecDecoder.decode(documents, diagnostics: diagnostics)
        let plan = EnvironmentPlanner.plan(
            specs: specs, environment: PlanFixtures.environment(platform: .kubernetes), resources: PlanFixtures.resources(scripts: []),
            delivery: .project(outputPath: "gitops"))
        PlanChecker.check([plan], specs: specs, diagnostics: diagnostics)
        XCTAssertEqual(diagnostics.sorted.filter { !isAdvisory($0) }.map(\.severity), [.note])
        XCTAssertEqual(diagnostics.sorted.filter { !isAdvisory($0) }.first?.id, .openshiftAPI)
    }
}
