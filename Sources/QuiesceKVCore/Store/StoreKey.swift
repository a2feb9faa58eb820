#if canImport(Glibc)
import Glibc
#endif

/// A key of the keyspace: its bytes, as a slice.
///
/// A key stored in the keyspace owns its bytes (``init(owning:)``); a key made only to look one up
/// borrows them (``init(borrowing:)``, e.g. a slice of the request that names it), so a lookup
/// copies nothing. Keys are equal when their bytes are, and hash by their bytes alone.
struct StoreKey: Hashable {
    /// The key's bytes.
    let bytes: ArraySlice<UInt8>

    /// A key to look up, over `bytes` as they are (shared, not copied): never stored.
    init(borrowing bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
    }

    /// A key to store: a copy of `bytes` in an array of its own, so it pins no larger buffer.
    init(owning bytes: ArraySlice<UInt8>) {
        self.bytes = ArraySlice(Array(bytes))
    }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (lhs: StoreKey, rhs: StoreKey) -> Bool {
        guard lhs.bytes.count == rhs.bytes.count else { return false }
        // SAFETY: both regions are `count` bytes long and alive for the closures' duration.
        return lhs.bytes.withUnsafeBytes { l in
            rhs.bytes.withUnsafeBytes { r in
                if l.isEmpty { return true }
                return unsafe memcmp(l.baseAddress!, r.baseAddress!, l.count) == 0
            }
        }
    }
}
