// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "consort",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "consort", targets: ["consort"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
    ],
    targets: [
        .target(
            name: "ConsortPKI",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConsortSpec",
            dependencies: [
                "ConsortPKI",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // GF(2^64) arithmetic with carry-less multiplication (the AND gates' proofs).
        .target(name: "CConsortField", cSettings: [.unsafeFlags(["-O3"])]),
        // Wrapping 64-bit loops of the Galois-ring proofs, with AVX2 where the CPU has it.
        .target(name: "CConsortRing", cSettings: [.unsafeFlags(["-O3"])]),
        // The commit a release build was made from (stamped by scripts/package; `BuildMeasurement.commit`).
        .target(name: "CConsortBuild"),
        .target(
            name: "ConsortMPC",
            dependencies: [
                "CConsortField", "CConsortRing",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            // The engines' arithmetic (ring loops, the proofs' Galois-ring products) is optimised in debug builds too:
            // unoptimised it is some fifty times slower, which the test suite's MPC runs would feel.
            swiftSettings: swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .target(
            name: "ConsortAudit",
            dependencies: [
                "ConsortPKI",
                "ConsortSpec",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConsortTransport",
            dependencies: [
                "ConsortMPC",
                "ConsortPKI",
                "ConsortSpec",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConsortClient",
            dependencies: [
                "ConsortPKI",
                "ConsortSpec",
                "ConsortQuery",
                "ConsortTransport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConsortNode",
            dependencies: [
                "CConsortBuild",
                "ConsortPKI",
                "ConsortSpec",
                "ConsortMPC",
                "ConsortAudit",
                "ConsortTransport",
                "ConsortClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                "ConsortQuery",
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            resources: [
                .embedInCode("Resources/access-policy.json"),
                .embedInCode("Resources/ui/head.mustache"), .embedInCode("Resources/ui/foot.mustache"),
                .embedInCode("Resources/ui/sign_in.mustache"), .embedInCode("Resources/ui/home.mustache"),
                .embedInCode("Resources/ui/proposal.mustache"), .embedInCode("Resources/ui/error.mustache"),
                .embedInCode("Resources/ui/new_proposal.mustache"), .embedInCode("Resources/ui/task.mustache"),
                .embedInCode("Resources/ui/upload.mustache"), .embedInCode("Resources/ui/result.mustache"),
                .embedInCode("Resources/ui/audit.mustache"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "consort",
            dependencies: [
                "ConsortPKI",
                "ConsortTransport",
                "ConsortClient",
                "ConsortSpec",
                "ConsortAudit",
                "ConsortMPC",
                "ConsortNode",
                "ConsortQuery",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConsortQuery",
            dependencies: ["ConsortSpec", "ConsortMPC", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConsortTesting",
            dependencies: [
                "ConsortPKI",
                "ConsortMPC",
                "ConsortTransport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                "ConsortSpec",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConsortPKITests",
            dependencies: [
                "ConsortPKI",
                "ConsortTesting",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConsortSpecTests",
            dependencies: [
                "ConsortSpec",
                "ConsortPKI",
                "ConsortQuery",
                "ConsortTesting",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConsortAuditTests",
            dependencies: [
                "ConsortAudit",
                "ConsortPKI",
                "ConsortSpec",
                "ConsortTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConsortMPCTests",
            dependencies: ["ConsortMPC", "ConsortTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConsortQueryTests",
            dependencies: [
                "ConsortQuery",
                "ConsortSpec",
                "ConsortMPC",
                "ConsortTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConsortTransportTests",
            dependencies: [
                "ConsortTransport",
                "ConsortMPC",
                "ConsortPKI",
                "ConsortTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConsortClientTests",
            dependencies: [
                "ConsortAudit",
                "ConsortClient",
                "ConsortMPC",
                "ConsortPKI",
                "ConsortQuery",
                "ConsortSpec",
                "ConsortTesting",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConsortNodeTests",
            dependencies: [
                "ConsortNode",
                "ConsortClient",
                "ConsortTransport",
                "ConsortAudit",
                "ConsortQuery",
                "ConsortSpec",
                "ConsortMPC",
                "ConsortPKI",
                "ConsortTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
