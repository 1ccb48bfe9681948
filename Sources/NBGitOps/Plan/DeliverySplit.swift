/// `delivery.split`: how an environment's manifests are divided between delivery units.
///
/// `none` (the default) applies the environment from one folder by one Argo CD Application or
/// Flux Kustomization (Flux keeps its builds and serving folders, serving after validation).
/// `stage` divides the environment into parts, each its own folder with its own
/// kustomization.yaml and its own Application or Kustomization, so a long model download or a
/// failing notebook holds only the parts that need it:
///
/// ```
/// base/              namespaces, RBAC, storage, configuration (sync waves 0–3)
/// builds/            image builds of notebooks                          after base
/// models/            model pipelines (download, package, push)          after base
/// validation/        validation Jobs                                    after builds
/// serving/           InferenceServices of downloaded models             after models, never after validation
/// notebook-serving/  InferenceServices of models a notebook writes      after validation
/// ```
///
/// Flux: one Kustomization per part with `dependsOn` and `wait: true` (kustomize-controller
/// applies a Kustomization only once each dependency is Ready at the same source revision,
/// `checkDependencies`), each with its own path and a timeout sized by what it holds. Argo CD:
/// an app of apps — the delivery folder's parent Application applies `apps/`, one child
/// Application per part with `argocd.argoproj.io/sync-wave` (base 0, builds and models 1,
/// validation and serving 2, notebook-serving 3).
public enum DeliverySplitMode: String, Sendable, Hashable, CaseIterable {
    case none
    case stage

    public static let reason =
        "one Application or Kustomization per environment; set delivery.split: stage to deliver builds, models, validation and serving separately"
}

public enum DeliverySplit {
    /// The folder, next to the part folders, holding Argo CD's child Applications.
    public static let appsFolderName = "apps"

    /// One part of a split environment, in apply order.
    enum Part: String, CaseIterable {
        case base
        case builds
        case models
        case validation
        case serving
        case notebookServing = "notebook-serving"

        /// The parts this one waits for (among those the environment has).
        func dependencies(present: Set<Part>) -> [Part] {
            func first(_ candidates: [Part]) -> [Part] {
                candidates.first(where: present.contains).map { [$0] } ?? []
            }
            switch self {
            case .base: return []
            case .builds, .models: return first([.base])
            case .validation: return first([.builds, .base])
            case .serving: return first([.models, .base])
            case .notebookServing: return first([.validation, .base])
            }
        }

        /// Argo CD's sync wave of the part's child Application.
        var wave: Int {
            switch self {
            case .base: return 0
            case .builds, .models: return 1
            case .validation, .serving: return 2
            case .notebookServing: return 3
            }
        }

        var holds: String {
            switch self {
            case .base: return "namespaces, RBAC, storage and configuration"
            case .builds: return "the image builds of notebooks"
            case .models: return "the model pipelines (download, package, push)"
            case .validation: return "the validation Jobs"
            case .serving: return "the InferenceServices of downloaded models"
            case .notebookServing: return "the InferenceServices of models a notebook writes"
            }
        }
    }

    /// The plan divided into parts when the environment asks for a split; unchanged otherwise.
    static func apply(_ plan: EnvironmentPlan, context: PlanContext) -> EnvironmentPlan {
        guard context.environment.delivery.split.value == .stage else { return plan }
        var plan = plan
        let everything = plan.objects + plan.buildObjects + plan.servingObjects
        let notebookClaims = Set(
            everything.filter { $0.kind == "Job" }.flatMap { job in
                (job.manifest.value(at: "spec.template.spec.volumes")?.elements ?? []).compactMap {
                    $0.value(at: "persistentVolumeClaim.claimName")?.stringValue
                }
            })
        func tagged(_ objects: [PlannedObject]) -> [PlannedObject] {
            objects.map { object in
                var object = object
                object.part = part(of: object, notebookClaims: notebookClaims).rawValue
                return object
            }
        }
        plan.objects = tagged(plan.objects)
        plan.buildObjects = tagged(plan.buildObjects)
        plan.servingObjects = tagged(plan.servingObjects)
        let all = plan.objects + plan.buildObjects + plan.servingObjects
        let present = Set(all.compactMap { $0.part.flatMap(Part.init(rawValue:)) })
        let parts = Part.allCases.filter(present.contains)

        switch context.deliveryTool {
        case .flux:
            plan.deliveryObjects = fluxDelivery(plan.deliveryObjects, parts: parts, objects: all, context: context)
        case .argocd:
            plan.deliveryObjects = argoDelivery(plan.deliveryObjects, parts: parts, context: context)
        }
        return plan
    }

    /// The stage an object belongs to, from its sync wave and what it is.
    static func part(of object: PlannedObject, notebookClaims: Set<String>) -> Part {
        let component = object.manifest.value(at: "metadata.labels")?[LabelKey.component]?.stringValue
        switch object.wave {
        case .namespace, .rbac, .storage, .config:
            return .base
        case .build:
            return component == "model-pipeline" || component == "model-storage" ? .models : .builds
        case .workload:
            return .validation
        case .serving:
            guard object.kind == "InferenceService" else { return .serving }
            let uris = [
                object.manifest.value(at: "spec.predictor.model.storageUri"),
                object.manifest.value(at: "spec.predictor.storageUri"),
            ].compactMap { $0?.stringValue }
            let fromNotebook = uris.contains { uri in
                guard uri.hasPrefix("pvc://") else { return false }
                let claim = uri.dropFirst("pvc://".count).prefix { $0 != "/" }
                return notebookClaims.contains(String(claim))
            }
            return fromNotebook ? .notebookServing : .serving
        }
    }

    /// The repository path of a part's folder: next to the manifests folder.
    static func folder(_ part: String, context: PlanContext) -> String? {
        DeliveryPlanner.siblingFolder(part, context: context)
    }

    /// The recorded origins of fields the manifest still has (a copied object loses some).
    static func stillPresent(_ provenance: [String: FieldOrigin], in manifest: ManifestNode) -> [String: FieldOrigin] {
        provenance.filter { $0.key.isEmpty || manifest.value(at: $0.key) != nil }
    }

    // MARK: Flux

    /// The GitRepository kept, and one Kustomization per part replacing the environment's
    /// Kustomizations: `dependsOn` the parts it waits for, `wait: true`, its own path and a
    /// timeout sized by the part's own Jobs and PipelineRuns.
    static func fluxDelivery(
        _ delivery: [PlannedObject], parts: [Part], objects: [PlannedObject], context: PlanContext
    ) -> [PlannedObject] {
        let baseName = DeliveryNames.base(context)
        guard
            let validation = delivery.first(where: { $0.kind == "Kustomization" && $0.name == baseName })
        else { return delivery }
        let builds = delivery.first { $0.kind == "Kustomization" && $0.name == baseName + BuildPlanner.buildNamespaceSuffix }
        let kept = delivery.filter { $0.kind != "Kustomization" }
        let present = Set(parts)
        let withCEL = DeliveryPlanner.fluxHasHealthCheckExprs(context.environment)
        var result = kept
        for part in parts {
            guard let path = folder(part.rawValue, context: context) else { return delivery }
            let held = objects.filter { $0.part == part.rawValue }
            let name = baseName + "-" + part.rawValue
            var record = FieldRecord(context)
            var manifest = validation.manifest
            var metadata = manifest["metadata"] ?? .map([])
            metadata["name"] = .string(name)
            manifest["metadata"] = metadata
            var spec = manifest["spec"] ?? .map([])
            spec["path"] = record.set(
                "spec.path", .string("./" + path),
                from: FieldProvenance.traced(
                    context.environment.delivery.split, field: "delivery.split",
                    rule: "stage: the \(part.rawValue) part, \(part.holds), in its own folder"))
            let dependencies = part.dependencies(present: present)
            spec["dependsOn"] =
                dependencies.isEmpty
                ? nil
                : record.set(
                    "spec.dependsOn", .list(dependencies.map { ["name": .string(baseName + "-" + $0.rawValue)] }),
                    from: FieldOrigin(
                        .builtinDefault(
                            "builds and models after base; validation after builds; serving after models, never after validation; notebook-serving after validation"
                        ),
                        field: "delivery.split",
                        rule: "Flux applies a part only once each part it depends on is Ready at the same revision"))
            spec["wait"] = true
            let timeout: String
            if part == .builds, let old = builds?.manifest.value(at: "spec.timeout")?.stringValue {
                timeout = old
            } else if part == .serving || part == .notebookServing {
                timeout = "30m"
            } else {
                timeout = ImmutableObjects.fluxTimeout(held)
            }
            spec["timeout"] = record.set(
                "spec.timeout", .string(timeout),
                from: FieldOrigin(
                    .builtinDefault("sized by what this part holds: its longest Job or PipelineRun + 5 minutes, at least 5m"),
                    rule: "a model download's timeout no longer holds the other parts"))
            var checks: [ManifestNode] = []
            if part == .builds, let old = builds?.manifest.value(at: "spec.healthCheckExprs")?.elements {
                checks = old
            } else if held.contains(where: { $0.kind == "PipelineRun" }) {
                checks.append(DeliveryPlanner.pipelineRunHealth)
            }
            if held.contains(where: { $0.kind == "InferenceService" }) {
                checks.append(DeliveryPlanner.inferenceServiceHealth)
            }
            spec["healthCheckExprs"] =
                withCEL && !checks.isEmpty
                ? record.set(
                    "spec.healthCheckExprs", .list(checks),
                    from: FieldOrigin(
                        .builtinDefault("a PipelineRun is healthy once Succeeded, an InferenceService once Ready")))
                : nil
            manifest["spec"] = spec
            var object = PlannedObject(
                apiVersion: validation.apiVersion, kind: "Kustomization", name: name, namespace: validation.namespace,
                manifest: manifest, wave: .workload, sources: validation.sources,
                provenance: stillPresent(validation.provenance, in: manifest).merging(record.origins) { $1 })
            object.derivedNames = [
                DerivedName(
                    name, rule: .subdomain, what: "delivery object name (environment name + part)",
                    at: context.prefixLocation ?? context.environment.delivery.split.origin.location)
            ]
            result.append(object)
        }
        return result
    }

    // MARK: Argo CD

    /// App of apps: the environment's Application becomes the parent, applying `apps/` into the
    /// controller's namespace under its own AppProject (`<project>-apps`, which allows
    /// Applications there and nothing else); each child Application applies one part with
    /// the environment's AppProject and sync policy, ordered by sync waves.
    static func argoDelivery(_ delivery: [PlannedObject], parts: [Part], context: PlanContext) -> [PlannedObject] {
        let baseName = DeliveryNames.base(context)
        guard let application = delivery.first(where: { $0.kind == "Application" && $0.name == baseName }),
            let apps = folder(appsFolderName, context: context)
        else { return delivery }
        let controllerNamespace = DeliveryPlanner.controllerNamespace(context)
        var result: [PlannedObject] = []
        for object in delivery {
            switch object.kind {
            case "Application" where object.name == baseName:
                var parent = object
                var spec = parent.manifest["spec"] ?? .map([])
                // An existing AppProject (`delivery.argocd.project`) is used by the parent too: nbgitops
                // writes no project then, so none named `<project>-apps` would exist.
                if context.environment.delivery.argocdProject.value == nil {
                    let projectName = (spec["project"]?.stringValue ?? baseName) + "-" + appsFolderName
                    spec["project"] = .string(projectName)
                }
                var source = spec["source"] ?? .map([])
                source["path"] = .string(apps)
                spec["source"] = source
                spec["destination"] = [
                    "server": "https://kubernetes.default.svc", "namespace": .string(controllerNamespace),
                ]
                parent.manifest["spec"] = spec
                var record = FieldRecord(context)
                record.note(
                    "spec.source.path",
                    FieldProvenance.traced(
                        context.environment.delivery.split, field: "delivery.split",
                        rule: "stage: an app of apps; the parent applies the child Applications in apps/"))
                parent.provenance = stillPresent(object.provenance, in: parent.manifest).merging(record.origins) { $1 }
                result.append(parent)
            case "AppProject":
                result.append(object)
                var project = object
                let name = object.name + "-" + appsFolderName
                project.name = name
                var manifest = object.manifest
                var metadata = manifest["metadata"] ?? .map([])
                metadata["name"] = .string(name)
                manifest["metadata"] = metadata
                var spec = manifest["spec"] ?? .map([])
                spec["description"] = .string(
                    "nbgitops environment \(context.environment.name): the parent Application, which may create only Applications in \(controllerNamespace)"
                )
                spec["destinations"] = [["namespace": .string(controllerNamespace), "server": "https://kubernetes.default.svc"]]
                spec["clusterResourceWhitelist"] = nil
                spec["namespaceResourceWhitelist"] = [["group": "argoproj.io", "kind": "Application"]]
                manifest["spec"] = spec
                project.manifest = manifest
                project.provenance = [
                    "spec.namespaceResourceWhitelist": FieldOrigin(
                        .builtinDefault(
                            "the parent Application creates only the child Applications, in the controller's namespace"),
                        field: "delivery.split", rule: "stage: an app of apps")
                ]
                project.derivedNames = [
                    DerivedName(name, rule: .subdomain, what: "AppProject name of the parent Application", at: nil)
                ]
                result.append(project)
            default:
                result.append(object)
            }
        }
        for part in parts {
            guard let path = folder(part.rawValue, context: context) else { return delivery }
            let name = baseName + "-" + part.rawValue
            var child = application
            child.name = name
            var manifest = PlanMetadata.setting(
                "annotations", AnnotationKey.argoSyncWave, to: String(part.wave), in: application.manifest)
            var metadata = manifest["metadata"] ?? .map([])
            metadata["name"] = .string(name)
            manifest["metadata"] = metadata
            var spec = manifest["spec"] ?? .map([])
            var source = spec["source"] ?? .map([])
            source["path"] = .string(path)
            spec["source"] = source
            manifest["spec"] = spec
            child.manifest = manifest
            child.part = appsFolderName
            var record = FieldRecord(context)
            record.note(
                "spec.source.path",
                FieldProvenance.traced(
                    context.environment.delivery.split, field: "delivery.split",
                    rule: "stage: the \(part.rawValue) part, \(part.holds)"))
            record.note(
                "metadata.annotations[\(AnnotationKey.argoSyncWave)]",
                FieldOrigin(
                    .builtinDefault(
                        "base 0; builds and models 1; validation and serving 2; notebook-serving 3: serving never waits for validation"
                    ), field: "delivery.split"))
            child.provenance = stillPresent(application.provenance, in: manifest).merging(record.origins) { $1 }
            child.derivedNames = [
                DerivedName(
                    name, rule: .subdomain, what: "child Application name (environment name + part)",
                    at: context.prefixLocation ?? context.environment.delivery.split.origin.location)
            ]
            result.append(child)
        }
        return result
    }
}
