import Foundation

/// What a plain scalar means to a reader.
public enum ResolvedScalar: Sendable, Hashable {
    case string(String)
    case bool(Bool)
    case int(Int)
    /// Kept as written: floats are never re-formatted (that would change bytes).
    case float(String)
    case null
}

/// Resolves plain scalars the way Kubernetes does (go-yaml, YAML 1.1 rules), and answers the
/// output question "would any common YAML reader take this plain text for something other
/// than a string?" — YAML 1.1, YAML 1.2 core and go-yaml disagree, so the output side quotes
/// whatever any of them would misread.
public enum ScalarResolver {
    /// YAML 1.1 booleans, as go-yaml v2 (and so kubectl, Argo CD, Flux) reads them.
    static let booleans: [String: Bool] = [
        "y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
        "n": false, "N": false, "no": false, "No": false, "NO": false,
        "true": true, "True": true, "TRUE": true,
        "false": false, "False": false, "FALSE": false,
        "on": true, "On": true, "ON": true,
        "off": false, "Off": false, "OFF": false,
    ]

    static let nulls: Set<String> = ["", "~", "null", "Null", "NULL"]

    /// The meaning Kubernetes gives a plain scalar.
    public static func resolve(_ text: String) -> ResolvedScalar {
        // Fast path: every null and bool keyword is at most 5 bytes, and every int and float
        // starts with a digit, sign or dot.
        let utf8 = text.utf8
        if utf8.count > 5, let first = utf8.first,
            !((first >= 0x30 && first <= 0x39) || first == 0x2B || first == 0x2D || first == 0x2E)
        {
            return .string(text)
        }
        if nulls.contains(text) { return .null }
        if let bool = booleans[text] { return .bool(bool) }
        if let int = parseInteger(text) { return .int(int) }
        if isFloat(text) { return .float(text) }
        return .string(text)
    }

    /// True when a plain (unquoted) rendering of `text` would be read as anything but this
    /// string by YAML 1.1, YAML 1.2 core, go-yaml or PyYAML. The emitter quotes these.
    public static func needsQuoting(_ text: String) -> Bool {
        if text.isEmpty { return true }
        // Fast paths (the renderer asks for every string); `needsQuotingByDefinition` is the
        // definition and a property test holds them equal.
        // 1. Text longer than any keyword (`false`) that does not start like a number, sign or
        //    dot is a string to every reader: every non-string form starts with one of those.
        let utf8 = text.utf8
        if utf8.count > 5, let first = utf8.first,
            !((first >= 0x30 && first <= 0x39) || first == 0x2B || first == 0x2D || first == 0x2E)
        {
            return false
        }
        // 2. Integers, floats, sexagesimals and timestamps use only `isNumericByte` bytes; with
        //    any other byte only the keywords are left.
        if !utf8.allSatisfy(isNumericByte) {
            if utf8.count > 5 { return false }
            if text == "<<" || text == "=" { return true }
            guard let first = utf8.first else { return true }
            switch first {
            // The first bytes of the keywords: y n t f o (either case), `~`, `.`, `+`, `-`.
            case 0x79, 0x59, 0x6E, 0x4E, 0x74, 0x54, 0x66, 0x46, 0x6F, 0x4F, 0x7E, 0x2E, 0x2B, 0x2D:
                return nulls.contains(text) || booleans[text] != nil
                    || [".inf", "-.inf", "+.inf", ".nan"].contains(text.lowercased())
            default:
                return false
            }
        }
        return needsQuotingByDefinition(text)
    }

    /// The definition behind `needsQuoting`, without its fast paths.
    static func needsQuotingByDefinition(_ text: String) -> Bool {
        if text.isEmpty { return true }
        if case .string = resolve(text) {} else { return true }
        if text == "<<" || text == "=" { return true }
        let bytes = Array(text.utf8)
        guard let first = bytes.first else { return true }
        // Anything that starts like a number, sign or dot is checked more loosely: sexagesimal
        // (`12:30`), `0o17`, `1_000`, `.inf`, `+1`, timestamps (`2024-01-01`), `1e3`.
        let startsNumeric = (first >= 0x30 && first <= 0x39) || first == 0x2B || first == 0x2D || first == 0x2E
        if startsNumeric && looksNumericOrTimestamp(bytes) { return true }
        return false
    }

    /// Bytes numbers, sexagesimals and timestamps are written with (loosely: with hex digits,
    /// `0x`/`0o`/`0b` prefixes, exponents, `T`/`Z` and spaces).
    static func isNumericByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x2B, 0x2D, 0x2E, 0x3A, 0x5F, 0x20, 0x54, 0x74, 0x5A, 0x7A, 0x65, 0x45,
            0x78, 0x58, 0x6F, 0x4F, 0x62, 0x42, 0x61...0x66, 0x41...0x46:
            return true
        default: return false
        }
    }

    /// Integers in YAML 1.1 and 1.2 forms: decimal, `0x`, `0o`, `0b`, leading-zero octal, `_` digit groups.
    static func parseInteger(_ text: String) -> Int? {
        var body = Substring(text)
        var negative = false
        if body.first == "-" || body.first == "+" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        guard !body.isEmpty else { return nil }
        let cleaned = String(body.filter { $0 != "_" })
        guard !cleaned.isEmpty, !body.hasPrefix("_") else { return nil }
        // The magnitude as unsigned, so that -2^63 (whose magnitude is one more than Int.max)
        // parses too.
        var value: UInt?
        if cleaned.hasPrefix("0x") {
            value = UInt(cleaned.dropFirst(2), radix: 16)
        } else if cleaned.hasPrefix("0o") {
            value = UInt(cleaned.dropFirst(2), radix: 8)
        } else if cleaned.hasPrefix("0b") {
            value = UInt(cleaned.dropFirst(2), radix: 2)
        } else if cleaned.count > 1 && cleaned.hasPrefix("0") {
            value = UInt(cleaned.dropFirst(1), radix: 8)
        } else if cleaned.allSatisfy({ $0.isASCII && $0.isNumber }) {
            value = UInt(cleaned)
        }
        guard let magnitude = value else { return nil }
        if negative {
            if magnitude == UInt(Int.max) + 1 { return Int.min }
            return magnitude <= UInt(Int.max) ? -Int(magnitude) : nil
        }
        return magnitude <= UInt(Int.max) ? Int(magnitude) : nil
    }

    static func isFloat(_ text: String) -> Bool {
        let lowered = text.lowercased()
        if [".inf", "-.inf", "+.inf", ".nan"].contains(lowered) { return true }
        var bytes = Array(text.utf8)
        if let first = bytes.first, first == 0x2B || first == 0x2D { bytes.removeFirst() }
        guard !bytes.isEmpty else { return false }
        var sawDigit = false
        var sawDot = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x30 && byte <= 0x39 {
                sawDigit = true
            } else if byte == 0x5F && sawDigit {
            } else if byte == 0x2E && !sawDot {
                sawDot = true
            } else {
                break
            }
            index += 1
        }
        guard sawDigit else { return false }
        if index == bytes.count { return sawDot }
        guard bytes[index] == 0x65 || bytes[index] == 0x45 else { return false }
        index += 1
        if index < bytes.count && (bytes[index] == 0x2B || bytes[index] == 0x2D) { index += 1 }
        guard index < bytes.count else { return false }
        return bytes[index...].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// Loose check over text made only of digits and the punctuation numbers, sexagesimals and
    /// timestamps use. Errs on the side of quoting.
    static func looksNumericOrTimestamp(_ bytes: [UInt8]) -> Bool {
        var digits = 0
        for byte in bytes {
            guard isNumericByte(byte) else { return false }
            if byte >= 0x30 && byte <= 0x39 { digits += 1 }
        }
        if digits == 0 {
            // YAML 1.1's float pattern `[-+]?([0-9][0-9_]*)?\.[0-9.]*` matches `.`, `..`, `-.`.
            let unsigned = bytes.first == 0x2B || bytes.first == 0x2D ? bytes.dropFirst() : bytes[...]
            if !unsigned.isEmpty && unsigned.allSatisfy({ $0 == 0x2E }) { return true }
            return ["-.inf", "+.inf", ".inf", ".nan"].contains(String(decoding: bytes, as: UTF8.self).lowercased())
        }
        return true
    }
}
