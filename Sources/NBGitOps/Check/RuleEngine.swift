import Foundation

/// The rule engine of the Check stage.
///
/// A `PlanRule` is a value: a stable id (its severity and title live in `RuleCatalog`, its doc
/// page in `docs/rules/<id>.md`) and a check over one environment's plan — the objects after
/// overlays are resolved, before anything is rendered or written. Rules report `Finding`s
/// through a `RuleContext`, which knows how to trace a planned object back to the spec or
/// overlay line that caused it, and which spec document it belongs to (for waivers).
///
/// Waivers: a spec document of any kind (`SpecKinds.documents`) may carry
/// `metadata.annotations["nbgitops.dev/waive"]` with entries `RULE-ID: reason`, separated by
/// newlines or `;`. A waived finding on that document is reported as a note that echoes the
/// reason; a waiver never applies to another document or globally. A waiver without a reason,
/// for an unknown rule, or for a rule that is checked while decoding is an error (`NBG180`);
/// one that waived nothing in any environment is a warning (`NBG181`).
public struct PlanRule: Sendable {
    /// The rule's id, severity, title and waivability (stage: check).
    public var description: RuleDescription
    /// Further rules of this file computed by the same check (`NBG251` with `NBG250`).
    public var alsoDescribes: [RuleDescription]
    /// Ids of rules described elsewhere that this check also reports (the decode stage's
    /// volume rules, applied to passed-through pods).
    public var alsoReports: [RuleID]
    public var check: @Sendable (RuleContext) -> Void

    public init(
        _ id: RuleID, _ severity: DiagnosticSeverity, _ title: String, waivable: Bool = true,
        alsoDescribes: [RuleDescription] = [], alsoReports: [RuleID] = [],
        check: @escaping @Sendable (RuleContext) -> Void
    ) {
        self.description = .check(id, severity, title, waivable: waivable)
        self.alsoDescribes = alsoDescribes
        self.alsoReports = alsoReports
        self.check = check
    }

    public var id: RuleID { description.id }
    /// The descriptions this rule contributes to the registry.
    public var descriptions: [RuleDescription] { [description] + alsoDescribes }
    /// Every id this rule can report.
    public var ids: [RuleID] { [id] + alsoDescribes.map(\.id) + alsoReports }

    public var severity: DiagnosticSeverity { description.severity }
    public var title: String { description.title }
    /// The rule's doc page, relative to the resource root.
    public var docPage: String { RuleDocs.relativePath(id) }
}

/// Identifies one spec document: the unit a waiver applies to.
public struct DocumentKey: Hashable, Sendable, Comparable {
    public var file: String
    public var index: Int

    public init(file: String, index: Int) {
        self.file = file
        self.index = index
    }

    public static func < (lhs: DocumentKey, rhs: DocumentKey) -> Bool { (lhs.file, lhs.index) < (rhs.file, rhs.index) }
}

/// One thing a rule found.
public struct Finding: Sendable {
    public var diagnostic: Diagnostic
    /// The spec document the finding is about (nil: environment-wide, cannot be waived).
    public var subject: DocumentKey?
}

/// What a rule sees: the plan, the specs, the environment, and location helpers.
public final class RuleContext: @unchecked Sendable {
    public let plan: EnvironmentPlan
    public let specs: SpecSet
    let index: SpecIndex
    public private(set) var findings: [Finding] = []
    var currentRule: RuleID = "NBG000"
    var currentSeverity: DiagnosticSeverity = .error

    public convenience init(plan: EnvironmentPlan, specs: SpecSet) {
        self.init(plan: plan, index: SpecIndex(specs))
    }

    /// `SecurityRules.needs` of each unit, by `PodUnit.position` (set by `RuleSession`).
    let needsByUnit: [[SecurityRules.Need]]?

    init(
        plan: EnvironmentPlan, index: SpecIndex, units: [PodUnit]? = nil, needsByUnit: [[SecurityRules.Need]]? = nil,
        facts: PlanFacts? = nil
    ) {
        self.plan = plan
        self.specs = index.specs
        self.index = index
        self.needsByUnit = needsByUnit
        if let units { self.unitsStorage = units }
        if let facts { self.factsStorage = facts }
    }

    /// Every pod shape of the plan (computed once per environment, shared by the rules).
    public var units: [PodUnit] { cached(\.unitsStorage) { Workloads.units($0.plan) } }

    /// The typed facts of the plan (`PlanFacts`: built once per environment by the rule
    /// session, shared by the rules; built here on first use for a context made elsewhere).
    var facts: PlanFacts {
        let units = self.units
        return cached(\.factsStorage) { context in
            PlanFacts.build(context.plan, specs: context.specs, units: units, needs: context.needsByUnit)
        }
    }

    /// Guards the caches below and `findings`: one context may be read by several threads
    /// (`SecurityRules.computeNeeds` runs per unit in parallel over one shared context).
    private let stateLock = NSLock()
    private var unitsStorage: [PodUnit]?
    private var bindingsStorage: [String: [PlannedObject]]?
    private var objectsStorage: [String: PlannedObject]?
    private var factsStorage: PlanFacts?

    /// The cached value at `key`, computed once under the lock.
    private func cached<Value>(
        _ key: ReferenceWritableKeyPath<RuleContext, Value?>, _ compute: (RuleContext) -> Value
    ) -> Value {
        stateLock.lock()
        defer { stateLock.unlock() }
        if let value = self[keyPath: key] { return value }
        let value = compute(self)
        self[keyPath: key] = value
        return value
    }

    /// The plan's RoleBindings by the ServiceAccounts among their subjects, in plan order.
    private var bindingsBySubject: [String: [PlannedObject]] {
        cached(\.bindingsStorage) { context in Self.bindings(of: context.plan) }
    }

    private static func bindings(of plan: EnvironmentPlan) -> [String: [PlannedObject]] {
        var result: [String: [PlannedObject]] = [:]
        for binding in plan.objects where binding.kind == "RoleBinding" {
            var named: Set<String> = []
            for subject in binding.manifest["subjects"]?.elements ?? [] {
                guard subject["kind"]?.stringValue == "ServiceAccount", let name = subject["name"]?.stringValue else {
                    continue
                }
                let namespace = subject["namespace"]?.stringValue ?? binding.namespace ?? ""
                for key in [name, namespace + "/" + name] where named.insert(key).inserted {
                    result[key, default: []].append(binding)
                }
            }
        }
        return result
    }

    /// The plan's objects by kind and name (the first of each).
    private var objectsByKindAndName: [String: PlannedObject] {
        cached(\.objectsStorage) { context in
            var result: [String: PlannedObject] = [:]
            for object in context.plan.objects {
                for key in [object.kind + "/" + object.name, object.kind + "/" + (object.namespace ?? "") + "/" + object.name]
                where result[key] == nil {
                    result[key] = object
                }
            }
            return result
        }
    }

    /// The first object of the plan of kind `kind` named `name`.
    /// With `namespace`: the object of that kind and name in that namespace (objects of one
    /// name in two namespaces are two objects).
    public func object(kind: String, name: String, namespace: String? = nil) -> PlannedObject? {
        guard let namespace else { return objectsByKindAndName[kind + "/" + name] }
        return objectsByKindAndName[kind + "/" + namespace + "/" + name]
    }

    /// RoleBindings of the plan with the ServiceAccount `account` of `namespace` among their
    /// subjects (a subject without a namespace is the binding's own namespace's account); with
    /// no namespace, of any namespace.
    public func roleBindings(naming account: String, namespace: String? = nil) -> [PlannedObject] {
        guard let namespace else { return bindingsBySubject[account] ?? [] }
        return bindingsBySubject[namespace + "/" + account] ?? []
    }

    /// The plan's Role (in `namespace`, the binding's) or ClusterRole (`kind`) named `name`.
    public func role(kind: String, name: String, namespace: String? = nil) -> PlannedObject? {
        switch kind {
        case "Role": return object(kind: kind, name: name, namespace: namespace)
        case "ClusterRole": return object(kind: kind, name: name)
        default: return nil
        }
    }

    public var environment: Environment { plan.environment }
    public var platform: Platform { plan.environment.platform.value }

    /// Reports a finding of the running rule (its catalog severity unless given).
    /// `rule` reports under one of the running rule's `alsoReports` ids (with its catalog severity).
    public func report(
        _ message: String, at location: SourceLocation?, rule: RuleID? = nil, severity: DiagnosticSeverity? = nil,
        help: String? = nil, notes: [DiagnosticNote] = [], subject: DocumentKey?
    ) {
        let id = rule ?? currentRule
        let catalogSeverity = rule.flatMap { id in RuleCatalog.all.first { $0.id == id }?.severity } ?? currentSeverity
        stateLock.lock()
        defer { stateLock.unlock() }
        findings.append(
            Finding(
                diagnostic: Diagnostic(id, severity ?? catalogSeverity, message, at: location, help: help, notes: notes),
                subject: subject))
    }

    // MARK: Tracing planned objects back to their inputs

    /// The supporting object a planned object was passed through from.
    public func supportingObject(for object: PlannedObject) -> SupportingObject? {
        guard let source = object.sources.first else { return nil }
        return index.supportingObject(at: source, kind: object.kind)
    }

    /// The jobs planned in this environment (a job may target one platform only).
    public var plannedJobs: [NotebookValidationJob] {
        let planned = Set(plan.objects.lazy.filter { $0.kind == "Job" }.compactMap { self.job(for: $0)?.name.value })
        return specs.jobs.filter { planned.contains($0.name.value) }
    }

    /// The NotebookValidationJob a generated validation Job was planned from.
    public func job(for object: PlannedObject) -> NotebookValidationJob? {
        guard object.kind == "Job", let source = object.sources.first else { return nil }
        return index.job(nameLocation: source)
    }

    /// The spec document an object came from (for waivers): a passed-through object's, a
    /// validation Job's, or for any other generated object (builds) the document its first
    /// source lies in.
    public func subject(for object: PlannedObject) -> DocumentKey? {
        if let passed = supportingObject(for: object) { return DocumentKey(file: passed.file, index: passed.documentIndex) }
        if let job = job(for: object) { return DocumentKey(file: job.file, index: job.documentIndex) }
        guard let source = object.sources.first else { return nil }
        return index.document(at: source)
    }

    /// The job whose spec document holds a generated object's first source (builds planned
    /// from a job's `buildConfig`).
    func owningJob(of object: PlannedObject) -> NotebookValidationJob? {
        if let job = job(for: object) { return job }
        guard let source = object.sources.first, let key = index.document(at: source) else { return nil }
        return index.job(document: key)
    }

    public func subject(for job: NotebookValidationJob) -> DocumentKey {
        DocumentKey(file: job.file, index: job.documentIndex)
    }

    /// Where a field of a planned object was written: the field itself in a passed-through
    /// object (or its nearest written ancestor), `specPath` in the job's spec for a generated
    /// validation Job, else the object's first source.
    public func location(of object: PlannedObject, path: String, specPath: String? = nil) -> SourceLocation? {
        if let patched = PlanPatcher.location(in: object.patchedFields, for: path) { return patched }
        if let passed = supportingObject(for: object) {
            return passed.sourceMap.nearest(path) ?? passed.location
        }
        if let job = job(for: object) {
            if let specPath, let location = job.sourceMap.nearest(specPath) { return location }
            return job.name.location
        }
        if let specPath, let job = owningJob(of: object), let location = job.sourceMap.nearest(specPath) {
            return location
        }
        return object.sources.first
    }
}

/// Runs the plan rules over every environment's plan and applies waivers.
public enum RuleEngine {

    /// A parsed waiver entry.
    public struct Waiver: Sendable, Hashable {
        public var rule: RuleID
        public var reason: String
        public var location: SourceLocation
        public var subject: DocumentKey
    }

    /// Runs `rules` over each plan; reports findings, waived ones as notes.
    public static func run(
        _ plans: [EnvironmentPlan], specs: SpecSet, rules: [PlanRule] = PlanRules.all, diagnostics: DiagnosticCollector
    ) {
        let session = RuleSession(specs: specs, rules: rules, diagnostics: diagnostics)
        for plan in plans { session.check(plan) }
        session.finish()
    }

    /// Check-stage rules no waiver can turn off (from the registry, `RuleCatalog`).
    public static var unwaivable: Set<RuleID> {
        Set(RuleCatalog.all.filter { $0.stage == .check && !$0.waivable }.map(\.id))
    }

    static func waive(_ diagnostic: inout Diagnostic, by waiver: Waiver) {
        diagnostic.severity = .note
        diagnostic.message = "waived: " + diagnostic.message
        diagnostic.notes.append(DiagnosticNote("waived by annotation: \(waiver.reason)", at: waiver.location))
        diagnostic.help = nil
        diagnostic.waiverReason = waiver.reason
    }

    /// Every waiver of every spec document; malformed ones are reported and dropped.
    static func parseWaivers(_ specs: SpecSet, waivable: Set<RuleID>, diagnostics: DiagnosticCollector) -> [Waiver] {
        // Every document of every spec kind carries its own waivers.
        var documents: [(DocumentKey, String, SourceLocation)] = []
        let key = "metadata.annotations" + SourceMap.component(AnnotationKey.waive)
        for document in SpecKinds.documents(in: specs) {
            guard let text = document.annotations[AnnotationKey.waive] else { continue }
            documents.append((document.key, text, document.sourceMap[key] ?? document.location))
        }
        var result: [Waiver] = []
        for (subject, text, location) in documents {
            let entries = text.split(whereSeparator: { $0 == "\n" || $0 == ";" })
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if entries.isEmpty {
                diagnostics.error(
                    .waiverInvalid, "empty \(AnnotationKey.waive) annotation", at: location,
                    help: "write 'RULE-ID: reason', e.g. 'NBG212: this pod reserves a GPU node on purpose'")
            }
            for entry in entries {
                let parts = entry.split(separator: ":", maxSplits: 1)
                let id = RuleID(rawValue: parts.first.map { $0.trimmingCharacters(in: .whitespaces).uppercased() } ?? "")
                let reason = parts.count == 2 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
                guard RuleCatalog.all.contains(where: { $0.id == id }) else {
                    diagnostics.error(
                        .waiverInvalid, "waiver names unknown rule '\(id.rawValue)'", at: location,
                        help: "run `nbgitops rules` for the rule ids")
                    continue
                }
                guard waivable.contains(id) else {
                    let why =
                        unwaivable.contains(id)
                        ? "the cluster rejects or loses such objects whatever the reason"
                        : "it is checked while reading the input"
                    diagnostics.error(
                        .waiverInvalid, "\(id.rawValue) cannot be waived: \(why)",
                        at: location,
                        help: "fix the input; waivable rules: \(waivable.map(\.rawValue).sorted().joined(separator: ", "))")
                    continue
                }
                guard !reason.isEmpty else {
                    diagnostics.error(
                        .waiverInvalid, "waiver for \(id.rawValue) gives no reason", at: location,
                        help: "write '\(id.rawValue): why this is safe here'; reviewers read the reason in the diff")
                    continue
                }
                result.append(Waiver(rule: id, reason: reason, location: location, subject: subject))
            }
        }
        return result
    }
}

/// Where the rule doc pages live: `docs/rules/<ID>.md` under the resource root (next to
/// `overlays/` and `templates/`), so `nbgitops rules ID` reads the same files the repository
/// publishes, and a test checks that every catalog rule has one and every page a rule.
public enum RuleDocs {
    public static let folder = "docs/rules"

    public static func relativePath(_ id: RuleID) -> String { "\(folder)/\(id.rawValue).md" }

    /// The doc page text of a rule, or nil when the page is missing.
    public static func page(_ id: RuleID, resources: ResourceRoot) -> String? {
        let path = (resources.path as NSString).appendingPathComponent(relativePath(id))
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(data: data, encoding: .utf8)
    }
}

/// One run of the plan rules over the environments of a compile, one environment at a time
/// (the pipeline plans, checks and renders an environment before the next, so only one
/// environment's plan is in memory). Waivers are parsed once; `finish` reports the waivers
/// that matched nothing in any environment.
public final class RuleSession {
    let rules: [PlanRule]
    let diagnostics: DiagnosticCollector
    let index: SpecIndex
    let waivable: Set<RuleID>
    let waivers: [RuleEngine.Waiver]
    /// Waivers by document and rule (a finding looks its waiver up here).
    let waiverLookup: [WaiverKey: RuleEngine.Waiver]
    var used: Set<RuleEngine.Waiver> = []
    /// Environments that run pods but declare no node pools, where NBG300/NBG301 did not
    /// apply: `finish()` says so once for the whole run, not once per pod.
    var unpooled: [Environment] = []
    /// The delivery objects of the environments checked so far (NBG350).
    var deliveryNames = DeliveryNameCollisions()
    /// Seconds each rule's check took, summed over the environments (rules run in parallel, so
    /// these add up to more than the stage's wall time); `--timings` lists the costliest.
    public private(set) var ruleSeconds: [RuleID: Double] = [:]
    /// Seconds spent building what the rules share (pod units, facts, needs), summed.
    public private(set) var sharedSeconds = 0.0

    struct WaiverKey: Hashable {
        var subject: DocumentKey
        var rule: RuleID
    }

    public init(specs: SpecSet, rules: [PlanRule] = PlanRules.all, diagnostics: DiagnosticCollector) {
        self.rules = rules
        self.diagnostics = diagnostics
        self.index = SpecIndex(specs)
        // The registry says which rules a waiver may name; only those this session runs apply.
        let waivable = Set(rules.flatMap(\.ids)).intersection(RuleCatalog.waivableIDs)
        self.waivable = waivable
        let waivers = RuleEngine.parseWaivers(specs, waivable: waivable, diagnostics: diagnostics)
        self.waivers = waivers
        var lookup: [WaiverKey: RuleEngine.Waiver] = [:]
        for waiver in waivers where lookup[WaiverKey(subject: waiver.subject, rule: waiver.rule)] == nil {
            lookup[WaiverKey(subject: waiver.subject, rule: waiver.rule)] = waiver
        }
        self.waiverLookup = lookup
    }

    /// Checks one environment's plan and reports its findings, waived ones as notes.
    public func check(_ plan: EnvironmentPlan) {
        // Flux keeps build and serving objects in folders of their own (`buildObjects`,
        // `servingObjects`); the rules see them with everything else the environment applies.
        var combined = plan
        combined.objects = plan.objects + plan.buildObjects + plan.servingObjects
        combined.buildObjects = []
        combined.servingObjects = []
        let checked = combined
        deliveryNames.check(plan, diagnostics: diagnostics)
        let sharedStart = Date()
        let units = Workloads.units(checked)
        if plan.environment.nodePools.value.isEmpty, !units.isEmpty, rules.contains(where: { $0.id == .unschedulable }) {
            unpooled.append(plan.environment)
        }
        let index = self.index
        // What each pod needs (privilege, capabilities, …): several rules ask, so it is
        // computed once per unit, in parallel. `computeNeeds` reads only the plan, the
        // environment and the immutable `SpecIndex` (no lazy state, no findings), so one
        // context serves every thread.
        let needsContext = RuleContext(plan: checked, index: index, units: units)
        let needsByUnit = Parallel.map(units) { unit in SecurityRules.computeNeeds(unit, context: needsContext) }
        let facts = PlanFacts.build(checked, specs: index.specs, units: units, needs: needsByUnit)
        sharedSeconds += Date().timeIntervalSince(sharedStart)
        // Rules are independent: they run in parallel, each with its own context; findings
        // are merged in rule order, as a sequential run reports them.
        let findingsByRule = Parallel.map(rules) { rule -> ([Finding], Double) in
            let started = Date()
            let context = RuleContext(
                plan: checked, index: index, units: units, needsByUnit: needsByUnit, facts: facts)
            context.currentRule = rule.id
            context.currentSeverity = rule.severity
            rule.check(context)
            return (context.findings, Date().timeIntervalSince(started))
        }
        for (rule, (_, seconds)) in zip(rules, findingsByRule) { ruleSeconds[rule.id, default: 0] += seconds }
        for (findings, _) in findingsByRule {
            for finding in findings {
                var diagnostic = finding.diagnostic
                diagnostic.environments = [plan.environment.name]
                if let subject = finding.subject, let waiver = waiverLookup[WaiverKey(subject: subject, rule: diagnostic.id)] {
                    used.insert(waiver)
                    RuleEngine.waive(&diagnostic, by: waiver)
                }
                diagnostics.report(diagnostic)
            }
        }
    }

    /// Reports every waiver that waived nothing in any checked environment, and once the
    /// environments whose pods' placement was not checked.
    public func finish() {
        if let note = SchedulingRules.unpooledNote(unpooled) { diagnostics.report(note) }
        for waiver in waivers where !used.contains(waiver) {
            diagnostics.warning(
                .waiverUnused, "waiver for \(waiver.rule.rawValue) matches no diagnostic of this object in any environment",
                at: waiver.location, help: "remove the stale waiver so it cannot hide a future problem")
        }
    }
}
