/// The planner of the NotebookValidationJob kind: image builds, the scripts ConfigMap, the
/// NetworkPolicy and one validation Job per spec. Identity and storage come from the shared
/// planners (`AccessPlanner`, `StoragePlanner`) over the jobs' `WorkloadUnit`s.
enum NotebookValidationPlanner {
    /// The kind's entry in `KindPlanners.all`.
    static let planner = KindPlanner(
        kind: SpecDecoder.jobKind,
        units: { specs, context in
            select(specs, context: context).flatMap { $0.workloadUnits(in: context.environment) }
        },
        plan: { specs, access, resources, context in
            plan(
                jobs: select(specs, context: context), access: access, scripts: resources.scripts,
                buildTemplates: resources.buildTemplates, context: context)
        })

    /// The jobs planned in this environment: one per name, on the platforms they target.
    static func select(_ specs: SpecSet, context: PlanContext) -> [NotebookValidationJob] {
        EnvironmentPlanner.uniqueJobs(specs.jobs).filter { EnvironmentPlanner.isPlanned($0, on: context.platform) }
    }

    /// The jobs in groups by the namespace they land in (`PlanContext.placed(in:)`), groups in
    /// the order their first job appears; each group with its placed context.
    static func byNamespace<Spec>(_ specs: [Spec], context: PlanContext, written: (Spec) -> Located<String>?)
        -> [(context: PlanContext, specs: [Spec])]
    {
        var order: [String] = []
        var groups: [String: (context: PlanContext, specs: [Spec])] = [:]
        for spec in specs {
            let placed = context.placed(in: written(spec))
            if groups[placed.namespace] == nil {
                order.append(placed.namespace)
                groups[placed.namespace] = (placed, [])
            }
            groups[placed.namespace]?.specs.append(spec)
        }
        return order.compactMap { groups[$0] }
    }

    /// Per namespace the jobs land in: its image builds (in `<namespace>-builds`), scripts
    /// ConfigMap, NetworkPolicy and Jobs.
    static func plan(
        jobs: [NotebookValidationJob], access accessPlan: AccessPlanner.Result, scripts: [ScriptFile],
        buildTemplates: BuildTemplates, context: PlanContext
    ) -> KindPlan {
        var objects: [PlannedObject] = []
        var builds = BuildPlanner.Result()
        for group in byNamespace(jobs, context: context, written: \.namespace) {
            let planned = plan(
                namespaceJobs: group.specs, access: accessPlan, scripts: scripts, buildTemplates: buildTemplates,
                context: group.context)
            objects += planned.objects
            if let result = planned.builds { builds.merge(result) }
        }
        return KindPlan(objects: objects, builds: builds)
    }

    /// The jobs of one namespace (`context` is placed there).
    static func plan(
        namespaceJobs jobs: [NotebookValidationJob], access accessPlan: AccessPlanner.Result, scripts: [ScriptFile],
        buildTemplates: BuildTemplates, context: PlanContext
    ) -> KindPlan {
        let accessByJob = Dictionary(
            jobs.compactMap { job in accessPlan.access[job.unitKey].map { (job.name.value, $0) } },
            uniquingKeysWith: { first, _ in first })
        let builds = BuildPlanner.plan(
            jobs: jobs, scripts: scripts, templates: buildTemplates, context: context,
            validationServiceAccounts: accessByJob.mapValues(\.serviceAccountName))
        guard !jobs.isEmpty else { return KindPlan(objects: [], builds: builds) }

        var objects: [PlannedObject] = []
        let configMap = EnvironmentPlanner.scriptsConfigMap(scripts, context: context)
        objects.append(configMap)
        objects.append(NetworkPolicyPlanner.plan(context: context))
        let checksum = EnvironmentPlanner.scriptsChecksum(scripts)
        // Jobs are planned independently (in parallel) and kept in spec order, as a sequential
        // run gives them.
        let images = builds.images
        let pullSecrets = builds.pullSecrets
        let scriptsName = configMap.name
        let defaultAccess = ValidationJobPlanner.Access(
            serviceAccountName: context.derivedName(EnvironmentPlanner.defaultServiceAccountBase), needsAPI: false)
        objects += Parallel.map(jobs) { job in
            ValidationJobPlanner.plan(
                job: job, access: accessByJob[job.name.value] ?? defaultAccess, scriptsConfigMap: scriptsName,
                scriptsChecksum: checksum, context: context, builtImage: images[job.name.value],
                imagePullSecrets: images[job.name.value] == nil ? [] : pullSecrets)
        }
        return KindPlan(objects: objects, builds: builds)
    }
}
