// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "nbgitops",
    products: [
        .executable(name: "nbgitops", targets: ["nbgitops"]),
        .library(name: "NBGitOps", targets: ["NBGitOps"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        // The system libyaml (Debian: libyaml-dev), the only YAML implementation used.
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // All compiler logic: load → decode → resolve → plan → check → render → write.
        .target(
            name: "NBGitOps",
            dependencies: ["CYAML"],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")],
            // Resources/*.yaml (the schemas the decoder uses) are compiled into the library as
            // strings: an installed or copied binary never looks for a resource bundle.
            plugins: ["EmbedResources"]
        ),
        .executableTarget(name: "nbgitops-embed", path: "Sources/nbgitops-embed"),
        .plugin(name: "EmbedResources", capability: .buildTool(), dependencies: ["nbgitops-embed"]),
        // Thin command-line front.
        .executableTarget(
            name: "nbgitops",
            dependencies: [
                "NBGitOps",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The fuzz target (load → decode → plan → check → render on one input). A replay driver
        // by default; `scripts/fuzz` builds it with libFuzzer.
        .executableTarget(
            name: "nbgitops-fuzz",
            dependencies: ["NBGitOps"],
            path: "Sources/nbgitops-fuzz"
        ),
        .testTarget(
            name: "NBGitOpsTests",
            dependencies: ["NBGitOps"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
