/// Decisions the planner makes that a rule also needs (part of `HuggingFacePlanner`).
extension HuggingFacePlanner {
    // MARK: Decisions a rule also needs

    /// The delivery of a Hugging Face pipeline in an environment: as written, else by size.
    static func delivery(_ pipeline: ModelPipeline, environment: Environment) -> (ModelDelivery, FieldOrigin) {
        if let written = pipeline.delivery {
            return (written.value, FieldOrigin(.spec(written.location), field: "spec.delivery"))
        }
        let limit = environment.models.modelcarLimit
        let model = Quantity.value(pipeline.modelSize.value) ?? 0
        let byLimit: ModelDelivery = model < (Quantity.value(limit.value) ?? 0) ? .modelcar : .pvc
        return (
            byLimit,
            FieldOrigin(
                limit.origin, field: "models.modelcarLimit",
                rule:
                    "no delivery written: modelcar below \(limit.value), pvc from there on (size.model \(pipeline.modelSize.value))"
            )
        )
    }

    /// What the workspace (modelcar) or the claim (pvc) must hold, in bytes, and how it was derived.
    static func requiredStorage(_ pipeline: ModelPipeline, delivery: ModelDelivery) -> (bytes: Double, formula: String) {
        let model = Quantity.value(pipeline.modelSize.value) ?? 0
        switch delivery {
        case .modelcar where packager(pipeline) == "buildah":
            // `buildah commit` holds the container's vfs copy, the layer blob it writes under
            // TMPDIR and that blob copied into the OCI layout at once (the download is removed
            // before): three times the model at the peak.
            return (
                (buildahModelCopies * model + gibibyte) * 1.1,
                "(\(Int(buildahModelCopies)) × size.model \(pipeline.modelSize.value) + 1Gi) × 1.1 (buildah: during its commit the container's copy, the layer blob and the OCI layout's copy of the model coexist)"
            )
        case .modelcar:
            let largest = pipeline.largestFile.flatMap { Quantity.value($0.value) } ?? model
            let largestText = pipeline.largestFile?.value ?? "\(pipeline.modelSize.value) (size.largestFile unset)"
            return (
                (model + largest + gibibyte) * 1.1,
                "(size.model \(pipeline.modelSize.value) + largest file \(largestText) + 1Gi) × 1.1"
            )
        case .pvc:
            return ((model + gibibyte) * 1.1, "(size.model \(pipeline.modelSize.value) + 1Gi) × 1.1")
        }
    }

    /// Whole Gi at least `bytes`.
    static func gibibytes(_ bytes: Double) -> String {
        "\(max(1, Quantity.saturatingInt((bytes / gibibyte).rounded(.up))))Gi"
    }

    /// The size the workspace or claim gets: `workspace.size` as written, else the formula.
    static func storageSize(_ pipeline: ModelPipeline, delivery: ModelDelivery) -> (String, FieldOrigin) {
        let (bytes, formula) = requiredStorage(pipeline, delivery: delivery)
        if let written = pipeline.workspaceSize {
            return (written.value, FieldOrigin(.spec(written.location), field: "spec.workspace.size"))
        }
        return (
            gibibytes(bytes),
            FieldOrigin(.spec(pipeline.modelSize.location), field: "spec.size", rule: formula + ", rounded up to Gi")
        )
    }

    /// A cap below Go's longest `time.Duration` (2^63 - 1 ns, about 292 years), with room for the
    /// margins added to it: Tekton parses timeouts as one.
    static let maximumTimeoutSeconds = 9_000_000_000.0

    /// The run's derived timeout in seconds: download at `models.downloadThroughput`, packaging
    /// at 100Mi/s, each push and verify at `models.pushThroughput`, all × 1.5 + 15 minutes.
    static func derivedTimeout(_ pipeline: ModelPipeline, delivery: ModelDelivery, destinations: Int, environment: Environment)
        -> (seconds: Int, formula: String)
    {
        let model = Quantity.value(pipeline.modelSize.value) ?? 0
        let models = environment.models
        let download = model / max(1, Quantity.value(models.downloadThroughput.value) ?? 1)
        var work = download
        var formula = "(size.model / downloadThroughput \(models.downloadThroughput.value)"
        if delivery == .modelcar {
            let push = model / max(1, Quantity.value(models.pushThroughput.value) ?? 1)
            work += model / (100 * 1024 * 1024) + push * Double(destinations)
            formula +=
                " + size.model / 100Mi packaging + \(destinations) × size.model / pushThroughput \(models.pushThroughput.value)"
        }
        formula += ") × 1.5 + 15m"
        // Whole minutes: a readable duration. Computed in Double and capped at the longest
        // duration Tekton (Go's time.Duration) accepts, so no size or rate can overflow it.
        let minutes = ((work * 1.5 + 900) / 60).rounded(.up)
        guard minutes * 60 < maximumTimeoutSeconds else {
            return (Int(maximumTimeoutSeconds / 60) * 60, formula + ", capped at the longest duration Tekton accepts")
        }
        return (Quantity.saturatingInt(minutes) * 60, formula)
    }

    /// A destination with the repository it pushes to.
    struct ResolvedDestination {
        var repository: String
        var imageStream: String?
        var pushSecret: String?
        var location: SourceLocation
        /// Set when the destination is the environment's registry (`images.registry`), taken
        /// because the spec names none: the overlay line, for provenance.
        var environmentDefault: Origin? = nil
        var isInternal: Bool { imageStream != nil }

        /// Where this destination was set, as `field` of the spec, or the overlay's registry.
        func origin(field: String, rule: String) -> FieldOrigin {
            if let environmentDefault {
                return FieldOrigin(
                    environmentDefault, field: "images.registry",
                    rule: "the environment's registry is every ModelCar's destination unless the spec names one; " + rule)
            }
            return FieldOrigin(.spec(location), field: field, rule: rule)
        }
    }

    /// The destinations as this platform can push to them; nil when there is none it can use
    /// (an ImageStream outside OpenShift, or no destination on Kubernetes: NBG289).
    static func destinations(_ pipeline: ModelPipeline, context: PlanContext) -> [ResolvedDestination]? {
        let written = pipeline.modelcar?.destinations ?? []
        if written.isEmpty {
            let name = context.derivedName(pipeline.name.value)
            // The environment's registry (an overlay's images.registry, with its pushSecret) is
            // the destination of every ModelCar whose spec names none, on every platform: dev
            // pushes to dev's registry, prod to prod's, as the image builds do.
            let images = context.environment.images
            if let registry = images.registry.value, !registry.allSatisfy(\.isWhitespace) {
                var trimmed = Substring(registry)
                while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
                return [
                    ResolvedDestination(
                        repository: "\(trimmed)/\(name)", imageStream: nil, pushSecret: images.pushSecret.value,
                        location: images.registry.origin.location ?? pipeline.name.location,
                        environmentDefault: images.registry.origin)
                ]
            }
            guard context.platform == .openshift else { return nil }
            return [
                ResolvedDestination(
                    repository: "\(BuildPlanner.openShiftRegistry)/\(context.namespace)/\(name)", imageStream: name,
                    pushSecret: nil, location: pipeline.name.location)
            ]
        }
        var resolved: [ResolvedDestination] = []
        for destination in written {
            switch destination {
            case .imageStream(let stream, let at):
                guard context.platform == .openshift else { return nil }
                resolved.append(
                    ResolvedDestination(
                        repository: "\(BuildPlanner.openShiftRegistry)/\(context.namespace)/\(stream.value)",
                        imageStream: stream.value, pushSecret: nil, location: at))
            case .registry(let repository, let secret, let at):
                resolved.append(
                    ResolvedDestination(
                        repository: repository.value, imageStream: nil, pushSecret: secret.value, location: at))
            }
        }
        return resolved
    }

    static func isPlanned(_ pipeline: ModelPipeline, context: PlanContext) -> Bool {
        pipeline.huggingFace != nil && EnvironmentPlanner.isPlanned(annotations: pipeline.annotations, on: context.platform)
    }

}
