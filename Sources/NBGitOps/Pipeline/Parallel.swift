import Foundation

/// Runs independent work on all cores, keeping results in input order.
///
/// Used where the work shares nothing mutable: each item gets its own `DiagnosticCollector`,
/// merged back in input order afterwards, so output and diagnostics are identical to a
/// sequential run.
enum Parallel {
    static func map<Item: Sendable, Result: Sendable>(_ items: [Item], _ transform: @Sendable (Item) -> Result) -> [Result] {
        if items.count < 2 { return items.map(transform) }
        let results = ResultSlots<Result>(count: items.count)
        DispatchQueue.concurrentPerform(iterations: items.count) { index in
            results.store(transform(items[index]), at: index)
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
