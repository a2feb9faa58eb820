/// The byte handling an owned buffer shares, whoever owns its memory (``IOBuffer``, ``FixedBuffer``):
/// `capacity` bytes at `base`, the first `count` valid.
@safe
struct ByteRegion {
    // SAFETY: built by a buffer from its own memory for the length of one call: `base` points to
    // `capacity` bytes the buffer owns, and `count` is within `0...capacity`.
    let base: UnsafeMutableRawPointer
    let capacity: Int

    /// Appends as many of `bytes` as fit behind the `count` valid bytes, advancing `count`; returns
    /// how many. Contiguous collections are copied with one memory copy, others byte by byte.
    func append<Bytes: Collection>(_ bytes: Bytes, count: inout Int) -> Int where Bytes.Element == UInt8 {
        let start = count, room = capacity - count
        let copied = bytes.withContiguousStorageIfAvailable { source -> Int in
            let n = Swift.min(source.count, room)
            if n > 0 { unsafe (base + start).copyMemory(from: source.baseAddress!, byteCount: n) }
            return n
        }
        if let copied {
            count += copied
            return copied
        }
        var written = 0
        for byte in bytes {
            guard count < capacity else { break }
            unsafe base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
            count += 1
            written += 1
        }
        return written
    }

    /// Lends the whole capacity to `body` with the count of valid bytes to update, clamped to the
    /// capacity afterwards.
    func withMutableBytes<R, E: Error>(count: inout Int, _ body: (UnsafeMutableRawBufferPointer, inout Int) throws(E) -> R) throws(E) -> R {
        var newCount = count
        defer { count = Swift.min(Swift.max(newCount, 0), capacity) }
        return unsafe try body(UnsafeMutableRawBufferPointer(start: base, count: capacity), &newCount)
    }
}
