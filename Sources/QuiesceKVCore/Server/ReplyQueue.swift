/// Reply bytes waiting to be sent, first in first out, in one ring of memory.
///
/// Bytes taken from the front free their space for the bytes appended next, so the ring's size
/// follows the most bytes ever queued at once (it doubles when an append does not fit: at most
/// twice that), never the length of the stream that has passed through. A client that keeps a
/// connection's queue from emptying (pipelining while it reads) costs no more than one that lets
/// it empty.
struct ReplyQueue {
    private var ring: [UInt8] = []
    private var head = 0
    /// Bytes queued.
    private(set) var count = 0

    /// Bytes of memory the ring takes.
    var capacity: Int { ring.count }

    /// Appends `bytes` at the back, growing the ring if they do not fit.
    mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        if count + bytes.count > ring.count { grow(toHold: count + bytes.count) }
        var tail = head + count
        if tail >= ring.count { tail -= ring.count }
        let first = Swift.min(bytes.count, ring.count - tail)
        ring.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
                target.baseAddress!.advanced(by: tail).copyMemory(from: source.baseAddress!, byteCount: first)
                if first < source.count {
                    target.baseAddress!.copyMemory(from: source.baseAddress!.advanced(by: first),
                                                   byteCount: source.count - first)
                }
            }
        }
        count += bytes.count
    }

    /// Moves up to `target.count` bytes from the front into `target`; returns how many.
    mutating func take(into target: UnsafeMutableRawBufferPointer) -> Int {
        let n = Swift.min(count, target.count)
        guard n > 0 else { return 0 }
        let first = Swift.min(n, ring.count - head)
        ring.withUnsafeBytes { source in
            target.baseAddress!.copyMemory(from: source.baseAddress!.advanced(by: head), byteCount: first)
            if first < n {
                target.baseAddress!.advanced(by: first).copyMemory(from: source.baseAddress!, byteCount: n - first)
            }
        }
        head += n
        if head >= ring.count { head -= ring.count }
        count -= n
        if count == 0 { head = 0 }
        return n
    }

    /// Empties the queue. The ring is kept for the next replies when it takes at most `limit`
    /// bytes, and released otherwise (one huge reply does not pin its memory to the connection).
    mutating func removeAll(keepingCapacityUpTo limit: Int) {
        count = 0
        head = 0
        if ring.count > limit { ring = [] }
    }

    // Moves the queued bytes, in order, to the front of a new ring: twice the size, or the power of
    // two (from 4 KB) that holds `needed`.
    private mutating func grow(toHold needed: Int) {
        var size = Swift.max(ring.count * 2, 4096)
        while size < needed { size *= 2 }
        var bigger = [UInt8](repeating: 0, count: size)
        let queued = count
        bigger.withUnsafeMutableBytes { target in _ = take(into: target) }
        ring = bigger
        head = 0
        count = queued
    }
}
