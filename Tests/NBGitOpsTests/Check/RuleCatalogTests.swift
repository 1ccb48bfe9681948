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
        .buildTemplateInvalid: "GeneratedBuildRuleTests.testAMissingTaskTemplateIsALocatedErrorThroughThePipeline",
        .overlayNotFound: "CLIEndToEndIntegrationTests",
        .projectInvalid: "AdoptionIntegrationTests.testProjectSearchStopsAtTheGitRoot",
        .environmentInvalid: "CLIEndToEndIntegrationTests.testUnknownEnvironmentFailsWithTheKnownOnes",
        .specNotFound: "HostileInputIntegrationTests",
        .resourcesMissing: "AdoptionIntegrationTests.testAMissingShareFolderIsALocatedErrorNotACrash",
        .outputWrite: "OutputWriterTests, AdoptionIntegrationTests.testInitRefusesToOverwriteAndWritesNothing",
        .outputUnownedGenerated: "AdoptionIntegrationTests.testCheckReportsAStrayGeneratedFile…",
        .outputImmutableField: "ImmutableFieldIntegrationTests (a previous tree in gitops/, through the binary)",
        .outputLocked: "OutputLockIntegrationTests.testASecondRenderWaitsForTheLockAndNamesItsHolder",
        .outputLeftover: "OutputLockIntegrationTests (a killed run's staging folders, a removed environment)",
        .refLockInvalid: "RefLockIntegrationTests.testM11_aMalformedLockFileIsALocatedError",
        .refNotLocked: "RefLockIntegrationTests.testM11_aBranchMissingFromTheLockIsAWarning",
        .refLockStale: "RefLockIntegrationTests.testM11_checkRefsReportsAMovedBranch",
        .platformFactMismatch: "PlatformCommandTests.testVerifyFindsAPlantedDifferenceAtTheOverlayLine",
        .deliveryNameCollision: "DeliveryTopologyTests.testTwoEnvironmentsWithOneDeliveryNameAreNBG350ThroughTheBinary",
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

    /// Every `RuleID` constant declared anywhere in the library (RuleID.swift, the rule files of
    /// Check/Rules/) is in the catalog (no id can be emitted unregistered), and every catalog
    /// entry is a declared constant.
    func testEveryDeclaredRuleIDIsCatalogued() throws {
        var declared: [String: [String]] = [:]
        for (file, source) in try librarySources() {
            for line in source.split(separator: "\n") {
                guard line.contains("public static let"), line.contains(": RuleID = \""),
                    let start = line.range(of: "= \"")
                else { continue }
                declared[String(line[start.upperBound...].prefix(6)), default: []].append(file)
            }
        }
        let catalogued = Set(RuleCatalog.all.map(\.id.rawValue))
        XCTAssertEqual(Set(declared.keys).subtracting(catalogued).sorted(), [], "declared but not catalogued")
        XCTAssertEqual(catalogued.subtracting(declared.keys).sorted(), [], "catalogued but not declared")
        XCTAssertEqual(catalogued.count, RuleCatalog.all.count, "an id is catalogued twice")
        XCTAssertEqual(declared.filter { $0.value.count > 1 }.keys.sorted(), [], "an id is declared twice")
    }

    /// A plan rule is one file: the file of Check/Rules/ that defines the `PlanRule` declares its
    /// id (and those it also describes); the registry takes severity, title and waivability
    /// from the `PlanRule` itself.
    func testEveryPlanRuleIsDeclaredInItsOwnFile() throws {
        let sources = try librarySources().filter { $0.file.hasPrefix("Check/Rules/") }
        for rule in PlanRules.all {
            for id in rule.descriptions.map(\.id) {
                let files = sources.filter { $0.source.contains(": RuleID = \"\(id.rawValue)\"") }.map(\.file)
                XCTAssertEqual(files.count, 1, "\(id.rawValue) is declared in \(files), not in one rule file")
                let text = sources.first { $0.file == files.first }?.source ?? ""
                let name = text.split(separator: "\n").first { $0.contains(": RuleID = \"\(id.rawValue)\"") }
                    .flatMap { $0.split(separator: " ").first { $0.hasSuffix(":") } }.map { String($0.dropLast()) } ?? "?"
                let defining = text.filter { !$0.isWhitespace }
                XCTAssertTrue(defining.contains("PlanRule(.\(name),") || defining.contains(".check(.\(name),"),
                    "\(id.rawValue) (\(name)) is declared in \(files) but its PlanRule is elsewhere")
            }
        }
        XCTAssertFalse(
            try String(contentsOfFile: repositoryRoot + "/Sources/NBGitOps/Diagnostics/RuleID.swift", encoding: .utf8)
                .contains("unwaivable"), "waivability lives in each rule's description, not in a side table")
    }

    /// The library's Swift files, relative to Sources/NBGitOps/.
    func librarySources() throws -> [(file: String, source: String)] {
        let root = repositoryRoot + "/Sources/NBGitOps/"
        let enumerator = FileManager.default.enumerator(atPath: root)
        var result: [(String, String)] = []
        while let path = enumerator?.nextObject() as? String {
            guard path.hasSuffix(".swift") else { continue }
            result.append((path, try String(contentsOfFile: root + path, encoding: .utf8)))
        }
        return result.sorted { $0.0 < $1.0 }
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

    /// A plan rule's page describes the failure it prevents, as a user sees it on the cluster (a
    /// rejection, a pod that never starts, a setting silently lost) or the upstream behaviour it
    /// rests on, in words: never an internal reference (ReferenceDocsTests scans for those).
    func testPlanRuleDocPagesDescribeTheFailure() {
        let consequences = [
            "reject", "refuse", "fail", "pending", "never", "silently", "lost", "evict", "denied", "cannot",
            "break", "drop", "upstream", "ignore", "wait", "stuck", "leak", "overwrit", "unschedulable", "cancel",
            "expos", "substitut", "take over",
        ]
        for rule in PlanRules.all.flatMap(\.ids) where rule.rawValue >= "NBG200" {
            let page = RuleDocs.page(rule, resources: resources) ?? ""
            // The body: what follows the title and the "Severity: … Stage: …" line.
            let body = page.split(separator: "\n").dropFirst(2).joined(separator: " ").lowercased()
            XCTAssertGreaterThan(body.count, 200, "\(rule.rawValue): describe the failure the rule prevents")
            XCTAssertTrue(
                consequences.contains { body.contains($0) },
                "\(rule.rawValue) does not say what goes wrong on the cluster or which upstream behaviour it rests on")
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

/// Stage and waivability live in the registry, and agree with the engine and the doc pages.
final class RuleRegistryTests: XCTestCase {
    /// What a plan rule describes is a Check-stage rule; the ids it also reports are registered
    /// (decode-stage ids it applies to passed-through objects or other platforms).
    func testEveryPlanRuleIsACheckStageRuleInTheRegistry() {
        for rule in PlanRules.all {
            for description in rule.descriptions {
                XCTAssertEqual(RuleCatalog.all.first { $0.id == description.id }?.stage, .check, description.id.rawValue)
            }
            for id in rule.alsoReports {
                XCTAssertNotNil(RuleCatalog.all.first { $0.id == id }, id.rawValue)
            }
        }
    }

    /// SARIF reads the registry too: each rule descriptor carries its stage and waivability.
    func testSARIFDescriptorsCarryStageAndWaivability() throws {
        let text = DiagnosticFormatter.format([], as: .sarif, sourceRoot: "")
        let log = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let runs = try XCTUnwrap(log["runs"] as? [[String: Any]])
        let driver = try XCTUnwrap((runs.first?["tool"] as? [String: Any])?["driver"] as? [String: Any])
        let rules = try XCTUnwrap(driver["rules"] as? [[String: Any]])
        XCTAssertEqual(rules.count, RuleCatalog.all.count)
        let secret = try XCTUnwrap(rules.first { $0["id"] as? String == "NBG129" }?["properties"] as? [String: Any])
        XCTAssertEqual(secret["stage"] as? String, "check")
        XCTAssertEqual(secret["waivable"] as? Bool, true)
        let load = try XCTUnwrap(rules.first { $0["id"] as? String == "NBG002" }?["properties"] as? [String: Any])
        XCTAssertEqual(load["stage"] as? String, "load")
        XCTAssertEqual(load["waivable"] as? Bool, false)
    }

    func testWaivableRulesAreTheJudgementRules() {
        XCTAssertEqual(
            RuleCatalog.waivableIDs.map(\.rawValue).sorted(),
            [
                "NBG126", "NBG129", "NBG134", "NBG140", "NBG152", "NBG200", "NBG201", "NBG202", "NBG203", "NBG204", "NBG210", "NBG212", "NBG220", "NBG221",
                "NBG222", "NBG230", "NBG231", "NBG232", "NBG240", "NBG241", "NBG250", "NBG251", "NBG260", "NBG261", "NBG270", "NBG271",
                "NBG272", "NBG274", "NBG282", "NBG287", "NBG291", "NBG292", "NBG301", "NBG302", "NBG325",
            ])
        XCTAssertTrue(RuleEngine.unwaivable.contains(.gpuRequestLimit))
        XCTAssertFalse(RuleCatalog.all.contains { $0.waivable && $0.stage != .check })
    }

    /// Each doc page's "Stage:" line names the registry's stage (the Plan stage reports nothing:
    /// the rules over the plan run in the Check stage).
    func testDocPagesNameTheRegistrysStage() {
        let resources = ResourceRoot(path: repositoryRoot)
        var mismatches: [String] = []
        for rule in RuleCatalog.all {
            guard let page = RuleDocs.page(rule.id, resources: resources),
                let line = page.split(separator: "\n").first(where: { $0.contains("Stage: ") })
            else { continue }
            let stage = line.components(separatedBy: "Stage: ").last?.split(separator: ".").first.map(String.init) ?? ""
            // A rule reported in several stages lists them all ("decode/check"); the registry's
            // must be among them.
            let text = stage.lowercased()
            if !text.contains(rule.stage.rawValue) {
                mismatches.append("\(rule.id.rawValue): page says '\(stage)', registry \(rule.stage.rawValue)")
            }
        }
        XCTAssertEqual(mismatches, [])
    }
}
