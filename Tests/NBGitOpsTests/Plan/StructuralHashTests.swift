import XCTest

@testable import NBGitOps

/// Job names hash the Job spec's tree (`StableHash.structural`), not its rendered text.
final class StructuralHashTests: XCTestCase {
    func testTreesThatRenderAlikeHashAlike() {
        // Insertion order is not output order: the renderer sorts keys, so the hash does too.
        let one: ManifestNode = ["image": "a", "name": "x", "env": [["name": "A", "value": "1"]]]
        let other: ManifestNode = ["env": [["value": "1", "name": "A"]], "name": "x", "image": "a"]
        XCTAssertEqual(ManifestRenderer.render([one]), ManifestRenderer.render([other]))
        XCTAssertEqual(StableHash.structural(one), StableHash.structural(other))
    }

    func testEveryKindOfDifferenceChangesTheHash() {
        let base: ManifestNode = ["a": "1", "b": ["x", "y"], "c": 2, "d": true, "e": .null, "f": .float("1.5")]
        let variants: [ManifestNode] = [
            ["a": 1, "b": ["x", "y"], "c": 2, "d": true, "e": .null, "f": .float("1.5")],  // string → int
            ["a": "1", "b": ["y", "x"], "c": 2, "d": true, "e": .null, "f": .float("1.5")],  // list order
            ["a": "1", "b": ["xy"], "c": 2, "d": true, "e": .null, "f": .float("1.5")],  // joined strings
            ["a": "1", "b": ["x", "y"], "c": 3, "d": true, "e": .null, "f": .float("1.5")],
            ["a": "1", "b": ["x", "y"], "c": 2, "d": false, "e": .null, "f": .float("1.5")],
            ["a": "1", "b": ["x", "y"], "c": 2, "d": true, "e": "", "f": .float("1.5")],  // null → ""
            ["a": "1", "b": ["x", "y"], "c": 2, "d": true, "e": .null, "f": "1.5"],  // float → string
            ["a": "1", "b": ["x", "y"], "c": 2, "d": true, "e": .null],  // key removed
            ["a1": "", "b": ["x", "y"], "c": 2, "d": true, "e": .null, "f": .float("1.5")],  // key/value boundary
        ]
        let hashes = Set(([base] + variants).map(StableHash.structural))
        XCTAssertEqual(hashes.count, variants.count + 1)
    }

    func testShortHexIsEightLowercaseHexDigits() {
        let hex = StableHash.shortHex(["spec": ["backoffLimit": 0]] as ManifestNode)
        XCTAssertEqual(hex.count, 8)
        XCTAssertTrue(hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }, hex)
        // Fixed across processes and machines (FNV-1a, no per-process seed).
        XCTAssertEqual(hex, StableHash.shortHex(["spec": ["backoffLimit": 0]] as ManifestNode))
    }
}
