#if canImport(Glibc)
import Glibc
#endif
import CRawRing
import Quiesce

/// How a raw C reference loop sets up its ring: IORING_SETUP_* flags and, for the echo server,
/// whether one multishot accept takes every connection.
struct RingSetup {
    var flags: UInt32
    var multishotAccept: Bool

    /// The references' setup: a ring used only by the thread that created it, whose completions'
    /// task work runs when that thread waits for completions (IORING_ENTER_GETEVENTS) instead of
    /// interrupting it, and one multishot accept.
    static let best = RingSetup(flags: UInt32(CRR_SETUP_SINGLE_ISSUER | CRR_SETUP_DEFER_TASKRUN), multishotAccept: true)
    /// The loop as Quiesce's ring was first set up: no flags, one accept per connection.
    static let plain = RingSetup(flags: 0, multishotAccept: false)

    /// Every setup `--pair rawsetups` compares for the echo and NOP references.
    static let candidates: [RingSetup] = [
        plain,
        RingSetup(flags: 0, multishotAccept: true),
        RingSetup(flags: UInt32(CRR_SETUP_COOP_TASKRUN), multishotAccept: true),
        RingSetup(flags: UInt32(CRR_SETUP_COOP_TASKRUN | CRR_SETUP_TASKRUN_FLAG), multishotAccept: true),
        RingSetup(flags: UInt32(CRR_SETUP_SINGLE_ISSUER), multishotAccept: true),
        RingSetup(flags: UInt32(CRR_SETUP_SINGLE_ISSUER | CRR_SETUP_COOP_TASKRUN), multishotAccept: true),
        best,
        RingSetup(flags: UInt32(CRR_SETUP_SINGLE_ISSUER | CRR_SETUP_DEFER_TASKRUN | CRR_SETUP_TASKRUN_FLAG), multishotAccept: true),
    ]

    /// The flags by name ("SINGLE_ISSUER|DEFER_TASKRUN", "flags 0").
    var flagNames: String { RingSetup.names(flags) }

    /// Flags and accept, as the report prints them.
    var description: String { flagNames + (multishotAccept ? ", multishot accept" : ", one accept per connection") }

    /// `flags` by name, as the library names them (``UringSetup/names(_:)``); "flags 0" for none.
    static func names(_ flags: UInt32) -> String { flags == 0 ? "flags 0" : UringSetup.names(flags) }

    /// The setup flags of the ring the Quiesce library set up most recently in this process (seen
    /// by the harness's liburing probe), by name; nil when none was seen.
    static func lastLibraryFlags() -> String? {
        var flags: UInt32 = 0
        return unsafe crr_last_ring_flags(&flags) != 0 ? names(flags) : nil
    }
}

extension NopBench {
    /// The raw liburing NOP loop on a ring set up as `setup` says (its accept choice does not apply).
    static func raw(_ config: Config, setup: RingSetup, inFlight: Int, total: Int) -> Double {
        let count = (total / inFlight) * inFlight
        let elapsed = crr_nop_setup(config.entries, setup.flags, UInt32(inFlight), UInt64(count))
        if elapsed < 0 { fail("raw nop loop (\(setup.flagNames)): errno \(-elapsed)") }
        return Double(count) / (Double(elapsed) / 1e9)
    }
}

extension RingSetup {
    /// `--pair rawsetups`: every candidate setup of the raw C NOP and echo loops, interleaved,
    /// `config.repetitions` times. Prints each one's median rate and the median CPU time its loop's
    /// thread spent per operation or message (the echo's load generator, on its own thread, not
    /// counted): on a busy machine the CPU time tells setups apart where the rates drown in noise.
    static func compareCandidates(_ config: Config) {
        let kinds = ["nop1", "nop32", "echo50", "echo50x16"]
        var rates = [[Double]](repeating: [], count: candidates.count * kinds.count)
        var costs = rates
        for rep in 0..<config.repetitions {
            for k in 0..<candidates.count {
                let i = (k + rep) % candidates.count, setup = candidates[i]
                for (j, kind) in kinds.enumerated() {
                    let before = threadCPUNanos()
                    let rate: Double, count: Int
                    switch kind {
                    case "nop1":
                        rate = NopBench.raw(config, setup: setup, inFlight: 1, total: config.nopsAt1); count = config.nopsAt1
                    case "nop32":
                        rate = NopBench.raw(config, setup: setup, inFlight: 32, total: config.nopsBatched); count = config.nopsBatched
                    case "echo50":
                        rate = EchoBench.raw(config, setup: setup, connections: 50, messages: config.echoMessagesPerConnection50).messagesPerSecond
                        count = 50 * config.echoMessagesPerConnection50
                    default:
                        rate = EchoBench.raw(config, setup: setup, connections: 50, messages: config.echoMessagesPipelined, depth: 16).messagesPerSecond
                        count = 50 * config.echoMessagesPipelined
                    }
                    rates[i * kinds.count + j].append(rate)
                    costs[i * kinds.count + j].append(Double(threadCPUNanos() - before) / Double(count))
                }
            }
        }
        for (i, setup) in candidates.enumerated() {
            let parts = kinds.enumerated().map { j, kind in
                "\(kind) \(Format.human(Stats.median(rates[i * kinds.count + j]))) (\(Format.fixed(Stats.median(costs[i * kinds.count + j]), 0)) ns CPU)"
            }
            print("\(setup.description): " + parts.joined(separator: ", ") + " (medians of \(config.repetitions))")
        }
    }

}
