/// `strategy: s2i` (OpenShift only): an ImageStream and a BuildConfig per job, in the build
/// namespace.
///
/// - Strategy, by the operator's rules: an explicit `dockerfile` → Docker strategy with that
///   `dockerfilePath`; `autoGenerateRequirements` without `preferDockerfile` (or an explicit
///   `requirementsFile`/`requirementsSources`) → Docker strategy with an inline Dockerfile
///   that installs papermill, nbformat and the first requirements file of the chain; anything
///   else → Source strategy from `baseImage` (warned: it needs S2I builder scripts).
/// - Rebuild exactly when inputs change: the BuildConfig is named `<job>-<hash>` with a
///   `ConfigChange` trigger, which builds once when the BuildConfig is created; changed
///   inputs give a new BuildConfig (the old one is pruned) and so exactly one new build.
/// - Output: `ImageStreamTag <job>:nbgitops-<hash>`, a tag no other input pushes; the
///   ImageStream (`lookupPolicy.local: true`) carries `nbgitops.dev/await-tag` so Argo CD and
///   Flux health checks wait for exactly that tag.
/// - `sourceSecret` names the notebook's `git.credentialsSecret` (it must exist in the build
///   namespace too); nothing secret is copied.
enum S2IPlanner {
    static func plan(
        jobs: [(NotebookValidationJob, BuildConfigSpec)], namespace: String, context: PlanContext,
        into result: inout BuildPlanner.Result, diagnostics: DiagnosticCollector
    ) {
        for (job, build) in jobs {
            guard
                let output = BuildPlanner.output(
                    job: job, build: build, namespace: namespace, allowExternal: false, context: context,
                    diagnostics: diagnostics),
                let stream = output.imageStream
            else { continue }
            let specWithoutTag = spec(job: job, build: build, outputTag: "\(stream):TAG", context: context, diagnostics: nil)
            let tag = BuildPlanner.tag(["buildConfig": specWithoutTag, "repository": .string(output.repository)])
            let name = "\(context.derivedName(job.name.value))-\((ImageTag.inputHash(of: tag) ?? ""))"
            PlanNames.check(
                name, rule: .label, what: "BuildConfig name", at: job.name.location,
                help: "shorten metadata.name; OpenShift labels build pods with the BuildConfig name (at most 63 characters)",
                diagnostics: diagnostics)
            let spec = spec(job: job, build: build, outputTag: "\(stream):\(tag)", context: context, diagnostics: diagnostics)
            let manifest = PlanMetadata.object(
                apiVersion: "build.openshift.io/v1", kind: "BuildConfig", name: name, namespace: namespace,
                labels: PlanMetadata.labels(component: "build", extra: [LabelKey.instance: job.name.value]),
                body: [("spec", spec)])
            result.objects.append(
                BuildPlanner.imageStream(name: stream, namespace: namespace, awaitTag: tag, wave: .build))
            result.objects.append(
                PlannedObject(
                    apiVersion: "build.openshift.io/v1", kind: "BuildConfig", name: name, namespace: namespace,
                    manifest: manifest, wave: .build, sources: [build.strategy.location]))
            result.images[job.name.value] = "\(output.repository):\(tag)"
        }
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

    static func spec(
        job: NotebookValidationJob, build: BuildConfigSpec, outputTag: String, context: PlanContext,
        diagnostics: DiagnosticCollector?
    ) -> ManifestNode {
        let baseImage = context.image(build.baseImage.value)
        var source: [(String, ManifestNode?)] = [
            ("type", "Git"),
            ("git", ["uri": .string(job.notebook.git.url.value), "ref": .string(job.notebook.git.ref.value)]),
            ("sourceSecret", job.notebook.git.credentialsSecret.map { ["name": .string($0.value)] }),
        ]
        let strategyNode: ManifestNode
        switch strategy(build) {
        case .dockerfilePath(let path):
            strategyNode = ["type": "Docker", "dockerStrategy": ["dockerfilePath": .string(path), "noCache": true]]
        case .inlineDockerfile:
            source.append(("dockerfile", .string(inlineDockerfile(job: job, build: build, baseImage: baseImage))))
            strategyNode = ["type": "Docker", "dockerStrategy": ["noCache": true]]
        case .source:
            diagnostics?.warning(
                .buildSourceStrategy,
                "job '\(job.name.value)' gets an S2I Source build from '\(build.baseImage.value)', which works only if that image is an S2I builder (has assemble scripts)",
                at: build.baseImage.location,
                help:
                    "set buildConfig.dockerfile, or autoGenerateRequirements: true (without preferDockerfile) for a generated Dockerfile"
            )
            strategyNode = [
                "type": "Source", "sourceStrategy": ["from": ["kind": "DockerImage", "name": .string(baseImage)]],
            ]
        }
        return [
            "runPolicy": "Serial",
            "completionDeadlineSeconds": .int(build.timeoutSeconds.value),
            "source": .object(source),
            "strategy": strategyNode,
            "output": ["to": ["kind": "ImageStreamTag", "name": .string(outputTag)]],
            // Builds once, when this (content-named) BuildConfig is created.
            "triggers": [["type": "ConfigChange"]],
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
