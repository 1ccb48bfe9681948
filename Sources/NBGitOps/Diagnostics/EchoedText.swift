import Foundation

/// What a diagnostic echoes from the input (a name, a URL, an image, an argument), made safe to
/// print. Applied where diagnostics are rendered and serialised (`Diagnostic.rendered`,
/// `DiagnosticFormatter`), so no rule can forget it:
///
/// - `redacted`: credential-looking substrings are replaced by `[redacted]` in every format —
///   URL user-info with a password (`ftp://user:pw@…`) or a token as user name, token shapes
///   (GitHub `ghp_…`/`github_pat_…`, GitLab `glpat-…`, Hugging Face `hf_…`, AWS `AKIA…`, Slack
///   `xox?-…`, OpenAI `sk-…`, Stripe `sk_live_…`, JWTs `eyJ….….…`), `Basic`/`Bearer` header
///   values and PEM private-key blocks. SARIF is uploaded to code scanning; a secret printed
///   there is published.
/// - `escaped`: in the text format, control characters, line breaks and bidirectional controls
///   become visible escapes (`\n`, `\u{1B}`), so an echoed value can neither start a line of its
///   own (a forged diagnostic, a GitHub workflow command such as `::error::`) nor drive a terminal.
///
/// Both are cheap for the common case: one pass over the bytes finds nothing to do.
public enum EchoedText {
    public static let redaction = "[redacted]"

    /// `text` with every credential-looking substring replaced by `[redacted]`.
    public static func redacted(_ text: String) -> String {
        guard mayHoldCredential(text) else { return text }
        var result = text
        for (expression, template) in patterns {
            let range = NSRange(result.startIndex..<result.endIndex, in: result)
            result = expression.stringByReplacingMatches(in: result, options: [], range: range, withTemplate: template)
        }
        return result
    }

    /// `text` with non-printable characters escaped: `\n`, `\r`, `\t`, and `\u{XX}` for other
    /// control characters (C0, DEL, C1), line and paragraph separators and bidirectional controls.
    public static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 >= 0x7F }) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: result += "\\n"
            case 0x0D: result += "\\r"
            case 0x09: result += "\\t"
            case 0x00..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF:
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Redacted, then escaped: what the text format prints.
    public static func display(_ text: String) -> String { escaped(redacted(text)) }

    /// The patterns, each with its replacement. Constants: one that does not compile is a
    /// programming error caught the first time any diagnostic is rendered (and by the tests),
    /// never a silently disabled redaction.
    static let patterns: [(NSRegularExpression, String)] = {
        // A token is not part of a longer word: no letter or digit right before it.
        let start = "(?<![A-Za-z0-9])"
        let table: [(String, String)] = [
            // PEM private keys, to their END line (or the end of the text when cut short).
            (
                "-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----[\\s\\S]*?(-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|$)",
                "[redacted private key]"
            ),
            // URL user-info with a password: scheme://user:password@host.
            ("([A-Za-z][A-Za-z0-9+.\\-]*://)[^\\s/?#@'\"]*:[^\\s/?#@'\"]*@", "$1\(redaction)@"),
            // URL user-info that is one long value (a token used as the user name).
            ("([A-Za-z][A-Za-z0-9+.\\-]*://)[^\\s/?#@:'\"]{16,}@", "$1\(redaction)@"),
            // Authorization header values (a word of prose after "basic" has no digit or symbol).
            (
                "\\b([Bb]asic|[Bb]earer)(\\s+|%20)(?=[A-Za-z]*[0-9+/=._~\\-])[A-Za-z0-9._~+/=\\-]{8,}",
                "$1 \(redaction)"
            ),
            (start + "gh[pousr]_[A-Za-z0-9]{20,}", redaction),
            (start + "github_pat_[A-Za-z0-9_]{20,}", redaction),
            (start + "glpat-[A-Za-z0-9_\\-]{20,}", redaction),
            (start + "hf_[A-Za-z0-9]{20,}", redaction),
            (start + "(AKIA|ASIA)[0-9A-Z]{16}", redaction),
            (start + "xox[abposr]-[A-Za-z0-9\\-]{10,}", redaction),
            (start + "sk-[A-Za-z0-9_\\-]{20,}", redaction),
            (start + "[rs]k_(live|test)_[A-Za-z0-9]{10,}", redaction),
            (start + "eyJ[A-Za-z0-9_\\-]{4,}\\.[A-Za-z0-9_\\-]{4,}\\.[A-Za-z0-9_\\-]*", redaction),
        ]
        return table.map { pattern, template in
            guard let expression = try? NSRegularExpression(pattern: pattern) else {
                preconditionFailure("redaction pattern does not compile: \(pattern)")
            }
            return (expression, template)
        }
    }()

    /// One pass over the bytes: could any pattern match? (Most diagnostics hold none of these
    /// markers, and the regular expressions never run for them.)
    static func mayHoldCredential(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let count = bytes.count
        func has(_ marker: StaticString, at index: Int) -> Bool {
            let length = marker.utf8CodeUnitCount
            guard index + length <= count else { return false }
            let pointer = marker.utf8Start
            for offset in 0..<length where bytes[index + offset] != pointer[offset] { return false }
            return true
        }
        for index in 0..<count {
            switch bytes[index] {
            case UInt8(ascii: "@"), UInt8(ascii: "_"): return true
            case UInt8(ascii: "-"): if has("-----BEGIN", at: index) { return true }
            case UInt8(ascii: "g"): if has("glpat-", at: index) { return true }
            case UInt8(ascii: "k"): if has("k-", at: index) { return true }
            case UInt8(ascii: "x"): if has("xox", at: index) { return true }
            case UInt8(ascii: "A"): if has("AKIA", at: index) || has("ASIA", at: index) { return true }
            case UInt8(ascii: "e"): if has("eyJ", at: index) || has("earer", at: index) { return true }
            case UInt8(ascii: "a"): if has("asic", at: index) { return true }
            default: continue
            }
        }
        return false
    }
}
