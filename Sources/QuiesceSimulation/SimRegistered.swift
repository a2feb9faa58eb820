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

    /// Unregisters the table (ENXIO when none is registered).
    public func unregisterFiles() throws(IOError) {
        guard fixedFiles != nil else { throw IOError(errno: ENXIO, operation: "unregister files (simulated)") }
        log("unregister files")
        fixedFiles = nil
    }

    /// Registers the buffers (EBUSY when a set is registered).
    public func registerBuffers(_ region: UnsafeMutableRawBufferPointer, count: Int) throws(IOError) {
        guard fixedBufferCount == nil else { throw IOError(errno: EBUSY, operation: "register buffers (simulated)") }
        log("register \(count) buffer(s)")
        fixedBufferCount = count
    }

    /// Unregisters the buffers (ENXIO when none are registered).
    public func unregisterBuffers() throws(IOError) {
        guard fixedBufferCount != nil else { throw IOError(errno: ENXIO, operation: "unregister buffers (simulated)") }
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
}
