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

    /// `file:line:col: error[ID]: message` followed by `  note:` and `  help:` lines.
    public var rendered: String {
        var text = ""
        if let location { text += "\(location): " }
        text += "\(severity.rawValue)[\(id.rawValue)]: \(message)"
        for note in notes {
            text += "\n  note: "
            if let location = note.location { text += "\(location): " }
            text += note.message
        }
        if let help { text += "\n  help: \(help)" }
        return text
    }
}

/// Collects the diagnostics of a run. Stages report into it; the pipeline stops between
/// stages once an error was reported.
/// Thread-safe: every access goes through one lock, so stages that report from several
/// threads (or a rule context shared by `Parallel.map`) cannot race.
public final class DiagnosticCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Diagnostic] = []

    /// Every diagnostic reported so far, in report order.
    public var diagnostics: [Diagnostic] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
    /// Bounds the output for pathological inputs (one bad file can make thousands of errors).
    public let limit: Int

    public init(limit: Int = 500) {
        self.limit = limit
    }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    public var errorCount: Int { diagnostics.lazy.filter { $0.severity == .error }.count }

    /// Whether an error was already reported at `location`: later checks of the same value
    /// stay quiet (one mistake, one error — the schema's NBG105 and a semantic check alike).
    public func hasError(at location: SourceLocation?) -> Bool {
        guard let location else { return false }
        return diagnostics.contains { $0.severity == .error && $0.location == location }
    }

    /// Rewrites reported diagnostics in place (the Check stage turns waived findings of the
    /// Plan stage into notes).
    public func transform(_ body: (inout Diagnostic) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        for index in stored.indices { body(&stored[index]) }
    }

    public func report(_ diagnostic: Diagnostic) {
        lock.lock()
        defer { lock.unlock() }
        guard stored.count < limit else { return }
        if stored.contains(diagnostic) { return }
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
