import XCTest

@testable import NBGitOps

final class RenderQuotingTests: XCTestCase {
    func testAmbiguousStringsAreQuoted() {
        for text in ["on", "no", "y", "N", "1.0", "~", "0777", "012", "0o17", "0x1F", "1_000", "12:30", "2024-01-01", "<<", "=", "null", "", "true", "1e3", ".inf", "-1"] {
            let rendered = ManifestRenderer.renderString([["k": .string(text)]])
            XCTAssertTrue(rendered.hasPrefix("k: '") || rendered.hasPrefix("k: \""), "\(text) rendered as \(rendered)")
        }
        for text in ["hello", "quay.io/jupyter/minimal-notebook:2024", "ReadWriteOnce", "nvidia.com/gpu", "v1.4.0"] {
            XCTAssertEqual(ManifestRenderer.renderString([["k": .string(text)]]), "k: \(text)\n")
        }
    }

    func testCanonicalKeyOrderAndLiteralBlocks() {
        let node: ManifestNode = ["zeta": 1, "spec": ["b": true, "a": "x"], "kind": "ConfigMap", "apiVersion": "v1", "metadata": ["name": "demo"], "data": ["script": "line1\nline2\n"]]
        XCTAssertEqual(ManifestRenderer.renderString([node]), """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: demo
            spec:
              a: x
              b: true
            data:
              script: |
                line1
                line2
            zeta: 1

            """)
    }

    func testRoundTripThroughLoader() {
        let strings = ["on", "0777", "a: b", "- x", "#c", "multi\nline", "   lead", "trail ", "ünï", "\"q\"", "'s'"]
        let node = ManifestNode.list(strings.map { .string($0) })
        let (documents, diagnostics) = loadYAML(ManifestRenderer.renderString([node]))
        XCTAssertFalse(diagnostics.hasErrors)
        let back = documents.first?.root.items?.map { $0.resolvedScalar }
        XCTAssertEqual(back, strings.map { ResolvedScalar.string($0) })
    }
}
