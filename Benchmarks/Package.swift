// swift-tools-version:6.1
// Benchmarks live in their own package so `make test` never builds the benchmark toolchain.
import PackageDescription

let package = Package(
    name: "grasp-sync-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "grasp-sync", path: ".."),
        // No traits: the default RuntimeInterposer's dependency is not in the local package
        // mirror (toolchain notes §4), and the MallocInterposer puts a size header and
        // counters on every allocation. No benchmark here reports malloc metrics, so the
        // figures are taken with the plain system allocator, as the node itself runs.
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: []),
        // The read-load clients (WebSocket client) and the served endpoint's service group.
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // The benchmark scenarios shared by the harness and the sync worker.
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "Nostr", package: "grasp-sync"),
                .product(name: "Store", package: "grasp-sync"),
                .product(name: "Relay", package: "grasp-sync"),
                .product(name: "App", package: "grasp-sync"),
                .product(name: "Health", package: "grasp-sync"),
                .product(name: "Transport", package: "grasp-sync"),
                .product(name: "Layers", package: "grasp-sync"),
                .product(name: "TransportTestKit", package: "grasp-sync"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "BenchSupport"
        ),
        // Runs one sync scenario in its own process (see GraspBench/SyncBenchmarks.swift).
        .executableTarget(name: "SyncWorker", dependencies: ["BenchSupport"], path: "SyncWorker"),
        // Runs the served read-load benchmark (see BenchSupport/ReadLoad.swift).
        .executableTarget(name: "ReadLoadWorker", dependencies: ["BenchSupport"], path: "ReadLoadWorker"),
        .executableTarget(
            name: "GraspBench",
            dependencies: [
                "BenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Nostr", package: "grasp-sync"),
                .product(name: "Store", package: "grasp-sync"),
                .product(name: "Reconcile", package: "grasp-sync"),
                .product(name: "Relay", package: "grasp-sync"),
                .product(name: "App", package: "grasp-sync"),
                .product(name: "Transport", package: "grasp-sync"),
                .product(name: "Health", package: "grasp-sync"),
                .product(name: "Layers", package: "grasp-sync"),
            ],
            path: "GraspBench",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
