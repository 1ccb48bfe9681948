import Foundation

/// How `nbgitops results` prints: every form is built from the same results, deterministically
/// (sorted as `ValidationResults.evaluate` returns them, no clock).
public enum ResultsFormat: String, Sendable, CaseIterable {
    case text, markdown, junit, json, sarif

    public func render(_ results: [ValidationResult], environments: [String]) -> String {
        switch self {
        case .text: return ResultsText.text(results, environments: environments)
        case .markdown: return ResultsText.markdown(results, environments: environments)
        case .junit: return ResultsText.junit(results, environments: environments)
        case .json: return ResultsText.json(results)
        case .sarif: return ResultsText.sarif(results)
        }
    }
}

enum ResultsText {
    static func summary(_ results: [ValidationResult]) -> String {
        let current = results.filter(\.isCurrent)
        var parts: [String] = []
        for status in [ValidationResult.Status.failed, .running, .pending, .passed] {
            let count = current.filter { $0.status == status }.count
            if count > 0 { parts.append("\(count) \(status.rawValue)") }
        }
        let superseded = results.count - current.count
        var text = "\(current.count) validation Job\(current.count == 1 ? "" : "s")"
        if !parts.isEmpty { text += ": " + parts.joined(separator: ", ") }
        if superseded > 0 { text += "; \(superseded) superseded" }
        let unreadable = current.filter { $0.unreadableVerdict != nil }.count
        if unreadable > 0 { text += "; \(unreadable) with an unreadable verdict" }
        return text
    }

    static func text(_ results: [ValidationResult], environments: [String]) -> String {
        var text = ""
        for environment in environments {
            let mine = results.filter { $0.environment == environment }
            text += line("environment '\(terminal(environment))': \(summary(mine))")
            for result in mine {
                let label = result.status.rawValue.uppercased().padding(toLength: 11, withPad: " ", startingAt: 0)
                text += line(
                    "  \(label)\(terminal(result.instance)) (Job \(terminal(result.namespace))/\(terminal(result.jobName)))")
                for detail in result.details { text += line("             \(terminal(detail))") }
                if let source = result.source, result.isCurrent { text += line("             spec: \(terminal(source))") }
                if let revision = result.revision?.line, !revision.isEmpty {
                    text += line("             revision: \(terminal(revision))")
                }
            }
        }
        return text
    }

    /// A value read from the cluster (a termination message, a condition, a name), made safe
    /// for a terminal and a CI log: it stays on its one line and cannot send escape sequences.
    /// Control characters (C0, DEL, C1: ANSI escapes, `\r`, `\n`), line and paragraph
    /// separators and bidirectional overrides are written as visible escapes (`\u{1B}`,
    /// `\r`, `\n`, `\t`); everything else is kept.
    static func terminal(_ text: String) -> String {
        escaping(text) { scalar in
            switch scalar {
            case "\n": return "\\n"
            case "\r": return "\\r"
            case "\t": return "\\t"
            default: return isInvisibleControl(scalar) ? visibleEscape(scalar) : nil
            }
        }
    }

    /// `text` with each scalar `replacement` has a replacement for replaced by it; the others kept.
    static func escaping(_ text: String, _ replacement: (Unicode.Scalar) -> String?) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            if let replaced = replacement(scalar) {
                escaped += replaced
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// A scalar written as a visible escape: `\u{1B}`.
    static func visibleEscape(_ scalar: Unicode.Scalar) -> String {
        "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
    }

    static func isInvisibleControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true  // C0, DEL, C1 (CSI 0x9B among them)
        case 0x2028, 0x2029: return true  // line and paragraph separators
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true  // bidirectional controls
        default: return false
        }
    }

    /// One output line of `text`. GitHub Actions reads a log line whose first non-blank
    /// characters are `::` as a workflow command (`::error::`, `::stop-commands::`,
    /// `::add-mask::`), and `##[` as its older form: a line a value begins is prefixed with a
    /// backslash, and `##[` inside a line loses its bracket's meaning (`#\#[`), so nothing
    /// `results` prints can command the runner.
    static func line(_ text: String) -> String {
        let body = text.drop { $0 == " " }
        let indentation = text.prefix(text.count - body.count)
        var safe = String(body).replacingOccurrences(of: "##[", with: "#\\#[")
        if safe.hasPrefix("::") { safe = "\\" + safe }
        return indentation + safe + "\n"
    }

    /// A value in a GitHub-flavoured markdown table cell (the PR comment): a code span, so that
    /// no HTML, link, image, autolink, `@mention`, `#reference` or emphasis in a termination
    /// message renders; a fence longer than any backtick run inside; control characters as in
    /// `terminal`; `|` escaped (GitHub splits table cells on it even inside code spans).
    static func markdownCell(_ text: String) -> String {
        let visible = terminal(text).replacingOccurrences(of: "|", with: "\\|")
        guard !visible.isEmpty else { return "" }
        var longest = 0
        var run = 0
        for character in visible {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let padded = visible.hasPrefix("`") || visible.hasSuffix("`") ? " \(visible) " : visible
        return fence + padded + fence
    }

    static let icons: [ValidationResult.Status: String] = [
        .passed: "✅", .failed: "❌", .running: "⏳", .pending: "🕓", .superseded: "➖",
    ]

    static func markdown(_ results: [ValidationResult], environments: [String]) -> String {
        var text = "## Notebook validation\n"
        for environment in environments {
            let mine = results.filter { $0.environment == environment }
            text += "\n### Environment \(markdownCell(environment)): \(summary(mine))\n\n"
            guard !mine.isEmpty else { continue }
            text += "| | Notebook | Status | Details | Spec |\n|---|---|---|---|---|\n"
            for result in mine {
                let details = result.details.map(markdownCell).joined(separator: "<br>")
                var source = result.source.map(markdownCell) ?? ""
                if let line = result.revision?.line, !line.isEmpty {
                    source += (source.isEmpty ? "" : "<br>") + markdownCell(line)
                }
                text +=
                    "| \(icons[result.status] ?? "") | \(markdownCell(result.instance)) (\(markdownCell(result.jobName))) | \(result.status.rawValue) | \(details) | \(source) |\n"
            }
        }
        return text
    }

    static func xml(_ text: String) -> String {
        escaping(text) { scalar in
            switch scalar {
            case "&": return "&amp;"
            case "<": return "&lt;"
            case ">": return "&gt;"
            case "\"": return "&quot;"
            case "'": return "&apos;"
            case "\t", "\n", "\r": return nil
            default:
                // XML 1.0 allows no other control characters, not even escaped: they are
                // written as visible escapes, as `results` text writes them.
                return scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) ? visibleEscape(scalar) : nil
            }
        }
    }

    /// JUnit XML as Jenkins, GitLab and GitHub test reporters read it: one `testsuite` per
    /// environment, one `testcase` per current Job (`classname` the namespace); a failed Job is
    /// a `failure`, a pending or running one `skipped`. Superseded Jobs are not test cases.
    static func junit(_ results: [ValidationResult], environments: [String]) -> String {
        let current = results.filter(\.isCurrent)
        func counts(_ list: [ValidationResult]) -> String {
            let failures = list.filter { $0.status == .failed }.count
            let skipped = list.filter { $0.status == .pending || $0.status == .running }.count
            return "tests=\"\(list.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\""
        }
        var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        // junit-10.xsd allows no `skipped` count on testsuites (only on each testsuite).
        let failures = current.filter { $0.status == .failed }.count
        text += "<testsuites name=\"nbgitops results\" tests=\"\(current.count)\" failures=\"\(failures)\" errors=\"0\">\n"
        for environment in environments {
            let mine = current.filter { $0.environment == environment }
            let time = mine.compactMap { $0.verdict?.durationSeconds }.reduce(0, +)
            text += "  <testsuite name=\"\(xml(environment))\" \(counts(mine)) time=\"\(time)\">\n"
            for result in mine {
                let time = result.verdict?.durationSeconds.map { " time=\"\($0)\"" } ?? ""
                text +=
                    "    <testcase classname=\"\(xml(environment)).\(xml(result.namespace))\" name=\"\(xml(result.instance))\"\(time)"
                let revision = result.revision.map(\.line).flatMap { $0.isEmpty ? nil : ["revision: \($0)"] } ?? []
                let body = (result.details + (result.source.map { ["spec: \($0)"] } ?? []) + revision).joined(
                    separator: "\n")
                switch result.status {
                case .failed:
                    let type = result.verdict?.reason ?? "job"
                    text +=
                        ">\n      <failure message=\"\(xml(result.details.first ?? "failed"))\" type=\"\(xml(type))\">\(xml(body))</failure>\n    </testcase>\n"
                case .pending, .running:
                    text +=
                        ">\n      <skipped message=\"\(result.status.rawValue): \(xml(result.details.first ?? ""))\"/>\n    </testcase>\n"
                case .passed:
                    text += ">\n      <system-out>\(xml(body))</system-out>\n    </testcase>\n"
                case .superseded:
                    text += "/>\n"
                }
            }
            text += "  </testsuite>\n"
        }
        text += "</testsuites>\n"
        return text
    }

    static func jsonObject(_ result: ValidationResult) -> [String: Any] {
        var object: [String: Any] = [
            "environment": result.environment, "notebook": result.instance, "namespace": result.namespace,
            "job": result.jobName, "status": result.status.rawValue, "details": result.details,
        ]
        if let source = result.source { object["spec"] = source }
        if let imageID = result.imageID { object["imageID"] = imageID }
        if let revision = result.revision {
            var encoded: [String: Any] = ["committed": revision.isCommitted]
            if let commit = revision.renderedIn {
                encoded["renderedIn"] = ["sha": commit.sha, "date": commit.date, "subject": commit.subject]
            }
            if let appliedBy = revision.appliedBy { encoded["appliedBy"] = appliedBy }
            if let applied = revision.appliedRevision { encoded["appliedRevision"] = applied }
            if let synced = revision.syncedRevision { encoded["syncedRevision"] = synced }
            if revision.isCutOff { encoded["beforeShallowHistory"] = true }
            object["revision"] = encoded
        }
        if let unreadable = result.unreadableVerdict {
            object["verdictUnreadable"] = ["problem": unreadable.problem, "raw": unreadable.raw]
        }
        if let verdict = result.verdict {
            var encoded: [String: Any] = ["verdict": verdict.verdict]
            if let reason = verdict.reason { encoded["reason"] = reason }
            if let commit = verdict.commit { encoded["commit"] = commit }
            if let duration = verdict.durationSeconds { encoded["durationSeconds"] = duration }
            if let saved = verdict.results { encoded["results"] = saved }
            if let error = verdict.resultsError { encoded["resultsError"] = error }
            if let comparison = verdict.comparison {
                encoded["comparison"] = [
                    "total": comparison.total, "matched": comparison.matched, "mismatched": comparison.mismatched,
                    "mismatchedCells": comparison.mismatchedCells,
                ]
            }
            if !verdict.failedCells.isEmpty {
                encoded["failedCells"] = verdict.failedCells.map { cell -> [String: Any] in
                    ["index": cell.index.map { $0 as Any } ?? NSNull(), "error": cell.error]
                }
            }
            if verdict.truncated > 0 { encoded["truncated"] = verdict.truncated }
            object["verdict"] = encoded
        }
        return object
    }

    static func encode(_ value: Any) -> String {
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: value, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func json(_ results: [ValidationResult]) -> String {
        encode(["results": results.map(jsonObject), "failed": ValidationResults.anyFailed(results)] as [String: Any])
    }

    /// SARIF 2.1.0: one result per failed current Job, at its spec's location, rule
    /// `validation/<reason>` (execution, validation, comparison, configuration, job).
    static func sarif(_ results: [ValidationResult]) -> String {
        let failed = results.filter { $0.isCurrent && $0.status == .failed }
        let reasons = Array(Set(failed.map { $0.verdict?.reason ?? "job" })).sorted()
        let rules: [[String: Any]] = reasons.map { reason in
            [
                "id": "validation/\(reason)",
                "shortDescription": ["text": "notebook validation failed (\(reason))"],
            ]
        }
        let entries: [[String: Any]] = failed.map { result in
            var entry: [String: Any] = [
                "ruleId": "validation/\(result.verdict?.reason ?? "job")", "level": "error",
                "message": [
                    "text":
                        "notebook '\(result.instance)' failed in environment '\(result.environment)': "
                        + result.details.joined(separator: "; ")
                ],
            ]
            if let source = result.source {
                let parts = source.split(separator: ":")
                if parts.count >= 3, let line = Int(parts[parts.count - 2]), let column = Int(parts[parts.count - 1]) {
                    entry["locations"] = [
                        [
                            "physicalLocation": [
                                "artifactLocation": ["uri": parts.dropLast(2).joined(separator: ":")],
                                "region": ["startLine": line, "startColumn": column],
                            ]
                        ]
                    ]
                }
            }
            return entry
        }
        let log: [String: Any] = [
            "version": "2.1.0",
            "$schema": DiagnosticFormatter.sarifSchema,
            "runs": [
                [
                    "tool": [
                        "driver": [
                            "name": "nbgitops results", "informationUri": NBGitOpsVersion.informationURI,
                            "rules": rules,
                        ]
                    ],
                    "results": entries,
                ]
            ],
        ]
        return encode(log)
    }
}
