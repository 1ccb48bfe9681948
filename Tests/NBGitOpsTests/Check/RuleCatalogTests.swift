import Foundation
import XCTest

@testable import NBGitOps

/// The rule catalog, the doc pages and the plan rules agree.
final class RuleCatalogTests: XCTestCase {
    let resources = ResourceRoot(path: repositoryRoot)

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
