// swift-tools-version:6.2
import PackageDescription

// `Future.Output` may be noncopyable (an operation hands its buffer back with its result), which
// needs suppressed associated types; the feature is only needed where the protocol is declared.
let coreSettings: [SwiftSetting] = [
    .enableExperimentalFeature("SuppressedAssociatedTypes"),
    // The scope spawner is `~Escapable`: lent to a poll, it cannot be kept (needs lifetime annotations).
    .enableExperimentalFeature("Lifetimes"),
    // Strict memory safety (SE-0458): every use of a pointer, `Unmanaged`, `unowned(unsafe)` or
    // unchecked exclusivity is marked `unsafe`, and the code around it says why it holds.
    .strictMemorySafety(),
]

let package = Package(
    name: "Quiesce",
    products: [
        .library(name: "Quiesce", targets: ["Quiesce"]),
        .library(name: "QuiesceSimulation", targets: ["QuiesceSimulation"]),
        .executable(name: "QuiesceDemo", targets: ["QuiesceDemo"]),
        .executable(name: "QuiesceKV", targets: ["QuiesceKV"]),
        .executable(name: "QuiesceEcho", targets: ["QuiesceEcho"]),
        .executable(name: "QuiesceBench", targets: ["QuiesceBench"]),
    ],
    targets: [
        // Thin C wrappers over the system's liburing (Debian: liburing-dev).
        .target(
            name: "CQuiesceUring",
            linkerSettings: [.linkedLibrary("uring")]
        ),
        // The library: core model, drop glue, executor, the io_uring driver, operations.
        .target(
            name: "Quiesce",
            dependencies: ["CQuiesceUring"],
            swiftSettings: coreSettings
        ),
        // The simulated driver: a deterministic, in-memory kernel behind the same driver interface
        // (tests, seed sweeps), apart from the library as SwiftNIO ships NIOEmbedded apart from NIOPosix.
        .target(
            name: "QuiesceSimulation",
            dependencies: ["Quiesce", "CQuiesceUring"],
            swiftSettings: coreSettings
        ),
        // `make demo`: narrated io_uring cancellation demos.
        .executableTarget(
            name: "QuiesceDemo",
            dependencies: ["Quiesce"],
            swiftSettings: [.strictMemorySafety()]
        ),
        // Example service: a RESP (Redis protocol) key-value server embedding the executor.
        .target(
            name: "QuiesceKVCore",
            dependencies: ["Quiesce"]
        ),
        .executableTarget(
            name: "QuiesceKV",
            dependencies: ["QuiesceKVCore"]
        ),
        // Example: a TCP echo server on the executor; its connection, composed from combinators, is a
        // library of its own so the benchmark and the tests run the same code.
        .target(
            name: "QuiesceEchoCore",
            dependencies: ["Quiesce"],
            swiftSettings: [.strictMemorySafety()]
        ),
        .executableTarget(
            name: "QuiesceEcho",
            dependencies: ["Quiesce", "QuiesceEchoCore"],
            swiftSettings: [.strictMemorySafety()]
        ),
        // `make bench`: the benchmark harness and its raw-liburing reference loops in C.
        .target(
            name: "CRawRing",
            path: "Benchmarks/CRawRing",
            linkerSettings: [.linkedLibrary("uring")]
        ),
        .executableTarget(
            name: "QuiesceBench",
            dependencies: ["Quiesce", "QuiesceEchoCore", "QuiesceKVCore", "CRawRing"],
            path: "Benchmarks/QuiesceBench",
            swiftSettings: [.strictMemorySafety()]
        ),
        .testTarget(
            name: "QuiesceTests",
            dependencies: ["Quiesce", "QuiesceSimulation", "QuiesceEchoCore"]
        ),
        .testTarget(
            name: "QuiesceSimTests",
            dependencies: ["Quiesce", "QuiesceSimulation"]
        ),
        .testTarget(
            name: "QuiesceKVTests",
            dependencies: ["QuiesceKVCore", "Quiesce"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
