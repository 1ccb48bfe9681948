import XCTest

@testable import NBGitOps

/// The shared vocabulary (Model/Vocabulary.swift) is what both the planners write and the rules
/// read, checked on the repository's example compiled by the real pipeline.
final class VocabularyTests: XCTestCase {
    func testTheNetworkPolicySelectsTheLabelEveryValidationPodCarries() throws {
        let plan = try examplePlan("openshift-gpu")
        let policy = try XCTUnwrap(plan.objects.first { $0.kind == "NetworkPolicy" })
        XCTAssertEqual(
            policy.manifest.value(at: "spec.podSelector.matchLabels")?[LabelKey.name]?.stringValue, LabelValue.validationPod)
        let jobs = plan.objects.filter { $0.kind == "Job" }
        XCTAssertFalse(jobs.isEmpty)
        for job in jobs {
            XCTAssertEqual(
                job.manifest.value(at: "spec.template.metadata.labels")?[LabelKey.name]?.stringValue,
                LabelValue.validationPod, job.name)
        }
    }

    func testNamespacesCarryPodSecurityLevelsByName() throws {
        let plan = try examplePlan("kubernetes")
        let namespaces = (plan.objects + plan.buildObjects).filter { $0.kind == "Namespace" }
        let levels = namespaces.compactMap { $0.manifest.value(at: "metadata.labels")?[LabelKey.podSecurityEnforce]?.stringValue }
        XCTAssertEqual(Set(levels), [PodSecurityLevel.restricted.rawValue, PodSecurityLevel.baseline.rawValue])
    }

    func testBuiltImagesAreTaggedWithThePrefixAndTheirInputHash() throws {
        let plan = try examplePlan("openshift-gpu")
        // Runs that push an image (a ModelPipeline's pvc delivery only populates a claim).
        let runs = plan.objects.filter { run in
            run.kind == "PipelineRun"
                && (run.manifest.value(at: "spec.params")?.elements ?? []).contains {
                    ["image", "image-0"].contains($0["name"]?.stringValue ?? "")
                }
        }
        XCTAssertFalse(runs.isEmpty)
        for run in runs {
            let image = try XCTUnwrap(
                (run.manifest.value(at: "spec.params")?.elements ?? []).first {
                    // a notebook build's image, or a ModelPipeline's first destination
                    ["image", "image-0"].contains($0["name"]?.stringValue ?? "")
                }?["value"]?
                    .stringValue, run.name)
            let tag = String(image.split(separator: ":").last ?? "")
            let hash = try XCTUnwrap(ImageTag.inputHash(of: tag), image)
            if run.manifest.value(at: "metadata.labels[app.kubernetes.io/component]")?.stringValue == "model-pipeline" {
                // A ModelCar's tag hashes only what goes into the image; its run's name hashes the
                // whole run (HuggingFacePipelineTests.testTheModelCarTagHashesOnlyWhatGoesIntoTheImage).
                XCTAssertEqual(hash.count, 8, image)
            } else {
                XCTAssertTrue(run.name.hasSuffix("-" + hash), "\(run.name) is named by its image's input hash \(hash)")
            }
        }
        XCTAssertNil(ImageTag.inputHash(of: "latest"))
    }

    func testLevelsAreOrderedLeastPrivilegedFirst() {
        XCTAssertEqual(PodSecurityLevel.allCases.map(\.rawValue), ["restricted", "baseline", "privileged"])
        XCTAssertLessThan(PodSecurityLevel.baseline, .privileged)
        XCTAssertEqual(
            OpenShiftSCC.allCases.map(\.rawValue), ["restricted-v2", "nonroot-v2", "anyuid", "pipelines-scc", "privileged"])
        XCTAssertEqual(OpenShiftSCC(named: "restricted"), .restrictedV2)
        XCTAssertEqual(SecurityRules.capLevels, OpenShiftSCC.allCases.map(\.rawValue))
        XCTAssertEqual(SecurityRules.Privilege.hostOrPrivileged.level(on: .openshift), 3)
        XCTAssertEqual(SecurityRules.Privilege.hostOrPrivileged.level(on: .kubernetes), 2)
        XCTAssertEqual(SecurityRules.Privilege.root.level(on: .kubernetes), 1)
    }

    /// One key-order table: the renderer's ranks come from `leadingKeys` alone.
    func testKeyRanksComeFromTheOneTable() {
        for (index, key) in ManifestRenderer.leadingKeys.enumerated() { XCTAssertEqual(ManifestRenderer.rank(key), index, key) }
        for key in ["data", "kinds", "metadataX", "", "apiversion"] {
            XCTAssertEqual(ManifestRenderer.rank(key), ManifestRenderer.leadingKeys.count, key)
        }
    }
}
