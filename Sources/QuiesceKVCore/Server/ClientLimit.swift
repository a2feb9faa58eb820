#if canImport(Glibc)
import Glibc
#endif

/// How many clients the descriptor limit (`RLIMIT_NOFILE`) leaves room for, as Redis computes its
/// `maxclients`: each client holds one descriptor, and ``reserved`` more are kept for the listener,
/// the ring, the AOF, the standard streams and connections being refused.
///
/// When the soft limit is too low for the requested clients it is raised toward the hard limit;
/// when even that is not enough, the client limit is lowered to what fits and a notice says so.
/// Clients beyond the limit are told `-ERR max number of clients reached` instead of waiting in the
/// listen backlog while accepting fails with EMFILE.
public enum ClientLimit {
    /// Descriptors kept for everything other than served clients (Redis' `CONFIG_MIN_RESERVED_FDS`).
    public static let reserved = 32

    /// The effective limit and, when it is lower than requested, a notice saying why.
    public struct Fit: Equatable, Sendable {
        /// Clients served at once.
        public var maxClients: Int
        /// What was adjusted, for the log (`nil`: the requested limit fits).
        public var notice: String?
    }

    /// The fit for `requested` clients under this process's `RLIMIT_NOFILE` (raising its soft limit
    /// when that is needed and allowed).
    public static func fit(requested: Int) throws(ServerError) -> Fit {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            return Fit(maxClients: requested, notice: nil)
        }
        return try fit(requested: requested, soft: UInt64(limit.rlim_cur), hard: UInt64(limit.rlim_max)) { wanted in
            var raised = limit
            raised.rlim_cur = rlim_t(wanted)
            return setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0
        }
    }

    /// The fit for `requested` clients under the limits `soft` and `hard`; `raise` sets the soft
    /// limit to its argument and says whether that worked.
    static func fit(requested: Int, soft: UInt64, hard: UInt64, raise: (UInt64) -> Bool) throws(ServerError) -> Fit {
        let needed = UInt64(requested) + UInt64(reserved)
        if soft >= needed { return Fit(maxClients: requested, notice: nil) }
        let target = Swift.min(needed, hard)
        var available = soft
        if target > soft && raise(target) { available = target }
        if available >= needed { return Fit(maxClients: requested, notice: nil) }
        guard available > UInt64(reserved) else {
            throw ServerError(description: "the descriptor limit (ulimit -n) of \(available) is too low: "
                              + "at least \(reserved + 1) are needed (\(reserved) in reserve and one per client)")
        }
        let fitting = Int(available) - reserved
        return Fit(maxClients: fitting, notice: "maxclients lowered from \(requested) to \(fitting): the descriptor "
                   + "limit (ulimit -n) is \(available) and \(reserved) descriptors are kept in reserve")
    }
}
