import Foundation

/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let claimNotProvided: RuleID = "NBG126"
    public static let rwoConcurrentMount: RuleID = "NBG200"
    public static let rwoMixedAccess: RuleID = "NBG201"
    public static let rwoReplicatedPredictor: RuleID = "NBG202"
    public static let accessModeNotOffered: RuleID = "NBG203"
    public static let modelClaimZone: RuleID = "NBG204"
    public static let claimTooSmall: RuleID = "NBG260"
    public static let ephemeralStorageTooSmall: RuleID = "NBG261"
}

/// Claims: who mounts them at the same time (ADR-040), who provides them, and whether they
/// are big enough for what the specs say will be written into them (a model larger than its claim fails mid-download).
enum StorageRules {

    /// The access mode of a claim: the passed-through PVC's first mode, else the environment's.
    static func accessMode(_ claim: String, namespace: String? = nil, context: RuleContext) -> (
        mode: String, origin: String, location: SourceLocation?
    ) {
        if let pvc = claimObject(claim, namespace: namespace, context: context),
            let mode = pvc.manifest.value(at: "spec.accessModes[0]")?.stringValue
        {
            return (mode, "declared by PersistentVolumeClaim '\(claim)'", context.location(of: pvc, path: "spec.accessModes"))
        }
        let traced = context.environment.storage.accessMode
        return (traced.value.rawValue, "the environment's storage.accessMode (\(traced.origin))", traced.origin.location)
    }

    /// The claim of that name in `namespace` (a claim is namespaced; nil: in any namespace).
    static func claimObject(_ claim: String, namespace: String? = nil, context: RuleContext) -> PlannedObject? {
        context.object(kind: "PersistentVolumeClaim", name: claim, namespace: namespace)
    }

    /// Where a claim use was written: the job's `claimName` line for a validation Job.
    static func location(_ use: ClaimUse, context: RuleContext) -> SourceLocation? {
        // The job's claims as its unit locates them: the spec's claimName lines, then the results
        // claim where the store is named (the overlay line or the annotation).
        if let job = context.job(for: use.object),
            let claim = job.workloadUnits(in: context.environment).flatMap(\.claims).first(where: { $0.value == use.claim })
        {
            return claim.location
        }
        return context.location(of: use.object, path: use.path)
    }

    /// NBG203: a claim asks for an access mode several nodes share (ReadWriteMany, ReadOnlyMany)
    /// in an environment whose overlay declares its storage ReadWriteOnce (the `rwo` overlay):
    /// the class cannot provision it, the claim stays Pending (`ProvisioningFailed`) and nothing
    /// that mounts it ever starts.
    /// Only claims of the environment's storage are judged: a claim naming another storage class
    /// asks the cluster for storage the overlays say nothing about.
    // Platform fact: the access modes each declared storage class offers would judge those claims too.
    static let accessModeNotOffered = PlanRule(
        .accessModeNotOffered, .error,
        "a PersistentVolumeClaim asks for an access mode the environment's storage does not offer"
    ) { context in
        let declared = context.environment.storage.accessMode
        guard declared.value == .readWriteOnce, case .overlay = declared.origin else { return }
        let shared: Set<String> = [AccessMode.readWriteMany.rawValue, AccessMode.readOnlyMany.rawValue]
        for claim in context.plan.objects where claim.kind == "PersistentVolumeClaim" {
            if let named = claim.manifest.value(at: "spec.storageClassName")?.stringValue,
                named != context.environment.storage.storageClassName.value
            {
                continue
            }
            let modes = claim.manifest.value(at: "spec.accessModes")?.elements?.compactMap(\.stringValue) ?? []
            let refused = modes.filter { shared.contains($0) }
            guard !refused.isEmpty else { continue }
            context.report(
                "PersistentVolumeClaim '\(claim.name)' asks for \(refused.joined(separator: ", ")), but the "
                    + "environment's storage offers only ReadWriteOnce volumes: the claim is never provisioned and "
                    + "stays Pending, so nothing that mounts it starts",
                at: context.location(of: claim, path: "spec.accessModes") ?? claim.sources.first,
                help: "ask for ReadWriteOnce (and mount the claim from one workload at a time), or deploy this "
                    + "environment on storage that offers \(refused.joined(separator: " / ")) (drop the rwo overlay)",
                notes: [DiagnosticNote("storage.accessMode: ReadWriteOnce is set here", at: declared.origin.location)],
                subject: context.subject(for: claim))
        }
    }

    /// NBG204: a single-node model claim is written by a PipelineRun whose pods may run in a zone
    /// where no node pool its InferenceService fits lies; the volume is created in the writer's
    /// zone (`WaitForFirstConsumer`), so the predictor may never reach it. Judged only when every
    /// node pool declares its zone; nbgitops pins the PipelineRun itself where one zone serves
    /// (`ModelClaimZones`).
    // Platform fact: a storage class declared non-zonal (or Immediate with allowedTopologies) would relax this.
    static let modelClaimZone = PlanRule(
        .modelClaimZone, .warning,
        "a zonal model claim may be created in a zone where its InferenceService cannot run"
    ) { context in
        let pools = context.environment.nodePools
        for finding in ModelClaimZones.findings(context.plan.objects, serving: [], environment: context.environment)
        where !finding.pipelineZones.isSubset(of: finding.servingZones) {
            let outside = finding.pipelineZones.subtracting(finding.servingZones).sorted()
            let serving = finding.servingZones.sorted()
            context.report(
                "the volume of model claim '\(finding.claim)' is created in the zone where PipelineRun "
                    + "'\(finding.pipelineRun.name)' first runs, which may be \(outside.joined(separator: ", ")); "
                    + "InferenceService '\(finding.service.name)' runs only on node pools in "
                    + (serving.isEmpty ? "no declared zone" : serving.joined(separator: ", "))
                    + ", so its predictor may stay Pending with a volume node affinity conflict",
                at: finding.pipelineRun.sources.first,
                help: "keep the GPU node pools in every zone the CPU pools are in, serve from ReadWriteMany storage, "
                    + "or give the InferenceService's node pools one zone (nbgitops then pins the PipelineRun to it)",
                notes: [DiagnosticNote("the node pools and their zones are declared here", at: pools.origin.location)],
                subject: context.subject(for: finding.pipelineRun))
        }
    }

    /// NBG200/NBG201: a ReadWriteOnce claim attaches to one node; every workload nbgitops
    /// emits can run at once (all Jobs start when applied; builds run when triggered).
    static let concurrentMounts = PlanRule(
        .rwoConcurrentMount, .error, "a ReadWriteOnce claim is mounted by two or more workloads that can run at once"
    ) { context in
        checkConcurrency(context, mixed: false)
    }
    static let mixedAccess = PlanRule(
        .rwoMixedAccess, .error, "a ReadWriteOnce claim is mounted read-write by one workload and read-only by another"
    ) { context in
        checkConcurrency(context, mixed: true)
    }

    /// The access modes of a claim: the passed-through (or planned) PVC's, else the environment's.
    static func accessModes(_ claim: String, namespace: String?, context: RuleContext) -> (
        modes: [String], origin: String, location: SourceLocation?
    ) {
        if let pvc = claimObject(claim, namespace: namespace, context: context),
            let modes = pvc.manifest.value(at: "spec.accessModes")?.elements?.compactMap(\.stringValue), !modes.isEmpty
        {
            return (
                modes, "declared by PersistentVolumeClaim '\(claim)'",
                context.location(of: pvc, path: "spec.accessModes")
            )
        }
        let traced = context.environment.storage.accessMode
        return ([traced.value.rawValue], "the environment's storage.accessMode (\(traced.origin))", traced.origin.location)
    }

    /// Whether KServe runs at most one predictor replica when `maxReplicas` is unset: only in the
    /// raw (standard) deployment mode with KServe's own HPA, whose maximum is then the minimum.
    /// Serverless (Knative) autoscales with no upper bound; an unstated mode is the cluster's
    /// default, which may be Serverless.
    static func singleReplicaWhenUnbounded(_ service: PlannedObject) -> Bool {
        let annotations = service.manifest.value(at: "metadata.annotations")
        let mode = annotations?["serving.kserve.io/deploymentMode"]?.stringValue
        let autoscaler = annotations?["serving.kserve.io/autoscalerClass"]?.stringValue
        return ["RawDeployment", "Standard"].contains(mode ?? "") && ["hpa", "none"].contains(autoscaler ?? "hpa")
    }

    /// NBG202: an InferenceService serving `pvc://` from a single-node claim (ReadWriteOnce,
    /// ReadWriteOncePod) whose predictor can run more than one replica: the replicas the
    /// scheduler puts on another node cannot attach the volume (Multi-Attach) and never start.
    static let replicatedPredictor = PlanRule(
        .rwoReplicatedPredictor, .error,
        "an InferenceService can run several predictor replicas on a claim only one node can attach"
    ) { context in
        for unit in context.units where unit.object.kind == "InferenceService" {
            let service = unit.object
            let predictor = service.manifest.value(at: "spec.predictor")
            let minimum = predictor?["minReplicas"]?.intValue
            let maximum = predictor?["maxReplicas"]?.intValue
            for use in unit.claims where use.isNamedClaim {
                let access = accessModes(use.claim, namespace: service.namespace, context: context)
                let shared = [AccessMode.readWriteMany.rawValue, AccessMode.readOnlyMany.rawValue]
                guard !access.modes.contains(where: shared.contains) else { continue }
                func at(_ path: String) -> SourceLocation? {
                    if context.supportingObject(for: service) != nil { return context.location(of: service, path: path) }
                    return service.provenance[path]?.origin.location ?? context.location(of: service, path: path)
                }
                let why: String
                let location: SourceLocation?
                if let maximum, maximum > 1 {
                    why = "its predictor's maxReplicas is \(maximum)"
                    location = at("spec.predictor.maxReplicas")
                } else if let minimum, minimum > 1 {
                    why = "its predictor's minReplicas is \(minimum)"
                    location = at("spec.predictor.minReplicas")
                } else if maximum == nil && !singleReplicaWhenUnbounded(service) {
                    why =
                        "its predictor sets no maxReplicas and its deployment mode (serving.kserve.io/deploymentMode: \(service.manifest.value(at: "metadata.annotations")?["serving.kserve.io/deploymentMode"]?.stringValue ?? "unstated, so the cluster's default, which may be Serverless")) autoscales it"
                    location = at(use.path)
                } else {
                    continue
                }
                let modes = access.modes.joined(separator: ", ")
                context.report(
                    "InferenceService '\(service.name)' serves its model from \(modes) claim '\(use.claim)', and \(why): a replica scheduled on a second node cannot attach the volume (Multi-Attach) and never starts",
                    at: location,
                    help:
                        "set maxReplicas: 1 (and minReplicas at most 1) on the predictor (serving.maxReplicas in a ModelPipeline), or serve from a ReadWriteMany or ReadOnlyMany claim (overlay 'rwx')",
                    notes: [DiagnosticNote("the access mode is \(modes): \(access.origin)", at: access.location)],
                    subject: context.subject(for: service))
            }
        }
    }

    /// The single writer of a claim nbgitops planned to be written once (`PlannedObject.writtenOnceBy`).
    static func writtenOnceBy(_ claim: String, namespace: String? = nil, context: RuleContext) -> String? {
        claimObject(claim, namespace: namespace, context: context)?.writtenOnceBy
    }

    static func checkConcurrency(_ context: RuleContext, mixed: Bool) {
        let disabled = context.environment.tekton.coschedule.value == .disabled
        // A claim is namespaced: the same name in two namespaces is two claims.
        var byClaim: [NamespacedName: [(identity: String, unit: PodUnit, use: ClaimUse)]] = [:]
        for unit in context.units {
            var identity = "\(unit.object.kind)/\(unit.object.namespace ?? "")/\(unit.object.name)"
            // Tasks of one PipelineRun share a claim on one node through the affinity
            // assistant, unless the cluster disabled it.
            if case .tektonTask(let task?) = unit.origin, disabled { identity += "/\(task)" }
            for use in unit.claims where use.isNamedClaim {
                byClaim[NamespacedName(namespace: unit.object.namespace ?? "", name: use.claim), default: []].append(
                    (identity, unit, use))
            }
        }
        for key in byClaim.keys.sorted() {
            let claim = key.name
            let access = accessMode(claim, namespace: key.namespace, context: context)
            guard access.mode == AccessMode.readWriteOnce.rawValue || access.mode == AccessMode.readWriteOncePod.rawValue
            else { continue }
            var firstOf: [String: (unit: PodUnit, use: ClaimUse)] = [:]
            var order: [String] = []
            for entry in byClaim[key] ?? [] where firstOf[entry.identity] == nil {
                firstOf[entry.identity] = (entry.unit, entry.use)
                order.append(entry.identity)
            }
            guard order.count >= 2, let first = firstOf[order[0]] else { continue }
            for identity in order.dropFirst() {
                guard let other = firstOf[identity] else { continue }
                let isMixed = first.use.readOnly != other.use.readOnly
                guard isMixed == mixed else { continue }
                // A claim one run writes once, before any reader starts: not concurrent.
                if let writer = writtenOnceBy(claim, namespace: key.namespace, context: context),
                    [order[0], identity].contains(writer), first.use.readOnly || other.use.readOnly
                {
                    continue
                }
                let notes = [
                    DiagnosticNote(
                        "\(first.unit.displayName) mounts it \(first.use.readOnly ? "read-only" : "read-write") here",
                        at: location(first.use, context: context)),
                    DiagnosticNote("the access mode is \(access.mode): \(access.origin)", at: access.location),
                ]
                let message =
                    mixed
                    ? "\(access.mode) claim '\(claim)' is mounted \(other.use.readOnly ? "read-only" : "read-write") by \(other.unit.displayName) and \(first.use.readOnly ? "read-only" : "read-write") by \(first.unit.displayName); a \(access.mode) volume attaches to one node in one mode, so one of the pods fails to attach"
                    : "\(access.mode) claim '\(claim)' is mounted by \(other.unit.displayName) and \(first.unit.displayName), which can run at the same time; a \(access.mode) volume attaches to one node, so one pod stays Pending or fails with Multi-Attach"
                context.report(
                    message, at: location(other.use, context: context),
                    help:
                        "give each workload its own claim (a volumeClaimTemplate per run for builds), or use ReadWriteMany storage (overlay 'rwx')",
                    notes: notes, subject: context.subject(for: other.use.object))
            }
        }
    }

    /// NBG126 for claims of passed-through workloads and Tekton runs (validation Jobs are
    /// handled while planning): nobody creates the claim, so it must pre-exist; an error when
    /// the environment says nbgitops manages every claim.
    static let undeclaredClaims = PlanRule(
        .claimNotProvided, .warning,
        "a mounted PersistentVolumeClaim is neither declared, listed as existing, nor managed; it must pre-exist"
    ) { context in
        let storage = context.environment.storage
        let existing = Set(storage.existingClaims.value)
        // The validation jobs' claims: provided by a passed-through PersistentVolumeClaim, the
        // environment's storage.existingClaims, or nbgitops (storage.manageAllClaims).
        let naming = context.environment.naming
        let declared = Set(
            context.specs.supportingObjects.filter { $0.kind == "PersistentVolumeClaim" }.map {
                NamespacedName(namespace: naming.target(of: $0.namespace).value, name: $0.name.value)
            })
        // Only the jobs planned in this environment (a job may target one platform).
        for job in context.plannedJobs {
            let namespace = naming.target(of: job.namespace).value
            for claim in job.workloadUnits(in: context.environment).flatMap(\.claims) {
                if declared.contains(NamespacedName(namespace: namespace, name: claim.value))
                    || existing.contains(claim.value) || storage.manageAllClaims.value
                {
                    continue
                }
                context.report(
                    "PersistentVolumeClaim '\(claim.value)' is not created by nbgitops; it must exist in namespace '\(namespace)' before the job runs",
                    at: claim.location,
                    help: "pass a PersistentVolumeClaim through the specs, list the claim in the environment's "
                        + "storage.existingClaims, or set storage.manageAllClaims: true",
                    notes: [DiagnosticNote("storage.manageAllClaims is false: \(storage.manageAllClaims.origin)")],
                    subject: context.subject(for: job))
            }
        }
        // Once per claim and spec document: a document's waiver decides for its own pods only.
        var seen: [DocumentKey?: Set<NamespacedName>] = [:]
        for unit in context.units where context.job(for: unit.object) == nil {
            let namespace = unit.object.namespace ?? naming.namespace.value
            for use in unit.claims where use.isNamedClaim {
                let subject = context.subject(for: use.object)
                if existing.contains(use.claim) || claimObject(use.claim, namespace: namespace, context: context) != nil {
                    continue
                }
                guard seen[subject, default: []].insert(NamespacedName(namespace: namespace, name: use.claim)).inserted else {
                    continue
                }
                let access = context.environment.storage.accessMode
                context.report(
                    "PersistentVolumeClaim '\(use.claim)' used by \(unit.displayName) is declared by no spec or overlay; "
                        + (storage.manageAllClaims.value
                            ? "the environment says every claim is managed by nbgitops"
                            : "it must exist in namespace '\(namespace)' before the pod runs"),
                    at: location(use, context: context), severity: storage.manageAllClaims.value ? .error : .warning,
                    help: "pass a PersistentVolumeClaim through the specs, or list it in storage.existingClaims",
                    notes: [
                        DiagnosticNote(
                            "its access mode is taken to be the environment's \(access.value.rawValue) (\(access.origin))",
                            at: access.origin.location),
                        DiagnosticNote(
                            "storage.manageAllClaims is \(storage.manageAllClaims.value): \(storage.manageAllClaims.origin)",
                            at: storage.manageAllClaims.origin.location),
                    ],
                    subject: subject)
            }
        }
    }

    // MARK: Capacity

    /// One `target=size` entry of a `nbgitops.dev/writes` annotation.
    struct WriteDeclaration {
        var target: String
        var bytes: Double
        var text: String
    }

    static func declarations(_ text: String) -> [WriteDeclaration]? {
        var result: [WriteDeclaration] = []
        for entry in text.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == "\n" }) {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let bytes = Quantity.value(parts[1]) else { return nil }
            result.append(WriteDeclaration(target: parts[0], bytes: bytes, text: parts[1]))
        }
        return result
    }

    /// The size of a named claim: its passed-through PVC's request, else the environment's
    /// claimSize when nbgitops creates it; nil when it pre-exists (size unknown).
    static func claimSize(_ claim: String, namespace: String?, context: RuleContext) -> (
        bytes: Double, text: String, location: SourceLocation?
    )? {
        if let pvc = claimObject(claim, namespace: namespace, context: context),
            let node = pvc.manifest.value(at: "spec.resources.requests.storage"), let bytes = Quantity.value(node)
        {
            let location =
                context.supportingObject(for: pvc) != nil
                ? context.location(of: pvc, path: "spec.resources.requests.storage")
                : context.environment.storage.claimSize.origin.location
            return (bytes, node.stringValue ?? "\(bytes)", location)
        }
        return nil
    }

    /// NBG260/NBG261: a declared write larger than the claim, emptyDir or ephemeral storage.
    static let capacity = PlanRule(
        .claimTooSmall, .error, "a claim is smaller than what the specs declare will be written into it",
        alsoDescribes: [
            .check(.ephemeralStorageTooSmall, .error, "ephemeral storage is smaller than what a build declares it writes")
        ]
    ) { context in
        for unit in context.units {
            let object = unit.object
            let job = context.job(for: object)
            let annotation =
                job?.annotations[AnnotationKey.writes]
                ?? object.manifest.value(at: "metadata.annotations")?[AnnotationKey.writes]?.stringValue
            guard let annotation else { continue }
            let annotationPath = "metadata.annotations" + SourceMap.component(AnnotationKey.writes)
            let annotationLocation = job?.sourceMap[annotationPath] ?? context.location(of: object, path: annotationPath)
            guard let declared = declarations(annotation) else {
                context.report(
                    "\(AnnotationKey.writes) must be 'target=size' entries, e.g. 'models=500Gi'", at: annotationLocation,
                    help: "name a volume, claim or workspace and a quantity", subject: context.subject(for: object))
                continue
            }
            for declaration in declared {
                checkDeclaration(declaration, unit: unit, at: annotationLocation, context: context)
            }
        }
    }

    static func checkDeclaration(
        _ declaration: WriteDeclaration, unit: PodUnit, at location: SourceLocation?, context: RuleContext
    ) {
        let subject = context.subject(for: unit.object)
        func tooSmall(_ what: String, _ size: String, _ sizeLocation: SourceLocation?, rule: RuleID) {
            let message =
                "\(what) holds \(size), but \(declaration.target) is declared to receive \(declaration.text) (\(AnnotationKey.writes))"
            let note = DiagnosticNote("the size is set here", at: sizeLocation)
            if rule == .claimTooSmall {
                context.report(
                    message, at: location,
                    help: "request at least \(declaration.text) (a 300Gi claim for a 438 GB model fails mid-download)",
                    notes: [note], subject: subject)
            } else {
                context.report(
                    message, at: location, rule: .ephemeralStorageTooSmall,
                    help:
                        "raise the ephemeral-storage limit or emptyDir sizeLimit, or write to a claim of at least \(declaration.text)",
                    notes: [note], subject: subject)
            }
        }
        // Tekton: a workspace of the run.
        if case .tektonTask = unit.origin {
            let bindings = unit.object.manifest.value(at: "spec.workspaces")?.elements ?? []
            guard let index = bindings.firstIndex(where: { $0["name"]?.stringValue == declaration.target }) else { return }
            let binding = bindings[index]
            if let node = binding["volumeClaimTemplate"]?.value(at: "spec.resources.requests.storage"),
                let bytes = Quantity.value(node), bytes < declaration.bytes
            {
                tooSmall(
                    "the volumeClaimTemplate of workspace '\(declaration.target)'", node.stringValue ?? "",
                    context.location(
                        of: unit.object, path: "spec.workspaces[\(index)].volumeClaimTemplate.spec.resources.requests.storage"),
                    rule: .claimTooSmall)
            } else if let claim = binding["persistentVolumeClaim"]?["claimName"]?.stringValue,
                let size = claimSize(claim, namespace: unit.object.namespace, context: context), size.bytes < declaration.bytes
            {
                tooSmall("claim '\(claim)'", size.text, size.location, rule: .claimTooSmall)
            } else if binding["emptyDir"] != nil {
                checkEphemeral(declaration, unit: unit, tooSmall: tooSmall, context: context)
            }
            return
        }
        // Pod templates: a volume by name, or a claim by name.
        let volumes = unit.podSpec["volumes"]?.elements ?? []
        guard
            let index = volumes.firstIndex(where: {
                $0["name"]?.stringValue == declaration.target
                    || $0["persistentVolumeClaim"]?["claimName"]?.stringValue == declaration.target
            })
        else { return }
        let volume = volumes[index]
        if let claim = volume["persistentVolumeClaim"]?["claimName"]?.stringValue {
            if let size = claimSize(claim, namespace: unit.object.namespace, context: context), size.bytes < declaration.bytes {
                tooSmall("claim '\(claim)'", size.text, size.location, rule: .claimTooSmall)
            }
        } else if let empty = volume["emptyDir"] {
            if let limit = empty["sizeLimit"], let bytes = Quantity.value(limit), bytes < declaration.bytes {
                tooSmall(
                    "emptyDir '\(declaration.target)'", limit.stringValue ?? "",
                    context.location(
                        of: unit.object, path: "\(unit.podPath).volumes[\(index)].emptyDir.sizeLimit",
                        specPath: "spec.podConfig.volumes"),
                    rule: .ephemeralStorageTooSmall)
            } else {
                checkEphemeral(declaration, unit: unit, tooSmall: tooSmall, context: context)
            }
        }
    }

    /// emptyDir data counts against the pod's ephemeral-storage limit (evicted above it).
    static func checkEphemeral(
        _ declaration: WriteDeclaration, unit: PodUnit,
        tooSmall: (String, String, SourceLocation?, RuleID) -> Void, context: RuleContext
    ) {
        var total = 0.0
        var texts: [String] = []
        var sizeLocation: SourceLocation?
        for container in unit.containers {
            guard let limit = container.resources?["limits"]?["ephemeral-storage"], let bytes = Quantity.value(limit) else {
                return  // a container without a limit: the pod is unbounded
            }
            total += bytes
            texts.append(limit.stringValue ?? "")
            if sizeLocation == nil {
                sizeLocation = context.location(
                    of: container.object, path: "\(container.resourcesPath).limits.ephemeral-storage",
                    specPath: "spec.podConfig.resources.limits")
            }
        }
        guard !unit.containers.isEmpty, total < declaration.bytes else { return }
        tooSmall(
            "the ephemeral-storage limit of \(unit.displayName) (\(texts.joined(separator: " + ")))",
            texts.joined(separator: " + "),
            sizeLocation, .ephemeralStorageTooSmall)
    }
}
