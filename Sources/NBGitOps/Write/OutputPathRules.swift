/// The shape every output path and environment name must have before anything touches the disk.
///
/// Paths are checked as text first (no `..`, no absolute paths, no backslashes, NUL or other
/// control characters, no empty or `.` components), so a hostile or buggy render can never name a
/// place outside its environment folder. Control characters are refused too because the
/// ownership ledger stores one path per line. Symbolic links found on disk are checked later, by
/// the planner, against what is really there.
enum OutputPathRules {
    /// Why `name` cannot be an environment folder name, or nil when it can.
    ///
    /// Names starting with `.` are refused: they would hide the folder and could collide with
    /// the staging and backup folders nbgitops creates next to the environment folders.
    static func problem(withEnvironmentName name: String) -> String? {
        if name.isEmpty { return "the environment name is empty" }
        if name.hasPrefix(".") { return "the environment name '\(name)' starts with '.'" }
        if name.contains("/") { return "the environment name '\(name)' contains '/'" }
        if let problem = characterProblem(name) { return "the environment name \(problem)" }
        if name.utf8.count > 200 { return "the environment name is longer than 200 bytes" }
        return nil
    }

    /// Why `path` (relative, `/`-separated) cannot be written, or nil when its text is safe.
    static func problem(withRelativePath path: String) -> String? {
        if path.isEmpty { return "the path is empty" }
        if path.hasPrefix("/") { return "the path is absolute" }
        if let problem = characterProblem(path) { return "the path \(problem)" }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            switch component {
            case "": return "the path has an empty component ('//' or a trailing '/')"
            case "..": return "the path contains '..'"
            case ".": return "the path contains a '.' component"
            default: continue
            }
        }
        return nil
    }

    private static func characterProblem(_ text: String) -> String? {
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0: return "contains a NUL character"
            case 0x5C: return "contains a backslash"
            case 0x01..<0x20, 0x7F: return "contains a control character (U+\(hex(scalar.value)))"
            case 0x2028, 0x2029: return "contains a line separator (U+\(hex(scalar.value)))"
            default: continue
            }
        }
        return nil
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// Byte order for paths: stable across processes and platforms, unlike `String`'s `<`,
/// which compares Unicode-normalised text.
func precedesInByteOrder(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
}
