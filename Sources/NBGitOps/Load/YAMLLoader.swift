import CYAML
import Foundation

/// Bounds that keep hostile input from costing unbounded time or memory.
/// Every limit that trips is reported as a located `NBG008` error.
public struct LoadLimits: Sendable {
    /// Largest input file read at all.
    public var maxFileBytes: Int = 16 << 20
    /// Deepest nesting of mappings and lists.
    public var maxDepth: Int = 100
    /// Most nodes (scalars, mappings, lists) in one file.
    public var maxNodes: Int = 2_000_000
    /// Longest single scalar.
    public var maxScalarBytes: Int = 1 << 20
    /// Most non-empty documents in one file: each document becomes a spec to decode (and,
    /// when malformed, a diagnostic), so their number bounds the work per file.
    public var maxDocuments: Int = 10_000
    /// Most documents in one file, empty ones included (`---` alone costs little, but not
    /// nothing: 16 MiB of them are four million).
    public var maxDocumentsCountingEmpty: Int = 250_000

    public init() {}
    public static let standard = LoadLimits()
}

/// The Load stage: bytes → YAML node trees with source marks, through the system libyaml.
///
/// Refused here, before any meaning is given to the input: aliases (alias bombs), merge keys,
/// non-core tags, duplicate keys, and anything over `LoadLimits`.
public enum YAMLLoader {
    /// Loads every non-empty document of a file. On error, reports it and returns no documents.
    public static func load(
        bytes: [UInt8], file: String, limits: LoadLimits = .standard, diagnostics: DiagnosticCollector
    ) -> [YAMLDocument] {
        if bytes.count > limits.maxFileBytes {
            diagnostics.error(
                .yamlLimit, "file is \(bytes.count) bytes, over the \(limits.maxFileBytes)-byte input limit",
                at: .startOf(file), help: "split the file; spec files are expected to be small")
            return []
        }
        if let offset = innerByteOrderMark(bytes) {
            diagnostics.error(
                .yamlEncoding, "byte order mark (U+FEFF) inside the text", at: location(ofOffset: offset, in: bytes, file: file),
                help: "remove the invisible character; a byte order mark may only open the file")
            return []
        }
        let reader = EventReader(bytes: bytes, file: file, limits: limits)
        do {
            return try reader.readDocuments()
        } catch let failure as LoadFailure {
            diagnostics.report(failure.diagnostic)
            return []
        } catch {
            diagnostics.error(.yamlSyntax, "\(error)", at: .startOf(file))
            return []
        }
    }

    /// The offset of the first UTF-8 byte order mark after the start of the file: invisible in
    /// a review, it would silently become part of a name, ref or value.
    static func innerByteOrderMark(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { buffer -> Int? in
            guard buffer.count > 3 else { return nil }
            var index = 1
            while index + 2 < buffer.count {
                if buffer[index] == 0xEF && buffer[index + 1] == 0xBB && buffer[index + 2] == 0xBF { return index }
                index += 1
            }
            return nil
        }
    }

    /// Line and column (1-based, columns in characters) of a byte offset.
    static func location(ofOffset offset: Int, in bytes: [UInt8], file: String) -> SourceLocation {
        var line = 1
        var column = 1
        var index = bytes.count > 2 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
        let end = min(offset, bytes.count)
        while index < end {
            if bytes[index] == 0x0A {
                line += 1
                column = 1
            } else if bytes[index] & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
        }
        return SourceLocation(file: file, line: line, column: column)
    }

    /// Reads and loads a file from disk.
    public static func load(
        path: String, displayName: String? = nil, limits: LoadLimits = .standard, diagnostics: DiagnosticCollector
    ) -> [YAMLDocument] {
        let name = displayName ?? path
        guard let bytes = readFile(path: path, displayName: name, limits: limits, diagnostics: diagnostics) else {
            return []
        }
        return load(bytes: bytes, file: name, limits: limits, diagnostics: diagnostics)
    }

    /// Reads a file's bytes, refusing anything that is not a regular file or is over the limit.
    public static func readFile(
        path: String, displayName: String, limits: LoadLimits = .standard, diagnostics: DiagnosticCollector
    ) -> [UInt8]? {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
            diagnostics.error(.ioRead, "no such file", at: .startOf(displayName))
            return nil
        }
        if isDirectory.boolValue {
            diagnostics.error(.ioRead, "is a directory, expected a YAML file", at: .startOf(displayName))
            return nil
        }
        if let attributes = try? manager.attributesOfItem(atPath: path),
            let size = attributes[.size] as? NSNumber, size.intValue > limits.maxFileBytes
        {
            diagnostics.error(
                .yamlLimit, "file is \(size.intValue) bytes, over the \(limits.maxFileBytes)-byte input limit",
                at: .startOf(displayName), help: "split the file; spec files are expected to be small")
            return nil
        }
        guard let data = manager.contents(atPath: path) else {
            diagnostics.error(.ioRead, "cannot read file", at: .startOf(displayName))
            return nil
        }
        return [UInt8](data)
    }
}

struct LoadFailure: Error {
    var diagnostic: Diagnostic
}

/// Owns a libyaml parser for the duration of one file, turning its event stream into nodes.
private final class EventReader {
    private var parser = yaml_parser_t()
    private let bytes: [UInt8]
    private let file: String
    private let limits: LoadLimits
    private var nodeCount = 0
    private var buffer: UnsafeMutableBufferPointer<UInt8>

    init(bytes: [UInt8], file: String, limits: LoadLimits) {
        self.bytes = bytes
        self.file = file
        self.limits = limits
        // libyaml reads from this copy; it lives exactly as long as the parser.
        buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        _ = buffer.initialize(from: bytes)
        yaml_parser_initialize(&parser)
        yaml_parser_set_input_string(&parser, buffer.baseAddress, bytes.count)
    }

    deinit {
        yaml_parser_delete(&parser)
        buffer.deallocate()
    }

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private func fail(_ id: RuleID, _ message: String, _ mark: yaml_mark_t, help: String? = nil) -> LoadFailure {
        LoadFailure(diagnostic: Diagnostic(id, .error, message, at: location(mark), help: help))
    }

    /// A collection under construction. A class, so appending never copies the children.
    private final class Frame {
        let isMapping: Bool
        let start: SourceLocation
        let tag: String?
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        var pendingKey: YAMLNode?
        var keys: [String: SourceLocation] = [:]

        init(isMapping: Bool, start: SourceLocation, tag: String?) {
            self.isMapping = isMapping
            self.start = start
            self.tag = tag
        }

        var node: YAMLNode {
            isMapping ? YAMLNode(.mapping(pairs), at: start, tag: tag) : YAMLNode(.sequence(items), at: start, tag: tag)
        }
    }

    func readDocuments() throws -> [YAMLDocument] {
        var documents: [YAMLDocument] = []
        var stack: [Frame] = []
        var documentIndex = 0
        var documentStart = yaml_mark_t()
        var root: YAMLNode?

        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { throw parserFailure() }
            defer { yaml_event_delete(&event) }

            switch event.type {
            case YAML_STREAM_END_EVENT:
                return documents
            case YAML_DOCUMENT_START_EVENT:
                root = nil
                documentStart = event.start_mark
                if documentIndex >= limits.maxDocumentsCountingEmpty {
                    throw fail(
                        .yamlLimit, "more than \(limits.maxDocumentsCountingEmpty) documents in one file, empty ones included",
                        documentStart, help: "split the file; spec files are expected to be small")
                }
            case YAML_DOCUMENT_END_EVENT:
                if let node = root, !isEmptyDocument(node) {
                    if documents.count >= limits.maxDocuments {
                        throw fail(
                            .yamlLimit, "more than \(limits.maxDocuments) documents in one file", documentStart,
                            help: "split the file; spec files are expected to be small")
                    }
                    documents.append(YAMLDocument(file: file, index: documentIndex, root: node))
                }
                documentIndex += 1
            case YAML_ALIAS_EVENT:
                throw fail(
                    .yamlAlias, "aliases are not supported", event.start_mark,
                    help: "write the value out in full; anchors and aliases can hide sharing and expand without bound")
            case YAML_SCALAR_EVENT:
                let scalarEvent = event.data.scalar
                let length = Int(scalarEvent.length)
                if length > limits.maxScalarBytes {
                    throw fail(
                        .yamlLimit, "scalar of \(length) bytes is over the \(limits.maxScalarBytes)-byte limit",
                        event.start_mark, help: "keep large content (scripts, data) out of specs")
                }
                let text =
                    scalarEvent.value.map {
                        String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                    } ?? ""
                let style: ScalarStyle
                switch scalarEvent.style {
                case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
                case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
                case YAML_LITERAL_SCALAR_STYLE: style = .literal
                case YAML_FOLDED_SCALAR_STYLE: style = .folded
                default: style = .plain
                }
                let tag = try checkedTag(scalarEvent.tag, mark: event.start_mark)
                let node = YAMLNode(.scalar(YAMLScalar(text, style: style)), at: location(event.start_mark), tag: tag)
                try countNode(event.start_mark)
                try attach(node, to: &stack, root: &root, mark: event.start_mark)
            case YAML_SEQUENCE_START_EVENT:
                try countNode(event.start_mark)
                let tag = try checkedTag(event.data.sequence_start.tag, mark: event.start_mark)
                stack.append(Frame(isMapping: false, start: location(event.start_mark), tag: tag))
                try checkDepth(stack.count, event.start_mark)
            case YAML_MAPPING_START_EVENT:
                try countNode(event.start_mark)
                let tag = try checkedTag(event.data.mapping_start.tag, mark: event.start_mark)
                stack.append(Frame(isMapping: true, start: location(event.start_mark), tag: tag))
                try checkDepth(stack.count, event.start_mark)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = stack.popLast() else { continue }
                let node = frame.node
                try attach(node, to: &stack, root: &root, mark: event.start_mark)
            default:
                continue
            }
        }
    }

    private func isEmptyDocument(_ node: YAMLNode) -> Bool {
        guard let scalar = node.scalar, scalar.isPlain, node.tag == nil else { return false }
        return ScalarResolver.nulls.contains(scalar.value)
    }

    private func countNode(_ mark: yaml_mark_t) throws {
        nodeCount += 1
        if nodeCount > limits.maxNodes {
            throw fail(.yamlLimit, "more than \(limits.maxNodes) YAML nodes in one file", mark)
        }
    }

    private func checkDepth(_ depth: Int, _ mark: yaml_mark_t) throws {
        if depth > limits.maxDepth {
            throw fail(
                .yamlLimit, "nesting deeper than \(limits.maxDepth) levels", mark,
                help: "no spec needs this depth; check the input was generated correctly")
        }
    }

    private func attach(_ node: YAMLNode, to stack: inout [Frame], root: inout YAMLNode?, mark: yaml_mark_t) throws {
        guard let top = stack.last else {
            root = node
            return
        }
        guard top.isMapping else {
            top.items.append(node)
            return
        }
        if let key = top.pendingKey {
            top.pairs.append(YAMLPair(key: key, value: node))
            top.pendingKey = nil
            return
        }
        guard let scalar = node.scalar else {
            throw LoadFailure(
                diagnostic: Diagnostic(
                    .yamlSyntax, .error, "mapping keys must be plain strings, found \(node.kindDescription)",
                    at: node.location))
        }
        if scalar.isPlain && scalar.value == "<<" {
            throw LoadFailure(
                diagnostic: Diagnostic(
                    .yamlMergeKey, .error, "merge keys (`<<`) are not supported", at: node.location,
                    help: "write the merged fields out in full"))
        }
        if let first = top.keys[scalar.value] {
            throw LoadFailure(
                diagnostic: Diagnostic(
                    .yamlDuplicateKey, .error, "duplicate key '\(scalar.value)'", at: node.location,
                    help: "remove one of the two entries; Kubernetes rejects duplicate keys under strict validation",
                    notes: [DiagnosticNote("first defined here", at: first)]))
        }
        top.keys[scalar.value] = node.location
        top.pendingKey = node
    }

    private static let coreTags: Set<String> = [
        "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
        "tag:yaml.org,2002:seq", "!",
    ]

    private func checkedTag(_ pointer: UnsafeMutablePointer<yaml_char_t>?, mark: yaml_mark_t) throws -> String? {
        guard let pointer else { return nil }
        let tag = String(cString: pointer)
        guard Self.coreTags.contains(tag) else {
            throw fail(
                .yamlTag, "tag '\(tag)' is not supported", mark,
                help: "only the YAML core tags (!!str, !!int, !!bool, …) are accepted; remove the tag")
        }
        return tag == "!" ? "tag:yaml.org,2002:str" : tag
    }

    private func parserFailure() -> LoadFailure {
        let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
        let context = parser.context.map { String(cString: $0) }
        let mark = parser.problem_mark
        if problem.contains("UTF-8") || problem.contains("control characters") || parser.error == YAML_READER_ERROR {
            // Reader errors have only an offset; compute line and column ourselves.
            let offset = Int(parser.problem_offset)
            return LoadFailure(
                diagnostic: Diagnostic(
                    .yamlEncoding, .error, "input is not valid UTF-8 text (\(problem))", at: locationOf(offset: offset),
                    help: "save the file as UTF-8"))
        }
        if isTabInIndentation(mark) {
            return fail(
                .yamlTab, "tab character in indentation", mark,
                help: "YAML indentation must use spaces; replace the tab with spaces")
        }
        var message = problem
        var notes: [DiagnosticNote] = []
        if let context {
            message = "\(problem) \(context)"
            // Where what was being read began (an unterminated quote is only noticed at the
            // end of the file; its opening quote is the place to look).
            let start = parser.context_mark
            if start.index != mark.index {
                let what = context.replacingOccurrences(of: "while scanning ", with: "").replacingOccurrences(
                    of: "while parsing ", with: "")
                notes.append(DiagnosticNote("\(what) started here", at: location(start)))
            }
        }
        return LoadFailure(
            diagnostic: Diagnostic(
                .yamlSyntax, .error, message, at: location(mark), help: "fix the YAML syntax at this position", notes: notes))
    }

    /// True when the line of `mark` has a tab before its first non-blank character, or the
    /// problem character is a tab.
    private func isTabInIndentation(_ mark: yaml_mark_t) -> Bool {
        let index = min(Int(mark.index), bytes.count)
        if index < bytes.count && bytes[index] == 0x09 { return true }
        var lineStart = index
        while lineStart > 0 && bytes[lineStart - 1] != 0x0A { lineStart -= 1 }
        var cursor = lineStart
        while cursor < bytes.count && (bytes[cursor] == 0x20 || bytes[cursor] == 0x09) {
            if bytes[cursor] == 0x09 { return true }
            cursor += 1
        }
        return false
    }

    private func locationOf(offset: Int) -> SourceLocation {
        YAMLLoader.location(ofOffset: offset, in: bytes, file: file)
    }
}
