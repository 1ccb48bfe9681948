import Foundation
import XCTest

@testable import NBGitOps

/// Properties of the output over random valid specs (seeded; each failure names its seed):
/// 1. the output does not depend on the order of input files or of documents in them;
/// 2. every emitted document read back through libyaml is the planned tree;
/// 3. every emitted string that YAML 1.1 or 1.2 would resolve to a non-string is quoted.
final class OutputPropertyTests: XCTestCase {
    static let seeds: [UInt64] = Array(1...12)

    private func compile(_ files: [(name: String, text: String)], in directory: URL) throws -> CompilerOutput? {
        var found: [SpecFileFinder.Found] = []
        for file in files {
            let path = directory.appendingPathComponent(file.name).path
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(file.text.utf8)))
            found.append(SpecFileFinder.Found(path: path, displayPath: "specs/" + file.name))
        }
        let run = TestPipeline.run(found, environments: TestPipeline.openShiftAndKubernetes)
        XCTAssertFalse(run.diagnostics.hasErrors, run.sorted.map(\.rendered).joined(separator: "\n"))
        return run.output
    }

    private func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nbgitops-props-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Splits documents into files: `fileCount` files, documents assigned and ordered by `generator`.
    private func split<G: RandomNumberGenerator>(_ documents: [String], fileCount: Int, using generator: inout G) -> [(name: String, text: String)] {
        var buckets = Array(repeating: [String](), count: fileCount)
        for document in documents.shuffled(using: &generator) { buckets[Int.random(in: 0..<fileCount, using: &generator)].append(document) }
        return buckets.enumerated().map { (name: "specs-\($0.offset).yaml", text: $0.element.joined(separator: "---\n")) }
            .shuffled(using: &generator)
    }

    func testOutputIsIndependentOfFileAndDocumentOrder() throws {
        for seed in Self.seeds {
            var generator = SeededGenerator(seed: seed)
            let documents = RandomSpecs.documents(count: Int.random(in: 1...8, using: &generator), using: &generator)
            let first = try temporaryDirectory()
            let second = try temporaryDirectory()
            defer {
                try? FileManager.default.removeItem(at: first)
                try? FileManager.default.removeItem(at: second)
            }
            // One file in generated order, against a random split over 1–4 files in random order.
            // The split changes which files each object came from, so the one-line header and a
            // Job's spec-file annotation (which name them) may differ; nothing else may.
            let one = try XCTUnwrap(compile([(name: "all.yaml", text: documents.joined(separator: "---\n"))], in: first), "seed \(seed)")
            let parts = split(documents, fileCount: Int.random(in: 1...4, using: &generator), using: &generator)
            let many = try XCTUnwrap(compile(parts, in: second), "seed \(seed)")
            XCTAssertEqual(one.files.keys.sorted(), many.files.keys.sorted(), "seed \(seed)")
            func body(_ bytes: [UInt8]) -> [UInt8] {
                let text = bytes.first == UInt8(ascii: "#") ? Array(bytes.drop { $0 != 0x0A }.dropFirst()) : bytes
                return DeterminismIntegrationTests.specFileAnnotations(text, renamedTo: "specs.yaml").bytes
            }
            for environment in one.files.keys {
                let lhs = one.files[environment] ?? []
                let rhs = many.files[environment] ?? []
                XCTAssertEqual(lhs.map(\.path), rhs.map(\.path), "seed \(seed)")
                XCTAssertEqual(lhs.map { body($0.bytes) }, rhs.map { body($0.bytes) }, "seed \(seed): bytes after the header differ")
            }
            // The same files given in the reverse order: identical bytes, headers included.
            let third = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: third) }
            let reversed = try XCTUnwrap(compile(Array(parts.reversed()), in: third), "seed \(seed)")
            for environment in many.files.keys {
                XCTAssertEqual(many.files[environment] ?? [], reversed.files[environment] ?? [], "seed \(seed): file order changed bytes")
            }
        }
    }

    func testEveryEmittedDocumentReadsBackAsThePlannedTreeAndQuotesEveryNonString() throws {
        for seed in Self.seeds {
            var generator = SeededGenerator(seed: seed)
            let documents = RandomSpecs.documents(count: Int.random(in: 1...8, using: &generator), using: &generator)
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let output = try XCTUnwrap(compile([(name: "all.yaml", text: documents.joined(separator: "---\n"))], in: directory))
            var checked = 0
            for plan in output.plans {
                for object in plan.objects + plan.deliveryObjects {
                    let bytes = ManifestRenderer.render([object.manifest])
                    checked += try assertReadsBack(bytes, as: object.manifest, context: "seed \(seed) \(object.kind)/\(object.name)")
                }
            }
            XCTAssertGreaterThan(checked, 0)
        }
    }

    func testRandomTreesOfTrickyStringsReadBackExactly() throws {
        for seed in Array(1...200) as [UInt64] {
            var generator = SeededGenerator(seed: seed)
            // A document is an object: a map at the root.
            let tree: ManifestNode = .map([ManifestEntry("root", randomTree(depth: 0, using: &generator))])
            _ = try assertReadsBack(ManifestRenderer.render([tree]), as: tree, context: "seed \(seed)")
        }
        // And every tricky string on its own, as a value and as a key.
        for text in TrickyStrings.all {
            let tree: ManifestNode = .map([ManifestEntry("value", .string(text)), ManifestEntry(text.isEmpty ? "empty" : text, .string("x"))])
            _ = try assertReadsBack(ManifestRenderer.render([tree]), as: tree, context: "'\(text)'")
        }
    }

    func testIndependentResolverKnowsTheTrickyStrings() {
        XCTAssertEqual(IndependentResolver.patterns.count, IndependentResolver.patternCount)
        for text in ["yes", "off", "0x1F", "1:20:30", "2001-12-14t21:59:43.10-05:00", ".NaN", "1e3", "<<", "", "0o17"] {
            XCTAssertTrue(IndependentResolver.isNonString(text), text)
        }
        for text in ["main", "yes please", "2Gi", "0.0.1-rc1", "NaN"] {
            XCTAssertFalse(IndependentResolver.isNonString(text), text)
        }
    }

    private func randomTree<G: RandomNumberGenerator>(depth: Int, using generator: inout G) -> ManifestNode {
        let choice = depth > 3 ? Int.random(in: 0..<5, using: &generator) : Int.random(in: 0..<8, using: &generator)
        switch choice {
        case 0, 1: return .string(TrickyStrings.random(using: &generator))
        case 2: return .int(Int.random(in: -1000...1000, using: &generator))
        case 3: return .bool(Bool.random(using: &generator))
        case 4: return .null
        case 5: return .list((0..<Int.random(in: 0...4, using: &generator)).map { _ in randomTree(depth: depth + 1, using: &generator) })
        default:
            var entries: [ManifestEntry] = []
            var keys: Set<String> = []
            for _ in 0..<Int.random(in: 0...5, using: &generator) {
                let key = TrickyStrings.random(using: &generator)
                guard !key.isEmpty, keys.insert(key).inserted else { continue }
                entries.append(ManifestEntry(key, randomTree(depth: depth + 1, using: &generator)))
            }
            return .map(entries)
        }
    }

    /// Reads `bytes` back with libyaml and checks the tree equals `planned` and every plain
    /// scalar that stands for a string is one to every reader. Returns the scalars checked.
    @discardableResult
    private func assertReadsBack(_ bytes: [UInt8], as planned: ManifestNode, context: String) throws -> Int {
        let diagnostics = DiagnosticCollector()
        let documents = YAMLLoader.load(bytes: bytes, file: "out.yaml", diagnostics: diagnostics)
        XCTAssertFalse(diagnostics.hasErrors, "\(context): \(diagnostics.sorted.map(\.rendered))")
        let document = try XCTUnwrap(documents.first, context)
        XCTAssertEqual(ReadBack(document.root), ReadBack(planned), "\(context)\n\(String(decoding: bytes, as: UTF8.self))")
        return checkQuoting(document.root, planned, context: context)
    }

    private func checkQuoting(_ node: YAMLNode, _ planned: ManifestNode, context: String) -> Int {
        switch (node.content, planned) {
        case (.scalar(let scalar), .string(let text)):
            if scalar.isPlain {
                XCTAssertFalse(IndependentResolver.isNonString(text), "\(context): '\(text)' emitted plain")
            }
            return 1
        case (.mapping(let pairs), .map(let entries)):
            var count = 0
            for pair in pairs {
                guard let key = pair.key.scalar else { continue }
                if key.isPlain { XCTAssertFalse(IndependentResolver.isNonString(key.value), "\(context): key '\(key.value)' emitted plain") }
                if let entry = entries.first(where: { $0.key == key.value }) { count += checkQuoting(pair.value, entry.value, context: context) }
            }
            return count
        case (.sequence(let items), .list(let elements)):
            return zip(items, elements).map { checkQuoting($0, $1, context: context) }.reduce(0, +)
        default:
            return 0
        }
    }
}
