import Foundation
import NBGitOps

// The fuzz target: one input is one spec file, run through load → decode → plan → check →
// render for two environments (OpenShift with GPU taints and Argo CD; Kubernetes with Flux).
// Any crash, hang or unbounded allocation here is a bug: hostile input must end in a located
// diagnostic or a correct render.
//
// Built two ways (see scripts/fuzz):
// - `swift build` (default): a replay driver, `nbgitops-fuzz FILE...`, that runs each file
//   once through the same entry point and prints the diagnostics; used for regressions.
// - `scripts/fuzz` adds `-sanitize=fuzzer,address -DNBGITOPS_LIBFUZZER`: libFuzzer supplies
//   `main` and calls `LLVMFuzzerTestOneInput`.

enum FuzzHarness {
    struct Fixture {
        var environments: [Environment]
        var scripts: [ScriptFile]
    }

    /// Built once: the environments every input is planned for.
    nonisolated(unsafe) static var fixture: Fixture? = {
        let diagnostics = DiagnosticCollector()
        guard
            let root = ResourceRoot.locate(
                home: ProcessInfo.processInfo.environment["NBGITOPS_HOME"], executable: #filePath,
                diagnostics: diagnostics)
        else {
            FileHandle.standardError.write(Data(DiagnosticFormatter.text(diagnostics.sorted).utf8))
            return nil
        }
        let stacks: [(String, [String])] = [
            ("openshift-gpu", ["openshift", "rwo", "gpu-taints", "argocd", "examples/overlays/repository.yaml"]),
            ("kubernetes", ["kubernetes", "rwx", "flux", "examples/overlays/repository.yaml"]),
        ]
        var environments: [Environment] = []
        for (name, overlayNames) in stacks {
            var overlays: [Overlay] = []
            for overlayName in overlayNames {
                let located = Located(overlayName, at: SourceLocation(file: "<fuzz>", line: 1, column: 1))
                guard
                    let reference = OverlayLoader.locate(
                        located, baseDirectory: root.path, resourceRoot: root.path, diagnostics: diagnostics),
                    let overlay = OverlayLoader.load(reference, resourceRoot: root.path, diagnostics: diagnostics)
                else { continue }
                overlays.append(overlay)
            }
            environments.append(EnvironmentResolver.resolve(name: name, overlays: overlays, diagnostics: diagnostics))
        }
        let scripts = root.scripts(diagnostics: diagnostics)
        guard !diagnostics.hasErrors else {
            FileHandle.standardError.write(Data("nbgitops-fuzz: the built-in overlays do not load\n".utf8))
            return nil
        }
        return Fixture(environments: environments, scripts: scripts)
    }()

    /// Runs one input; returns the diagnostics (for the replay driver).
    @discardableResult
    static func run(_ bytes: [UInt8]) -> DiagnosticCollector {
        let diagnostics = DiagnosticCollector()
        guard let fixture else { return diagnostics }
        let documents = YAMLLoader.load(bytes: bytes, file: "fuzz.yaml", diagnostics: diagnostics)
        guard !diagnostics.hasErrors else { return diagnostics }
        let specs = SpecDecoder.decode(documents, diagnostics: diagnostics)
        guard !diagnostics.hasErrors else { return diagnostics }
        for environment in fixture.environments {
            let plan = EnvironmentPlanner.plan(
                specs: specs, environment: environment, scripts: fixture.scripts, delivery: .project(outputPath: "gitops"),
                diagnostics: diagnostics)
            PlanChecker.check(plan, specs: specs, diagnostics: diagnostics)
            // Render even when planning reported problems: the renderer must cope with any plan.
            _ = OutputLayout.files(for: plan)
        }
        return diagnostics
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzHarness.run(bytes)
    return 0
}

#if NBGITOPS_LIBFUZZER
    /// libFuzzer's own driver (in the runtime `-sanitize=fuzzer` links).
    @_silgen_name("LLVMFuzzerRunDriver")
    func llvmFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32
#endif

@main
struct FuzzMain {
    static func main() {
        #if NBGITOPS_LIBFUZZER
            // SwiftPM names an executable's entry point itself, so libFuzzer's `main` is not used;
            // hand over to its driver instead.
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(llvmFuzzerRunDriver(&argc, &argv, fuzzTestOneInput))
        #else
            replay(Array(CommandLine.arguments.dropFirst()))
        #endif
    }

    /// Runs each file once through the fuzz target and prints its diagnostics.
    static func replay(_ paths: [String]) {
        if paths.isEmpty {
            FileHandle.standardError.write(Data("usage: nbgitops-fuzz FILE...   (replays inputs through the fuzz target)\n".utf8))
            exit(64)
        }
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("\(path): cannot read\n".utf8))
                continue
            }
            let start = Date()
            let diagnostics = FuzzHarness.run([UInt8](data))
            let milliseconds = Date().timeIntervalSince(start) * 1000
            print("\(path): \(diagnostics.errorCount) error(s), \(String(format: "%.1f", milliseconds)) ms")
            for diagnostic in diagnostics.sorted.prefix(3) {
                print("  " + (diagnostic.rendered.split(separator: "\n").first.map(String.init) ?? ""))
            }
        }
    }
}
