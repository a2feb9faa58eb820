import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// The memory of one provided-buffer ring, shared with the kernel: `entries` `io_uring_buf`
/// descriptors (the tail overlays the first one), page-aligned as `io_uring_register_buf_ring`
/// requires.
@safe
struct MappedBufferRing {
    // SAFETY: `ring` points to `entries * 16` bytes from `posix_memalign`, freed once by the
    // backend after the kernel's registration is gone.
    let ring: UnsafeMutablePointer<io_uring_buf_ring>
    let entries: UInt32
    var mask: Int32 { cqu_buf_ring_mask(entries) }
}

extension UringBackend {
    /// io_uring_register_buf_ring: `entries` buffers (a power of two) under `group`.
    public func registerBufferRing(group: UInt16, entries: UInt32) throws(IOError) {
        // SAFETY: the ring memory is allocated page-aligned and zeroed here, registered with the
        // open ring, and freed only after `unregisterBufferRing` (or `close`) took it back.
        guard isOpen else { throw IOError(errno: EBADF, operation: "io_uring_register_buf_ring", remedy: "the ring was closed") }
        guard bufferRings[group] == nil else {
            throw IOError(errno: EEXIST, operation: "io_uring_register_buf_ring", remedy: "buffer group \(group) is registered already")
        }
        let bytes = Int(entries) * MemoryLayout<io_uring_buf>.stride
        var raw: UnsafeMutableRawPointer? = nil
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard unsafe posix_memalign(&raw, pageSize, bytes) == 0, let raw = unsafe raw else {
            throw IOError(errno: ENOMEM, operation: "io_uring_register_buf_ring")
        }
        unsafe raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        let mapped = unsafe MappedBufferRing(ring: raw.bindMemory(to: io_uring_buf_ring.self, capacity: 1), entries: entries)
        var registration = io_uring_buf_reg()
        registration.ring_addr = UInt64(UInt(bitPattern: raw))
        registration.ring_entries = entries
        registration.bgid = group
        let rc = unsafe cqu_register_buf_ring(ring, &registration)
        guard rc == 0 else {
            unsafe free(raw)
            throw IOError(errno: -rc, operation: "io_uring_register_buf_ring",
                          remedy: "provided-buffer rings need Linux 5.19 or newer")
        }
        unsafe cqu_buf_ring_init(mapped.ring)
        bufferRings[group] = mapped
    }

    /// Adds buffer `id` at the ring's tail and publishes it to the kernel.
    public func provideBuffer(group: UInt16, id: UInt16, address: UnsafeMutableRawPointer, length: UInt32) {
        // SAFETY: the mapped ring is registered and alive; `address` is the caller's buffer,
        // valid until the ring is unregistered.
        guard isOpen, let mapped = bufferRings[group] else { return }
        unsafe cqu_buf_ring_add(mapped.ring, address, length, id, mapped.mask, 0)
        unsafe cqu_buf_ring_advance(mapped.ring, 1)
    }

    /// io_uring_unregister_buf_ring, then frees the ring's memory.
    public func unregisterBufferRing(group: UInt16) {
        // SAFETY: the memory is freed only once the kernel gave the registration up (or the ring
        // is closed, which drops every registration).
        guard let mapped = bufferRings.removeValue(forKey: group) else { return }
        if isOpen { _ = unsafe cqu_unregister_buf_ring(ring, Int32(group)) }
        unsafe free(mapped.ring)
    }
}
