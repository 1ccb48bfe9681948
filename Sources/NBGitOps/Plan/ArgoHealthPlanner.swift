/// Argo CD health checks for kinds Argo CD cannot judge by itself, as an `argocd-cm` snippet.
///
/// Argo CD waits for each sync wave to be healthy before the next and shows an Application's
/// health from its objects; for a `tekton.dev/PipelineRun` or an OpenShift
/// `build.openshift.io/Build` it needs a Lua health script. The scripts live in
/// `templates/argocd/` (tested with a real Lua 5.1 interpreter, as Argo CD embeds gopher-lua 5.1).
///
/// The snippet is a ConfigMap `argocd-cm` holding only the `resource.customizations.health.*`
/// keys. It is written to `<env>/delivery/` but listed in no kustomization: `argocd-cm` belongs
/// to the Argo CD installation (on OpenShift GitOps the operator owns it and would revert an
/// apply), so an administrator merges it once (`kubectl patch … --type merge --patch-file`),
/// and a GitOps sync never overwrites controller configuration. An instance declared
/// operator-managed (`platform.argocd.operatorManaged: true`) gets the same checks as a partial
/// `ArgoCD` resource (`spec.resourceHealthChecks`) instead, which also carries the lifted
/// `resourceExclusions` when `delivery.argocd.instancePatch: emit` is set.
public enum ArgoHealthPlanner {
    public struct Check: Sendable, Hashable {
        public var group: String
        public var kind: String
        /// File name in `templates/argocd/`.
        public var file: String

        /// The `argocd-cm` key: `resource.customizations.health.<group>_<kind>`, or `.<kind>`
        /// for the core group (argo-cd `util/settings/settings.go` `convertToOverrideKey`).
        public var dataKey: String {
            group.isEmpty ? "resource.customizations.health.\(kind)" : "resource.customizations.health.\(group)_\(kind)"
        }
    }

    public static let pipelineRun = Check(group: "tekton.dev", kind: "PipelineRun", file: "health-pipelinerun.lua")
    public static let build = Check(group: "build.openshift.io", kind: "Build", file: "health-build.lua")
    /// Image builds push to an ImageStream tag on OpenShift; the ImageStream (annotated with
    /// `nbgitops.dev/await-tag`) is Healthy only once that tag holds an image.
    public static let imageStream = Check(
        group: "image.openshift.io", kind: "ImageStream", file: "imagestream-health.lua")
    /// Validation Jobs: Argo CD judges Jobs itself, but only says "Degraded"; this check names
    /// the failure (the validate container's exit code, through the Job's FailJob rules) and
    /// judges every other Job as the built-in check does.
    public static let job = Check(group: "batch", kind: "Job", file: "health-job.lua")
    /// Claims no pod of the output mounts (`ClaimPlacement`): Healthy while Pending, so they
    /// never hold their wave; every other claim as Argo CD's built-in check judges it.
    public static let persistentVolumeClaim = Check(group: "", kind: "PersistentVolumeClaim", file: "health-pvc.lua")
    /// InferenceServices on Argo CD before v3.3.0: its built-in check counted any False condition
    /// as unhealthy until argoproj/argo-cd commit ed6fe769e6 (first in v3.3.0), and KServe
    /// 0.15.1 and later always report `Stopped: False` (kserve `pkg/controller/v1beta1/
    /// inferenceservice/controller.go`), so the built-in check never says Healthy. Emitted
    /// unless an overlay declares `platform.versions.argocd` 3.3 or later.
    public static let inferenceService = Check(
        group: "serving.kserve.io", kind: "InferenceService", file: "health-inferenceservice.lua")
    /// Child Applications of a split environment (`delivery.split: stage`, an app of apps): Argo
    /// CD has not judged Applications since 1.8, so without this the parent's sync waves would
    /// not wait for a child to be healthy.
    public static let application = Check(group: "argoproj.io", kind: "Application", file: "health-application.lua")
    public static let all = [pipelineRun, build, imageStream, job, persistentVolumeClaim, inferenceService, application]

    public static let configMapName = "argocd-cm"
    public static let instanceKind = "ArgoCD"

    /// An object the declared Argo CD instance excludes (`platform.argocd.resourceExclusions`):
    /// Argo CD removes excluded kinds from an Application's target objects and never applies
    /// them (argoproj/argo-cd `controller/state.go`, `IsExcludedResource` in
    /// `util/settings/resources_filter.go`, which also drops any cluster filter's match: the
    /// destination is the in-cluster one, so every `clusters` list is taken to match).
    public struct Excluded: Sendable {
        public var object: PlannedObject
        public var group: String
    }

    /// The emitted objects the declared exclusions drop; none when no exclusions are declared.
    public static func excludedObjects(_ objects: [PlannedObject], facts: PlatformFacts) -> [Excluded] {
        guard let exclusions = facts.argocdResourceExclusions.value else { return [] }
        return objects.compactMap { object in
            let group = ArgoProjectPlanner.group(ofAPIVersion: object.apiVersion)
            return exclusions.contains { $0.excludes(group: group, kind: object.kind) }
                ? Excluded(object: object, group: group) : nil
        }
    }

    /// The `argoproj.io/v1beta1 ArgoCD` partial (argoproj-labs/argocd-operator `api/v1beta1`
    /// `ArgoCDSpec`): `resourceHealthChecks` ([{group, kind, check}]) on an operator-managed
    /// instance, and `resourceExclusions` — a string holding YAML, which the operator copies
    /// into argocd-cm `resource.exclusions` — without the kinds nbgitops emits.
    static func instancePatch(
        checks: [(Check, String)], exclusions: [PlatformFacts.ResourceExclusion]?, lifting: [(group: String, kind: String)],
        name: String, namespace: String, sources: [SourceLocation]
    ) -> PlannedObject {
        var body: [(String, ManifestNode?)] = []
        if let exclusions {
            let kept: [ManifestNode] = exclusions.compactMap { exclusion in
                // Drop each kind pattern that matches a lifted object (a `*` kind goes whole).
                let kinds = exclusion.kinds.filter { kind in
                    !lifting.contains {
                        ($0.kind == kind || kind == "*")
                            && PlatformFacts.ResourceExclusion(apiGroups: exclusion.apiGroups, kinds: [], clusters: [])
                                .excludes(group: $0.group, kind: $0.kind)
                    }
                }
                guard !kinds.isEmpty || exclusion.kinds.isEmpty else { return nil }
                return .object([
                    ("apiGroups", .list(exclusion.apiGroups.map { .string($0) })),
                    ("kinds", .list(kinds.map { .string($0) })),
                    ("clusters", .list(exclusion.clusters.map { .string($0) })),
                ])
            }
            body.append(("resourceExclusions", .string(yamlText(.list(kept)))))
        }
        if !checks.isEmpty {
            body.append(
                (
                    "resourceHealthChecks",
                    .list(
                        checks.map { check, text in
                            .object([
                                ("group", check.group.isEmpty ? nil : .string(check.group)),
                                ("kind", .string(check.kind)), ("check", .string(text)),
                            ])
                        })
                ))
        }
        let manifest = PlanMetadata.object(
            apiVersion: "argoproj.io/v1beta1", kind: instanceKind, name: name, namespace: namespace, labels: [:],
            body: [("spec", .object(body))])
        return PlannedObject(
            apiVersion: "argoproj.io/v1beta1", kind: instanceKind, name: name, namespace: namespace,
            manifest: manifest, wave: .config, sources: sources,
            provenance: [
                "": FieldOrigin(
                    .builtinDefault("the Argo CD instance settings what nbgitops emits needs"),
                    rule: "merge into the ArgoCD resource once; not listed in any kustomization")
            ])
    }

    /// The kinds the patch lifts: the excluded objects', plus TaskRun with PipelineRun (a
    /// PipelineRun's TaskRuns are its children in the Application's resource tree).
    static func lifted(_ excluded: [Excluded]) -> [(group: String, kind: String)] {
        var result = excluded.map { (group: $0.group, kind: $0.object.kind) }
        if result.contains(where: { $0.group == pipelineRun.group && $0.kind == pipelineRun.kind }) {
            result.append((group: pipelineRun.group, kind: "TaskRun"))
        }
        return result
    }

    /// The ArgoCD resource's name: `platform.argocd.name`, else the controller namespace's
    /// name (the OpenShift GitOps default instance, and the operator's usual single instance,
    /// is named after its namespace).
    public static func instanceName(_ plan: EnvironmentPlan) -> String {
        instanceName(PlanContext(environment: plan.environment, delivery: plan.delivery))
    }

    static func instanceName(_ context: PlanContext) -> String {
        context.environment.facts.argocdName.value ?? DeliveryPlanner.controllerNamespace(context)
    }

    /// YAML text of a node, as the operator's string fields hold it.
    static func yamlText(_ node: ManifestNode) -> String {
        guard case .success(let bytes) = ManifestRenderer.emit([node]) else { return "" }
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("---\n") { text.removeFirst(4) }
        return text
    }

    /// The checks an environment needs: PipelineRun always (builds may add PipelineRuns at any
    /// time), Build when any `build.openshift.io` object (S2I) is emitted.
    public static func checks(for objects: [PlannedObject], facts: PlatformFacts = PlatformFacts()) -> [Check] {
        let usesS2I = objects.contains { ArgoProjectPlanner.group(ofAPIVersion: $0.apiVersion) == build.group }
        let awaitsTags = objects.contains {
            $0.kind == imageStream.kind && $0.manifest.value(at: "metadata.annotations[\(AnnotationKey.awaitTag)]") != nil
        }
        let validates = objects.contains {
            $0.kind == "Job"
                && $0.manifest.value(at: "metadata.labels[\(LabelKey.name)]")?.stringValue == LabelValue.validationPod
        }
        let claimsOutside = objects.contains {
            $0.kind == "PersistentVolumeClaim"
                && $0.manifest.value(at: "metadata.annotations[\(AnnotationKey.firstConsumer)]")?.stringValue
                    == ClaimPlacement.firstConsumerOutside
        }
        // Platform fact: platform.versions.argocd ≥ 3.3 makes the built-in InferenceService check right.
        let servesModels =
            objects.contains { $0.kind == inferenceService.kind && $0.apiVersion.hasPrefix(inferenceService.group + "/") }
            && facts.version(.argocd, atLeast: 3, 3) != true
        return [pipelineRun] + (usesS2I ? [build] : []) + (awaitsTags ? [imageStream] : []) + (validates ? [job] : [])
            + (claimsOutside ? [persistentVolumeClaim] : []) + (servesModels ? [inferenceService] : [])
    }

    /// Adds the `argocd-cm` snippet to an Argo CD environment's plan. `scripts` maps file names
    /// of `templates/argocd/` to their text; a missing script is recorded for the Check stage
    /// (`plan.unusableTemplates`, NBG153).
    /// An environment without delivery objects (an ad-hoc preview naming no repository) gets
    /// no snippet either.
    public static func adding(
        _ scripts: [String: String], to plan: EnvironmentPlan, delivery: DeliveryTarget
    ) -> EnvironmentPlan {
        let context = PlanContext(environment: plan.environment, delivery: delivery)
        guard context.deliveryTool == .argocd, !plan.deliveryObjects.isEmpty else { return plan }
        var plan = plan
        var data: [String: String] = [:]
        var sources: [SourceLocation] = []
        var found: [(Check, String)] = []
        let appOfApps = plan.deliveryObjects.contains { $0.kind == application.kind && $0.part != nil }
        for check in checks(for: plan.objects, facts: plan.environment.facts) + (appOfApps ? [application] : []) {
            guard let text = scripts[check.file] else {
                plan.unusableTemplates.append(
                    UnusableTemplate(
                        file: "templates/argocd/\(check.file)",
                        problem: "the Argo CD health check templates/argocd/\(check.file) is missing"))
                continue
            }
            data[check.dataKey] = text
            found.append((check, text))
            sources.append(.startOf("templates/argocd/\(check.file)"))
        }
        let facts = plan.environment.facts
        let namespace = DeliveryPlanner.controllerNamespace(context)
        let excluded = excludedObjects(plan.objects, facts: facts)
        let patchesInstance = plan.environment.delivery.argocdInstancePatch.value
        // argoproj-labs/argocd-operator controllers/argocd/configmap.go `reconcileArgoConfigMap`
        // rebuilds argocd-cm from the ArgoCD resource and replaces `data` wholesale, so on an
        // operator-managed instance the checks go in the resource's `spec.resourceHealthChecks`.
        let operatorManaged = facts.argocdOperatorManaged.value == true
        if operatorManaged || (patchesInstance && !excluded.isEmpty) {
            plan.snippets.append(
                instancePatch(
                    checks: operatorManaged ? found : [],
                    exclusions: patchesInstance && !excluded.isEmpty ? facts.argocdResourceExclusions.value : nil,
                    lifting: lifted(excluded), name: instanceName(context), namespace: namespace,
                    sources: sources))
        }
        // Unknown (nil) keeps the argocd-cm snippet; the Check stage notes the other form (NBG331).
        guard !operatorManaged, !data.isEmpty else { return plan }
        let manifest = PlanMetadata.object(
            apiVersion: "v1", kind: "ConfigMap", name: configMapName, namespace: namespace,
            // Argo CD reads argocd-cm only with this label.
            labels: [LabelKey.partOf: "argocd"], body: [("data", .strings(data))])
        plan.snippets.append(
            PlannedObject(
                apiVersion: "v1", kind: "ConfigMap", name: configMapName, namespace: namespace, manifest: manifest,
                wave: .config, sources: sources,
                provenance: [
                    "": FieldOrigin(
                        .builtinDefault("health checks Argo CD lacks for what nbgitops emits"),
                        rule: "merge into argocd-cm once; not listed in any kustomization")
                ]))
        return plan
    }
}
