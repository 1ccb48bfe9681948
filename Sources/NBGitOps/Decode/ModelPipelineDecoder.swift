/// Decodes `ModelPipeline` documents (`nbgitops.dev/v1alpha1`) against `modelPipelineSpec` of
/// `Resources/nbgitops-schemas.yaml`, with located errors like every other kind.
enum ModelPipelineDecoder {
    static let kind = "ModelPipeline"
    static let apiVersions = ["nbgitops.dev/v1alpha1"]

    static func decode(_ document: YAMLDocument, diagnostics: DiagnosticCollector) -> ModelPipeline? {
        let root = document.root
        let errorsBefore = diagnostics.errorCount
        guard let schema = CRDSchemas.modelPipelineSpec else {
            diagnostics.error(
                .documentKind, "the bundled ModelPipeline schema cannot be loaded", at: root.location,
                help: "reinstall nbgitops; its resource bundle is missing")
            return nil
        }
        _ = SpecDecoder.checkEnvelope(root, kind: kind, apiVersions: apiVersions, diagnostics: diagnostics)
        let metadata = MetadataDecoder.decode(root, kind: kind, nameRule: .dnsLabel, diagnostics: diagnostics)
        guard let specNode = root["spec"] else {
            diagnostics.error(
                .fieldRequired, "missing required field 'spec' in ModelPipeline", at: root.location,
                help: "add a 'spec:' with source, size and serving")
            return nil
        }
        if let metadata, let list = metadata.annotations[AnnotationKey.platforms] {
            let annotation = root["metadata"]?["annotations"]?[AnnotationKey.platforms]
            SpecDecoder.checkPlatforms(
                list, job: metadata.name.value, at: annotation?.location ?? metadata.name.location, diagnostics: diagnostics)
        }
        var validator = SchemaValidator(subject: kind, diagnostics: diagnostics)
        guard let spec = validator.validate(specNode, against: schema, path: "spec"), let metadata else { return nil }
        var sourceMap = validator.sourceMap
        // Its metadata too, as a job's: a waiver is located at its annotation.
        sourceMap.locations["metadata.name"] = metadata.name.location
        for pair in root["metadata"]?["annotations"]?.pairs ?? [] {
            guard let key = pair.key.scalar?.value else { continue }
            sourceMap.locations["metadata.annotations" + SourceMap.component(key)] = pair.value.location
        }
        func at(_ path: String) -> SourceLocation { sourceMap.nearest(path) ?? specNode.location }
        func located(_ path: String) -> Located<String>? {
            guard let value = spec.value(at: path.dropPrefix("spec."))?.stringValue else { return nil }
            return Located(value, at: at(path))
        }
        func integer(_ path: String) -> Located<Int>? {
            guard case .int(let value)? = spec.value(at: path.dropPrefix("spec.")) else { return nil }
            return Located(value, at: at(path))
        }
        func strings(_ path: String) -> [Located<String>]? {
            guard let items = spec.value(at: path.dropPrefix("spec."))?.elements else { return nil }
            return items.enumerated().compactMap { index, item in
                item.stringValue.map { Located($0, at: at("\(path)[\(index)]")) }
            }
        }
        guard let size = located("spec.size.model"), let format = located("spec.serving.modelFormat.name") else {
            return nil
        }
        for quantity in [size, located("spec.size.largestFile"), located("spec.workspace.size")].compactMap({ $0 })
        where Quantity.value(quantity.value) == nil {
            diagnostics.error(
                .quantity, "'\(quantity.value)' is not a quantity nbgitops can use", at: quantity.location,
                help: "write a size with a suffix, e.g. 4Gi or 438G")
        }
        // Bounded at their lines: the derived workspace (up to 3.3 × size.model), the byte counts the
        // scripts receive and the derived timeout all stay within what Kubernetes and Tekton accept.
        for (field, quantity, bound, boundText, why) in [
            (
                "size.model", Optional(size), Quantity.limit / 8, "1Ei",
                ": the workspace nbgitops derives from it (up to 3.3 × the model) must stay below the largest Kubernetes quantity"
            ),
            ("size.largestFile", located("spec.size.largestFile"), Quantity.limit / 8, "1Ei", ", as size.model"),
            (
                "workspace.size", located("spec.workspace.size"), Quantity.limit, Quantity.limitText,
                ", the largest Kubernetes quantity"
            ),
        ] {
            guard let quantity, let value = Quantity.value(quantity.value), !(value < bound) else { continue }
            diagnostics.error(
                .fieldRange, "\(field) '\(quantity.value)' is out of range: at most \(boundText)\(why)", at: quantity.location,
                help: "write the size on disk, e.g. 140Gi or 438G")
        }
        // The predictor's resources: Kubernetes quantities; a device count (an extended resource
        // such as nvidia.com/gpu) below 2^32, so the generated vLLM runtime's shared memory (2Gi
        // per GPU) stays a Kubernetes quantity too.
        for section in ["requests", "limits"] {
            for entry in spec.value(at: "serving.resources.\(section)")?.entries ?? [] {
                guard let text = entry.value.stringValue ?? entry.value.intValue.map(String.init),
                    let value = Quantity.value(text)
                else { continue }
                let device = entry.key.contains("/")
                guard !(value < (device ? 0x1p32 : Quantity.limit)) else { continue }
                diagnostics.error(
                    .fieldRange,
                    "serving.resources.\(section).\(entry.key) '\(text)' is out of range: at most "
                        + (device
                            ? "4294967295 devices (2Gi of shared memory each must stay a Kubernetes quantity)"
                            : Quantity.limitText),
                    at: at("spec.serving.resources.\(section)" + SourceMap.component(entry.key)),
                    help: "request what one predictor pod uses, e.g. nvidia.com/gpu: \"1\"")
            }
        }
        if let largest = located("spec.size.largestFile"), let file = Quantity.value(largest.value),
            let model = Quantity.value(size.value), file > model
        {
            diagnostics.error(
                .fieldRange, "size.largestFile (\(largest.value)) is larger than size.model (\(size.value))",
                at: largest.location, help: "size.model is the whole model on disk: at least its largest file")
        }

        // The source: exactly one of notebookOutput and huggingFace.
        var notebookOutput: ModelPipeline.NotebookOutput?
        if let job = located("spec.source.notebookOutput.job"), let volume = located("spec.source.notebookOutput.volume"),
            let path = located("spec.source.notebookOutput.path")
        {
            // (The schema's pattern keeps `path` inside the claim: relative, no `.` or `..` folders.)
            notebookOutput = ModelPipeline.NotebookOutput(job: job, volume: volume, path: path)
        }
        let huggingFace = decodeHuggingFace(
            located: located, strings: strings, at: at, hasNode: spec.value(at: "source.huggingFace") != nil,
            diagnostics: diagnostics)
        switch (notebookOutput, spec.value(at: "source.huggingFace")) {
        case (nil, nil):
            diagnostics.error(
                .modelSourceShape, "ModelPipeline '\(metadata.name.value)' names no source", at: at("spec.source"),
                help: "add source.huggingFace (repo, revision) or source.notebookOutput (job, volume, path)")
        case (.some, .some):
            diagnostics.error(
                .modelSourceShape,
                "ModelPipeline '\(metadata.name.value)' names two sources, notebookOutput and huggingFace",
                at: at("spec.source.huggingFace"), help: "keep one of them; a pipeline serves one model")
        default: break
        }
        var delivery: Located<ModelDelivery>?
        if let text = located("spec.delivery"), let value = ModelDelivery(rawValue: text.value) {
            delivery = Located(value, at: text.location)
        }
        if notebookOutput != nil, let delivery, delivery.value == .modelcar {
            diagnostics.error(
                .modelSourceShape,
                "a notebookOutput source is served from the claim the notebook wrote (delivery: pvc); nbgitops does not package it as a ModelCar",
                at: delivery.location, help: "remove delivery, or write delivery: pvc")
        }
        var modelcar: ModelPipeline.Modelcar?
        if spec.value(at: "modelcar") != nil {
            if notebookOutput != nil || delivery?.value == .pvc {
                diagnostics.error(
                    .modelSourceShape, "modelcar settings on a ModelPipeline delivered on a claim (delivery: pvc)",
                    at: at("spec.modelcar"), help: "remove modelcar, or write delivery: modelcar")
            }
            var destinations: [ModelPipeline.Destination] = []
            for (index, item) in (spec.value(at: "modelcar.destinations")?.elements ?? []).enumerated() {
                let path = "spec.modelcar.destinations[\(index)]"
                let stream = located(path + ".imageStream")
                let repository = located(path + ".registry.repository")
                let secret = located(path + ".registry.pushSecret")
                if let stream, repository == nil {
                    destinations.append(.imageStream(stream, at: at(path)))
                } else if let repository, let secret, stream == nil {
                    destinations.append(.registry(repository: repository, pushSecret: secret, at: at(path)))
                } else if item.stringValue == nil {
                    diagnostics.error(
                        .modelSourceShape,
                        "a ModelCar destination names \(stream == nil ? "neither" : "both") imageStream \(stream == nil ? "nor" : "and") registry",
                        at: at(path),
                        help: "write one destination per item: imageStream: NAME, or registry: {repository, pushSecret}")
                }
            }
            modelcar = ModelPipeline.Modelcar(
                packager: located("spec.modelcar.packager"), baseImage: located("spec.modelcar.baseImage"),
                destinations: destinations, location: at("spec.modelcar"))
        }
        let minReplicas = integer("spec.serving.minReplicas")
        let maxReplicas = integer("spec.serving.maxReplicas")
        if let minReplicas, let maxReplicas, minReplicas.value > maxReplicas.value {
            diagnostics.error(
                .fieldRange, "serving.minReplicas (\(minReplicas.value)) is above serving.maxReplicas (\(maxReplicas.value))",
                at: minReplicas.location, help: "lower minReplicas or raise maxReplicas")
        }
        var vllm: ModelPipeline.VLLM?
        if spec.value(at: "serving.vllm") != nil {
            if let runtime = located("spec.serving.runtime") {
                diagnostics.error(
                    .modelSourceShape,
                    "serving names the existing runtime '\(runtime.value)' and settings for a generated vLLM runtime",
                    at: at("spec.serving.vllm"), help: "remove serving.vllm to use '\(runtime.value)', or remove serving.runtime")
            }
            vllm = ModelPipeline.VLLM(
                image: located("spec.serving.vllm.image"), args: strings("spec.serving.vllm.args") ?? [],
                shmSize: located("spec.serving.vllm.shmSize"), location: at("spec.serving.vllm"))
        }
        guard diagnostics.errorCount == errorsBefore else { return nil }
        var pipeline = ModelPipeline(
            name: metadata.name, namespace: metadata.namespace, annotations: metadata.annotations,
            notebookOutput: notebookOutput, huggingFace: huggingFace, modelSize: size,
            serving: ModelPipeline.Serving(
                modelFormat: format, modelFormatVersion: located("spec.serving.modelFormat.version"),
                runtime: located("spec.serving.runtime"), minReplicas: minReplicas, maxReplicas: maxReplicas,
                resources: spec.value(at: "serving.resources"), location: at("spec.serving")),
            sourceMap: sourceMap, file: document.file, documentIndex: document.index)
        pipeline.serving.vllm = vllm
        pipeline.document = .object([
            (
                "metadata",
                .object([
                    ("labels", metadata.labels.isEmpty ? nil : .strings(metadata.labels)),
                    ("annotations", metadata.annotations.isEmpty ? nil : .strings(metadata.annotations)),
                ])
            ),
            ("spec", spec),
        ])
        for entry in spec.value(at: "serving.placement.nodeSelector")?.entries ?? [] {
            if let value = entry.value.stringValue { pipeline.serving.nodeSelector[entry.key] = value }
        }
        pipeline.serving.tolerations = spec.value(at: "serving.placement.tolerations")?.elements ?? []
        pipeline.largestFile = located("spec.size.largestFile")
        pipeline.delivery = delivery
        pipeline.modelcar = modelcar
        pipeline.workspaceSize = located("spec.workspace.size")
        pipeline.timeout = located("spec.timeout")
        if let timeout = pipeline.timeout, Durations.seconds(timeout.value) == 0 {
            // Tekton reads 0s as "no timeout"; nbgitops derives one from the model size instead
            // of letting a stuck transfer run forever, and never rounds 0s up to 1s.
            diagnostics.error(
                .fieldRange,
                "timeout '\(timeout.value)' of ModelPipeline '\(pipeline.name.value)' is zero, which Tekton reads as no timeout at all",
                at: timeout.location,
                help:
                    "remove timeout (nbgitops derives one from the model size and the environment's throughputs) or write a positive duration, e.g. 3h"
            )
        }
        return pipeline
    }

    /// `source.huggingFace`, with NBG118 (a revision that is not a full commit SHA) and NBG119
    /// (patterns that fetch no weight format or several).
    static func decodeHuggingFace(
        located: (String) -> Located<String>?, strings: (String) -> [Located<String>]?, at: (String) -> SourceLocation,
        hasNode: Bool, diagnostics: DiagnosticCollector
    ) -> ModelPipeline.HuggingFace? {
        guard hasNode, let repo = located("spec.source.huggingFace.repo"),
            let revision = located("spec.source.huggingFace.revision")
        else { return nil }
        let isSHA =
            revision.value.utf8.count == 40
            && revision.value.utf8.allSatisfy { byte in
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            }
        if !isSHA {
            diagnostics.error(
                .modelRevision,
                "huggingFace.revision '\(revision.value)' is not a full commit SHA; a branch or tag moves, so the rendered tree would not say which model it serves",
                at: revision.location,
                help:
                    "write the 40-hex commit SHA the revision points at today (the repository's 'Files and versions' history, or `git ls-remote https://huggingface.co/\(repo.value) \(revision.value)`)"
            )
        }
        let written = strings("spec.source.huggingFace.allowPatterns")
        let allow =
            written
            ?? ModelPipeline.HuggingFace.defaultAllowPatterns.map {
                Located($0, at: at("spec.source.huggingFace"))
            }
        let ignore = strings("spec.source.huggingFace.ignorePatterns") ?? []
        let formats = WeightFormats.fetched(allow: allow.map(\.value), ignore: ignore.map(\.value))
        if formats.count != 1 {
            let reportAt = written == nil ? at("spec.source.huggingFace") : at("spec.source.huggingFace.allowPatterns")
            if formats.isEmpty {
                diagnostics.error(
                    .modelWeightFormats,
                    "the file patterns of huggingFace '\(repo.value)' fetch no model weights (\(WeightFormats.extensions.map { "*." + $0 }.joined(separator: ", ")))",
                    at: reportAt, help: "allow the weight files the model has, e.g. '*.safetensors' or one '*.gguf' file")
            } else {
                let names = formats.map { "*.\($0)" }.joined(separator: ", ")
                // At the pattern that brings in the second format, when the patterns are written.
                var seen: Set<String> = []
                var culprit: SourceLocation?
                for pattern in allow where written != nil {
                    seen.formUnion(WeightFormats.fetched(allow: [pattern.value], ignore: ignore.map(\.value)))
                    if seen.count > 1 {
                        culprit = pattern.location
                        break
                    }
                }
                diagnostics.error(
                    .modelWeightFormats,
                    "the file patterns of huggingFace '\(repo.value)' fetch \(formats.count) weight formats (\(names)): the workspace, the image and the push carry the model \(formats.count) times over",
                    at: culprit ?? reportAt,
                    help:
                        "allow one format, e.g. allowPatterns: ['*.safetensors', '*.json'], or ignore the others (ignorePatterns: ['*.\(formats.last ?? "bin")'])"
                )
            }
        }
        return ModelPipeline.HuggingFace(
            repo: repo, revision: revision, allowPatterns: allow, ignorePatterns: ignore,
            allowPatternsWritten: written != nil,
            tokenSecret: located("spec.source.huggingFace.tokenSecret.name"), location: at("spec.source.huggingFace"))
    }
}

/// The model weight formats Hugging Face repositories carry, and which of them a set of
/// allow/ignore patterns fetches (patterns as `huggingface_hub` reads them: fnmatch).
enum WeightFormats {
    static let extensions = ["safetensors", "bin", "pt", "pth", "gguf", "onnx", "h5", "msgpack", "ckpt", "tflite"]

    /// The weight extensions some file the patterns allow can end in, and no ignore pattern drops.
    static func fetched(allow: [String], ignore: [String]) -> [String] {
        extensions.filter { ext in
            let sample = "model-00001-of-00002.\(ext)"
            let nested = "sub/\(sample)"
            // A pattern allows the format when it matches a typical weight file name of it, or
            // names one file of it (`granite-Q4_K_M.gguf`).
            let allowed = allow.contains { pattern in
                pattern.hasSuffix("." + ext) || Glob.matches(pattern, sample) || Glob.matches(pattern, nested)
            }
            let ignored = ignore.contains { Glob.matches($0, sample) && Glob.matches($0, nested) }
            return allowed && !ignored
        }
    }
}

/// fnmatch as Python's `fnmatch.fnmatch` reads it (`*` and `?` also match `/`, `[...]` sets).
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.unicodeScalars)
        let t = Array(text.unicodeScalars)
        var memo: [Int: Bool] = [:]
        func match(_ i: Int, _ j: Int) -> Bool {
            let key = i * (t.count + 1) + j
            if let known = memo[key] { return known }
            let result: Bool
            if i == p.count {
                result = j == t.count
            } else if p[i] == "*" {
                result = match(i + 1, j) || (j < t.count && match(i, j + 1))
            } else if j == t.count {
                result = false
            } else if p[i] == "?" {
                result = match(i + 1, j + 1)
            } else if p[i] == "[", let close = p[(i + 1)...].firstIndex(of: "]"), close > i + 1 {
                var set = Array(p[(i + 1)..<close])
                let negate = set.first == "!"
                if negate { set.removeFirst() }
                var inSet = false
                var k = 0
                while k < set.count {
                    if k + 2 < set.count, set[k + 1] == "-" {
                        if set[k].value <= t[j].value && t[j].value <= set[k + 2].value { inSet = true }
                        k += 3
                    } else {
                        if set[k] == t[j] { inSet = true }
                        k += 1
                    }
                }
                result = inSet != negate && match(close + 1, j + 1)
            } else {
                result = p[i] == t[j] && match(i + 1, j + 1)
            }
            memo[key] = result
            return result
        }
        return match(0, 0)
    }
}
