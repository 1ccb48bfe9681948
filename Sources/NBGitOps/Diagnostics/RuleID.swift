/// The stable identifier of a diagnostic. Ids never change meaning once published:
/// tools, waivers and docs refer to them.
public struct RuleID: RawRepresentable, Hashable, Sendable, Comparable, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public static func < (lhs: RuleID, rhs: RuleID) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension RuleID {
    // Input and YAML structure (Load stage).
    public static let ioRead: RuleID = "NBG001"
    public static let yamlSyntax: RuleID = "NBG002"
    public static let yamlTab: RuleID = "NBG003"
    public static let yamlDuplicateKey: RuleID = "NBG004"
    public static let yamlAlias: RuleID = "NBG005"
    public static let yamlMergeKey: RuleID = "NBG006"
    public static let yamlTag: RuleID = "NBG007"
    public static let yamlLimit: RuleID = "NBG008"
    public static let yamlEncoding: RuleID = "NBG009"

    // Schema of specs, overlays and the project file (Decode stage).
    public static let documentKind: RuleID = "NBG100"
    public static let fieldType: RuleID = "NBG101"
    public static let fieldUnknown: RuleID = "NBG102"
    public static let fieldRequired: RuleID = "NBG103"
    public static let fieldEnum: RuleID = "NBG104"
    public static let fieldPattern: RuleID = "NBG105"
    public static let fieldRange: RuleID = "NBG106"
    public static let ambiguousScalar: RuleID = "NBG107"
    public static let gitURL: RuleID = "NBG110"
    public static let gitRef: RuleID = "NBG111"
    public static let notebookPath: RuleID = "NBG112"
    public static let duration: RuleID = "NBG113"
    public static let quantity: RuleID = "NBG114"
    public static let gitPlainHTTP: RuleID = "NBG115"
    public static let gitRefAbbreviated: RuleID = "NBG116"

    // Volumes (the operator's webhook rules, ADR-053).
    public static let volumeDuplicateName: RuleID = "NBG120"
    public static let volumeSourceCount: RuleID = "NBG121"
    public static let volumeMountUndeclared: RuleID = "NBG122"
    public static let volumeMountPathDuplicate: RuleID = "NBG123"
    public static let volumeReserved: RuleID = "NBG124"
    public static let volumeHostPath: RuleID = "NBG125"
    public static let claimNotProvided: RuleID = "NBG126"
    public static let volumeMode: RuleID = "NBG127"
    public static let volumePath: RuleID = "NBG128"
    public static let secretNotProvided: RuleID = "NBG129"

    // Names and objects.
    public static let nameInvalid: RuleID = "NBG130"
    public static let nameTooLong: RuleID = "NBG131"
    public static let objectDuplicate: RuleID = "NBG132"
    public static let envReserved: RuleID = "NBG133"
    public static let namespaceReplaced: RuleID = "NBG134"
    public static let passthroughKind: RuleID = "NBG135"
    public static let secretAsEnv: RuleID = "NBG136"
    public static let imageNotByDigest: RuleID = "NBG137"

    // Secrets.
    public static let secretLiteral: RuleID = "NBG140"

    // Builds.
    public static let buildUnavailable: RuleID = "NBG150"
    public static let buildRegistryMissing: RuleID = "NBG151"
    public static let buildSourceStrategy: RuleID = "NBG152"
    public static let buildTemplateInvalid: RuleID = "NBG153"

    // Overlays, environments and the project file (Resolve stage).
    public static let overlayNotFound: RuleID = "NBG160"
    public static let projectInvalid: RuleID = "NBG161"
    public static let environmentInvalid: RuleID = "NBG162"
    public static let specNotFound: RuleID = "NBG163"
    public static let resourcesMissing: RuleID = "NBG164"
    public static let deliveryPruneDisabled: RuleID = "NBG165"
    public static let deliveryIncomplete: RuleID = "NBG166"
    public static let deliverySkipped: RuleID = "NBG167"

    // Output (Write stage).
    public static let outputPath: RuleID = "NBG170"
    public static let outputWrite: RuleID = "NBG171"
    public static let outputUnownedGenerated: RuleID = "NBG172"

    // Waivers (`nbgitops.dev/waive` annotations).
    public static let waiverInvalid: RuleID = "NBG180"
    public static let waiverUnused: RuleID = "NBG181"

    // Plan rules (Check stage, over the planned objects of one environment).
    public static let rwoConcurrentMount: RuleID = "NBG200"
    public static let rwoMixedAccess: RuleID = "NBG201"
    public static let gpuUntolerated: RuleID = "NBG210"
    public static let gpuRequestLimit: RuleID = "NBG211"
    public static let gpuTolerationWithoutRequest: RuleID = "NBG212"
    public static let affinityAssistantUnreachable: RuleID = "NBG220"
    public static let affinityOverwritten: RuleID = "NBG221"
    public static let workspacesPerTask: RuleID = "NBG222"
    public static let tektonBetaField: RuleID = "NBG230"
    public static let sharedVolumeUIDs: RuleID = "NBG240"
    public static let uidOutsideRange: RuleID = "NBG241"
    public static let privilegeCapped: RuleID = "NBG250"
    public static let privilegeExcess: RuleID = "NBG251"
    public static let claimTooSmall: RuleID = "NBG260"
    public static let ephemeralStorageTooSmall: RuleID = "NBG261"
    public static let s2iOnKubernetes: RuleID = "NBG270"
    public static let openshiftAPI: RuleID = "NBG271"
    public static let runtimeInstallNoHome: RuleID = "NBG272"
    public static let resourcesUnset: RuleID = "NBG274"
    // NBG273 (retired, not reused): "an SSH clone on OpenShift with the default git image".
    // SSH clones now get a passwd entry by construction (the `git-passwd` init container).
}

/// What a rule is about, for `nbgitops rules` and the docs.
/// The compiler stage that reports a rule.
public enum RuleStage: String, Sendable, Hashable, CaseIterable {
    case load, decode, resolve, plan, check, write
}

public struct RuleDescription: Sendable, Hashable {
    public var id: RuleID
    public var severity: DiagnosticSeverity
    public var title: String
    /// Where it is reported (`RuleCatalog.stages`).
    public var stage: RuleStage
    /// Whether a `nbgitops.dev/waive` annotation can turn it into a note: Check-stage rules
    /// whose objects would still work, never the ones the API server rejects anyway.
    public var waivable: Bool

    public init(_ id: RuleID, _ severity: DiagnosticSeverity, _ title: String) {
        self.id = id
        self.severity = severity
        self.title = title
        let stage = RuleCatalog.stages[id] ?? .decode
        self.stage = stage
        self.waivable = stage == .check && !RuleCatalog.unwaivable.contains(id)
    }
}

/// The one registry of rules: id, severity, title, stage and waivability. `nbgitops rules`,
/// waivers, the doc-page tests and SARIF all read it.
public enum RuleCatalog {
    /// Stages other than decode (the default for NBG1xx).
    static let stages: [RuleID: RuleStage] = {
        var result: [RuleID: RuleStage] = [:]
        for id in ["NBG001", "NBG002", "NBG003", "NBG004", "NBG005", "NBG006", "NBG007", "NBG008", "NBG009"] {
            result[RuleID(stringLiteral: id)] = .load
        }
        // The plan rules (`PlanRules.all`), run by the Check stage over each environment's plan.
        for id in [
            "NBG120", "NBG121", "NBG122", "NBG123", "NBG124", "NBG125", "NBG126", "NBG127", "NBG128", "NBG129",
            "NBG130", "NBG134", "NBG140", "NBG152", "NBG165", "NBG180", "NBG181", "NBG200", "NBG201", "NBG210", "NBG211",
            "NBG212",
            "NBG220", "NBG221", "NBG222", "NBG230", "NBG240", "NBG241", "NBG250", "NBG251", "NBG260", "NBG261",
            "NBG270", "NBG271", "NBG272", "NBG274",
        ] {
            result[RuleID(stringLiteral: id)] = .check
        }
        // Reported while planning (names derived, builds, delivery objects).
        for id in ["NBG131", "NBG132", "NBG133", "NBG151", "NBG153", "NBG166", "NBG167"] {
            result[RuleID(stringLiteral: id)] = .plan
        }
        for id in ["NBG160", "NBG161", "NBG162", "NBG163", "NBG164"] { result[RuleID(stringLiteral: id)] = .resolve }
        for id in ["NBG170", "NBG171", "NBG172"] { result[RuleID(stringLiteral: id)] = .write }
        return result
    }()

    /// Check-stage rules whose findings the API server or the cluster would reject anyway (or
    /// that would corrupt the output): a waiver cannot make such an object work. Waivers
    /// themselves (NBG180, NBG181) cannot be waived.
    static let unwaivable: Set<RuleID> = [
        .volumeReserved, .volumeDuplicateName, .volumeSourceCount, .volumeMountUndeclared, .volumeMountPathDuplicate,
        .volumeHostPath, .volumeMode, .volumePath, .nameInvalid, .nameTooLong, .objectDuplicate, .gpuRequestLimit,
        .waiverInvalid, .waiverUnused,
        // Environment-wide findings (an overlay line, no spec document to carry a waiver).
        .deliveryPruneDisabled,
    ]

    /// The rules a waiver may name.
    public static var waivableIDs: Set<RuleID> { Set(all.filter(\.waivable).map(\.id)) }

    public static let all: [RuleDescription] = [
        RuleDescription(.ioRead, .error, "an input file cannot be read"),
        RuleDescription(.yamlSyntax, .error, "malformed YAML"),
        RuleDescription(.yamlTab, .error, "a tab character in indentation"),
        RuleDescription(.yamlDuplicateKey, .error, "a mapping key appears twice"),
        RuleDescription(.yamlAlias, .error, "anchors and aliases are refused (alias bombs, hidden sharing)"),
        RuleDescription(.yamlMergeKey, .error, "merge keys `<<` are refused"),
        RuleDescription(.yamlTag, .error, "an explicit tag other than the YAML core tags"),
        RuleDescription(.yamlLimit, .error, "input over a size, depth or node-count limit"),
        RuleDescription(.yamlEncoding, .error, "input is not valid UTF-8"),
        RuleDescription(.documentKind, .error, "a document is not a mapping or has an unknown apiVersion/kind"),
        RuleDescription(.fieldType, .error, "a field has the wrong type"),
        RuleDescription(.fieldUnknown, .error, "a field is not part of the schema"),
        RuleDescription(.fieldRequired, .error, "a required field is missing"),
        RuleDescription(.fieldEnum, .error, "a value is not one of the allowed values"),
        RuleDescription(.fieldPattern, .error, "a string does not match the schema's pattern"),
        RuleDescription(.fieldRange, .error, "a value or length is outside the schema's bounds"),
        RuleDescription(
            .ambiguousScalar, .error, "an unquoted value that YAML 1.1 reads as a bool, number or null where a string is expected"
        ),
        RuleDescription(.gitURL, .error, "a git URL is invalid or carries credentials"),
        RuleDescription(.gitRef, .error, "a git ref is not a valid branch, tag or commit"),
        RuleDescription(.notebookPath, .error, "a notebook path is not a relative `.ipynb` path inside the repository"),
        RuleDescription(.duration, .error, "a duration cannot be parsed"),
        RuleDescription(.quantity, .error, "a resource quantity cannot be parsed"),
        RuleDescription(.gitPlainHTTP, .warning, "a git URL uses plain http"),
        RuleDescription(.gitRefAbbreviated, .warning, "a git ref looks like an abbreviated commit SHA"),
        RuleDescription(.volumeDuplicateName, .error, "two volumes share a name"),
        RuleDescription(.volumeSourceCount, .error, "a volume does not have exactly one source"),
        RuleDescription(.volumeMountUndeclared, .error, "a volume mount names an undeclared volume"),
        RuleDescription(.volumeMountPathDuplicate, .error, "two volume mounts share a mount path"),
        RuleDescription(.volumeReserved, .error, "a volume name or mount path collides with one nbgitops uses"),
        RuleDescription(.volumeHostPath, .error, "hostPath volumes are refused"),
        RuleDescription(
            .claimNotProvided, .warning,
            "a mounted PersistentVolumeClaim is neither declared, listed as existing, nor managed; it must pre-exist"),
        RuleDescription(.volumeMode, .error, "a volume's defaultMode or an item's mode is outside 0-0777"),
        RuleDescription(.volumePath, .error, "a mount path is not absolute, or an items[].path or subPath escapes its volume"),
        RuleDescription(
            .secretNotProvided, .warning,
            "a referenced Secret is created by nothing in git and not listed in security.existingSecrets; it must pre-exist"),
        RuleDescription(.nameInvalid, .error, "a name is not a valid DNS-1123 name"),
        RuleDescription(.nameTooLong, .error, "a derived object name would exceed Kubernetes' length limit"),
        RuleDescription(.objectDuplicate, .error, "two inputs define the same object"),
        RuleDescription(.envReserved, .error, "a user env variable collides with one nbgitops sets"),
        RuleDescription(.namespaceReplaced, .warning, "a spec's namespace is replaced by the environment's namespace"),
        RuleDescription(.passthroughKind, .error, "a supporting object of a kind nbgitops cannot place"),
        RuleDescription(.secretAsEnv, .warning, "a Secret reaches the notebook container as environment variables"),
        RuleDescription(.imageNotByDigest, .warning, "a notebook image is named by tag only, not pinned by digest"),
        RuleDescription(.secretLiteral, .error, "literal secret material in an input"),
        RuleDescription(
            .buildUnavailable, .error,
            "a build strategy that is not available (kaniko, shipwright, custom; s2i outside OpenShift)"),
        RuleDescription(.buildRegistryMissing, .error, "a build on Kubernetes has no registry to push the image to"),
        RuleDescription(.buildSourceStrategy, .warning, "an S2I Source build needs a builder image with S2I scripts"),
        RuleDescription(
            .buildTemplateInvalid, .error, "a build template in templates/tekton or templates/argocd is missing or invalid"),
        RuleDescription(.overlayNotFound, .error, "an overlay cannot be found"),
        RuleDescription(.projectInvalid, .error, "the project file is invalid"),
        RuleDescription(.environmentInvalid, .error, "an environment's resolved settings are invalid"),
        RuleDescription(.specNotFound, .error, "a spec file or folder named by the project does not exist"),
        RuleDescription(
            .resourcesMissing, .error,
            "nbgitops' own resources (overlays/, templates/, docs/) are missing, or NBGITOPS_HOME does not hold them"),
        RuleDescription(.deliveryPruneDisabled, .warning, "prune is off: superseded validation Jobs stay in the cluster"),
        RuleDescription(
            .deliveryIncomplete, .error,
            "a delivery setting Argo CD or Flux needs is missing or invalid (repository URL, revision, path)"),
        RuleDescription(
            .deliverySkipped, .warning, "an ad-hoc render names no repository, so it has no delivery objects"),
        RuleDescription(.outputPath, .error, "an output path escapes the output folder"),
        RuleDescription(.outputWrite, .error, "the output folder cannot be written"),
        RuleDescription(
            .outputUnownedGenerated, .warning,
            "a file in an output folder carries nbgitops' header but its ownership ledger does not list it"),
        RuleDescription(
            .waiverInvalid, .error, "a `nbgitops.dev/waive` annotation is malformed, has no reason, or names an unknown rule"),
        RuleDescription(.waiverUnused, .warning, "a waiver names a rule that reported nothing for its object"),
        RuleDescription(
            .rwoConcurrentMount, .error, "a ReadWriteOnce claim is mounted by two or more workloads that can run at once"),
        RuleDescription(
            .rwoMixedAccess, .error, "a ReadWriteOnce claim is mounted read-write by one workload and read-only by another"),
        RuleDescription(.gpuUntolerated, .error, "a pod requests the GPU resource but does not tolerate the GPU nodes' taints"),
        RuleDescription(.gpuRequestLimit, .error, "the GPU resource's request differs from its limit"),
        RuleDescription(
            .gpuTolerationWithoutRequest, .warning,
            "a pod tolerates the GPU taints but requests no GPU (it can occupy a GPU node)"),
        RuleDescription(.affinityAssistantUnreachable, .error, "a task pod's placement cannot reach Tekton's affinity assistant"),
        RuleDescription(
            .affinityOverwritten, .error, "affinity in a podTemplate of a run with a PVC workspace (Tekton overwrites it)"),
        RuleDescription(
            .workspacesPerTask, .error, "a task binds more than one PVC-backed workspace under coschedule: workspaces"),
        RuleDescription(.tektonBetaField, .error, "a tekton.dev/v1 object uses a v1beta1 field that v1 drops or ignores"),
        RuleDescription(.sharedVolumeUIDs, .error, "containers share a volume as different users with no common group"),
        RuleDescription(.uidOutsideRange, .error, "a fixed runAsUser/fsGroup on OpenShift outside the namespace's UID range"),
        RuleDescription(
            .privilegeCapped, .error, "a ServiceAccount's pods need more privilege than the environment or its bindings allow"),
        RuleDescription(.privilegeExcess, .warning, "a binding grants a ServiceAccount more privilege than its pods need"),
        RuleDescription(.claimTooSmall, .error, "a claim is smaller than what the specs declare will be written into it"),
        RuleDescription(.ephemeralStorageTooSmall, .error, "ephemeral storage is smaller than what a build declares it writes"),
        RuleDescription(.s2iOnKubernetes, .error, "an S2I build on a plain Kubernetes environment"),
        RuleDescription(.openshiftAPI, .error, "an OpenShift-only API group in a Kubernetes environment"),
        RuleDescription(
            .runtimeInstallNoHome, .error, "a runtime `pip install` under OpenShift's random UID with no writable HOME"),
        RuleDescription(
            .resourcesUnset, .warning,
            "a validation container has no CPU or memory request or limit, even after the environment's defaults"),
    ]
}
