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

        // Takes `newValue`'s bytes into the value's own memory when that is unshared and at most
        // about twice as large as needed (a small value does not pin a large one's memory).
        mutating func replace(with newValue: ArraySlice<UInt8>, expiresAt: Int64?) {
            self.expiresAt = expiresAt
            if value.capacity <= Swift.max(64, 2 * newValue.count) {
                value.removeAll(keepingCapacity: true)
                value.append(contentsOf: newValue)
            } else {
                value = Array(newValue)
            }
        }
    }

    // SAFETY (unchecked exclusivity, both tables): the store is confined to the executor's thread,
    // and no access to a table lasts across a call out of the store except `updateLive(_:_:)`'s
    // body, which changes one entry and must not touch the store: no two accesses overlap.
    @exclusivity(unchecked) private var entries: [StoreKey: Entry] = [:]
    // Keys that carry an expiry, so the active sweep does not walk the whole keyspace.
    @exclusivity(unchecked) private var volatile: Set<StoreKey> = []

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

    /// What `body` makes of the live entry for `key`, changed in place (neither copied nor moved
    /// out of the keyspace), or `nil` when there is none (an expired entry is removed first).
    /// `body` must not touch the store.
    func updateLive<R>(_ key: ArraySlice<UInt8>, _ body: (inout Entry) -> R) -> R? {
        let lookup = StoreKey(borrowing: key)
        guard let index = entries.index(forKey: lookup) else { return nil }
        var expired = false
        let result: R? = Self.update(&entries.values[index]) { entry in
            if let expiresAt = entry.expiresAt, expiresAt <= clock() {
                expired = true
                return nil
            }
            return body(&entry)
        }
        if expired { remove(lookup) }
        return result
    }

    // Runs `body` on `entry` where it lies (one access to the table).
    @inline(__always)
    private static func update<R>(_ entry: inout Entry, _ body: (inout Entry) -> R) -> R { body(&entry) }

    /// The live entry for `key`, removing it first if it has expired.
    public func entry(_ key: ArraySlice<UInt8>) -> Entry? {
        let lookup = StoreKey(borrowing: key)
        guard let entry = entries[lookup] else { return nil }
        if let expiresAt = entry.expiresAt, expiresAt <= clock() {
            remove(lookup)
            return nil
        }
        return entry
    }

    /// The live entry for `key`, removing it first if it has expired.
    public func entry(_ key: [UInt8]) -> Entry? { entry(key[...]) }

    /// The live value for `key`.
    public func get(_ key: ArraySlice<UInt8>) -> [UInt8]? { entry(key)?.value }

    /// The live value for `key`.
    public func get(_ key: [UInt8]) -> [UInt8]? { get(key[...]) }

    /// Stores `value` under `key`, replacing any previous value and expiry.
    ///
    /// A key already present keeps its entry, and its value's memory when that is at most about
    /// twice what the new value needs: overwriting a key copies the value's bytes and nothing else.
    public func set(_ key: ArraySlice<UInt8>, _ value: ArraySlice<UInt8>, expiresAt: Int64? = nil) {
        let lookup = StoreKey(borrowing: key)
        if let index = entries.index(forKey: lookup) {
            entries.values[index].replace(with: value, expiresAt: expiresAt)
        } else {
            entries[StoreKey(owning: key)] = Entry(value: Array(value), expiresAt: expiresAt)
        }
        if expiresAt != nil {
            if !volatile.contains(lookup) { volatile.insert(StoreKey(owning: key)) }
        } else if !volatile.isEmpty {
            volatile.remove(lookup)
        }
    }

    /// Stores `value` under `key`, replacing any previous value and expiry.
    public func set(_ key: [UInt8], _ value: [UInt8], expiresAt: Int64? = nil) {
        set(key[...], value[...], expiresAt: expiresAt)
    }

    /// Removes `key`; `true` if a live key was removed.
    @discardableResult
    public func delete(_ key: ArraySlice<UInt8>) -> Bool {
        guard entry(key) != nil else { return false }
        remove(StoreKey(borrowing: key))
        return true
    }

    /// Removes `key`; `true` if a live key was removed.
    @discardableResult
    public func delete(_ key: [UInt8]) -> Bool { delete(key[...]) }

    /// `true` when `key` holds a live value.
    public func exists(_ key: ArraySlice<UInt8>) -> Bool { entry(key) != nil }

    /// `true` when `key` holds a live value.
    public func exists(_ key: [UInt8]) -> Bool { exists(key[...]) }

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
        var expired: [StoreKey] = []
        for key in volatile {
            if let at = entries[key]?.expiresAt, at > now { continue }
            expired.append(key)
            if expired.count >= limit { break }
        }
        for key in expired { remove(key) }
        return expired.count
    }

    private func remove(_ key: StoreKey) {
        entries.removeValue(forKey: key)
        volatile.remove(key)
    }
}
