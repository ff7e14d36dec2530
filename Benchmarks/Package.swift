// swift-tools-version:6.1
// Benchmarks live in their own package so `make test` never builds the benchmark toolchain.
import PackageDescription

let package = Package(
    name: "grasp-sync-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "grasp-sync", path: ".."),
        // traits: ["MallocInterposer"] turns off the default RuntimeInterposer trait, whose
        // dependency is not in the local package mirror (toolchain notes §4).
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "GraspBench",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Nostr", package: "grasp-sync"),
                .product(name: "Store", package: "grasp-sync"),
                .product(name: "Reconcile", package: "grasp-sync"),
                .product(name: "Relay", package: "grasp-sync"),
                .product(name: "App", package: "grasp-sync"),
                .product(name: "Transport", package: "grasp-sync"),
                .product(name: "Health", package: "grasp-sync"),
            ],
            path: "GraspBench",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
