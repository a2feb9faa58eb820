import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// A ring as it was set up: its sizes, the `IORING_SETUP_*` flags in effect, the flags asked for
/// that the kernel refused, and why (see ``RingOptions``).
///
/// ```swift
/// let backend = try UringBackend(options: RingOptions())
/// print(backend.setup)  // SINGLE_ISSUER|DEFER_TASKRUN|TASKRUN_FLAG, 256 submission and 512 completion entries
/// ```
public struct UringSetup: Sendable, Equatable, CustomStringConvertible {
    /// The `IORING_SETUP_*` flags in effect.
    public let flags: UInt32
    /// The flags asked for that are not in effect: refused by the kernel, or left out with a flag
    /// they need.
    public let refused: UInt32
    /// Submission queue entries, as the kernel sized the queue.
    public let submissionEntries: UInt32
    /// Completion queue entries, as the kernel sized the queue.
    public let completionEntries: UInt32
    /// Why each option asked for is not in effect, one line each; empty when everything asked for is.
    public let notes: [String]

    /// `IORING_SETUP_SINGLE_ISSUER` is in effect: only the creating thread may submit.
    public var singleIssuer: Bool { flags & UInt32(IORING_SETUP_SINGLE_ISSUER) != 0 }
    /// `IORING_SETUP_DEFER_TASKRUN` is in effect: completions are posted when the ring's thread
    /// enters the kernel for them.
    public var deferTaskrun: Bool { flags & UInt32(IORING_SETUP_DEFER_TASKRUN) != 0 }
    /// `IORING_SETUP_COOP_TASKRUN` is in effect.
    public var coopTaskrun: Bool { flags & UInt32(IORING_SETUP_COOP_TASKRUN) != 0 }
    /// `IORING_SETUP_SQPOLL` is in effect: a kernel thread takes the submissions.
    public var sqpoll: Bool { flags & UInt32(IORING_SETUP_SQPOLL) != 0 }

    /// The setup flags the ring has, as the kernel reports them, with what was refused on the way.
    init(flags: UInt32, refused: UInt32, submissionEntries: UInt32, completionEntries: UInt32, notes: [String]) {
        self.flags = flags
        self.refused = refused
        self.submissionEntries = submissionEntries
        self.completionEntries = completionEntries
        self.notes = notes
    }

    /// `SINGLE_ISSUER|DEFER_TASKRUN|TASKRUN_FLAG, 256 submission and 512 completion entries`, then
    /// what was refused and why.
    public var description: String {
        var text = "\(UringSetup.names(flags)), \(submissionEntries) submission and \(completionEntries) completion entries"
        if !notes.isEmpty { text += "; " + notes.joined(separator: "; ") }
        return text
    }

    /// The note an executor reports when flags asked for were refused (`nil` when none was).
    public var fallbackDiagnostic: Diagnostic? {
        guard refused != 0 else { return nil }
        return Diagnostic(.ringSetupFallback,
            "io_uring set up without \(UringSetup.names(refused)) (\(notes.joined(separator: "; "))); in effect: \(UringSetup.names(flags))")
    }

    /// `flags` by name (`SINGLE_ISSUER|DEFER_TASKRUN`), unknown bits in hex; `no flags` for 0.
    public static func names(_ flags: UInt32) -> String {
        var parts: [String] = []
        var rest = flags
        for (bit, name) in known where flags & bit != 0 {
            parts.append(name)
            rest &= ~bit
        }
        if rest != 0 { parts.append("0x" + String(rest, radix: 16)) }
        return parts.isEmpty ? "no flags" : parts.joined(separator: "|")
    }

    private static let known: [(UInt32, String)] = [
        (UInt32(IORING_SETUP_SQPOLL), "SQPOLL"), (UInt32(IORING_SETUP_CQSIZE), "CQSIZE"),
        (UInt32(IORING_SETUP_SINGLE_ISSUER), "SINGLE_ISSUER"), (UInt32(IORING_SETUP_DEFER_TASKRUN), "DEFER_TASKRUN"),
        (UInt32(IORING_SETUP_COOP_TASKRUN), "COOP_TASKRUN"), (UInt32(IORING_SETUP_TASKRUN_FLAG), "TASKRUN_FLAG"),
    ]

    // MARK: Falling back

    /// The order flags are given up in when the kernel answers EINVAL: the newest first.
    private static let fallbackOrder: [UInt32] = [
        UInt32(IORING_SETUP_DEFER_TASKRUN), UInt32(IORING_SETUP_SINGLE_ISSUER), UInt32(IORING_SETUP_COOP_TASKRUN),
        UInt32(IORING_SETUP_TASKRUN_FLAG), UInt32(IORING_SETUP_SQPOLL),
    ]

    /// Sets a ring up with `requested` flags, giving up the ones the kernel refuses: on EINVAL the
    /// newest flag left (an older kernel does not know it), on EPERM `SQPOLL` (privileged before
    /// Linux 5.11), with any flag that needs the one given up; then tries again. `attempt` makes one
    /// setup with the flags it is given and answers its result (`-errno` on failure). Returns the
    /// last attempt's result, the flags it used, the flags given up and a note for each.
    static func negotiate(requested: UInt32, attempt: (UInt32) -> Int32) -> (rc: Int32, flags: UInt32, refused: UInt32, notes: [String]) {
        var flags = requested
        var refused: UInt32 = 0
        var notes: [String] = []
        while true {
            let rc = attempt(flags)
            guard rc < 0, let drop = flagToGiveUp(flags, errno: -rc) else { return (rc, flags, refused, notes) }
            flags &= ~drop
            refused |= drop
            notes.append("\(names(drop)) refused (\(IOError(errno: -rc, operation: "").name)): \(why(drop, errno: -rc))")
            for (flag, needs) in prerequisites where flags & flag != 0 && flags & needs == 0 {
                flags &= ~flag
                refused |= flag
                notes.append("\(names(flag)) left out with \(names(drop))")
            }
        }
    }

    /// Flags the kernel accepts only with one of the others: `DEFER_TASKRUN` needs
    /// `SINGLE_ISSUER`, `TASKRUN_FLAG` needs `DEFER_TASKRUN` or `COOP_TASKRUN`.
    private static let prerequisites: [(flag: UInt32, needs: UInt32)] = [
        (UInt32(IORING_SETUP_DEFER_TASKRUN), UInt32(IORING_SETUP_SINGLE_ISSUER)),
        (UInt32(IORING_SETUP_TASKRUN_FLAG), UInt32(IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN)),
    ]

    /// The flag to give up after a setup failed with `errno`; `nil` when giving one up cannot help.
    private static func flagToGiveUp(_ flags: UInt32, errno: Int32) -> UInt32? {
        switch errno {
        case EINVAL: return fallbackOrder.first { flags & $0 != 0 }
        case EPERM: return flags & UInt32(IORING_SETUP_SQPOLL) != 0 ? UInt32(IORING_SETUP_SQPOLL) : nil
        default: return nil
        }
    }

    private static func why(_ flag: UInt32, errno: Int32) -> String {
        switch flag {
        case UInt32(IORING_SETUP_DEFER_TASKRUN): return "needs Linux 6.1"
        case UInt32(IORING_SETUP_SINGLE_ISSUER): return "needs Linux 6.0"
        case UInt32(IORING_SETUP_COOP_TASKRUN), UInt32(IORING_SETUP_TASKRUN_FLAG): return "needs Linux 5.19"
        case UInt32(IORING_SETUP_SQPOLL) where errno == EPERM: return "needs CAP_SYS_ADMIN before Linux 5.11"
        default: return "this kernel does not take it"
        }
    }
}
