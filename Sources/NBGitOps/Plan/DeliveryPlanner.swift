/// The objects that make a GitOps controller apply an environment's manifests folder:
/// an Argo CD `Application`, or a Flux `GitRepository` + `Kustomization`. They live in the
/// controller's namespace and are applied once by hand (or by an app-of-apps); they are not
/// part of the manifests folder they point at.
///
/// Both prune (objects removed from the specs disappear from the cluster) and self-heal.
/// Apply order inside the folder comes from the `argocd.argoproj.io/sync-wave` annotations
/// (Argo CD) or from Flux's kind ordering, which puts Namespaces and RBAC first as well.
public enum DeliveryPlanner {
    /// The controller namespace: the environment's, else the platform's usual one.
    /// The Application's `syncPolicy.retry`. Without one a failed automated sync is not retried
    /// for the same revision (argo-cd `controller/appcontroller.go` `autoSync`: "failed previous
    /// sync attempt"), so one transient failure stops delivery until the next commit. Argo CD's
    /// own backoff defaults are 5s, factor 2, at most 3m (`pkg/apis/application/v1alpha1/types.go`
    /// `RetryStrategy`, `common/common.go` `DefaultSyncRetry*`), with no retry unless `limit` is set;
    /// a slower start and a 5m ceiling leave a restarting webhook or operator time to come back.
    static let retryPolicy: ManifestNode = [
        "limit": 5,
        "backoff": ["duration": "10s", "factor": 2, "maxDuration": "5m"],
    ]

    /// Whether the environment's Flux has `spec.healthCheckExprs` on Kustomizations: added in
    /// kustomize-controller API v1.5.0 (Flux 2.5; fluxcd/kustomize-controller commit 6455cfe
    /// "[RFC-0009] Add CEL custom healthchecks"). Flux 2.4 rejects the field under strict
    /// validation or prunes it, and kstatus then calls a PipelineRun Current as soon as it exists.
    /// An undeclared Flux is taken to be ≥ 2.5 (docs/platforms.md: the supported Flux); one
    /// declared older gets no CEL, and NBG310 refuses what would need it.
    static func fluxHasHealthCheckExprs(_ environment: Environment) -> Bool {
        environment.facts.version(.flux, atLeast: 2, 5) ?? true
    }

    static func controllerNamespace(_ context: PlanContext) -> String {
        if let namespace = context.environment.delivery.controllerNamespace.value { return namespace }
        switch (context.deliveryTool, context.platform) {
        case (.argocd, .openshift): return "openshift-gitops"
        case (.argocd, .kubernetes): return "argocd"
        case (.flux, _): return "flux-system"
        }
    }

    /// The manifests folder inside the repository, without leading `./` or `/`: `delivery.path`
    /// when an overlay sets it, else `<output>/<env>/manifests`; nil when neither is known (the
    /// output lies outside the repository).
    static func manifestsPath(_ context: PlanContext) -> String? {
        if let path = context.environment.delivery.path.value {
            var trimmed = Substring(path)
            while trimmed.hasPrefix("./") { trimmed = trimmed.dropFirst(2) }
            while trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
            while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
            return trimmed.isEmpty ? "." : String(trimmed)
        }
        guard let output = context.delivery.outputPath else { return nil }
        return OutputLayout.manifestsFolder(environment: context.environment.name, outputRoot: output)
    }

    /// What Argo CD and Flux need to find an environment's manifests, checked.
    struct Coordinates {
        var repositoryURL: String
        var revision: String
        var path: String
    }

    /// The checked repository URL, revision and path, or nil when there are to be no delivery
    /// objects. Every setting Argo CD or Flux needs must be present and valid: a project's
    /// environment gets a located error (`NBG166`) naming the overlay that sets, or should set,
    /// it; an ad-hoc render that names no repository is a preview and gets no delivery
    /// objects, with a warning (`NBG167`).
    static func coordinates(_ context: PlanContext, diagnostics: DiagnosticCollector) -> Coordinates? {
        let environment = context.environment
        let delivery = environment.delivery
        let tool = context.deliveryTool == .argocd ? "Argo CD's Application" : "Flux's GitRepository"
        let url = delivery.repositoryURL
        guard !url.value.allSatisfy(\.isWhitespace) else {
            if !context.delivery.required && url.origin.location == nil {
                diagnostics.warning(
                    .deliverySkipped,
                    "environment '\(environment.name)' gets no delivery objects: no overlay sets delivery.repositoryURL",
                    at: environment.definedAt,
                    help:
                        "a preview renders the manifests only; add an overlay that sets delivery.repositoryURL (and delivery.revision) for the \(tool)"
                )
                return nil
            }
            reportMissingURL(context, tool: tool, diagnostics: diagnostics)
            return nil
        }
        let errors = diagnostics.errorCount
        let urlLocation = url.origin.location ?? environment.definedAt
        if let transport = GitChecks.checkURL(
            Located(url.value, at: urlLocation ?? .startOf("<unknown>")), diagnostics: diagnostics),
            context.deliveryTool == .flux, transport != .https, transport != .http, !url.value.hasPrefix("ssh://")
        {
            diagnostics.error(
                .deliveryIncomplete,
                "Flux's GitRepository accepts only http://, https:// and ssh:// URLs, not '\(url.value)'",
                at: urlLocation, help: "write the repository as ssh://git@host/org/repo.git or https://host/org/repo.git")
        }
        let revision = delivery.revision
        if revision.value.isEmpty {
            diagnostics.error(
                .deliveryIncomplete, "delivery.revision is empty: \(tool) needs the branch, tag or commit to follow",
                at: revision.origin.location ?? environment.definedAt, help: "set delivery.revision, e.g. main")
        } else {
            GitChecks.checkRef(
                Located(revision.value, at: revision.origin.location ?? environment.definedAt ?? .startOf("<unknown>")),
                diagnostics: diagnostics)
        }
        if let path = delivery.path.value,
            path.split(separator: "/").contains("..") || path.utf8.contains(0) || path.contains("\\")
        {
            diagnostics.error(
                .deliveryIncomplete, "delivery.path '\(path)' must be a folder inside the repository",
                at: delivery.path.origin.location,
                help: "write a path relative to the repository root, e.g. gitops/site/manifests")
        }
        let path = manifestsPath(context)
        if path == nil {
            diagnostics.error(
                .outputPath,
                "environment '\(environment.name)': the output folder is outside the repository root '\(context.delivery.repositoryRoot)', so \(tool) cannot be pointed at it",
                at: url.origin.location ?? environment.definedAt,
                help:
                    "render into a folder inside the repository, pass --repo-root for the repository the output belongs to, or set delivery.path in an overlay"
            )
        }
        DeliveryDestination.check(context, diagnostics: diagnostics)
        guard diagnostics.errorCount == errors, let path else { return nil }
        return Coordinates(repositoryURL: url.value, revision: revision.value, path: path)
    }

    /// No (or an empty) `delivery.repositoryURL` in a project: a located error at the empty
    /// value, or at the environment, naming the overlay of its stack that should set it.
    static func reportMissingURL(_ context: PlanContext, tool: String, diagnostics: DiagnosticCollector) {
        let environment = context.environment
        let url = environment.delivery.repositoryURL
        let example = "e.g. https://github.com/org/repo.git (`git remote get-url origin` prints it)"
        if case .overlay(let name, let location) = url.origin {
            diagnostics.error(
                .deliveryIncomplete,
                "delivery.repositoryURL is empty in overlay '\(name)': \(tool) of environment '\(environment.name)' needs the repository to clone",
                at: location, help: "set it to the URL Argo CD or Flux clones, \(example)")
            return
        }
        let own = environment.overlays.last { !$0.isBuiltin }
        let stack = environment.overlays.map(\.name).joined(separator: ", ")
        diagnostics.error(
            .deliveryIncomplete,
            "environment '\(environment.name)' has no delivery.repositoryURL: \(tool) needs the repository to clone",
            at: environment.definedAt,
            help: own.map { "set delivery.repositoryURL in \($0.file), \(example)" }
                ?? "add an overlay file that sets delivery.repositoryURL to the stack, \(example)",
            notes: [DiagnosticNote("no overlay of the stack (\(stack.isEmpty ? "none" : stack)) sets it")])
    }

    /// How Flux should follow a revision: a full commit SHA pins a commit, `refs/tags/x` or a
    /// version-like name (`v1.2.3`, `1.4`) a tag, `refs/heads/x` or anything else a branch.
    public enum FluxReference: Equatable, Sendable {
        case branch(String)
        case tag(String)
        case commit(String)
    }

    public static func fluxReference(_ revision: String) -> FluxReference {
        if revision.utf8.count == 40, revision.allSatisfy(\.isHexDigit) { return .commit(revision.lowercased()) }
        if revision.hasPrefix("refs/tags/") { return .tag(String(revision.dropFirst("refs/tags/".count))) }
        if revision.hasPrefix("refs/heads/") { return .branch(String(revision.dropFirst("refs/heads/".count))) }
        if looksLikeVersion(revision) { return .tag(revision) }
        return .branch(revision)
    }

    /// `v1.2`, `1.2.3`, `v1.2.3-rc.1`, `v2.0.0+build`: at least two dot-separated numbers.
    static func looksLikeVersion(_ text: String) -> Bool {
        var body = Substring(text)
        if body.hasPrefix("v") { body = body.dropFirst() }
        let core = body.prefix { $0 != "-" && $0 != "+" }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.count <= 4 else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }

    static func plan(
        context: PlanContext, coordinates: Coordinates, objects: [PlannedObject]
    ) -> [PlannedObject] {
        let delivery = context.environment.delivery
        let name = DeliveryNames.base(context)
        let namespace = controllerNamespace(context)
        let checkedNames = [
            DerivedName(
                name, rule: .subdomain, what: "delivery object name (namePrefix + environment name)",
                at: context.prefixLocation ?? delivery.tool.origin.location),
            DerivedName(
                namespace, rule: .label, what: "delivery controller namespace",
                at: delivery.controllerNamespace.origin.location),
        ]
        let path = coordinates.path
        let labels = PlanMetadata.labels(component: "delivery")
        let sources = [delivery.repositoryURL.origin.location].compactMap { $0 }
        func traced<Value>(_ value: Traced<Value>, _ field: String, rule: String? = nil) -> FieldOrigin {
            FieldProvenance.traced(value, field: field, rule: rule)
        }
        let pathRule = "unset: <output>/<environment>/manifests"
        var record = FieldRecord(context)
        record.note("", traced(delivery.tool, "delivery.tool"))
        record.note(
            "metadata.namespace",
            traced(
                delivery.controllerNamespace, "delivery.controllerNamespace",
                rule: "unset: openshift-gitops (Argo CD on OpenShift), argocd, or flux-system"))

        switch context.deliveryTool {
        case .argocd:
            let spec: ManifestNode = [
                // The environment's own AppProject (ArgoProjectPlanner), never `default`.
                "project": record.set(
                    "spec.project", .string(ArgoProjectPlanner.projectName(context)),
                    from: FieldOrigin(
                        .builtinDefault(
                            "the environment's own AppProject, restricted to the namespace and kinds nbgitops emits"))),
                "source": [
                    "repoURL": record.set(
                        "spec.source.repoURL", .string(coordinates.repositoryURL),
                        from: traced(delivery.repositoryURL, "delivery.repositoryURL")),
                    "targetRevision": record.set(
                        "spec.source.targetRevision", .string(coordinates.revision),
                        from: traced(delivery.revision, "delivery.revision")),
                    "path": record.set(
                        "spec.source.path", .string(path), from: traced(delivery.path, "delivery.path", rule: pathRule)),
                ],
                "destination": [
                    "server": "https://kubernetes.default.svc",
                    "namespace": record.set(
                        "spec.destination.namespace", .string(context.namespace),
                        from: FieldProvenance.namespace(context)),
                ],
                // Per overlay (delivery.prune/selfHeal/syncOptions); defaults prune + selfHeal +
                // PruneLast=true: delete removed objects only after the rest is applied and healthy.
                "syncPolicy": .object([
                    (
                        "automated",
                        [
                            "prune": record.set(
                                "spec.syncPolicy.automated.prune", .bool(delivery.prune.value),
                                from: traced(delivery.prune, "delivery.prune")),
                            "selfHeal": record.set(
                                "spec.syncPolicy.automated.selfHeal", .bool(delivery.selfHeal.value),
                                from: traced(delivery.selfHeal, "delivery.selfHeal")),
                        ]
                    ),
                    (
                        "retry",
                        record.set(
                            "spec.syncPolicy.retry", retryPolicy,
                            from: FieldOrigin(
                                .builtinDefault(
                                    "5 attempts, 10s doubling up to 5m: a transient failure (an RBAC race, a webhook "
                                        + "restarting) is retried instead of stopping auto-sync until the next commit")))
                    ),
                    (
                        "syncOptions",
                        record.setIfPresent(
                            "spec.syncPolicy.syncOptions",
                            delivery.syncOptions.value.isEmpty ? nil : .list(delivery.syncOptions.value.map { .string($0) }),
                            from: traced(delivery.syncOptions, "delivery.syncOptions"))
                    ),
                ]),
            ]
            let manifest = PlanMetadata.object(
                apiVersion: "argoproj.io/v1alpha1", kind: "Application", name: name, namespace: namespace,
                labels: labels, body: [("spec", spec)])
            return [
                PlannedObject(
                    apiVersion: "argoproj.io/v1alpha1", kind: "Application", name: name, namespace: namespace,
                    manifest: manifest, wave: .workload, sources: sources, provenance: record.origins
                ).checking(checkedNames[0], checkedNames[1])
            ]
        case .flux:
            var repositoryRecord = record
            var kustomizationRecord = record
            let reference: ManifestNode
            switch fluxReference(coordinates.revision) {
            case .branch(let branch): reference = ["branch": .string(branch)]
            case .tag(let tag): reference = ["tag": .string(tag)]
            case .commit(let sha): reference = ["commit": .string(sha)]
            }
            let repository = PlanMetadata.object(
                apiVersion: "source.toolkit.fluxcd.io/v1", kind: "GitRepository", name: name, namespace: namespace,
                labels: labels,
                body: [
                    (
                        "spec",
                        [
                            "url": repositoryRecord.set(
                                "spec.url", .string(coordinates.repositoryURL),
                                from: traced(delivery.repositoryURL, "delivery.repositoryURL")),
                            "ref": repositoryRecord.set(
                                "spec.ref", reference,
                                from: traced(
                                    delivery.revision, "delivery.revision",
                                    rule: "a 40-hex SHA → commit; refs/tags/x or a version like v1.2 → tag; "
                                        + "anything else → branch")),
                            "interval": "5m",
                        ]
                    )
                ])
            var kustomization = PlanMetadata.object(
                apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: name, namespace: namespace,
                labels: labels,
                body: [
                    (
                        "spec",
                        [
                            "sourceRef": ["kind": "GitRepository", "name": .string(name)],
                            "path": kustomizationRecord.set(
                                "spec.path", .string(path == "." ? "./" : "./" + path),
                                from: traced(delivery.path, "delivery.path", rule: pathRule)),
                            "prune": kustomizationRecord.set(
                                "spec.prune", .bool(delivery.prune.value), from: traced(delivery.prune, "delivery.prune")),
                            // Wait for the applied objects (Jobs included) to become ready.
                            "wait": kustomizationRecord.set(
                                "spec.wait", true,
                                from: FieldOrigin(
                                    .builtinDefault(
                                        "health-check every applied object; a failed validation Job fails the Kustomization"))),
                            "interval": "10m",
                            // Long enough for the slowest Job to finish (wait: true health-checks it).
                            "timeout": kustomizationRecord.set(
                                "spec.timeout", .string(ImmutableObjects.fluxTimeout(objects)),
                                from: FieldOrigin(
                                    .builtinDefault(
                                        "the longest Job's activeDeadlineSeconds (or PipelineRun's timeouts.pipeline) + 5 minutes, at least 5m"
                                    ),
                                    rule: "wait: true health-checks Jobs until they finish")),
                        ]
                    )
                ])
            // Model pipelines' PipelineRuns (ModelPipeline) must have succeeded before the serving
            // Kustomization, which depends on this one, applies.
            let unmounted = objects.filter(DeliveryPlanner.isUnmountedClaim)
            if DeliveryPlanner.fluxHasHealthCheckExprs(context.environment), var spec = kustomization["spec"] {
                var checks: [ManifestNode] = []
                var why: [String] = []
                if objects.contains(where: { $0.kind == "PipelineRun" }) {
                    checks.append(pipelineRunHealth)
                    why.append("a PipelineRun is healthy once Succeeded: the models are delivered before serving starts")
                }
                if !unmounted.isEmpty {
                    checks.append(claimHealth)
                    why.append(Self.claimHealthReason)
                }
                if !checks.isEmpty {
                    spec["healthCheckExprs"] = kustomizationRecord.set(
                        "spec.healthCheckExprs", .list(checks),
                        from: FieldOrigin(.builtinDefault(why.joined(separator: "; "))))
                    kustomization["spec"] = spec
                }
            } else if !unmounted.isEmpty, var spec = kustomization["spec"] {
                // Flux before 2.5: no CEL. Health-check every object but the unmounted claims
                // (kustomize-controller `checkHealth`: without `wait` it checks `spec.healthChecks`).
                spec["wait"] = kustomizationRecord.set(
                    "spec.wait", false,
                    from: FieldOrigin(
                        .builtinDefault("Flux before 2.5 (no healthCheckExprs): spec.healthChecks lists what to wait for"),
                        rule: Self.claimHealthReason))
                spec["healthChecks"] = kustomizationRecord.set(
                    "spec.healthChecks",
                    .list(
                        objects.filter { !DeliveryPlanner.isUnmountedClaim($0) }.map { object in
                            .object([
                                ("apiVersion", .string(object.apiVersion)), ("kind", .string(object.kind)),
                                ("name", .string(object.name)), ("namespace", object.namespace.map { .string($0) }),
                            ])
                        }),
                    from: FieldOrigin(
                        .builtinDefault("every applied object except the claims no pod in the output mounts"),
                        rule: Self.claimHealthReason))
                kustomization["spec"] = spec
            }
            return [
                PlannedObject(
                    apiVersion: "source.toolkit.fluxcd.io/v1", kind: "GitRepository", name: name, namespace: namespace,
                    manifest: repository, wave: .config, sources: sources, provenance: repositoryRecord.origins
                ).checking(checkedNames[0], checkedNames[1]),
                PlannedObject(
                    apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: name,
                    namespace: namespace, manifest: kustomization, wave: .workload, sources: sources,
                    provenance: kustomizationRecord.origins),
            ]
        }
    }

    /// A claim no pod in the output mounts (`nbgitops.dev/first-consumer: outside`).
    static func isUnmountedClaim(_ object: PlannedObject) -> Bool {
        object.kind == "PersistentVolumeClaim"
            && object.manifest.value(at: "metadata.annotations[\(AnnotationKey.firstConsumer)]")?.stringValue
                == ClaimPlacement.firstConsumerOutside
    }

    static let claimHealthReason =
        "a claim nothing in the output mounts stays Pending under WaitForFirstConsumer, and kstatus reads a claim "
        + "that is not Bound as InProgress (cli-utils pkg/kstatus/status/core.go pvcConditions): "
        + "wait: true would hold the Kustomization until its timeout"

    /// Flux's health of a PersistentVolumeClaim: Current once Bound, or while Pending when
    /// nothing in the output mounts it (its first consumer is outside: a WaitForFirstConsumer
    /// class binds it only then). The CEL reader replaces kstatus for the kind (fluxcd/pkg
    /// `runtime/cel/status_evaluator.go` `Evaluate`: InProgress, then Failed, then Current), so a
    /// claim a Job or PipelineRun here mounts is still waited for until Bound.
    static let claimHealth: ManifestNode = [
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "current": .string(
            "status.?phase.orValue('') == 'Bound' || (status.?phase.orValue('') == 'Pending' && "
                + "metadata.?annotations[?'\(AnnotationKey.firstConsumer)'].orValue('') == '\(ClaimPlacement.firstConsumerOutside)')"
        ),
        "failed": "status.?phase.orValue('') == 'Lost'",
    ]

    /// Flux's health of a Tekton PipelineRun (kstatus knows no `Succeeded` condition).
    static let pipelineRunHealth: ManifestNode = [
        "apiVersion": "tekton.dev/v1", "kind": "PipelineRun",
        "current": "status.?conditions.orValue([]).exists(c, c.type == 'Succeeded' && c.status == 'True')",
        "failed": "status.?conditions.orValue([]).exists(c, c.type == 'Succeeded' && c.status == 'False')",
    ]

    /// Flux's health of a KServe InferenceService: Current only when `Ready` is True. No `failed`
    /// expression: a predictor still pulling its model reports Ready=False, which is not terminal,
    /// so a serving Kustomization fails by its timeout rather than on a transient condition.
    static let inferenceServiceHealth: ManifestNode = [
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "current": "status.?conditions.orValue([]).exists(c, c.type == 'Ready' && c.status == 'True')",
    ]

    /// The repository path of the folder `name` (`builds`, `serving`) that sits next to the
    /// manifests folder the validation Kustomization applies — also when an overlay set
    /// delivery.path to `<somewhere>/manifests`; nil when there is none to point at.
    static func siblingFolder(_ name: String, context: PlanContext) -> String? {
        guard let manifests = manifestsPath(context) else { return nil }
        if manifests.hasSuffix("/manifests") { return String(manifests.dropLast("manifests".count)) + name }
        guard let output = context.delivery.outputPath else { return nil }
        return OutputLayout.folder(name, environment: context.environment.name, outputRoot: output)
    }

    /// Flux: the Kustomization applying `<env>/serving/` (the InferenceServices) once the
    /// validation Kustomization is Ready — `wait: true` makes it Ready only when its Jobs
    /// completed, so a model is served only after the notebook that writes it succeeded. The
    /// folder sits next to the manifests folder, as the builds folder does.
    static func fluxServingKustomization(validationKustomization: ManifestNode, context: PlanContext) -> PlannedObject? {
        guard let base = validationKustomization.value(at: "metadata.name")?.stringValue,
            let namespace = validationKustomization.value(at: "metadata.namespace")?.stringValue,
            let sourceRef = validationKustomization.value(at: "spec.sourceRef"),
            let folder = siblingFolder(OutputLayout.servingFolderName, context: context)
        else { return nil }
        let name = base + "-" + OutputLayout.servingFolderName
        var record = FieldRecord(context)
        var manifest = PlanMetadata.object(
            apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: name, namespace: namespace,
            labels: PlanMetadata.labels(component: "delivery"),
            body: [
                (
                    "spec",
                    [
                        "sourceRef": sourceRef,
                        "path": .string("./" + folder),
                        "dependsOn": record.set(
                            "spec.dependsOn", [["name": .string(base)]],
                            from: FieldOrigin(
                                .builtinDefault("the validation Kustomization, Ready once every Job completed"),
                                rule: "a model is served only after the notebook writing it succeeded")),
                        "prune": .bool(context.environment.delivery.prune.value),
                        "wait": true,
                        "interval": "10m",
                        "timeout": "30m",
                    ]
                )
            ])
        // kstatus knows no InferenceService `Ready`: without a CEL check the serving Kustomization is
        // Ready once observedGeneration matches, even if no predictor ever starts.
        if DeliveryPlanner.fluxHasHealthCheckExprs(context.environment), var spec = manifest["spec"] {
            spec["healthCheckExprs"] = record.set(
                "spec.healthCheckExprs", .list([inferenceServiceHealth]),
                from: FieldOrigin(
                    .builtinDefault("an InferenceService is healthy once its Ready condition is True"),
                    rule: "a starting predictor is Ready=False, so no failed expression: the timeout fails it"))
            manifest["spec"] = spec
        }
        return PlannedObject(
            apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", name: name, namespace: namespace,
            manifest: manifest, wave: .serving, sources: [], provenance: record.origins
        ).checking(DerivedName(name, rule: .subdomain, what: "serving Kustomization name", at: context.prefixLocation))
    }
}
