import Foundation
import XCTest

@testable import NBGitOps

/// Model values built directly (no decoder, no overlay resolver) for Plan tests.
enum PlanFixtures {
    static let specFile = "specs/jobs.yaml"
    static let overlayFile = "overlays/gpu.yaml"

    static func at(_ line: Int, _ column: Int = 1, file: String = specFile) -> SourceLocation {
        SourceLocation(file: file, line: line, column: column)
    }

    static func overlay<T: Sendable>(_ value: T, line: Int) -> Traced<T> {
        Traced(value, .overlay(name: "gpu", at(line, 3, file: overlayFile)))
    }

    static let gpuTaints = [
        Taint(key: "nvidia.com/gpu", value: "true", effect: "NoSchedule"),
        Taint(key: "dedicated", value: nil, effect: "NoExecute"),
    ]

    static func environment(
        name: String = "openshift-gpu", platform: Platform = .openshift, tool: DeliveryTool = .argocd,
        namespace: String = "nb-validation", prefix: String = "nb-", manageAllClaims: Bool = false,
        existingClaims: [String] = [], storageClassName: String? = "gp3-csi", mirrors: [ImageMirror] = [],
        revision: String = "main", deliveryPath: String? = nil, controllerNamespace: String? = nil
    ) -> Environment {
        Environment(
            name: name, overlays: [OverlayReference(name: "gpu", file: overlayFile, isBuiltin: false)],
            platform: overlay(platform, line: 2),
            storage: StorageSettings(
                accessMode: .byDefault(.readWriteOnce, "available everywhere"),
                storageClassName: overlay(storageClassName, line: 4),
                claimSize: .byDefault("10Gi", "test"), workspaceSize: .byDefault("5Gi", "test"),
                existingClaims: overlay(existingClaims, line: 5), manageAllClaims: overlay(manageAllClaims, line: 6)),
            gpu: GPUSettings(
                resourceName: .byDefault("nvidia.com/gpu", "NVIDIA device plugin"), taints: overlay(gpuTaints, line: 8),
                nodeSelector: overlay(
                    ["nvidia.com/gpu.present": "true", "node-role.kubernetes.io/worker": ""], line: 10)),
            tekton: TektonSettings(coschedule: .byDefault(.workspaces, "Tekton default")),
            images: ImageSettings(
                registry: .byDefault(nil, "platform default"), mirrors: overlay(mirrors, line: 12),
                gitClone: .byDefault("docker.io/alpine/git:2.47.2", "git and ssh")),
            naming: NamingSettings(namespace: overlay(namespace, line: 14), namePrefix: overlay(prefix, line: 15)),
            delivery: DeliverySettings(
                tool: overlay(tool, line: 17),
                repositoryURL: overlay("https://git.example.com/org/gitops.git", line: 18),
                revision: overlay(revision, line: 19), path: .byDefault(deliveryPath, "derived"),
                controllerNamespace: .byDefault(controllerNamespace, "platform default")))
    }

    static func git(
        _ url: String = "https://github.com/org/notebooks.git", ref: String = "main", secret: String? = nil,
        transport: GitTransport = .https, line: Int = 8
    ) -> GitSource {
        GitSource(
            url: Located(url, at: at(line, 10)), ref: Located(ref, at: at(line + 1, 10)),
            credentialsSecret: secret.map { Located($0, at: at(line + 2, 26)) }, transport: transport)
    }

    static func envVar(_ name: String, _ value: String) -> ManifestNode {
        ["name": .string(name), "value": .string(value)]
    }

    /// A job; `line` shifts every location so two jobs never share one.
    static func job(
        name: String = "churn-model", line: Int = 1, image: String = "quay.io/jupyter/scipy-notebook:2024-10-07",
        notebook: GitSource? = nil, golden: GitSource? = nil, serviceAccount: String? = nil,
        env: [(String, String)] = [], resources: ManifestNode? = nil, tolerations: [ManifestNode] = [],
        nodeSelector: [String: String] = [:], volumes: [VolumeSpec] = [], mounts: [VolumeMountSpec] = [],
        modelValidation: ManifestNode? = nil, labels: [String: String] = [:], annotations: [String: String] = [:],
        timeoutSeconds: Int = 1800
    ) -> NotebookValidationJob {
        let envNames = env.enumerated().map { Located($0.element.0, at: at(line + 30 + $0.offset, 11)) }
        let podConfig = PodConfig(
            containerImage: Located(image, at: at(line + 20, 21)),
            serviceAccountName: serviceAccount.map { Located($0, at: at(line + 21, 25)) },
            env: env.map { envVar($0.0, $0.1) }, envNames: envNames, envFrom: [], resources: resources,
            nodeSelector: nodeSelector, tolerations: tolerations, affinity: nil, volumes: volumes, volumeMounts: mounts,
            buildConfig: nil)
        return NotebookValidationJob(
            apiVersion: "mlops.mlops.dev/v1alpha1", name: Located(name, at: at(line + 3, 9)), namespace: nil,
            labels: labels, annotations: annotations,
            notebook: NotebookSource(
                git: notebook ?? git(line: line + 8), path: Located("notebooks/churn.ipynb", at: at(line + 12, 11))),
            goldenNotebook: golden.map {
                NotebookSource(git: $0, path: Located("golden/churn.ipynb", at: at(line + 16, 11)))
            },
            podConfig: podConfig, timeoutSeconds: Located(timeoutSeconds, at: at(line + 40, 12)),
            comparisonConfig: [
                "strategy": "normalized", "floatingPointTolerance": .float("0.0001"), "ignoreTimestamps": true,
            ],
            validationConfig: ["level": "development", "detectSilentFailures": true, "failOnStderr": false],
            modelValidation: modelValidation, document: [:], sourceMap: SourceMap(), file: specFile, documentIndex: 0)
    }

    static func pvcVolume(_ name: String, claim: String, line: Int = 50) -> (VolumeSpec, VolumeMountSpec) {
        let volume = VolumeSpec(
            name: Located(name, at: at(line, 13)),
            source: .persistentVolumeClaim(claimName: Located(claim, at: at(line + 2, 22)), readOnly: false),
            manifest: ["name": .string(name), "persistentVolumeClaim": ["claimName": .string(claim)]])
        let mount = VolumeMountSpec(
            name: Located(name, at: at(line + 4, 13)), mountPath: Located("/models", at: at(line + 5, 20)),
            readOnly: false,
            manifest: ["name": .string(name), "mountPath": "/models"])
        return (volume, mount)
    }

    static let gpuResources: ManifestNode = [
        "requests": ["cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1"],
        "limits": ["memory": "16Gi", "nvidia.com/gpu": "1"],
    ]

    /// The Argo CD health checks of the repository's `templates/argocd/` (every plan of an
    /// Argo CD environment carries them).
    static let argoHealthChecks = ResourceRoot(path: repositoryRoot).argoHealthScripts(diagnostics: DiagnosticCollector())

    /// The Plan stage's resources: these test `scripts` (or others) with the real health checks.
    static func resources(scripts: [ScriptFile] = scripts, buildTemplates: BuildTemplates = BuildTemplates())
        -> PlanResources
    {
        PlanResources(scripts: scripts, buildTemplates: buildTemplates, argoHealthChecks: argoHealthChecks)
    }

    static let scripts = [
        ScriptFile(name: "validate-notebook.py", contents: "#!/usr/bin/env python3\nprint('validate')\n"),
        ScriptFile(name: "git-clone.sh", contents: "#!/bin/sh\nset -eu\necho clone\n"),
    ]

    /// A spec set exercising most features: GPU and CPU jobs, HTTPS and SSH credentials, a
    /// golden notebook, model validation, a PVC, and supporting objects.
    static func richSpecs() -> SpecSet {
        let (volume, mount) = pvcVolume("model-output", claim: "trained-models")
        let gpuJob = job(
            name: "train-sentiment", line: 1, image: "quay.io/jupyter/pytorch-notebook:cuda12-2024-10-07",
            notebook: git(secret: "github-token", line: 9), resources: gpuResources, volumes: [volume], mounts: [mount],
            modelValidation: ["enabled": true, "platform": "kserve", "phase": "both"],
            labels: ["team": "ml"], annotations: ["owner": "data-science"])
        let cpuJob = job(
            name: "churn-model", line: 100,
            notebook: git("git@github.com:org/private.git", secret: "deploy-key", transport: .ssh, line: 109),
            golden: git("https://github.com/org/golden.git", ref: "v1.2.0", line: 113),
            serviceAccount: "analyst", env: [("DATASET", "s3://bucket/churn.csv"), ("LOG_LEVEL", "debug")],
            resources: ["requests": ["cpu": "500m", "memory": "1Gi"], "limits": ["memory": "2Gi"]])
        let configMap = SupportingObject(
            apiVersion: "v1", kind: "ConfigMap",
            name: Located("churn-settings", at: at(4, 9, file: "specs/support.yaml")),
            namespaced: true,
            manifest: [
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": ["name": "churn-settings", "namespace": "somewhere-else"],
                "data": ["threshold": "0.5", "enabled": "yes"],
            ],
            file: "specs/support.yaml", documentIndex: 0, location: at(1, 1, file: "specs/support.yaml"))
        let service = SupportingObject(
            apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService",
            name: Located("sentiment", at: at(14, 9, file: "specs/support.yaml")), namespaced: true,
            manifest: [
                "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                "metadata": ["name": "sentiment"],
                "spec": [
                    "predictor": [
                        "model": [
                            "modelFormat": ["name": "pytorch"], "storageUri": "pvc://trained-models/sentiment/v1",
                        ]
                    ]
                ],
            ],
            file: "specs/support.yaml", documentIndex: 1, location: at(11, 1, file: "specs/support.yaml"))
        return SpecSet(jobs: [gpuJob, cpuJob], supportingObjects: [configMap, service])
    }

    static func plan(
        _ specs: SpecSet = richSpecs(), _ environment: Environment = environment(), delivery: DeliveryTarget = .project(outputPath: "gitops")
    ) -> (EnvironmentPlan, DiagnosticCollector) {
        let diagnostics = DiagnosticCollector()
        let plan = EnvironmentPlanner.plan(
            specs: specs, environment: environment, resources: resources(), delivery: delivery)
        return (plan, diagnostics)
    }

    static func jobs(_ plan: EnvironmentPlan) -> [PlannedObject] { plan.objects.filter { $0.kind == "Job" } }

    static func job(_ plan: EnvironmentPlan, instance: String) -> ManifestNode? {
        jobs(plan).first {
            $0.manifest.value(at: "metadata.labels[app.kubernetes.io/instance]")?.stringValue == instance
        }?
        .manifest
    }

    static func object(_ plan: EnvironmentPlan, kind: String, name: String) -> ManifestNode? {
        plan.objects.first { $0.kind == kind && $0.name == name }?.manifest
    }

    /// Every `(path, value)` of a tree, for "nowhere in the output" assertions.
    static func walk(_ node: ManifestNode, path: String = "", visit: (String, ManifestNode) -> Void) {
        visit(path, node)
        switch node {
        case .map(let entries):
            for entry in entries { walk(entry.value, path: path + "." + entry.key, visit: visit) }
        case .list(let elements):
            for (index, element) in elements.enumerated() { walk(element, path: path + "[\(index)]", visit: visit) }
        default: break
        }
    }

    /// Container env as (name, value-or-nil) pairs.
    static func envNames(_ container: ManifestNode?) -> [String] {
        container?["env"]?.elements?.compactMap { $0["name"]?.stringValue } ?? []
    }

    static func envValue(_ container: ManifestNode?, _ name: String) -> ManifestNode? {
        container?["env"]?.elements?.first { $0["name"]?.stringValue == name }
    }

    /// Renders every file of a plan under `directory` (created), like the Write stage.
    static func write(_ files: [OutputFile], under directory: URL) throws {
        for file in files {
            let url = directory.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.bytes).write(to: url)
        }
    }
}
