/// One spec kind's planner: the workload units it plans in an environment (the shared planners
/// give them identity, API access and storage) and the objects of its own. The route of a spec
/// kind is `SpecKinds` (kind → decoder) → `KindPlanners.all` (planner) → `PlanRules` (rules).
struct KindPlanner: Sendable {
    /// The spec kind (`NotebookValidationJob`).
    var kind: String
    /// The kind's workload units planned in this environment.
    var units: @Sendable (SpecSet, PlanContext) -> [WorkloadUnit]
    /// The kind's own objects, given the access the shared planner assigned its units.
    var plan: @Sendable (SpecSet, AccessPlanner.Result, PlanResources, PlanContext) -> KindPlan
}

/// What one spec kind's planner adds to an environment's plan.
struct KindPlan {
    /// Objects of the environment's manifests folder.
    var objects: [PlannedObject]
    /// The image builds the kind plans (Flux applies them from a folder of their own).
    var builds: BuildPlanner.Result?
    /// Objects applied only after every validation Job succeeded (the `serving` wave under
    /// Argo CD; Flux applies them from `<env>/serving/` by a Kustomization depending on the
    /// validation one).
    var serving: [PlannedObject] = []
    /// Templates the kind needed but could not use (NBG153, reported by the Check stage).
    var unusableTemplates: [UnusableTemplate] = []
}

/// The planners of the spec kinds nbgitops compiles, in the order their objects are planned.
enum KindPlanners {
    static let all: [KindPlanner] = [NotebookValidationPlanner.planner, ModelPipelinePlanner.planner]
}
