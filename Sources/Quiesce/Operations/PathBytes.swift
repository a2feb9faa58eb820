#if canImport(Glibc)
import Glibc
#endif

/// The NUL-terminated paths a path operation (open, statx, unlink, rename, mkdir) lends the kernel
/// in its buffer, one after another.
enum PathBytes {
    /// A buffer holding each of `paths` NUL-terminated, in order, padded to a multiple of 8 bytes,
    /// then `room` bytes of spare capacity (8-byte aligned: the buffer's base is). A path holding a
    /// NUL byte is kept as it is (the kind refuses it: see ``holdsNUL(_:)``), so that an error can
    /// name it.
    static func buffer(_ paths: String..., room: Int = 0) -> IOBuffer {
        var bytes: [UInt8] = []
        for path in paths {
            bytes += path.utf8
            bytes.append(0)
        }
        while bytes.count % 8 != 0 { bytes.append(0) }
        var buffer = IOBuffer(capacity: bytes.count + room)
        buffer.append(contentsOf: bytes)
        return buffer
    }

    /// `true` when a path holds a NUL byte: the kernel would read a shorter path than the one
    /// given, so the operation is refused with EINVAL instead.
    static func holdsNUL(_ paths: String...) -> Bool { paths.contains { $0.utf8.contains(0) } }

    /// The path at `offset` in `buffer`, for an error's message.
    static func path(in buffer: borrowing IOBuffer?, at offset: Int) -> String {
        switch buffer {
        case .some(let buffer):
            let bytes = buffer.bytes
            guard offset < bytes.count else { return "" }
            return String(decoding: bytes[offset...].prefix { $0 != 0 }, as: UTF8.self)
        case .none:
            return ""
        }
    }

    /// The address of the path at `offset` in `buffer`, for the entry; `nil` (the kernel answers
    /// EFAULT) when `offset` is not inside the buffer's valid bytes.
    static func pointer(in buffer: borrowing IOBuffer?, at offset: Int) -> UnsafePointer<CChar>? {
        // SAFETY: the address lies in the buffer's valid bytes (the path and its NUL); the slot holds
        // the buffer, unmoved, until the completion.
        guard let region = unsafe buffer.validRegion(from: offset), region.count > 0,
              let base = region.baseAddress else { return nil }
        return unsafe UnsafePointer(base.assumingMemoryBound(to: CChar.self))
    }

    /// The outcome of a path operation that answers nothing but success (unlinkat, mkdirat): a
    /// refusal (EINVAL) or an error names the path the operation's buffer holds at offset 0.
    static func outcome(_ operation: String, _ completion: consuming Completion, refused: Bool) -> Result<Void, IOError> {
        let result = refused ? -EINVAL : completion.result
        if result >= 0 { return .success(()) }
        return .failure(failure(operation, -result, path: path(in: completion.buffer, at: 0), refused: refused))
    }

    /// The failure of a path operation refused before submission (a path with a NUL byte), or of
    /// its completion (`-errno`), naming the path.
    static func failure(_ operation: String, _ errno: Int32, path: String, refused: Bool = false) -> IOError {
        IOError(errno: errno, operation: "\(operation) \(path)", remedy: refused ? "a path must not hold a NUL byte" : nil)
    }
}
