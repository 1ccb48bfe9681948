/// Image builds: for every job with `podConfig.buildConfig.enabled: true`, the objects that
/// build its image in-cluster (`TektonPlanner` or `S2IPlanner`), and the image reference the
/// validation Job then runs — known at compile time, with a tag derived from the build's
/// inputs (never a moving `:latest`), so a Job can never start on a stale image.
///
/// Where builds run: in their own namespace, `<namespace>-builds`, on both platforms. Only
/// that namespace carries the Pod Security level buildah needs (`baseline`: root with
/// `SETFCAP` added, never `privileged`); the validation namespace stays `restricted`. On
/// OpenShift the buildah ServiceAccount alone is bound to `pipelines-scc`, and the validation
/// namespace's ServiceAccounts get `system:image-puller` on the build namespace.
///
/// Ordering (the validation must not start before its image exists):
/// - Argo CD: build objects are in sync wave `build` (4), Jobs in `workload` (5), and the
///   environment's delivery folder carries the health checks Argo CD lacks (PipelineRun:
///   Healthy once `Succeeded`; ImageStream: Healthy once the awaited tag holds an image), to
///   merge into `argocd-cm`; a wave waits for the health of the previous one.
/// - Flux: build objects go to `<env>/builds`, applied by their own Kustomization with
///   `wait: true` and CEL `healthCheckExprs`; the validation Kustomization `dependsOn` it.
/// - Under both, and even without the health checks: the tag is unique per build input, so
///   the kubelet cannot start the validation container before the build pushed that tag.
enum BuildPlanner {
    static let openShiftRegistry = "image-registry.openshift-image-registry.svc:5000"
    static let buildNamespaceSuffix = "-builds"
    /// Runs git-clone and the Dockerfile generator: no SCC or API access beyond the defaults.
    static let builderServiceAccountBase = "nbgitops-build"
    /// Runs buildah only: the one ServiceAccount bound to `pipelines-scc` (OpenShift).
    static let buildahServiceAccountBase = "nbgitops-buildah"
    static let buildScriptsConfigMapBase = "nbgitops-build-scripts"

    /// What the builds of one environment produced.
    struct Result {
        /// Objects in the build namespace (and the Namespace itself).
        var objects: [PlannedObject] = []
        /// Job name → the image reference its validation Job runs.
        var images: [String: String] = [:]
        /// Secrets the validation pods pull built images with.
        var pullSecrets: [String] = []
        var usesTekton = false
        var usesS2I = false
        /// The longest `buildConfig.timeout`, in seconds (Flux waits that long).
        var maxTimeoutSeconds = 0
        /// Templates the builds needed but could not use (NBG153, reported by the Check stage).
        var unusableTemplates: [UnusableTemplate] = []

        /// Adds another kind's builds: its objects but a Namespace already planned, its images,
        /// secrets, flags and longest timeout.
        mutating func merge(_ other: Result) {
            let namespaces = Set(objects.filter { $0.kind == "Namespace" }.map(\.name))
            objects += other.objects.filter { !($0.kind == "Namespace" && namespaces.contains($0.name)) }
            images.merge(other.images) { first, _ in first }
            pullSecrets += other.pullSecrets.filter { !pullSecrets.contains($0) }
            usesTekton = usesTekton || other.usesTekton
            usesS2I = usesS2I || other.usesS2I
            maxTimeoutSeconds = max(maxTimeoutSeconds, other.maxTimeoutSeconds)
            unusableTemplates += other.unusableTemplates
        }
    }

    /// How the outputs of one build are named.
    struct Output {
        /// `<registry>/<repository>` without tag.
        var repository: String
        /// The ImageStream holding the image (OpenShift internal registry), if any.
        var imageStream: String?
    }

    static func buildNamespace(_ context: PlanContext) -> String {
        context.namespace + buildNamespaceSuffix
    }

    /// - Parameter validationServiceAccounts: the ServiceAccount each job's validation pod runs
    ///   as (by job name); on OpenShift exactly those of building jobs may pull the built images.
    static func plan(
        jobs: [NotebookValidationJob], scripts: [ScriptFile], templates: BuildTemplates, context: PlanContext,
        validationServiceAccounts: [String: String] = [:]
    ) -> Result {
        var result = Result()
        var tektonJobs: [(NotebookValidationJob, BuildConfigSpec)] = []
        var s2iJobs: [(NotebookValidationJob, BuildConfigSpec)] = []
        for job in jobs {
            guard let build = job.podConfig.buildConfig, build.enabled else { continue }
            switch build.strategy.value {
            case "tekton":
                tektonJobs.append((job, build))
            case "s2i":
                // S2I outside OpenShift is the Check stage's error (NBG150, BuildRules.unbuildable).
                if context.platform == .openshift { s2iJobs.append((job, build)) }
            default:
                // kaniko, shipwright, custom: reported by the Decode stage (NBG150).
                continue
            }
        }
        guard !tektonJobs.isEmpty || !s2iJobs.isEmpty else { return result }

        let namespace = buildNamespace(context)
        result.objects.append(
            namespaceObject(namespace, context: context).checking(
                DerivedName(
                    namespace, rule: .label, what: "build namespace (namespace + '\(buildNamespaceSuffix)')",
                    at: context.environment.naming.namespace.origin.location ?? tektonJobs.first?.1.strategy.location,
                    help: "shorten naming.namespace to at most \(63 - buildNamespaceSuffix.count) characters")))
        if context.platform == .openshift {
            let pullers = Set(
                (tektonJobs + s2iJobs).map {
                    validationServiceAccounts[$0.0.name.value]
                        ?? context.derivedName(EnvironmentPlanner.defaultServiceAccountBase)
                })
            result.objects.append(
                imagePullerBinding(buildNamespace: namespace, serviceAccounts: pullers.sorted(), context: context))
        }
        if let pull = context.environment.images.pullSecret.value { result.pullSecrets = [pull] }

        if !tektonJobs.isEmpty {
            result.usesTekton = true
            TektonPlanner.plan(
                jobs: tektonJobs, namespace: namespace, scripts: scripts, templates: templates, context: context,
                into: &result)
        }
        if !s2iJobs.isEmpty {
            result.usesS2I = true
            S2IPlanner.plan(jobs: s2iJobs, namespace: namespace, context: context, into: &result)
        }
        for (_, build) in tektonJobs + s2iJobs {
            result.maxTimeoutSeconds = max(result.maxTimeoutSeconds, build.timeoutSeconds.value)
        }
        return result
    }

    // MARK: Shared objects

    /// The build namespace: Pod Security `baseline` (what buildah needs, never `privileged`).
    static func namespaceObject(_ namespace: String, context: PlanContext) -> PlannedObject {
        var labels = PlanMetadata.labels(component: "build-namespace")
        let level = PodSecurityLevel.baseline.rawValue
        labels[LabelKey.podSecurityEnforce] = level
        labels[LabelKey.podSecurityEnforceVersion] = "latest"
        labels[LabelKey.podSecurityAudit] = level
        labels[LabelKey.podSecurityWarn] = level
        if context.platform == .openshift {
            // Keep OpenShift's label syncer from lowering or raising the level set here.
            labels["security.openshift.io/scc.podSecurityLabelSync"] = "false"
            if context.deliveryTool == .argocd {
                labels[LabelKey.argoManagedBy] = DeliveryPlanner.controllerNamespace(context)
            }
        }
        let manifest = PlanMetadata.object(
            apiVersion: "v1", kind: "Namespace", name: namespace, namespace: nil, labels: labels,
            annotations: PruneProtection.annotations(context), body: [])
        return PlannedObject(
            apiVersion: "v1", kind: "Namespace", name: namespace, namespace: nil, manifest: manifest,
            wave: .namespace, sources: [])
    }

    /// OpenShift: the ServiceAccounts that run validation pods of building jobs (and no other
    /// account of the validation namespace) may pull from the build namespace's ImageStreams.
    static func imagePullerBinding(buildNamespace: String, serviceAccounts: [String], context: PlanContext) -> PlannedObject {
        let name = context.derivedName("nbgitops-image-puller")
        return roleBinding(
            name: name, namespace: buildNamespace, clusterRole: "system:image-puller",
            subjects: serviceAccounts.map {
                ["kind": "ServiceAccount", "name": .string($0), "namespace": .string(context.namespace)]
            })
    }

    static func serviceAccount(name: String, namespace: String, automountToken: Bool) -> PlannedObject {
        let manifest = PlanMetadata.object(
            apiVersion: "v1", kind: "ServiceAccount", name: name, namespace: namespace,
            labels: PlanMetadata.labels(component: "build"),
            body: [("automountServiceAccountToken", .bool(automountToken))])
        return PlannedObject(
            apiVersion: "v1", kind: "ServiceAccount", name: name, namespace: namespace, manifest: manifest, wave: .rbac,
            sources: [])
    }

    static func roleBinding(name: String, namespace: String, clusterRole: String, subjects: [ManifestNode])
        -> PlannedObject
    {
        let manifest = PlanMetadata.object(
            apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", name: name, namespace: namespace,
            labels: PlanMetadata.labels(component: "build"),
            body: [
                ("roleRef", ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(clusterRole)]),
                ("subjects", .list(subjects)),
            ])
        return PlannedObject(
            apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", name: name, namespace: namespace,
            manifest: manifest, wave: .rbac, sources: [])
    }

    /// OpenShift: a Role granting `use` of the SCC `pipelines-scc` by name, bound to the one
    /// buildah ServiceAccount (`<account>-use-pipelines-scc`: a new name, since a binding's
    /// `roleRef` cannot change in place). Not OpenShift Pipelines'
    /// `pipelines-scc-clusterrole`: that ClusterRole grants whatever TektonConfig's
    /// `platforms.openshift.scc.default` names (tektoncd/operator
    /// `pkg/reconciler/openshift/tektonconfig/rbac.go` `ensurePipelinesSCClusterRole`), which an
    /// administrator may set to restricted-v2, and buildah (root + SETFCAP) would then be refused.
    /// Platform fact: a declared TektonConfig default SCC of pipelines-scc would make the
    /// ClusterRole equivalent; the Role by name is right whatever it is.
    static func pipelinesSCCAccess(account: String, namespace: String) -> [PlannedObject] {
        let name = account + "-use-pipelines-scc"
        let labels = PlanMetadata.labels(component: "build")
        let role = PlanMetadata.object(
            apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", name: name, namespace: namespace, labels: labels,
            body: [
                (
                    "rules",
                    [
                        [
                            "apiGroups": ["security.openshift.io"], "resources": ["securitycontextconstraints"],
                            "resourceNames": [.string(OpenShiftSCC.pipelinesSCC.rawValue)], "verbs": ["use"],
                        ]
                    ]
                )
            ])
        let binding = PlanMetadata.object(
            apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", name: name, namespace: namespace,
            labels: labels,
            body: [
                ("roleRef", ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": .string(name)]),
                ("subjects", [serviceAccountSubject(account, namespace: namespace)]),
            ])
        return [
            PlannedObject(
                apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", name: name, namespace: namespace,
                manifest: role, wave: .rbac, sources: []),
            PlannedObject(
                apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", name: name, namespace: namespace,
                manifest: binding, wave: .rbac, sources: []),
        ]
    }

    static func serviceAccountSubject(_ name: String, namespace: String) -> ManifestNode {
        ["kind": "ServiceAccount", "name": .string(name), "namespace": .string(namespace)]
    }

    /// Where a job's image goes: the overlay's registry, else (OpenShift) the internal
    /// registry's ImageStream in the build namespace. nil (reported) when there is neither.
    static func output(
        job: NotebookValidationJob, build: BuildConfigSpec, namespace: String, allowExternal: Bool,
        context: PlanContext
    ) -> Output? {
        let name = context.derivedName(job.name.value)
        if allowExternal, let registry = context.environment.images.registry.value {
            var trimmed = Substring(registry)
            while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
            return Output(repository: "\(trimmed)/\(name)", imageStream: nil)
        }
        if context.platform == .openshift {
            return Output(repository: "\(openShiftRegistry)/\(namespace)/\(name)", imageStream: name)
        }
        // No registry on Kubernetes: nothing to build into (NBG151, BuildRules.unbuildable).
        return nil
    }

    /// An ImageStream with `lookupPolicy.local` (pods may name its tags directly).
    static func imageStream(name: String, namespace: String, awaitTag: String?, wave: SyncWave) -> PlannedObject {
        let manifest = PlanMetadata.object(
            apiVersion: "image.openshift.io/v1", kind: "ImageStream", name: name, namespace: namespace,
            labels: PlanMetadata.labels(component: "build"),
            annotations: awaitTag.map { [AnnotationKey.awaitTag: $0] } ?? [:],
            body: [("spec", ["lookupPolicy": ["local": true]])])
        return PlannedObject(
            apiVersion: "image.openshift.io/v1", kind: "ImageStream", name: name, namespace: namespace,
            manifest: manifest, wave: wave, sources: [])
    }

    /// The tag of a build: `nbgitops-` + the hash of everything the build reads.
    static func tag(_ inputs: ManifestNode) -> String {
        ImageTag.prefix + StableHash.shortHex(ManifestRenderer.render([inputs]))
    }

    /// A duration as Go prints it (`15m0s`, `1h30m0s`, `45s`): Tekton and Flux parse it.
    static func goDuration(_ seconds: Int) -> String {
        let hours = seconds / 3600
        let minutes = (seconds % 3600) / 60
        let rest = seconds % 60
        if hours > 0 { return "\(hours)h\(minutes)m\(rest)s" }
        if minutes > 0 { return "\(minutes)m\(rest)s" }
        return "\(rest)s"
    }

    /// The requirements files a build tries, in order: `requirementsFile`,
    /// `requirementsSources`, then (with `autoGenerateRequirements`) the notebook's folder,
    /// `notebooks/` and the repository root.
    static func requirementsChain(job: NotebookValidationJob, build: BuildConfigSpec) -> [String] {
        var chain: [String] = []
        if let file = build.requirementsFile?.value { chain.append(file) }
        chain += build.requirementsSources.map(\.value)
        if build.autoGenerateRequirements {
            let parts = job.notebook.path.value.split(separator: "/")
            if parts.count > 1 { chain.append(parts.dropLast().joined(separator: "/") + "/requirements.txt") }
            chain.append("notebooks/requirements.txt")
            chain.append("requirements.txt")
        }
        var seen: Set<String> = []
        return chain.filter { seen.insert($0).inserted }
    }

    // MARK: Delivery

    /// Flux: the Kustomization that applies `<env>/builds` and is Ready only once every build
    /// succeeded (CEL health checks; Flux has none for PipelineRuns or ImageStreams).
    static func fluxBuildsKustomization(
        result: Result, validationKustomization: ManifestNode, context: PlanContext
    ) -> (name: String, object: PlannedObject)? {
        guard let base = validationKustomization.value(at: "metadata.name")?.stringValue,
            let namespace = validationKustomization.value(at: "metadata.namespace")?.stringValue,
            let sourceRef = validationKustomization.value(at: "spec.sourceRef")
        else { return nil }
        let name = base + buildNamespaceSuffix
        guard let folder = DeliveryPlanner.siblingFolder(OutputLayout.buildsFolderName, context: context) else {
            return nil
        }
        var checks: [ManifestNode] = []
        if result.usesTekton {
            checks.append([
                "apiVersion": "tekton.dev/v1", "kind": "PipelineRun",
                "current": "status.?conditions.orValue([]).exists(c, c.type == 'Succeeded' && c.status == 'True')",
                "failed": "status.?conditions.orValue([]).exists(c, c.type == 'Succeeded' && c.status == 'False')",
            ])
        }
        if result.usesS2I || (result.usesTekton && context.platform == .openshift) {
            checks.append([
                "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
                "current":
                    .string(
                        "!('\(AnnotationKey.awaitTag)' in metadata.?annotations.orValue({})) || status.?tags.orValue([]).exists(t, t.tag == metadata.annotations['\(AnnotationKey.awaitTag)'] && size(t.?items.orValue([])) > 0)"
                    ),
            ])
        }
        if result.usesS2I {
            // kstatus finds no Ready condition on a Build and calls it Current at once: wait for
            // Complete, and fail the Kustomization (and so the validation that depends on it) on
            // Failed, Error or Cancelled (openshift/api build/v1 `BuildPhase`).
            checks.append([
                "apiVersion": "build.openshift.io/v1", "kind": "Build",
                "current": "status.?phase.orValue('') == 'Complete'",
                "failed": "status.?phase.orValue('') in ['Failed', 'Error', 'Cancelled']",
            ])
        }
        var manifest = PlanMetadata.object(
            apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: name, namespace: namespace,
            labels: PlanMetadata.labels(component: "delivery"),
            body: [
                (
                    "spec",
                    [
                        "sourceRef": sourceRef,
                        "path": .string("./" + folder),
                        "prune": true,
                        // Ready only when every PipelineRun / awaited ImageStream tag is done.
                        "wait": true,
                        "healthCheckExprs": .list(checks),
                        "interval": "10m",
                        "timeout": .string(goDuration(result.maxTimeoutSeconds + 600)),
                    ]
                )
            ])
        // Flux declared older than 2.5 has no healthCheckExprs (NBG310 refuses the builds there).
        if !DeliveryPlanner.fluxHasHealthCheckExprs(context.environment), var spec = manifest["spec"] {
            spec["healthCheckExprs"] = nil
            manifest["spec"] = spec
        }
        return (
            name,
            PlannedObject(
                apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: name, namespace: namespace,
                manifest: manifest, wave: .workload, sources: [])
        )
    }
}
