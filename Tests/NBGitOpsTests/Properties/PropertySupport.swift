import Foundation

@testable import NBGitOps

/// A small seeded generator (SplitMix64): property tests are random but reproducible; a
/// failure message names the seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Strings that some YAML reader takes for something else, and plain ones, for values.
enum TrickyStrings {
    static let misread = [
        "yes", "Yes", "YES", "no", "No", "NO", "y", "Y", "n", "N", "on", "On", "ON", "off", "Off", "OFF",
        "true", "True", "FALSE", "null", "Null", "NULL", "~", "", "0", "-0", "+1", "0755", "0o17", "0x1F",
        "0b101", "1_000", "12:30", "1:20:30", "190:20:30.15", "1e3", "1E+3", "1.5", ".5", "5.", "-1.5e-3",
        ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "2024-01-01", "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5", "2002-12-14", "<<", "=", "1__0", "-0x1", "+0b1", "0.", "00", "08", "09", ".", "..", "-.", "+..", "1.2.3",
    ]
    static let plain = [
        "main", "v1.2.0", "quay.io/jupyter/minimal-notebook:2024-05-27", "nvidia.com/gpu", "500m", "2Gi",
        "a b", "key=value", "#hash", "trailing ", " leading", "colon: inside", "- dash", "[bracket", "{brace",
        "'quote", "\"double", "*star", "&amp", "!bang", "%percent", "@at", "`tick", "|pipe", ">gt", "?q",
        "multi\nline", "multi\nline\n", "tab\there", "unicode ünï €", "yes please", "no way", "0.0.1-rc1",
        "1.2.3.4", "12:30pm", "2024-01-01x", "e5", "0xZZ", "True-ish", "NaN", "Infinity", "nil", "None",
    ]
    static var all: [String] { misread + plain }

    static func random<G: RandomNumberGenerator>(using generator: inout G) -> String {
        let pool = all
        return pool[Int.random(in: 0..<pool.count, using: &generator)]
    }
}

/// An independent YAML 1.1 (yaml.org/type) and YAML 1.2 core resolver, written from the
/// specifications' regular expressions: true when a plain scalar would not be a string.
enum IndependentResolver {
    static let patterns: [NSRegularExpression] = [
        // YAML 1.1 bool, null, int, float, timestamp, merge, value.
        "y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
        "~|null|Null|NULL|",
        "[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+",
        "[-+]?([0-9][0-9_]*)?\\.[0-9.]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)",
        "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?([Tt]|[ \\t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](\\.[0-9]*)?(([ \\t]*)Z|[-+][0-9][0-9]?(:[0-9][0-9])?)?",
        "<<", "=",
        // YAML 1.2 core schema.
        "[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+",
        "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?(\\.inf|\\.Inf|\\.INF)|\\.nan|\\.NaN|\\.NAN",
    ].compactMap { try? NSRegularExpression(pattern: "^(?:\($0))$") }

    static let patternCount = 9

    static func isNonString(_ text: String) -> Bool {
        let range = NSRange(text.startIndex..., in: text)
        return patterns.contains { $0.firstMatch(in: text, range: range) != nil }
    }
}

/// A rendered document read back, in a form comparable with the planned `ManifestNode`:
/// plain scalars are resolved the way Kubernetes resolves them, quoted and block ones are strings.
indirect enum ReadBack: Equatable, CustomStringConvertible {
    case scalar(ResolvedScalar)
    case map([String: ReadBack])
    case list([ReadBack])

    init(_ node: YAMLNode) {
        switch node.content {
        case .scalar(let scalar):
            self = .scalar(scalar.isPlain ? ScalarResolver.resolve(scalar.value) : .string(scalar.value))
        case .mapping(let pairs):
            var map: [String: ReadBack] = [:]
            for pair in pairs { map[pair.key.scalar?.value ?? "?"] = ReadBack(pair.value) }
            self = .map(map)
        case .sequence(let items):
            self = .list(items.map(ReadBack.init))
        }
    }

    init(_ node: ManifestNode) {
        switch node {
        case .string(let value): self = .scalar(.string(value))
        case .int(let value): self = .scalar(.int(value))
        case .float(let value): self = .scalar(.float(value))
        case .bool(let value): self = .scalar(.bool(value))
        case .null: self = .scalar(.null)
        case .map(let entries):
            var map: [String: ReadBack] = [:]
            for entry in entries { map[entry.key] = ReadBack(entry.value) }
            self = .map(map)
        case .list(let elements): self = .list(elements.map(ReadBack.init))
        }
    }

    var description: String {
        switch self {
        case .scalar(let value): return "\(value)"
        case .map(let map): return "{" + map.keys.sorted().map { "\($0): \(map[$0]!)" }.joined(separator: ", ") + "}"
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

/// Random but valid NotebookValidationJob documents (and supporting ConfigMaps carrying
/// tricky strings), as YAML text.
enum RandomSpecs {
    static func documents<G: RandomNumberGenerator>(count: Int, using generator: inout G) -> [String] {
        var documents: [String] = []
        for index in 0..<count {
            let name = "job-\(index)-\(Int.random(in: 0..<1000, using: &generator))"
            var text = """
                apiVersion: mlops.mlops.dev/v1alpha1
                kind: NotebookValidationJob
                metadata:
                  name: \(name)
                spec:
                  notebook:
                    git:
                      url: https://github.com/org/repo-\(Int.random(in: 0..<5, using: &generator)).git
                      ref: \(["main", "v1.0.0", "4f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"].randomElement(using: &generator) ?? "main")
                    path: notebooks/\(name).ipynb
                  podConfig:
                    containerImage: quay.io/jupyter/minimal-notebook:2024-05-\(10 + Int.random(in: 0..<18, using: &generator))

                """
            if Bool.random(using: &generator) {
                text += "    env:\n"
                for variable in 0..<Int.random(in: 1...3, using: &generator) {
                    text += "    - name: VAR_\(variable)\n      value: \(singleQuoted(TrickyStrings.random(using: &generator)))\n"
                }
            }
            if Bool.random(using: &generator) {
                text += "    resources:\n      requests:\n        cpu: 500m\n        memory: 1Gi\n"
                if Bool.random(using: &generator) { text += "        nvidia.com/gpu: \"1\"\n      limits:\n        nvidia.com/gpu: \"1\"\n" }
            }
            if Bool.random(using: &generator) { text += "  timeout: \(Int.random(in: 1...90, using: &generator))m\n" }
            documents.append(text)
            if Bool.random(using: &generator) {
                var map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings-\(index)\ndata:\n"
                for key in 0..<Int.random(in: 1...4, using: &generator) {
                    map += "  key\(key): \(singleQuoted(TrickyStrings.random(using: &generator)))\n"
                }
                documents.append(map)
            }
        }
        return documents
    }

    /// A YAML single-quoted scalar, or a double-quoted one for text with line breaks or tabs.
    static func singleQuoted(_ text: String) -> String {
        if text.contains("\n") || text.contains("\t") {
            return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t") + "\""
        }
        return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
