import Foundation
import XCTest

@testable import NBGitOps

/// `nbgitops explain` over the repository's example.
final class ExplainTests: XCTestCase {
    func testFieldSetInASpecShowsValueLineAndRule() throws {
        let plan = try examplePlan("openshift-gpu")
        let match = try XCTUnwrap(
            Explainer.find("Job/intro-statistics.spec.activeDeadlineSeconds", in: plan).success)
        let name = try exampleHashedName("Job", "intro-statistics", in: "openshift-gpu")
        XCTAssertEqual(match.object.name, name)
        XCTAssertEqual(match.path, "spec.activeDeadlineSeconds")
        XCTAssertEqual(
            Explainer.render(match, environment: "openshift-gpu", outputRoot: "gitops"),
            """
            Job/\(name) in environment openshift-gpu
              file:    gitops/openshift-gpu/validation/5-job-\(name).yaml
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
        XCTAssertEqual(key, "spec.template.spec.tolerations[0]", "recorded per toleration as the planner added it")
        XCTAssertEqual(origin.field, "gpu.taints[0]")
        XCTAssertEqual(
            origin.origin,
            .overlay(name: "gpu-taints", SourceLocation(file: "overlays/gpu-taints.yaml", line: 11, column: 5)))
        let text = Explainer.render(match, environment: "openshift-gpu", outputRoot: "gitops")
        XCTAssertTrue(text.contains("spec.template.spec.tolerations[0].key: \"nvidia.com/gpu\"\n"), text)
        XCTAssertTrue(text.contains("(explained by spec.template.spec.tolerations[0])"), text)

        let application = try XCTUnwrap(
            Explainer.find("Application/example-openshift-gpu.spec.source.repoURL", in: plan).success)
        let repository = try XCTUnwrap(Explainer.origin(of: "spec.source.repoURL", in: application.object))
        XCTAssertEqual(
            repository.origin.origin,
            .overlay(name: "repository", SourceLocation(file: "examples/overlays/repository.yaml", line: 10, column: 20)))
    }

    func testBuiltInDefaultsSayWhy() throws {
        let plan = try examplePlan("openshift-gpu")
        let match = try XCTUnwrap(
            Explainer.find("Application/example-openshift-gpu.spec.syncPolicy.automated.prune", in: plan).success)
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
        // Delivered by stage: the validation part's Kustomization, its path set by delivery.split.
        let match = try XCTUnwrap(Explainer.find("kustomization/example-kubernetes-validation", in: plan).success)
        XCTAssertNil(match.path)
        let text = Explainer.render(match, environment: "kubernetes", outputRoot: "gitops")
        XCTAssertTrue(text.hasPrefix("Kustomization/example-kubernetes-validation in environment kubernetes\n"), text)
        XCTAssertTrue(text.contains("  spec.path = \"./gitops/kubernetes/validation\"\n"), text)
        XCTAssertTrue(text.contains("examples/overlays/delivery-split.yaml"), text)
    }

    func testFailuresNameWhatExists() throws {
        let plan = try examplePlan("openshift-gpu")
        XCTAssertEqual(Explainer.find("intro-statistics", in: plan).failure, .malformedTarget("intro-statistics"))
        guard case .noObject(let kind, let name, let candidates)? = Explainer.find("Job/nope", in: plan).failure else {
            return XCTFail("expected noObject")
        }
        XCTAssertEqual(kind, "Job")
        XCTAssertEqual(name, "nope")
        XCTAssertEqual(candidates.count, 13)  // the thirteen jobs of examples/specs (S2I jobs included on OpenShift)
        XCTAssertEqual(
            Explainer.find("Job/intro-statistics.spec.nope", in: plan).failure,
            .noField(
                object: "Job/\(try exampleHashedName("Job", "intro-statistics", in: "openshift-gpu"))", path: "spec.nope",
                available: ["apiVersion", "kind", "metadata", "spec"], suggestion: nil))
        // A slip of the field path suggests the nearest existing path.
        guard
            case .noField(_, _, _, let suggestion)? = Explainer.find(
                "Job/intro-statistics.spec.activeDeadlineSecond", in: plan
            ).failure
        else { return XCTFail("expected noField") }
        XCTAssertEqual(suggestion, "spec.activeDeadlineSeconds")
        guard
            case .noField(_, _, _, let nested)? = Explainer.find(
                "Job/intro-statistics.spec.template.spec.containers[0].imag", in: plan
            ).failure
        else { return XCTFail("expected noField") }
        XCTAssertEqual(nested, "spec.template.spec.containers[0].image")
        XCTAssertTrue(
            "\(try XCTUnwrap(Explainer.find("Job/intro-statistics.spec.activeDeadlineSecond", in: plan).failure))"
                .contains("did you mean 'spec.activeDeadlineSeconds'?"))
    }

    func testPipelineRunsAndBuildConfigsAreFoundByTheirSpecsName() throws {
        let kubernetes = try examplePlan("kubernetes")
        let run = try XCTUnwrap(Explainer.find("PipelineRun/fraud-features-build.spec.params", in: kubernetes).success)
        XCTAssertEqual(run.object.kind, "PipelineRun")
        XCTAssertTrue(run.object.name.hasPrefix("fraud-features-build-"), run.object.name)
        XCTAssertNotEqual(run.object.name, "fraud-features-build")
        XCTAssertEqual(run.path, "spec.params")
        let openshift = try examplePlan("openshift-gpu")
        let build = try XCTUnwrap(Explainer.find("BuildConfig/churn-retrain-s2i", in: openshift).success)
        XCTAssertTrue(build.object.name.hasPrefix("churn-retrain-s2i-"), build.object.name)
        XCTAssertNil(build.path)
        // The ImageStream of the same spec keeps its plain name.
        XCTAssertEqual(
            Explainer.find("ImageStream/churn-retrain-s2i", in: openshift).success?.object.name, "churn-retrain-s2i")
    }

    func testFieldPathsSortListIndicesNumerically() {
        let paths = ["a.b[10].c", "a.b[2].c", "a.b[1]", "a.b", "a.c", "a.b[02]", "a.b[9]"]
        XCTAssertEqual(
            paths.sorted(by: FieldPathOrder.precedes), ["a.b", "a.b[1]", "a.b[2].c", "a.b[02]", "a.b[9]", "a.b[10].c", "a.c"])
        XCTAssertFalse(FieldPathOrder.precedes("x", "x"))
        XCTAssertTrue(FieldPathOrder.precedes("x", "x[0]"))
    }

    func testSmallMapsShowTheirValues() {
        let small: ManifestNode = ["cpu": "1", "memory": "2Gi"]
        XCTAssertEqual(ManifestFlattening.inline(small, expandingSmallMaps: true), "{cpu: \"1\", memory: \"2Gi\"}")
        XCTAssertEqual(ManifestFlattening.inline(small), "{2 keys}")
        let nested: ManifestNode = ["requests": ["cpu": "1"]]
        XCTAssertEqual(ManifestFlattening.inline(nested, expandingSmallMaps: true), "{1 keys}")
        let large: ManifestNode = ["a": "1", "b": "2", "c": "3", "d": "4", "e": "5"]
        XCTAssertEqual(ManifestFlattening.inline(large, expandingSmallMaps: true), "{5 keys}")
    }

    func testOnlyDiagnosticsAboutTheObjectAreKept() throws {
        let plan = try examplePlan("openshift-gpu")
        let match = try XCTUnwrap(Explainer.find("Job/intro-statistics", in: plan).success)
        let mine = Diagnostic(
            "NBG274", .warning, "about it", at: SourceLocation(file: "examples/specs/01-public-basic.yaml", line: 20, column: 3))
        let other = Diagnostic(
            "NBG126", .warning, "elsewhere", at: SourceLocation(file: "examples/specs/05-gpu.yaml", line: 29, column: 20))
        let (about, others) = Explainer.diagnostics([mine, other], about: match.object)
        XCTAssertEqual(about, [mine])
        XCTAssertEqual(others, 1)
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

/// `explain` answers from what the planner recorded while building the pod (issue 11), not from
/// the manifest's shape: a CPU spec's own toleration is the spec's, not `gpu.taints`'.
final class ConstructionProvenanceTests: XCTestCase {
    static let overlays = ["openshift", "rwo", "gpu-taints", "argocd", "examples/overlays/repository.yaml"]

    func spec(podConfig: String, url: String = "https://github.com/org/repo.git", golden: Bool = false) -> String {
        """
        apiVersion: mlops.mlops.dev/v1alpha1
        kind: NotebookValidationJob
        metadata:
          name: demo
        spec:
          notebook:
            git:
              url: \(url)
              ref: main
            path: notebooks/demo.ipynb
        """ + (golden ? "\n  goldenNotebook:\n    git:\n      url: https://github.com/org/golden.git\n      ref: main\n    path: golden.ipynb" : "")
            + """

              podConfig:
                containerImage: quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2
            \(podConfig)
            """
    }

    func testACPUSpecsOwnTolerationIsTheSpecs() throws {
        let plan = try compileSpecThroughPipeline(
            spec(
                podConfig: """
                        tolerations:
                        - {key: dedicated, operator: Equal, value: batch, effect: NoSchedule}
                        nodeSelector:
                          pool: batch
                    """), overlays: Self.overlays)
        let match = try XCTUnwrap(Explainer.find("Job/demo.spec.template.spec.tolerations", in: plan).success)
        let (key, origin) = try XCTUnwrap(Explainer.origin(of: "spec.template.spec.tolerations", in: match.object))
        XCTAssertEqual(key, "spec.template.spec.tolerations")
        XCTAssertEqual(origin.field, "spec.podConfig.tolerations")
        XCTAssertEqual(origin.origin.location?.file, "spec.yaml")
        let text = Explainer.render(match, environment: "test", outputRoot: "gitops")
        XCTAssertFalse(text.contains("gpu-taints"), text)
        XCTAssertTrue(text.contains("origin: set in spec spec.yaml:"), text)
        let entry = try XCTUnwrap(Explainer.origin(of: "spec.template.spec.tolerations[0].key", in: match.object))
        XCTAssertEqual(entry.origin.field, "spec.podConfig.tolerations[0]")
        let selector = try XCTUnwrap(Explainer.origin(of: "spec.template.spec.nodeSelector.pool", in: match.object))
        XCTAssertEqual(selector.origin.field, "spec.podConfig.nodeSelector.pool")
        XCTAssertEqual(selector.origin.origin.location?.file, "spec.yaml")
    }

    func testAGPUSpecMixesItsOwnAndTheGPUTolerationsEntryByEntry() throws {
        let plan = try compileSpecThroughPipeline(
            spec(
                podConfig: """
                        resources:
                          limits: {nvidia.com/gpu: "1", cpu: "2", memory: 4Gi}
                          requests: {nvidia.com/gpu: "1", cpu: "1", memory: 2Gi}
                        tolerations:
                        - {key: dedicated, operator: Equal, value: batch, effect: NoSchedule}
                    """), overlays: Self.overlays)
        let job = try XCTUnwrap(Explainer.find("Job/demo", in: plan).success).object
        XCTAssertEqual(
            Explainer.origin(of: "spec.template.spec.tolerations[0]", in: job)?.origin.field, "spec.podConfig.tolerations[0]")
        let added = try XCTUnwrap(Explainer.origin(of: "spec.template.spec.tolerations[1].key", in: job))
        XCTAssertEqual(added.origin.field, "gpu.taints[0]")
        XCTAssertEqual(added.origin.origin.location?.file, "overlays/gpu-taints.yaml")
    }

    /// Init-container indexes come from the planner: with an SSH clone the passwd step is 0, the
    /// clone 1 and the golden clone 2.
    func testInitContainerOriginsFollowThePlannersOrder() throws {
        let plan = try compileSpecThroughPipeline(
            spec(
                podConfig: "", url: "git@github.com:org/repo.git", golden: true
            ).replacingOccurrences(of: "      ref: main\n    path: notebooks", with: "      ref: main\n      credentialsSecret: git-ssh\n    path: notebooks"),
            overlays: Self.overlays)
        let job = try XCTUnwrap(Explainer.find("Job/demo", in: plan).success).object
        let names = (job.manifest.value(at: "spec.template.spec.initContainers")?.elements ?? []).compactMap {
            $0["name"]?.stringValue
        }
        XCTAssertEqual(names.count, 3, "\(names)")
        XCTAssertEqual(Explainer.origin(of: "spec.template.spec.initContainers[0]", in: job)?.origin.field, "spec.notebook.git.url")
        XCTAssertTrue(
            Explainer.origin(of: "spec.template.spec.initContainers[0]", in: job)?.origin.rule?.contains("git-passwd") ?? false)
        XCTAssertEqual(
            Explainer.origin(of: "spec.template.spec.initContainers[1]", in: job)?.origin.rule,
            "git-clone.sh clones spec.notebook.git at its ref")
        XCTAssertEqual(
            Explainer.origin(of: "spec.template.spec.initContainers[2]", in: job)?.origin.field, "spec.goldenNotebook.git.url")
    }

    /// The image of a job with an in-cluster build is the build's output: explain names
    /// spec.podConfig.buildConfig, not containerImage (which the pod does not run).
    func testABuiltImageIsAttributedToTheBuild() throws {
        let plan = try compileSpecThroughPipeline(
            spec(
                podConfig: """
                        buildConfig:
                          enabled: true
                          strategy: tekton
                          baseImage: quay.io/jupyter/minimal-notebook:2025-05-30@sha256:b1e5df5d0147db361f004f898700feffc80a58d09bca567bb93395945a30a8a2
                          requirementsFile: requirements.txt
                          fallbackStrategy: fail
                    """), overlays: Self.overlays)
        let job = try XCTUnwrap(Explainer.find("Job/demo", in: plan).success).object
        let image = try XCTUnwrap(Explainer.origin(of: "spec.template.spec.containers[0].image", in: job)).origin
        XCTAssertEqual(image.field, "spec.podConfig.buildConfig")
        XCTAssertEqual(image.origin.location?.line, 14)  // the buildConfig mapping
        XCTAssertTrue(image.rule?.contains("pulled Always") ?? false)
    }

    /// Each resource a default filled in names the overlay line; the spec's own values name the spec.
    func testDefaultedResourcesNameTheOverlayFieldByField() throws {
        let plan = try compileSpecThroughPipeline(
            spec(
                podConfig: """
                        resources:
                          limits: {memory: 8Gi}
                    """), overlays: Self.overlays + ["examples/overlays/site-defaults.yaml"])
        let job = try XCTUnwrap(Explainer.find("Job/demo", in: plan).success).object
        let cpu = try XCTUnwrap(Explainer.origin(of: "spec.template.spec.containers[0].resources.requests.cpu", in: job))
        XCTAssertEqual(cpu.key, "spec.template.spec.containers[0].resources.requests.cpu")
        XCTAssertEqual(cpu.origin.field, "defaults.resources.requests.cpu")
        XCTAssertEqual(cpu.origin.origin.location?.file, "examples/overlays/site-defaults.yaml")
        let limit = try XCTUnwrap(Explainer.origin(of: "spec.template.spec.containers[0].resources.limits.cpu", in: job))
        XCTAssertEqual(limit.origin.field, "defaults.resources.limits.cpu")
        // memory: the spec's limit (Kubernetes copies it into the request; no default is added).
        let memory = try XCTUnwrap(Explainer.origin(of: "spec.template.spec.containers[0].resources.limits.memory", in: job))
        XCTAssertEqual(memory.origin.field, "spec.podConfig.resources")
        XCTAssertNil(Explainer.origin(of: "spec.template.spec.containers[0].resources.requests.memory", in: job)?.origin.field
            .map { $0.hasPrefix("defaults") ? $0 : nil } ?? nil)
    }

    /// Volumes, mounts and env entries are attributed by what the planner appended, index by index.
    func testVolumesMountsAndEnvAreAttributedEntryByEntry() throws {
        let plan = try compileSpecThroughPipeline(
            spec(
                podConfig: """
                        env:
                        - {name: DATASET, value: s3://bucket/data.csv}
                        volumes:
                        - name: data
                          emptyDir: {}
                        volumeMounts:
                        - {name: data, mountPath: /data}
                    """, url: "git@github.com:org/private.git"), overlays: Self.overlays)
        let job = try XCTUnwrap(Explainer.find("Job/demo", in: plan).success).object
        let volumes = job.manifest.value(at: "spec.template.spec.volumes")?.elements ?? []
        let dataIndex = try XCTUnwrap(volumes.firstIndex { $0["name"]?.stringValue == "data" })
        XCTAssertEqual(
            Explainer.origin(of: "spec.template.spec.volumes[\(dataIndex)]", in: job)?.origin.field, "spec.podConfig.volumes[0]")
        XCTAssertEqual(
            Explainer.origin(of: "spec.template.spec.volumes[0]", in: job)?.origin.origin,
            .builtinDefault("nbgitops' own 'nbgitops-workspace' (writable workspace, HOME and /tmp under any UID; the scripts)"))
        let mounts = job.manifest.value(at: "spec.template.spec.containers[0].volumeMounts")?.elements ?? []
        let mountIndex = try XCTUnwrap(mounts.firstIndex { $0["name"]?.stringValue == "data" })
        XCTAssertEqual(
            Explainer.origin(of: "spec.template.spec.containers[0].volumeMounts[\(mountIndex)]", in: job)?.origin.field,
            "spec.podConfig.volumeMounts[0]")
        let env = job.manifest.value(at: "spec.template.spec.containers[0].env")?.elements ?? []
        let envIndex = try XCTUnwrap(env.firstIndex { $0["name"]?.stringValue == "DATASET" })
        let variable = try XCTUnwrap(Explainer.origin(of: "spec.template.spec.containers[0].env[\(envIndex)]", in: job))
        XCTAssertEqual(variable.origin.field, "spec.podConfig.env[0]")
        XCTAssertEqual(variable.origin.origin.location?.file, "spec.yaml")
    }
}
