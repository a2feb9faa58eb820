import Quiesce

/// The check that no memory the kernel writes into is lent to two operations at once: a region an
/// operation's completion fills (a read's buffer, a readv's vectors, a received message's header,
/// a statx record) must not overlap any region another operation the kernel holds reads or writes.
/// A program that reuses such memory (a pooled header, a buffer handed out again) before the kernel
/// is done with it corrupts one of the two transfers, whoever frees the memory.
extension SimBackend {
    // SAFETY (for the whole extension): region addresses are only compared, never dereferenced.

    /// The address range covering every region `op` lends the kernel, and whether the kernel writes
    /// into any of them; `nil` for an operation that lends none. Computed once, when it is queued.
    static func memorySpan(_ op: SimOp) -> SimMemorySpan? {
        let written: Bool
        switch op.request {
        case .read, .recv, .more(.statx), .more(.readv), .more(.recvmsg): written = true
        default: written = false
        }
        guard case .more = op.request else {
            guard let region = unsafe op.region, let base = unsafe region.baseAddress, region.count > 0 else { return nil }
            return SimMemorySpan(low: UInt(bitPattern: base), high: UInt(bitPattern: base) + UInt(region.count), written: written)
        }
        var low = UInt.max, high = UInt(0)
        for unsafe region in unsafe touchedRegions(op) {
            guard let base = unsafe region.baseAddress else { continue }
            low = min(low, UInt(bitPattern: base))
            high = unsafe max(high, UInt(bitPattern: base) + UInt(region.count))
        }
        guard low < high else { return nil }
        return SimMemorySpan(low: low, high: high, written: written)
    }

    /// Records a violation when `op` (being queued) and an operation the kernel holds share memory
    /// that one of them has the kernel write.
    func checkSharedMemory(_ op: SimOp) {
        guard let span = op.span else { return }
        func check(_ other: SimOp) {
            guard let otherSpan = other.span, span.written || otherSpan.written,
                  span.low < otherSpan.high && otherSpan.low < span.high,
                  other.userData != op.userData, !freedRegions.contains(other.userData) else { return }
            let shared = unsafe Self.overlaps(Self.writtenRegions(op), Self.touchedRegions(other))
                || Self.overlaps(Self.writtenRegions(other), Self.touchedRegions(op))
            if shared {
                violation("memory lent to \(op.name) \(OpToken.decode(op.userData).token) while \(other.name) \(OpToken.decode(other.userData).token) still uses it")
            }
        }
        // Only the spans are read for the operations that cannot share memory with `op`.
        unsafe pending.withUnsafeBufferPointer { held in
            for i in unsafe held.indices {
                guard let otherSpan = unsafe held[i].span, span.written || otherSpan.written,
                      span.low < otherSpan.high && otherSpan.low < span.high else { continue }
                unsafe check(held[i])
            }
        }
        for submission in sq { if case .operation(let other) = submission { check(other) } }
    }

    /// Every region the kernel reads or writes for `op`.
    private static func touchedRegions(_ op: SimOp) -> [UnsafeMutableRawBufferPointer] {
        var regions = unsafe [UnsafeMutableRawBufferPointer]()
        if let region = unsafe op.region, region.count > 0 { unsafe regions.append(region) }
        if case .more(let request) = op.request { unsafe regions += request.watchedRegions.filter { unsafe $0.count > 0 } }
        return unsafe regions
    }

    /// The regions the kernel writes into for `op`.
    private static func writtenRegions(_ op: SimOp) -> [UnsafeMutableRawBufferPointer] {
        switch op.request {
        case .read, .recv, .more(.statx):
            return unsafe op.region.map { unsafe [$0] } ?? []
        case .more(.readv(_, _, let vectors)):
            return unsafe vectors
        case .more(.recvmsg):
            return unsafe touchedRegions(op)
        default:
            return unsafe []
        }
    }

    private static func overlaps(_ a: [UnsafeMutableRawBufferPointer], _ b: [UnsafeMutableRawBufferPointer]) -> Bool {
        for unsafe x in unsafe a {
            guard let xBase = unsafe x.baseAddress, unsafe x.count > 0 else { continue }
            let xStart = UInt(bitPattern: xBase), xEnd = unsafe xStart + UInt(x.count)
            for unsafe y in unsafe b {
                guard let yBase = unsafe y.baseAddress, unsafe y.count > 0 else { continue }
                let yStart = UInt(bitPattern: yBase), yEnd = unsafe yStart + UInt(y.count)
                if xStart < yEnd && yStart < xEnd { return true }
            }
        }
        return false
    }
}

/// The address range an operation lends the kernel (see ``SimBackend/memorySpan(_:)``).
struct SimMemorySpan {
    let low: UInt, high: UInt
    /// The kernel writes into some of it.
    let written: Bool
}
