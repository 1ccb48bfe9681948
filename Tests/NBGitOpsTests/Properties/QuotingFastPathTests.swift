import XCTest

@testable import NBGitOps

/// `ScalarResolver.needsQuoting` has fast paths for speed; they must agree with the definition
/// (`needsQuotingByDefinition`) on every string.
final class QuotingFastPathTests: XCTestCase {
    func testFastPathsAgreeWithTheDefinitionOnTrickyStrings() {
        for text in TrickyStrings.all + ["falsey", "offset", "nulls", "-", "+", ".", "..", "-.5e", "0x", "trueish", "Y2K"] {
            XCTAssertEqual(ScalarResolver.needsQuoting(text), ScalarResolver.needsQuotingByDefinition(text), "'\(text)'")
        }
    }

    func testFastPathsAgreeWithTheDefinitionOnRandomStrings() {
        // An alphabet dense in the characters numbers, keywords and timestamps are made of.
        let alphabet = Array("0123456789+-._:eExXoObBaAfFnNyYtTsSlLuUrRiI~<= Zz!#ü")
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<200_000 {
            let length = Int.random(in: 0...8, using: &generator)
            let text = String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
            XCTAssertEqual(ScalarResolver.needsQuoting(text), ScalarResolver.needsQuotingByDefinition(text), "'\(text)'")
        }
    }

    func testCanonicalOrderSkipsNothing() {
        let entries = ["zeta", "spec", "alpha", "kind", "metadata", "apiVersion", "namespace", "name", "Beta"].map { ManifestEntry($0, .null) }
        XCTAssertEqual(
            ManifestRenderer.canonicalOrder(entries).map(\.key),
            ["apiVersion", "kind", "metadata", "name", "namespace", "spec", "Beta", "alpha", "zeta"])
        let sorted = ["apiVersion", "kind", "a", "b"].map { ManifestEntry($0, .null) }
        XCTAssertEqual(ManifestRenderer.canonicalOrder(sorted).map(\.key), ["apiVersion", "kind", "a", "b"])
    }
}

/// `ScalarResolver.resolve`'s fast path agrees with its full rules.
final class ResolveFastPathTests: XCTestCase {
    func testResolveOfLongTextNotStartingLikeANumberIsAString() {
        let alphabet = Array("0123456789+-._:eExXoObBaAfFnNyYtTsSlLuUrRiI~<= Zz")
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<100_000 {
            let length = Int.random(in: 6...10, using: &generator)
            let text = String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
            guard let first = text.utf8.first, !"0123456789+-.".utf8.contains(first) else { continue }
            // The full rules, without the fast path: no keyword, integer or float.
            XCTAssertFalse(ScalarResolver.nulls.contains(text) || ScalarResolver.booleans[text] != nil, text)
            XCTAssertNil(ScalarResolver.parseInteger(text), text)
            XCTAssertFalse(ScalarResolver.isFloat(text), text)
            XCTAssertEqual(ScalarResolver.resolve(text), .string(text))
        }
    }
}
