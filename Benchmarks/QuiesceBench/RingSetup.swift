import CRawRing

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

    /// `flags` by name: the setup flags this report knows, then any others in hex.
    static func names(_ flags: UInt32) -> String {
        let known: [(UInt32, String)] = [
            (UInt32(CRR_SETUP_SINGLE_ISSUER), "SINGLE_ISSUER"), (UInt32(CRR_SETUP_DEFER_TASKRUN), "DEFER_TASKRUN"),
            (UInt32(CRR_SETUP_COOP_TASKRUN), "COOP_TASKRUN"), (UInt32(CRR_SETUP_TASKRUN_FLAG), "TASKRUN_FLAG"),
        ]
        var parts: [String] = []
        var rest = flags
        for (bit, name) in known where flags & bit != 0 {
            parts.append(name)
            rest &= ~bit
        }
        if rest != 0 { parts.append("0x" + String(rest, radix: 16)) }
        return parts.isEmpty ? "flags 0" : parts.joined(separator: "|")
    }

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
