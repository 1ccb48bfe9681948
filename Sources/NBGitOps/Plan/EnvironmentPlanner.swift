/// The Plan stage: decoded specs + one resolved environment → the Kubernetes objects of that
/// environment (`EnvironmentPlan`). Pure: no file system, no clock, no randomness; the same
/// input gives the same plan, object for object and byte for byte once rendered.
///
/// What it plans, in apply order (`SyncWave`):
///  0. the Namespace (Pod Security `restricted` labels on Kubernetes);
///  1. the ServiceAccounts the validation pods run as, and a least-privilege Role + RoleBinding
///     for each ServiceAccount whose jobs call the cluster API (model validation);
///  2. PersistentVolumeClaims that jobs mount and nobody else provides (`AccessPlanner`,
///     `StoragePlanner`), each moved to the wave of the first pod that mounts it
///     (`ClaimPlacement`: a WaitForFirstConsumer claim is Pending until then);
///  3. the scripts ConfigMap every validation pod mounts, and the NetworkPolicy that denies
///     inbound traffic to validation pods (`NetworkPolicyPlanner`);
///  4. image builds, for jobs with `buildConfig.enabled` (`BuildPlanner`: Tekton or S2I, in
///     the build namespace; under Flux in a folder and Kustomization of their own);
///  5. one Job per NotebookValidationJob (`ValidationJobPlanner`), running the built image
///     when there is one;
/// plus the spec files' supporting objects, each in the wave of its kind (`PassthroughPlanner`),
/// and the delivery objects that point Argo CD or Flux at the result (`DeliveryPlanner`).
///
/// Problems are reported into the collector with the input location that can fix them; the
/// plan is still returned complete so later stages and `explain` can show it.
public enum EnvironmentPlanner {
    /// Base name of the ServiceAccount used when a job names none.
    public static let defaultServiceAccountBase = "notebook-validator"
    /// Base name of the scripts ConfigMap.
    public static let scriptsConfigMapBase = "nbgitops-scripts"

    /// - Parameters:
    ///   - resources: the pod scripts, build bodies and Argo CD health checks (`PlanResources`).
    ///   - recordProvenance: keep each field's origin for `explain` (off for plans that are
    ///     rendered and dropped).
    ///   - delivery: the output folder inside the repository (`gitops`); the delivery objects
    ///     point at `<output>/<environment>/manifests` unless the environment sets
    ///     `delivery.path`.
    public static func plan(
        specs: SpecSet, environment: Environment, resources: PlanResources, delivery: DeliveryTarget,
        recordProvenance: Bool = true
    ) -> EnvironmentPlan {
        // The health checks Argo CD lacks for what the plan holds: part of the plan, not glue
        // added by the pipeline, so every caller gets the same plan.
        ArgoHealthPlanner.adding(
            resources.argoHealthChecks,
            to: objects(
                specs: specs, environment: environment, resources: resources, delivery: delivery,
                recordProvenance: recordProvenance),
            delivery: delivery)
    }

    /// Everything but the controller snippets.
    static func objects(
        specs: SpecSet, environment: Environment, resources: PlanResources, delivery: DeliveryTarget,
        recordProvenance: Bool
    ) -> EnvironmentPlan {
        let context = {
            var context = PlanContext(environment: environment, delivery: delivery)
            context.recordsProvenance = recordProvenance
            return context
        }()
        var generated: [PlannedObject] = []

        generated.append(namespaceObject(context))

        // Each spec kind (`KindPlanners.all`) names the workload units it plans here; identity,
        // API access and storage are planned once over the units of every kind, then each
        // kind's planner adds its objects (`KindPlan`).
        let passthrough = specs.supportingObjects
        let units = KindPlanners.all.flatMap { $0.units(specs, context) }
        let accessPlan = AccessPlanner.plan(units: units, supportingObjects: passthrough, context: context)
        generated += accessPlan.objects
        generated += StoragePlanner.plan(units: units, supportingObjects: passthrough, context: context)

        let kindPlans = KindPlanners.all.map { $0.plan(specs, accessPlan, resources, context) }
        generated += kindPlans.flatMap(\.objects)
        // The image builds of every kind, in one build namespace (its Namespace planned once).
        var builds = BuildPlanner.Result()
        for result in kindPlans.compactMap(\.builds) { builds.merge(result) }
        // The Tekton operator's pruner reads its skip annotation from the Namespace only.
        let runNamespaces = TektonPruner.runNamespaces(generated + builds.objects)
        generated = TektonPruner.marking(generated, namespaces: runNamespaces, context: context)
        builds.objects = TektonPruner.marking(builds.objects, namespaces: runNamespaces, context: context)

        // Flux applies builds from their own folder and Kustomization; Argo CD orders them
        // by sync wave in the one folder.
        let separateBuilds = context.deliveryTool == .flux && !builds.objects.isEmpty
        if !separateBuilds { generated += builds.objects }
        // Serving objects likewise: Argo CD applies them in the serving wave, after the Jobs.
        let serving = kindPlans.flatMap(\.serving)
        let separateServing = context.deliveryTool == .flux && !serving.isEmpty
        if !separateServing { generated += serving }
        var objects = generated + PassthroughPlanner.plan(passthrough, context: context)
        // Every other namespace an object lands in gets its Namespace, as the environment's does.
        objects += TektonPruner.marking(
            namespaceObjects(for: objects + builds.objects + serving, context: context), namespaces: runNamespaces,
            context: context)
        objects = admittingInjectedContainers(objects, planned: generated + serving, context: context)
        let deduplicated = removingDuplicates(objects)
        objects = deduplicated.kept
        // Each claim in its first consumer's wave, so its health never blocks its own wave.
        let claimPlacement = ClaimPlacement.placed(objects, serving: separateServing ? serving : [])
        objects = claimPlacement.objects
        // A zonal model claim's writer runs in its GPU predictor's zone when the pools say which.
        objects = ModelClaimZones.pinned(objects, serving: separateServing ? serving : [], environment: environment)
        if context.deliveryTool == .argocd {
            objects = objects.map { object in
                var object = object
                object.manifest = PlanMetadata.setting(
                    "annotations", AnnotationKey.argoSyncWave, to: String(object.wave.rawValue), in: object.manifest)
                if context.recordsProvenance {
                    let origin = FieldOrigin(
                        .builtinDefault(
                            "apply order: namespace 0, RBAC 1, storage 2, config 3, image builds 4, validation Jobs 5, "
                                + "serving 6; a claim in the wave of the first pod that mounts it; "
                                + "this \(object.kind) is wave \(object.wave.rawValue)"),
                        field: "kind \(object.kind)")
                    object.deriveProvenance { base in
                        var origins = base
                        origins["metadata.annotations[\(AnnotationKey.argoSyncWave)]"] = origin
                        return origins
                    }
                }
                return object
            }
        }
        objects = ImmutableObjects.marked(objects, context: context)
        objects = withCommonProvenance(objects, context: context)
        objects.sort(by: applyOrder)

        var delivery: [PlannedObject] = []
        // Invalid or missing delivery settings give no delivery objects; the Check stage reports
        // them (DeliveryRules.settings), from the same validation.
        if let coordinates = DeliveryPlanner.coordinates(context, diagnostics: DiagnosticCollector()) {
            delivery =
                DeliveryPlanner.plan(context: context, coordinates: coordinates, objects: objects)
                + ArgoProjectPlanner.plan(context: context, repositoryURL: coordinates.repositoryURL, objects: objects)
        }
        var plan = EnvironmentPlan(environment: environment, objects: objects, deliveryObjects: delivery)
        plan.delivery = context.delivery
        plan.droppedDuplicates = deduplicated.dropped
        plan.unusableTemplates = builds.unusableTemplates + kindPlans.flatMap(\.unusableTemplates)
        if separateBuilds {
            var buildObjects = ImmutableObjects.marked(builds.objects, context: context)
            buildObjects = withCommonProvenance(buildObjects, context: context)
            plan.buildObjects = buildObjects.sorted(by: applyOrder)
            delivery = delivery.flatMap { object -> [PlannedObject] in
                guard object.kind == "Kustomization",
                    let builder = BuildPlanner.fluxBuildsKustomization(
                        result: builds, validationKustomization: object.manifest, context: context)
                else { return [object] }
                var validation = object
                var spec = validation.manifest["spec"] ?? .map([])
                // Validation starts only once every build is Ready (succeeded) at this revision.
                spec["dependsOn"] = [["name": .string(builder.name)]]
                validation.manifest["spec"] = spec
                return [builder.object, validation]
            }
            plan.deliveryObjects = delivery
        }
        if separateServing {
            plan.servingObjects = withCommonProvenance(serving + claimPlacement.servingClaims, context: context)
                .sorted(by: applyOrder)
            let validationName = DeliveryNames.base(context)
            plan.deliveryObjects = plan.deliveryObjects.flatMap { object -> [PlannedObject] in
                guard object.kind == "Kustomization", object.name == validationName,
                    let server = DeliveryPlanner.fluxServingKustomization(
                        validationKustomization: object.manifest, context: context)
                else { return [object] }
                return [object, server]
            }
        }
        plan.deliveryObjects = DeliveryDestination.applied(plan.deliveryObjects, context: context)
        return DeliverySplit.apply(plan, context: context)
    }

    /// The objects with the fields every object shares added to their provenance on demand
    /// (`FieldProvenance.common`); unchanged when the plan keeps no provenance.
    static func withCommonProvenance(_ objects: [PlannedObject], context: PlanContext) -> [PlannedObject] {
        guard context.recordsProvenance else { return objects }
        return objects.map { object in
            var object = object
            let snapshot = object
            object.deriveProvenance { FieldProvenance.common(snapshot, base: $0, context: context) }
            return object
        }
    }

    /// Apply order: wave, then kind, then namespace, then name (all by UTF-8 bytes).
    public static func applyOrder(_ lhs: PlannedObject, _ rhs: PlannedObject) -> Bool {
        if lhs.wave != rhs.wave { return lhs.wave < rhs.wave }
        if lhs.kind != rhs.kind { return lhs.kind.utf8.lexicographicallyPrecedes(rhs.kind.utf8) }
        let leftNamespace = lhs.namespace ?? ""
        let rightNamespace = rhs.namespace ?? ""
        if leftNamespace != rightNamespace { return leftNamespace.utf8.lexicographicallyPrecedes(rightNamespace.utf8) }
        return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
    }

    // MARK: Namespace

    /// The Namespaces of the namespaces objects land in besides the environment's own (which
    /// `namespaceObject` plans) and those planned already (build namespaces): each with the
    /// environment's Pod Security labels or OpenShift settings, traced to the mapping entry
    /// (`naming.namespaces`) or to the first spec line that put an object there.
    static func namespaceObjects(for objects: [PlannedObject], context: PlanContext) -> [PlannedObject] {
        var planned = Set(objects.filter { $0.kind == "Namespace" }.map(\.name))
        planned.insert(context.homeNamespace)
        var result: [PlannedObject] = []
        for object in objects {
            guard let namespace = object.namespace, planned.insert(namespace).inserted else { continue }
            let mapped = context.homeNaming.namespaces.first { $0.value.value == namespace }?.value
            let origin: Origin =
                mapped?.origin ?? object.sources.first.map { .spec($0) }
                ?? .builtinDefault("a namespace an object is planned in")
            var namespaceObject = self.namespaceObject(context.placed(at: Traced(namespace, origin)))
            // Also reported at the objects that put it there when the mapping is an overlay's.
            namespaceObject.sources = Array(Set(namespaceObject.sources + object.sources.prefix(1))).sorted()
            // Whichever spec's object comes first: the header names the environment instead.
            namespaceObject.shared = true
            result.append(namespaceObject)
        }
        return result
    }

    static func namespaceObject(_ context: PlanContext) -> PlannedObject {
        let namespace = context.environment.naming.namespace
        let checkedName = DerivedName(
            namespace.value, rule: .label, what: "namespace", at: namespace.origin.location,
            notes: namespace.origin.location == nil ? [DiagnosticNote(namespace.origin.description)] : [])
        var labels = PlanMetadata.labels(component: "namespace")
        // Deleting a Namespace deletes everything in it, whoever created it.
        var annotations = PruneProtection.annotations(context)
        var sources = namespace.origin.location.map { [$0] } ?? []
        let environment = context.environment
        var record = FieldRecord(context)
        record.note("metadata.name", FieldProvenance.traced(namespace, field: "naming.namespace"))
        record.note(
            "metadata.annotations",
            PruneProtection.origin(context, holds: "deleting a namespace deletes every object in it"))
        record.note(
            "metadata.labels",
            FieldProvenance.traced(
                environment.platform, field: "platform",
                rule: context.platform == .kubernetes
                    ? "Pod Security Admission labels: every pod nbgitops writes meets restricted"
                    : "OpenShift: SCC restricted-v2 applies; Argo CD's managed-by label when Argo CD delivers"))
        switch context.platform {
        case .kubernetes:
            // Pod Security Admission: every pod nbgitops writes meets `restricted`. An overlay's
            // `security.privilegeCap` (baseline, privileged) raises the enforced level, which the
            // privilege rule (NBG250) checks passed-through pods and builds against.
            let cap = context.environment.security.privilegeCap.value.flatMap(PodSecurityLevel.init(rawValue:))
            labels[LabelKey.podSecurityEnforce] = (cap ?? .restricted).rawValue
            if cap != nil {
                record.note(
                    "metadata.labels[\(LabelKey.podSecurityEnforce)]",
                    FieldProvenance.traced(
                        environment.security.privilegeCap, field: "security.privilegeCap",
                        rule: "the enforced level is the cap; audit and warn stay restricted"))
            }
            labels[LabelKey.podSecurityEnforceVersion] = "latest"
            labels[LabelKey.podSecurityAudit] = PodSecurityLevel.restricted.rawValue
            labels[LabelKey.podSecurityWarn] = PodSecurityLevel.restricted.rawValue
        case .openshift:
            // SCC restricted-v2 applies. OpenShift GitOps' default Argo CD instance only
            // manages namespaces labelled for it.
            if context.deliveryTool == .argocd {
                labels[LabelKey.argoManagedBy] = DeliveryPlanner.controllerNamespace(context)
                record.note(
                    "metadata.labels[\(LabelKey.argoManagedBy)]",
                    FieldProvenance.traced(
                        environment.delivery.controllerNamespace, field: "delivery.controllerNamespace",
                        rule: "OpenShift GitOps' Argo CD manages only namespaces labelled for its instance"))
            }
            // A pinned UID range (security.uidRange + security.mcs): OpenShift's allocator skips
            // a namespace that already has a uid-range, and restricted-v2 then admits the
            // range's first UID, which validation pods name (a high UID checkov can see).
            let security = context.environment.security
            if let range = security.uidRange.value, let mcs = security.mcs.value {
                let block = "\(range.lowerBound)/\(range.count)"
                annotations["openshift.io/sa.scc.uid-range"] = block
                annotations["openshift.io/sa.scc.supplemental-groups"] = block
                annotations["openshift.io/sa.scc.mcs"] = mcs
                let pinned = "OpenShift's allocator keeps a namespace's pinned range; restricted-v2 admits its first UID"
                for key in ["openshift.io/sa.scc.uid-range", "openshift.io/sa.scc.supplemental-groups"] {
                    record.note(
                        "metadata.annotations[\(key)]",
                        FieldProvenance.traced(security.uidRange, field: "security.uidRange", rule: pinned))
                }
                record.note(
                    "metadata.annotations[openshift.io/sa.scc.mcs]",
                    FieldProvenance.traced(security.mcs, field: "security.mcs", rule: pinned))
                sources += [security.uidRange.origin.location, security.mcs.origin.location].compactMap { $0 }
            }
        }
        let manifest = PlanMetadata.object(
            apiVersion: "v1", kind: "Namespace", name: namespace.value, namespace: nil, labels: labels,
            annotations: annotations, body: [])
        return PlannedObject(
            apiVersion: "v1", kind: "Namespace", name: namespace.value, namespace: nil, manifest: manifest,
            wave: .namespace, sources: sources, provenance: record.origins
        ).checking(checkedName)
    }

    /// Kubernetes: a namespace where nbgitops runs Tekton (model PipelineRuns) or serves a
    /// ModelCar enforces Pod Security `baseline`, not `restricted` (audit and warn stay
    /// `restricted`), because the platform injects containers nbgitops cannot give a
    /// securityContext:
    /// - Tekton's `prepare` and `place-scripts` init containers and the affinity assistant get
    ///   one only with the feature flag `set-security-context: "true"`, upstream default
    ///   `"false"` (tektoncd/pipeline `config/config-feature-flags.yaml`; `pkg/pod/pod.go`
    ///   `if securityContext.SetSecurityContext`, `pkg/pod/script.go`,
    ///   `pkg/reconciler/pipelinerun/affinity_assistant.go` `affinityAssistantStatefulSet`);
    /// - KServe ≥ 0.16 injects `modelcar` (securityContext `runAsUser` only) and `modelcar-init`
    ///   (none) for an `oci://` storageUri (kserve `pkg/utils/storage.go`
    ///   `CreateModelcarContainer`, `CreateModelcarInitContainer`).
    /// Pod Security `restricted` requires `allowPrivilegeEscalation: false` and
    /// `capabilities.drop: [ALL]` on every container (pod-security-admission
    /// `policy/check_allowPrivilegeEscalation.go`, `check_capabilities_restricted.go`), so the
    /// pods would never be created. Passed-through runs and InferenceServices do not raise a
    /// level, nor does anything when an overlay declares `security.privilegeCap`: NBG320 and
    /// NBG321 refuse what then lands in a `restricted` namespace.
    static func admittingInjectedContainers(
        _ objects: [PlannedObject], planned: [PlannedObject], context: PlanContext
    ) -> [PlannedObject] {
        // A declared `security.privilegeCap` is the cluster's word on the level: it stays, and
        // NBG320/NBG321 report what it refuses.
        guard context.platform == .kubernetes, context.environment.security.privilegeCap.value == nil else {
            return objects
        }
        var reasons: [String: String] = [:]
        for object in planned {
            guard let namespace = object.namespace, reasons[namespace] == nil,
                let reason = InjectedContainers.reason(object)
            else { continue }
            reasons[namespace] = reason
        }
        guard !reasons.isEmpty else { return objects }
        return objects.map { object in
            guard object.kind == "Namespace", object.namespace == nil, let reason = reasons[object.name],
                object.manifest.value(at: "metadata.labels")?[LabelKey.podSecurityEnforce]?.stringValue
                    == PodSecurityLevel.restricted.rawValue
            else { return object }
            var raised = object
            raised.manifest = PlanMetadata.setting(
                "labels", LabelKey.podSecurityEnforce, to: PodSecurityLevel.baseline.rawValue, in: object.manifest)
            if context.recordsProvenance {
                let origin = FieldOrigin(
                    .builtinDefault("Pod Security baseline: \(reason); audit and warn stay restricted"),
                    field: "platform")
                raised.deriveProvenance { base in
                    var origins = base
                    origins["metadata.labels[\(LabelKey.podSecurityEnforce)]"] = origin
                    return origins
                }
            }
            return raised
        }
    }

    // MARK: Scripts ConfigMap

    /// The ConfigMap is content-addressed (`nbgitops-scripts-<hash of the scripts>`, the hash
    /// stamped on every pod template): a changed script is a new ConfigMap that only the new
    /// Jobs mount, while the kubelet keeps the superseded Jobs still running on the old one
    /// (a ConfigMap volume follows its object's updates); the old ConfigMap is pruned with them.
    static func scriptsConfigMap(_ scripts: [ScriptFile], context: PlanContext)
        -> PlannedObject
    {
        let name = context.derivedName(scriptsConfigMapBase + "-" + String(scriptsChecksum(scripts).prefix(8)))
        let checkedName = DerivedName(name, rule: .subdomain, what: "scripts ConfigMap name", at: context.prefixLocation)
        var data: [String: String] = [:]
        for script in scripts { data[script.name] = script.contents }
        let manifest = PlanMetadata.object(
            apiVersion: "v1", kind: "ConfigMap", name: name, namespace: context.namespace,
            labels: PlanMetadata.labels(component: "validation-scripts"),
            body: [("data", .strings(data))])
        return PlannedObject(
            apiVersion: "v1", kind: "ConfigMap", name: name, namespace: context.namespace, manifest: manifest,
            wave: .config, sources: [],
            provenance: context.recordsProvenance
                ? [
                    "": FieldOrigin(.builtinDefault("the validation pods' scripts")),
                    "data": FieldOrigin(
                        .builtinDefault("the files of templates/scripts/"),
                        rule: "mounted read-only at \(PodLayout.scripts.mountPath); their hash is on every pod template "
                            + "and in the ConfigMap's name, so a running Job keeps the scripts it started with"),
                ] : [:]
        ).checking(checkedName)
    }

    /// Hash of the script files (sorted by name), stamped on every pod template.
    static func scriptsChecksum(_ scripts: [ScriptFile]) -> String {
        var bytes: [UInt8] = []
        for script in scripts.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            bytes += Array(script.name.utf8) + [0] + Array(script.contents.utf8) + [0]
        }
        return StableHash.hex(StableHash.fnv1a64(bytes))
    }

    // MARK: Platform selection

    /// Whether a job is planned on `platform` (an unknown platform name plans it nowhere;
    /// reported while decoding, `SpecDecoder.checkPlatforms`).
    static func isPlanned(_ job: NotebookValidationJob, on platform: Platform) -> Bool {
        isPlanned(annotations: job.annotations, on: platform)
    }

    /// Whether a spec with these annotations is planned on `platform` (`nbgitops.dev/platforms`).
    static func isPlanned(annotations: [String: String], on platform: Platform) -> Bool {
        guard let list = annotations[AnnotationKey.platforms] else { return true }
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return names.allSatisfy { Platform(rawValue: $0) != nil } && names.contains(platform.rawValue)
    }

    // MARK: Duplicates

    /// Drops later NotebookValidationJobs that reuse an earlier one's name in the same written
    /// namespace. The decoder has already reported them (NBG132, once); this only keeps a direct
    /// caller's plan sane.
    static func uniqueJobs(_ jobs: [NotebookValidationJob]) -> [NotebookValidationJob] {
        var seen: Set<String> = []
        return jobs.filter { seen.insert($0.unitKey).inserted }
    }

    /// Splits off objects that repeat an earlier object's kind, namespace and name (typically a
    /// supporting object that shadows a generated one): the plan keeps the first, the Check
    /// stage reports the later one (NBG132, `ObjectRules.duplicates`).
    static func removingDuplicates(_ objects: [PlannedObject]) -> (
        kept: [PlannedObject], dropped: [(dropped: PlannedObject, firstSource: SourceLocation?)]
    ) {
        var seen: [String: PlannedObject] = [:]
        var kept: [PlannedObject] = []
        var dropped: [(dropped: PlannedObject, firstSource: SourceLocation?)] = []
        for object in objects {
            let key =
                "\(object.apiVersion.split(separator: "/").dropLast().joined())|\(object.kind)|\(object.namespace ?? "")|\(object.name)"
            if let first = seen[key] {
                dropped.append((object, first.sources.first))
                continue
            }
            seen[key] = object
            kept.append(object)
        }
        return (kept, dropped)
    }
}
