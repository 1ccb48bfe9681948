import Foundation
import XCTest

@testable import NBGitOps

/// The RBAC nbgitops writes is least-privilege, asserted over the example output (gitops/):
/// no wildcard verbs, resources or API groups; read-only verbs only; no Secrets; no
/// cluster-scoped roles or bindings except a ClusterRole that only `use`s named
/// SecurityContextConstraints (what an OpenShift SCC grant needs; a Role may `use` them too, as
/// buildah's Role naming pipelines-scc does); bindings name
/// ServiceAccounts of their own namespace and a Role of that namespace.
final class RBACLeastPrivilegeTests: XCTestCase {
    static let readOnlyVerbs: Set<String> = ["get", "list", "watch"]

    /// Platform ClusterRoles an image build needs, bound only by a RoleBinding (so only within)
    /// the build namespace `<ns>-builds`: each is the narrowest grant OpenShift offers for it.
    static let buildNamespaceClusterRoles: [String: String] = [
        "system:image-puller": "validation pods pull the built image from the build namespace's ImageStream",
        "system:image-builder": "the build pushes its image to the build namespace's ImageStream",
    ]

    /// Problems with the RBAC objects among `objects` (read back from rendered YAML).
    static func problems(_ objects: [(file: String, node: YAMLNode)]) -> [String] {
        var problems: [String] = []
        var roles: Set<String> = []
        for (file, object) in objects {
            let kind = object["kind"]?.scalar?.value ?? ""
            let namespace = object["metadata"]?["namespace"]?.scalar?.value
            switch kind {
            case "Role", "ClusterRole":
                if kind == "Role", let namespace, let name = object["metadata"]?["name"]?.scalar?.value { roles.insert("\(namespace)/\(name)") }
                for rule in object["rules"]?.items ?? [] {
                    let verbs = (rule["verbs"]?.items ?? []).compactMap { $0.scalar?.value }
                    let resources = (rule["resources"]?.items ?? []).compactMap { $0.scalar?.value }
                    let groups = (rule["apiGroups"]?.items ?? []).compactMap { $0.scalar?.value }
                    if verbs.isEmpty || resources.isEmpty { problems.append("\(file): a rule without verbs or resources") }
                    if (verbs + resources + groups).contains(where: { $0.contains("*") }) { problems.append("\(file): wildcard in \(verbs) \(resources) \(groups)") }
                    if rule["nonResourceURLs"] != nil { problems.append("\(file): nonResourceURLs") }
                    if resources.contains(where: { $0 == "secrets" || $0.hasPrefix("secrets/") }) { problems.append("\(file): access to secrets") }
                    // `use` of SCCs by name: buildah's Role naming pipelines-scc (root with SETFCAP).
                    let sccUse = verbs == ["use"] && resources == ["securitycontextconstraints"]
                        && groups == ["security.openshift.io"] && !(rule["resourceNames"]?.items ?? []).isEmpty
                    if kind == "ClusterRole" && !sccUse { problems.append("\(file): ClusterRole beyond `use` of named SCCs") }
                    if !sccUse, let verb = verbs.first(where: { !readOnlyVerbs.contains($0) }) { problems.append("\(file): verb '\(verb)' is not read-only") }
                }
            case "ClusterRoleBinding":
                problems.append("\(file): cluster-scoped binding")
            default:
                continue
            }
        }
        for (file, object) in objects where object["kind"]?.scalar?.value == "RoleBinding" {
            let namespace = object["metadata"]?["namespace"]?.scalar?.value ?? ""
            let roleKind = object["roleRef"]?["kind"]?.scalar?.value ?? ""
            let roleName = object["roleRef"]?["name"]?.scalar?.value ?? ""
            let buildGrant = roleKind == "ClusterRole" && namespace.hasSuffix("-builds")
                && buildNamespaceClusterRoles[roleName] != nil
            // A ModelPipeline's internal push: system:image-builder in its own namespace, for the
            // one push ServiceAccount only.
            let subjects = (object["subjects"]?.items ?? []).compactMap { $0["name"]?.scalar?.value }
            let modelPushGrant = roleKind == "ClusterRole" && roleName == "system:image-builder"
                && !subjects.isEmpty && subjects.allSatisfy { $0.hasSuffix("nbgitops-model-push") }
            if !buildGrant && !modelPushGrant && (roleKind != "Role" || !roles.contains("\(namespace)/\(roleName)")) {
                problems.append("\(file): binds \(roleKind) '\(roleName)', not a Role of its namespace")
            }
            // Subjects: ServiceAccounts of the binding's namespace; an image-puller grant in a
            // build namespace may also name the validation namespace it serves.
            var allowedNamespaces: Set<String> = [namespace]
            if buildGrant && roleName == "system:image-puller" { allowedNamespaces.insert(String(namespace.dropLast("-builds".count))) }
            // A binding the spec files wrote for another team's account (examples/specs/15): only
            // a Role of its own namespace, checked above, to the ServiceAccounts it names.
            if file.hasSuffix("-shared-model-readers.yaml") { allowedNamespaces.formUnion(["ml-team-a", "ml-team-b"]) }
            for subject in object["subjects"]?.items ?? [] {
                if subject["kind"]?.scalar?.value != "ServiceAccount"
                    || !allowedNamespaces.contains(subject["namespace"]?.scalar?.value ?? namespace)
                {
                    problems.append("\(file): subject is not a ServiceAccount of namespace \(namespace)")
                }
            }
        }
        return problems
    }

    static func exampleObjects() throws -> [(file: String, node: YAMLNode)] {
        let root = repositoryRoot + "/gitops"
        var objects: [(file: String, node: YAMLNode)] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            guard relative.hasSuffix(".yaml") else { continue }
            let diagnostics = DiagnosticCollector()
            for document in YAMLLoader.load(path: root + "/" + relative, displayName: relative, diagnostics: diagnostics) {
                objects.append((relative, document.root))
            }
            XCTAssertFalse(diagnostics.hasErrors, relative)
        }
        return objects
    }

    func testExampleOutputRBACIsLeastPrivilege() throws {
        let objects = try Self.exampleObjects()
        let rbac = objects.filter { ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"].contains($0.node["kind"]?.scalar?.value ?? "") }
        XCTAssertGreaterThanOrEqual(rbac.count, 6, "the example has a Role and a RoleBinding per environment")
        XCTAssertEqual(Self.problems(objects), [])
        // No pod automounts a token; only pods that call the API project one.
        for (file, object) in objects where object["kind"]?.scalar?.value == "Job" {
            let spec = object["spec"]?["template"]?["spec"]
            XCTAssertEqual(spec?["automountServiceAccountToken"]?.scalar?.value, "false", file)
            let projected = (spec?["volumes"]?.items ?? []).contains { $0["name"]?.scalar?.value == "nbgitops-api-access" }
            XCTAssertEqual(projected, file.contains("serving-smoke-test") || file.contains("fraud-model-check"), file)
        }
    }

    func testTheCheckCatchesBroadRBAC() {
        func object(_ text: String) -> (file: String, node: YAMLNode) {
            let (documents, _) = loadYAML(text)
            return ("bad.yaml", documents[0].root)
        }
        let wildcard = object("kind: Role\nmetadata: {name: r, namespace: n}\nrules:\n- apiGroups: ['']\n  resources: ['*']\n  verbs: [get]\n")
        let writer = object("kind: Role\nmetadata: {name: r, namespace: n}\nrules:\n- apiGroups: ['']\n  resources: [pods]\n  verbs: [create]\n")
        let secrets = object("kind: Role\nmetadata: {name: r, namespace: n}\nrules:\n- apiGroups: ['']\n  resources: [secrets]\n  verbs: [get]\n")
        let cluster = object("kind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: ClusterRole, name: view}\n")
        let clusterRole = object("kind: RoleBinding\nmetadata: {name: b, namespace: n}\nroleRef: {kind: ClusterRole, name: edit}\nsubjects: [{kind: ServiceAccount, name: s}]\n")
        let scc = object(
            "kind: ClusterRole\nmetadata: {name: scc}\nrules:\n- apiGroups: [security.openshift.io]\n  resources: [securitycontextconstraints]\n  resourceNames: [nbgitops-build]\n  verbs: [use]\n")
        XCTAssertEqual(Self.problems([wildcard]).count, 1)
        XCTAssertEqual(Self.problems([writer]), ["bad.yaml: verb 'create' is not read-only"])
        XCTAssertEqual(Self.problems([secrets]), ["bad.yaml: access to secrets"])
        XCTAssertEqual(Self.problems([cluster]), ["bad.yaml: cluster-scoped binding"])
        XCTAssertEqual(Self.problems([clusterRole]), ["bad.yaml: binds ClusterRole 'edit', not a Role of its namespace"])
        XCTAssertEqual(Self.problems([scc]), [])
        // Build grants: only the named platform roles, only in a build namespace.
        let puller = object(
            "kind: RoleBinding\nmetadata: {name: p, namespace: n-builds}\nroleRef: {kind: ClusterRole, name: system:image-puller}\nsubjects: [{kind: ServiceAccount, name: v, namespace: n}]\n")
        XCTAssertEqual(Self.problems([puller]), [])
        let builderElsewhere = object(
            "kind: RoleBinding\nmetadata: {name: b, namespace: n}\nroleRef: {kind: ClusterRole, name: system:image-builder}\nsubjects: [{kind: ServiceAccount, name: s}]\n")
        XCTAssertEqual(Self.problems([builderElsewhere]), ["bad.yaml: binds ClusterRole 'system:image-builder', not a Role of its namespace"])
        let editInBuilds = object(
            "kind: RoleBinding\nmetadata: {name: e, namespace: n-builds}\nroleRef: {kind: ClusterRole, name: edit}\nsubjects: [{kind: ServiceAccount, name: s}]\n")
        XCTAssertEqual(Self.problems([editInBuilds]), ["bad.yaml: binds ClusterRole 'edit', not a Role of its namespace"])
        let foreignSubject = object(
            "kind: RoleBinding\nmetadata: {name: p, namespace: n-builds}\nroleRef: {kind: ClusterRole, name: system:image-builder}\nsubjects: [{kind: ServiceAccount, name: v, namespace: other}]\n")
        XCTAssertEqual(Self.problems([foreignSubject]), ["bad.yaml: subject is not a ServiceAccount of namespace n-builds"])
    }
}
