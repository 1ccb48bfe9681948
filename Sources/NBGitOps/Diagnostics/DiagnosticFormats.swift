import Foundation

/// How diagnostics are printed: like a compiler (text), one JSON object per line for tools,
/// or a SARIF 2.1.0 log for code-scanning upload. All three come from the same `Diagnostic`
/// records, in the same order, and are deterministic (sorted keys, no timestamps).
public enum DiagnosticFormat: String, Sendable, CaseIterable {
    case text
    case json
    case sarif
}

public enum DiagnosticFormatter {
    public static let toolName = "nbgitops"
    public static let sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"

    /// - Parameter sourceRoot: the folder file paths are relative to, as a path relative to the
    ///   repository root (`""` when they already are): SARIF artifact URIs are prefixed with it,
    ///   so code scanning places results of a project kept in a sub-folder on the right files.
    /// - Parameter maxShown: the text format shows every error and at most this many warnings
    ///   and notes (nil: all), then a line saying how many were left out and how to see them;
    ///   json and sarif always carry every diagnostic.
    public static func format(
        _ diagnostics: [Diagnostic], as format: DiagnosticFormat, sourceRoot: String = "", maxShown: Int? = nil
    ) -> String {
        switch format {
        case .text: return text(diagnostics, maxShown: maxShown)
        case .json: return jsonLines(diagnostics)
        case .sarif: return sarif(diagnostics, sourceRoot: sourceRoot)
        }
    }

    /// The default number of warnings and notes the text format shows (`--max-diagnostics`).
    public static let defaultMaxShown = 500

    /// `file:line:col: severity[ID]: message` blocks and a count line. Errors are always all
    /// shown; past `maxShown` warnings and notes, the rest are counted in one closing line.
    public static func text(_ diagnostics: [Diagnostic], maxShown: Int? = nil) -> String {
        var text = ""
        var shown = 0
        var hidden: [DiagnosticSeverity: Int] = [:]
        for diagnostic in diagnostics {
            if diagnostic.severity != .error, let maxShown {
                guard shown < maxShown else {
                    hidden[diagnostic.severity, default: 0] += 1
                    continue
                }
                shown += 1
            }
            text += diagnostic.rendered + "\n"
        }
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.filter { $0.severity == .warning }.count
        if errors > 0 || warnings > 0 { text += "\(errors) error(s), \(warnings) warning(s)\n" }
        if !hidden.isEmpty {
            let parts = [(DiagnosticSeverity.warning, "warning"), (.note, "note")].compactMap { severity, word -> String? in
                guard let count = hidden[severity] else { return nil }
                return "\(count) \(word)\(count == 1 ? "" : "s")"
            }
            text +=
                "… and \(parts.joined(separator: " and ")) not shown (all errors are); run with --max-diagnostics 0 to show "
                + "all, or --diagnostics-format json or sarif, which always carry every diagnostic\n"
        }
        return text
    }

    // MARK: JSON lines

    /// One JSON object per diagnostic and line: `id`, `severity`, `message`, `file`, `line`,
    /// `column`, `help`, `notes`, `waived` (absent keys are omitted).
    public static func jsonLines(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map { serialize(jsonObject($0)) + "\n" }.joined()
    }

    static func jsonObject(_ diagnostic: Diagnostic) -> [String: Any] {
        var object: [String: Any] = [
            "id": diagnostic.id.rawValue, "severity": diagnostic.severity.rawValue,
            "message": EchoedText.redacted(diagnostic.message),
        ]
        if let location = diagnostic.location {
            object["file"] = location.file
            object["line"] = location.line
            object["column"] = location.column
        }
        if let help = diagnostic.help { object["help"] = EchoedText.redacted(help) }
        if let reason = diagnostic.waiverReason { object["waived"] = EchoedText.redacted(reason) }
        if !diagnostic.environments.isEmpty { object["environments"] = diagnostic.environments }
        if !diagnostic.notes.isEmpty {
            object["notes"] = diagnostic.notes.map { note -> [String: Any] in
                var entry: [String: Any] = ["message": EchoedText.redacted(note.message)]
                if let location = note.location {
                    entry["file"] = location.file
                    entry["line"] = location.line
                    entry["column"] = location.column
                }
                return entry
            }
        }
        return object
    }

    // MARK: SARIF 2.1.0

    /// A SARIF 2.1.0 log with one run: every catalog rule as a reporting descriptor (with its
    /// doc page as `helpUri`), every diagnostic as a result. Waived findings are `note`
    /// results with an in-source suppression carrying the waiver's reason. The driver names
    /// nbgitops' version and home; locations that are not files (`<command line>`,
    /// `<environment>`) are left out rather than sent as artifact URIs.
    public static func sarif(_ diagnostics: [Diagnostic], sourceRoot: String = "") -> String {
        let prefix = sourceRoot.isEmpty || sourceRoot == "." ? "" : sourceRoot + "/"
        let rules = RuleCatalog.all
        var ruleIndex: [RuleID: Int] = [:]
        for (index, rule) in rules.enumerated() { ruleIndex[rule.id] = index }
        let descriptors: [[String: Any]] = rules.map { rule in
            [
                "id": rule.id.rawValue,
                "shortDescription": ["text": rule.title],
                "helpUri": NBGitOpsVersion.ruleHelpURI(rule.id),
                "properties": [
                    "docPage": RuleDocs.relativePath(rule.id), "stage": rule.stage.rawValue, "waivable": rule.waivable,
                ],
                "defaultConfiguration": ["level": level(rule.severity)],
            ]
        }
        let results: [[String: Any]] = diagnostics.map { diagnostic in
            var message = EchoedText.redacted(diagnostic.message)
            if let help = diagnostic.help { message += "\nhelp: \(EchoedText.redacted(help))" }
            var result: [String: Any] = [
                "ruleId": diagnostic.id.rawValue,
                "level": level(diagnostic.severity),
                "message": ["text": message],
            ]
            if let index = ruleIndex[diagnostic.id] { result["ruleIndex"] = index }
            if !diagnostic.environments.isEmpty { result["properties"] = ["environments": diagnostic.environments] }
            if let location = diagnostic.location, isFile(location) {
                result["locations"] = [physicalLocation(location, prefix: prefix, id: nil, message: nil)]
            }
            let related = diagnostic.notes.enumerated().compactMap { index, note -> [String: Any]? in
                guard let location = note.location, isFile(location) else { return nil }
                return physicalLocation(location, prefix: prefix, id: index, message: EchoedText.redacted(note.message))
            }
            if !related.isEmpty { result["relatedLocations"] = related }
            if let reason = diagnostic.waiverReason {
                result["suppressions"] = [["kind": "inSource", "justification": EchoedText.redacted(reason)]]
            }
            return result
        }
        let log: [String: Any] = [
            "$schema": sarifSchema,
            "version": "2.1.0",
            "runs": [
                [
                    "tool": [
                        "driver": [
                            "name": toolName, "version": NBGitOpsVersion.current,
                            "semanticVersion": NBGitOpsVersion.current,
                            "informationUri": NBGitOpsVersion.informationURI, "rules": descriptors,
                        ] as [String: Any]
                    ],
                    "columnKind": "unicodeCodePoints",
                    "results": results,
                ] as [String: Any]
            ],
        ]
        return serialize(log, pretty: true) + "\n"
    }

    static func level(_ severity: DiagnosticSeverity) -> String {
        switch severity {
        case .error: return "error"
        case .warning: return "warning"
        case .note: return "note"
        }
    }

    /// Whether a location names a file (not `<command line>` or `<environment>`).
    static func isFile(_ location: SourceLocation) -> Bool { !location.file.hasPrefix("<") }

    static func physicalLocation(_ location: SourceLocation, prefix: String, id: Int?, message: String?) -> [String: Any] {
        let file = location.file.hasPrefix("/") ? location.file : prefix + location.file
        let uri = file.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? file
        var result: [String: Any] = [
            "physicalLocation": [
                "artifactLocation": ["uri": uri],
                "region": ["startLine": max(1, location.line), "startColumn": max(1, location.column)],
            ] as [String: Any]
        ]
        if let id { result["id"] = id }
        if let message { result["message"] = ["text": message] }
        return result
    }

    static func serialize(_ object: Any, pretty: Bool = false) -> String {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: options),
            let text = String(data: data, encoding: .utf8)
        else { return "{}" }
        return text
    }
}
