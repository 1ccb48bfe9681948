/// Unified diffs (`--- a/path`, `+++ b/path`, `@@ -l,s +l,s @@` hunks) of two file versions, as
/// `nbgitops check` shows them.
///
/// Lines are matched with Myers' O(ND) algorithm (`LineMatcher`), so the diff is a shortest
/// edit script; within each changed block deletions come before insertions, as GNU diff and
/// git print them. Lines are compared together with their line ending, so a missing final
/// newline is a change and is marked `\ No newline at end of file`. Content that is not UTF-8
/// text, or that holds a NUL byte, gets git's one-line `Binary files … differ` message instead.
public enum UnifiedDiff {
    /// The diff from `old` to `new` for the file at `path` (a path relative to the output root).
    ///
    /// `old == nil` is a file being added (`--- /dev/null`), `new == nil` a file being removed
    /// (`+++ /dev/null`). Returns an empty string when both versions are identical.
    public static func render(old: [UInt8]?, new: [UInt8]?, path: String, contextLines: Int = 3) -> String {
        if old == new { return "" }
        let oldLabel = old == nil ? "/dev/null" : "a/" + path
        let newLabel = new == nil ? "/dev/null" : "b/" + path
        if isBinary(old ?? []) || isBinary(new ?? []) {
            return "Binary files \(oldLabel) and \(newLabel) differ\n"
        }
        let oldLines = Line.split(old ?? [])
        let newLines = Line.split(new ?? [])
        var output = "--- \(oldLabel)\n+++ \(newLabel)\n"
        for hunk in hunks(oldLines, newLines, contextLines: max(0, contextLines)) {
            output += hunk
        }
        return output
    }

    /// A git patch for one file: `diff --git` with the extended header git writes for new,
    /// deleted and renamed files, then the unified diff. `path` and `oldPath` are repository
    /// paths, so the patch applies with `git apply` from the repository root. `oldPath`: the
    /// file's previous path when it was renamed (a validation Job replaced under a new name).
    public static func gitPatch(
        old: [UInt8]?, new: [UInt8]?, path: String, oldPath: String? = nil, contextLines: Int = 3
    ) -> String {
        let source = oldPath ?? path
        if old == new && source == path { return "" }
        var header = "diff --git a/\(source) b/\(path)\n"
        if old == nil { header += "new file mode 100644\n" }
        if new == nil { header += "deleted file mode 100644\n" }
        if source != path { header += "rename from \(source)\nrename to \(path)\n" }
        if old == new { return header }
        var body = render(old: old, new: new, path: path, contextLines: contextLines)
        if source != path, body.hasPrefix("--- a/\(path)\n") {
            body = "--- a/\(source)\n" + body.dropFirst("--- a/\(path)\n".utf8.count)
        }
        return header + body
    }

    /// Content a text diff cannot show faithfully: a NUL byte or invalid UTF-8.
    static func isBinary(_ bytes: [UInt8]) -> Bool {
        bytes.contains(0) || String(validating: bytes, as: UTF8.self) == nil
    }

    /// One line with whether it ended in `\n` (only a file's last line may not).
    struct Line: Hashable {
        var content: ArraySlice<UInt8>
        var terminated: Bool

        static func split(_ bytes: [UInt8]) -> [Line] {
            var lines: [Line] = []
            var start = 0
            for index in bytes.indices where bytes[index] == 0x0A {
                lines.append(Line(content: bytes[start..<index], terminated: true))
                start = index + 1
            }
            if start < bytes.count {
                lines.append(Line(content: bytes[start..<bytes.count], terminated: false))
            }
            return lines
        }

        func rendered(_ marker: Character) -> String {
            var text = String(marker) + String(decoding: content, as: UTF8.self) + "\n"
            if !terminated { text += "\\ No newline at end of file\n" }
            return text
        }
    }

    /// One step of the edit script.
    enum Edit {
        case keep(old: Int, new: Int)
        case delete(old: Int)
        case insert(new: Int)

        var isKeep: Bool {
            if case .keep = self { return true }
            return false
        }
    }

    /// The edit script turning `old` into `new`: matched lines from the LCS, and between two
    /// matches all deletions first, then all insertions.
    static func edits(_ old: [Line], _ new: [Line]) -> [Edit] {
        var identifiers: [Line: Int] = [:]
        func identifier(_ line: Line) -> Int {
            if let known = identifiers[line] { return known }
            let next = identifiers.count
            identifiers[line] = next
            return next
        }
        let oldIDs = old.map(identifier)
        let newIDs = new.map(identifier)
        var edits: [Edit] = []
        var oldIndex = 0
        var newIndex = 0
        for match in LineMatcher.matches(oldIDs, newIDs) + [(old.count, new.count)] {
            while oldIndex < match.0 {
                edits.append(.delete(old: oldIndex))
                oldIndex += 1
            }
            while newIndex < match.1 {
                edits.append(.insert(new: newIndex))
                newIndex += 1
            }
            if match.0 < old.count {
                edits.append(.keep(old: match.0, new: match.1))
                oldIndex += 1
                newIndex += 1
            }
        }
        return edits
    }

    /// The rendered `@@` hunks. Changes separated by at most `2 × contextLines` unchanged lines
    /// share a hunk, as in GNU diff.
    static func hunks(_ old: [Line], _ new: [Line], contextLines: Int) -> [String] {
        let edits = edits(old, new)
        // Maximal runs of changes, as half-open ranges of edit indices.
        var runs: [Range<Int>] = []
        var index = 0
        while index < edits.count {
            if edits[index].isKeep {
                index += 1
                continue
            }
            let start = index
            while index < edits.count, !edits[index].isKeep { index += 1 }
            runs.append(start..<index)
        }
        // Group runs into hunks.
        var groups: [Range<Int>] = []
        for run in runs {
            if let last = groups.last, run.lowerBound - last.upperBound <= 2 * contextLines {
                groups[groups.count - 1] = last.lowerBound..<run.upperBound
            } else {
                groups.append(run)
            }
        }
        // Lines of each side consumed before each edit, for the `@@` numbers.
        var oldBefore: [Int] = []
        var newBefore: [Int] = []
        var oldCount = 0
        var newCount = 0
        for edit in edits {
            oldBefore.append(oldCount)
            newBefore.append(newCount)
            switch edit {
            case .keep:
                oldCount += 1
                newCount += 1
            case .delete: oldCount += 1
            case .insert: newCount += 1
            }
        }
        return groups.map { group in
            let lower = max(0, group.lowerBound - contextLines)
            let upper = min(edits.count, group.upperBound + contextLines)
            var body = ""
            var oldLength = 0
            var newLength = 0
            for edit in edits[lower..<upper] {
                switch edit {
                case .keep(let oldIndex, _):
                    body += old[oldIndex].rendered(" ")
                    oldLength += 1
                    newLength += 1
                case .delete(let oldIndex):
                    body += old[oldIndex].rendered("-")
                    oldLength += 1
                case .insert(let newIndex):
                    body += new[newIndex].rendered("+")
                    newLength += 1
                }
            }
            let oldRange = range(start: oldBefore[lower], length: oldLength)
            let newRange = range(start: newBefore[lower], length: newLength)
            return "@@ -\(oldRange) +\(newRange) @@\n" + body
        }
    }

    /// `start,length` as diff prints it: 1-based, `,1` omitted, and an empty range named by
    /// the line before it (`0,0` for an empty file).
    private static func range(start linesBefore: Int, length: Int) -> String {
        if length == 0 { return "\(linesBefore),0" }
        if length == 1 { return "\(linesBefore + 1)" }
        return "\(linesBefore + 1),\(length)"
    }
}

/// A longest common subsequence of two sequences, by Myers' O(ND) difference algorithm in its
/// linear-space form: find the middle of an optimal edit path by searching from both ends at
/// once, then solve the two halves. Memory stays O(N + M) however different the inputs are.
enum LineMatcher {
    /// Index pairs `(i, j)` with `a[i] == b[j]`, ascending in both, forming a longest common
    /// subsequence.
    static func matches(_ a: [Int], _ b: [Int]) -> [(Int, Int)] {
        var result: [(Int, Int)] = []
        solve(a, 0..<a.count, b, 0..<b.count, into: &result)
        return result
    }

    private static func solve(
        _ a: [Int], _ aRange: Range<Int>, _ b: [Int], _ bRange: Range<Int>, into result: inout [(Int, Int)]
    ) {
        var aLow = aRange.lowerBound
        var aHigh = aRange.upperBound
        var bLow = bRange.lowerBound
        var bHigh = bRange.upperBound
        // Common prefix and suffix cost nothing and shrink the search.
        while aLow < aHigh, bLow < bHigh, a[aLow] == b[bLow] {
            result.append((aLow, bLow))
            aLow += 1
            bLow += 1
        }
        var suffix = 0
        while aLow < aHigh, bLow < bHigh, a[aHigh - 1] == b[bHigh - 1] {
            aHigh -= 1
            bHigh -= 1
            suffix += 1
        }
        if aLow < aHigh, bLow < bHigh,
            let (x, y) = split(a, aLow..<aHigh, b, bLow..<bHigh),
            (x, y) != (aLow, bLow), (x, y) != (aHigh, bHigh)
        {
            solve(a, aLow..<x, b, bLow..<y, into: &result)
            solve(a, x..<aHigh, b, y..<bHigh, into: &result)
        }
        for offset in 0..<suffix {
            result.append((aHigh + offset, bHigh + offset))
        }
    }

    /// A point `(x, y)` on a shortest edit path through the box, where the forward and the
    /// backward searches meet; nil when the sequences share nothing.
    private static func split(_ a: [Int], _ aRange: Range<Int>, _ b: [Int], _ bRange: Range<Int>) -> (Int, Int)? {
        let n = aRange.count
        let m = bRange.count
        let aLow = aRange.lowerBound
        let bLow = bRange.lowerBound
        let maxD = (n + m + 1) / 2
        let offset = maxD + 1
        let width = 2 * offset + 2
        // forward[k]: furthest x on diagonal k = x - y from the top-left corner;
        // backward[k]: furthest distance from the bottom-right corner on reversed diagonal k.
        var forward = [Int](repeating: -1, count: width)
        var backward = [Int](repeating: -1, count: width)
        forward[offset + 1] = 0
        backward[offset + 1] = 0
        let delta = n - m
        // With an odd delta the paths can first meet during a forward step, else a backward one.
        let meetsForward = delta & 1 != 0
        // Diagonals that ran off the box are skipped from then on.
        var forwardStartTrim = 0
        var forwardEndTrim = 0
        var backwardStartTrim = 0
        var backwardEndTrim = 0
        for d in 0..<maxD {
            var k = -d + forwardStartTrim
            while k <= d - forwardEndTrim {
                let index = offset + k
                var x =
                    (k == -d || (k != d && forward[index - 1] < forward[index + 1]))
                    ? forward[index + 1] : forward[index - 1] + 1
                var y = x - k
                while x < n, y < m, a[aLow + x] == b[bLow + y] {
                    x += 1
                    y += 1
                }
                forward[index] = x
                if x > n {
                    forwardEndTrim += 2
                } else if y > m {
                    forwardStartTrim += 2
                } else if meetsForward {
                    let other = offset + delta - k
                    if other >= 0, other < width, backward[other] != -1, x >= n - backward[other] {
                        return (aLow + x, bLow + y)
                    }
                }
                k += 2
            }
            k = -d + backwardStartTrim
            while k <= d - backwardEndTrim {
                let index = offset + k
                var u =
                    (k == -d || (k != d && backward[index - 1] < backward[index + 1]))
                    ? backward[index + 1] : backward[index - 1] + 1
                var v = u - k
                while u < n, v < m, a[aLow + n - 1 - u] == b[bLow + m - 1 - v] {
                    u += 1
                    v += 1
                }
                backward[index] = u
                if u > n {
                    backwardEndTrim += 2
                } else if v > m {
                    backwardStartTrim += 2
                } else if !meetsForward {
                    let other = offset + delta - k
                    if other >= 0, other < width, forward[other] != -1 {
                        let x = forward[other]
                        let y = x - (delta - k)
                        if x >= n - u {
                            return (aLow + x, bLow + y)
                        }
                    }
                }
                k += 2
            }
        }
        return nil
    }
}
