// swift-tools-version:6.0
import PackageDescription

// `Future.Output` may be noncopyable (an operation hands its buffer back with its result), which
// needs suppressed associated types; the feature is only needed where the protocol is declared.
let coreSettings: [SwiftSetting] = [
    .enableExperimentalFeature("SuppressedAssociatedTypes"),
]

let package = Package(
    name: "Quiesce",
    products: [
        .library(name: "Quiesce", targets: ["Quiesce"]),
    ],
    targets: [
        // Thin C wrappers over the system's liburing (Debian: liburing-dev).
        .target(
            name: "CQuiesceUring",
            linkerSettings: [.linkedLibrary("uring")]
        ),
        .target(
            name: "Quiesce",
            dependencies: ["CQuiesceUring"],
            swiftSettings: coreSettings
        ),
        .testTarget(
            name: "QuiesceTests",
            dependencies: ["Quiesce"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
