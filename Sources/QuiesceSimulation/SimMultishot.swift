import Quiesce
import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// One buffer of a provided-buffer ring, as the program gave it.
@safe
struct SimProvidedBuffer {
    // SAFETY: the address is a buffer of a ring the program registered, valid until the ring is
    // unregistered; the simulation writes into it only after picking it, and forgets the ring
    // when it is unregistered.
    let id: UInt16
    let address: UnsafeMutableRawPointer
    let length: UInt32
}

/// A provided-buffer ring as the simulated kernel sees it: the buffers it may pick, in the order
/// they were given, and how many the ring has in all.
struct SimBufferRing {
    let entries: Int
    var available: [SimProvidedBuffer] = []
    /// Buffers picked and not given back yet.
    var picked = Set<UInt16>()
}

/// Multishot operations and provided buffers in the simulated kernel.
extension SimBackend {
    /// One completion of an operation that completes many times (see
    /// ``SimRequest/completesManyTimes``): its result, its flags, and whether more follow.
    func performStep(_ op: inout SimOp) -> (result: Int32, flags: UInt32, more: Bool) {
        guard case .sendZC = op.request else { return performMultishot(op) }
        if op.notifying {
            if let sent = op.resultAfterNotification { return (sent, UInt32(IORING_CQE_F_MORE), false) }
            statistics.zeroCopyNotifications += 1
            return (0, UInt32(IORING_CQE_F_NOTIF), false)
        }
        if freedRegions.remove(op.userData) != nil { return (-EFAULT, 0, false) }
        if let fault = drawFault(op) { return (fault, 0, false) }
        let result = transferOut(op)
        guard result >= 0 else { return (result, 0, false) }
        op.notifying = true
        if rng.chance(faults.notificationFirst) {
            // The kernel is done with the buffer before the result is posted.
            op.resultAfterNotification = result
            statistics.zeroCopyNotifications += 1
            statistics.zeroCopyNotificationsFirst += 1
            return (0, UInt32(IORING_CQE_F_NOTIF), true)
        }
        return (result, UInt32(IORING_CQE_F_MORE), true)
    }

    /// One completion of a multishot operation that can complete: its result, its flags, and
    /// whether the operation stays armed (IORING_CQE_F_MORE). The kernel may end the operation on
    /// its own (a seed-drawn fault), as it does on a completion queue overflow.
    func performMultishot(_ op: SimOp) -> (result: Int32, flags: UInt32, more: Bool) {
        if let fault = drawFault(op) { return final(fault) }
        let more = UInt32(IORING_CQE_F_MORE)
        let endsOnItsOwn = rng.chance(faults.multishotEnds)
        switch op.request {
        case .acceptMultishot:
            guard case .listener(let listener)? = op.target?.object else { return final(-ENOTSOCK) }
            let server = listener.pending.removeFirst()
            let fd = addDescriptor(.socket(server), origin: .kernel)
            return element(fd, flags: 0, more: !endsOnItsOwn)
        case .recvMultishot(_, _, let group):
            guard case .socket? = op.target?.object else { return final(-ENOTSOCK) }
            guard let stream = readable(op.target) else { return final(-EBADF) }
            if stream.reset { return final(-ECONNRESET) }
            if stream.available == 0 { return final(0) }  // the peer closed
            guard var ring = providedBuffers[group], !ring.available.isEmpty else {
                statistics.enobufs += 1
                return final(-ENOBUFS)
            }
            let buffer = ring.available.removeFirst()
            ring.picked.insert(buffer.id)
            providedBuffers[group] = ring
            let n = shortened(min(Int(buffer.length), stream.available))
            unsafe stream.read(into: UnsafeMutableRawBufferPointer(start: buffer.address, count: Int(buffer.length)), count: n)
            let flags = UInt32(IORING_CQE_F_BUFFER) | UInt32(buffer.id) << UInt32(IORING_CQE_BUFFER_SHIFT)
            return element(Int32(n), flags: flags, more: !endsOnItsOwn)
        default:
            return final(-EINVAL)
        }
        func element(_ result: Int32, flags: UInt32, more keepsGoing: Bool) -> (result: Int32, flags: UInt32, more: Bool) {
            if keepsGoing {
                statistics.multishotElements += 1
                return (result, flags | more, true)
            }
            statistics.multishotEnds += 1
            return (result, flags, false)
        }
        func final(_ result: Int32) -> (result: Int32, flags: UInt32, more: Bool) { (result, 0, false) }
    }

    /// Registers ring `group` with room for `entries` buffers.
    public func registerBufferRing(group: UInt16, entries: UInt32) throws(IOError) {
        guard providedBuffers[group] == nil else {
            throw IOError(errno: EEXIST, operation: "register buffer ring", remedy: "buffer group \(group) is registered already")
        }
        providedBuffers[group] = SimBufferRing(entries: Int(entries))
    }

    /// Gives buffer `id` to ring `group`; giving one the kernel holds already is a violation.
    public func provideBuffer(group: UInt16, id: UInt16, address: UnsafeMutableRawPointer, length: UInt32) {
        guard var ring = providedBuffers[group] else {
            violation("buffer \(id) given to unregistered group \(group)")
            return
        }
        if ring.available.contains(where: { $0.id == id }) {
            violation("buffer \(id) of group \(group) given back twice")
            return
        }
        ring.picked.remove(id)
        ring.available.append(unsafe SimProvidedBuffer(id: id, address: address, length: length))
        providedBuffers[group] = ring
    }

    /// Forgets ring `group`.
    public func unregisterBufferRing(group: UInt16) { providedBuffers[group] = nil }

    /// Provided buffers the kernel picked that were never given back, over every ring.
    public var providedBuffersOutstanding: Int { providedBuffers.values.reduce(0) { $0 + $1.picked.count } }
}
