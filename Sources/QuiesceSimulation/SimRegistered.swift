import Quiesce
import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// Registered files and buffers in the simulated kernel: one table of files and one set of buffers
/// at a time, as the kernel has it. An entry with IOSQE_FIXED_FILE names a file of the table by its
/// index; a fixed read or write works on its registered buffer as on any region.
extension SimBackend {
    /// Registers the table (EBUSY when one is registered; EBADF when a descriptor is not open).
    public func registerFiles(_ descriptors: [Int32]) throws(IOError) {
        guard fixedFiles == nil else { throw IOError(errno: EBUSY, operation: "register files (simulated)") }
        guard descriptors.allSatisfy({ self.descriptors[$0]?.isOpen == true || $0 == -1 }) else {
            throw IOError(errno: EBADF, operation: "register files (simulated)")
        }
        log("register \(descriptors.count) file(s)")
        fixedFiles = descriptors
    }

    /// Unregisters the table (ENXIO when none is registered). Records a violation for every
    /// operation on the table the kernel still holds: the program unregistered it under them.
    public func unregisterFiles() throws(IOError) {
        guard fixedFiles != nil else { throw IOError(errno: ENXIO, operation: "unregister files (simulated)") }
        for op in heldOperations where op.fixedFile {
            violation("registered files unregistered while \(op.name) \(OpToken.decode(op.userData).token) uses them")
        }
        log("unregister files")
        fixedFiles = nil
    }

    /// Registers the buffers (EBUSY when a set is registered).
    public func registerBuffers(_ region: UnsafeMutableRawBufferPointer, count: Int) throws(IOError) {
        guard fixedBufferCount == nil else { throw IOError(errno: EBUSY, operation: "register buffers (simulated)") }
        log("register \(count) buffer(s)")
        fixedBufferCount = count
    }

    /// Unregisters the buffers (ENXIO when none are registered). Records a violation for every
    /// fixed read or write the kernel still holds: the program unregistered the memory under them.
    public func unregisterBuffers() throws(IOError) {
        guard fixedBufferCount != nil else { throw IOError(errno: ENXIO, operation: "unregister buffers (simulated)") }
        for op in heldOperations where op.fixedBuffer != nil {
            violation("registered buffers unregistered while \(op.name) \(OpToken.decode(op.userData).token) uses buffer \(op.fixedBuffer!)")
        }
        log("unregister buffers")
        fixedBufferCount = nil
    }

    /// Decodes `entry` as ``SimRequest/decode(_:)`` does, an entry on a registered file naming the
    /// file's descriptor (-1, which answers EBADF, for an index outside the table or no table).
    func decodeResolvingFixedFile(_ entry: UnsafePointer<SubmissionEntry>) -> (SimRequest, UnsafeMutableRawBufferPointer?) {
        // SAFETY: `entry` is the driver's freshly prepared entry; the copy keeps its pointers, which
        // stay the driver's memory (the ``IOBackend`` contract).
        guard unsafe entry.pointee.flags & UInt8(1 << IOSQE_FIXED_FILE_BIT) != 0 else { return unsafe SimRequest.decode(entry) }
        var copy = unsafe entry.pointee
        let index = Int(copy.fd)
        copy.fd = fixedFiles.flatMap { index >= 0 && index < $0.count ? $0[index] : nil } ?? -1
        return unsafe withUnsafePointer(to: &copy) { unsafe SimRequest.decode($0) }
    }

    /// Files in the registered table, `nil` when none is registered.
    public var registeredFileCount: Int? { fixedFiles?.count }

    /// Buffers registered, `nil` when none are.
    public var registeredBufferCount: Int? { fixedBufferCount }

    /// The operations the kernel holds: queued or pending (a posted completion ends its hold).
    var heldOperations: [SimOp] {
        var held = pending
        for submission in sq { if case .operation(let op) = submission { held.append(op) } }
        return held
    }

    /// Records on `op` the registered resources its entry names; a fixed read or write on a buffer
    /// another held operation works on is a violation (the program lent one buffer twice).
    func noteRegisteredUse(_ entry: UnsafePointer<SubmissionEntry>, of op: inout SimOp) {
        // SAFETY: `entry` is the driver's freshly prepared entry; only its plain fields are read.
        let e = unsafe entry.pointee
        op.fixedFile = e.flags & UInt8(1 << IOSQE_FIXED_FILE_BIT) != 0
        guard e.opcode == UInt8(IORING_OP_READ_FIXED.rawValue) || e.opcode == UInt8(IORING_OP_WRITE_FIXED.rawValue) else { return }
        let index = Int(e.buf_index)
        op.fixedBuffer = index
        for other in heldOperations where other.fixedBuffer == index {
            violation("registered buffer \(index) lent to \(op.name) \(OpToken.decode(op.userData).token) while \(other.name) \(OpToken.decode(other.userData).token) uses it")
        }
    }

    /// The kernel's answer to a fixed read or write whose buffer is not registered when it takes
    /// the entry (none registered, or an index beyond the set): -EFAULT, the memory untouched.
    func registeredBufferError(_ op: SimOp) -> Int32? {
        guard let index = op.fixedBuffer else { return nil }
        guard let count = fixedBufferCount, index < count else { return -EFAULT }
        return nil
    }
}
