import Foundation
import XCTest

@testable import NBGitOps

final class WriteUnifiedDiffTests: XCTestCase {
    private func diff(_ old: String?, _ new: String?, path: String = "dev/x.yaml") -> String {
        UnifiedDiff.render(old: old.map { Array($0.utf8) }, new: new.map { Array($0.utf8) }, path: path)
    }

    /// Expected text produced by GNU diffutils 3.8 (`diff -u`), headers replaced.
    func testSeparateHunksWithThreeLinesOfContext() {
        let old = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
              namespace: dev
            data:
              a: "1"
              b: "2"
              c: "3"
              d: "4"
              e: "5"
              f: "6"
              g: "7"
              h: "8"

            """
        let new = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
              namespace: prod
            data:
              a: "1"
              b: "2"
              c: "3"
              d: "4"
              e: "5"
              f: "6"
              h: "8"
              i: "9"

            """
        XCTAssertEqual(
            diff(old, new, path: "dev/configmap.yaml"),
            """
            --- a/dev/configmap.yaml
            +++ b/dev/configmap.yaml
            @@ -2,7 +2,7 @@
             kind: ConfigMap
             metadata:
               name: settings
            -  namespace: dev
            +  namespace: prod
             data:
               a: "1"
               b: "2"
            @@ -10,5 +10,5 @@
               d: "4"
               e: "5"
               f: "6"
            -  g: "7"
               h: "8"
            +  i: "9"

            """)
    }

    func testChangesSixLinesApartShareOneHunk() {
        let old = (1...10).map { "l\($0)\n" }.joined()
        let new = old.replacingOccurrences(of: "l2\n", with: "L2\n").replacingOccurrences(of: "l9\n", with: "L9\n")
        XCTAssertEqual(
            diff(old, new),
            """
            --- a/dev/x.yaml
            +++ b/dev/x.yaml
            @@ -1,10 +1,10 @@
             l1
            -l2
            +L2
             l3
             l4
             l5
             l6
             l7
             l8
            -l9
            +L9
             l10

            """)
    }

    func testMissingFinalNewlineIsMarked() {
        XCTAssertEqual(
            diff("a\nb", "a\nb\n"),
            "--- a/dev/x.yaml\n+++ b/dev/x.yaml\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n")
    }

    func testIdenticalContentHasNoDiff() {
        XCTAssertEqual(diff("same\n", "same\n"), "")
    }

    func testBinaryContentFallsBackToOneLine() {
        XCTAssertEqual(
            UnifiedDiff.render(old: [0x61, 0x00, 0x62], new: [0x61], path: "dev/blob"),
            "Binary files a/dev/blob and b/dev/blob differ\n")
        XCTAssertEqual(
            UnifiedDiff.render(old: nil, new: [0xFF, 0xFE], path: "dev/blob"),
            "Binary files /dev/null and b/dev/blob differ\n")
    }

    func testAddingAnEmptyFileHasHeadersOnly() {
        XCTAssertEqual(diff(nil, ""), "--- /dev/null\n+++ b/dev/x.yaml\n")
    }

    /// The matcher must find a *longest* common subsequence: compared with the textbook
    /// dynamic-programming LCS length on many random sequences over small alphabets.
    func testMatcherFindsALongestCommonSubsequence() {
        var generator = WriteTestRandom(seed: 0x5EED)
        for round in 0..<3000 {
            let alphabet = 1 + Int(generator.next() % 4)
            let a = (0..<Int(generator.next() % 14)).map { _ in Int(generator.next() % UInt64(alphabet)) }
            let b = (0..<Int(generator.next() % 14)).map { _ in Int(generator.next() % UInt64(alphabet)) }
            let matches = LineMatcher.matches(a, b)
            XCTAssertEqual(matches.count, lcsLength(a, b), "round \(round): \(a) vs \(b)")
            var previous = (-1, -1)
            for (i, j) in matches {
                XCTAssertTrue(i > previous.0 && j > previous.1, "round \(round): not ascending")
                XCTAssertEqual(a[i], b[j], "round \(round): not a match")
                previous = (i, j)
            }
        }
    }

    func testMatcherOnLargeDissimilarInputs() {
        var generator = WriteTestRandom(seed: 42)
        let a = (0..<2_000).map { _ in Int(generator.next() % 50) }
        let b = (0..<2_000).map { _ in Int(generator.next() % 50) }
        let matches = LineMatcher.matches(a, b)
        XCTAssertEqual(matches.count, lcsLength(a, b))
        XCTAssertTrue(zip(matches, matches.dropFirst()).allSatisfy { $0.0 < $1.0 && $0.1 < $1.1 })
    }

    /// Textbook dynamic programming, two rows at a time.
    private func lcsLength(_ a: [Int], _ b: [Int]) -> Int {
        var next = [Int](repeating: 0, count: b.count + 1)
        var current = next
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                current[j] = a[i] == b[j] ? next[j + 1] + 1 : max(next[j], current[j + 1])
            }
            swap(&current, &next)
        }
        return next[0]
    }
}

/// A small deterministic generator, so failures reproduce.
struct WriteTestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
