import Foundation

/// The shapes of secret material NBG140 refuses anywhere in an input or a planned object.
///
/// The token patterns are transcribed from gitleaks' maintained ruleset
/// (gitleaks/gitleaks `config/gitleaks.toml`, MIT; the rule id is named on each entry), the
/// Azure storage key and URL credentials from Yelp/detect-secrets (`AzureStorageKeyDetector`,
/// `BasicAuthDetector`). Where nbgitops accepts a little more than the ruleset (a shorter token
/// of a prefix that is never anything but a credential), the entry says so.
///
/// Matching is cheap for the common string: every pattern names literals one of which its match
/// must contain (`markers`), and one pass over the string's bytes finds which patterns can
/// match at all; the regular expressions run only for those (almost no string of a real project).
public enum SecretPatterns {
    /// One shape of secret material.
    public struct Pattern: Sendable {
        /// What it is, for messages ("a GitHub token"): never the value.
        public var kind: String
        /// Literals one of which every match contains (compared byte for byte, ASCII case-insensitively
        /// when `caseInsensitive`).
        public var markers: [String]
        public var caseInsensitive = false
        /// A byte the string must also hold (`@` for credentials inside a URL).
        public var requires: UInt8? = nil
        /// The regular expression (ICU syntax).
        public var regex: String
        /// A further test of the match's first capture group (or the whole match), when the
        /// shape alone would accept ordinary text.
        public var accept: (@Sendable (Substring) -> Bool)? = nil
    }

    /// A pattern that does not compile: a defect of nbgitops, reported at start-up by name.
    public struct CompileError: Error, CustomStringConvertible {
        public var kind: String
        public var regex: String
        public var reason: String
        public var description: String {
            "secret-scan pattern for \(kind) does not compile (\(reason)): \(regex)"
        }
    }

    /// A pattern and its compiled expression.
    struct Compiled: @unchecked Sendable {
        var pattern: Pattern
        var expression: NSRegularExpression
    }

    /// Compiles every pattern; the first one that fails is thrown, never dropped.
    static func compile(_ patterns: [Pattern]) throws -> [Compiled] {
        try patterns.map { pattern in
            do {
                return Compiled(pattern: pattern, expression: try NSRegularExpression(pattern: pattern.regex))
            } catch {
                throw CompileError(kind: pattern.kind, regex: pattern.regex, reason: "\(error)")
            }
        }
    }

    /// The compiled table. The patterns are constants of nbgitops, not input: one that does not
    /// compile stops the program the first time the table is used, which `CompilerPipeline.run`
    /// does before reading anything (`checkCompiled()`), so a broken pattern can never disable
    /// the check. `SecretPatternsTests` compiles every pattern.
    static let compiled: [Compiled] = {
        do {
            return try compile(all)
        } catch {
            preconditionFailure("\(error)")
        }
    }()

    /// Compiles the table now (start-up), stopping the program if a pattern is broken.
    public static func checkCompiled() {
        _ = compiled.count
    }

    /// Credential-like key names (compared case-insensitively, as substrings).
    static let credentialWords = [
        "password", "passwd", "token", "secret", "apikey", "api_key", "api-key", "accesskey", "access_key", "access-key",
        "privatekey", "private_key", "private-key", "client-key-data", "credential", "auth",
    ]

    /// An ASCII upper-case letter in lower case; any other byte as it is.
    @inline(__always) static func lowered(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    /// `credentialWords` as bytes (all lower case).
    static let credentialWordBytes: [[UInt8]] = credentialWords.map { Array($0.utf8) }

    /// A credential-like key followed by `:` or `=` and a value, inside text (a kubeconfig's
    /// `token:` or `client-key-data:`, a `.env` or properties file, JSON). The value passes only
    /// if it looks random (`looksRandom`); cf. gitleaks' `generic-api-key` (entropy 3.5).
    static let keyValueRegex =
        #"(?i)(?:password|passwd|token|secret|api[_-]?key|access[_-]?key|private[_-]?key|client-key-data|credential)[A-Za-z0-9_.-]{0,30}["']?[ \t]*(?::|=)[ \t]*["']?([A-Za-z0-9+/=_.~-]{16,})"#

    public static let all: [Pattern] = [
        // detect-secrets BasicAuthDetector (`://[^{}\s]+:([^{}\s]+)@`); the user may be empty (`redis://:pw@host`).
        Pattern(
            kind: "credentials inside a URL", markers: ["://"], requires: UInt8(ascii: "@"),
            regex: #"[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:{}]*:[^\s/@{}()<>]+@[^\s/]+"#),
        // An http(s) URL whose user-info alone is a token (`https://<token>@host`).
        Pattern(
            kind: "a token inside a URL", markers: ["://"], requires: UInt8(ascii: "@"),
            regex: #"https?://[^\s/@:]{20,}@[^\s/]+"#),
        // gitleaks github-pat, github-oauth, github-app-token, github-refresh-token (36 characters;
        // 30 or more accepted here), github-fine-grained-pat.
        Pattern(
            kind: "a GitHub token", markers: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
            regex: #"\b(?:ghp|gho|ghu|ghs|ghr)_[0-9A-Za-z]{30,}|github_pat_\w{40,}"#),
        // gitleaks gitlab-pat.
        Pattern(kind: "a GitLab token", markers: ["glpat-"], regex: #"\bglpat-[\w-]{20,}"#),
        // gitleaks aws-access-token (the key id; its secret is caught under credential-like keys).
        Pattern(
            kind: "an AWS access key id", markers: ["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
            regex: #"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"#),
        // gitleaks private-key (the header is enough: a truncated key is still a leak).
        Pattern(
            kind: "a private key", markers: ["PRIVATE KEY"],
            regex: #"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----"#),
        // A PEM private key, base64-encoded (`binaryData`, a kubeconfig's `client-key-data`):
        // "-----BEGIN" encodes to "LS0tLS1CRUdJTi".
        Pattern(
            kind: "a base64-encoded private key", markers: ["LS0tLS1CRUdJTi"],
            regex: #"LS0tLS1CRUdJTi[A-Za-z0-9+/=\s]*"#, accept: { decodesToPrivateKey($0) }),
        // gitleaks huggingface-access-token (34 letters; 30 or more letters and digits accepted here).
        Pattern(kind: "a Hugging Face token", markers: ["hf_"], regex: #"\bhf_[A-Za-z0-9]{30,}"#),
        // gitleaks slack-bot-token, slack-user-token, slack-legacy-token, slack-app-token.
        Pattern(
            kind: "a Slack token", markers: ["xox", "xapp-"],
            regex: #"\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9]+-\d+-[a-z0-9]+"#),
        // gitleaks slack-webhook-url.
        Pattern(
            kind: "a Slack webhook URL", markers: ["hooks.slack.com"],
            regex: #"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56}"#),
        // gitleaks stripe-access-token.
        Pattern(
            kind: "a Stripe key", markers: ["sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_"],
            regex: #"\b(?:sk|rk)_(?:test|live|prod)_[A-Za-z0-9]{10,99}"#),
        // gitleaks jwt (its keyword is "ey"; every JSON header encodes to "eyJ").
        Pattern(
            kind: "a JSON Web Token", markers: ["eyJ"],
            regex: #"\bey[A-Za-z0-9]{17,}\.ey[A-Za-z0-9/\\_-]{17,}\.(?:[A-Za-z0-9/\\_-]{10,}={0,2})?"#),
        // gitleaks gcp-api-key.
        Pattern(kind: "a Google API key", markers: ["AIza"], regex: #"\bAIza[\w-]{35}"#),
        // gitleaks npm-access-token.
        Pattern(kind: "an npm token", markers: ["npm_"], regex: #"(?i)\bnpm_[a-z0-9]{36}"#),
        // gitleaks openai-api-key, plus any project/service-account/admin key of 40 or more characters.
        Pattern(
            kind: "an OpenAI API key", markers: ["sk-proj-", "sk-svcacct-", "sk-admin-", "T3BlbkFJ"],
            regex:
                #"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"#),
        // gitleaks sendgrid-api-token.
        Pattern(kind: "a SendGrid API key", markers: ["SG."], regex: #"\bSG\.[A-Za-z0-9=_.-]{66}"#),
        // detect-secrets AzureStorageKeyDetector (`AccountKey=[a-zA-Z0-9+\/=]{88}`; 20 or more
        // accepted here), and a Service Bus / Event Hubs `SharedAccessKey=`.
        Pattern(
            kind: "an Azure account key", markers: ["AccountKey=", "SharedAccessKey="],
            regex: #"(?:AccountKey|SharedAccessKey)=[A-Za-z0-9+/]{20,}={0,2}"#),
        // gitleaks curl-auth-header's `Authorization: Basic`: a base64 `user:password`.
        Pattern(
            kind: "a Basic authorization header", markers: ["basic "], caseInsensitive: true,
            regex: #"(?i)\bbasic[ \t]+([A-Za-z0-9+/]{8,}={0,2})"#, accept: { decodesToUserPassword($0) }),
        // gitleaks curl-auth-header's `Authorization: Bearer`: a token, not a word or a placeholder.
        Pattern(
            kind: "a Bearer token", markers: ["bearer "], caseInsensitive: true,
            regex: #"(?i)\bbearer[ \t]+([A-Za-z0-9._~+/-]{16,}=*)"#, accept: { looksRandom($0, minimumLength: 16) }),
        Pattern(
            kind: "a credential value under a credential-like key",
            markers: ["passw", "token", "secret", "key", "credential"], caseInsensitive: true,
            regex: keyValueRegex, accept: { looksRandom($0, minimumLength: 16) }),
    ]

    // MARK: Matching

    /// What kind of secret material `text` holds, if any (never the value).
    public static func kind(of text: String) -> String? {
        let table = compiled
        let candidates = candidatePatterns(text)
        guard candidates != 0 else { return nil }
        let range = NSRange(text.startIndex..., in: text)
        for index in table.indices where candidates & (1 << UInt64(index)) != 0 {
            let entry = table[index]
            var found = false
            entry.expression.enumerateMatches(in: text, range: range) { match, _, stop in
                guard let match else { return }
                if let accept = entry.pattern.accept {
                    let group = match.numberOfRanges > 1 && match.range(at: 1).location != NSNotFound ? 1 : 0
                    guard let matched = Range(match.range(at: group), in: text), accept(text[matched]) else { return }
                }
                found = true
                stop.pointee = true
            }
            if found { return entry.pattern.kind }
        }
        return nil
    }

    /// A string held under a credential-like key (a ConfigMap's `DB_PASSWORD`, an annotation
    /// `example.com/api-token`): what it holds if its value looks random, else nil. Keys that
    /// name a Secret or a file (`secretName`, `tokenPath`, `…Ref`) hold no value.
    public static func kind(ofValue text: String, underKey key: String) -> String? {
        guard text.utf8.count >= 16, isCredentialKey(key), looksRandom(Substring(text), minimumLength: 16) else {
            return nil
        }
        return "a random-looking value under the credential-like key '\(key)'"
    }

    static func isCredentialKey(_ key: String) -> Bool {
        // Byte for byte, ASCII case-folded, without allocating: this runs for most strings.
        var key = key
        let named = key.withUTF8 { bytes in
            credentialWordBytes.contains { word in
                guard bytes.count >= word.count else { return false }
                for start in 0...(bytes.count - word.count) {
                    var equal = true
                    for offset in 0..<word.count where lowered(bytes[start + offset]) != word[offset] {
                        equal = false
                        break
                    }
                    if equal { return true }
                }
                return false
            }
        }
        guard named else { return false }
        let lower = key.lowercased()
        guard !["tokenizer", "author"].contains(where: { lower.contains($0) }) else { return false }
        // `existingSecrets` (an overlay's list of Secret names, `namespace/name`) names, never holds.
        let references = [
            "name", "names", "ref", "path", "file", "dir", "secretkey", "key_id", "keyid", "url", "uri", "existingsecrets",
        ]
        return !references.contains { lower.hasSuffix($0) }
    }

    /// Bit `i` set: pattern `i` may match (its marker and required byte are in `text`).
    static func candidatePatterns(_ text: String) -> UInt64 {
        var text = text
        let table = markerTable
        let starts = markerStarts
        return text.withUTF8 { bytes in
            var result: UInt64 = 0
            guard bytes.count >= 3 else { return 0 }
            var index = 0
            let count = bytes.count
            while index < count {
                let slot = Int(lowered(bytes[index]))
                index += 1
                guard starts[slot] else { continue }
                let start = index - 1
                for candidate in table[slot] where result & candidate.bit == 0 {
                    let marker = candidate.bytes
                    guard start + marker.count <= count else { continue }
                    var equal = true
                    for offset in 1..<marker.count {
                        let actual = bytes[start + offset]
                        let wanted = marker[offset]
                        if actual == wanted || (candidate.caseInsensitive && lowered(actual) == wanted) { continue }
                        equal = false
                        break
                    }
                    guard equal, candidate.caseInsensitive || bytes[start] == marker[0] else { continue }
                    if let required = candidate.requires, !bytes.contains(required) { continue }
                    result |= candidate.bit
                }
            }
            return result
        }
    }

    /// Whether any marker starts with this (lower-cased) byte: the one test most bytes take.
    static let markerStarts: [Bool] = markerTable.map { !$0.isEmpty }

    /// Whether `text` contains `needle`, byte for byte (no Foundation, no locale, no allocation
    /// for a native string): for scans that test every string of every planned object.
    public static func contains(_ text: String, bytes needle: [UInt8]) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard let first = needle.first, bytes.count >= needle.count else { return false }
            var start = 0
            while start <= bytes.count - needle.count {
                if bytes[start] == first {
                    var offset = 1
                    while offset < needle.count && bytes[start + offset] == needle[offset] { offset += 1 }
                    if offset == needle.count { return true }
                }
                start += 1
            }
            return false
        }
    }

    struct Marker {
        var bytes: [UInt8]
        var caseInsensitive: Bool
        var requires: UInt8?
        var bit: UInt64
    }

    /// Markers by their first byte in lower case: one lookup per byte.
    static let markerTable: [[Marker]] = {
        var table = [[Marker]](repeating: [], count: 256)
        precondition(all.count <= 64, "the secret-scan prefilter holds at most 64 patterns")
        for (index, pattern) in all.enumerated() {
            for marker in pattern.markers {
                let bytes = Array((pattern.caseInsensitive ? marker.lowercased() : marker).utf8)
                guard let first = bytes.first, bytes.count >= 2 else { continue }
                table[Int(lowered(first))].append(
                    Marker(
                        bytes: bytes, caseInsensitive: pattern.caseInsensitive, requires: pattern.requires,
                        bit: 1 << UInt64(index)))
            }
        }
        return table
    }()

    // MARK: Tests of a match

    /// A token rather than a word, a path or a placeholder: only token characters, not a path,
    /// letters and digits both, and a Shannon entropy of at least 3.5 bits per character
    /// (gitleaks' `generic-api-key` threshold).
    static func looksRandom(_ value: Substring, minimumLength: Int) -> Bool {
        let bytes = Array(value.utf8)
        guard bytes.count >= minimumLength, let first = bytes.first, first != UInt8(ascii: "/"), first != UInt8(ascii: ".")
        else { return false }
        var hasLetter = false
        var hasDigit = false
        var counts = [Int](repeating: 0, count: 256)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): hasDigit = true
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): hasLetter = true
            case UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"), UInt8(ascii: "-"):
                break
            default: return false
            }
            counts[Int(byte)] += 1
        }
        guard hasLetter && hasDigit else { return false }
        return entropy(counts, total: bytes.count) >= 3.5
    }

    static func entropy(_ counts: [Int], total: Int) -> Double {
        let length = Double(total)
        return counts.reduce(0.0) { sum, count in
            guard count > 0 else { return sum }
            let share = Double(count) / length
            return sum - share * log2(share)
        }
    }

    static func base64Decoded(_ text: Substring) -> Data? {
        var clean = String(text.filter { !$0.isWhitespace })
        while clean.utf8.count % 4 != 0 { clean += "=" }
        return Data(base64Encoded: clean)
    }

    /// `Basic dXNlcjpwYXNz`: base64 of `user:password` (a word such as "Basic authentication"
    /// does not decode to that).
    static func decodesToUserPassword(_ text: Substring) -> Bool {
        guard let data = base64Decoded(text), let decoded = String(data: data, encoding: .utf8),
            let colon = decoded.firstIndex(of: ":")
        else { return false }
        return colon != decoded.startIndex && decoded.index(after: colon) != decoded.endIndex
            && !decoded.contains(where: { $0.isNewline || $0 == "\0" })
    }

    static func decodesToPrivateKey(_ text: Substring) -> Bool {
        guard let data = base64Decoded(text) else { return false }
        return String(decoding: data, as: UTF8.self).contains("PRIVATE KEY")
    }
}
