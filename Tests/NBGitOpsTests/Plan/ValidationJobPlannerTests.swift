import XCTest

@testable import NBGitOps

final class ValidationJobPlannerTests: XCTestCase {
    typealias F = PlanFixtures

    // MARK: GPU placement

    func testGPUTolerationsAndNodeSelectorOnlyOnGPUPods() throws {
        let (plan, diagnostics) = F.plan()
        XCTAssertFalse(diagnostics.hasErrors, diagnostics.sorted.map(\.rendered).joined(separator: "\n"))
        let gpu = try XCTUnwrap(F.job(plan, instance: "train-sentiment"))
        let cpu = try XCTUnwrap(F.job(plan, instance: "churn-model"))

        let tolerations = try XCTUnwrap(gpu.value(at: "spec.template.spec.tolerations")?.elements)
        XCTAssertEqual(
            tolerations,
            [
                ["key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"],
                ["key": "dedicated", "operator": "Exists", "effect": "NoExecute"],
            ])
        XCTAssertEqual(gpu.value(at: "spec.template.spec.nodeSelector[nvidia.com/gpu.present]"), "true")

        XCTAssertNil(cpu.value(at: "spec.template.spec.tolerations"), "a CPU pod must not tolerate GPU taints")
        XCTAssertNil(cpu.value(at: "spec.template.spec.nodeSelector"), "a CPU pod must not be steered to GPU nodes")
    }

    func testGPURequestedOnlyUnderRequestsIsCopiedToLimits() throws {
        let job = F.job(resources: ["requests": ["cpu": "1", "nvidia.com/gpu": "2"]])
        let (plan, _) = F.plan(SpecSet(jobs: [job]))
        let manifest = try XCTUnwrap(F.job(plan, instance: "churn-model"))
        let resources = manifest.value(at: "spec.template.spec.containers[0].resources")
        XCTAssertEqual(resources?.value(at: "limits[nvidia.com/gpu]"), "2")
        XCTAssertNil(resources?.value(at: "limits.cpu"), "only the extended resource is copied")
        XCTAssertNotNil(manifest.value(at: "spec.template.spec.tolerations"))
    }

    func testUserTolerationAndNodeSelectorWin() throws {
        let own: ManifestNode = ["key": "nvidia.com/gpu", "operator": "Exists"]
        let job = F.job(
            resources: F.gpuResources, tolerations: [own], nodeSelector: ["nvidia.com/gpu.present": "false-positive"])
        let (plan, _) = F.plan(SpecSet(jobs: [job]))
        let spec = try XCTUnwrap(F.job(plan, instance: "churn-model")?.value(at: "spec.template.spec"))
        // The user's Exists toleration already tolerates the nvidia.com/gpu taint: not duplicated.
        XCTAssertEqual(
            spec["tolerations"]?.elements,
            [own, ["key": "dedicated", "operator": "Exists", "effect": "NoExecute"]])
        XCTAssertEqual(spec.value(at: "nodeSelector[nvidia.com/gpu.present]"), "false-positive")
        XCTAssertEqual(spec.value(at: "nodeSelector[node-role.kubernetes.io/worker]"), "")
    }

    // MARK: Security

    func testOpenShiftPodsSetNoIDs() throws {
        let (plan, _) = F.plan(F.richSpecs(), F.environment(platform: .openshift))
        for job in F.jobs(plan) {
            F.walk(job.manifest) { path, _ in
                for key in ["runAsUser", "runAsGroup", "fsGroup"] where path.hasSuffix("." + key) {
                    XCTFail("\(job.name): \(path) is set on OpenShift")
                }
            }
            XCTAssertEqual(job.manifest.value(at: "spec.template.spec.securityContext.runAsNonRoot"), true)
            XCTAssertEqual(
                job.manifest.value(at: "spec.template.spec.securityContext.seccompProfile.type"), "RuntimeDefault")
        }
        let namespace = try XCTUnwrap(F.object(plan, kind: "Namespace", name: "nb-validation"))
        XCTAssertNil(namespace.value(at: "metadata.labels[pod-security.kubernetes.io/enforce]"))
    }

    func testKubernetesPodsRunAsAHighUIDInGroup100AndNamespaceEnforcesRestricted() throws {
        let (plan, _) = F.plan(F.richSpecs(), F.environment(name: "kind", platform: .kubernetes))
        let job = try XCTUnwrap(F.job(plan, instance: "churn-model"))
        XCTAssertEqual(job.value(at: "spec.template.spec.securityContext.runAsUser"), 10001)
        XCTAssertEqual(job.value(at: "spec.template.spec.securityContext.runAsGroup"), 100)
        XCTAssertEqual(job.value(at: "spec.template.spec.securityContext.fsGroup"), 100)
        let namespace = try XCTUnwrap(F.object(plan, kind: "Namespace", name: "nb-validation"))
        for mode in ["enforce", "audit", "warn"] {
            XCTAssertEqual(namespace.value(at: "metadata.labels[pod-security.kubernetes.io/\(mode)]"), "restricted")
        }
        XCTAssertEqual(namespace.value(at: "metadata.labels[pod-security.kubernetes.io/enforce-version]"), "latest")
    }

    func testEveryContainerIsRestricted() throws {
        let (plan, _) = F.plan()
        for job in F.jobs(plan) {
            let spec = try XCTUnwrap(job.manifest.value(at: "spec.template.spec"))
            let containers = (spec["initContainers"]?.elements ?? []) + (spec["containers"]?.elements ?? [])
            XCTAssertGreaterThanOrEqual(containers.count, 2)
            for container in containers {
                let name = container["name"]?.stringValue ?? "?"
                XCTAssertEqual(container.value(at: "securityContext.allowPrivilegeEscalation"), false, name)
                XCTAssertEqual(container.value(at: "securityContext.capabilities.drop"), ["ALL"], name)
                XCTAssertEqual(container.value(at: "securityContext.runAsNonRoot"), true, name)
                XCTAssertEqual(container.value(at: "securityContext.seccompProfile.type"), "RuntimeDefault", name)
            }
            XCTAssertEqual(spec.value(at: "containers[0].securityContext.readOnlyRootFilesystem"), true)
            XCTAssertEqual(spec["enableServiceLinks"], false)
            XCTAssertEqual(spec["restartPolicy"], "Never")
            XCTAssertEqual(job.manifest.value(at: "spec.backoffLimit"), 0)
            XCTAssertNil(job.manifest.value(at: "spec.ttlSecondsAfterFinished"))
        }
    }

    // MARK: Credentials

    func testHTTPSCredentialsAreSecretFilesInTheCloneContainerOnly() throws {
        let (plan, _) = F.plan()
        let job = try XCTUnwrap(F.job(plan, instance: "train-sentiment"))
        let spec = try XCTUnwrap(job.value(at: "spec.template.spec"))
        let clone = spec.value(at: "initContainers[0]")
        XCTAssertEqual(clone?["name"], "git-clone")
        XCTAssertEqual(F.envValue(clone, "NBG_GIT_CREDENTIALS_DIR")?["value"], "/etc/nbgitops/git-https")
        for variable in ["NBG_GIT_USERNAME", "NBG_GIT_PASSWORD", "NBG_SSH_DIR"] {
            XCTAssertNil(F.envValue(clone, variable), variable)
        }
        let volume = spec["volumes"]?.elements?.first { $0["name"] == "nbgitops-git-https" }
        XCTAssertEqual(volume?.value(at: "secret.secretName"), "github-token")
        XCTAssertEqual(volume?.value(at: "secret.defaultMode"), 256)
        let mount = clone?["volumeMounts"]?.elements?.first { $0["name"] == "nbgitops-git-https" }
        XCTAssertEqual(mount?["mountPath"], "/etc/nbgitops/git-https")
        XCTAssertEqual(mount?["readOnly"], true)
        // No secretKeyRef anywhere, and the Secret is mounted in no other container.
        XCTAssertFalse(String(decoding: ManifestRenderer.render([job]), as: UTF8.self).contains("secretKeyRef"))
        let validateMounts = spec.value(at: "containers[0].volumeMounts")?.elements ?? []
        XCTAssertFalse(validateMounts.contains { $0["name"] == "nbgitops-git-https" })
    }

    func testSSHCredentialsAreAMountedSecretWithMode0400() throws {
        let (plan, _) = F.plan()
        let spec = try XCTUnwrap(F.job(plan, instance: "churn-model")?.value(at: "spec.template.spec"))
        let clone = spec.value(at: "initContainers[1]")
        XCTAssertEqual(F.envValue(clone, "NBG_SSH_DIR")?["value"], "/etc/nbgitops/git-ssh")
        XCTAssertNil(F.envValue(clone, "NBG_GIT_PASSWORD"))
        let volume = spec["volumes"]?.elements?.first { $0["name"] == "nbgitops-git-credentials" }
        XCTAssertEqual(volume?.value(at: "secret.secretName"), "deploy-key")
        XCTAssertEqual(volume?.value(at: "secret.defaultMode"), 256)
        let mount = clone?["volumeMounts"]?.elements?.first { $0["name"] == "nbgitops-git-credentials" }
        XCTAssertEqual(mount?["readOnly"], true)
        // The golden notebook (HTTPS, no secret) is cloned by a second init container.
        XCTAssertEqual(spec.value(at: "initContainers[2].name"), "git-clone-golden")
        XCTAssertEqual(
            F.envValue(spec.value(at: "initContainers[2]"), "NBG_CHECKOUT_DIR")?["value"], "/workspace/golden")
        XCTAssertNil(F.envValue(spec.value(at: "initContainers[2]"), "NBG_GIT_PASSWORD"))
    }

    /// OpenSSH needs a passwd entry for the UID: `git-passwd` writes one into an emptyDir that
    /// the SSH clone mounts over /etc/passwd, so every root filesystem stays read-only.
    func testSSHClonesReadAPasswdFileAndKeepAReadOnlyRoot() throws {
        let (plan, _) = F.plan()
        let spec = try XCTUnwrap(F.job(plan, instance: "churn-model")?.value(at: "spec.template.spec"))
        let writer = spec.value(at: "initContainers[0]")
        XCTAssertEqual(writer?["name"], "git-passwd")
        XCTAssertEqual(F.envValue(writer, "NBG_PASSWD_FILE")?["value"], "/etc/nbgitops/passwd/passwd")
        XCTAssertEqual(writer?["image"], spec.value(at: "initContainers[1].image"))
        let clone = spec.value(at: "initContainers[1]")
        XCTAssertEqual(clone?["name"], "git-clone")
        let passwdMount = clone?["volumeMounts"]?.elements?.first { $0["name"] == "nbgitops-passwd" }
        XCTAssertEqual(passwdMount?["mountPath"], "/etc/passwd")
        XCTAssertEqual(passwdMount?["subPath"], "passwd")
        XCTAssertEqual(passwdMount?["readOnly"], true)
        XCTAssertTrue(spec["volumes"]?.elements?.contains { $0["name"] == "nbgitops-passwd" && $0["emptyDir"] != nil } ?? false)
        let containers = (spec["initContainers"]?.elements ?? []) + (spec["containers"]?.elements ?? [])
        for container in containers {
            XCTAssertEqual(container.value(at: "securityContext.readOnlyRootFilesystem"), true, container["name"]?.stringValue ?? "?")
        }
        // HTTPS-only pods have no passwd writer.
        let https = try XCTUnwrap(F.job(plan, instance: "train-sentiment")?.value(at: "spec.template.spec"))
        XCTAssertEqual(https.value(at: "initContainers[0].name"), "git-clone")
        XCTAssertFalse(https["volumes"]?.elements?.contains { $0["name"] == "nbgitops-passwd" } ?? true)
    }

    func testNoEnvValueAnywhereLooksLikeACredential() throws {
        for platform in Platform.allCases {
            let (plan, _) = F.plan(F.richSpecs(), F.environment(platform: platform))
            for object in plan.objects {
                F.walk(object.manifest) { path, node in
                    guard path.hasSuffix("]"), let name = node["name"]?.stringValue else { return }
                    let upper = name.uppercased()
                    if ["PASSWORD", "TOKEN", "SECRET", "PRIVATEKEY"].contains(where: upper.contains),
                        node["value"] != nil
                    {
                        XCTFail("\(object.name) \(path): \(name) has a literal value")
                    }
                }
            }
        }
    }

    // MARK: Environment variables

    func testEnvOrderIsNBGitOpsFirstThenUser() throws {
        let (plan, diagnostics) = F.plan()
        XCTAssertFalse(diagnostics.hasErrors)
        let validate = F.job(plan, instance: "churn-model")?.value(at: "spec.template.spec.containers[0]")
        let names = F.envNames(validate)
        XCTAssertEqual(Array(names.suffix(2)), ["DATASET", "LOG_LEVEL"])
        XCTAssertEqual(names.first, "NBG_NOTEBOOK")
        XCTAssertTrue(names.contains("NBG_GOLDEN_NOTEBOOK"))
        XCTAssertEqual(F.envValue(validate, "NBG_NOTEBOOK")?["value"], "/workspace/notebook/notebooks/churn.ipynb")
        XCTAssertEqual(F.envValue(validate, "NBG_OUTPUT_NOTEBOOK")?["value"], "/workspace/output/churn.ipynb")
        XCTAssertEqual(F.envValue(validate, "HOME")?["value"], "/workspace/home")
        XCTAssertEqual(
            F.envValue(validate, "NBG_COMPARISON_CONFIG")?["value"],
            #"{"floatingPointTolerance":0.0001,"ignoreTimestamps":true,"strategy":"normalized"}"#)
        XCTAssertEqual(Set(names).count, names.count, "env names must be unique")
    }

    func testReservedUserEnvIsAnErrorAtTheEntryAndDropped() throws {
        let job = F.job(env: [("DATASET", "x"), ("HOME", "/home/jovyan"), ("NBG_NOTEBOOK", "other.ipynb")])
        let specs = SpecSet(jobs: [job])
        let (plan, diagnostics) = F.plan(specs)
        // The planner drops the entries; the Check stage reports them (JobSpecRules.reservedEnvironment).
        XCTAssertTrue(diagnostics.diagnostics.filter { $0.id == .envReserved }.isEmpty)
        RuleEngine.run([plan], specs: specs, diagnostics: diagnostics)
        let errors = diagnostics.diagnostics.filter { $0.id == .envReserved }
        XCTAssertEqual(
            errors.map(\.location), [job.podConfig.envNames[1].location, job.podConfig.envNames[2].location])
        XCTAssertTrue(errors.allSatisfy { $0.severity == .error })
        let validate = F.job(plan, instance: "churn-model")?.value(at: "spec.template.spec.containers[0]")
        XCTAssertEqual(F.envNames(validate).filter { $0 == "HOME" }.count, 1)
        XCTAssertEqual(F.envValue(validate, "HOME")?["value"], "/workspace/home")
        XCTAssertEqual(F.envNames(validate).last, "DATASET")
    }

    // MARK: Job identity

    func testJobNameChangesWithTheImageAndNothingUnrelated() throws {
        func name(_ job: NotebookValidationJob, others: [NotebookValidationJob] = [], prefix: String = "nb-") -> String?
        {
            let (plan, _) = F.plan(SpecSet(jobs: [job] + others), F.environment(prefix: prefix))
            return F.jobs(plan).first {
                $0.manifest.value(at: "metadata.labels[app.kubernetes.io/instance]") == "churn-model"
            }?.name
        }
        let base = try XCTUnwrap(name(F.job()))
        XCTAssertTrue(base.hasPrefix("nb-churn-model-"))
        XCTAssertEqual(base.utf8.count, "nb-churn-model-".utf8.count + 8)
        XCTAssertTrue(base.suffix(8).allSatisfy(\.isHexDigit))

        XCTAssertNotEqual(name(F.job(image: "quay.io/jupyter/scipy-notebook:2024-11-04")), base)
        XCTAssertNotEqual(name(F.job(env: [("SEED", "42")])), base)

        XCTAssertEqual(name(F.job()), base)
        XCTAssertEqual(name(F.job(labels: ["team": "ml"], annotations: ["note": "x"])), base)
        XCTAssertEqual(name(F.job(line: 300)), base, "source positions are not pod inputs")
        XCTAssertEqual(name(F.job(), others: [F.job(name: "other", line: 500)]), base)
    }

    func testJobNameTooLongIsReportedAtMetadataName() {
        let long = String(repeating: "a", count: 52)  // + "nb-" + "-xxxxxxxx" = 64
        let job = F.job(name: long)
        let (plan, diagnostics) = F.plan(SpecSet(jobs: [job]))
        RuleEngine.run([plan], specs: SpecSet(jobs: [job]), diagnostics: diagnostics)
        let error = diagnostics.diagnostics.first { $0.id == .nameTooLong }
        XCTAssertEqual(error?.location, job.name.location)
        XCTAssertEqual(error?.severity, .error)

        let fitting = SpecSet(jobs: [F.job(name: String(repeating: "a", count: 51))])
        let (fittingPlan, fits) = F.plan(fitting)
        RuleEngine.run([fittingPlan], specs: fitting, diagnostics: fits)
        XCTAssertFalse(fits.diagnostics.contains { $0.id == .nameTooLong })
    }

    func testImagesFollowMirrors() throws {
        let mirrors = [
            ImageMirror(source: "quay.io", mirror: "mirror.example.com/quay"),
            ImageMirror(source: "quay.io/jupyter", mirror: "mirror.example.com/jupyter"),
            ImageMirror(source: "docker.io/alpine", mirror: "mirror.example.com/alpine"),
        ]
        let (plan, _) = F.plan(F.richSpecs(), F.environment(mirrors: mirrors))
        let spec = try XCTUnwrap(F.job(plan, instance: "churn-model")?.value(at: "spec.template.spec"))
        XCTAssertEqual(spec.value(at: "containers[0].image"), "mirror.example.com/jupyter/scipy-notebook:2024-10-07")
        XCTAssertEqual(spec.value(at: "initContainers[0].image"), "mirror.example.com/alpine/git:2.47.2")
        XCTAssertEqual(
            ImageMirroring.apply(mirrors, to: "quay.io/jupyterhub/k8s-hub:4"),
            "mirror.example.com/quay/jupyterhub/k8s-hub:4")
        XCTAssertEqual(ImageMirroring.apply(mirrors, to: "quay.io.evil.com/x"), "quay.io.evil.com/x")
    }

    func testReservedVolumesComeFirstThenUserVolumes() throws {
        let (plan, _) = F.plan()
        let spec = try XCTUnwrap(F.job(plan, instance: "train-sentiment")?.value(at: "spec.template.spec"))
        let volumeNames = spec["volumes"]?.elements?.compactMap { $0["name"]?.stringValue }
        XCTAssertEqual(
            volumeNames,
            [
                "nbgitops-workspace", "nbgitops-home", "nbgitops-tmp", "nbgitops-scripts", "nbgitops-git-https",
                "nbgitops-api-access", "nbgitops-shm", "model-output",
            ])
        XCTAssertEqual(spec.value(at: "volumes[3].configMap.defaultMode"), 365)
        // Content-addressed: the scripts' checksum names the ConfigMap.
        XCTAssertEqual(
            spec.value(at: "volumes[3].configMap.name"),
            .string("nb-nbgitops-scripts-" + EnvironmentPlanner.scriptsChecksum(F.scripts).prefix(8)))
        let mounts = spec.value(at: "containers[0].volumeMounts")?.elements?.compactMap { $0["mountPath"]?.stringValue }
        XCTAssertEqual(
            mounts,
            [
                "/workspace", "/workspace/home", "/tmp", "/opt/nbgitops/scripts",
                "/var/run/secrets/kubernetes.io/serviceaccount", "/dev/shm", "/models",
            ])
        XCTAssertEqual(
            spec.value(at: "containers[0].command"), ["python3", "/opt/nbgitops/scripts/validate-notebook.py"])
        XCTAssertEqual(spec.value(at: "initContainers[0].command"), ["sh", "/opt/nbgitops/scripts/git-clone.sh"])
        for volume in PodLayout.reservedVolumes {
            XCTAssertTrue(PodLayout.isReservedVolumeName(volume.name))
        }
    }

    /// The published layout is what the pods use: every nbgitops volume and mount in every
    /// container of every rendered pod is listed in `PodLayout.reservedVolumes`, with its path.
    func testRenderedPodsUseExactlyThePublishedLayout() throws {
        let reserved = Dictionary(uniqueKeysWithValues: PodLayout.reservedVolumes.map { ($0.name, $0) })
        var seen: Set<String> = []
        let (plan, _) = F.plan()
        for job in F.jobs(plan) {
            let spec = try XCTUnwrap(job.manifest.value(at: "spec.template.spec"))
            for volume in spec["volumes"]?.elements ?? [] {
                let name = volume["name"]?.stringValue ?? ""
                if name.hasPrefix("nbgitops-") { XCTAssertNotNil(reserved[name], name) }
            }
            let containers = (spec["initContainers"]?.elements ?? []) + (spec["containers"]?.elements ?? [])
            for container in containers {
                for mount in container["volumeMounts"]?.elements ?? [] {
                    guard let name = mount["name"]?.stringValue, let layout = reserved[name] else { continue }
                    seen.insert(name)
                    if mount["subPath"] != nil {
                        // The one file mount: the passwd file over /etc/passwd, read-only.
                        XCTAssertEqual(name, PodLayout.passwd.name)
                        XCTAssertEqual(mount["mountPath"], "/etc/passwd")
                        XCTAssertEqual(mount["readOnly"], true)
                        XCTAssertNotNil(PodLayout.collision(forMountPath: "/etc/passwd"))
                        continue
                    }
                    XCTAssertEqual(mount["mountPath"]?.stringValue, layout.mountPath, name)
                    XCTAssertEqual(mount["readOnly"]?.boolValue ?? false, layout.readOnly, name)
                    // A spec may mount its own /dev/shm (then nbgitops adds none): not a reserved path.
                    if name != PodLayout.sharedMemory.name {
                        XCTAssertNotNil(PodLayout.collision(forMountPath: layout.mountPath), name)
                    }
                }
            }
        }
        XCTAssertEqual(
            seen,
            // The example names no results store (ResultsStoreTests and TektonOpenShiftDetailsTests
            // check those volumes).
            Set(PodLayout.reservedVolumes.map(\.name)).subtracting([
                "nbgitops-golden-credentials", "nbgitops-golden-https", PodLayout.resultsClaim.name,
                PodLayout.resultsCredentials.name, PodLayout.resultsCA.name,
            ]))
    }

    func testReservedPathCollisions() {
        XCTAssertEqual(PodLayout.collision(forMountPath: "/workspace")?.path, "/workspace")
        XCTAssertEqual(PodLayout.collision(forMountPath: "/workspace/notebook/data")?.path, "/workspace/notebook")
        XCTAssertEqual(PodLayout.collision(forMountPath: "/tmp/")?.path, "/tmp")
        XCTAssertEqual(PodLayout.collision(forMountPath: "/opt//nbgitops/./scripts/x")?.path, "/opt/nbgitops/scripts")
        XCTAssertNil(PodLayout.collision(forMountPath: "/tmp/working"))
        XCTAssertNil(PodLayout.collision(forMountPath: "/workspace/data"))
        XCTAssertNil(PodLayout.collision(forMountPath: "/models"))
    }

    func testCanonicalJSON() {
        let node: ManifestNode = [
            "b": [1, .float(".5"), .float("+2."), .null], "a": "quote \" and \n newline", "c": ["z": false, "y": true],
        ]
        XCTAssertEqual(
            CanonicalJSON.encode(node),
            #"{"a":"quote \" and \n newline","b":[1,0.5,2.0,null],"c":{"y":true,"z":false}}"#)
    }
}
