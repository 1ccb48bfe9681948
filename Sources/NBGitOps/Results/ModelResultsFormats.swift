import Foundation

extension ResultsFormat {
    /// The validation Jobs' results as `render(_:environments:)` prints them, then the model
    /// PipelineRuns and InferenceServices: with no model objects the output is exactly the
    /// Jobs' one.
    public func render(_ results: [ValidationResult], models: [ModelResult], environments: [String]) -> String {
        let jobs = render(results, environments: environments)
        guard !models.isEmpty else { return jobs }
        switch self {
        case .text: return jobs + ModelResultsText.text(models, environments: environments)
        case .markdown: return jobs + ModelResultsText.markdown(models, environments: environments)
        case .junit: return ModelResultsText.junit(models, environments: environments, after: jobs)
        case .json: return ModelResultsText.json(models, after: jobs)
        case .sarif: return ModelResultsText.sarif(models, after: jobs)
        }
    }
}

enum ModelResultsText {
    static let order: [ModelResult.Status] = [.failed, .notReady, .running, .pending, .succeeded, .ready]

    static func summary(_ models: [ModelResult]) -> String {
        var parts: [String] = []
        for (kind, noun) in [
            (RenderedModelObject.Kind.pipelineRun, "model PipelineRun"), (.inferenceService, "InferenceService"),
        ] {
            let mine = models.filter { $0.kind == kind }
            guard !mine.isEmpty else { continue }
            let counts = order.compactMap { status -> String? in
                let count = mine.filter { $0.status == status }.count
                return count > 0 ? "\(count) \(status.rawValue.replacingOccurrences(of: "-", with: " "))" : nil
            }
            parts.append("\(mine.count) \(noun)\(mine.count == 1 ? "" : "s"): " + counts.joined(separator: ", "))
        }
        return parts.joined(separator: "; ")
    }

    static func label(_ status: ModelResult.Status) -> String {
        status.rawValue.uppercased().padding(toLength: 11, withPad: " ", startingAt: 0)
    }

    static func text(_ models: [ModelResult], environments: [String]) -> String {
        var text = ""
        for environment in environments {
            let mine = models.filter { $0.environment == environment }
            guard !mine.isEmpty else { continue }
            text += ResultsText.line("environment '\(ResultsText.terminal(environment))' models: \(summary(mine))")
            for model in mine {
                text += ResultsText.line(
                    "  \(label(model.status))\(ResultsText.terminal(model.instance)) (\(model.kind.rawValue) \(ResultsText.terminal(model.namespace))/\(ResultsText.terminal(model.name)))"
                )
                for detail in model.details { text += ResultsText.line("             \(ResultsText.terminal(detail))") }
            }
        }
        return text
    }

    static let icons: [ModelResult.Status: String] = [
        .succeeded: "✅", .ready: "✅", .failed: "❌", .notReady: "⚠️", .running: "⏳", .pending: "🕓",
    ]

    static func markdown(_ models: [ModelResult], environments: [String]) -> String {
        var text = "\n## Models\n"
        for environment in environments {
            let mine = models.filter { $0.environment == environment }
            guard !mine.isEmpty else { continue }
            text += "\n### Environment \(ResultsText.markdownCell(environment)): \(summary(mine))\n\n"
            text += "| | Model | Object | Status | Details |\n|---|---|---|---|---|\n"
            for model in mine {
                let details = model.details.map(ResultsText.markdownCell).joined(separator: "<br>")
                text +=
                    "| \(icons[model.status] ?? "") | \(ResultsText.markdownCell(model.instance)) | \(model.kind.rawValue) \(ResultsText.markdownCell(model.name)) | \(model.status.rawValue) | \(details) |\n"
            }
        }
        return text
    }

    /// One more `testsuite` per environment (`<environment> models`), one `testcase` per object:
    /// a failed PipelineRun is a `failure`; pending, running or not-ready objects are `skipped`.
    /// The `testsuites` totals of `jobs` are raised accordingly.
    static func junit(_ models: [ModelResult], environments: [String], after jobs: String) -> String {
        let xml = ResultsText.xml
        var suites = ""
        for environment in environments {
            let mine = models.filter { $0.environment == environment }
            guard !mine.isEmpty else { continue }
            let failures = mine.filter { $0.status == .failed }.count
            let skipped = mine.filter { [.pending, .running, .notReady].contains($0.status) }.count
            suites +=
                "  <testsuite name=\"\(xml(environment)) models\" tests=\"\(mine.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\" time=\"0\">\n"
            for model in mine {
                suites +=
                    "    <testcase classname=\"\(xml(environment)).\(xml(model.namespace))\" name=\"\(xml(model.instance)) \(model.kind.rawValue) \(xml(model.name))\""
                let body = xml(model.details.joined(separator: "\n"))
                let first = xml(model.details.first ?? model.status.rawValue)
                switch model.status {
                case .failed:
                    suites +=
                        ">\n      <failure message=\"\(first)\" type=\"\(xml(model.reason ?? "failed"))\">\(body)</failure>\n    </testcase>\n"
                case .pending, .running, .notReady:
                    suites += ">\n      <skipped message=\"\(model.status.rawValue): \(first)\"/>\n    </testcase>\n"
                case .succeeded, .ready:
                    suites += ">\n      <system-out>\(body)</system-out>\n    </testcase>\n"
                }
            }
            suites += "  </testsuite>\n"
        }
        var lines = jobs.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let header = lines.firstIndex(where: { $0.hasPrefix("<testsuites ") }) {
            lines[header] = raise(lines[header], "tests", by: models.count)
            lines[header] = raise(lines[header], "failures", by: models.filter { $0.status == .failed }.count)
        }
        guard let close = lines.lastIndex(of: "</testsuites>") else { return jobs + suites }
        lines.insert(contentsOf: suites.split(separator: "\n").map(String.init), at: close)
        return lines.joined(separator: "\n")
    }

    /// `line` with the number in its `attribute="N"` raised by `count`.
    static func raise(_ line: String, _ attribute: String, by count: Int) -> String {
        guard let start = line.range(of: " \(attribute)=\"") else { return line }
        let digits = line[start.upperBound...].prefix { $0.isNumber }
        guard let value = Int(digits) else { return line }
        return line.replacingCharacters(
            in: start.upperBound..<line.index(start.upperBound, offsetBy: digits.count), with: String(value + count))
    }

    static func jsonObject(_ model: ModelResult) -> [String: Any] {
        var object: [String: Any] = [
            "environment": model.environment, "model": model.instance, "namespace": model.namespace,
            "kind": model.kind.rawValue, "name": model.name, "status": model.status.rawValue, "details": model.details,
        ]
        if let reason = model.reason { object["reason"] = reason }
        return object
    }

    /// The Jobs' JSON with a `models` list added and `failed` true when a model PipelineRun failed.
    static func json(_ models: [ModelResult], after jobs: String) -> String {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(jobs.utf8))) as? [String: Any] else {
            return jobs
        }
        object["models"] = models.map(jsonObject)
        object["failed"] = (object["failed"] as? Bool ?? false) || ModelResults.anyFailed(models)
        return ResultsText.encode(object)
    }

    /// The Jobs' SARIF log with one more result per failed model PipelineRun (rule
    /// `model/<reason>`; no location: the tree's file is generated, the spec's line unknown).
    static func sarif(_ models: [ModelResult], after jobs: String) -> String {
        let failed = models.filter { $0.status == .failed }
        guard !failed.isEmpty,
            var log = (try? JSONSerialization.jsonObject(with: Data(jobs.utf8))) as? [String: Any],
            var runs = log["runs"] as? [[String: Any]], var run = runs.first,
            var tool = run["tool"] as? [String: Any], var driver = tool["driver"] as? [String: Any]
        else { return jobs }
        var rules = driver["rules"] as? [[String: Any]] ?? []
        for reason in Array(Set(failed.map { $0.reason ?? "failed" })).sorted() {
            rules.append(["id": "model/\(reason)", "shortDescription": ["text": "model pipeline failed (\(reason))"]])
        }
        driver["rules"] = rules
        tool["driver"] = driver
        run["tool"] = tool
        run["results"] =
            (run["results"] as? [[String: Any]] ?? [])
            + failed.map { model -> [String: Any] in
                [
                    "ruleId": "model/\(model.reason ?? "failed")", "level": "error",
                    "message": [
                        "text":
                            "model '\(model.instance)' \(model.kind.rawValue) \(model.namespace)/\(model.name) failed in environment '\(model.environment)': "
                            + model.details.joined(separator: "; ")
                    ],
                ]
            }
        runs[0] = run
        log["runs"] = runs
        return ResultsText.encode(log)
    }
}
