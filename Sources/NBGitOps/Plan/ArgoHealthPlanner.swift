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
/// and a GitOps sync never overwrites controller configuration.
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
    // Platform fact: on an operator-managed instance this check belongs in the ArgoCD resource's
    // `resourceHealthChecks`, not argocd-cm.
    public static let persistentVolumeClaim = Check(group: "", kind: "PersistentVolumeClaim", file: "health-pvc.lua")
    public static let all = [pipelineRun, build, imageStream, job, persistentVolumeClaim]

    public static let configMapName = "argocd-cm"

    /// The checks an environment needs: PipelineRun always (builds may add PipelineRuns at any
    /// time), Build when any `build.openshift.io` object (S2I) is emitted.
    public static func checks(for objects: [PlannedObject]) -> [Check] {
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
        return [pipelineRun] + (usesS2I ? [build] : []) + (awaitsTags ? [imageStream] : []) + (validates ? [job] : [])
            + (claimsOutside ? [persistentVolumeClaim] : [])
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
        for check in checks(for: plan.objects) {
            guard let text = scripts[check.file] else {
                plan.unusableTemplates.append(
                    UnusableTemplate(
                        file: "templates/argocd/\(check.file)",
                        problem: "the Argo CD health check templates/argocd/\(check.file) is missing"))
                continue
            }
            data[check.dataKey] = text
            sources.append(.startOf("templates/argocd/\(check.file)"))
        }
        guard !data.isEmpty else { return plan }
        let namespace = DeliveryPlanner.controllerNamespace(context)
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
