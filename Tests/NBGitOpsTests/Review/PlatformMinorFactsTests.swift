import Foundation
import XCTest

@testable import NBGitOps

/// The minor findings m4–m10, m12 and m13 of the platform review: each test compiles the
/// failing situation through the real pipeline (`CompilerPipeline.run`: the repository's
/// example, a rule fixture with its overlays, or a spec text over real overlay files) and reads
/// the rendered objects and the located diagnostics.
final class PlatformMinorFactsTests: XCTestCase {
    func example() throws -> CompilerOutput { try RepositoryExample.shared.get() }

    static let fixtures = "Tests/NBGitOpsTests/Fixtures/"
    static let overlays = fixtures + "overlays/"

    /// A spec text through the pipeline: every diagnostic, and the plan when no error stopped it.
    func compile(_ text: String, overlays: [String]) throws -> (plan: EnvironmentPlan?, diagnostics: [Diagnostic]) {
        let (output, diagnostics) = try compileSpecWithDiagnostics(text, overlays: overlays)
        return (output?.plans.first, diagnostics.sorted)
    }

    /// The 1-based line of the first line of `text` containing `needle` (fixtures carry a
    /// comment header of varying length).
    func lineNumber(of needle: String, in text: String) -> Int? {
        text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(needle) }.map { $0 + 1 }
    }

    /// A fixture file's text (with its comment header).
    func fixture(_ name: String) throws -> String {
        try String(contentsOfFile: repositoryRoot + "/" + Self.fixtures + "rules/" + name, encoding: .utf8)
    }

    func of(_ id: String, _ diagnostics: [Diagnostic]) -> [Diagnostic] { diagnostics.filter { $0.id.rawValue == id } }

    /// m4: ESO 0.17 serves external-secrets.io/v1 only: a v1beta1 object is an error where the
    /// ESO version is declared 0.17 or later (at the object's apiVersion line, with a note at
    /// the overlay line), a warning where it is unknown; the example now writes v1.
    func testm4_externalSecretsV1beta1IsRefusedWhereESOServesOnlyV1() throws {
        let spec = try fixture("NBG340-fail.yaml")
        let base = ["openshift", "rwo", "argocd", Self.overlays + "rules.yaml"]
        let declared = try compile(spec, overlays: base + [Self.overlays + "eso-0.17.yaml"])
        let errors = of("NBG340", declared.diagnostics)
        XCTAssertEqual(errors.count, 1, "\(declared.diagnostics.map(\.rendered))")
        XCTAssertEqual(errors.first?.severity, .error)
        XCTAssertEqual(errors.first?.location?.line, lineNumber(of: "apiVersion: external-secrets.io/v1beta1", in: spec))
        XCTAssertTrue(errors.first?.rendered.contains("eso-0.17.yaml:9") == true, errors.first?.rendered ?? "")
        XCTAssertNil(declared.plan, "an error stops the render")

        let unknown = try compile(spec, overlays: base)
        XCTAssertEqual(of("NBG340", unknown.diagnostics).map(\.severity), [.warning])
        let v1 = try compile(
            spec.replacingOccurrences(of: "external-secrets.io/v1beta1", with: "external-secrets.io/v1"),
            overlays: base + [Self.overlays + "eso-0.17.yaml"])
        XCTAssertEqual(of("NBG340", v1.diagnostics).count, 0)

        let text = try renderedText(example(), environment: "openshift-gpu", containing: "3-externalsecret-git-https")
        XCTAssertTrue(text.contains("apiVersion: external-secrets.io/v1\n"), text)
    }

    /// m5: OpenShift AI installs none of KServe's kserve-* ClusterServingRuntimes: an
    /// InferenceService naming one is an error at its `serving.runtime` line unless the runtime
    /// is declared present; without OpenShift AI declared nothing is said.
    func testm5_kserveRuntimeOnOpenShiftAIIsRefusedUnlessDeclared() throws {
        let spec = try fixture("NBG341-fail.yaml")
        let base = [
            "openshift", "openshift-ai-2", "rwo", "argocd", "examples/overlays/repository.yaml",
            "examples/overlays/site-defaults.yaml",
        ]
        let refused = try compile(spec, overlays: base)
        let errors = of("NBG341", refused.diagnostics)
        XCTAssertEqual(errors.count, 1, "\(refused.diagnostics.map(\.rendered))")
        XCTAssertEqual(errors.first?.location?.line, lineNumber(of: "runtime: kserve-sklearnserver", in: spec))
        XCTAssertTrue(errors.first?.rendered.contains("overlays/openshift-ai-2.yaml:") == true, errors.first?.rendered ?? "")
        XCTAssertTrue(errors.first?.rendered.contains("platform.versions.openshiftAI") == true)

        let declared = try compile(spec, overlays: base + [Self.overlays + "openshift-ai-sklearn.yaml"])
        XCTAssertEqual(of("NBG341", declared.diagnostics).count, 0)
        XCTAssertNotNil(declared.plan)
        let upstream = try compile(spec, overlays: base.filter { $0 != "openshift-ai-2" })
        XCTAssertEqual(of("NBG341", upstream.diagnostics).count, 0)
    }

    /// m6: the clone accepts an HTTPS Secret holding `token` (as the operator does), and a
    /// Secret created in git without the keys the clone reads (SSH without known_hosts) is an
    /// error at compile time, at the job's credentialsSecret line.
    func testm6_gitCredentialsKeysAreCheckedAtCompileTimeAndTokenIsAccepted() throws {
        let base = ["openshift", "rwo", "argocd", Self.overlays + "rules.yaml"]
        let sshSpec = try fixture("NBG342-fail.yaml")
        let ssh = try compile(sshSpec, overlays: base)
        let errors = of("NBG342", ssh.diagnostics)
        XCTAssertEqual(errors.count, 1, "\(ssh.diagnostics.map(\.rendered))")
        XCTAssertEqual(errors.first?.location?.line, lineNumber(of: "credentialsSecret: git-ssh", in: sshSpec))
        XCTAssertTrue(errors.first?.rendered.contains("known_hosts") == true)
        XCTAssertEqual(of("NBG342", try compile(try fixture("NBG342-pass.yaml"), overlays: base).diagnostics).count, 0)

        // HTTPS: `token` instead of `password` is accepted; neither is an error.
        let https = try fixture("NBG342-pass.yaml")
            .replacingOccurrences(of: "ssh://git@github.com/org/repo.git", with: "https://github.com/org/repo.git")
            .replacingOccurrences(of: "secretKey: ssh-privatekey", with: "secretKey: token")
            .replacingOccurrences(of: "secretKey: known_hosts", with: "secretKey: username")
        let token = try compile(https, overlays: base)
        XCTAssertEqual(of("NBG342", token.diagnostics).count, 0, "\(token.diagnostics.map(\.rendered))")
        let neither = try compile(https.replacingOccurrences(of: "secretKey: token", with: "secretKey: pat"), overlays: base)
        XCTAssertEqual(of("NBG342", neither.diagnostics).count, 1, "\(neither.diagnostics.map(\.rendered))")

        // The clone script every validation pod mounts reads `token` when there is no `password`.
        let plan = try XCTUnwrap(try example().plans.first { $0.environment.name == "openshift-gpu" })
        let scripts = try XCTUnwrap(plan.objects.first { $0.kind == "ConfigMap" && $0.name.hasPrefix("nbgitops-scripts") })
        let clone = try XCTUnwrap(scripts.manifest.value(at: "data")?["git-clone.sh"]?.stringValue)
        XCTAssertTrue(clone.contains("secret_key=token"), "git-clone.sh does not read the key token")
    }

    /// m7: the buildah image is an overlay setting (`images.buildah`) reported by NBG137 until
    /// it is pinned by digest, and buildah's vfs storage and TMPDIR live on the run's workspace
    /// claim, not on an unbounded emptyDir on the node's ephemeral storage.
    func testm7_buildahImageIsADigestCheckedSettingAndStorageIsOnTheWorkspace() throws {
        for plan in try example().plans {
            let task = try XCTUnwrap(
                (plan.objects + plan.buildObjects).first { $0.kind == "Task" && $0.name.hasSuffix("nbgitops-buildah") },
                plan.environment.name)
            XCTAssertNil(task.manifest.value(at: "spec.volumes")?.elements?.first { $0["emptyDir"] != nil })
            let step = try XCTUnwrap(task.manifest.value(at: "spec.steps")?.elements?.first)
            XCTAssertNil(step["volumeMounts"]?.elements?.first { $0["mountPath"]?.stringValue == "/var/lib/containers" })
            let env = Dictionary(
                (step["env"]?.elements ?? []).compactMap { entry in
                    entry["name"]?.stringValue.map { ($0, entry["value"]?.stringValue ?? "") }
                }, uniquingKeysWith: { first, _ in first })
            XCTAssertEqual(env["NBG_STORAGE"], "$(workspaces.source.path)/.nbgitops-buildah")
            XCTAssertEqual(env["TMPDIR"], "$(workspaces.source.path)/.nbgitops-buildah/tmp")
            XCTAssertTrue(step["script"]?.stringValue?.contains("--root $NBG_STORAGE/root") == true)
            let source = task.manifest.value(at: "spec.workspaces")?.elements?.first { $0["name"]?.stringValue == "source" }
            XCTAssertNil(source?["readOnly"], "buildah writes its storage to the source workspace")
            XCTAssertEqual(step["image"]?.stringValue, "quay.io/buildah/stable:v1.38.0")
        }

        let spec = try fixture("NBG343-pass.yaml")
        let base = [
            "kubernetes", "rwo", "flux", "examples/overlays/repository.yaml", "examples/overlays/site-defaults.yaml",
            "examples/overlays/registry.yaml",
        ]
        let unpinned = try compile(spec, overlays: base)
        let warnings = of("NBG137", unpinned.diagnostics)
        XCTAssertEqual(warnings.count, 1, "\(unpinned.diagnostics.map(\.rendered))")
        XCTAssertTrue(warnings.first?.message.contains("images.buildah") == true)
        let pinned = try compile(spec, overlays: base + [Self.overlays + "buildah-nodes.yaml"])
        XCTAssertEqual(of("NBG137", pinned.diagnostics).count, 0)
        let task = try XCTUnwrap(
            pinned.plan.flatMap { plan in
                (plan.objects + plan.buildObjects).first { $0.kind == "Task" && $0.name.hasSuffix("nbgitops-buildah") }
            })
        XCTAssertEqual(
            task.manifest.value(at: "spec.steps")?.elements?.first?["image"]?.stringValue,
            "quay.io/buildah/stable:v1.38.0@sha256:1111111111111111111111111111111111111111111111111111111111111111")
    }

    /// m8: rootful buildah without CAP_SYS_ADMIN on Kubernetes depends on the nodes' seccomp and
    /// AppArmor profiles: a note naming the fact where it is unknown, an error at the overlay
    /// line where it is false, nothing where it is true or on OpenShift.
    func testm8_buildahOnKubernetesNamesTheNodeProfileFact() throws {
        let spec = try fixture("NBG343-pass.yaml")
        let base = [
            "kubernetes", "rwo", "flux", "examples/overlays/repository.yaml", "examples/overlays/site-defaults.yaml",
            "examples/overlays/registry.yaml",
        ]
        let unknown = of("NBG343", try compile(spec, overlays: base).diagnostics)
        XCTAssertEqual(unknown.map(\.severity), [.note])
        XCTAssertTrue(unknown.first?.help?.contains("platform.podSecurity.buildahMounts") == true)
        let denied = of("NBG343", try compile(spec, overlays: base + [Self.overlays + "buildah-nodes-deny.yaml"]).diagnostics)
        XCTAssertEqual(denied.map(\.severity), [.error])
        XCTAssertEqual(denied.first?.location?.file, Self.overlays + "buildah-nodes-deny.yaml")
        XCTAssertEqual(denied.first?.location?.line, 9)
        XCTAssertEqual(
            of("NBG343", try compile(spec, overlays: base + [Self.overlays + "buildah-nodes.yaml"]).diagnostics).count, 0)
        let openshift = [
            "openshift", "rwo", "argocd", "examples/overlays/repository.yaml", "examples/overlays/site-defaults.yaml",
        ]
        XCTAssertEqual(of("NBG343", try compile(spec, overlays: openshift).diagnostics).count, 0)
    }

    /// m9: a PipelineRun that may run for hours holds its Argo CD sync open: a note at the run
    /// with the overlay line that chose Argo CD; Flux delivery gets none.
    func testm9_longPipelineRunNotesTheArgoSyncHeldOpen() throws {
        let base = [
            "rwo", "examples/overlays/repository.yaml", "examples/overlays/site-defaults.yaml",
            Self.overlays + "uid-modelcar-unset.yaml",
        ]
        let spec = try fixture("NBG344-fail.yaml")
        let argo = of("NBG344", try compile(spec, overlays: ["openshift", "argocd"] + base).diagnostics)
        XCTAssertEqual(argo.count, 1)
        XCTAssertEqual(argo.first?.severity, .note)
        XCTAssertTrue(argo.first?.message.contains("up to 5h") == true, argo.first?.message ?? "")
        XCTAssertTrue(argo.first?.help?.contains("controller.sync.timeout.seconds") == true)
        XCTAssertTrue(argo.first?.rendered.contains("delivery.tool: argocd") == true, argo.first?.rendered ?? "")
        XCTAssertEqual(of("NBG344", try compile(spec, overlays: ["openshift", "flux"] + base).diagnostics).count, 0)
    }

    /// m10: before Argo CD 3.3 the built-in InferenceService health never says Healthy on
    /// KServe ≥ 0.15.1 (`Stopped: False`): where the Argo CD version is unknown or older, the
    /// health checks carry nbgitops' own, run here by a real Lua 5.1; a declared 3.3 drops it.
    func testm10_inferenceServiceHealthCheckWhereArgoCDIsOlderThan33() throws {
        let plan = try XCTUnwrap(try example().plans.first { $0.environment.name == "openshift-gpu" })
        let patch = try XCTUnwrap(plan.snippets.first { $0.kind == "ArgoCD" })
        let check = try XCTUnwrap(
            patch.manifest.value(at: "spec.resourceHealthChecks")?.elements?.first {
                $0["kind"]?.stringValue == "InferenceService"
            })
        XCTAssertEqual(check["group"]?.stringValue, "serving.kserve.io")
        let script = try XCTUnwrap(check["check"]?.stringValue)

        let pipeline = try fixture("NBG341-pass.yaml")
        let declared = try compile(
            pipeline,
            overlays: [
                "openshift", "rwo", "argocd", "examples/overlays/repository.yaml", "examples/overlays/site-defaults.yaml",
                Self.overlays + "argocd-3.3.yaml",
            ])
        let snippets = try XCTUnwrap(declared.plan).snippets
        XCTAssertFalse(snippets.isEmpty)
        for snippet in snippets {
            XCTAssertNil(snippet.manifest.value(at: "data[resource.customizations.health.serving.kserve.io_InferenceService]"))
        }
        let unknown = try XCTUnwrap(
            try compile(
                pipeline,
                overlays: [
                    "openshift", "rwo", "argocd", "examples/overlays/repository.yaml",
                    "examples/overlays/site-defaults.yaml",
                ]
            ).plan)
        let configMap = try XCTUnwrap(unknown.snippets.first { $0.name == ArgoHealthPlanner.configMapName })
        XCTAssertEqual(
            configMap.manifest.value(at: "data")?["resource.customizations.health.serving.kserve.io_InferenceService"]?
                .stringValue, script)

        guard ArgoHealthLuaTests.luaPath != nil else { throw RequiredTool.missing("lua5.1 is not installed") }
        func isvc(_ conditions: [ManifestNode], modelStatus: ManifestNode? = nil) -> ManifestNode {
            var status: ManifestNode = ["conditions": .list(conditions)]
            if let modelStatus { status["modelStatus"] = modelStatus }
            return ["apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "status": status]
        }
        let stopped: ManifestNode = ["type": "Stopped", "status": "False"]
        let ready = try ArgoHealthLuaTests.health(
            text: script,
            isvc([["type": "PredictorReady", "status": "True"], ["type": "Ready", "status": "True"], stopped]))
        XCTAssertEqual(ready.status, "Healthy")
        let starting = try ArgoHealthLuaTests.health(
            text: script,
            isvc([
                ["type": "PredictorReady", "status": "False", "reason": "RevisionMissing"], ["type": "Ready", "status": "False"],
                stopped,
            ]))
        XCTAssertEqual(starting.status, "Progressing")
        XCTAssertFalse(starting.message.contains("Stopped"), starting.message)
        let failed = try ArgoHealthLuaTests.health(
            text: script,
            isvc(
                [["type": "Ready", "status": "False"], stopped],
                modelStatus: ["transitionStatus": "BlockedByFailedLoad", "lastFailureInfo": ["message": "OOMKilled"]]))
        XCTAssertEqual(failed.status, "Degraded")
        XCTAssertTrue(failed.message.contains("OOMKilled"), failed.message)
        XCTAssertEqual(try ArgoHealthLuaTests.health(text: script, ["kind": "InferenceService"]).status, "Progressing")
    }

    /// m12: on OpenShift AI the dashboard lists only labelled objects: InferenceServices and
    /// generated ServingRuntimes carry `opendatahub.io/dashboard`, a display name and (runtimes)
    /// the API protocol; elsewhere none of it.
    func testm12_openShiftAIDashboardMetadataWhereOpenShiftAIIsDeclared() throws {
        let output = try example()
        let isvc = try renderedText(output, environment: "openshift-gpu", containing: "6-inferenceservice-granite-2b")
        XCTAssertTrue(isvc.contains("    opendatahub.io/dashboard: 'true'\n"), isvc)
        XCTAssertTrue(isvc.contains("    openshift.io/display-name: granite-2b\n"), isvc)
        let runtime = try renderedText(output, environment: "openshift-gpu", containing: "3-servingruntime-granite-2b")
        XCTAssertTrue(runtime.contains("    opendatahub.io/dashboard: 'true'\n"), runtime)
        XCTAssertTrue(runtime.contains("    opendatahub.io/apiProtocol: REST\n"), runtime)
        let kubernetes = try XCTUnwrap(output.plans.first { $0.environment.name == "kubernetes" })
        for object in everyObject(kubernetes) where object.kind == "InferenceService" || object.kind == "ServingRuntime" {
            XCTAssertNil(object.manifest.value(at: "metadata.labels[opendatahub.io/dashboard]"), object.name)
        }
    }

    /// m13: the validation scripts ConfigMap is named after its content, as the Jobs are: a
    /// changed script is a new ConfigMap, and a superseded Job still running keeps the one it
    /// mounted until both are pruned.
    func testm13_scriptsConfigMapIsContentAddressed() throws {
        for plan in try example().plans {
            let maps = everyObject(plan).filter { $0.kind == "ConfigMap" && $0.name.hasPrefix("nbgitops-scripts") }
            XCTAssertFalse(maps.isEmpty, plan.environment.name)
            for job in everyObject(plan) where job.kind == "Job" {
                let checksum = try XCTUnwrap(
                    job.manifest.value(at: "spec.template.metadata.annotations[\(AnnotationKey.scriptsChecksum)]")?
                        .stringValue)
                let volume = try XCTUnwrap(
                    job.manifest.value(at: "spec.template.spec.volumes")?.elements?.first {
                        $0["name"]?.stringValue == PodLayout.scripts.name
                    })
                let name = try XCTUnwrap(volume.value(at: "configMap.name")?.stringValue)
                XCTAssertEqual(name, "nbgitops-scripts-" + checksum.prefix(8), job.name)
                XCTAssertTrue(
                    maps.contains { $0.name == name && $0.namespace == job.namespace }, "\(job.name): \(name) not emitted")
            }
        }
        let files = try example().files["openshift-gpu"] ?? []
        XCTAssertFalse(files.contains { $0.path.hasSuffix("3-configmap-nbgitops-scripts.yaml") })
    }
}
