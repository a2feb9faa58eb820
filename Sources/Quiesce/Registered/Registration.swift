#if canImport(Glibc)
import Glibc
#endif

/// One resource registered with a ring: its table of files, or its fixed buffers.
///
/// Shared by its owner (``RegisteredFiles`` or ``RegisteredBuffers``), by the driver, which counts
/// the operations that use it from their submission until the kernel is done with them and keeps it
/// while there are any, and (for buffers) by the leases (``FixedBuffer``). It is unregistered once
/// its owner has let it go *and* no operation uses it, never under the kernel: by the owner's async
/// drop or synchronous `deinit` when nothing uses it, otherwise by the driver at the last
/// completion.
@safe
final class Registration {
    // SAFETY: `memory` is `count * size` bytes from `posix_memalign`, zeroed, freed only by
    // `deinit`: once the owner, every lease and the driver have let go, so after the kernel's
    // registration is gone (the driver keeps the registration until it is unregistered, and
    // unregisters only when no operation uses it) or the ring was closed. Buffer `i` is the `size`
    // bytes at `i * size`, handed out to one lease at a time. Used only on the executor's thread.
    enum Resource { case files, buffers }
    enum Phase { case registered, released, unregistered }

    let resource: Resource
    let backend: any IOBackend
    /// The address of the driver state it belongs to, to tell rings apart; never dereferenced.
    let ring: UInt
    /// Files in the table, or buffers in the set.
    let count: Int
    /// Bytes in each buffer (0 for files).
    let size: Int
    private let memory: UnsafeMutableRawPointer?
    /// Per buffer: lent out to a ``FixedBuffer``.
    private var leased: [Bool]
    /// Per buffer: operations the driver holds that use it.
    private var bufferUsers: [Int32]
    /// Operations the driver holds (in flight, or waiting for room) that use the registration.
    private(set) var users = 0
    /// Registered and in use; released by its owner (unregistered when no operation uses it);
    /// unregistered.
    var phase = Phase.registered
    /// The owner's async drop, waiting for the last operation to complete.
    var dropWaker: Waker?
    /// Why unregistering failed, until reported.
    var unregisterError: IOError?

    /// A table of `count` files registered with `backend`'s ring.
    init(files count: Int, backend: any IOBackend, ring: UInt) {
        self.resource = .files
        self.backend = backend
        self.ring = ring
        self.count = count
        self.size = 0
        unsafe self.memory = nil
        self.leased = []
        self.bufferUsers = []
    }

    /// `count` zeroed buffers of `size` bytes, back to back at a page-aligned address, not yet
    /// registered.
    init(buffers count: Int, size: Int, backend: any IOBackend, ring: UInt) throws(IOError) {
        var raw: UnsafeMutableRawPointer? = nil
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard unsafe posix_memalign(&raw, pageSize, count * size) == 0, let raw = unsafe raw else {
            throw IOError(errno: ENOMEM, operation: "register buffers", remedy: "\(count) buffers of \(size) bytes could not be allocated")
        }
        unsafe raw.initializeMemory(as: UInt8.self, repeating: 0, count: count * size)
        self.resource = .buffers
        self.backend = backend
        self.ring = ring
        self.count = count
        self.size = size
        unsafe self.memory = unsafe raw
        self.leased = Array(repeating: false, count: count)
        self.bufferUsers = Array(repeating: 0, count: count)
    }

    deinit {
        if let memory = unsafe memory { unsafe free(memory) }
    }

    /// What it is, for messages: "registered file table", "registered buffers".
    var name: String { resource == .files ? "registered file table" : "registered buffers" }

    /// Operations may still be built on it (its owner has not let it go).
    var acceptsOperations: Bool { phase == .registered }

    // MARK: Buffers

    /// The first byte of buffer `index`.
    func address(of index: Int) -> UnsafeMutableRawPointer {
        // SAFETY: `index` is below `count` (leases and the driver check it), so the address lies in
        // `memory`.
        unsafe memory.unsafelyUnwrapped + index * size
    }

    /// The memory of every buffer, back to back, for registering it.
    var region: UnsafeMutableRawBufferPointer {
        unsafe UnsafeMutableRawBufferPointer(start: memory, count: count * size)
    }

    /// Lends buffer `index` out; throws when it is out of range, lent out already, still used by
    /// an operation in flight, or the set was released.
    func lend(_ index: Int) throws(IOError) {
        guard index >= 0 && index < count else {
            throw IOError(errno: EINVAL, operation: "take registered buffer",
                          remedy: "index \(index) is outside the \(count) registered buffers (0..<\(count))")
        }
        guard acceptsOperations else {
            throw IOError(errno: EBADF, operation: "take registered buffer", remedy: "the registered buffers were released")
        }
        guard !leased[index] else {
            throw IOError(errno: EBUSY, operation: "take registered buffer", remedy: "buffer \(index) is lent out already")
        }
        guard bufferUsers[index] == 0 else {
            throw IOError(errno: EBUSY, operation: "take registered buffer",
                          remedy: "an operation in flight still uses buffer \(index) (it was dropped before it completed): it comes back with the operation's completion")
        }
        leased[index] = true
    }

    /// The first buffer neither lent out nor used by an operation in flight.
    func lendAny() -> Int? {
        guard acceptsOperations else { return nil }
        for index in 0..<count where !leased[index] && bufferUsers[index] == 0 {
            leased[index] = true
            return index
        }
        return nil
    }

    /// A lease of buffer `index` ended.
    func giveBack(_ index: Int) { leased[index] = false }

    // MARK: The driver's count

    /// An operation that uses the registration (and buffer `buffer`, for buffers) was handed to the
    /// driver.
    func began(buffer: Int?) {
        users += 1
        if let buffer, buffer < count { bufferUsers[buffer] += 1 }
    }

    /// The kernel is done with an operation counted by ``began(buffer:)``. Answers `true` when the
    /// registration was released and nothing uses it any more: it is to be unregistered now.
    func ended(buffer: Int?) -> Bool {
        users -= 1
        if let buffer, buffer < count { bufferUsers[buffer] -= 1 }
        return users == 0 && phase == .released
    }

    // MARK: Releasing

    /// The owner's async drop: releases the registration, and is ready once it is unregistered
    /// (at once when nothing uses it; otherwise after the last operation's completion). A failure
    /// to unregister goes to the executor's diagnostics.
    func pollRelease(_ driver: DriverHandle, _ cx: inout Context) -> Poll<Void> {
        if phase == .registered { phase = .released }
        if phase == .released {
            guard users == 0 else {
                dropWaker = cx.waker
                return .pending
            }
            unregister(in: driver)
        }
        if let error = unregisterError {
            unregisterError = nil
            cx.report(Diagnostic(.dropError, "unregistering the \(name): \(error)"))
        }
        return .ready(())
    }

    /// The owner's synchronous drop: unregisters now when nothing uses the registration; otherwise
    /// the driver does, when the last operation that uses it completes.
    func releaseSynchronously(_ driver: DriverHandle) {
        guard phase != .unregistered else { return }
        phase = .released
        if users == 0 { unregister(in: driver) }
    }

    /// Unregisters from the kernel (nothing uses it) and leaves the driver; wakes the owner's async
    /// drop if it waits. A failure is kept for that drop to report, or reported now when there is
    /// none.
    func unregister(in driver: DriverHandle) {
        guard phase != .unregistered else { return }
        phase = .unregistered
        do {
            switch resource {
            case .files: try backend.unregisterFiles()
            case .buffers: try backend.unregisterBuffers()
            }
        } catch {
            unregisterError = error
        }
        switch resource {
        case .files: if driver.registered.files === self { driver.registered.files = nil }
        case .buffers: if driver.registered.buffers === self { driver.registered.buffers = nil }
        }
        if let waker = dropWaker {
            dropWaker = nil
            waker.wake()
        } else if let error = unregisterError {
            unregisterError = nil
            let diagnostic = Diagnostic(.dropError, "unregistering the \(name): \(error)")
            if let report = driver.reportOrphan { report(diagnostic) } else { Diagnostics.report(diagnostic) }
        }
    }

    /// The driver's view of it, for ``Driver/registeredFiles`` and ``Driver/registeredBuffers``.
    var status: RegistrationStatus {
        RegistrationStatus(count: count, operationsInFlight: users, isReleased: phase != .registered)
    }
}

/// What the driver knows of a registered resource: a table of files or a set of fixed buffers.
public struct RegistrationStatus: Sendable, Equatable {
    /// Files in the table, or buffers in the set.
    public var count: Int
    /// Operations the driver holds (in flight, or waiting for room) that use it.
    public var operationsInFlight: Int
    /// Its owner let it go: it is unregistered as soon as no operation uses it.
    public var isReleased: Bool
}
