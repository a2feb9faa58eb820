import CQuiesceUring

/// The resources registered with the driver's ring that operations address by index: at most one
/// table of files and one set of fixed buffers per ring, as the kernel has it.
struct RegisteredTables {
    /// The table operations reach with IOSQE_FIXED_FILE.
    var files: Registration?
    /// The buffers IORING_OP_READ_FIXED and IORING_OP_WRITE_FIXED name.
    var buffers: Registration?

    /// A slot's ``Slot/registered`` bit for an operation on the file table.
    static let usesFiles: UInt8 = 1
    /// A slot's ``Slot/registered`` bit for an operation on a fixed buffer.
    static let usesBuffers: UInt8 = 2
}

extension DriverHandle {
    /// The resources registered with the ring.
    var registered: RegisteredTables {
        get { unsafe state.pointee.registered }
        nonmutating _modify { yield unsafe &state.pointee.registered }
    }

    /// At submission, once the kind has prepared `entry` for slot `s`: an operation that names the
    /// registered file table (IOSQE_FIXED_FILE) or a registered buffer (READ_FIXED, WRITE_FIXED) is
    /// counted as a user of that registration until the kernel is done with it
    /// (``endRegisteredUse(_:)``), so the registration is never unregistered under it.
    @inline(__always)
    func noteRegisteredUse(_ s: UnsafeMutablePointer<Slot>, _ entry: UnsafePointer<SubmissionEntry>) {
        // SAFETY: `s` is the slot being submitted and `entry` its freshly prepared entry.
        let fixedFile = unsafe entry.pointee.flags & UInt8(1 << IOSQE_FIXED_FILE_BIT) != 0
        // READ_FIXED and WRITE_FIXED are adjacent opcodes (kernel ABI): one range test for both.
        let read = UInt8(IORING_OP_READ_FIXED.rawValue), write = UInt8(IORING_OP_WRITE_FIXED.rawValue)
        assert(write == read &+ 1, "READ_FIXED and WRITE_FIXED are adjacent opcodes")
        let fixedBuffer = (read...write).contains(unsafe entry.pointee.opcode)
        if _slowPath(fixedFile || fixedBuffer) { unsafe beginRegisteredUse(s, fixedFile: fixedFile, fixedBuffer: fixedBuffer) }
    }

    @inline(never)
    private func beginRegisteredUse(_ s: UnsafeMutablePointer<Slot>, fixedFile: Bool, fixedBuffer: Bool) {
        // SAFETY: `s` is a live slot; for a fixed-buffer opcode its `bufferGroup` holds the entry's
        // `buf_index` (the two share a field of the entry).
        var uses: UInt8 = 0
        if fixedFile, let files = registered.files {
            files.began(buffer: nil)
            uses |= RegisteredTables.usesFiles
        }
        if fixedBuffer, let buffers = registered.buffers {
            unsafe buffers.began(buffer: Int(s.pointee.bufferGroup))
            uses |= RegisteredTables.usesBuffers
        }
        unsafe s.pointee.registered = uses
    }

    /// The kernel is done with slot `s`'s operation (its final completion arrived, or it never
    /// reached the kernel): the registrations it used stop counting it, and one its owner let go
    /// is unregistered when nothing uses it any more.
    @inline(never)
    func endRegisteredUse(_ s: UnsafeMutablePointer<Slot>) {
        // SAFETY: `s` is a live slot that was counted by `beginRegisteredUse`; the registrations it
        // was counted by stay with the driver until their count is back to 0.
        let uses = unsafe s.pointee.registered
        unsafe s.pointee.registered = 0
        if uses & RegisteredTables.usesFiles != 0, let files = registered.files, files.ended(buffer: nil) {
            files.unregister(in: self)
        }
        if uses & RegisteredTables.usesBuffers != 0, let buffers = registered.buffers,
           unsafe buffers.ended(buffer: Int(s.pointee.bufferGroup)) {
            buffers.unregister(in: self)
        }
    }
}

extension Driver {
    /// The table of files registered with the ring (``RegisteredFiles``), while it is registered:
    /// how many files, how many operations use it, whether its owner let it go.
    public var registeredFiles: RegistrationStatus? { core.registered.files?.status }

    /// The fixed buffers registered with the ring (``RegisteredBuffers``), while they are
    /// registered: how many, how many operations use them, whether their owner let them go.
    public var registeredBuffers: RegistrationStatus? { core.registered.buffers?.status }
}
