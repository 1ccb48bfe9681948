import CYAML

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The Render stage's emitter: typed manifest values → YAML bytes, through libyaml's event API.
///
/// Determinism lives here: maps are emitted in the canonical key order (`apiVersion`, `kind`,
/// `metadata`, `name`, `namespace`, `spec`, then the rest sorted by UTF-8 bytes), every string
/// that any common YAML reader would take for a bool, number, null or timestamp is quoted,
/// multi-line strings are literal blocks, and there is no line folding.
public enum ManifestRenderer {
    /// Keys emitted first, in this order, wherever they occur.
    static let leadingKeys = ["apiVersion", "kind", "metadata", "name", "namespace", "spec"]

    /// Orders map keys canonically.
    public static func canonicalOrder(_ entries: [ManifestEntry]) -> [ManifestEntry] {
        // Rank each key once (not per comparison), and skip the sort when already in order —
        // the renderer calls this for every map of every object.
        func precedes(_ lhs: String, _ lhsRank: Int, _ rhs: String, _ rhsRank: Int) -> Bool {
            if lhsRank != rhsRank { return lhsRank < rhsRank }
            return lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
        }
        var sorted = true
        var index = 1
        while index < entries.count {
            let previous = entries[index - 1].key
            let current = entries[index].key
            if precedes(current, rank(current), previous, rank(previous)) {
                sorted = false
                break
            }
            index += 1
        }
        if sorted { return entries }
        return entries.map { (rank: rank($0.key), entry: $0) }
            .sorted { precedes($0.entry.key, $0.rank, $1.entry.key, $1.rank) }
            .map(\.entry)
    }

    /// `leadingKeys` grouped by UTF-8 length (index = length), derived from the one table above:
    /// most keys have a length no leading key has and need no string comparison.
    private static let leadingKeysByLength: [[(key: String, rank: Int)]] = {
        var table = Array(repeating: [(key: String, rank: Int)](), count: (leadingKeys.map(\.utf8.count).max() ?? 0) + 1)
        for (rank, key) in leadingKeys.enumerated() { table[key.utf8.count].append((key, rank)) }
        return table
    }()

    /// Position of `key` among `leadingKeys`, or `leadingKeys.count` for every other key.
    static func rank(_ key: String) -> Int {
        let length = key.utf8.count
        guard length < leadingKeysByLength.count else { return leadingKeys.count }
        for candidate in leadingKeysByLength[length] where candidate.key == key { return candidate.rank }
        return leadingKeys.count
    }

    /// libyaml refused an event or its output could not be taken: the bytes emitted so far are
    /// a truncated document and must never be written.
    public struct EmitFailure: Error, Sendable, Hashable {
        /// libyaml's description of the problem.
        public var problem: String
    }

    /// Renders documents into one YAML stream. The first document has no `---`; later ones do.
    /// `prefix` (a file's header comment line) starts the output, copied as it is.
    /// Fails, rather than returning a truncated stream, when libyaml reports an error.
    public static func emit(_ documents: [ManifestNode], after prefix: [UInt8] = []) -> Result<[UInt8], EmitFailure> {
        let emitter = Emitter(prefix: prefix)
        emitter.streamStart()
        for (index, document) in documents.enumerated() {
            emitter.documentStart(implicit: index == 0)
            emitter.emit(document)
            emitter.documentEnd()
        }
        emitter.streamEnd()
        if let problem = emitter.problem { return .failure(EmitFailure(problem: problem)) }
        return .success(emitter.output)
    }

    /// `emit` for bytes that are hashed or shown, not written (a build's content tag, a test's
    /// snippet): on an emitter failure, the bytes are empty (never a truncated prefix).
    public static func render(_ documents: [ManifestNode], after prefix: [UInt8] = []) -> [UInt8] {
        (try? emit(documents, after: prefix).get()) ?? []
    }

    /// Test hook: when set, the emitter's output callback refuses any write that would take a
    /// stream past this many bytes, as a failing writer does (libyaml then reports a writer
    /// error). Nil (always, outside tests): no limit.
    nonisolated(unsafe) static var outputLimitForTesting: Int?

    /// Renders one value (a snippet) without document markers, for tests and messages.
    public static func renderString(_ documents: [ManifestNode]) -> String {
        String(decoding: render(documents), as: UTF8.self)
    }
}

/// Owns a `yaml_emitter_t`; output is collected into a byte array.
private final class Emitter {
    /// The output and the failure flag live behind a pointer, as does the libyaml emitter:
    /// they are touched once per event, and through a pointer Swift needs no dynamic
    /// exclusivity check for each access (a class's stored `var` would).
    private struct State {
        var output: [UInt8] = []
        var failed = false
        var limit: Int?
    }

    private let emitter = UnsafeMutablePointer<yaml_emitter_t>.allocate(capacity: 1)
    private let state = UnsafeMutablePointer<State>.allocate(capacity: 1)

    var output: [UInt8] { state.pointee.output }
    /// Why emitting failed (libyaml's problem text), nil when every event was accepted.
    private(set) var problem: String?

    init(prefix: [UInt8]) {
        state.initialize(to: State(limit: ManifestRenderer.outputLimitForTesting))
        state.pointee.output.reserveCapacity(4096 + prefix.count)
        state.pointee.output += prefix
        emitter.initialize(to: yaml_emitter_t())
        yaml_emitter_initialize(emitter)
        yaml_emitter_set_unicode(emitter, 1)
        yaml_emitter_set_width(emitter, -1)
        yaml_emitter_set_indent(emitter, 2)
        yaml_emitter_set_break(emitter, YAML_LN_BREAK)
        yaml_emitter_set_output(
            emitter,
            { context, buffer, size in
                guard let context, let buffer else { return 0 }
                let state = context.assumingMemoryBound(to: State.self)
                if let limit = state.pointee.limit, state.pointee.output.count + size > limit { return 0 }
                state.pointee.output.append(contentsOf: UnsafeBufferPointer(start: buffer, count: size))
                return 1
            }, UnsafeMutableRawPointer(state))
    }

    deinit {
        yaml_emitter_delete(emitter)
        emitter.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    private func send(_ event: inout yaml_event_t) {
        if state.pointee.failed {
            yaml_event_delete(&event)
            return
        }
        // yaml_emitter_emit takes ownership of the event.
        if yaml_emitter_emit(emitter, &event) != 1 { recordFailure() }
    }

    private func recordFailure() {
        state.pointee.failed = true
        if problem == nil {
            problem = emitter.pointee.problem.map { String(cString: $0) } ?? "the YAML emitter failed"
        }
    }

    func streamStart() {
        var event = yaml_event_t()
        yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING)
        send(&event)
    }

    func streamEnd() {
        var event = yaml_event_t()
        yaml_stream_end_event_initialize(&event)
        send(&event)
        if !state.pointee.failed, yaml_emitter_flush(emitter) != 1 { recordFailure() }
    }

    func documentStart(implicit: Bool) {
        var event = yaml_event_t()
        yaml_document_start_event_initialize(&event, nil, nil, nil, implicit ? 1 : 0)
        send(&event)
    }

    func documentEnd() {
        var event = yaml_event_t()
        yaml_document_end_event_initialize(&event, 1)
        send(&event)
    }

    func emit(_ node: ManifestNode) {
        switch node {
        case .string(let value):
            emitString(value)
        case .int(let value): scalar(String(value), style: YAML_PLAIN_SCALAR_STYLE)
        case .float(let value): scalar(value, style: YAML_PLAIN_SCALAR_STYLE)
        case .bool(let value): scalar(value ? "true" : "false", style: YAML_PLAIN_SCALAR_STYLE)
        case .null: scalar("null", style: YAML_PLAIN_SCALAR_STYLE)
        case .list(let elements):
            var event = yaml_event_t()
            yaml_sequence_start_event_initialize(
                &event, nil, nil, 1, elements.isEmpty ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE)
            send(&event)
            for element in elements { emit(element) }
            var end = yaml_event_t()
            yaml_sequence_end_event_initialize(&end)
            send(&end)
        case .map(let entries):
            var event = yaml_event_t()
            yaml_mapping_start_event_initialize(
                &event, nil, nil, 1, entries.isEmpty ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE)
            send(&event)
            for entry in ManifestRenderer.canonicalOrder(entries) {
                emitString(entry.key)  // not `.string(key)`: that would box every key
                emit(entry.value)
            }
            var end = yaml_event_t()
            yaml_mapping_end_event_initialize(&end)
            send(&end)
        }
    }

    private func emitString(_ value: String) {
        let style: yaml_scalar_style_t
        if Self.containsNewline(value) {
            style = YAML_LITERAL_SCALAR_STYLE
        } else if ScalarResolver.needsQuoting(value) {
            style = YAML_SINGLE_QUOTED_SCALAR_STYLE
        } else {
            style = YAML_PLAIN_SCALAR_STYLE
        }
        scalar(value, style: style)
    }

    private static func containsNewline(_ value: String) -> Bool {
        if let found = value.utf8.withContiguousStorageIfAvailable({ bytes -> Bool in
            guard let base = bytes.baseAddress else { return false }
            return memchr(base, 0x0A, bytes.count) != nil
        }) {
            return found
        }
        return value.utf8.contains(0x0A)
    }

    private func scalar(_ value: String, style: yaml_scalar_style_t) {
        var event = yaml_event_t()
        var text = value
        var initialized = true
        text.withUTF8 { bytes in
            // libyaml copies the value; the buffer only has to live for this call.
            if let base = bytes.baseAddress {
                guard bytes.count <= Int(Int32.max),
                    yaml_scalar_event_initialize(
                        &event, nil, nil, UnsafeMutablePointer(mutating: base), Int32(bytes.count), 1, 1, style) == 1
                else {
                    initialized = false
                    return
                }
            } else {
                var empty: UInt8 = 0
                yaml_scalar_event_initialize(&event, nil, nil, &empty, 0, 1, 1, style)
            }
        }
        guard initialized else {
            // A scalar libyaml refuses (over its length limit): the stream cannot be completed.
            if problem == nil { problem = "a value of \(value.utf8.count) bytes cannot be emitted" }
            state.pointee.failed = true
            return
        }
        send(&event)
    }
}
