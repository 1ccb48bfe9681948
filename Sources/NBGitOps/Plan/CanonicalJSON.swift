/// A deterministic JSON encoding of a `ManifestNode` for values passed to scripts in
/// environment variables (`NBG_COMPARISON_CONFIG`, …): object keys sorted by UTF-8 bytes, no
/// whitespace, integers and floats as written (normalised only where YAML and JSON number
/// syntax differ). The same node always gives the same bytes, so Job names stay stable.
public enum CanonicalJSON {
    public static func encode(_ node: ManifestNode) -> String {
        var output = ""
        write(node, into: &output)
        return output
    }

    private static func write(_ node: ManifestNode, into output: inout String) {
        switch node {
        case .string(let value): writeString(value, into: &output)
        case .int(let value): output += String(value)
        case .float(let text): output += number(text)
        case .bool(let value): output += value ? "true" : "false"
        case .null: output += "null"
        case .list(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                write(element, into: &output)
            }
            output += "]"
        case .map(let entries):
            output += "{"
            let sorted = entries.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (index, entry) in sorted.enumerated() {
                if index > 0 { output += "," }
                writeString(entry.key, into: &output)
                output += ":"
                write(entry.value, into: &output)
            }
            output += "}"
        }
    }

    /// A YAML float as a JSON number: `+1.5` → `1.5`, `.5` → `0.5`, `5.` → `5.0`, `1_000.0` →
    /// `1000.0`; `.inf`/`.nan` (no JSON form) become strings.
    static func number(_ text: String) -> String {
        var body = String(text.filter { $0 != "_" })
        var sign = ""
        if body.hasPrefix("+") {
            body.removeFirst()
        } else if body.hasPrefix("-") {
            body.removeFirst()
            sign = "-"
        }
        let lower = body.lowercased()
        if lower == ".inf" || lower == ".nan" {
            var quoted = ""
            writeString(sign + lower, into: &quoted)
            return quoted
        }
        if body.hasPrefix(".") { body = "0" + body }
        if let dot = body.firstIndex(of: ".") {
            let after = body.index(after: dot)
            if after == body.endIndex || body[after] == "e" || body[after] == "E" {
                body.insert("0", at: after)
            }
        }
        // Leading zeros are not JSON ("01.5"); keep one digit before the dot.
        while body.count > 1, body.hasPrefix("0"), let second = body.dropFirst().first, second.isNumber {
            body.removeFirst()
        }
        return sign + body
    }

    /// `value` as a JSON string literal: the one JSON string escaper of nbgitops (CanonicalJSON
    /// for scripts, `ManifestFlattening` for `explain`/`diff`), so both agree on every byte.
    public static func quoted(_ value: String) -> String {
        var output = ""
        writeString(value, into: &output)
        return output
    }

    private static func writeString(_ value: String, into output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}
