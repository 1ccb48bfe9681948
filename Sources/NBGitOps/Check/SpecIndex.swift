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
    /// Per file: where each spec document starts, sorted by start.
    let documentStarts: [String: [(start: SourceLocation, key: DocumentKey)]]

    struct SupportingKey: Hashable {
        var location: SourceLocation
        var kind: String
    }

    public init(_ specs: SpecSet) {
        self.specs = specs
        var jobByNameLocation: [SourceLocation: Int] = [:]
        var jobByDocument: [DocumentKey: Int] = [:]
        var starts: [String: [(start: SourceLocation, key: DocumentKey)]] = [:]
        for (position, job) in specs.jobs.enumerated() {
            // First one wins, as a scan from the front would.
            if jobByNameLocation[job.name.location] == nil { jobByNameLocation[job.name.location] = position }
            let key = DocumentKey(file: job.file, index: job.documentIndex)
            if jobByDocument[key] == nil { jobByDocument[key] = position }
            var start = job.name.location
            for location in job.sourceMap.locations.values where location.file == job.file && location < start {
                start = location
            }
            starts[job.file, default: []].append((start, key))
        }
        var supportingByLocation: [SupportingKey: Int] = [:]
        for (position, object) in specs.supportingObjects.enumerated() {
            let key = SupportingKey(location: object.location, kind: object.kind)
            if supportingByLocation[key] == nil { supportingByLocation[key] = position }
            starts[object.file, default: []].append(
                (object.location, DocumentKey(file: object.file, index: object.documentIndex)))
        }
        self.jobByNameLocation = jobByNameLocation
        self.jobByDocument = jobByDocument
        self.supportingByLocation = supportingByLocation
        // Stable order: by start; equal starts in reverse listing order (jobs first), so the
        // search below resolves a tie to the first listed.
        self.documentStarts = starts.mapValues { entries in
            entries.enumerated().sorted { ($0.element.start, $1.offset) < ($1.element.start, $0.offset) }.map(\.element)
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

    /// The spec document a location lies in: the last document of that file starting at or
    /// before it.
    public func document(at location: SourceLocation) -> DocumentKey? {
        guard let starts = documentStarts[location.file] else { return nil }
        // The first start after `location`; the entry before it is the answer.
        var low = 0
        var high = starts.count
        while low < high {
            let middle = (low + high) / 2
            if starts[middle].start <= location { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : starts[low - 1].key
    }
}
