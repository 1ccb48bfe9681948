/// Lowers one `NotebookValidationJob` to a `batch/v1` Job: the pod the operator would have
/// created, built ahead of time so a GitOps tool can apply it with nothing running in the cluster.
///
/// The pod has two or three containers that share the `nbgitops-workspace` emptyDir:
/// `git-clone` (and `git-clone-golden`) fetch the notebooks with `git-clone.sh`, then
/// `validate` runs `validate-notebook.py` in the user's image. The layout is `PodLayout`'s.
///
/// Jobs are immutable, so the Job name ends in a hash of its spec: any change to what runs
/// (image, env, resources, scripts, …) gives a new Job that the delivery tool creates while
/// pruning the old one, and an unchanged spec keeps the name (no spurious re-runs).
enum ValidationJobPlanner {
    /// What the environment planner decided for the job's identity.
    struct Access {
        var serviceAccountName: String
        /// The job queries the cluster API (model validation): the token is mounted.
        var needsAPI: Bool
    }

    /// What one init container of the validation pod is for, recorded as it is added.
    enum InitContainerRole: Sendable, Equatable {
        case passwd
        case clone
        case goldenClone
    }

    /// Where one entry of a list the planner assembles (env, volumes, volumeMounts) came from,
    /// recorded as it is appended.
    enum EntrySource: Sendable, Equatable {
        /// nbgitops' own entry (the name of the variable, volume or mount).
        case own(String)
        /// The spec's list entry at this index.
        case spec(Int)
        /// The Secret volume of a clone's credentials (`golden`: the golden notebook's).
        case gitCredentials(golden: Bool)
        /// The projected API token of a job that calls the cluster API.
        case apiAccess
        /// The results store (`ResultsStore`), named at this origin.
        case results(Origin)
    }

    /// What the validate container runs.
    enum ImageSource: Sendable, Equatable {
        /// The in-cluster build's output, pulled Always.
        case built
        /// `spec.podConfig.containerImage`, rewritten by `images.mirrors` when `mirrored`.
        case spec(mirrored: Bool)
    }

    /// The pod spec with what was recorded while building it (the origins `explain` shows).
    struct PodBuild {
        var spec: ManifestNode
        var placement: GPUPlacement
        var initContainers: [InitContainerRole]
        var image: ImageSource
        /// `requests.cpu`-style keys the environment's `defaults.resources` filled in.
        var defaultedResources: [String: Traced<String>]
        var env: [EntrySource]
        var volumes: [EntrySource]
        var volumeMounts: [EntrySource]
    }

    /// Characters the name suffix (`-` + 8 hex digits) takes.
    static let hashSuffixLength = 9

    /// - Parameters:
    ///   - builtImage: the image an in-cluster build produces for this job (`BuildPlanner`);
    ///     used verbatim (no mirror rewriting: the build pushed exactly this reference).
    ///   - imagePullSecrets: Secrets the pod pulls a built image with.
    static func plan(
        job: NotebookValidationJob, access: Access, scriptsConfigMap: String, scriptsChecksum: String,
        context: PlanContext, builtImage: String? = nil, imagePullSecrets: [String] = []
    ) -> PlannedObject {
        let base = context.derivedName(job.name.value)
        let podLabels: [String: String] = [
            LabelKey.name: LabelValue.validationPod,
            LabelKey.instance: job.name.value,
            LabelKey.managedBy: LabelValue.managedBy,
        ]
        let pod = podSpec(
            job: job, access: access, scriptsConfigMap: scriptsConfigMap, context: context,
            builtImage: builtImage, imagePullSecrets: imagePullSecrets)
        let template = ManifestNode.object([
            (
                "metadata",
                .object([
                    ("labels", .strings(podLabels)),
                    ("annotations", .strings([AnnotationKey.scriptsChecksum: scriptsChecksum])),
                ])
            ),
            ("spec", pod.spec),
        ])
        let spec = ManifestNode.object([
            // One attempt: a failed validation is a result, not a flake to retry.
            ("backoffLimit", 0),
            ("activeDeadlineSeconds", .int(job.timeoutSeconds.value)),
            // The validate container's exit code names the failure (validate-notebook.py); a
            // FailJob rule per code puts it in the Job's Failed condition ("… failed with exit
            // code 4 matching FailJob rule at index 4", kubernetes pkg/controller/job/
            // pod_failure_policy.go), where Argo CD's and Flux's health read it.
            ("podFailurePolicy", podFailurePolicy),
            // No ttlSecondsAfterFinished: the delivery tool would re-create a deleted Job.
            ("template", template),
        ])
        let name = "\(base)-\(StableHash.shortHex(spec))"
        let checkedName = DerivedName(
            name, rule: .label, what: "Job name", at: job.name.location,
            help:
                "shorten metadata.name to at most \(max(1, 63 - hashSuffixLength - context.prefix.utf8.count)) characters "
                + "(nbgitops adds the prefix '\(context.prefix)' and a 9-character hash suffix)")

        var labels = job.labels
        for (key, value) in podLabels { labels[key] = value }
        // On the Job only, not its pod template: the same content is the same Job (name) in
        // every environment (`nbgitops diff` pairs them), and `results` tells environments
        // sharing a cluster apart by it.
        labels[LabelKey.environment] = context.environment.name
        // The spec file, on the Job only (like the generated header, which names it too): its
        // pod template, and so the Job's name, must not depend on how specs are split into files
        // or where they live; a moved spec re-annotates the Job (metadata is mutable) instead of
        // re-running it. The pod reaches it through its `batch.kubernetes.io/job-name` label;
        // `nbgitops results` finds the line by the spec's name (`app.kubernetes.io/instance`).
        var annotations = job.annotations
        annotations[AnnotationKey.specFile] = job.name.location.file
        let manifest = PlanMetadata.object(
            apiVersion: "batch/v1", kind: "Job", name: name, namespace: context.namespace, labels: labels,
            annotations: annotations, body: [("spec", spec)])
        guard context.recordsProvenance else {
            var object = PlannedObject(
                apiVersion: "batch/v1", kind: "Job", name: name, namespace: context.namespace, manifest: manifest,
                wave: .workload, sources: [job.name.location], provenance: [:])
            object.derivedNames = [checkedName]
            object.contentAddress = ContentAddress(base: base, hashedPath: "spec")
            return object
        }
        let record = PodBuild(
            spec: [:], placement: pod.placement, initContainers: pod.initContainers, image: pod.image,
            defaultedResources: pod.defaultedResources, env: pod.env, volumes: pod.volumes, volumeMounts: pod.volumeMounts)
        var object = PlannedObject(
            apiVersion: "batch/v1", kind: "Job", name: name, namespace: context.namespace, manifest: manifest,
            wave: .workload, sources: [job.name.location],
            lazyProvenance: { FieldProvenance.validationJob(job, context: context, pod: record) })
        object.derivedNames = [checkedName]
        object.contentAddress = ContentAddress(base: base, hashedPath: "spec")
        return object
    }

    /// What each exit code of the validate container means, in the order of the Job's FailJob
    /// rules (`nbgitops results` and the Argo CD health check decode the rule index).
    public static let failureExitCodes: [(code: Int, reason: String)] = [
        (1, "execution"), (2, "configuration"), (3, "validation"), (4, "comparison"),
    ]

    /// First an `Ignore` rule for pods the cluster took away (node drain, preemption, eviction:
    /// condition `DisruptionTarget`): such a pod does not count against `backoffLimit: 0` and
    /// the Job starts a new one. Rules are matched in order and the first match decides
    /// (kubernetes `pkg/controller/job/pod_failure_policy.go` `matchPodFailurePolicy`), so it
    /// precedes the FailJob rules: a pod killed by a drain exits non-zero, and would otherwise
    /// count as a failed validation. A validation that fails on its own fails the Job at once.
    /// `podFailurePolicy` requires `restartPolicy: Never`, which the pod has. `status` is
    /// written although it defaults to True: older API servers required it.
    static var podFailurePolicy: ManifestNode {
        let disrupted: ManifestNode = [
            "action": "Ignore", "onPodConditions": [["type": "DisruptionTarget", "status": "True"]],
        ]
        let failures = failureExitCodes.map { entry -> ManifestNode in
            [
                "action": "FailJob",
                "onExitCodes": [
                    "containerName": .string(PodLayout.validateContainerName), "operator": "In",
                    "values": [.int(entry.code)],
                ],
            ]
        }
        return ["rules": .list([disrupted] + failures)]
    }

    // MARK: Pod

    /// The memory-backed `/dev/shm` of a pod requesting GPUs (2Gi per GPU, at least 2Gi), or nil
    /// when it requests none or the spec already mounts something at /dev/shm.
    static func gpuSharedMemory(placement: GPUPlacement, pod: PodConfig, resource: String)
        -> (volume: ManifestNode, mount: ManifestNode)?
    {
        guard placement.requestsGPU,
            !pod.volumeMounts.contains(where: { PodLayout.normalize($0.mountPath.value) == PodLayout.sharedMemory.mountPath })
        else { return nil }
        var gpus = 1
        for section in ["limits", "requests"] {
            let value = placement.resources?[section]?[resource]
            if let count = value?.intValue ?? value?.stringValue.flatMap({ Int($0) }) {
                gpus = count
                break
            }
        }
        // Bounded so that the quantity stays a plain integer of Gi.
        let size = max(2, min(gpus, 1 << 20) * 2)
        let name = ManifestNode.string(PodLayout.sharedMemory.name)
        return (
            ["name": name, "emptyDir": ["medium": "Memory", "sizeLimit": .string("\(size)Gi")]],
            ["name": name, "mountPath": .string(PodLayout.sharedMemory.mountPath)]
        )
    }

    static func podSpec(
        job: NotebookValidationJob, access: Access, scriptsConfigMap: String, context: PlanContext,
        builtImage: String? = nil, imagePullSecrets: [String] = []
    ) -> PodBuild {
        let pod = job.podConfig
        let placement = GPUPlacement(podConfig: pod, gpu: context.environment.gpu)

        var volumes: [ManifestNode] = [
            ["name": .string(PodLayout.workspace.name), "emptyDir": [:]],
            ["name": .string(PodLayout.home.name), "emptyDir": [:]],
            ["name": .string(PodLayout.tmp.name), "emptyDir": [:]],
            [
                "name": .string(PodLayout.scripts.name),
                "configMap": ["name": .string(scriptsConfigMap), "defaultMode": 0o555],
            ],
        ]
        var volumeSources: [EntrySource] = [PodLayout.workspace, PodLayout.home, PodLayout.tmp, PodLayout.scripts].map {
            .own($0.name)
        }
        var initContainers: [ManifestNode] = []
        var roles: [InitContainerRole] = []
        let sources = [job.notebook] + (job.goldenNotebook.map { [$0] } ?? [])
        if sources.contains(where: { $0.git.transport == .ssh }) {
            initContainers.append(passwdContainer(context: context))
            roles.append(.passwd)
            volumes.append(["name": .string(PodLayout.passwd.name), "emptyDir": [:]])
            volumeSources.append(.own(PodLayout.passwd.name))
        }
        let clone = cloneContainer(
            name: PodLayout.gitCloneContainerName, source: job.notebook, checkoutDirectory: PodLayout.checkoutDirectory,
            sshVolume: PodLayout.gitCredentials, httpsVolume: PodLayout.gitHTTPSCredentials, context: context)
        initContainers.append(clone.container)
        roles.append(.clone)
        if let volume = clone.volume {
            volumes.append(volume)
            volumeSources.append(.gitCredentials(golden: false))
        }
        if let golden = job.goldenNotebook {
            let clone = cloneContainer(
                name: PodLayout.goldenCloneContainerName, source: golden, checkoutDirectory: PodLayout.goldenDirectory,
                sshVolume: PodLayout.goldenCredentials, httpsVolume: PodLayout.goldenHTTPSCredentials, context: context)
            initContainers.append(clone.container)
            roles.append(.goldenClone)
            if let volume = clone.volume {
                volumes.append(volume)
                volumeSources.append(.gitCredentials(golden: true))
            }
        }
        if access.needsAPI {
            volumes.append(apiAccessVolume())
            volumeSources.append(.apiAccess)
        }
        let results = job.resultsStore(in: context.environment)
        let resultsVolume = results.map { Self.resultsVolume(for: $0.value) }
        if let results, let resultsVolume {
            volumes.append(resultsVolume.volume)
            volumeSources.append(.results(results.origin))
        }
        let resultsCA = results.flatMap { Self.resultsCAVolume(for: $0.value) }
        if let results, let resultsCA {
            volumes.append(resultsCA.volume)
            volumeSources.append(.results(results.origin))
        }
        // A GPU pod gets a memory-backed /dev/shm (the runtime's 64Mi default makes PyTorch
        // DataLoader workers die with bus errors), 2Gi per GPU like the vLLM ServingRuntime,
        // unless the spec mounts its own there.
        let shm = gpuSharedMemory(placement: placement, pod: pod, resource: context.environment.gpu.resourceName.value)
        if let shm {
            volumes.append(shm.volume)
            volumeSources.append(.own(PodLayout.sharedMemory.name))
        }
        volumes += pod.volumes.map(\.manifest)
        volumeSources += pod.volumes.indices.map { .spec($0) }
        let specImage = pod.containerImage.value
        let image = builtImage ?? context.image(specImage)
        let imageSource: ImageSource = builtImage == nil ? .spec(mirrored: image != specImage) : .built
        var defaultedResources: [String: Traced<String>] = [:]
        let resources = withDefaults(
            placement.resources, context.environment.defaults, defaulted: &defaultedResources)
        let environment = validateEnvironment(job: job, image: image, results: results)
        let baseMounts =
            [PodLayout.workspace, PodLayout.home, PodLayout.tmp, PodLayout.scripts]
            + (access.needsAPI ? [PodLayout.apiAccess] : [])
        let resultsMounts = (resultsVolume.map { [$0.mount] } ?? []) + (resultsCA.map { [$0.mount] } ?? [])
        let ownMounts = baseMounts + resultsMounts
        let mountSources: [EntrySource] =
            baseMounts.map { .own($0.name) }
            + (results.map { origin in resultsMounts.map { _ in .results(origin.origin) } } ?? [])
            + (shm == nil ? [] : [.own(PodLayout.sharedMemory.name)])
            + pod.volumeMounts.indices.map { .spec($0) }

        let validate = ManifestNode.object([
            ("name", .string(PodLayout.validateContainerName)),
            ("image", .string(image)),
            // A built image is pushed under a tag derived from the build's inputs; Always makes
            // the kubelet check the registry, so a re-pushed tag is never run stale.
            ("imagePullPolicy", builtImage == nil ? nil : "Always"),
            ("command", ["python3", .string(PodLayout.validateScriptPath)]),
            ("workingDir", .string(PodLayout.workingDirectory)),
            ("env", .list(environment.map(\.variable))),
            ("envFrom", pod.envFrom.isEmpty ? nil : .list(pod.envFrom)),
            ("resources", resources),
            ("securityContext", containerSecurityContext(readOnlyRootFilesystem: true)),
            ("terminationMessagePolicy", "FallbackToLogsOnError"),
            (
                "volumeMounts",
                .list(ownMounts.map(mount) + (shm.map { [$0.mount] } ?? []) + pod.volumeMounts.map(\.manifest))
            ),
        ])

        let spec = ManifestNode.object([
            ("restartPolicy", "Never"),
            ("serviceAccountName", .string(access.serviceAccountName)),
            // Never automounted (it would reach every container); pods that call the API get
            // the same files from an explicit projected volume in the validation container only.
            ("automountServiceAccountToken", false),
            ("enableServiceLinks", false),
            (
                "imagePullSecrets",
                imagePullSecrets.isEmpty ? nil : .list(imagePullSecrets.map { ["name": .string($0)] })
            ),
            ("securityContext", podSecurityContext(context.platform, security: context.environment.security)),
            ("nodeSelector", placement.nodeSelector.isEmpty ? nil : .strings(placement.nodeSelector)),
            ("affinity", pod.affinity),
            ("tolerations", placement.tolerations.isEmpty ? nil : .list(placement.tolerations)),
            ("initContainers", .list(initContainers)),
            ("containers", .list([validate])),
            ("volumes", .list(volumes)),
        ])
        return PodBuild(
            spec: spec, placement: placement, initContainers: roles, image: imageSource,
            defaultedResources: defaultedResources, env: environment.map(\.source), volumes: volumeSources,
            volumeMounts: mountSources)
    }

    /// The volume of a results store and the reserved mount it gets in the validate container:
    /// the claim itself, or the bucket's credentials Secret as files (never env variables).
    static func resultsVolume(for store: ResultsStore) -> (volume: ManifestNode, mount: PodLayout.ReservedVolume) {
        switch store {
        case .claim(let claim, _):
            return (
                ["name": .string(PodLayout.resultsClaim.name), "persistentVolumeClaim": ["claimName": .string(claim)]],
                PodLayout.resultsClaim
            )
        case .s3(let bucket):
            return (
                [
                    "name": .string(PodLayout.resultsCredentials.name),
                    "secret": [
                        "secretName": .string(bucket.credentialsSecret), "defaultMode": 0o400,
                        "items": .list(S3Bucket.secretKeys.map { ["key": .string($0), "path": .string($0)] }),
                    ],
                ],
                PodLayout.resultsCredentials
            )
        }
    }

    /// A bucket's CA ConfigMap, mounted whole (every key a PEM file the uploader trusts), and
    /// optional: on a cluster without it the upload trusts the system bundle only and a
    /// certificate it cannot verify is reported as "results not saved", never a stuck pod.
    static func resultsCAVolume(for store: ResultsStore) -> (volume: ManifestNode, mount: PodLayout.ReservedVolume)? {
        guard case .s3(let bucket) = store, let name = bucket.caConfigMap else { return nil }
        return (
            [
                "name": .string(PodLayout.resultsCA.name),
                "configMap": ["name": .string(name), "defaultMode": 0o444, "optional": true],
            ],
            PodLayout.resultsCA
        )
    }

    /// nbgitops' variables first, then the user's (a user name equal to a reserved one is an
    /// error and is dropped, so the list stays unique as server-side apply requires).
    static func validateEnvironment(
        job: NotebookValidationJob, image: String, results: Traced<ResultsStore>? = nil
    ) -> [(variable: ManifestNode, source: EntrySource)] {
        let notebookFile = job.notebook.path.value.split(separator: "/").last.map(String.init) ?? "notebook.ipynb"
        var own: [(String, String)] = [
            ("NBG_NOTEBOOK", PodLayout.checkoutDirectory + "/" + job.notebook.path.value),
            ("NBG_OUTPUT_NOTEBOOK", PodLayout.outputDirectory + "/" + notebookFile),
        ]
        if let golden = job.goldenNotebook {
            own.append(("NBG_GOLDEN_NOTEBOOK", PodLayout.goldenDirectory + "/" + golden.path.value))
        }
        own.append(("NBG_COMPARISON_CONFIG", CanonicalJSON.encode(job.comparisonConfig)))
        own.append(("NBG_VALIDATION_CONFIG", CanonicalJSON.encode(job.validationConfig)))
        own.append(("NBG_REPORT_FILE", PodLayout.reportFile))
        // The compact verdict, where the kubelet keeps it in the container status.
        own.append(("NBG_TERMINATION_LOG", "/dev/termination-log"))
        own.append(("NBG_IMAGE", image))
        own += PodLayout.homeEnvironment

        var result = own.map { (variable: env($0.0, $0.1), source: EntrySource.own($0.0)) }
        if let results {
            var store: [(String, String)] = []
            switch results.value {
            case .claim(_, let path):
                store.append(("NBG_RESULTS_DIR", PodLayout.resultsClaim.mountPath + (path.isEmpty ? "" : "/" + path)))
            case .s3(let bucket):
                let key = bucket.prefix.isEmpty ? "" : "/" + bucket.prefix
                store.append(("NBG_RESULTS_S3_URL", bucket.endpoint + "/" + bucket.bucket + key))
                store.append(("NBG_RESULTS_S3_REGION", bucket.region))
                store.append(("NBG_RESULTS_S3_CREDENTIALS", PodLayout.resultsCredentials.mountPath))
                if bucket.caConfigMap != nil { store.append(("NBG_RESULTS_S3_CA", PodLayout.resultsCA.mountPath)) }
            }
            store.append(("NBG_RESULTS_LOCATION", results.value.location))
            store.append(("NBG_RESULTS_NAME", job.name.value))
            result += store.map { (variable: env($0.0, $0.1), source: EntrySource.results(results.origin)) }
            // The Job's name (with its content hash) is known only once it exists: the Job
            // controller labels its pods with it (kubernetes pkg/apis/batch/types.go, JobNameLabel).
            result.append(
                (
                    variable: [
                        "name": "NBG_JOB_NAME",
                        "valueFrom": [
                            "fieldRef": [
                                "apiVersion": "v1", "fieldPath": "metadata.labels['batch.kubernetes.io/job-name']",
                            ]
                        ],
                    ],
                    source: .results(results.origin)
                ))
        }
        for (index, variable) in job.podConfig.env.enumerated() {
            let name = variable["name"]?.stringValue ?? ""
            // A reserved name is the Check stage's error (NBG133, JobSpecRules.reservedEnvironment).
            if PodLayout.isReservedEnvName(name) { continue }
            result.append((variable, .spec(index)))
        }
        return result
    }

    // MARK: Small builders

    static func env(_ name: String, _ value: String) -> ManifestNode {
        ["name": .string(name), "value": .string(value)]
    }

    static func secretEnv(_ name: String, secret: String, key: String) -> ManifestNode {
        ["name": .string(name), "valueFrom": ["secretKeyRef": ["name": .string(secret), "key": .string(key)]]]
    }

    static func mount(_ volume: PodLayout.ReservedVolume) -> ManifestNode {
        .object([
            ("name", .string(volume.name)),
            ("mountPath", .string(volume.mountPath)),
            ("readOnly", volume.readOnly ? true : nil),
        ])
    }
}
