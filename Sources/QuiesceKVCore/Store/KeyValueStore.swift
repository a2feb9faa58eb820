#if canImport(Glibc)
import Glibc
#endif

/// The keyspace: byte-string keys to byte-string values, each with an optional absolute expiry.
///
/// Expiry is lazy (an expired key is removed when touched) plus active (``sweepExpired(now:limit:)``,
/// run periodically by the server), as in Redis. Times are Unix milliseconds, so an expiry written
/// to the AOF means the same instant after a restart.
public final class KeyValueStore {
    /// One value and its expiry.
    public struct Entry: Equatable, Sendable {
        /// The value's bytes.
        public var value: [UInt8]
        /// When the key expires (Unix ms), or `nil` for never.
        public var expiresAt: Int64?
    }

    private var entries: [[UInt8]: Entry] = [:]
    // Keys that carry an expiry, so the active sweep does not walk the whole keyspace.
    private var volatile: Set<[UInt8]> = []

    /// The clock, in Unix milliseconds (injectable for tests).
    public let clock: () -> Int64

    /// An empty store reading time from `clock` (default: the wall clock).
    public init(clock: @escaping () -> Int64 = KeyValueStore.wallClockMilliseconds) {
        self.clock = clock
    }

    /// The current Unix time in milliseconds.
    public static func wallClockMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// The live entry for `key`, removing it first if it has expired.
    public func entry(_ key: [UInt8]) -> Entry? {
        guard let entry = entries[key] else { return nil }
        if let expiresAt = entry.expiresAt, expiresAt <= clock() {
            remove(key)
            return nil
        }
        return entry
    }

    /// The live value for `key`.
    public func get(_ key: [UInt8]) -> [UInt8]? { entry(key)?.value }

    /// Stores `value` under `key`, replacing any previous value and expiry.
    public func set(_ key: [UInt8], _ value: [UInt8], expiresAt: Int64? = nil) {
        entries[key] = Entry(value: value, expiresAt: expiresAt)
        if expiresAt != nil { volatile.insert(key) } else if !volatile.isEmpty { volatile.remove(key) }
    }

    /// Removes `key`; `true` if a live key was removed.
    @discardableResult
    public func delete(_ key: [UInt8]) -> Bool {
        guard entry(key) != nil else { return false }
        remove(key)
        return true
    }

    /// `true` when `key` holds a live value.
    public func exists(_ key: [UInt8]) -> Bool { entry(key) != nil }

    /// The number of live keys (expired ones are swept first).
    public var count: Int {
        sweepExpired(now: clock(), limit: .max)
        return entries.count
    }

    /// Keys with an expiry that have not been swept yet.
    public var volatileCount: Int { volatile.count }

    /// Removes every key.
    public func removeAll() {
        entries.removeAll()
        volatile.removeAll()
    }

    /// Removes up to `limit` expired keys; returns how many were removed.
    @discardableResult
    public func sweepExpired(now: Int64, limit: Int) -> Int {
        guard !volatile.isEmpty else { return 0 }
        var expired: [[UInt8]] = []
        for key in volatile {
            if let at = entries[key]?.expiresAt, at > now { continue }
            expired.append(key)
            if expired.count >= limit { break }
        }
        for key in expired { remove(key) }
        return expired.count
    }

    private func remove(_ key: [UInt8]) {
        entries.removeValue(forKey: key)
        volatile.remove(key)
    }
}
