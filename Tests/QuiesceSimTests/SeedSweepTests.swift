import XCTest
import Glibc
@testable import Quiesce

/// Runs seeded random workloads on the simulated driver and checks every invariant on each seed.
///
/// `QUIESCE_SEEDS=N` sets how many seeds (default 10,000); `QUIESCE_SEED=S` replays exactly one,
/// printing what it exercised. A failing seed prints the command that replays it.
final class SeedSweepTests: XCTestCase {
    static let defaultSeeds = 10_000

    func testSeededWorkloadsKeepEveryInvariant() {
        let environment = ProcessInfo.processInfo.environment
        let seeds: [UInt64]
        if let one = environment["QUIESCE_SEED"].flatMap({ UInt64($0) }) {
            seeds = [one]
        } else {
            let count = environment["QUIESCE_SEEDS"].flatMap { Int($0) } ?? Self.defaultSeeds
            seeds = (0..<UInt64(max(count, 1))).map { $0 }
        }
        var failures = 0
        var caught: [String: Int] = [:]
        var clock = timespec()
        clock_gettime(CLOCK_MONOTONIC, &clock)
        let start = Double(clock.tv_sec) + Double(clock.tv_nsec) / 1e9
        for seed in seeds {
            SeedReporter.running(seed)
            var run = SeedRun(seed: seed)
            run.run()
            SeedReporter.done()
            if seeds.count == 1 { print("seed \(seed): \(run.summary)") }
            guard !run.violations.isEmpty else { continue }
            failures += 1
            for (name, n) in run.caught { caught[name, default: 0] += n }
            if failures <= 5 {
                XCTFail("seed \(seed) broke an invariant; replay: make replay SEED=\(seed)\n  " + run.violations.joined(separator: "\n  "))
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &clock)
        let elapsed = Double(clock.tv_sec) + Double(clock.tv_nsec) / 1e9 - start
        print("quiesce-sim: \(seeds.count) seed(s) in \(String(format: "%.1f", elapsed)) s, \(failures) failing" +
              (caught.isEmpty ? "" : "; caught: \(caught.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))"))
    }
}
