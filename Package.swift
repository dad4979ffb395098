// swift-tools-version:6.2
import PackageDescription

// Swift 6 language mode everywhere (the tools version makes it the default); strict
// concurrency is part of it.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "fabric",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fabric", targets: ["fabric"]),
        .library(name: "FabricCore", targets: ["FabricCore"]),
        .library(name: "FabricNATS", targets: ["FabricNATS"]),
        .library(name: "FabricAuth", targets: ["FabricAuth"]),
        .library(name: "FabricDelivery", targets: ["FabricDelivery"]),
        .library(name: "FabricHTTP", targets: ["FabricHTTP"]),
        .library(name: "FabricWebSocket", targets: ["FabricWebSocket"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context", from: "1.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.2"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CNATS",
            pkgConfig: "libnats",
            providers: [.apt(["libnats-dev"])]
        ),
        .target(
            name: "FabricCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FabricNATS",
            dependencies: [
                "CNATS",
                "FabricCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FabricAuth",
            dependencies: [
                "FabricCore",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FabricObservability",
            dependencies: [
                "FabricCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FabricHTTP",
            dependencies: [
                "FabricCore",
                "FabricNATS",
                "FabricAuth",
                "FabricObservability",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FabricWebSocket",
            dependencies: [
                "FabricCore",
                "FabricNATS",
                "FabricAuth",
                "FabricObservability",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FabricRouter",
            dependencies: [
                "FabricCore",
                "FabricNATS",
                "FabricObservability",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FabricDelivery",
            dependencies: [
                "FabricCore",
                "FabricNATS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FabricService",
            dependencies: [
                "FabricCore",
                "FabricNATS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FabricExamples",
            dependencies: ["FabricCore", "FabricNATS", "FabricService"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FabricProcess",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FabricTestSupport",
            dependencies: [
                "FabricCore",
                "FabricProcess",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The adapter conformance suite: written once, run by every protocol adapter's tests
        // through a small driver protocol.
        .target(
            name: "FabricConformance",
            dependencies: [
                "FabricCore",
                "FabricExamples",
                "FabricNATS",
                "FabricObservability",
                "FabricRouter",
                "FabricService",
                "FabricTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fabric",
            dependencies: [
                "FabricAuth",
                "FabricCore",
                "FabricHTTP",
                "FabricWebSocket",
                "FabricNATS",
                "FabricObservability",
                "FabricProcess",
                "FabricRouter",
                "FabricDelivery",
                "FabricService",
                "FabricExamples",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FabricCoreTests",
            dependencies: [
                "FabricCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
                // The oracle TraceParent's own parsing and formatting are checked against.
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FabricNATSTests",
            dependencies: ["FabricNATS", "FabricTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FabricAuthTests",
            dependencies: [
                "FabricAuth",
                "FabricCore",
                "FabricTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FabricRouterTests",
            dependencies: ["FabricRouter", "FabricService", "FabricExamples", "FabricTestSupport", "FabricObservability"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FabricServiceTests",
            dependencies: ["FabricService", "FabricExamples", "FabricTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FabricDeliveryTests",
            dependencies: [
                "FabricDelivery", "FabricRouter", "FabricService", "FabricExamples", "FabricTestSupport", "FabricObservability",
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FabricHTTPTests",
            dependencies: [
                "FabricHTTP",
                "FabricAuth",
                "FabricConformance",
                "FabricCore",
                "FabricDelivery",
                "FabricExamples",
                "FabricNATS",
                "FabricObservability",
                "FabricRouter",
                "FabricService",
                "FabricTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FabricWebSocketTests",
            dependencies: [
                "FabricWebSocket",
                "FabricAuth",
                "FabricConformance",
                "FabricCore",
                "FabricDelivery",
                "FabricExamples",
                "FabricNATS",
                "FabricObservability",
                "FabricRouter",
                "FabricService",
                "FabricTestSupport",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Python peers the tests start as child processes.
            exclude: ["peers"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FabricCLITests",
            dependencies: ["FabricCore", "FabricNATS", "FabricTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
