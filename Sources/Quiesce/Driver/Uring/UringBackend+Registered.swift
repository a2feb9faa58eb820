import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

extension UringBackend {
    /// io_uring_register_files: `descriptors` become the ring's table of files.
    public func registerFiles(_ descriptors: [Int32]) throws(IOError) {
        // SAFETY: the ring is open (checked first); the kernel copies the descriptors during the
        // call.
        guard isOpen else { throw IOError(errno: EBADF, operation: "io_uring_register_files", remedy: "the ring was closed") }
        let rc = unsafe descriptors.withUnsafeBufferPointer { unsafe cqu_register_files(ring, $0.baseAddress, UInt32($0.count)) }
        if rc < 0 { throw registerError(-rc, operation: "io_uring_register_files") }
    }

    /// io_uring_unregister_files. Nothing to do once the ring is closed (closing it dropped the
    /// table).
    public func unregisterFiles() throws(IOError) {
        // SAFETY: the ring is open (checked first).
        guard isOpen else { return }
        let rc = unsafe cqu_unregister_files(ring)
        if rc < 0 { throw registerError(-rc, operation: "io_uring_unregister_files") }
    }

    /// io_uring_register_buffers: `region`, cut into `count` buffers of equal size, becomes the
    /// ring's fixed buffers.
    public func registerBuffers(_ region: UnsafeMutableRawBufferPointer, count: Int) throws(IOError) {
        // SAFETY: the ring is open (checked first); the iovecs lie inside `region`, which the
        // caller keeps valid until the buffers are unregistered (the ``IOBackend`` contract); the
        // kernel copies the iovec array during the call.
        guard isOpen else { throw IOError(errno: EBADF, operation: "io_uring_register_buffers", remedy: "the ring was closed") }
        let size = region.count / count
        let vectors = unsafe (0..<count).map { unsafe iovec(iov_base: region.baseAddress! + $0 * size, iov_len: size) }
        let rc = unsafe vectors.withUnsafeBufferPointer { unsafe cqu_register_buffers(ring, $0.baseAddress, UInt32($0.count)) }
        if rc < 0 { throw registerError(-rc, operation: "io_uring_register_buffers") }
    }

    /// io_uring_unregister_buffers. Nothing to do once the ring is closed (closing it dropped the
    /// buffers).
    public func unregisterBuffers() throws(IOError) {
        // SAFETY: the ring is open (checked first).
        guard isOpen else { return }
        let rc = unsafe cqu_unregister_buffers(ring)
        if rc < 0 { throw registerError(-rc, operation: "io_uring_unregister_buffers") }
    }

    /// Explains why registering (or unregistering) failed.
    private func registerError(_ errno: Int32, operation: String) -> IOError {
        let remedy: String?
        switch errno {
        case EBUSY: remedy = "the ring has one registered already"
        case EBADF: remedy = "a descriptor of the table is not open"
        case EMFILE: remedy = "the table is larger than the open-files limit (`ulimit -n`)"
        case ENOMEM: remedy = "registered buffers count against the locked-memory limit: raise it (`ulimit -l`) or register less"
        case ENXIO: remedy = "nothing of that kind is registered with the ring"
        case EEXIST where setup.singleIssuer:
            remedy = "this ring was set up with SINGLE_ISSUER: only the thread that created it may register with it"
        default: remedy = nil
        }
        return IOError(errno: errno, operation: operation, remedy: remedy)
    }
}
