// swift-tools-version:6.0
import PackageDescription

// One concept per module. The pure core (YAML data model, Values, Strategy, Placement, Plan, Checks)
// does no I/O; side effects live in Tools, Kube, Local, Engine and the CLI.
let package = Package(
    name: "slimctl",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "slimctl", targets: ["slimctl"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.30.0")
    ],
    targets: [
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        .target(
            name: "YAML",
            dependencies: [
                "CYAML", .product(name: "OrderedCollections", package: "swift-collections")
            ]),
        .target(name: "Values", dependencies: ["YAML", .product(name: "OrderedCollections", package: "swift-collections")]),
        .target(name: "Strategy", dependencies: ["YAML"]),
        .target(name: "Placement", dependencies: []),
        .target(name: "Plan", dependencies: ["Strategy", "Values", "YAML", "Commands", .product(name: "OrderedCollections", package: "swift-collections")]),
        .target(name: "Checks", dependencies: ["Placement", "YAML"]),
        // The argvs of the tools slimctl drives (helm, kind) and the runner protocol: pure, so the
        // planner shows commands without linking the code that starts processes.
        .target(name: "Commands", dependencies: []),
        .target(name: "Tools", dependencies: ["Commands"]),
        .target(name: "Kube", dependencies: ["CCurl", "YAML", "Tools", .product(name: "OrderedCollections", package: "swift-collections")]),
        .target(name: "Engine", dependencies: ["Plan", "Tools"]),
        .target(
            name: "Local",
            dependencies: [
                "Plan", "Strategy", "YAML", "Placement", "Checks", "Tools", "Engine", .product(name: "OrderedCollections", package: "swift-collections")
            ]),
        .target(
            name: "KubeTarget",
            dependencies: [
                "Engine", "Plan", "Strategy", "Kube", "Tools", "YAML", "Checks", "Placement", .product(name: "OrderedCollections", package: "swift-collections")
            ]),
        .target(
            name: "SlimCLI",
            dependencies: [
                "YAML", "Values", "Strategy", "Placement", "Plan", "Checks", "Tools", "Kube", "Engine", "Local", "KubeTarget",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "OrderedCollections", package: "swift-collections")
            ]),
        .executableTarget(name: "slimctl", dependencies: ["SlimCLI"]),

        // Test support: a simulated kube-apiserver (the only stand-in the project allows).
        .target(
            name: "KubeSim",
            dependencies: [
                "YAML", "Tools", .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2")
            ], path: "Tests/KubeSim"),
        // Test support: the released charts (found, never copied) and a real OCI registry holding them.
        .target(name: "TestCharts", dependencies: ["Tools", "Local"], path: "Tests/TestCharts"),
        // `make fuzz`: the YAML, strategy and --set parsers under libFuzzer; built normally it
        // replays its seeds and crash regressions (run by `make test`).
        .executableTarget(
            name: "slimctl-fuzz", dependencies: ["YAML", "Strategy", "Values"], path: "Tests/Fuzz",
            exclude: ["seeds", "regressions"]),
        // `make bench`: slimctl against kubectl and helm on the simulated cluster (test support, not shipped).
        .executableTarget(
            name: "slimctl-bench",
            dependencies: [
                "KubeSim", "TestCharts", "YAML", "Placement", "Tools", .product(name: "OrderedCollections", package: "swift-collections")
            ], path: "Tests/Bench"),

        // `make e2e`: slimctl ci on the simulated cluster whose kubelet runs real SLIM and the real apps.
        .executableTarget(name: "slimctl-e2e", dependencies: ["KubeSim", "TestCharts", "Local", "Tools"], path: "Tests/E2E"),

        .testTarget(name: "YAMLTests", dependencies: ["YAML", .product(name: "OrderedCollections", package: "swift-collections")]),
        .testTarget(name: "ToolsTests", dependencies: ["Tools"]),
        .testTarget(
            name: "ValuesTests", dependencies: ["Values", "YAML", .product(name: "OrderedCollections", package: "swift-collections")], exclude: ["Fixtures"]),
        .testTarget(name: "StrategyTests", dependencies: ["Strategy", "YAML"]),
        .testTarget(name: "PlacementTests", dependencies: ["Placement"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Plan"]),
        .testTarget(name: "PlanTests", dependencies: ["Plan", "Strategy", "YAML", "Tools"]),
        .testTarget(name: "ChecksTests", dependencies: ["Checks"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KubeTests", dependencies: ["Kube", "KubeSim", "YAML", "Placement"]),
        .testTarget(name: "LocalTests", dependencies: ["Local", "Placement", "Tools", "YAML"]),
        .testTarget(name: "KubeTargetTests", dependencies: ["KubeTarget", "KubeSim", "TestCharts", "Kube", "Plan", "Strategy", "Tools", "YAML", "Placement"]),
        // The simulator's scheduler and DaemonSet controller against slimctl's Placement, on random clusters.
        .testTarget(
            name: "SimDifferentialTests",
            dependencies: [
                "KubeSim", "Placement", "YAML", .product(name: "OrderedCollections", package: "swift-collections")
            ]),
        .testTarget(
            name: "CLITests",
            dependencies: ["SlimCLI", "Checks", "Plan", "TestCharts", "Tools", "YAML", .product(name: "OrderedCollections", package: "swift-collections")])
    ]
)
