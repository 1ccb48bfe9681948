import Foundation

/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let externalSecretsAPIVersion: RuleID = "NBG340"
    public static let servingRuntimeNotInstalled: RuleID = "NBG341"
    public static let gitCredentialsKeys: RuleID = "NBG342"
    public static let buildahNodeProfiles: RuleID = "NBG343"
    public static let argoSyncHeldOpen: RuleID = "NBG344"
}

/// What the declared platform facts (docs/platforms.md) make of objects nbgitops passes through
/// or generates: an API version the installed operator no longer serves, a serving runtime the
/// platform does not install, a credentials Secret the clone cannot use, node security profiles
/// buildah needs, a sync Argo CD holds open for hours. Each finding names the fact and the
/// overlay line that set it, or says which fact to declare.
enum PlatformFactRules {
    /// A note at the overlay line that set a fact, or nil when no overlay set it.
    static func factNote<Value>(_ path: String, _ traced: Traced<Value>, _ value: String) -> [DiagnosticNote] {
        guard let location = traced.origin.location else { return [] }
        return [DiagnosticNote("\(path): \(value) (\(traced.origin))", at: location)]
    }

    // MARK: NBG340

    /// NBG340: an `external-secrets.io/v1beta1` (or v1alpha1) object. The External Secrets
    /// Operator serves only `external-secrets.io/v1` from v0.17.0 (external-secrets/external-secrets
    /// release notes of v0.17.0, "remove v1beta1 from served versions"; external-secrets/external-secrets#4840): the
    /// sync then fails with "no matches for kind". An error where `platform.versions.externalSecrets`
    /// is 0.17 or later, a warning where it is undeclared, nothing where it is older.
    static let externalSecretsAPIVersion = PlanRule(
        .externalSecretsAPIVersion, .warning,
        "an external-secrets.io object uses an API version the External Secrets Operator no longer serves",
        waivable: false
    ) { context in
        let facts = context.environment.facts
        let declared = facts.versions[.externalSecrets]
        let servesOnlyV1 = facts.version(.externalSecrets, atLeast: 0, 17)
        if servesOnlyV1 == false { return }
        for object in context.plan.objects where object.group == "external-secrets.io" {
            let version = object.apiVersion.split(separator: "/").last.map(String.init) ?? ""
            guard version == "v1beta1" || version == "v1alpha1" else { continue }
            let message =
                servesOnlyV1 == true
                ? "\(object.kind) '\(object.name)' uses \(object.apiVersion), which the External Secrets Operator "
                    + "\(declared?.value ?? "") no longer serves (only external-secrets.io/v1 from 0.17): the sync fails "
                    + "with \"no matches for kind \(object.kind)\" and the Secret is never created"
                : "\(object.kind) '\(object.name)' uses \(object.apiVersion), which the External Secrets Operator no "
                    + "longer serves from version 0.17 (only external-secrets.io/v1); the ESO version of environment "
                    + "'\(context.environment.name)' is not declared"
            context.report(
                message, at: context.location(of: object, path: "apiVersion"),
                severity: servesOnlyV1 == true ? .error : .warning,
                help: servesOnlyV1 == true
                    ? "write apiVersion: external-secrets.io/v1 (the same fields; served from ESO 0.16)"
                    : "write apiVersion: external-secrets.io/v1 (served from ESO 0.16), or declare "
                        + "platform.versions.externalSecrets in an overlay if the cluster runs an older ESO",
                notes: declared.map { factNote("platform.versions.externalSecrets", $0, "\"\($0.value)\"") } ?? [],
                subject: context.subject(for: object))
        }
    }

    // MARK: NBG341

    /// NBG341: an InferenceService names one of KServe's own `kserve-*` ClusterServingRuntimes on
    /// OpenShift AI, which does not install them: opendatahub-io/kserve
    /// `config/overlays/odh/kustomization.yaml` builds on `config/default`, whose kustomization
    /// leaves out `config/runtimes`. The predictor then never starts ("no runtime found"). Only
    /// where `platform.versions.openshiftAI` is declared and the runtime is neither emitted nor
    /// declared present (`platform.kserve.servingRuntimes`).
    static let servingRuntimeNotInstalled = PlanRule(
        .servingRuntimeNotInstalled, .error,
        "an InferenceService names a KServe runtime that OpenShift AI does not install", waivable: false
    ) { context in
        let facts = context.environment.facts
        guard let openshiftAI = facts.versions[.openshiftAI] else { return }
        let emitted = Set(
            context.plan.objects.filter { $0.kind == "ServingRuntime" || $0.kind == "ClusterServingRuntime" }.map(\.name))
        let present = Set(facts.kserveServingRuntimes.value ?? [])
        for object in context.plan.objects where object.kind == "InferenceService" {
            guard let runtime = object.manifest.value(at: "spec.predictor.model.runtime")?.stringValue,
                runtime.hasPrefix("kserve-"), !emitted.contains(runtime), !present.contains(runtime)
            else { continue }
            let pipeline = object.manifest.value(at: "metadata.labels[\(LabelKey.instance)]")?.stringValue.flatMap {
                instance in context.specs.modelPipelines.first { $0.name.value == instance }
            }
            let location =
                pipeline?.serving.runtime?.location ?? context.location(of: object, path: "spec.predictor.model.runtime")
            context.report(
                "InferenceService '\(object.name)' names the runtime '\(runtime)', one of KServe's own "
                    + "ClusterServingRuntimes, which OpenShift AI does not install: the predictor never starts "
                    + "(no runtime found), unless someone created '\(runtime)' on the cluster",
                at: location,
                help: "if the cluster has it, declare it in an overlay (platform.kserve.servingRuntimes: [\(runtime)]); "
                    + "otherwise name a runtime OpenShift AI offers, or pass a ServingRuntime named '\(runtime)' "
                    + "through the specs",
                notes: factNote("platform.versions.openshiftAI", openshiftAI, "\"\(openshiftAI.value)\"")
                    + factNote(
                        "platform.kserve.servingRuntimes", facts.kserveServingRuntimes,
                        "[\(present.sorted().joined(separator: ", "))]"),
                subject: pipeline.map { ModelPipelineRules.subject($0) } ?? context.subject(for: object))
        }
    }

    // MARK: NBG342

    /// The keys a Secret created from git will hold, when git says so: an ExternalSecret's
    /// `spec.data[].secretKey` (or its `target.template.data` keys, plus the data keys under
    /// `mergePolicy: Merge`); nil when they are not all known (`dataFrom`, template from a
    /// ConfigMap), or for a SealedSecret (its keys are in the sealed data).
    static func secretKeys(_ object: PlannedObject) -> Set<String>? {
        guard object.kind == "ExternalSecret", object.manifest.value(at: "spec.dataFrom") == nil else { return nil }
        let data = Set(
            (object.manifest.value(at: "spec.data")?.elements ?? []).compactMap { $0["secretKey"]?.stringValue })
        guard let template = object.manifest.value(at: "spec.target.template") else { return data }
        if template["templateFrom"] != nil { return nil }
        let templated = Set((template["data"]?.entries ?? []).map(\.key))
        return template["mergePolicy"]?.stringValue == "Merge" ? templated.union(data) : templated
    }

    /// NBG342: the credentials Secret of a notebook's clone, created by an ExternalSecret in git,
    /// lacks the keys the clone reads (`templates/scripts/git-clone.sh`): `password` or `token`
    /// over HTTPS, `ssh-privatekey` and `known_hosts` over SSH. The operator connects without a
    /// known_hosts (`StrictHostKeyChecking no`, tosin2013/jupyter-notebook-validator-operator
    /// `internal/controller/git_helper.go`); nbgitops verifies the host, so such a Secret fails
    /// the clone here: said at compile time.
    static let gitCredentialsKeys = PlanRule(
        .gitCredentialsKeys, .error, "a notebook's git credentials Secret lacks the keys the clone reads",
        waivable: false
    ) { context in
        let objects = context.plan.objects
        var reported: Set<String> = []
        for object in objects where object.kind == "Job" {
            guard let job = context.job(for: object) else { continue }
            let namespace = object.namespace ?? context.environment.naming.namespace.value
            for source in [job.notebook] + (job.goldenNotebook.map { [$0] } ?? []) {
                guard let secret = source.git.credentialsSecret else { continue }
                guard
                    let creator = objects.first(where: {
                        $0.kind == "ExternalSecret" && ($0.namespace ?? namespace) == namespace
                            && ($0.manifest.value(at: "spec.target.name")?.stringValue ?? $0.name) == secret.value
                    }), let keys = secretKeys(creator)
                else { continue }
                let missing: [String]
                let why: String
                switch source.git.transport {
                case .ssh:
                    missing = ["ssh-privatekey", "known_hosts"].filter { !keys.contains($0) }
                    why =
                        missing.contains("known_hosts")
                        ? "the clone refuses to connect to an SSH host it cannot verify (the operator would connect "
                            + "without checking the host key)"
                        : "the clone has no key to authenticate with"
                case .https, .http:
                    guard !keys.contains("password"), !keys.contains("token") else { continue }
                    missing = ["password"]
                    why = "the clone has no password or token to send (the operator reads the key token as well)"
                case .git:
                    continue
                }
                guard !missing.isEmpty, reported.insert("\(job.name.value)/\(secret.value)").inserted else { continue }
                context.report(
                    "Secret '\(secret.value)' of job '\(job.name.value)' is created by ExternalSecret '\(creator.name)' "
                        + "without the key\(missing.count > 1 ? "s" : "") \(missing.joined(separator: " and ")): \(why)",
                    at: secret.location,
                    help: source.git.transport == .ssh
                        ? "add the missing key\(missing.count > 1 ? "s" : "") to the ExternalSecret's data "
                            + "(known_hosts: the server's host key, e.g. from ssh-keyscan checked against the host's "
                            + "published fingerprints)"
                        : "add a data entry with secretKey: password (or token) holding the HTTPS password or token",
                    notes: [
                        DiagnosticNote(
                            "ExternalSecret '\(creator.name)' creates it",
                            at: context.location(of: creator, path: "spec.data") ?? creator.sources.first)
                    ].filter { $0.location != nil },
                    subject: context.subject(for: job))
            }
        }
    }

    // MARK: NBG343

    /// Whether the plan runs the buildah Task (an image build or the buildah ModelCar packager).
    static func buildahTasks(_ plan: EnvironmentPlan) -> [PlannedObject] {
        (plan.objects + plan.buildObjects).filter { object in
            object.kind == "Task"
                && (object.manifest.value(at: "spec.steps")?.elements ?? []).contains {
                    $0["image"]?.stringValue?.contains("buildah") == true
                }
        }
    }

    /// NBG343: on Kubernetes, rootful buildah without CAP_SYS_ADMIN (root + SETFCAP, chroot
    /// isolation, vfs) needs the nodes to let it create a user namespace and mount: containerd's
    /// RuntimeDefault seccomp profile allows `unshare`/`mount` only with CAP_SYS_ADMIN, and the
    /// default AppArmor container profile denies mount; Pod Security baseline forbids an
    /// `Unconfined` AppArmor profile (kubernetes/pod-security-admission
    /// `policy/check_appArmorProfile.go`), so the Task cannot opt out. A note where
    /// `platform.podSecurity.buildahMounts` is undeclared, an error where it is false. OpenShift's
    /// pipelines-scc runs the same model (Red Hat's own buildah Task).
    ///
    /// The same check reports NBG137 for the buildah image itself (`images.buildah`): named by
    /// tag only, a registry can serve different bytes under it tomorrow. Once per environment.
    static let buildahNodeProfiles = PlanRule(
        .buildahNodeProfiles, .note,
        "buildah on Kubernetes needs nodes whose seccomp and AppArmor profiles allow it to mount", waivable: false,
        alsoReports: [.imageNotByDigest]
    ) { context in
        guard let task = buildahTasks(context.plan).first else { return }
        let image = context.environment.images.buildah
        if !image.value.contains("@sha256:") {
            context.report(
                "images.buildah '\(image.value)' of Task '\(task.name)' is named by tag only: the registry can serve "
                    + "another image under that tag at any time, and each build would then run it unreviewed",
                at: image.origin.location ?? context.environment.definedAt, rule: .imageNotByDigest,
                help: "pin it by digest in an overlay: images.buildah: \(image.value)@sha256:<digest> "
                    + "(skopeo inspect docker://\(image.value) prints it)",
                subject: nil)
        }
        guard context.platform == .kubernetes else { return }
        let fact = context.environment.facts.buildahMounts
        guard fact.value != true else { return }
        let platform = context.environment.platform
        context.report(
            "Task '\(task.name)' runs buildah as root without CAP_SYS_ADMIN on Kubernetes: it needs nodes whose "
                + "default seccomp profile lets it unshare and mount (containerd's RuntimeDefault allows both only "
                + "with CAP_SYS_ADMIN) and whose AppArmor default profile allows mount; elsewhere the build step fails "
                + "with \"operation not permitted\", and Pod Security baseline forbids opting out with an Unconfined "
                + "profile",
            at: fact.origin.location ?? platform.origin.location ?? context.environment.definedAt,
            severity: fact.value == false ? .error : .note,
            help: fact.value == false
                ? "build these images on OpenShift (pipelines-scc) or on nodes that allow it, then set "
                    + "platform.podSecurity.buildahMounts: true"
                : "check the build nodes' container runtime profiles, then declare platform.podSecurity.buildahMounts "
                    + "(true: they allow it; false: make this an error)",
            notes: factNote("platform.podSecurity.buildahMounts", fact, "\(fact.value.map { "\($0)" } ?? "unknown")"),
            subject: nil)
    }

    // MARK: NBG344

    /// Seconds of a Go duration ("3h15m0s", "45m", "90s"); nil when it is not one.
    static func seconds(ofDuration text: String) -> Int? {
        var total = 0
        var number = ""
        for character in text {
            if character.isNumber {
                number.append(character)
                continue
            }
            guard let value = Int(number) else { return nil }
            switch character {
            case "h": total += value * 3600
            case "m": total += value * 60
            case "s": total += value
            default: return nil
            }
            number = ""
        }
        return number.isEmpty ? total : nil
    }

    /// A run longer than this keeps the sync open long enough to be worth a note.
    static let longSyncSeconds = 3600

    /// NBG344: under Argo CD a PipelineRun is a resource of its sync wave: the sync operation
    /// stays Running until the run is healthy (its timeout at worst), and while an operation
    /// runs Argo CD skips auto-sync of newer commits (argoproj/argo-cd `controller/appcontroller.go`
    /// `autoSync`, "another operation is in progress"). A controller `--sync-timeout`
    /// (`controller.sync.timeout.seconds`, default 0: none) shorter than the run terminates the
    /// sync mid-run. Once per environment, at the longest run.
    static let argoSyncHeldOpen = PlanRule(
        .argoSyncHeldOpen, .note, "a long PipelineRun keeps the Argo CD sync open", waivable: false
    ) { context in
        guard context.environment.delivery.tool.value == .argocd else { return }
        let runs = context.plan.objects.compactMap { object -> (PlannedObject, String, Int)? in
            guard object.kind == "PipelineRun",
                let text = object.manifest.value(at: "spec.timeouts.pipeline")?.stringValue,
                let seconds = seconds(ofDuration: text), seconds > longSyncSeconds
            else { return nil }
            return (object, text, seconds)
        }
        guard let (run, timeout, _) = runs.max(by: { $0.2 < $1.2 || ($0.2 == $1.2 && $0.0.name > $1.0.name) })
        else { return }
        let tool = context.environment.delivery.tool
        let others = runs.count > 1 ? " (and \(runs.count - 1) other long run\(runs.count > 2 ? "s" : ""))" : ""
        context.report(
            "PipelineRun '\(run.name)'\(others) may run for up to \(timeout): its Argo CD sync stays open that long, "
                + "auto-sync of newer commits waits until it ends, and a controller sync timeout "
                + "(controller.sync.timeout.seconds) shorter than \(timeout) terminates the sync mid-run",
            at: context.location(of: run, path: "spec.timeouts.pipeline"),
            help: "keep controller.sync.timeout.seconds (argocd-cmd-params-cm) unset or above \(timeout); to ship an "
                + "urgent fix meanwhile, terminate the running operation (argocd app terminate-op) and sync again",
            notes: factNote("delivery.tool", tool, tool.value.rawValue),
            subject: context.subject(for: run))
    }
}
