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
    public static let labelValue: RuleID = "NBG109"
    public static let gitURL: RuleID = "NBG110"
    public static let gitRef: RuleID = "NBG111"
    public static let notebookPath: RuleID = "NBG112"
    public static let duration: RuleID = "NBG113"
    public static let quantity: RuleID = "NBG114"
    public static let gitPlainHTTP: RuleID = "NBG115"
    public static let gitRefAbbreviated: RuleID = "NBG116"
    public static let modelSourceShape: RuleID = "NBG117"
    public static let modelRevision: RuleID = "NBG118"
    public static let modelWeightFormats: RuleID = "NBG119"

    // Volumes (the operator's webhook rules, ADR-053).
    public static let volumeDuplicateName: RuleID = "NBG120"
    public static let volumeSourceCount: RuleID = "NBG121"
    public static let volumeMountUndeclared: RuleID = "NBG122"
    public static let volumeMountPathDuplicate: RuleID = "NBG123"
    public static let volumeMode: RuleID = "NBG127"
    public static let volumePath: RuleID = "NBG128"

    // Names and objects.
    public static let nameInvalid: RuleID = "NBG130"
    public static let passthroughKind: RuleID = "NBG135"
    public static let secretAsEnv: RuleID = "NBG136"
    public static let imageNotByDigest: RuleID = "NBG137"

    // Secrets.

    // Patches and extra metadata from overlays (applied between Plan and Check).
    public static let patchNoMatch: RuleID = "NBG145"
    public static let patchIdentity: RuleID = "NBG146"
    public static let patchInvalid: RuleID = "NBG147"

    // Builds.
    public static let buildUnavailable: RuleID = "NBG150"
    public static let buildTemplateInvalid: RuleID = "NBG153"

    // Overlays, environments and the project file (Resolve stage).
    public static let overlayNotFound: RuleID = "NBG160"
    public static let projectInvalid: RuleID = "NBG161"
    public static let environmentInvalid: RuleID = "NBG162"
    public static let specNotFound: RuleID = "NBG163"
    public static let resourcesMissing: RuleID = "NBG164"
    public static let namespaceRangeShared: RuleID = "NBG322"
    public static let platformFactMismatch: RuleID = "NBG334"
    public static let deliveryNameCollision: RuleID = "NBG350"

    // Output (Write stage).
    public static let outputPath: RuleID = "NBG170"
    public static let outputWrite: RuleID = "NBG171"
    public static let outputUnownedGenerated: RuleID = "NBG172"
    public static let outputImmutableField: RuleID = "NBG173"
    public static let outputLocked: RuleID = "NBG176"
    public static let outputLeftover: RuleID = "NBG177"

    // Waivers (`nbgitops.dev/waive` annotations).
    public static let waiverInvalid: RuleID = "NBG180"
    public static let waiverUnused: RuleID = "NBG181"

    // The ref lock (`nbgitops.lock`).
    public static let refLockInvalid: RuleID = "NBG183"
    public static let refNotLocked: RuleID = "NBG184"
    public static let refLockStale: RuleID = "NBG185"

    // Plan rules (Check stage, over the planned objects of one environment): their ids are
    // declared in the rule files of Check/Rules/.
    // NBG273 (retired, not reused): "an SSH clone on OpenShift with the default git image".
    // SSH clones now get a passwd entry by construction (the `git-passwd` init container).
}

/// The compiler stage that reports a rule. The Plan stage reports nothing: what a planner
/// cannot build it leaves out and records on the plan (derived names, dropped duplicates,
/// unusable templates), and the Check stage's rules report it.
public enum RuleStage: String, Sendable, Hashable, CaseIterable {
    case load, decode, resolve, check, write
}

/// What a rule is: its id, severity, title, the stage that reports it and whether a waiver may
/// turn its findings into notes. `nbgitops rules`, waivers, the docs test and SARIF read it.
public struct RuleDescription: Sendable, Hashable {
    public var id: RuleID
    public var severity: DiagnosticSeverity
    public var title: String
    /// Where it is reported.
    public var stage: RuleStage
    /// Whether a `nbgitops.dev/waive` annotation can turn it into a note: Check-stage rules
    /// whose objects would still work, never the ones the API server rejects anyway.
    public var waivable: Bool

    public init(
        _ id: RuleID, _ severity: DiagnosticSeverity, _ title: String, stage: RuleStage = .decode, waivable: Bool = false
    ) {
        self.id = id
        self.severity = severity
        self.title = title
        self.stage = stage
        self.waivable = stage == .check && waivable
    }

    /// A Check-stage rule: waivable unless its objects would not work whatever the reason (the
    /// API server rejects them, or the finding is environment-wide with no spec to carry a waiver).
    public static func check(
        _ id: RuleID, _ severity: DiagnosticSeverity, _ title: String, waivable: Bool = true
    ) -> RuleDescription {
        RuleDescription(id, severity, title, stage: .check, waivable: waivable)
    }
}

/// The one registry of rules. Check-stage rules describe themselves where they are defined
/// (`PlanRule`, in Check/Rules/); the rest are listed here. Adding a plan rule is one file in
/// Check/Rules/ (id, description, check), its line in `PlanRules.all`, its doc page and fixtures.
public enum RuleCatalog {
    /// Every rule, sorted by id.
    public static let all: [RuleDescription] =
        (compilerRules + PlanRules.all.flatMap(\.descriptions)).sorted { $0.id < $1.id }

    /// The rules a waiver may name.
    public static var waivableIDs: Set<RuleID> { Set(all.filter(\.waivable).map(\.id)) }

    /// The rules reported outside the Check stage's rule files (load, decode, resolve, plan,
    /// write, waivers), and decode-stage ids the Check stage also reports for passed-through
    /// objects. A Check-stage rule describes itself in its `PlanRule` (Check/Rules/).
    static let compilerRules: [RuleDescription] = [
        RuleDescription(.ioRead, .error, "an input file cannot be read", stage: .load),
        RuleDescription(.yamlSyntax, .error, "malformed YAML", stage: .load),
        RuleDescription(.yamlTab, .error, "a tab character in indentation", stage: .load),
        RuleDescription(.yamlDuplicateKey, .error, "a mapping key appears twice", stage: .load),
        RuleDescription(.yamlAlias, .error, "anchors and aliases are refused (alias bombs, hidden sharing)", stage: .load),
        RuleDescription(.yamlMergeKey, .error, "merge keys `<<` are refused", stage: .load),
        RuleDescription(.yamlTag, .error, "an explicit tag other than the YAML core tags", stage: .load),
        RuleDescription(.yamlLimit, .error, "input over a size, depth or node-count limit", stage: .load),
        RuleDescription(.yamlEncoding, .error, "input is not valid UTF-8", stage: .load),
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
        RuleDescription(.labelValue, .error, "a label value the API server rejects (over 63 characters or not [A-Za-z0-9._-])"),
        RuleDescription(.gitURL, .error, "a git URL is invalid or carries credentials"),
        RuleDescription(.gitRef, .error, "a git ref is not a valid branch, tag or commit"),
        RuleDescription(.notebookPath, .error, "a notebook path is not a relative `.ipynb` path inside the repository"),
        RuleDescription(.duration, .error, "a duration cannot be parsed"),
        RuleDescription(.quantity, .error, "a resource quantity cannot be parsed"),
        RuleDescription(.gitPlainHTTP, .warning, "a git URL uses plain http"),
        RuleDescription(.gitRefAbbreviated, .warning, "a git ref looks like an abbreviated commit SHA"),
        RuleDescription(
            .modelSourceShape, .error, "a ModelPipeline's source, delivery and modelcar settings contradict each other"),
        RuleDescription(.modelRevision, .error, "a Hugging Face revision is not a full commit SHA"),
        RuleDescription(.modelWeightFormats, .error, "a ModelPipeline's file patterns fetch no weight format, or more than one"),
        RuleDescription(.volumeDuplicateName, .error, "two volumes share a name", stage: .check),
        RuleDescription(.volumeSourceCount, .error, "a volume does not have exactly one source", stage: .check),
        RuleDescription(.volumeMountUndeclared, .error, "a volume mount names an undeclared volume", stage: .check),
        RuleDescription(.volumeMountPathDuplicate, .error, "two volume mounts share a mount path", stage: .check),
        RuleDescription(.volumeMode, .error, "a volume's defaultMode or an item's mode is outside 0-0777", stage: .check),
        RuleDescription(
            .volumePath, .error, "a mount path is not absolute, or an items[].path or subPath escapes its volume", stage: .check),
        RuleDescription(.nameInvalid, .error, "a name is not a valid DNS-1123 name", stage: .check),
        RuleDescription(.passthroughKind, .error, "a supporting object of a kind nbgitops cannot place"),
        RuleDescription(.secretAsEnv, .warning, "a Secret reaches the notebook container as environment variables"),
        RuleDescription(.imageNotByDigest, .warning, "a notebook image is named by tag only, not pinned by digest"),
        RuleDescription(.patchNoMatch, .error, "an overlay's patch or metadata selector matches no object", stage: .check),
        RuleDescription(
            .patchIdentity, .error, "an overlay's patch changes or removes an object's apiVersion, kind, name or namespace",
            stage: .check),
        RuleDescription(
            .patchInvalid, .error,
            "an overlay's patch cannot be read or applied (a missing file, a path that does not exist, a failed test)",
            stage: .check),
        RuleDescription(
            .buildUnavailable, .error,
            "a build strategy that is not available (kaniko, shipwright, custom; s2i outside OpenShift)"),
        RuleDescription(
            .buildTemplateInvalid, .error, "a build template in templates/tekton or templates/argocd is missing or invalid",
            stage: .check),
        RuleDescription(.overlayNotFound, .error, "an overlay cannot be found", stage: .resolve),
        RuleDescription(.projectInvalid, .error, "the project file is invalid", stage: .resolve),
        RuleDescription(.environmentInvalid, .error, "an environment's resolved settings are invalid", stage: .resolve),
        RuleDescription(.specNotFound, .error, "a spec file or folder named by the project does not exist", stage: .resolve),
        RuleDescription(
            .resourcesMissing, .error,
            "nbgitops' own resources (overlays/, templates/, docs/) are missing, or NBGITOPS_HOME does not hold them",
            stage: .resolve),
        RuleDescription(
            .namespaceRangeShared, .error, "two namespaces are pinned to the same OpenShift UID block or MCS level",
            stage: .resolve),
        RuleDescription(.outputPath, .error, "an output path escapes the output folder", stage: .write),
        RuleDescription(.outputWrite, .error, "the output folder cannot be written", stage: .write),
        RuleDescription(
            .outputUnownedGenerated, .warning,
            "a file in an output folder carries nbgitops' header but its ownership ledger does not list it", stage: .write),
        RuleDescription(
            .outputImmutableField, .error,
            "an object keeps its name while a field the API server refuses to update changes", stage: .write),
        RuleDescription(
            .outputLocked, .error, "another nbgitops run holds the output folder for longer than the lock timeout",
            stage: .write),
        RuleDescription(
            .outputLeftover, .warning,
            "the output folder holds an interrupted run's staging folder or a removed environment's folder",
            stage: .write),
        RuleDescription(
            .waiverInvalid, .error, "a `nbgitops.dev/waive` annotation is malformed, has no reason, or names an unknown rule",
            stage: .check),
        RuleDescription(.waiverUnused, .warning, "a waiver names a rule that reported nothing for its object", stage: .check),
        RuleDescription(.refLockInvalid, .error, "the ref lock file nbgitops.lock is malformed", stage: .resolve),
        RuleDescription(.refNotLocked, .warning, "a branch or tag ref has no commit in the ref lock file"),
        RuleDescription(
            .refLockStale, .error, "a locked commit is no longer where its branch or tag points",
            stage: .resolve),
        RuleDescription(
            .platformFactMismatch, .error, "a platform fact an overlay declares differs from the cluster",
            stage: .resolve),
        RuleDescription(
            .deliveryNameCollision, .error,
            "two environments' delivery objects would have the same name in one Argo CD or Flux namespace",
            stage: .check),
    ]
}
