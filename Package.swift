// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "grasp-sync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "grasp-sync", targets: ["grasp-sync"]),
        .executable(name: "negentropy-harness", targets: ["negentropy-harness"]),
        .library(name: "Nostr", targets: ["Nostr"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Reconcile", targets: ["Reconcile"]),
        .library(name: "Relay", targets: ["Relay"]),
        .library(name: "Transport", targets: ["Transport"]),
        .library(name: "Health", targets: ["Health"]),
        .library(name: "SyncMetrics", targets: ["SyncMetrics"]),
        .library(name: "Layers", targets: ["Layers"]),
        .library(name: "App", targets: ["App"]),
        // Test doubles (in-memory and fault-injecting transports, scripted peers, the
        // in-memory relay transport the benchmarks sync through).
        .library(name: "TransportTestKit", targets: ["TransportTestKit"]),
    ],
    dependencies: [
        // traits: [] keeps Hummingbird from rebuilding on every re-plan (toolchain notes, pitfall 6).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // System C libraries (Debian packages, installed by `make deps`).
        .systemLibrary(name: "CSecp256k1", pkgConfig: "libsecp256k1", providers: [.apt(["libsecp256k1-dev"])]),
        .systemLibrary(name: "COpenSSLCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        // Foundation modules.
        .target(name: "Nostr", dependencies: ["CSecp256k1", "COpenSSLCrypto"]),
        .target(
            name: "Store",
            dependencies: [
                "Nostr",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Reconcile",
            dependencies: ["Nostr", "COpenSSLCrypto", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "Health", dependencies: ["Nostr"]),
        .target(
            // Named SyncMetrics because swift-metrics already owns the module name `Metrics`.
            name: "SyncMetrics",
            dependencies: [
                // Relay and Store: the stage turns their observer callbacks into node events.
                "Nostr", "Health", "Store", "Relay",
                .product(name: "Prometheus", package: "swift-prometheus"),
                // The metrics stage serves its own endpoints (/metrics, /status, the status page).
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Metrics"
        ),
        .target(
            name: "Transport",
            dependencies: [
                "Nostr", "Health", "SyncMetrics", "Reconcile",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSCompression", package: "hummingbird-websocket"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ]
        ),
        .target(
            name: "Layers",
            dependencies: ["Nostr", "Store", "Health", "Reconcile", "SyncMetrics", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Relay",
            dependencies: [
                "Nostr", "Store", "Reconcile",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSCompression", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ]
        ),
        // Test doubles shared by TransportTests and AppTests (in-memory and fault-injecting
        // transports, scripted WebSocket peer, in-process relay server), and the benchmarks.
        .target(
            name: "TransportTestKit",
            dependencies: [
                "Transport", "Relay", "Nostr", "Store", "COpenSSLCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "App",
            dependencies: [
                "Nostr", "Store", "Reconcile", "Relay", "Transport", "Health", "SyncMetrics", "Layers",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ]
        ),
        .executableTarget(
            name: "grasp-sync",
            dependencies: [
                "App", "Nostr", "Store", "Transport", "Reconcile", "Health",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "negentropy-harness", dependencies: ["Reconcile"]),

        // Tests mirror the modules.
        .testTarget(name: "NostrTests", dependencies: ["Nostr"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Nostr", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "ReconcileTests", dependencies: ["Reconcile", "Nostr", "Health"], resources: [.copy("Fixtures")]),
        .testTarget(name: "HealthTests", dependencies: ["Health", "Nostr"]),
        .testTarget(name: "SyncMetricsTests", dependencies: ["SyncMetrics"], path: "Tests/MetricsTests"),
        .testTarget(
            name: "TransportTests",
            dependencies: [
                "Transport", "TransportTestKit", "Relay", "Store", "Nostr", "Health", "Reconcile",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "LayersTests", dependencies: ["Layers"]),
        .testTarget(
            name: "RelayTests",
            dependencies: [
                "Relay", "Store", "Nostr", "Reconcile", "Transport", "Health",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Interop")]
        ),
        .testTarget(
            name: "AppTests",
            dependencies: ["App", "Relay", "Store", "Nostr", "Layers", "Health", "Transport", "TransportTestKit", "SyncMetrics", "Reconcile"],
            resources: [.copy("Peers")]
        ),
    ]
)
