import Foundation
import XCTest

@testable import NBGitOps

/// `nbgitops explain` over the repository's example.
final class ExplainTests: XCTestCase {
    func testFieldSetInASpecShowsValueLineAndRule() throws {
        let plan = try examplePlan("openshift-gpu")
        let match = try XCTUnwrap(
            Explainer.find("Job/intro-statistics.spec.activeDeadlineSeconds", in: plan).success)
        XCTAssertEqual(match.object.name, "intro-statistics-d353ac02")
        XCTAssertEqual(match.path, "spec.activeDeadlineSeconds")
        XCTAssertEqual(
            Explainer.render(match, environment: "openshift-gpu", outputRoot: "gitops"),
            """
            Job/intro-statistics-d353ac02 in environment openshift-gpu
              file:    gitops/openshift-gpu/manifests/5-job-intro-statistics-d353ac02.yaml
              from:    examples/specs/01-public-basic.yaml:5:9

            spec.activeDeadlineSeconds: 1200
              origin: set in spec examples/specs/01-public-basic.yaml:26:12 [spec.timeout]
              rule:   Go duration → whole seconds, rounded up

            """)
    }

    func testFieldSetByAnOverlay() throws {
        let plan = try examplePlan("openshift-gpu")
        let match = try XCTUnwrap(
            Explainer.find("Job/gpu-finetune.spec.template.spec.tolerations[0].key", in: plan).success)
        let (key, origin) = try XCTUnwrap(Explainer.origin(of: try XCTUnwrap(match.path), in: match.object))
        XCTAssertEqual(key, "spec.template.spec.tolerations")
        XCTAssertEqual(
            origin.origin,
            .overlay(name: "gpu-taints", SourceLocation(file: "overlays/gpu-taints.yaml", line: 11, column: 5)))
        let text = Explainer.render(match, environment: "openshift-gpu", outputRoot: "gitops")
        XCTAssertTrue(text.contains("spec.template.spec.tolerations[0].key: \"nvidia.com/gpu\"\n"), text)
        XCTAssertTrue(text.contains("(explained by spec.template.spec.tolerations)"), text)

        let application = try XCTUnwrap(
            Explainer.find("Application/openshift-gpu.spec.source.repoURL", in: plan).success)
        let repository = try XCTUnwrap(Explainer.origin(of: "spec.source.repoURL", in: application.object))
        XCTAssertEqual(
            repository.origin.origin,
            .overlay(name: "repository", SourceLocation(file: "examples/overlays/repository.yaml", line: 10, column: 20)))
    }

    func testBuiltInDefaultsSayWhy() throws {
        let plan = try examplePlan("openshift-gpu")
        let match = try XCTUnwrap(
            Explainer.find("Application/openshift-gpu.spec.syncPolicy.automated.prune", in: plan).success)
        let text = Explainer.render(match, environment: "openshift-gpu", outputRoot: "gitops")
        XCTAssertTrue(
            text.contains(
                "spec.syncPolicy.automated.prune: true\n  origin: built-in default (superseded validation Jobs (new content, new name) must be deleted) [delivery.prune]\n"
            ), text)
    }

    func testEnvironmentVariablesPointAtTheSpecFieldTheyCarry() throws {
        let plan = try examplePlan("openshift-gpu")
        let match = try XCTUnwrap(
            Explainer.find("Job/gpu-finetune.spec.template.spec.containers[0].env[0].value", in: plan).success)
        let origin = try XCTUnwrap(Explainer.origin(of: try XCTUnwrap(match.path), in: match.object))
        XCTAssertEqual(origin.origin.field, "spec.notebook.path")
        XCTAssertEqual(origin.origin.origin.location?.file, "examples/specs/05-gpu.yaml")
    }

    func testWholeObjectListsItsFieldsWithValues() throws {
        let plan = try examplePlan("kubernetes")
        let match = try XCTUnwrap(Explainer.find("kustomization/kubernetes", in: plan).success)
        XCTAssertNil(match.path)
        let text = Explainer.render(match, environment: "kubernetes", outputRoot: "gitops")
        XCTAssertTrue(text.hasPrefix("Kustomization/kubernetes in environment kubernetes\n"), text)
        XCTAssertTrue(
            text.contains(
                "  spec.path = \"./gitops/kubernetes/manifests\"\n      origin: built-in default (derived from the output folder) [delivery.path]\n"
            ), text)
    }

    func testFailuresNameWhatExists() throws {
        let plan = try examplePlan("openshift-gpu")
        XCTAssertEqual(Explainer.find("intro-statistics", in: plan).failure, .malformedTarget("intro-statistics"))
        guard case .noObject(let kind, let name, let candidates)? = Explainer.find("Job/nope", in: plan).failure else {
            return XCTFail("expected noObject")
        }
        XCTAssertEqual(kind, "Job")
        XCTAssertEqual(name, "nope")
        XCTAssertEqual(candidates.count, 10)  // the ten jobs of examples/specs (S2I jobs included on OpenShift)
        XCTAssertEqual(
            Explainer.find("Job/intro-statistics.spec.nope", in: plan).failure,
            .noField(
                object: "Job/intro-statistics-d353ac02", path: "spec.nope",
                available: ["apiVersion", "kind", "metadata", "spec"]))
    }

    func testLongestNameWinsForNamesWithDots() {
        func object(_ name: String) -> PlannedObject {
            PlannedObject(
                apiVersion: "v1", kind: "ConfigMap", name: name, namespace: "ns",
                manifest: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)], "data": ["a": "1"]],
                wave: .config, sources: [])
        }
        let plan = EnvironmentPlan(
            environment: PlanFixtures.environment(), objects: [object("app"), object("app.settings")], deliveryObjects: [])
        let match = Explainer.find("ConfigMap/app.settings.data.a", in: plan).success
        XCTAssertEqual(match?.object.name, "app.settings")
        XCTAssertEqual(match?.path, "data.a")
        XCTAssertEqual(Explainer.find("ConfigMap/app.data", in: plan).success?.object.name, "app")
    }

    func testProvenanceKeysCoverWholeComponentsOnly() {
        XCTAssertTrue(Explainer.covers("spec.template", "spec.template.spec"))
        XCTAssertTrue(Explainer.covers("spec.list", "spec.list[0]"))
        XCTAssertTrue(Explainer.covers("", "anything"))
        XCTAssertFalse(Explainer.covers("spec.temp", "spec.template"))
    }
}

/// Fields the security gate's overlay settings shape say where they came from.
final class SecurityGateExplainTests: XCTestCase {
    func testDefaultedResourcesAndPinnedUIDNameTheirOverlayLines() throws {
        let plan = try examplePlan("openshift-gpu")
        // forecasting-ssh sets no resources: they are the site overlay's defaults.
        let resources = try XCTUnwrap(
            Explainer.find("Job/forecasting-ssh.spec.template.spec.containers[0].resources", in: plan).success)
        let (_, resourcesOrigin) = try XCTUnwrap(Explainer.origin(of: try XCTUnwrap(resources.path), in: resources.object))
        XCTAssertEqual(resourcesOrigin.field, "defaults.resources")
        XCTAssertEqual(resourcesOrigin.origin.location?.file, "examples/overlays/site-defaults.yaml")
        let context = try XCTUnwrap(
            Explainer.find("Job/forecasting-ssh.spec.template.spec.securityContext", in: plan).success)
        let (_, uidOrigin) = try XCTUnwrap(Explainer.origin(of: try XCTUnwrap(context.path), in: context.object))
        XCTAssertEqual(uidOrigin.field, "security.uidRange")
        XCTAssertEqual(uidOrigin.origin.location?.file, "examples/overlays/openshift-uids.yaml")
        // The SSH clone follows the git-passwd container: initContainers[1] is the clone.
        let clone = try XCTUnwrap(
            Explainer.find("Job/forecasting-ssh.spec.template.spec.initContainers[1].image", in: plan).success)
        let (_, cloneOrigin) = try XCTUnwrap(Explainer.origin(of: try XCTUnwrap(clone.path), in: clone.object))
        XCTAssertEqual(cloneOrigin.field, "images.gitClone")
    }
}
