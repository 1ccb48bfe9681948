import Foundation
import XCTest

@testable import NBGitOps

/// The rule catalog, the doc pages and the plan rules agree.
final class RuleCatalogTests: XCTestCase {
    let resources = ResourceRoot(path: repositoryRoot)

    /// Rules a spec fixture cannot trigger (the command line, the project file, the file
    /// system, the installation), with the test that triggers each through the real CLI or
    /// pipeline.
    static let testedOutsideFixtures: [RuleID: String] = [
        .ioRead: "FailClosedTests.testAnUnreadableSpecIsALocatedNBG001",
        .yamlLimit: "HostileCorpusTests (oversized files, deep nesting, node limits)",
        .buildTemplateInvalid: "BuildPlannerTests (a missing build script template)",
        .overlayNotFound: "CLIEndToEndIntegrationTests",
        .projectInvalid: "AdoptionIntegrationTests.testProjectSearchStopsAtTheGitRoot",
        .environmentInvalid: "CLIEndToEndIntegrationTests.testUnknownEnvironmentFailsWithTheKnownOnes",
        .specNotFound: "HostileInputIntegrationTests",
        .resourcesMissing: "AdoptionIntegrationTests.testAMissingShareFolderIsALocatedErrorNotACrash",
        .deliveryPruneDisabled: "DeliveryChecksTests",
        .deliveryIncomplete: "AdoptionIntegrationTests.testInstalledCopyInitRendersAndChecksInAnUnrelatedRepository",
        .deliverySkipped: "AdoptionIntegrationTests.testOutputOutsideTheRepository",
        .outputPath: "AdoptionIntegrationTests.testOutputOutsideTheRepository, HostileCorpusTests",
        .outputWrite: "OutputWriterTests, AdoptionIntegrationTests.testInitRefusesToOverwriteAndWritesNothing",
        .outputUnownedGenerated: "AdoptionIntegrationTests.testCheckReportsAStrayGeneratedFile…",
    ]

    /// Every catalogued rule has a failing fixture (`Fixtures/rules/<ID>-fail.yaml` or a seed's
    /// `# expect:` line, compiled by RuleFixtureTests; a hostile-corpus file, compiled by
    /// HostileCorpusTests) or is one of the few listed above.
    func testEveryRuleHasAFailingFixtureOrANamedTest() throws {
        let rules = repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/rules"
        let seeds = repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/seeds"
        var covered: Set<String> = []
        for name in try FileManager.default.contentsOfDirectory(atPath: rules) where name.hasSuffix("-fail.yaml") {
            covered.insert(String(name.prefix(6)))
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: seeds) where name.hasSuffix(".yaml") {
            let text = try String(contentsOfFile: seeds + "/" + name, encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("# expect: ") {
                if let range = line.range(of: "[NBG") {
                    covered.insert(String(line[line.index(after: range.lowerBound)...].prefix(6)))
                }
            }
        }
        // The hostile corpus (HostileCorpusTests, through CompilerPipeline.run): EXPECTED lists
        // the exact diagnostics of each file.
        let expected = try String(
            contentsOfFile: repositoryRoot + "/Tests/NBGitOpsTests/Fixtures/hostile/EXPECTED", encoding: .utf8)
        var rest = Substring(expected)
        while let range = rest.range(of: "[NBG") {
            covered.insert(String(rest[rest.index(after: range.lowerBound)...].prefix(6)))
            rest = rest[range.upperBound...]
        }
        for rule in RuleCatalog.all {
            let id = rule.id.rawValue
            XCTAssertTrue(
                covered.contains(id) || Self.testedOutsideFixtures[rule.id] != nil,
                "\(id) has no failing fixture (add Fixtures/rules/\(id)-fail.yaml)")
            if covered.contains(id) {
                XCTAssertNil(Self.testedOutsideFixtures[rule.id], "\(id) has a fixture now: drop it from the list")
            }
        }
    }

    /// Every `RuleID` constant is in the catalog (no id can be emitted unregistered) and every
    /// catalog entry is a declared constant.
    func testEveryDeclaredRuleIDIsCatalogued() throws {
        let source = try String(
            contentsOfFile: repositoryRoot + "/Sources/NBGitOps/Diagnostics/RuleID.swift", encoding: .utf8)
        var declared: Set<String> = []
        for line in source.split(separator: "\n") {
            guard line.contains("public static let"), line.contains(": RuleID = \""),
                let start = line.range(of: "= \"")
            else { continue }
            declared.insert(String(line[start.upperBound...].prefix(6)))
        }
        let catalogued = Set(RuleCatalog.all.map(\.id.rawValue))
        XCTAssertEqual(declared.subtracting(catalogued).sorted(), [], "declared but not catalogued")
        XCTAssertEqual(catalogued.subtracting(declared).sorted(), [], "catalogued but not declared")
        XCTAssertEqual(catalogued.count, RuleCatalog.all.count, "an id is catalogued twice")
    }

    func testEveryCatalogRuleHasADocPageAndEveryPageARule() throws {
        let folder = repositoryRoot + "/" + RuleDocs.folder
        let pages = Set(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".md") })
        let ids = Set(RuleCatalog.all.map { "\($0.id.rawValue).md" })
        XCTAssertEqual(pages.subtracting(ids).sorted(), [], "doc pages without a rule")
        XCTAssertEqual(ids.subtracting(pages).sorted(), [], "rules without a doc page")
    }

    func testDocPagesStartWithTheCatalogTitleAndSeverity() {
        for rule in RuleCatalog.all {
            guard let page = RuleDocs.page(rule.id, resources: resources) else {
                XCTFail("no page for \(rule.id.rawValue)")
                continue
            }
            let lines = page.split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertEqual(lines.first.map(String.init), "# \(rule.id.rawValue): \(rule.title)")
            XCTAssertTrue(page.contains("Severity: \(rule.severity.rawValue)."), rule.id.rawValue)
            // One paragraph of substance, not a stub.
            XCTAssertGreaterThan(lines.last(where: { !$0.isEmpty })?.count ?? 0, 80, rule.id.rawValue)
        }
    }

    func testPlanRuleDocPagesCiteTheirSeed() {
        for rule in PlanRules.all.flatMap(\.ids) where rule.rawValue >= "NBG200" {
            let page = RuleDocs.page(rule, resources: resources) ?? ""
            XCTAssertTrue(page.contains("seed 00"), "\(rule.rawValue) cites no seed")
        }
    }

    func testCatalogIdsAreUniqueAndSorted() {
        let ids = RuleCatalog.all.map(\.id)
        XCTAssertEqual(ids, ids.sorted())
        XCTAssertEqual(Set(ids).count, ids.count)
        for rule in PlanRules.all.flatMap(\.ids) {
            XCTAssertTrue(ids.contains(rule), "\(rule.rawValue) is not in RuleCatalog")
        }
    }

    func testDocPageOfAMissingRuleIsNil() {
        XCTAssertNil(RuleDocs.page("NBG999", resources: resources))
        XCTAssertEqual(RuleDocs.relativePath(.rwoConcurrentMount), "docs/rules/NBG200.md")
    }
}
