import Foundation
import XCTest

/// What the diagnostics promise at any volume and for any input, through the real executable:
/// no error is ever dropped (and the object it is about never written); a display cap on
/// warnings says what it left out; one finding in several environments is printed once;
/// nothing echoed from the input prints a credential or forges a line of output.
final class DiagnosticGuaranteeIntegrationTests: XCTestCase {
    /// A job of the course-notebooks repository named `name`; `metadata`: lines added after
    /// its name (indented 2 spaces), `podConfig`: lines added to its podConfig (indented 4
    /// spaces), each ending in a newline.
    static func courseJob(
        name: String, metadata: String = "", url: String = "https://github.com/example-org/course-notebooks.git",
        image: String = digestImage, podConfig: String = ""
    ) -> String {
        """
        apiVersion: mlops.mlops.dev/v1alpha1
        kind: NotebookValidationJob
        metadata:
          name: \(name)
        \(metadata)spec:
          notebook:
            git:
              url: \(url)
              ref: v1.4.0
            path: notebooks/a.ipynb
          podConfig:
            containerImage: \(image)
        \(podConfig)
        """
    }

    static let digestImage =
        "quay.io/jupyter/scipy-notebook:2025-06-02@sha256:08e4c32e10df101bcee46fba936b728721cf574c5d0153157c806dc96e56d8cf"

    /// A job that reads `count` environment variables from a Secret (one NBG136 warning each)
    /// and, last, sets HOME (an NBG133 error).
    static func manyWarningsAndOneError(count: Int) -> String {
        var env = ""
        for index in 0..<count { env += "    - name: V\(index)\n      valueFrom:\n        secretKeyRef: {name: s, key: k}\n" }
        return courseJob(name: "many", podConfig: "    env:\n") + env + "    - name: HOME\n      value: /tmp/home\n"
    }

    func testTenThousandWarningsAndOneErrorExitOneWriteNothingAndPrintTheError() throws {
        let project = try IntegrationProject()
        try project.write("volume/many.yaml", Self.manyWarningsAndOneError(count: 10_000))
        let errorLine = "volume/many.yaml:30014:13: error[NBG133]: env variable 'HOME' is set by nbgitops in the validation container"
        let arguments = ["render", "volume/many.yaml", "--overlay", "kubernetes", "--overlay", "rwo", "--output", "out"]

        let text = try project.run(arguments, timeout: 60)
        XCTAssertEqual(text.status, 1, "\(text.stderrLines.suffix(3))")
        XCTAssertFalse(project.exists("out"), "a run with an error wrote its output")
        XCTAssertTrue(text.stderrLines.contains(errorLine), "the error is not printed: \(text.stderrLines.suffix(3))")
        // At most 500 warnings shown, then a line that says how many more and how to see them.
        XCTAssertEqual(text.stderrLines.filter { $0.contains(": warning[") }.count, 500)
        let lines = text.stderrLines.filter { !$0.isEmpty }
        XCTAssertTrue(
            lines.dropLast().last?.hasPrefix("1 error(s), ") ?? false, "\(lines.suffix(2))")
        let closing = try XCTUnwrap(lines.last)
        XCTAssertTrue(closing.hasPrefix("… and ") && closing.contains("warnings not shown"), closing)
        XCTAssertTrue(closing.contains("--max-diagnostics 0") && closing.contains("json"), closing)

        // Without the cap every warning is printed; json and sarif always carry every diagnostic.
        let all = try project.run(arguments + ["--max-diagnostics", "0"], timeout: 60)
        XCTAssertEqual(all.status, 1)
        XCTAssertGreaterThanOrEqual(all.stderrLines.filter { $0.contains(": warning[NBG136]") }.count, 10_000)
        XCTAssertFalse(all.stderr.contains("not shown"))

        let json = try project.run(arguments + ["--diagnostics-format", "json"], timeout: 60)
        XCTAssertEqual(json.status, 1)
        let objects = json.stdoutLines.filter { !$0.isEmpty }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        XCTAssertGreaterThanOrEqual(objects.filter { $0["id"] as? String == "NBG136" }.count, 10_000)
        XCTAssertEqual(objects.filter { $0["severity"] as? String == "error" }.map { $0["id"] as? String }, ["NBG133"])

        let sarif = try project.run(
            arguments + ["--diagnostics-format", "sarif", "--diagnostics-output", project.path("d.sarif")], timeout: 60)
        XCTAssertEqual(sarif.status, 1)
        let log = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: project.path("d.sarif"))))
                as? [String: Any])
        let results = try XCTUnwrap(((log["runs"] as? [[String: Any]])?.first)?["results"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(results.filter { $0["ruleId"] as? String == "NBG136" }.count, 10_000)
        XCTAssertEqual(results.filter { $0["level"] as? String == "error" }.count, 1)
        XCTAssertFalse(project.exists("out"))
    }

    func testNegativeMaxDiagnosticsIsAUsageError() throws {
        let project = try IntegrationProject()
        let run = try project.run(["check", "--max-diagnostics", "-1"])
        XCTAssertEqual(run.status, 64, "\(run)")
    }

    /// The same NBG129 (a Secret nothing creates) in two environments whose namespaces differ,
    /// so the two messages differ too: one finding, printed once, naming both environments.
    func testOneFindingInTwoEnvironmentsIsPrintedOnceNamingThem() throws {
        let project = try IntegrationProject(copy: ["overlays", "templates", "docs"])
        try project.write(
            "nbgitops.yaml",
            projectYAML(environments: [
                ("one", "[kubernetes, rwo, flux, site.yaml]"), ("two", "[kubernetes, rwx, flux, site.yaml, elsewhere.yaml]"),
            ]))
        try project.write(
            "site.yaml",
            """
            apiVersion: nbgitops.dev/v1alpha1
            kind: Overlay
            metadata:
              name: site
            spec:
              delivery:
                repositoryURL: https://github.com/example/repo.git

            """)
        try project.write(
            "elsewhere.yaml",
            """
            apiVersion: nbgitops.dev/v1alpha1
            kind: Overlay
            metadata:
              name: elsewhere
            spec:
              naming:
                namespace: validation-two

            """)
        try project.write(
            "specs/a.yaml",
            Self.courseJob(
                name: "a",
                podConfig: """
                        volumes:
                        - name: creds
                          secret: {secretName: my-secret}
                        volumeMounts:
                        - name: creds
                          mountPath: /var/run/creds

                    """))
        let text = try project.run(["render"])
        XCTAssertEqual(text.status, 0, "\(text)")
        let findings = text.stderrLines.filter { $0.contains("warning[NBG129]") }
        XCTAssertEqual(findings.count, 1, "\(text)")
        XCTAssertTrue(text.stderrLines.contains("  note: found in environments one, two"), "\(text)")
        // Environment two's own wording (its namespace) is kept as a note of the one finding.
        XCTAssertTrue(
            text.stderrLines.contains { $0.hasPrefix("  note: in environment two: ") && $0.contains("'validation-two'") },
            "\(text)")

        let json = try project.run(["check", "--diagnostics-format", "json"])
        XCTAssertEqual(json.status, 0, "\(json)")
        let objects = json.stdoutLines.filter { !$0.isEmpty }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let secret = objects.filter { $0["id"] as? String == "NBG129" }
        XCTAssertEqual(secret.count, 1, "\(json)")
        XCTAssertEqual(secret.first?["environments"] as? [String], ["one", "two"])

        let sarif = try project.run(["check", "--diagnostics-format", "sarif"])
        let log = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        let results = try XCTUnwrap(((log["runs"] as? [[String: Any]])?.first)?["results"] as? [[String: Any]])
        let result = results.filter { $0["ruleId"] as? String == "NBG129" }
        XCTAssertEqual(result.count, 1)
        XCTAssertEqual((result.first?["properties"] as? [String: Any])?["environments"] as? [String], ["one", "two"])
    }

    /// Credential-looking values that a diagnostic echoes (an invalid name, a git URL failing its
    /// pattern, an image in NBG137's help) are redacted in text, JSON and SARIF alike.
    static let secrets: [String] = [
        "hunter2-password",  // as the password of URL user-info
        "ghp_" + String(repeating: "A1b2", count: 9),
        "github_pat_11ABCDEFG0" + String(repeating: "x9", count: 20),
        "glpat-" + String(repeating: "Zy7", count: 7),
        "hf_" + String(repeating: "QwErTy12", count: 4) + "ab",
        "AKIA" + "IOSFODNN7EXAMPLE",
        "xoxb-" + "123456789012-1234567890123-" + String(repeating: "a", count: 24),
        "sk-" + String(repeating: "proj", count: 3) + "-" + String(repeating: "T0k3n", count: 8),
        "sk_live_" + String(repeating: "4eC39HqLyjWDarjtT1zdp7dc", count: 1),
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "dXNlcjpodW50ZXIy",  // a Basic header value
        "abc.DEF-123_ghi.jkl",  // a Bearer header value
        "MIIEowIBAAKCAQEA75hostile",  // inside a PEM private key block
    ]

    static func secretSpecs() -> String {
        let s = secrets
        let names = [
            "ftp://admin:\(s[0])@example.com/x", "token \(s[1])", "pat \(s[2])", "gitlab \(s[3])", "hf \(s[4])",
            "aws \(s[5])", "slack \(s[6])", "openai \(s[7])", "stripe \(s[8])", "jwt \(s[9])",
            "Authorization: Basic \(s[10])", "Authorization: Bearer \(s[11])",
            "-----BEGIN RSA PRIVATE KEY-----\n\(s[12])\n-----END RSA PRIVATE KEY-----",
        ]
        var documents: [String] = []
        for (index, name) in names.enumerated() {
            let quoted = "\"" + name.replacingOccurrences(of: "\n", with: "\\n") + "\""
            documents.append(
                courseJob(
                    name: quoted, metadata: "  labels: {index: \"\(index)\"}\n",
                    image: "quay.io/jupyter/scipy-notebook:2025-06-02"))
        }
        // The two cases the issue names: a git URL failing NBG105, an image in NBG137's help.
        documents.append(
            courseJob(
                name: "url", url: "ftp://user:\(s[0])@example.com/repo.git",
                image: "https://user:\(s[0])@quay.io/jupyter/scipy-notebook:2025-06-02"))
        return documents.joined(separator: "---\n")
    }

    func testCredentialsEchoedByDiagnosticsAreRedactedInEveryFormat() throws {
        let project = try IntegrationProject()
        try project.write("hostile/secrets.yaml", Self.secretSpecs())
        let arguments = ["render", "hostile/secrets.yaml", "--overlay", "kubernetes", "--overlay", "rwo", "--output", "out"]
        let text = try project.run(arguments)
        let json = try project.run(arguments + ["--diagnostics-format", "json"])
        let sarif = try project.run(arguments + ["--diagnostics-format", "sarif"])
        let sarifFile = try project.run(
            arguments + ["--diagnostics-format", "sarif", "--diagnostics-output", project.path("d.sarif")])
        let written = project.read("d.sarif") ?? ""
        for run in [text, json, sarif, sarifFile] {
            XCTAssertEqual(run.status, 1, "\(run)")
            XCTAssertTrue((run.stdout + run.stderr).contains("[redacted]"), "\(run)")
        }
        XCTAssertTrue(written.contains("[redacted]"))
        let outputs = [
            ("text", text.stderr), ("json", json.stdout), ("sarif", sarif.stdout), ("sarif file", written),
            ("sarif file's text log", sarifFile.stderr),
        ]
        for (format, output) in outputs {
            for secret in Self.secrets {
                XCTAssertFalse(output.contains(secret), "\(format) output prints '\(secret)':\n\(output.prefix(4000))")
            }
        }
        // The messages still say what is wrong, around the redaction.
        XCTAssertTrue(text.stderr.contains("'spec.notebook.git.url' value 'ftp://[redacted]@example.com/repo.git'"), text.stderr)
        XCTAssertTrue(text.stderr.contains("https://[redacted]@quay.io/jupyter/scipy-notebook:2025-06-02@sha256:<digest>"))
        XCTAssertFalse(project.exists("out"))
    }

    /// `nbgitops explain` echoes the values of an object's fields: credential shapes there are
    /// redacted too. (Should the secret scan refuse the value, the run fails and its diagnostics
    /// are redacted instead: either way the value is printed nowhere.)
    func testExplainRedactsCredentialsInTheValuesItShows() throws {
        let project = try IntegrationProject()
        let header = "Bearer " + Self.secrets[11]
        try project.write(
            "examples/specs/99-header.yaml",
            integrationJobSpec(
                name: "header-probe", podConfig: "    env:\n    - name: AUTH_HEADER\n      value: \"\(header)\"\n"))
        let run = try project.run(["explain", "kubernetes", "Job/header-probe.spec.template.spec.containers[0].env"])
        XCTAssertFalse(run.stdout.contains(Self.secrets[11]) || run.stderr.contains(Self.secrets[11]), "\(run)")
        if run.status == 0 {
            XCTAssertTrue(run.stdout.contains("value: Bearer [redacted]"), "\(run)")
        } else {
            XCTAssertTrue(run.stderr.contains("error[NBG140]"), "\(run)")
        }
    }

    /// A name can hold line breaks, a GitHub workflow command and terminal escapes: the text
    /// form prints them escaped, so every line still starts with a location, `note:`, `help:`
    /// or the count, and no workflow command or escape sequence reaches the log.
    func testEchoedControlCharactersCannotForgeLinesOrCommands() throws {
        let project = try IntegrationProject()
        let hostileNames = [
            #"a\n::error file=specs/x.yaml,line=1::forged"#, #"b\r\n::stop-commands::token"#, #"c\u001B[2J\u001B[31mred"#,
            #"d\u2028::warning::x"#, #"e\u0085::notice::y"#, #"f\u202Eevil"#,
        ]
        var documents: [String] = []
        for name in hostileNames {
            documents.append(integrationJobSpec(name: "\"\(name)\""))
        }
        try project.write("hostile/control.yaml", documents.joined(separator: "---\n"))
        // A file whose own name starts like a workflow command.
        try project.write("::error::file.yaml", integrationJobSpec(name: "\"g\\n::error::from-file\""))
        for file in ["hostile/control.yaml", "::error::file.yaml"] {
            let run = try project.run(["render", file, "--overlay", "kubernetes", "--overlay", "rwo", "--output", "out"])
            XCTAssertEqual(run.status, 1, "\(run)")
            let lines = run.stderrLines.filter { !$0.isEmpty }
            XCTAssertGreaterThan(lines.filter { $0.contains("error[NBG130]") }.count, 0, "\(run)")
            for line in lines {
                XCTAssertFalse(line.hasPrefix("::"), "a line starts a workflow command: \(line)")
                let allowed =
                    IntegrationCLI.isLocatedError(line) || line.hasPrefix("  ") || line.contains(": warning[")
                    || line.contains(": note[") || line.hasSuffix("warning(s)") || line.hasPrefix("… and ")
                XCTAssertTrue(allowed, "a line not made by nbgitops: \(line)")
            }
            for forbidden: Character in ["\u{1B}", "\r", "\u{2028}", "\u{85}", "\u{202E}"] {
                XCTAssertFalse(run.stderr.contains(forbidden), "\(file): raw \(forbidden.unicodeScalars.first?.value ?? 0)")
            }
        }
    }
}
