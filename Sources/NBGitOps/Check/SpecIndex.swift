import Foundation

/// Lookups from planned objects and source locations back to spec documents, built once per
/// run so that rules tracing thousands of objects stay linear (a scan of every spec per
/// lookup made the Check stage quadratic in the number of jobs).
public final class SpecIndex: Sendable {
    public let specs: SpecSet
    /// A job's position in `specs.jobs` by the location of its `metadata.name`.
    let jobByNameLocation: [SourceLocation: Int]
    /// A job's position by its spec document.
    let jobByDocument: [DocumentKey: Int]
    /// A supporting object's position by its location and kind.
    let supportingByLocation: [SupportingKey: Int]
    /// Per file: the span of each spec document (its first and last written position), sorted
    /// by start. Documents of one file never overlap, so a position lies in at most one span.
    let documentSpans: [String: [(start: SourceLocation, end: SourceLocation, key: DocumentKey)]]

    struct SupportingKey: Hashable {
        var location: SourceLocation
        var kind: String
    }

    public init(_ specs: SpecSet) {
        self.specs = specs
        var jobByNameLocation: [SourceLocation: Int] = [:]
        var jobByDocument: [DocumentKey: Int] = [:]
        for (position, job) in specs.jobs.enumerated() {
            // First one wins, as a scan from the front would.
            if jobByNameLocation[job.name.location] == nil { jobByNameLocation[job.name.location] = position }
            let key = DocumentKey(file: job.file, index: job.documentIndex)
            if jobByDocument[key] == nil { jobByDocument[key] = position }
        }
        var supportingByLocation: [SupportingKey: Int] = [:]
        for (position, object) in specs.supportingObjects.enumerated() {
            let key = SupportingKey(location: object.location, kind: object.kind)
            if supportingByLocation[key] == nil { supportingByLocation[key] = position }
        }
        // Every document of every spec kind, from the one list of them.
        var spans: [String: [(start: SourceLocation, end: SourceLocation, key: DocumentKey)]] = [:]
        for document in SpecKinds.documents(in: specs) {
            var start = document.location
            var end = document.location
            func widen(_ location: SourceLocation) {
                guard location.file == document.key.file else { return }
                start = min(start, location)
                end = max(end, location)
            }
            widen(document.name.location)
            document.sourceMap.locations.values.forEach(widen)
            document.sourceMap.keyLocations.values.forEach(widen)
            spans[document.key.file, default: []].append((start, end, document.key))
        }
        self.jobByNameLocation = jobByNameLocation
        self.jobByDocument = jobByDocument
        self.supportingByLocation = supportingByLocation
        self.documentSpans = spans.mapValues { entries in
            entries.enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }.map(\.element)
        }
    }

    private let memoLock = NSLock()
    nonisolated(unsafe) private var memoValues: [String: any Sendable] = [:]

    /// A value computed from the specs alone, once per run however many environments (and
    /// parallel rules) ask for it.
    func memo<Value: Sendable>(_ key: String, _ compute: () -> Value) -> Value {
        memoLock.lock()
        defer { memoLock.unlock() }
        if let value = memoValues[key] as? Value { return value }
        let value = compute()
        memoValues[key] = value
        return value
    }

    public func job(nameLocation: SourceLocation) -> NotebookValidationJob? {
        jobByNameLocation[nameLocation].map { specs.jobs[$0] }
    }

    public func job(document: DocumentKey) -> NotebookValidationJob? {
        jobByDocument[document].map { specs.jobs[$0] }
    }

    public func supportingObject(at location: SourceLocation, kind: String) -> SupportingObject? {
        supportingByLocation[SupportingKey(location: location, kind: kind)].map { specs.supportingObjects[$0] }
    }

    /// The spec document a location lies in (between its first and last written position),
    /// of any spec kind; nil when it lies in none (an overlay, a template, a document that did
    /// not decode). Never a neighbouring document's.
    public func document(at location: SourceLocation) -> DocumentKey? {
        guard let spans = documentSpans[location.file] else { return nil }
        // The first span starting after `location`; only the one before it can hold it.
        var low = 0
        var high = spans.count
        while low < high {
            let middle = (low + high) / 2
            if spans[middle].start <= location { low = middle + 1 } else { high = middle }
        }
        guard low > 0, location <= spans[low - 1].end else { return nil }
        return spans[low - 1].key
    }
}
