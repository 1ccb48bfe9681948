/// `strategy: s2i` (OpenShift only): an ImageStream and a BuildConfig per job, in the build
/// namespace.
///
/// - Strategy, by the operator's rules: an explicit `dockerfile` → Docker strategy with that
///   `dockerfilePath`; `autoGenerateRequirements` without `preferDockerfile` (or an explicit
///   `requirementsFile`/`requirementsSources`) → Docker strategy with an inline Dockerfile
///   that installs papermill, nbformat and the first requirements file of the chain; anything
///   else → Source strategy from `baseImage` (warned: it needs S2I builder scripts).
/// - Rebuild exactly when inputs change: the build itself is a GitOps object, a `Build` named
///   `<job>-<hash>` next to a trigger-less BuildConfig of the same name and spec (kept for
///   `oc start-build` reruns). Changed inputs give a new name and so exactly one new build.
///   Emitting the Build (not a `ConfigChange` trigger) is what lets a failed build fail the
///   sync: Argo CD waits on its health (`templates/argocd/health-build.lua`: Failed, Error or
///   Cancelled → Degraded; openshift/api `build/v1/types.go` `BuildPhase`), Flux on its
///   `healthCheckExprs` entry. A triggered Build is not an Argo-managed object, and neither
///   the BuildConfig (status: `lastVersion` only) nor the ImageStream (status: pushed tags
///   only) ever shows a failed build, so the sync waited at the build wave forever.
/// - Output: `ImageStreamTag <job>:nbgitops-<hash>`, a tag no other input pushes; the
///   ImageStream (`lookupPolicy.local: true`) carries `nbgitops.dev/await-tag` so Argo CD and
///   Flux health checks wait for exactly that tag.
/// - `sourceSecret` names the notebook's `git.credentialsSecret` (it must exist in the build
///   namespace too); nothing secret is copied.
enum S2IPlanner {
    static func plan(
        jobs: [(NotebookValidationJob, BuildConfigSpec)], namespace: String, context: PlanContext,
        into result: inout BuildPlanner.Result
    ) {
        for (job, build) in jobs {
            guard
                let output = BuildPlanner.output(
                    job: job, build: build, namespace: namespace, allowExternal: false, context: context),
                let stream = output.imageStream
            else { continue }
            var hashed = FieldRecord(keeps: false)
            let specWithoutTag = spec(
                job: job, build: build, outputTag: "\(stream):TAG", context: context, record: &hashed)
            let tag = BuildPlanner.tag(["buildConfig": specWithoutTag, "repository": .string(output.repository)])
            let name = "\(context.derivedName(job.name.value))-\((ImageTag.inputHash(of: tag) ?? ""))"
            let checkedName = DerivedName(
                name, rule: .label, what: "BuildConfig name", at: job.name.location,
                help: "shorten metadata.name; OpenShift labels build pods with the BuildConfig name (at most 63 characters)")
            var record = FieldRecord(context)
            record.note(
                "",
                FieldOrigin(
                    .spec(build.strategy.location), field: "spec.podConfig.buildConfig.strategy",
                    rule: "strategy: s2i → an ImageStream and a BuildConfig per job in the build namespace (OpenShift only)"))
            record.note(
                "metadata.name",
                FieldOrigin(
                    .spec(job.name.location), field: "metadata.name",
                    rule: "namePrefix + metadata.name + '-' + 8 hex digits hashing the build's inputs: the ConfigChange "
                        + "trigger builds exactly once per input"))
            var specRecord = FieldRecord(context)
            let spec = spec(job: job, build: build, outputTag: "\(stream):\(tag)", context: context, record: &specRecord)
            record.merge(specRecord, under: "spec")
            let manifest = PlanMetadata.object(
                apiVersion: "build.openshift.io/v1", kind: "BuildConfig", name: name, namespace: namespace,
                labels: PlanMetadata.labels(component: "build", extra: [LabelKey.instance: job.name.value]),
                body: [("spec", spec)])
            result.objects.append(
                BuildPlanner.imageStream(name: stream, namespace: namespace, awaitTag: tag, wave: .build))
            result.objects.append(
                PlannedObject(
                    apiVersion: "build.openshift.io/v1", kind: "BuildConfig", name: name, namespace: namespace,
                    manifest: manifest, wave: .build, sources: [build.strategy.location], provenance: record.origins
                ).checking(checkedName))
            result.objects.append(
                buildObject(
                    name: name, namespace: namespace, job: job, buildConfigSpec: spec, record: record,
                    source: build.strategy.location))
            result.images[job.name.value] = "\(output.repository):\(tag)"
        }
    }

    /// The `Build` that runs the BuildConfig's spec once: the BuildConfig's `CommonSpec` fields
    /// (source, strategy, output, completion deadline; openshift/api `build/v1/types.go`
    /// `BuildSpec`), without its BuildConfig-only `runPolicy`/`triggers`, and `triggeredBy`.
    /// It carries no `openshift.io/build-config.name` label: the build controller runs a Build
    /// that names no BuildConfig at once (openshift-controller-manager
    /// `pkg/build/controller/policy` `IsRunnable`: no config name → runnable) and no BuildConfig
    /// history limit ever prunes it.
    static func buildObject(
        name: String, namespace: String, job: NotebookValidationJob, buildConfigSpec: ManifestNode,
        record: FieldRecord, source: SourceLocation
    ) -> PlannedObject {
        var spec: [(String, ManifestNode?)] = []
        for key in ["serviceAccount", "source", "strategy", "output", "completionDeadlineSeconds"] {
            if let value = buildConfigSpec[key] { spec.append((key, value)) }
        }
        spec.append(
            ("triggeredBy", [["message": .string("nbgitops: the build inputs of \(job.name.value) changed")]]))
        var origins = record.origins.filter { !$0.key.hasPrefix("spec.runPolicy") && !$0.key.hasPrefix("spec.triggers") }
        origins[""] = FieldOrigin(
            .builtinDefault("one Build per build input hash, health-checked by Argo CD and Flux"),
            rule: "a failed, errored or cancelled build turns Degraded and fails the sync instead of waiting forever")
        let manifest = PlanMetadata.object(
            apiVersion: "build.openshift.io/v1", kind: "Build", name: name, namespace: namespace,
            labels: PlanMetadata.labels(component: "build", extra: [LabelKey.instance: job.name.value]),
            body: [("spec", .object(spec))])
        return PlannedObject(
            apiVersion: "build.openshift.io/v1", kind: "Build", name: name, namespace: namespace,
            manifest: manifest, wave: .build, sources: [source], provenance: origins)
    }

    enum Strategy: Equatable {
        case dockerfilePath(String)
        case inlineDockerfile
        case source
    }

    static func strategy(_ build: BuildConfigSpec) -> Strategy {
        if let dockerfile = build.dockerfile?.value { return .dockerfilePath(dockerfile) }
        let explicitRequirements = build.requirementsFile != nil || !build.requirementsSources.isEmpty
        if (build.autoGenerateRequirements || explicitRequirements) && !build.preferDockerfile { return .inlineDockerfile }
        return .source
    }

    /// The BuildConfig's spec; `record` receives each field's origin (paths relative to `spec`).
    static func spec(
        job: NotebookValidationJob, build: BuildConfigSpec, outputTag: String, context: PlanContext,
        record: inout FieldRecord
    ) -> ManifestNode {
        func buildField(_ name: String, rule: String? = nil, absent: String) -> FieldOrigin {
            FieldProvenance.spec(job, "spec.podConfig.buildConfig.\(name)", rule: rule, absent: absent)
        }
        let git = job.notebook.git
        let baseImage = context.image(build.baseImage.value)
        let baseImageOrigin = buildField(
            "baseImage",
            rule: context.mirrors.isEmpty
                ? nil : "images.mirrors rewrite the registry prefix (\(context.environment.images.mirrors.origin))",
            absent: "the CRD default quay.io/jupyter/minimal-notebook:latest")
        var source: [(String, ManifestNode?)] = [
            ("type", "Git"),
            (
                "git",
                [
                    "uri": record.set(
                        "source.git.uri", .string(git.url.value),
                        from: FieldOrigin(.spec(git.url.location), field: "spec.notebook.git.url")),
                    "ref": record.set(
                        "source.git.ref", .string(git.ref.value),
                        from: FieldOrigin(.spec(git.ref.location), field: "spec.notebook.git.ref")),
                ]
            ),
            (
                "sourceSecret",
                record.setIfPresent(
                    "source.sourceSecret", git.credentialsSecret.map { ["name": .string($0.value)] },
                    from: FieldOrigin(
                        git.credentialsSecret.map { .spec($0.location) } ?? .builtinDefault("no credentials"),
                        field: "spec.notebook.git.credentialsSecret",
                        rule: "by name; the Secret must exist in the build namespace too"))
            ),
        ]
        let strategyNode: ManifestNode
        switch strategy(build) {
        case .dockerfilePath(let path):
            strategyNode = record.set(
                "strategy", ["type": "Docker", "dockerStrategy": ["dockerfilePath": .string(path), "noCache": true]],
                from: buildField(
                    "dockerfile", rule: "an explicit dockerfile → Docker strategy with that dockerfilePath",
                    absent: "the spec's Dockerfile"))
        case .inlineDockerfile:
            source.append(
                (
                    "dockerfile",
                    record.set(
                        "source.dockerfile", .string(inlineDockerfile(job: job, build: build, baseImage: baseImage)),
                        from: FieldOrigin(
                            baseImageOrigin.origin, field: "spec.podConfig.buildConfig.baseImage",
                            rule: "generated: FROM the base image, papermill and nbformat, then the first requirements "
                                + "file of requirementsFile → requirementsSources → the default chain"))
                ))
            strategyNode = record.set(
                "strategy", ["type": "Docker", "dockerStrategy": ["noCache": true]],
                from: buildField(
                    "autoGenerateRequirements",
                    rule: "requirements to install and no preferDockerfile → Docker strategy with the inline Dockerfile",
                    absent: "the CRD default autoGenerateRequirements: true"))
        case .source:
            // Whether the base image is an S2I builder is the Check stage's question (NBG152).
            strategyNode = record.set(
                "strategy",
                ["type": "Source", "sourceStrategy": ["from": ["kind": "DockerImage", "name": .string(baseImage)]]],
                from: FieldOrigin(
                    baseImageOrigin.origin, field: "spec.podConfig.buildConfig.baseImage",
                    rule: "no Dockerfile and nothing to install → S2I Source strategy from the base image"))
        }
        return [
            "runPolicy": record.set(
                "runPolicy", "Serial", from: FieldOrigin(.builtinDefault("one build of a BuildConfig at a time"))),
            "completionDeadlineSeconds": record.set(
                "completionDeadlineSeconds", .int(build.timeoutSeconds.value),
                from: buildField(
                    "timeout", rule: "Go duration → whole seconds, rounded up", absent: "the CRD default timeout: 15m")),
            "source": .object(source),
            "strategy": strategyNode,
            "output": record.set(
                "output", ["to": ["kind": "ImageStreamTag", "name": .string(outputTag)]],
                from: FieldOrigin(
                    .builtinDefault("the job's ImageStream, tag nbgitops-<hash of the build's inputs>"),
                    rule: "a tag no other input pushes; the ImageStream's nbgitops.dev/await-tag waits for it")),
            // No trigger: the emitted Build (same name and inputs) is the one build; a
            // ConfigChange trigger would build a second time, unwatched.
            "triggers": record.set(
                "triggers", .list([]),
                from: FieldOrigin(
                    .builtinDefault("none: the Build object next to this BuildConfig runs it once and is health-checked"))),
        ]
    }

    /// The inline Dockerfile: base image, notebook tools, the first requirements file of the
    /// chain (paths were checked at decode: relative, no quotes, spaces or `$`).
    static func inlineDockerfile(job: NotebookValidationJob, build: BuildConfigSpec, baseImage: String) -> String {
        let chain = BuildPlanner.requirementsChain(job: job, build: build)
        let onMissing =
            build.fallbackStrategy == "fail"
            ? "echo 'nbgitops: no requirements file found (fallbackStrategy: fail)' >&2; exit 1"
            : "echo 'nbgitops: no requirements file found; base image and notebook tools only'"
        var lines = [
            "FROM \(baseImage)",
            "# Generated by nbgitops from NotebookValidationJob \(job.name.value)",
            "USER root",
            "RUN pip install --no-cache-dir papermill nbformat",
            "COPY . /tmp/nbgitops-source/",
        ]
        if chain.isEmpty {
            lines.append("RUN \(onMissing)")
        } else {
            lines.append(
                "RUN set -e; cd /tmp/nbgitops-source; req=; for f in \(chain.joined(separator: " ")); do "
                    + "if [ -z \"$req\" ] && [ -f \"$f\" ]; then req=$f; fi; done; "
                    + "if [ -n \"$req\" ]; then echo \"nbgitops: installing $req\"; pip install --no-cache-dir -r \"$req\"; "
                    + "else \(onMissing); fi")
        }
        lines += [
            "RUN rm -rf /tmp/nbgitops-source; chgrp -R 0 /home 2>/dev/null || true; chmod -R g=u /home 2>/dev/null || true",
            "USER 1000",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
