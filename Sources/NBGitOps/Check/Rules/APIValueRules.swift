/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let containerValuesRejected: RuleID = "NBG108"
}

/// Values of a container the API server rejects on create, checked where nbgitops writes or
/// passes a container: the notebook container of a NotebookValidationJob (after the
/// environment's `defaults.resources`), a ModelPipeline's `serving.resources`, and the
/// containers of passed-through workloads. (The overlays' `defaults.resources` are
/// non-negative by their schema pattern, NBG105.)
enum APIValueRules {
    /// A problem with one field: the path below `resources` or `env`, the message and the help.
    struct Problem {
        var path: String
        var message: String
        var help: String
    }

    /// The signed value of a quantity node; nil when it is no quantity (NBG114 reports those).
    static func signedValue(_ node: ManifestNode) -> Double? {
        switch node {
        case .int(let number): return Double(number)
        case .float(let text), .string(let text):
            let trimmed = Quantity.trimmingSpaces(text)
            if trimmed.hasPrefix("-") { return Quantity.value(String(trimmed.dropFirst())).map { -$0 } }
            return Quantity.value(trimmed)
        default: return nil
        }
    }

    static func text(_ node: ManifestNode) -> String {
        switch node {
        case .string(let value), .float(let value): return value
        case .int(let value): return String(value)
        default: return "?"
        }
    }

    /// Mirrors kubernetes `pkg/apis/core/validation/validation.go` `ValidateResourceRequirements`
    /// (with `ValidateNonnegativeQuantity` per entry): no request or limit below zero, and no
    /// request above its limit ("must be less than or equal to <resource> limit"). Extended
    /// resources (a `/` in the name, GPUs) must have request equal to limit: NBG211 says so.
    static func resourceProblems(_ resources: ManifestNode?) -> [Problem] {
        guard let resources else { return [] }
        var problems: [Problem] = []
        for field in ["requests", "limits"] {
            for entry in resources[field]?.entries ?? [] {
                guard let value = signedValue(entry.value), value < 0 else { continue }
                problems.append(
                    Problem(
                        path: "\(field)" + SourceMap.component(entry.key),
                        message: "resources.\(field).\(entry.key) '\(text(entry.value))' is negative; the API server rejects it",
                        help: "write a quantity of zero or more, e.g. \(entry.key == "cpu" ? "500m" : "2Gi")"))
            }
        }
        for entry in resources["requests"]?.entries ?? [] where !entry.key.contains("/") {
            guard let limitNode = resources["limits"]?[entry.key], let request = signedValue(entry.value),
                let limit = signedValue(limitNode), request >= 0, limit >= 0, request > limit
            else { continue }
            problems.append(
                Problem(
                    path: "requests" + SourceMap.component(entry.key),
                    message:
                        "resources.requests.\(entry.key) '\(text(entry.value))' is above its limit '\(text(limitNode))'; the API server rejects a request above its limit",
                    help: "lower the request to at most the limit, or raise limits.\(entry.key)"))
        }
        return problems
    }

    /// Mirrors kubernetes `pkg/apis/core/validation/validation.go` `validateEnv`, which checks
    /// each name with apimachinery `pkg/util/validation/validation.go` `IsEnvVarName`:
    /// `[-._a-zA-Z][-._a-zA-Z0-9]*` (not empty, no `=`, no leading digit).
    static func isEnvVarName(_ name: String) -> Bool {
        guard let first = name.utf8.first else { return false }
        func letterOrMark(_ byte: UInt8) -> Bool {
            (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x2E || byte == 0x5F
        }
        return letterOrMark(first) && name.utf8.allSatisfy { letterOrMark($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    static func envProblem(_ name: String) -> String? {
        guard !isEnvVarName(name) else { return nil }
        let shown = name.isEmpty ? "an empty env variable name" : "env variable name '\(name)'"
        return "\(shown) is not a valid environment variable name ([-._a-zA-Z][-._a-zA-Z0-9]*); the API server rejects it"
    }

    static let envHelp =
        "name the variable with letters, digits, '_', '-' or '.', not starting with a digit and without '=' (e.g. MY_SETTING)"

    /// NBG108.
    static let containerValues = PlanRule(
        .containerValuesRejected, .error,
        "a container's resources or env the API server rejects (a negative quantity, a request above its limit, an invalid env name)",
        waivable: false
    ) { context in
        let defaults = context.environment.defaults
        // NotebookValidationJobs: the notebook container, defaults applied.
        for job in context.specs.jobs where EnvironmentPlanner.isPlanned(job, on: context.platform) {
            let subject = context.subject(for: job)
            var defaulted: [String: Traced<String>] = [:]
            let effective = ValidationJobPlanner.withDefaults(job.podConfig.resources, defaults, defaulted: &defaulted)
            for problem in resourceProblems(effective) {
                let location =
                    job.sourceMap["spec.podConfig.resources.\(problem.path)"]
                    ?? job.sourceMap.nearest("spec.podConfig.resources.\(problem.path)") ?? job.name.location
                context.report(
                    "notebook container of '\(job.name.value)': \(problem.message)", at: location, help: problem.help,
                    notes: defaulted.isEmpty
                        ? []
                        : [
                            DiagnosticNote(
                                "the environment's defaults.resources filled in \(defaulted.keys.sorted().joined(separator: ", "))",
                                at: defaulted.values.compactMap(\.origin.location).min())
                        ],
                    subject: subject)
            }
            for name in job.podConfig.envNames {
                guard let message = envProblem(name.value) else { continue }
                context.report(message, at: name.location, help: envHelp, subject: subject)
            }
        }
        // ModelPipelines: the predictor's resources.
        for pipeline in context.specs.modelPipelines {
            let subject = DocumentKey(file: pipeline.file, index: pipeline.documentIndex)
            for problem in resourceProblems(pipeline.serving.resources) {
                let path = "spec.serving.resources.\(problem.path)"
                context.report(
                    "ModelPipeline '\(pipeline.name.value)': \(problem.message)",
                    at: pipeline.sourceMap[path] ?? pipeline.sourceMap.nearest(path) ?? pipeline.serving.location,
                    help: problem.help, subject: subject)
            }
        }
        // Passed-through workloads: every container.
        for unit in context.units where context.supportingObject(for: unit.object) != nil {
            for container in unit.containers {
                let resourcesPath = container.node["computeResources"] != nil ? "computeResources" : "resources"
                for problem in resourceProblems(container.node[resourcesPath]) {
                    context.report(
                        "\(unit.displayName), container '\(container.name)': \(problem.message)",
                        at: context.location(of: container.object, path: "\(container.path).\(resourcesPath).\(problem.path)"),
                        help: problem.help, subject: context.subject(for: unit.object))
                }
                for (index, variable) in (container.node["env"]?.elements ?? []).enumerated() {
                    guard let message = envProblem(variable["name"]?.stringValue ?? "") else { continue }
                    context.report(
                        "\(unit.displayName), container '\(container.name)': \(message)",
                        at: context.location(of: container.object, path: "\(container.path).env[\(index)].name"),
                        help: envHelp, subject: context.subject(for: unit.object))
                }
            }
        }
    }
}
