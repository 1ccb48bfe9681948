import Foundation

/// Name rules of Kubernetes (DNS-1123).
public enum NameChecks {
    /// A DNS-1123 label: lowercase alphanumerics and '-', 1–63 chars, alphanumeric at both ends.
    public static func isDNSLabel(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 63 else { return false }
        func alnum(_ byte: UInt8) -> Bool { (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) }
        guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == 0x2D }
    }

    /// A DNS-1123 subdomain: dot-separated labels, at most 253 chars.
    public static func isDNSSubdomain(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNSLabel(String($0)) }
    }

    static func checkSubdomain(_ name: Located<String>, what: String, diagnostics: DiagnosticCollector) {
        guard !isDNSSubdomain(name.value) else { return }
        diagnostics.error(
            .nameInvalid, "\(what) '\(name.value)' is not a valid Kubernetes name", at: name.location,
            help:
                "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (at most 253 characters)")
    }

    /// Mirrors apimachinery `pkg/util/validation/validation.go` `IsValidLabelValue`: at most 63
    /// characters, empty or `(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?`.
    public static func isLabelValue(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty else { return true }
        func alnum(_ byte: UInt8) -> Bool {
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
        }
        guard bytes.count <= 63, let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else {
            return false
        }
        return bytes.allSatisfy { alnum($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
    }

    static func checkLabel(_ name: Located<String>, what: String, diagnostics: DiagnosticCollector) {
        guard !isDNSLabel(name.value) else { return }
        let help =
            name.value.utf8.count > 63
            ? "shorten it to at most 63 characters"
            : "use lowercase letters, digits and '-', starting and ending with a letter or digit"
        diagnostics.error(.nameInvalid, "\(what) '\(name.value)' is not a valid DNS-1123 label", at: name.location, help: help)
    }
}

/// Git URL, ref and notebook-path rules.
public enum GitChecks {
    /// Checks a git URL; returns its transport. Credentials embedded in the URL are refused.
    @discardableResult
    static func checkURL(_ url: Located<String>, diagnostics: DiagnosticCollector) -> GitTransport? {
        let text = url.value
        // The schema's pattern (NBG105) already refused this value: one mistake, one error.
        if diagnostics.hasError(at: url.location) { return nil }
        if text.contains(where: { $0.isWhitespace }) {
            diagnostics.error(.gitURL, "git URL contains whitespace", at: url.location, help: "remove the spaces")
            return nil
        }
        if text.hasPrefix("git@") {
            // scp-like syntax: git@host:path
            let rest = text.dropFirst(4)
            guard let colon = rest.firstIndex(of: ":"), colon != rest.startIndex,
                rest.index(after: colon) != rest.endIndex
            else {
                diagnostics.error(
                    .gitURL, "git URL '\(text)' is not of the form git@host:path", at: url.location,
                    help: "write it as git@github.com:org/repo.git or ssh://git@github.com/org/repo.git")
                return nil
            }
            return .ssh
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            diagnostics.error(
                .gitURL, "git URL '\(redacted(text))' cannot be parsed", at: url.location,
                help: "write a URL such as https://github.com/org/repo.git")
            return nil
        }
        if components.password != nil || (scheme.hasPrefix("http") && components.user != nil) {
            diagnostics.error(
                .secretLiteral, "git URL carries credentials", at: url.location,
                help: "remove the user/token from the URL and name a Secret in git.credentialsSecret instead")
            return nil
        }
        let path = components.path
        if path.isEmpty || path == "/" {
            diagnostics.error(
                .gitURL, "git URL '\(text)' names no repository", at: url.location,
                help: "add the repository path, e.g. https://\(host)/org/repo.git")
            return nil
        }
        switch scheme {
        case "https": return .https
        case "http":
            diagnostics.warning(
                .gitPlainHTTP, "git URL uses plain http; credentials and content travel unencrypted", at: url.location,
                help: "use https://")
            return .http
        case "ssh": return .ssh
        case "git": return .git
        default:
            diagnostics.error(
                .gitURL, "git URL scheme '\(scheme)' is not supported", at: url.location,
                help: "use https://, ssh:// or git@host:path")
            return nil
        }
    }

    /// Replaces anything between `//` and `@` so a message never echoes a credential.
    static func redacted(_ text: String) -> String {
        guard let start = text.range(of: "://"), let at = text[start.upperBound...].firstIndex(of: "@") else { return text }
        return String(text[..<start.upperBound]) + "***" + String(text[at...])
    }

    /// Branch and tag names per `git check-ref-format`, or a full 40/64-hex commit id.
    static func checkRef(_ ref: Located<String>, diagnostics: DiagnosticCollector) {
        let text = ref.value
        let hex = text.allSatisfy { $0.isHexDigit }
        if hex && (text.count == 40 || text.count == 64) {
            if text != text.lowercased() {
                diagnostics.error(.gitRef, "commit SHA must be lowercase", at: ref.location, help: "write it in lowercase")
            }
            return
        }
        var problem: String?
        if text.isEmpty {
            problem = "is empty"
        } else if text.hasPrefix("-") {
            problem = "starts with '-'"
        } else if text.hasPrefix("/") || text.hasSuffix("/") {
            problem = "starts or ends with '/'"
        } else if text.hasSuffix(".") || text.hasSuffix(".lock") {
            problem = "ends with '.' or '.lock'"
        } else if text.contains("..") || text.contains("//") || text.contains("@{") {
            problem = "contains '..', '//' or '@{'"
        } else if text == "@" {
            problem = "is '@'"
        } else if let bad = text.unicodeScalars.first(where: {
            $0.value < 0x20 || $0.value == 0x7F || " ~^:?*[\\".unicodeScalars.contains($0)
        }) {
            problem = "contains the character '\(bad.value < 0x20 ? "control" : String(bad))'"
        } else if text.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
            problem = "has a component starting with '.'"
        }
        if let problem {
            diagnostics.error(
                .gitRef, "git ref '\(text)' \(problem)", at: ref.location,
                help: "use a branch or tag name, or a full 40-character commit SHA")
            return
        }
        if hex && text.count >= 7 && text.count < 40 && text.contains(where: { $0.isNumber })
            && text.contains(where: { $0.isLetter })
        {
            diagnostics.warning(
                .gitRefAbbreviated,
                "git ref '\(text)' looks like an abbreviated commit SHA; it is fetched as a branch or tag name",
                at: ref.location, help: "write the full 40-character commit SHA")
        }
    }

    /// The notebook path must be relative, end in `.ipynb`, and stay inside the repository.
    static func checkNotebookPath(_ path: Located<String>, diagnostics: DiagnosticCollector) {
        let text = path.value
        if text.hasPrefix("/") {
            diagnostics.error(
                .notebookPath, "notebook path '\(text)' is absolute", at: path.location,
                help: "write the path relative to the repository root, e.g. notebooks/analysis.ipynb")
            return
        }
        let components = text.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains("..") {
            diagnostics.error(
                .notebookPath, "notebook path '\(text)' escapes the repository", at: path.location,
                help: "remove '..'; the notebook must be inside the cloned repository")
            return
        }
        if text.contains("\\") || text.contains("\0") || components.contains("") {
            diagnostics.error(
                .notebookPath, "notebook path '\(text)' is not a clean relative path", at: path.location,
                help: "use '/' separators without empty components")
            return
        }
        // The schema's pattern (NBG105) already refuses most such paths at this very value: one
        // mistake, one error.
        if !diagnostics.hasError(at: path.location) && (!text.hasSuffix(".ipynb") || components.last == ".ipynb") {
            diagnostics.error(
                .notebookPath, "notebook path '\(text)' does not name a .ipynb file", at: path.location,
                help: "point at a notebook file ending in .ipynb")
        }
    }
}

/// Durations in the CRD's `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$` form.
public enum Durations {
    /// Whole seconds, rounded up (`500ms` is 1, `0s` is 0); nil when the text is not a duration.
    public static func seconds(_ text: String) -> Int? {
        var total = 0.0
        var number = ""
        var index = text.startIndex
        var sawUnit = false
        while index < text.endIndex {
            let character = text[index]
            if character.isNumber || character == "." {
                number.append(character)
                index = text.index(after: index)
                continue
            }
            guard let value = Double(number) else { return nil }
            let rest = text[index...]
            let factor: Double
            if rest.hasPrefix("ms") {
                factor = 0.001
                index = text.index(index, offsetBy: 2)
            } else if character == "s" {
                factor = 1
                index = text.index(after: index)
            } else if character == "m" {
                factor = 60
                index = text.index(after: index)
            } else if character == "h" {
                factor = 3600
                index = text.index(after: index)
            } else {
                return nil
            }
            total += value * factor
            number = ""
            sawUnit = true
        }
        guard sawUnit, number.isEmpty, total.isFinite, total < Double(Int32.max) else { return nil }
        // Rounded up, so a positive duration is never zero; zero stays zero (callers decide
        // what it means: a Job's activeDeadlineSeconds must be positive, Tekton reads 0s as
        // no timeout), never silently one second.
        return Int(total.rounded(.up))
    }
}

/// Heuristics for secret material written where it must not be.
public enum SecretHeuristics {
    static let credentialWords = [
        "PASSWORD", "PASSWD", "TOKEN", "SECRET", "APIKEY", "API_KEY", "ACCESS_KEY", "PRIVATE_KEY", "CREDENTIAL",
    ]

    public static func looksLikeCredentialName(_ name: String) -> Bool {
        let upper = name.uppercased()
        return credentialWords.contains { upper.contains($0) }
    }

    /// `HF_TOKEN_PATH=/secrets/hf/token`, `TOKEN_FILE=$(workspaces.token.path)/token`: a variable
    /// naming where a credential file is, not holding one.
    public static func isFileReference(name: String, value: String) -> Bool {
        let upper = name.uppercased()
        return ["_PATH", "_FILE", "_DIR"].contains { upper.hasSuffix($0) } && (value.hasPrefix("/") || value.hasPrefix("$("))
    }
}

/// Path helpers.
public enum Paths {
    /// `/a//b/./c/` → `/a/b/c`.
    public static func normalizedAbsolute(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." && !part.isEmpty {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }
}
