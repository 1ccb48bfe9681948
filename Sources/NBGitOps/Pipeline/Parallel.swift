import Foundation

/// Runs independent work on all cores, keeping results in input order.
///
/// Used where the work shares nothing mutable: each item gets its own `DiagnosticCollector`,
/// merged back in input order afterwards, so output and diagnostics are identical to a
/// sequential run.
///
/// `NBGITOPS_THREADS=N` caps the threads (1: everything runs on the calling thread, e.g. to
/// measure single-core cost or to share a CI runner politely); the default is one per core.
enum Parallel {
    static let threads: Int = {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard let text = ProcessInfo.processInfo.environment["NBGITOPS_THREADS"], let requested = Int(text),
            requested >= 1
        else { return max(1, cores) }
        return min(requested, max(1, cores))
    }()

    /// The thread cap of the run in progress (`CompilerInput.threads`), scoped to it with
    /// `withLimit`: no global mutable state, so concurrent runs with different caps do not
    /// see each other's. Work started on `map`'s worker threads falls back to `threads`.
    @TaskLocal static var limit: Int?

    /// Runs `body` with at most `threads` threads for every `map` it starts (nil: the default).
    static func withLimit<Result>(_ threads: Int?, _ body: () throws -> Result) rethrows -> Result {
        guard let threads else { return try body() }
        return try $limit.withValue(max(1, threads), operation: body)
    }

    /// The threads a `map` may use now.
    static var effectiveThreads: Int { limit ?? threads }

    static func map<Item: Sendable, Result: Sendable>(_ items: [Item], _ transform: @Sendable (Item) -> Result) -> [Result] {
        let stripes = min(effectiveThreads, items.count)
        if stripes < 2 { return items.map(transform) }
        let results = ResultSlots<Result>(count: items.count)
        // `stripes` workers take the next item until none is left: uneven items (one slow
        // rule, one large object) balance themselves.
        let next = NextIndex()
        DispatchQueue.concurrentPerform(iterations: stripes) { _ in
            while let index = next.take(below: items.count) {
                results.store(transform(items[index]), at: index)
            }
        }
        return results.collect()
    }
}

/// One slot per item; each slot is written by exactly one iteration, read after all finish.
private final class ResultSlots<Result>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Result?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        _ = slots.deinitialize()
        slots.deallocate()
    }

    func store(_ value: Result, at index: Int) { slots[index] = value }

    func collect() -> [Result] { slots.compactMap { $0 } }
}

/// Hands out 0, 1, 2, … to the workers of one `Parallel.map`.
private final class NextIndex: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func take(below count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < count else { return nil }
        value += 1
        return value - 1
    }
}
