import Quiesce
import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// A link timeout as the simulated kernel holds it: the timeout's own `user_data`, its duration,
/// and its deadline once the operation it is linked to was taken by the kernel.
struct SimLinkTimeout {
    let userData: UInt64
    let nanoseconds: UInt64
    var deadline: UInt64?
}

/// Linked operations (IOSQE_IO_LINK) with a link timeout (IORING_OP_LINK_TIMEOUT): the timeout arms
/// when the kernel takes the operation; if it fires first, the operation completes with -ECANCELED
/// and the timeout with -ETIME; if the operation completes first (or is cancelled), the timeout
/// completes with -ECANCELED.
extension SimBackend {
    /// Queues an operation and the link timeout right behind it, both or neither.
    public func prepareLinked(_ first: UnsafePointer<SubmissionEntry>, userData firstUserData: UInt64,
                              _ second: UnsafePointer<SubmissionEntry>, userData secondUserData: UInt64) -> Bool {
        // SAFETY: both entries are the driver's, just prepared; the timeout's `timespec` is read
        // here, once, as the kernel reads it when it takes the entry.
        guard unsafe second.pointee.opcode == UInt8(IORING_OP_LINK_TIMEOUT.rawValue),
              unsafe first.pointee.flags & UInt8(1 << IOSQE_IO_LINK_BIT) != 0 else {
            violation("a linked pair must be an operation with IOSQE_IO_LINK and then a link timeout")
            return false
        }
        guard sq.count + 2 <= queueCapacity || sq.isEmpty else {
            consumeSubmissions()
            return unsafe prepareLinked(first, userData: firstUserData, second, userData: secondUserData)
        }
        guard unsafe prepare(first, userData: firstUserData) else { return false }
        if unsafe inFlight[secondUserData] != nil { violation("user_data \(secondUserData) reused while in flight") }
        unsafe inFlight[secondUserData] = unsafe .some(nil)
        let spec = unsafe UnsafeRawPointer(bitPattern: UInt(second.pointee.addr))?.load(as: __kernel_timespec.self)
            ?? __kernel_timespec(tv_sec: 0, tv_nsec: 0)
        let nanoseconds = UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
        linkTimeouts[firstUserData] = SimLinkTimeout(userData: secondUserData, nanoseconds: nanoseconds)
        statistics.prepared += 1
        log("link timeout \(OpToken.decode(secondUserData).token) of \(nanoseconds) ns to \(OpToken.decode(firstUserData).token)")
        return true
    }

    /// The kernel took the operation tagged `userData`: its link timeout, if any, starts now.
    func startLink(of userData: UInt64) {
        guard linkTimeouts[userData] != nil else { return }
        linkTimeouts[userData]!.deadline = clock &+ linkTimeouts[userData]!.nanoseconds
    }

    /// The operation tagged `userData` completed (finally) with `result`: its link timeout, if it has
    /// not fired, completes with -ECANCELED.
    func finishLink(of userData: UInt64, _ result: Int32) {
        guard let link = linkTimeouts.removeValue(forKey: userData) else { return }
        statistics.linkTimeoutsCancelled += 1
        post(link.userData, -ECANCELED)
    }

    /// Fires every link timeout whose deadline passed while its operation is still pending: the
    /// operation completes with -ECANCELED, the timeout with -ETIME. Returns how many fired.
    func expireLinkTimeouts() -> Int {
        var fired = 0
        for (userData, link) in linkTimeouts.sorted(by: { $0.key < $1.key }) {
            guard let deadline = link.deadline, deadline <= clock,
                  let index = pending.firstIndex(where: { $0.userData == userData }) else { continue }
            linkTimeouts[userData] = nil
            pending.remove(at: index)
            statistics.linkTimeoutsFired += 1
            // Either order: the kernel posts both from the timer's expiry.
            if rng.chance(500) {
                post(link.userData, -ETIME); post(userData, -ECANCELED)
            } else {
                post(userData, -ECANCELED); post(link.userData, -ETIME)
            }
            fired += 1
        }
        return fired
    }

    /// The earliest deadline of an armed link timeout, if any.
    func nextLinkDeadline() -> UInt64? {
        linkTimeouts.values.compactMap { $0.deadline }.min()
    }
}
