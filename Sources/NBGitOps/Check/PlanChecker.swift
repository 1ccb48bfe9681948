/// The Check stage: rules over the planned objects of one environment, after overlays are
/// resolved and before anything is rendered or written.
///
/// The rules are `PlanRule` values (see `RuleEngine`), listed in `PlanRules.all`; each has an id
/// in `RuleCatalog` and a doc page in `docs/rules/`.
public enum PlanChecker {
    /// Runs every plan rule over every environment's plan (waivers apply across environments).
    public static func check(_ plans: [EnvironmentPlan], specs: SpecSet, diagnostics: DiagnosticCollector) {
        RuleEngine.run(plans, specs: specs, rules: PlanRules.all, diagnostics: diagnostics)
    }

    /// One environment.
    public static func check(_ plan: EnvironmentPlan, specs: SpecSet, diagnostics: DiagnosticCollector) {
        check([plan], specs: specs, diagnostics: diagnostics)
    }
}

/// Every plan rule, in id order.
public enum PlanRules {
    public static let all: [PlanRule] = [
        NameRules.derivedNames,
        ObjectRules.duplicates,
        JobSpecRules.reservedVolumes,
        PodRules.passthroughVolumes,
        StorageRules.undeclaredClaims,
        SecretReferenceRules.unprovidedSecrets,
        JobSpecRules.reservedEnvironment,
        JobSpecRules.namespaceUnmapped,
        NamespaceRules.systemNamespace,
        APIValueRules.containerValues,
        ResultsStoreRules.unusable,
        PlatformRules.secrets,
        StorageRules.concurrentMounts,
        StorageRules.mixedAccess,
        StorageRules.replicatedPredictor,
        StorageRules.accessModeNotOffered,
        StorageRules.modelClaimZone,
        PodRules.gpuUntolerated,
        PodRules.gpuRequestLimit,
        PodRules.gpuTolerationWithoutRequest,
        TektonRules.assistantUnreachable,
        TektonRules.affinityOverwritten,
        TektonRules.workspacesPerTask,
        TektonRules.betaFieldsInV1,
        TektonRules.internalRegistryTLSOff,
        TektonRules.credentialOnCommandLine,
        TektonRules.pipelinesSCCSeccomp,
        SecurityRules.sharedVolumeUIDs,
        SecurityRules.uidRange,
        SecurityRules.privilege,
        StorageRules.capacity,
        PlatformRules.s2iOnKubernetes,
        BuildRules.unbuildable,
        ModelPipelineRules.sourceJob,
        ModelPipelineRules.sourceVolume,
        ModelPipelineRules.imageNotPushed,
        ModelPipelineRules.modelcarDisabled,
        ModelPipelineRules.servedClaimUnwritten,
        ModelCarRules.workspace,
        ModelCarRules.layer,
        ModelCarRules.imageFilesystem,
        ModelCarRules.timeout,
        ModelCarRules.token,
        ModelCarRules.destination,
        ModelCarRules.modelcarUser,
        ModelCarRules.ephemeralStorage,
        ModelCarRules.runClaimKept,
        InjectedContainerRules.tektonRun,
        InjectedContainerRules.modelcar,
        SchedulingRules.unschedulable,  // and NBG301
        NamespaceRules.crossNamespaceModels,
        BuildRules.sourceStrategy,
        PlatformRules.openshiftAPI,
        PodRules.runtimeInstall,
        ResourceRules.resourcesUnset,
        DeliveryRules.settings,
        DeliveryRules.pruneDisabled,
        DeliveryRules.fluxCannotWait,
        DeliveryReuseRules.existingAppProject,
        ArgoInstanceRules.excludedKind,
        ArgoInstanceRules.healthChecksInConfigMap,
        PlatformFactRules.externalSecretsAPIVersion,
        PlatformFactRules.servingRuntimeNotInstalled,
        PlatformFactRules.gitCredentialsKeys,
        PlatformFactRules.buildahNodeProfiles,  // and NBG137 for images.buildah
        PlatformFactRules.argoSyncHeldOpen,
        ServingModeRules.serverless,
    ]
}
