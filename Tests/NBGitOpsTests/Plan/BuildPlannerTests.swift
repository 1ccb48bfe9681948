import Foundation
import XCTest

@testable import NBGitOps

/// Image builds (Tekton and S2I): what the seeds say goes wrong at runtime must not be
/// reachable from the emitted objects.
final class BuildPlannerTests: XCTestCase {
    typealias F = PlanFixtures

    static let resources = ResourceRoot(path: repositoryRoot)

    // MARK: Fixtures

    static func tektonSpec(
        name: String = "sales", url: String = "https://github.com/org/repo.git", ref: String = "main",
        secret: String? = nil, build: String = "", extraSpec: String = "", annotations: String = ""
    ) -> String {
        """
        apiVersion: mlops.mlops.dev/v1alpha1
        kind: NotebookValidationJob
        metadata:
          name: \(name)
        \(annotations)
        spec:
          notebook:
            git:
              url: \(url)
              ref: \(ref)
        \(secret.map { "      credentialsSecret: \($0)" } ?? "")
            path: notebooks/forecast/sales.ipynb
          podConfig:
            containerImage: quay.io/jupyter/minimal-notebook:2024-05-27
            buildConfig:
              enabled: true
        \(build.isEmpty ? "      strategy: tekton" : build)
        \(extraSpec)
        """
    }

    static func specs(_ texts: String...) throws -> SpecSet {
        let (set, messages) = decodeSpecs(texts.joined(separator: "\n---\n"))
        XCTAssertEqual(messages, [])
        return set
    }

    static func environment(
        platform: Platform = .openshift, tool: DeliveryTool = .argocd, registry: String? = nil,
        pushSecret: String? = nil, pullSecret: String? = nil
    ) -> Environment {
        var environment = F.environment(
            name: platform == .openshift ? "openshift-gpu" : "kubernetes", platform: platform, tool: tool)
        if let registry { environment.images.registry = F.overlay(registry, line: 21) }
        if let pushSecret { environment.images.pushSecret = F.overlay(pushSecret, line: 22) }
        if let pullSecret { environment.images.pullSecret = F.overlay(pullSecret, line: 23) }
        return environment
    }

    static func kubernetes(tool: DeliveryTool = .flux) -> Environment {
        environment(
            platform: .kubernetes, tool: tool, registry: "registry.example.com/nb", pushSecret: "push",
            pullSecret: "pull")
    }

    static func plan(_ specs: SpecSet, _ environment: Environment, templates: BuildTemplates? = nil)
        -> (EnvironmentPlan, DiagnosticCollector)
    {
        let diagnostics = DiagnosticCollector()
        let setup = DiagnosticCollector()
        var planResources = PlanResources.load(from: resources, diagnostics: setup)
        if let templates { planResources.buildTemplates = templates }
        let plan = EnvironmentPlanner.plan(
            specs: specs, environment: environment, resources: planResources, delivery: .project(outputPath: "gitops"))
        XCTAssertFalse(setup.hasErrors, "\(setup.sorted.map(\.rendered))")
        return (plan, diagnostics)
    }

    static func all(_ plan: EnvironmentPlan) -> [PlannedObject] { plan.objects + plan.buildObjects }

    static func objects(_ plan: EnvironmentPlan, kind: String) -> [PlannedObject] {
        all(plan).filter { $0.kind == kind }
    }

    static func errors(_ diagnostics: DiagnosticCollector) -> [String] {
        diagnostics.sorted.map(\.rendered)
    }

    // MARK: Workspaces (ADR-040)

    func testEveryPipelineRunHasItsOwnWorkspaceOnRWO() throws {
        let specs = try Self.specs(
            Self.tektonSpec(name: "one"), Self.tektonSpec(name: "two"), Self.tektonSpec(name: "three", secret: "git-creds"))
        for environment in [Self.environment(), Self.kubernetes()] {
            XCTAssertEqual(environment.storage.accessMode.value, .readWriteOnce)
            let (plan, diagnostics) = Self.plan(specs, environment)
            XCTAssertFalse(diagnostics.hasErrors, "\(Self.errors(diagnostics))")
            let runs = Self.objects(plan, kind: "PipelineRun")
            XCTAssertEqual(runs.count, 3)
            XCTAssertEqual(Set(runs.map(\.name)).count, 3)
            var claimTemplates = 0
            for run in runs {
                for workspace in run.manifest.value(at: "spec.workspaces")?.elements ?? [] {
                    XCTAssertNil(workspace["persistentVolumeClaim"], "no claim shared between runs: \(run.name)")
                    XCTAssertNil(workspace["emptyDir"], "an emptyDir does not outlive one Task's pod")
                    if let template = workspace["volumeClaimTemplate"] {
                        claimTemplates += 1
                        XCTAssertEqual(workspace["name"], "source")
                        XCTAssertEqual(template.value(at: "spec.accessModes"), ["ReadWriteOnce"])
                        XCTAssertEqual(template.value(at: "spec.resources.requests.storage"), "5Gi")
                        XCTAssertEqual(template.value(at: "spec.storageClassName"), "gp3-csi")
                    } else {
                        XCTAssertNotNil(workspace["secret"], "other workspaces are Secrets: \(workspace)")
                    }
                }
            }
            XCTAssertEqual(claimTemplates, 3, "exactly one per-run claim per PipelineRun")
            XCTAssertTrue(Self.all(plan).allSatisfy { $0.kind != "PersistentVolumeClaim" || $0.namespace == "nb-validation" })
        }
    }

    // MARK: Pod template placement (seed 001)

    func testPodSettingsOnlyAtTaskRunTemplatePodTemplate() throws {
        let specs = try Self.specs(Self.tektonSpec(name: "one"), Self.tektonSpec(name: "gpu-job"))
        for environment in [Self.environment(), Self.kubernetes()] {
            let (plan, _) = Self.plan(specs, environment)
            let tekton = Self.all(plan).filter { $0.apiVersion.hasPrefix("tekton.dev/") }
            XCTAssertEqual(tekton.count, 3 + 2 + 2, "three Tasks, a Pipeline and a PipelineRun per job")
            for object in tekton {
                F.walk(object.manifest) { path, _ in
                    for field in ["tolerations", "nodeSelector", "affinity", "podTemplate"] where path.hasSuffix("." + field) {
                        XCTAssertTrue(
                            path.hasPrefix(".spec.taskRunTemplate.podTemplate") || path == ".spec.taskRunTemplate.podTemplate",
                            "\(object.kind)/\(object.name): \(path)")
                    }
                }
                XCTAssertNil(object.manifest.value(at: "spec.podTemplate"), "Tekton v1 ignores spec.podTemplate")
                for spec in object.manifest.value(at: "spec.taskRunSpecs")?.elements ?? [] {
                    XCTAssertNil(spec["podTemplate"], "taskRunSpecs pod templates never reach the affinity assistant")
                }
            }
            for run in Self.objects(plan, kind: "PipelineRun") {
                // Builds request no GPU: no GPU tolerations, so assistant and task pods fit the same nodes.
                XCTAssertNil(run.manifest.value(at: "spec.taskRunTemplate.podTemplate.tolerations"))
                XCTAssertNil(run.manifest.value(at: "spec.taskRunTemplate.podTemplate.nodeSelector"))
                let podSecurity = run.manifest.value(at: "spec.taskRunTemplate.podTemplate.securityContext")
                switch environment.platform.value {
                case .openshift:
                    // Fixed IDs here would reach the affinity assistant, which restricted-v2 rejects.
                    XCTAssertNil(run.manifest.value(at: "spec.taskRunTemplate.podTemplate"))
                case .kubernetes:
                    XCTAssertEqual(podSecurity, ["fsGroup": 0])
                }
            }
        }
    }

    // MARK: Files across Tasks (seeds 001, 004)

    func testEveryStepSharesGroupZeroAndWritesGroupWritable() throws {
        let specs = try Self.specs(Self.tektonSpec())
        for environment in [Self.environment(), Self.kubernetes()] {
            let (plan, _) = Self.plan(specs, environment)
            let tasks = Self.objects(plan, kind: "Task")
            XCTAssertEqual(tasks.map(\.name).sorted(), ["nb-nbgitops-buildah", "nb-nbgitops-generate-dockerfile", "nb-nbgitops-git-clone"])
            var nonRootUsers: Set<String> = []
            for task in tasks {
                for step in task.manifest.value(at: "spec.steps")?.elements ?? [] {
                    let security = try XCTUnwrap(step["securityContext"])
                    XCTAssertNotEqual(security["privileged"], .bool(true))
                    let isBuildah = task.name.hasSuffix("buildah")
                    switch environment.platform.value {
                    case .kubernetes:
                        XCTAssertEqual(security["runAsGroup"], 0, "\(task.name)")
                    case .openshift:
                        // Arbitrary UIDs run with group 0; no IDs are written (restricted-v2 assigns them).
                        XCTAssertNil(security["runAsGroup"], "\(task.name)")
                    }
                    if isBuildah {
                        XCTAssertEqual(security["runAsUser"], 0)
                        XCTAssertEqual(security["capabilities"], ["add": ["SETFCAP"]], "only SETFCAP is added")
                    } else {
                        XCTAssertEqual(security["runAsNonRoot"], true)
                        XCTAssertEqual(security.value(at: "capabilities.drop"), ["ALL"])
                        nonRootUsers.insert(security["runAsUser"].map { "\($0)" } ?? "assigned")
                        let script = step["script"]?.stringValue ?? ""
                        XCTAssertTrue(script.contains("umask 0002"), "\(task.name) writes group-writable files")
                    }
                }
            }
            XCTAssertEqual(nonRootUsers.count, 1, "clone and generator run as the same UID: \(nonRootUsers)")
            let clone = try XCTUnwrap(tasks.first { $0.name.hasSuffix("git-clone") })
            XCTAssertTrue(clone.manifest.value(at: "spec.steps[0].script")?.stringValue?.contains("chmod -R g+rwX") ?? false)
        }
    }

    // MARK: SCC and Pod Security

    func testOnlyTheBuildahServiceAccountMayUsePipelinesSCC() throws {
        let (plan, diagnostics) = Self.plan(try Self.specs(Self.tektonSpec()), Self.environment())
        XCTAssertFalse(diagnostics.hasErrors, "\(Self.errors(diagnostics))")
        let run = try XCTUnwrap(Self.objects(plan, kind: "PipelineRun").first)
        let buildahSpec = try XCTUnwrap(
            run.manifest.value(at: "spec.taskRunSpecs")?.elements?.first { $0["pipelineTaskName"] == "build-image" })
        let buildahAccount = try XCTUnwrap(buildahSpec["serviceAccountName"]?.stringValue)
        XCTAssertNotEqual(run.manifest.value(at: "spec.taskRunTemplate.serviceAccountName")?.stringValue, buildahAccount)
        let pipeline = try XCTUnwrap(Self.objects(plan, kind: "Pipeline").first)
        XCTAssertEqual(
            pipeline.manifest.value(at: "spec.tasks")?.elements?.first { $0["name"] == "build-image" }?.value(at: "taskRef.name"),
            "nb-nbgitops-buildah")

        let sccBindings = Self.objects(plan, kind: "RoleBinding").filter {
            $0.manifest.value(at: "roleRef.name")?.stringValue?.contains("scc") ?? false
        }
        XCTAssertEqual(sccBindings.count, 1)
        let binding = try XCTUnwrap(sccBindings.first)
        XCTAssertEqual(binding.manifest.value(at: "roleRef"), [
            "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": .string(binding.name),
        ])
        XCTAssertEqual(
            binding.manifest.value(at: "subjects"),
            [["kind": "ServiceAccount", "name": .string(buildahAccount), "namespace": "nb-validation-builds"]])
        XCTAssertEqual(binding.namespace, "nb-validation-builds")
        // Exactly the ServiceAccount the building job's validation pod runs as may pull from the
        // build namespace (not every account of the validation namespace).
        let puller = try XCTUnwrap(Self.objects(plan, kind: "RoleBinding").first { $0.name == "nb-nbgitops-image-puller" })
        XCTAssertEqual(puller.manifest.value(at: "roleRef.name"), "system:image-puller")
        XCTAssertEqual(
            puller.manifest.value(at: "subjects"),
            [["kind": "ServiceAccount", "name": "nb-notebook-validator", "namespace": "nb-validation"]])
    }

    func testOnlyTheBuildNamespaceIsBaselineOnKubernetes() throws {
        let (plan, _) = Self.plan(try Self.specs(Self.tektonSpec()), Self.kubernetes())
        let namespaces = Dictionary(
            uniqueKeysWithValues: Self.objects(plan, kind: "Namespace").map {
                ($0.name, $0.manifest.value(at: "metadata.labels[pod-security.kubernetes.io/enforce]"))
            })
        XCTAssertEqual(namespaces, ["nb-validation": "restricted", "nb-validation-builds": "baseline"])
        XCTAssertTrue(Self.objects(plan, kind: "RoleBinding").isEmpty, "no SCC on Kubernetes")
        for object in Self.all(plan) where object.kind == "PipelineRun" || object.kind == "Task" || object.kind == "Pipeline" {
            XCTAssertEqual(object.namespace, "nb-validation-builds")
        }
    }

    // MARK: Images

    func testValidationJobRunsExactlyTheBuiltImage() throws {
        let golden = """
              goldenNotebook:
                git:
                  url: https://github.com/org/golden.git
                  ref: main
                path: golden/sales.ipynb
            """
        let specs = try Self.specs(Self.tektonSpec(extraSpec: golden))
        for (environment, registry) in [
            (Self.environment(), "image-registry.openshift-image-registry.svc:5000/nb-validation-builds/nb-sales"),
            (Self.kubernetes(), "registry.example.com/nb/nb-sales"),
        ] {
            let (plan, _) = Self.plan(specs, environment)
            let run = try XCTUnwrap(Self.objects(plan, kind: "PipelineRun").first)
            let image = try XCTUnwrap(
                run.manifest.value(at: "spec.params")?.elements?.first { $0["name"] == "image" }?["value"]?.stringValue)
            XCTAssertTrue(image.hasPrefix(registry + ":nbgitops-"), image)
            XCTAssertFalse(image.hasSuffix(":latest"))
            XCTAssertEqual(run.name, "nb-sales-" + image.suffix(8))
            let job = try XCTUnwrap(F.job(plan, instance: "sales"))
            let container = job.value(at: "spec.template.spec.containers[0]")
            XCTAssertEqual(container?["image"]?.stringValue, image)
            // The golden comparison still runs with a built image.
            XCTAssertEqual(F.envValue(container, "NBG_GOLDEN_NOTEBOOK")?["value"], "/workspace/golden/golden/sales.ipynb")
            if environment.platform.value == .kubernetes {
                XCTAssertEqual(job.value(at: "spec.template.spec.imagePullSecrets"), [["name": "pull"]])
            } else {
                XCTAssertNil(job.value(at: "spec.template.spec.imagePullSecrets"))
            }
        }
    }

    func testARunIsRenamedExactlyWhenItsInputsChange() throws {
        func run(_ spec: String) throws -> String {
            let (plan, _) = Self.plan(try Self.specs(spec), Self.environment())
            return try XCTUnwrap(Self.objects(plan, kind: "PipelineRun").first?.name)
        }
        let base = try run(Self.tektonSpec())
        XCTAssertEqual(try run(Self.tektonSpec()), base, "same inputs, same run: nothing re-runs")
        XCTAssertNotEqual(try run(Self.tektonSpec(ref: "v2")), base)
        XCTAssertNotEqual(
            try run(Self.tektonSpec(build: "      strategy: tekton\n      requirementsFile: req.txt")), base)
        XCTAssertNotEqual(try run(Self.tektonSpec(build: "      strategy: tekton\n      timeout: 20m")), base)
    }

    func testBuildTimeoutBecomesThePipelineTimeout() throws {
        let (plan, _) = Self.plan(
            try Self.specs(Self.tektonSpec(build: "      strategy: tekton\n      timeout: 1h30m")), Self.environment())
        XCTAssertEqual(Self.objects(plan, kind: "PipelineRun").first?.manifest.value(at: "spec.timeouts"), ["pipeline": "1h30m0s"])
    }

    func testCredentialsReachTheCloneTaskAsWorkspaces() throws {
        let https = try Self.specs(Self.tektonSpec(secret: "git-https"))
        let ssh = try Self.specs(Self.tektonSpec(url: "git@github.com:org/repo.git", secret: "git-ssh"))
        let (httpsPlan, _) = Self.plan(https, Self.environment())
        let (sshPlan, _) = Self.plan(ssh, Self.environment())
        XCTAssertEqual(
            Self.objects(httpsPlan, kind: "PipelineRun").first?.manifest.value(at: "spec.workspaces[1]"),
            ["name": "basic-auth", "secret": ["secretName": "git-https"]])
        XCTAssertEqual(
            Self.objects(sshPlan, kind: "PipelineRun").first?.manifest.value(at: "spec.workspaces[1]"),
            ["name": "ssh-directory", "secret": ["secretName": "git-ssh", "defaultMode": 0o440]])
        let (kubePlan, _) = Self.plan(https, Self.kubernetes())
        XCTAssertEqual(
            Self.objects(kubePlan, kind: "PipelineRun").first?.manifest.value(at: "spec.workspaces[2]"),
            ["name": "dockerconfig", "secret": ["secretName": "push"]])
    }

    // MARK: Ordering

    func testArgoCDWaitsForBuildsThroughWavesAndHealthChecks() throws {
        let s2i = Self.tektonSpec(name: "s2i-job", build: "      strategy: s2i")
        let (plan, diagnostics) = Self.plan(try Self.specs(Self.tektonSpec(), s2i), Self.environment())
        XCTAssertFalse(diagnostics.hasErrors, "\(Self.errors(diagnostics))")
        XCTAssertTrue(plan.buildObjects.isEmpty, "Argo CD: one folder, ordered by waves")
        func wave(_ object: PlannedObject) -> String? {
            object.manifest.value(at: "metadata.annotations[argocd.argoproj.io/sync-wave]")?.stringValue
        }
        for kind in ["PipelineRun", "BuildConfig"] {
            XCTAssertEqual(Self.objects(plan, kind: kind).map(wave), ["4"], kind)
        }
        XCTAssertEqual(F.jobs(plan).map(wave), ["5", "5"])
        let withHealth = ArgoHealthPlanner.adding(
            Self.argoHealthScripts(), to: plan, delivery: .project(outputPath: "gitops"))
        XCTAssertEqual(withHealth.unusableTemplates, [])
        let health = try XCTUnwrap(withHealth.snippets.first)
        XCTAssertEqual(health.name, "argocd-cm")
        XCTAssertEqual(health.namespace, "openshift-gitops")
        let data = try XCTUnwrap(health.manifest["data"]?.entries)
        XCTAssertEqual(
            data.map(\.key),
            [
                "resource.customizations.health.batch_Job",
                "resource.customizations.health.build.openshift.io_Build",
                "resource.customizations.health.image.openshift.io_ImageStream",
                "resource.customizations.health.tekton.dev_PipelineRun",
            ])
        XCTAssertTrue(data.last?.value.stringValue?.contains("condition.type == \"Succeeded\"") ?? false)
        XCTAssertFalse(plan.deliveryObjects.contains { $0.name == "argocd-cm" }, "not applied with the delivery folder")
        let files = OutputLayout.files(for: withHealth)
        let kustomization = try XCTUnwrap(files.first { $0.path == "openshift-gpu/delivery/kustomization.yaml" })
        XCTAssertFalse(String(decoding: kustomization.bytes, as: UTF8.self).contains("argocd-cm"))
        XCTAssertTrue(files.contains { $0.path.hasPrefix("openshift-gpu/delivery/") && $0.path.contains("argocd-cm") })

        // S2I: the ImageStream waits for exactly the tag the BuildConfig pushes, in the same wave.
        let stream = try XCTUnwrap(Self.objects(plan, kind: "ImageStream").first { $0.name == "nb-s2i-job" })
        let buildConfig = try XCTUnwrap(Self.objects(plan, kind: "BuildConfig").first)
        let tag = try XCTUnwrap(stream.manifest.value(at: "metadata.annotations[nbgitops.dev/await-tag]")?.stringValue)
        XCTAssertEqual(buildConfig.manifest.value(at: "spec.output.to.name"), .string("nb-s2i-job:\(tag)"))
        XCTAssertEqual(wave(stream), "4")
        XCTAssertEqual(stream.manifest.value(at: "spec.lookupPolicy.local"), true)
        XCTAssertEqual(
            F.job(plan, instance: "s2i-job")?.value(at: "spec.template.spec.containers[0].image"),
            .string("image-registry.openshift-image-registry.svc:5000/nb-validation-builds/nb-s2i-job:\(tag)"))
    }

    func testFluxAppliesBuildsFirstAndValidationDependsOnThem() throws {
        let (plan, diagnostics) = Self.plan(try Self.specs(Self.tektonSpec()), Self.kubernetes())
        XCTAssertFalse(diagnostics.hasErrors, "\(Self.errors(diagnostics))")
        XCTAssertEqual(Set(plan.buildObjects.map(\.kind)), ["Namespace", "ServiceAccount", "ConfigMap", "Task", "Pipeline", "PipelineRun"])
        XCTAssertFalse(plan.objects.contains { $0.apiVersion.hasPrefix("tekton.dev/") })
        let kustomizations = plan.deliveryObjects.filter { $0.kind == "Kustomization" }
        XCTAssertEqual(kustomizations.map(\.name), ["nb-kubernetes-builds", "nb-kubernetes"])
        let builds = kustomizations[0].manifest
        XCTAssertEqual(builds.value(at: "spec.path"), "./gitops/kubernetes/builds")
        XCTAssertEqual(builds.value(at: "spec.wait"), true)
        XCTAssertEqual(builds.value(at: "spec.healthCheckExprs[0].kind"), "PipelineRun")
        XCTAssertEqual(
            builds.value(at: "spec.healthCheckExprs[0].current"),
            "status.?conditions.orValue([]).exists(c, c.type == 'Succeeded' && c.status == 'True')")
        XCTAssertEqual(builds.value(at: "spec.timeout"), "25m0s", "the 15m build timeout plus 10 minutes")
        XCTAssertEqual(kustomizations[1].manifest.value(at: "spec.dependsOn"), [["name": "nb-kubernetes-builds"]])
        XCTAssertEqual(kustomizations[1].manifest.value(at: "spec.path"), "./gitops/kubernetes/manifests")
        let paths = OutputLayout.files(for: plan).map(\.path)
        XCTAssertTrue(paths.contains("kubernetes/builds/kustomization.yaml"))
        XCTAssertTrue(paths.contains { $0.hasPrefix("kubernetes/builds/4-pipelinerun-nb-sales-") })
        let fluxHealth = ArgoHealthPlanner.adding(Self.argoHealthScripts(), to: plan, delivery: .project(outputPath: "gitops"))
        XCTAssertTrue(fluxHealth.snippets.isEmpty, "Flux needs no controller customisation")

        // Without builds nothing changes: one folder, one Kustomization.
        let (plain, _) = Self.plan(F.richSpecs(), Self.kubernetes())
        XCTAssertTrue(plain.buildObjects.isEmpty)
        XCTAssertEqual(plain.deliveryObjects.filter { $0.kind == "Kustomization" }.count, 1)
    }

    // MARK: Diagnostics

    func testS2IOnKubernetesIsALocatedErrorNamingTekton() throws {
        let set = try Self.specs(Self.tektonSpec(build: "      strategy: s2i"))
        // The planner plans no S2I build on Kubernetes; the Check stage reports it (BuildRules.unbuildable).
        let (plan, diagnostics) = Self.plan(set, Self.kubernetes())
        XCTAssertTrue(Self.objects(plan, kind: "BuildConfig").isEmpty)
        RuleEngine.run([plan], specs: set, diagnostics: diagnostics)
        XCTAssertEqual(diagnostics.sorted.first { $0.severity == .error }?.rendered.components(separatedBy: "\n"), [
            "spec.yaml:17:17: error[NBG150]: build strategy 's2i' needs OpenShift, but environment 'kubernetes' is kubernetes",
            "  note: overlays/gpu.yaml:2:3: the platform is kubernetes: set by overlay 'gpu' at overlays/gpu.yaml:2:3",
            "  help: use strategy: tekton, which builds on Kubernetes and OpenShift alike",
        ])
        let (openshiftPlan, openshift) = Self.plan(set, Self.environment())
        RuleEngine.run([openshiftPlan], specs: set, diagnostics: openshift)
        XCTAssertFalse(openshift.hasErrors, "\(Self.errors(openshift))")
    }

    func testKubernetesBuildWithoutRegistryIsALocatedError() throws {
        let set = try Self.specs(Self.tektonSpec())
        let (plan, diagnostics) = Self.plan(set, Self.environment(platform: .kubernetes, tool: .flux))
        XCTAssertTrue(Self.objects(plan, kind: "PipelineRun").isEmpty)
        RuleEngine.run([plan], specs: set, diagnostics: diagnostics)
        XCTAssertEqual(
            diagnostics.sorted.first { $0.severity == .error }?.rendered.components(separatedBy: "\n").first,
            "spec.yaml:17:17: error[NBG151]: job 'sales' builds its image, but environment 'kubernetes' names no registry to push it to")
        let (registryPlan, withRegistry) = Self.plan(set, Self.kubernetes())
        RuleEngine.run([registryPlan], specs: set, diagnostics: withRegistry)
        XCTAssertFalse(withRegistry.hasErrors, "\(Self.errors(withRegistry))")
    }

    func testMissingTemplatesAreReported() throws {
        // The planner records what it could not use; the Check stage reports it (BuildRules.unbuildable).
        let specs = try Self.specs(Self.tektonSpec())
        let (broken, diagnostics) = Self.plan(specs, Self.environment(), templates: BuildTemplates())
        XCTAssertFalse(diagnostics.hasErrors)
        RuleEngine.run([broken], specs: specs, diagnostics: diagnostics)
        let firstLines = diagnostics.sorted.filter { $0.id == .buildTemplateInvalid }.compactMap {
            $0.rendered.components(separatedBy: "\n").first
        }
        XCTAssertEqual(firstLines, [
            "templates/tekton/git-clone.yaml:1:1: error[NBG153]: the Tekton Task template 'nbgitops-git-clone' is missing from templates/tekton/ or is not a tekton.dev/v1 Task with steps",
        ])
        let (complete, completeDiagnostics) = Self.plan(specs, Self.environment())
        XCTAssertFalse(completeDiagnostics.hasErrors)
        // The Argo CD health checks are required too once builds are planned: a Tekton build's
        // ImageStream awaits no tag (its PipelineRun, a later wave, pushes it; the PipelineRun's
        // health is what Argo CD waits for), so only the PipelineRun check is needed here.
        XCTAssertFalse(
            complete.objects.contains {
                $0.kind == "ImageStream" && $0.manifest.value(at: "metadata.annotations[\(AnnotationKey.awaitTag)]") != nil
            })
        func missing(_ plan: EnvironmentPlan) -> [String] {
            let diagnostics = DiagnosticCollector()
            let planned = ArgoHealthPlanner.adding([:], to: plan, delivery: .project(outputPath: "gitops"))
            RuleEngine.run([planned], specs: specs, rules: [BuildRules.unbuildable], diagnostics: diagnostics)
            return diagnostics.sorted.map { $0.rendered.components(separatedBy: "\n")[0] }
        }
        XCTAssertEqual(missing(complete), [
            "templates/argocd/health-job.lua:1:1: error[NBG153]: the Argo CD health check templates/argocd/health-job.lua is missing",
            "templates/argocd/health-pipelinerun.lua:1:1: error[NBG153]: the Argo CD health check templates/argocd/health-pipelinerun.lua is missing",
        ])
        // An awaited ImageStream tag (S2I) needs its check too.
        var awaiting = complete
        awaiting.objects.append(
            BuildPlanner.imageStream(name: "s2i", namespace: "ns-builds", awaitTag: "nbgitops-0", wave: .build))
        XCTAssertEqual(missing(awaiting), [
            "templates/argocd/health-job.lua:1:1: error[NBG153]: the Argo CD health check templates/argocd/health-job.lua is missing",
            "templates/argocd/health-pipelinerun.lua:1:1: error[NBG153]: the Argo CD health check templates/argocd/health-pipelinerun.lua is missing",
            "templates/argocd/imagestream-health.lua:1:1: error[NBG153]: the Argo CD health check templates/argocd/imagestream-health.lua is missing",
        ])
    }

    func testS2IStrategyFollowsTheOperatorsRules() throws {
        func buildConfig(_ build: String) throws -> (ManifestNode, [String]) {
            let (plan, diagnostics) = Self.plan(try Self.specs(Self.tektonSpec(build: build)), Self.environment())
            return (try XCTUnwrap(Self.objects(plan, kind: "BuildConfig").first?.manifest), Self.errors(diagnostics))
        }
        let (generated, quiet) = try buildConfig("      strategy: s2i")
        XCTAssertEqual(generated.value(at: "spec.strategy.type"), "Docker")
        let dockerfile = try XCTUnwrap(generated.value(at: "spec.source.dockerfile")?.stringValue)
        XCTAssertTrue(dockerfile.contains("for f in notebooks/forecast/requirements.txt notebooks/requirements.txt requirements.txt;"))
        // No trigger: the Build object emitted next to it runs the build once (and is health-checked).
        XCTAssertEqual(generated.value(at: "spec.triggers"), .list([]))
        XCTAssertEqual(quiet, [])

        let (custom, _) = try buildConfig("      strategy: s2i\n      dockerfile: docker/Dockerfile")
        XCTAssertEqual(custom.value(at: "spec.strategy.dockerStrategy.dockerfilePath"), "docker/Dockerfile")
        XCTAssertNil(custom.value(at: "spec.source.dockerfile"))

        let (source, warnings) = try buildConfig("      strategy: s2i\n      autoGenerateRequirements: false")
        XCTAssertEqual(source.value(at: "spec.strategy.type"), "Source")
        XCTAssertEqual(source.value(at: "spec.strategy.sourceStrategy.from.name"), "quay.io/jupyter/minimal-notebook:latest")
        // Whether the base image is an S2I builder is the Check stage's finding (NBG152, its
        // fixtures run through CompilerPipeline.run); the planner reports nothing.
        XCTAssertEqual(warnings, [])

        let (secret, _) = try {
            let (plan, _) = Self.plan(
                try Self.specs(Self.tektonSpec(secret: "git-https", build: "      strategy: s2i")), Self.environment())
            return (try XCTUnwrap(Self.objects(plan, kind: "BuildConfig").first?.manifest), 0)
        }()
        XCTAssertEqual(secret.value(at: "spec.source.sourceSecret"), ["name": "git-https"])
    }

    func testPlatformAnnotationSelectsEnvironments() throws {
        let spec = Self.tektonSpec(
            build: "      strategy: s2i", annotations: "  annotations:\n    nbgitops.dev/platforms: openshift")
        let set = try Self.specs(spec)
        let (kubernetes, diagnostics) = Self.plan(set, Self.kubernetes())
        XCTAssertFalse(diagnostics.hasErrors, "\(Self.errors(diagnostics))")
        XCTAssertTrue(F.jobs(kubernetes).isEmpty)
        let (openshift, _) = Self.plan(set, Self.environment())
        XCTAssertEqual(F.jobs(openshift).count, 1)

        // An unknown platform is a decode error at the annotation's value.
        let (_, bad) = decodeSpecs(Self.tektonSpec(annotations: "  annotations:\n    nbgitops.dev/platforms: openshfit"))
        XCTAssertEqual(
            bad.first?.components(separatedBy: "\n").first,
            "spec.yaml:6:29: error[NBG105]: annotation nbgitops.dev/platforms of 'sales' names unknown platforms: 'openshfit'")
    }

    /// The Lua files of the repository's `templates/argocd/`, by file name.
    static func argoHealthScripts() -> [String: String] {
        let folder = (repositoryRoot as NSString).appendingPathComponent("templates/argocd")
        var scripts: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasSuffix(".lua") {
            scripts[name] = try? String(contentsOfFile: (folder as NSString).appendingPathComponent(name), encoding: .utf8)
        }
        return scripts
    }
}
