import Foundation
import NBGitOps

// The fuzz target: one input is one spec file, compiled by the real pipeline
// (`CompilerPipeline.run`: load → decode → resolve → plan → check → render) for two
// environments (OpenShift with GPU taints and Argo CD; Kubernetes with Flux).
// Any crash, hang or unbounded allocation here is a bug: hostile input must end in a located
// diagnostic or a correct render.
//
// Built two ways (see scripts/fuzz):
// - `swift build` (default): a replay driver, `nbgitops-fuzz FILE...`, that runs each file
//   once through the same entry point and prints the diagnostics; used for regressions.
// - `scripts/fuzz` adds `-sanitize=fuzzer,address -DNBGITOPS_LIBFUZZER`: libFuzzer supplies
//   `main` and calls `LLVMFuzzerTestOneInput`.

enum FuzzHarness {
    /// Located once: the resource root (built-in overlays, templates) every input compiles with.
    nonisolated(unsafe) static let resources: ResourceRoot? = {
        let diagnostics = DiagnosticCollector()
        guard
            let root = ResourceRoot.locate(
                home: ProcessInfo.processInfo.environment["NBGITOPS_HOME"], executable: #filePath,
                diagnostics: diagnostics)
        else {
            FileHandle.standardError.write(Data(DiagnosticFormatter.text(diagnostics.sorted).utf8))
            return nil
        }
        return root
    }()

    /// The two environments every input is compiled for, as overlay stacks.
    static let stacks: [(String, [String])] = [
        ("openshift-gpu", ["openshift", "rwo", "gpu-taints", "argocd", "examples/overlays/repository.yaml"]),
        ("kubernetes", ["kubernetes", "rwx", "flux", "examples/overlays/repository.yaml"]),
    ]

    /// Runs one input through `CompilerPipeline.run`, exactly as `nbgitops render` compiles a
    /// project's spec file; returns the diagnostics (for the replay driver).
    @discardableResult
    static func run(_ bytes: [UInt8]) -> DiagnosticCollector {
        let diagnostics = DiagnosticCollector()
        guard let resources else { return diagnostics }
        let at = SourceLocation(file: "<fuzz>", line: 1, column: 1)
        let input = CompilerInput(
            specFiles: [SpecFileFinder.Found(path: "fuzz.yaml", displayPath: "fuzz.yaml", contents: bytes)],
            environments: stacks.map { name, overlays in
                EnvironmentRequest(name: Located(name, at: at), overlays: overlays.map { Located($0, at: at) })
            },
            baseDirectory: resources.path, resources: resources, outputName: "gitops", retainPlans: false)
        _ = CompilerPipeline.run(input, diagnostics: diagnostics)
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
