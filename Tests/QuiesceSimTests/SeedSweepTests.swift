import XCTest
import Glibc
@testable import Quiesce
@testable import QuiesceSimulation

/// Runs seeded random workloads on the simulated driver and checks every invariant on each seed.
///
/// `QUIESCE_SEEDS=N` sets how many seeds (default 20,000); `QUIESCE_SEED=S` replays exactly one,
/// printing what it exercised. A failing seed prints the command that replays it.
final class SeedSweepTests: XCTestCase {
    static let defaultSeeds = 20_000

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
        var total = SimStatistics()
        var orphans = 0
        var composed: [String: Int] = [:]
        var clock = timespec()
        clock_gettime(CLOCK_MONOTONIC, &clock)
        let start = Double(clock.tv_sec) + Double(clock.tv_nsec) / 1e9
        for seed in seeds {
            SeedReporter.running(seed)
            var run = SeedRun(seed: seed)
            run.trace = seeds.count == 1 && environment["QUIESCE_TRACE"] != nil
            run.run()
            SeedReporter.done()
            total.add(run.statistics)
            orphans += run.opsOrphaned
            for (kind, n) in run.composed { composed[kind, default: 0] += n }
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
        print("quiesce-sim: exercised \(total.prepared) operations, \(orphans) orphaned; cancels \(total.cancelsPrepared) (0: \(total.cancelsSucceeded), ENOENT: \(total.cancelsTooLate), EALREADY: \(total.cancelsAlready)); SQ full \(total.queueFullRejections), short \(total.shortTransfers), EAGAIN \(total.eagains), EINTR \(total.eintrs), ENOMEM \(total.enomems), ECONNRESET \(total.connectionResets), fds closed by driver \(total.descriptorsClosedByDriver); multishot elements \(total.multishotElements), kernel ends \(total.multishotEnds), cancel races \(total.multishotCancelRaces), ENOBUFS \(total.enobufs), zero-copy notifications \(total.zeroCopyNotifications) (before the result \(total.zeroCopyNotificationsFirst)), link timeouts fired \(total.linkTimeoutsFired) / cancelled \(total.linkTimeoutsCancelled)")
        print("quiesce-sim: composed futures \(composed.filter { !$0.key.hasPrefix("op.") && !$0.key.hasPrefix("release.") }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))")
        let plain = PlainOpNode.Kind.names.map { name in
            (name, ready: composed["op.\(name).ready", default: 0], dropped: composed["op.\(name).dropped", default: 0],
             orphaned: composed["op.\(name).orphaned", default: 0], cancelled: total.cancelled(plainKind: name))
        }
        print("quiesce-sim: plain operations (ready/async-dropped in flight/orphaned/cancelled by the kernel) " +
              plain.map { "\($0.0) \($0.ready)/\($0.dropped)/\($0.orphaned)/\($0.cancelled)" }.joined(separator: ", ") +
              "; registered resources released " + ["buffers", "files"].map { r in
                  ["async", "sync", "inUse"].map { "\(r).\($0)=\(composed["release.\(r).\($0)", default: 0])" }.joined(separator: " ")
              }.joined(separator: ", "))
        // The sweep must actually exercise the races it claims to (a sweep that never cancels proves nothing).
        if seeds.count >= 1_000 {
            for kind in ["then", "loop", "finally", "set"] {
                XCTAssertGreaterThan(composed["\(kind).completed", default: 0], 0, "no \(kind) completed")
                XCTAssertGreaterThan(composed["\(kind).dropped", default: 0], 0, "no \(kind) was dropped before completing")
            }
            XCTAssertGreaterThan(total.cancelsSucceeded, 0)
            XCTAssertGreaterThan(total.cancelsTooLate, 0)
            XCTAssertGreaterThan(total.cancelsAlready, 0)
            XCTAssertGreaterThan(total.queueFullRejections, 0)
            XCTAssertGreaterThan(total.descriptorsClosedByDriver, 0)
            XCTAssertGreaterThan(orphans, 0)
            XCTAssertGreaterThan(composed["multishot.completed", default: 0], 0, "no multishot stream completed")
            XCTAssertGreaterThan(composed["multishot.dropped", default: 0], 0, "no multishot stream was dropped while armed")
            XCTAssertGreaterThan(total.multishotElements, 0, "no multishot element")
            XCTAssertGreaterThan(total.multishotEnds, 0, "the kernel never ended a multishot operation on its own")
            XCTAssertGreaterThan(total.multishotCancelRaces, 0, "no multishot element raced its cancel")
            XCTAssertGreaterThan(total.enobufs, 0, "no provided-buffer ring ran dry")
            XCTAssertGreaterThan(total.zeroCopyNotifications, 0, "no zero-copy send was notified")
            XCTAssertGreaterThan(total.zeroCopyNotificationsFirst, 0, "no zero-copy notification came before its result")
            XCTAssertGreaterThan(total.linkTimeoutsFired, 0, "no link timeout fired")
            XCTAssertGreaterThan(total.linkTimeoutsCancelled, 0, "no link timeout was cancelled by its operation")
            // Each plain operation kind ran, was dropped asynchronously and synchronously while in
            // flight, and was cancelled by the kernel.
            for kind in plain {
                XCTAssertGreaterThan(kind.ready, 0, "no \(kind.0) completed")
                XCTAssertGreaterThan(kind.dropped, 0, "no \(kind.0) was dropped asynchronously while in flight")
                XCTAssertGreaterThan(kind.orphaned, 0, "no \(kind.0) was dropped synchronously while in flight")
                XCTAssertGreaterThan(kind.cancelled, 0, "no \(kind.0) was cancelled by the kernel while in flight")
            }
            for resource in ["buffers", "files"] {
                for way in ["async", "sync", "inUse"] {
                    XCTAssertGreaterThan(composed["release.\(resource).\(way)", default: 0], 0, "registered \(resource) never released (\(way))")
                }
            }
        }
    }
}

extension SimStatistics {
    mutating func add(_ other: SimStatistics) {
        prepared += other.prepared; cancelsPrepared += other.cancelsPrepared
        queueFullRejections += other.queueFullRejections; cancelsSucceeded += other.cancelsSucceeded
        cancelsTooLate += other.cancelsTooLate; cancelsAlready += other.cancelsAlready
        shortTransfers += other.shortTransfers; eagains += other.eagains; eintrs += other.eintrs
        enomems += other.enomems; connectionResets += other.connectionResets
        descriptorsClosedByDriver += other.descriptorsClosedByDriver
        multishotElements += other.multishotElements; multishotEnds += other.multishotEnds
        multishotCancelRaces += other.multishotCancelRaces; enobufs += other.enobufs
        zeroCopyNotifications += other.zeroCopyNotifications
        zeroCopyNotificationsFirst += other.zeroCopyNotificationsFirst
        linkTimeoutsFired += other.linkTimeoutsFired; linkTimeoutsCancelled += other.linkTimeoutsCancelled
        cancelledByName.merge(other.cancelledByName, uniquingKeysWith: +)
    }

    /// Operations of a ``PlainOpNode`` kind the kernel cancelled in flight: the simulation names a
    /// fixed read or write, and an operation on the registered file table, apart.
    func cancelled(plainKind kind: String) -> Int {
        let names: [String]
        switch kind {
        case "read_fixed", "write_fixed": names = [kind, kind + " (registered file)"]
        case "registered_file": names = ["read (registered file)", "write (registered file)"]
        default: names = [kind]
        }
        return names.reduce(0) { $0 + cancelledByName[$1, default: 0] }
    }
}
