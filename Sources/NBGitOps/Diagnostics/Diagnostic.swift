import Foundation

/// How bad a diagnostic is. Errors stop the pipeline before anything is written.
public enum DiagnosticSeverity: String, Sendable, Hashable, Codable {
    case error
    case warning
    case note
}

/// A secondary location that explains a diagnostic ("this value was set by overlays/rwo.yaml:4").
public struct DiagnosticNote: Hashable, Sendable {
    public var message: String
    public var location: SourceLocation?

    public init(_ message: String, at location: SourceLocation? = nil) {
        self.message = message
        self.location = location
    }
}

/// One problem found in the input, shaped like a compiler diagnostic:
/// a stable rule id, a severity, a primary location, notes and a `help:` line.
public struct Diagnostic: Hashable, Sendable {
    public var id: RuleID
    public var severity: DiagnosticSeverity
    public var message: String
    public var location: SourceLocation?
    public var help: String?
    public var notes: [DiagnosticNote]
    /// The reason of the `nbgitops.dev/waive` annotation that turned this finding into a note.
    public var waiverReason: String?
    /// The environments whose check found this, in the order they were checked (empty for
    /// diagnostics of the input itself: load, decode, resolve).
    public var environments: [String] = []

    public init(
        _ id: RuleID,
        _ severity: DiagnosticSeverity,
        _ message: String,
        at location: SourceLocation?,
        help: String? = nil,
        notes: [DiagnosticNote] = []
    ) {
        self.id = id
        self.severity = severity
        self.message = message
        self.location = location
        self.help = help
        self.notes = notes
    }

    /// `file:line:col: error[ID]: message` followed by `  note:` and `  help:` lines. What the
    /// input supplied is printed redacted and escaped (`EchoedText`): every line of the block
    /// starts with a location, `note:` or `help:`, never with echoed text.
    public var rendered: String {
        var text = ""
        if let location { text += Self.display(location) + ": " }
        text += "\(severity.rawValue)[\(id.rawValue)]: \(EchoedText.display(message))"
        if environments.count > 1 {
            text += "\n  note: found in environments " + environments.map { EchoedText.display($0) }.joined(separator: ", ")
        }
        for note in notes {
            text += "\n  note: "
            if let location = note.location { text += Self.display(location) + ": " }
            text += EchoedText.display(note.message)
        }
        if let help { text += "\n  help: \(EchoedText.display(help))" }
        return text
    }

    /// A location as the text format prints it: escaped, and never starting with `:` (a file
    /// named `::error::x.yaml` is printed `./::error::x.yaml`, which no CI reads as a command).
    static func display(_ location: SourceLocation) -> String {
        let file = EchoedText.display(location.file)
        return (file.hasPrefix(":") ? "./" + file : file) + ":\(location.line):\(location.column)"
    }
}

/// Collects the diagnostics of a run. Stages report into it; the pipeline stops between
/// stages once an error was reported.
///
/// Nothing reported is ever dropped: every error is kept and counted (so it fails the run),
/// and so is every warning and note; only the text printer may shorten the list of warnings
/// and notes it shows (`DiagnosticFormatter.text(_:maxShown:)`), and says so. Input that could
/// produce diagnostics without bound is bounded where it is read (`LoadLimits.maxDocuments`,
/// `SpecDecoder.maxErrorsPerFile`).
///
/// A finding of the Check stage carries the environment it was found in; the same finding
/// (rule, severity, location) found again in another environment is merged into the first,
/// which then names every environment (one finding, printed once).
///
/// Thread-safe: every access goes through one lock, so stages that report from several
/// threads (or a rule context shared by `Parallel.map`) cannot race.
public final class DiagnosticCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Diagnostic] = []
    /// Every diagnostic as reported (before merging environments): an exact repeat is dropped.
    private var seen: Set<Diagnostic> = []
    private var errors = 0
    private var errorLocations: Set<SourceLocation> = []
    /// Indices into `stored` of environment findings, by what makes two of them the same finding.
    private var byFinding: [FindingKey: [Int]] = [:]

    private struct FindingKey: Hashable {
        var id: RuleID
        var severity: DiagnosticSeverity
        var location: SourceLocation?
        var waiverReason: String?
    }

    /// Every diagnostic reported so far, in report order.
    public var diagnostics: [Diagnostic] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    public init() {}

    public var hasErrors: Bool {
        lock.lock()
        defer { lock.unlock() }
        return errors > 0
    }

    public var errorCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return errors
    }

    /// Whether an error was already reported at `location`: later checks of the same value
    /// stay quiet (one mistake, one error — the schema's NBG105 and a semantic check alike).
    public func hasError(at location: SourceLocation?) -> Bool {
        guard let location else { return false }
        lock.lock()
        defer { lock.unlock() }
        return errorLocations.contains(location)
    }

    /// Rewrites reported diagnostics in place (the Check stage turns waived findings of the
    /// Plan stage into notes).
    public func transform(_ body: (inout Diagnostic) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        for index in stored.indices { body(&stored[index]) }
        errors = 0
        errorLocations = []
        for diagnostic in stored where diagnostic.severity == .error {
            errors += 1
            if let location = diagnostic.location { errorLocations.insert(location) }
        }
    }

    public func report(_ diagnostic: Diagnostic) {
        lock.lock()
        defer { lock.unlock() }
        guard seen.insert(diagnostic).inserted else { return }
        if diagnostic.severity == .error {
            errors += 1
            if let location = diagnostic.location { errorLocations.insert(location) }
        }
        guard !diagnostic.environments.isEmpty else {
            stored.append(diagnostic)
            return
        }
        // The same finding in another environment: the first report that does not yet name
        // these environments takes them (the n-th finding at a place in one environment pairs
        // with the n-th in another, so two findings of one environment never merge).
        let key = FindingKey(
            id: diagnostic.id, severity: diagnostic.severity, location: diagnostic.location,
            waiverReason: diagnostic.waiverReason)
        let candidates = byFinding[key] ?? []
        if let index = candidates.first(where: { stored[$0].environments.allSatisfy { !diagnostic.environments.contains($0) } }) {
            stored[index].environments += diagnostic.environments
            // Where the message says something of its own environment (which tool, which
            // namespace), that environment's wording is kept as a note.
            if diagnostic.message != stored[index].message {
                let names = diagnostic.environments.joined(separator: ", ")
                stored[index].notes.append(DiagnosticNote("in environment \(names): \(diagnostic.message)"))
            }
            // Counted once: it is one finding.
            if diagnostic.severity == .error { errors -= 1 }
            return
        }
        byFinding[key, default: []].append(stored.count)
        stored.append(diagnostic)
    }

    public func error(
        _ id: RuleID, _ message: String, at location: SourceLocation?, help: String? = nil,
        notes: [DiagnosticNote] = []
    ) {
        report(Diagnostic(id, .error, message, at: location, help: help, notes: notes))
    }

    public func warning(
        _ id: RuleID, _ message: String, at location: SourceLocation?, help: String? = nil,
        notes: [DiagnosticNote] = []
    ) {
        report(Diagnostic(id, .warning, message, at: location, help: help, notes: notes))
    }

    /// Diagnostics in a stable order: by file, line, column, then id.
    public var sorted: [Diagnostic] {
        diagnostics.enumerated().sorted { lhs, rhs in
            let l = lhs.element.location ?? SourceLocation(file: "", line: 0, column: 0)
            let r = rhs.element.location ?? SourceLocation(file: "", line: 0, column: 0)
            if l != r { return l < r }
            if lhs.element.id != rhs.element.id { return lhs.element.id.rawValue < rhs.element.id.rawValue }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}
