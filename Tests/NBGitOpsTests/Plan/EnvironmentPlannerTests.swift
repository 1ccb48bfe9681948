import Foundation
import XCTest

@testable import NBGitOps

final class EnvironmentPlannerTests: XCTestCase {
    typealias F = PlanFixtures

    /// The scripts ConfigMap is named after its content (the scripts' checksum).
    static var scriptsName: String {
        "nb-nbgitops-scripts-" + EnvironmentPlanner.scriptsChecksum(F.scripts).prefix(8)
    }

    // MARK: Objects and order

    func testPlansTheExpectedObjectsInApplyOrder() {
        let (plan, diagnostics) = F.plan()
        XCTAssertFalse(diagnostics.hasErrors, diagnostics.sorted.map(\.rendered).joined(separator: "\n"))
        let summary = plan.objects.map { "\($0.wave.rawValue) \($0.kind)/\($0.name)" }
        XCTAssertEqual(
            summary.filter { !$0.hasPrefix("5 Job/") },
            [
                "0 Namespace/nb-validation",
                "1 Role/nb-notebook-validator-model-validation",
                "1 RoleBinding/nb-notebook-validator-model-validation",
                "1 ServiceAccount/analyst",
                "1 ServiceAccount/nb-notebook-validator",
                "3 ConfigMap/churn-settings",
                "3 ConfigMap/\(Self.scriptsName)",
                "3 NetworkPolicy/nb-notebook-validation-deny-ingress",
                "5 InferenceService/sentiment",
            ])
        XCTAssertEqual(summary.filter { $0.hasPrefix("5 Job/") }.count, 2)
        XCTAssertTrue(summary.last?.hasPrefix("5 Job/") ?? false, "Jobs sort after InferenceService by kind")
    }

    func testOnlyModelValidationJobsGetATokenAndALeastPrivilegeRole() throws {
        let (plan, _) = F.plan()
        // Never automounted; the model-validation pod gets a projected token in `validate` only.
        let api = try XCTUnwrap(F.job(plan, instance: "train-sentiment")?.value(at: "spec.template.spec"))
        XCTAssertEqual(api["automountServiceAccountToken"], false)
        let volume = try XCTUnwrap(api["volumes"]?.elements?.first { $0["name"] == "nbgitops-api-access" })
        XCTAssertEqual(volume.value(at: "projected.sources[0].serviceAccountToken.path"), "token")
        XCTAssertEqual(volume.value(at: "projected.sources[0].serviceAccountToken.expirationSeconds"), 600)
        XCTAssertEqual(volume.value(at: "projected.sources[1].configMap.name"), "kube-root-ca.crt")
        XCTAssertEqual(volume.value(at: "projected.sources[1].configMap.items[0].path"), "ca.crt")
        XCTAssertEqual(volume.value(at: "projected.sources[2].downwardAPI.items[0].fieldRef.fieldPath"), "metadata.namespace")
        XCTAssertEqual(volume.value(at: "projected.sources[2].downwardAPI.items[0].path"), "namespace")
        let mount = api.value(at: "containers[0].volumeMounts")?.elements?.first { $0["name"] == "nbgitops-api-access" }
        XCTAssertEqual(mount?["mountPath"], "/var/run/secrets/kubernetes.io/serviceaccount")
        XCTAssertEqual(mount?["readOnly"], true)
        for container in api["initContainers"]?.elements ?? [] {
            XCTAssertFalse(container["volumeMounts"]?.elements?.contains { $0["name"] == "nbgitops-api-access" } ?? false)
        }
        let plain = try XCTUnwrap(F.job(plan, instance: "churn-model")?.value(at: "spec.template.spec"))
        XCTAssertFalse(plain["volumes"]?.elements?.contains { $0["name"] == "nbgitops-api-access" } ?? true)
        XCTAssertEqual(
            F.job(plan, instance: "churn-model")?.value(at: "spec.template.spec.automountServiceAccountToken"), false)
        XCTAssertEqual(
            F.job(plan, instance: "churn-model")?.value(at: "spec.template.spec.serviceAccountName"), "analyst")

        let role = try XCTUnwrap(F.object(plan, kind: "Role", name: "nb-notebook-validator-model-validation"))
        XCTAssertEqual(
            role["rules"],
            [
                [
                    "apiGroups": ["serving.kserve.io"], "resources": ["inferenceservices"],
                    "verbs": ["get", "list", "watch"],
                ]
            ])
        let binding = try XCTUnwrap(F.object(plan, kind: "RoleBinding", name: "nb-notebook-validator-model-validation"))
        XCTAssertEqual(
            binding.value(at: "subjects"),
            [["kind": "ServiceAccount", "name": "nb-notebook-validator", "namespace": "nb-validation"]])
        XCTAssertEqual(binding.value(at: "roleRef.name"), "nb-notebook-validator-model-validation")
        XCTAssertNil(
            F.object(plan, kind: "Role", name: "nb-analyst-model-validation"), "the analyst SA needs no API access")

        for object in plan.objects where object.kind == "Role" {
            F.walk(object.manifest) { path, node in
                if node == "*" { XCTFail("wildcard at \(path)") }
            }
        }
        for account in plan.objects where account.kind == "ServiceAccount" {
            XCTAssertEqual(account.manifest["automountServiceAccountToken"], false)
        }
    }

    func testOtherServingPlatformsReadPodsAndServices() throws {
        let job = F.job(modelValidation: ["enabled": true, "platform": "vllm"])
        let disabled = F.job(
            name: "off", line: 400, serviceAccount: "quiet", modelValidation: ["enabled": false, "platform": "kserve"])
        let (plan, _) = F.plan(SpecSet(jobs: [job, disabled]))
        let role = try XCTUnwrap(F.object(plan, kind: "Role", name: "nb-notebook-validator-model-validation"))
        XCTAssertEqual(
            role["rules"], [["apiGroups": [""], "resources": ["pods", "services"], "verbs": ["get", "list"]]])
        XCTAssertFalse(plan.objects.contains { $0.kind == "Role" && $0.name.contains("quiet") })
        XCTAssertEqual(
            F.job(plan, instance: "off")?.value(at: "spec.template.spec.automountServiceAccountToken"), false)
    }

    func testPassedThroughServiceAccountIsNotGenerated() {
        var specs = SpecSet(jobs: [F.job(serviceAccount: "runner")])
        specs.supportingObjects = [
            SupportingObject(
                apiVersion: "v1", kind: "ServiceAccount", name: Located("runner", at: F.at(3, 9, file: "s.yaml")),
                namespaced: true,
                manifest: ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "runner"]],
                file: "s.yaml", documentIndex: 0, location: F.at(1, 1, file: "s.yaml"))
        ]
        let (plan, diagnostics) = F.plan(specs)
        XCTAssertFalse(diagnostics.hasErrors)
        let accounts = plan.objects.filter { $0.kind == "ServiceAccount" }
        XCTAssertEqual(accounts.count, 1)
        XCTAssertNil(accounts.first?.manifest["automountServiceAccountToken"], "a passed-through object is not changed")
        XCTAssertEqual(accounts.first?.manifest.value(at: "metadata.namespace"), "nb-validation")
    }

    func testSupportingObjectThatShadowsAGeneratedOneIsADuplicate() {
        var specs = F.richSpecs()
        specs.supportingObjects.append(
            SupportingObject(
                apiVersion: "v1", kind: "ConfigMap",
                name: Located(Self.scriptsName, at: F.at(3, 9, file: "s.yaml")),
                namespaced: true,
                manifest: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(Self.scriptsName)]],
                file: "s.yaml", documentIndex: 0, location: F.at(1, 1, file: "s.yaml")))
        let (plan, diagnostics) = F.plan(specs)
        XCTAssertEqual(plan.droppedDuplicates.map(\.dropped.sources), [[F.at(1, 1, file: "s.yaml")]])
        RuleEngine.run([plan], specs: specs, diagnostics: diagnostics)
        let duplicate = diagnostics.diagnostics.first { $0.id == .objectDuplicate }
        XCTAssertEqual(duplicate?.location, F.at(1, 1, file: "s.yaml"))
        XCTAssertEqual(plan.objects.filter { $0.kind == "ConfigMap" && $0.name == Self.scriptsName }.count, 1)
    }

    func testPassedThroughObjectsMoveToTheNamespaceAndKeepTheirContent() throws {
        let (plan, _) = F.plan()
        let configMap = try XCTUnwrap(F.object(plan, kind: "ConfigMap", name: "churn-settings"))
        XCTAssertEqual(configMap.value(at: "metadata.namespace"), "nb-validation")
        XCTAssertEqual(configMap.value(at: "data.enabled"), "yes")
        XCTAssertNil(configMap.value(at: "metadata.labels"), "no labels are added to passed-through objects")
        XCTAssertEqual(PassthroughPlanner.wave(forKind: "Deployment"), .workload)
        XCTAssertEqual(PassthroughPlanner.wave(forKind: "ExternalSecret"), .config)
        XCTAssertEqual(PassthroughPlanner.wave(forKind: "RoleBinding"), .rbac)
        XCTAssertEqual(PassthroughPlanner.wave(forKind: "PersistentVolumeClaim"), .storage)
    }

    // MARK: Storage

    /// NBG126 is a Check-stage rule (StorageRules.undeclaredClaims): the planner emits no claim
    /// and reports nothing; the rule over the plan reports the claim at the spec's claimName.
    func testUndeclaredClaimIsAWarningWhenClaimsAreNotManaged() {
        let (plan, planning) = F.plan(F.richSpecs(), F.environment(manageAllClaims: false))
        XCTAssertFalse(plan.objects.contains { $0.kind == "PersistentVolumeClaim" })
        XCTAssertFalse(planning.diagnostics.contains { $0.id.rawValue == "NBG126" })
        let diagnostics = DiagnosticCollector()
        PlanChecker.check(plan, specs: F.richSpecs(), diagnostics: diagnostics)
        let warning = diagnostics.diagnostics.first { $0.id.rawValue == "NBG126" }
        XCTAssertEqual(warning?.severity, .warning)
        XCTAssertEqual(warning?.location, F.at(52, 22))  // the claimName of richSpecs' PVC volume
        XCTAssertFalse(planning.hasErrors)

        let listed = DiagnosticCollector()
        PlanChecker.check(
            F.plan(F.richSpecs(), F.environment(existingClaims: ["trained-models"])).0, specs: F.richSpecs(),
            diagnostics: listed)
        XCTAssertFalse(listed.diagnostics.contains { $0.id.rawValue == "NBG126" })
    }

    func testManagedClaimsAreCreatedWithTheEnvironmentsStorageAndSurvivePruning() throws {
        let (plan, diagnostics) = F.plan(F.richSpecs(), F.environment(manageAllClaims: true, storageClassName: nil))
        XCTAssertFalse(diagnostics.diagnostics.contains { $0.id.rawValue == "NBG126" })
        let claim = try XCTUnwrap(F.object(plan, kind: "PersistentVolumeClaim", name: "trained-models"))
        XCTAssertEqual(claim.value(at: "spec.accessModes"), ["ReadWriteOnce"])
        XCTAssertEqual(claim.value(at: "spec.resources.requests.storage"), "10Gi")
        XCTAssertNil(claim.value(at: "spec.storageClassName"))
        XCTAssertEqual(claim.value(at: "metadata.annotations[argocd.argoproj.io/sync-options]"), "Prune=false,Delete=false")
        // Applied with the Job that first mounts it: a WaitForFirstConsumer claim is Pending until then.
        XCTAssertEqual(plan.objects.first { $0.kind == "PersistentVolumeClaim" }?.wave, .workload)

        let (fluxPlan, _) = F.plan(F.richSpecs(), F.environment(tool: .flux, manageAllClaims: true))
        let fluxClaim = try XCTUnwrap(F.object(fluxPlan, kind: "PersistentVolumeClaim", name: "trained-models"))
        XCTAssertEqual(fluxClaim.value(at: "metadata.annotations[kustomize.toolkit.fluxcd.io/prune]"), "disabled")
        XCTAssertEqual(fluxClaim.value(at: "spec.storageClassName"), "gp3-csi")
    }

    // MARK: Delivery

    func testSyncWaveAnnotationsAreStringsOnEveryManifestObject() {
        let (plan, _) = F.plan(F.richSpecs(), F.environment(manageAllClaims: true))
        XCTAssertFalse(plan.objects.isEmpty)
        for object in plan.objects {
            XCTAssertEqual(
                object.manifest.value(at: "metadata.annotations[argocd.argoproj.io/sync-wave]"),
                .string(String(object.wave.rawValue)), "\(object.kind)/\(object.name)")
        }
        let rendered = ManifestRenderer.renderString(plan.objects.map(\.manifest))
        XCTAssertTrue(rendered.contains("argocd.argoproj.io/sync-wave: '5'"), "the renderer must quote the wave")

        let (flux, _) = F.plan(F.richSpecs(), F.environment(tool: .flux))
        XCTAssertTrue(
            flux.objects.allSatisfy {
                $0.manifest.value(at: "metadata.annotations[argocd.argoproj.io/sync-wave]") == nil
            })
    }

    func testArgoApplication() throws {
        let (plan, _) = F.plan(F.richSpecs(), F.environment(), delivery: .project(outputPath: "./gitops/"))
        XCTAssertEqual(plan.deliveryObjects.map(\.kind), ["Application", "AppProject"])
        let app = try XCTUnwrap(plan.deliveryObjects.first?.manifest)
        XCTAssertEqual(app.value(at: "spec.project"), "nb-openshift-gpu")
        XCTAssertEqual(app["kind"], "Application")
        XCTAssertEqual(app.value(at: "metadata.name"), "nb-openshift-gpu")
        XCTAssertEqual(app.value(at: "metadata.namespace"), "openshift-gitops")
        XCTAssertEqual(app.value(at: "spec.source.path"), "gitops/openshift-gpu/manifests")
        XCTAssertEqual(app.value(at: "spec.destination.namespace"), "nb-validation")
        XCTAssertEqual(app.value(at: "spec.syncPolicy.automated.prune"), true)
        XCTAssertEqual(app.value(at: "spec.syncPolicy.syncOptions"), ["PruneLast=true"])

        let (kube, _) = F.plan(
            F.richSpecs(), F.environment(name: "kind", platform: .kubernetes, deliveryPath: "./clusters/kind/"))
        XCTAssertEqual(kube.deliveryObjects.first?.manifest.value(at: "metadata.namespace"), "argocd")
        XCTAssertEqual(kube.deliveryObjects.first?.manifest.value(at: "spec.source.path"), "clusters/kind")
    }

    func testFluxObjectsAndRevisionKinds() throws {
        let (plan, _) = F.plan(F.richSpecs(), F.environment(tool: .flux, revision: "v1.2.3"))
        XCTAssertEqual(plan.deliveryObjects.map(\.kind), ["GitRepository", "Kustomization"])
        let repository = plan.deliveryObjects[0].manifest
        let kustomization = plan.deliveryObjects[1].manifest
        XCTAssertEqual(repository.value(at: "metadata.namespace"), "flux-system")
        XCTAssertEqual(repository.value(at: "spec.ref"), ["tag": "v1.2.3"])
        XCTAssertEqual(kustomization.value(at: "spec.path"), "./gitops/openshift-gpu/manifests")
        XCTAssertEqual(kustomization.value(at: "spec.sourceRef.name"), repository.value(at: "metadata.name"))
        XCTAssertNil(kustomization.value(at: "spec.targetNamespace"))
        XCTAssertEqual(kustomization.value(at: "spec.prune"), true)

        let sha = "0123456789abcdef0123456789ABCDEF01234567"
        XCTAssertEqual(DeliveryPlanner.fluxReference(sha), .commit(sha.lowercased()))
        XCTAssertEqual(DeliveryPlanner.fluxReference("main"), .branch("main"))
        XCTAssertEqual(DeliveryPlanner.fluxReference("release/1.2"), .branch("release/1.2"))
        XCTAssertEqual(DeliveryPlanner.fluxReference("1.4"), .tag("1.4"))
        XCTAssertEqual(DeliveryPlanner.fluxReference("v2.0.0-rc.1"), .tag("v2.0.0-rc.1"))
        XCTAssertEqual(DeliveryPlanner.fluxReference("refs/tags/stable"), .tag("stable"))
        XCTAssertEqual(DeliveryPlanner.fluxReference("refs/heads/v1.2"), .branch("v1.2"))
    }

    // MARK: Output layout

    func testKustomizationsListEveryFileInApplyOrder() throws {
        let (plan, _) = F.plan(F.richSpecs(), F.environment(manageAllClaims: true))
        let files = OutputLayout.files(for: plan)
        for folder in ["openshift-gpu/manifests", "openshift-gpu/delivery"] {
            let inFolder = files.filter { $0.path.hasPrefix(folder + "/") }.map {
                String($0.path.dropFirst(folder.count + 1))
            }
            let kustomization = try XCTUnwrap(files.first { $0.path == folder + "/kustomization.yaml" })
            let (documents, diagnostics) = loadYAML(String(decoding: kustomization.bytes, as: UTF8.self))
            XCTAssertFalse(diagnostics.hasErrors)
            let resources = documents.first?.root["resources"]?.items?.compactMap { $0.scalar?.value } ?? []
            // Controller snippets (argocd-cm) sit beside the delivery objects, listed nowhere.
            let snippets = plan.snippets.map(OutputLayout.snippetFileName)
            XCTAssertEqual(resources, inFolder.filter { $0 != "kustomization.yaml" && !snippets.contains($0) }, folder)
            if folder.hasSuffix("delivery") { XCTAssertEqual(snippets, ["configmap-argocd-cm-snippet.yaml"]) }
            XCTAssertFalse(resources.isEmpty)
        }
        let manifests = files.map(\.path).filter {
            $0.hasPrefix("openshift-gpu/manifests/") && !$0.hasSuffix("kustomization.yaml")
        }
        XCTAssertEqual(manifests.first, "openshift-gpu/manifests/0-namespace-nb-validation.yaml")
        XCTAssertTrue(manifests.contains("openshift-gpu/manifests/5-persistentvolumeclaim-trained-models.yaml"))
        XCTAssertTrue(manifests.contains { $0.hasPrefix("openshift-gpu/manifests/5-job-nb-") })
        XCTAssertTrue(manifests.last?.hasPrefix("openshift-gpu/manifests/5-") ?? false)
        XCTAssertEqual(Set(files.map(\.path)).count, files.count, "paths are unique")
    }

    func testRenderingIsDeterministic() {
        func render(_ specs: SpecSet) -> [OutputFile] {
            OutputLayout.files(for: F.plan(specs, F.environment(manageAllClaims: true)).0)
        }
        let first = render(F.richSpecs())
        XCTAssertEqual(first, render(F.richSpecs()))
        // Input order of jobs and supporting objects does not matter.
        var shuffled = F.richSpecs()
        shuffled.jobs.reverse()
        shuffled.supportingObjects.reverse()
        XCTAssertEqual(first, render(shuffled))
    }

    func testScriptsConfigMapHoldsEveryScriptAsALiteralBlock() throws {
        let (plan, _) = F.plan()
        let configMap = try XCTUnwrap(F.object(plan, kind: "ConfigMap", name: Self.scriptsName))
        XCTAssertEqual(configMap.value(at: "data[git-clone.sh]"), .string(F.scripts[1].contents))
        XCTAssertEqual(configMap.value(at: "data[validate-notebook.py]"), .string(F.scripts[0].contents))
        XCTAssertEqual(configMap.value(at: "metadata.labels[app.kubernetes.io/managed-by]"), "nbgitops")
        let rendered = ManifestRenderer.renderString([configMap])
        XCTAssertTrue(rendered.contains("git-clone.sh: |"), rendered)

        // New scripts → new pod template → new Job names.
        let before = Set(F.jobs(plan).map(\.name))
        let diagnostics = DiagnosticCollector()
        let changed = EnvironmentPlanner.plan(
            specs: F.richSpecs(), environment: F.environment(),
            resources: F.resources(scripts: F.scripts + [ScriptFile(name: "extra.py", contents: "pass\n")]), delivery: .project(outputPath: "gitops"))
        XCTAssertTrue(before.isDisjoint(with: Set(F.jobs(changed).map(\.name))))
    }

    /// Duplicate jobs are reported once, by the decoder; the planner only keeps the first.
    func testDuplicateJobNamesAreReportedOnceByTheDecoder() {
        let (_, messages) = decodeSpecs(jobSpec() + "\n---\n" + jobSpec())
        XCTAssertEqual(messages.filter { $0.contains("error[NBG132]") }.count, 1, "\(messages)")
        XCTAssertTrue(messages.first?.hasPrefix("spec.yaml:19:9: error[NBG132]: NotebookValidationJob 'demo' is defined twice") ?? false, "\(messages)")
        let (plan, diagnostics) = F.plan(SpecSet(jobs: [F.job(), F.job(line: 200)]))
        XCTAssertFalse(diagnostics.diagnostics.contains { $0.id == .objectDuplicate }, "not again while planning")
        XCTAssertEqual(F.jobs(plan).count, 1)
    }

    func testInvalidNamespaceIsReportedWhereItWasSet() {
        let specs = F.richSpecs()
        let (plan, diagnostics) = F.plan(specs, F.environment(namespace: "NB_Validation"))
        // The planner records the derived name; the Check stage's NameRules.derivedNames reports it.
        XCTAssertFalse(diagnostics.diagnostics.contains { $0.id == .nameInvalid })
        RuleEngine.run([plan], specs: specs, diagnostics: diagnostics)
        let error = diagnostics.diagnostics.first { $0.id == .nameInvalid }
        XCTAssertEqual(error?.location, F.at(14, 3, file: F.overlayFile))
    }
}
