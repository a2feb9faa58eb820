#if canImport(Glibc)
import Glibc
#endif

/// An error from the kernel or the driver, carrying the errno and its text.
public struct IOError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The errno value (positive), e.g. `ECANCELED`.
    public let errno: Int32
    /// What was being done: "read", "io_uring_setup", …
    public let operation: String
    /// Advice for the person reading the error, when there is some to give.
    public let remedy: String?

    /// Creates an error for `errno` raised while doing `operation`.
    public init(errno: Int32, operation: String, remedy: String? = nil) {
        self.errno = errno
        self.operation = operation
        self.remedy = remedy
    }

    /// An error from a negative completion result (`-errno`).
    public init(result: Int32, operation: String) {
        self.init(errno: -result, operation: operation)
    }

    /// The C library's text for ``errno``.
    public var message: String { String(cString: strerror(errno)) }

    /// The errno's symbolic name where known (ECANCELED, EAGAIN, …).
    public var name: String { IOError.names[errno] ?? "errno \(errno)" }

    /// `read: ECANCELED (Operation canceled)`, plus the remedy when there is one.
    public var description: String {
        var text = "\(operation): \(name) (\(message))"
        if let remedy { text += ". \(remedy)" }
        return text
    }

    /// `true` when the operation was cancelled before it did anything.
    public var isCancellation: Bool { errno == ECANCELED }

    static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", EINTR: "EINTR", EIO: "EIO", EBADF: "EBADF", EAGAIN: "EAGAIN",
        ENOMEM: "ENOMEM", EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST",
        EINVAL: "EINVAL", EMFILE: "EMFILE", ENFILE: "ENFILE", ENOSPC: "ENOSPC", EPIPE: "EPIPE",
        ENOSYS: "ENOSYS", ETIME: "ETIME", ECANCELED: "ECANCELED", EALREADY: "EALREADY",
        ECONNRESET: "ECONNRESET", ECONNREFUSED: "ECONNREFUSED", ENOTCONN: "ENOTCONN",
        ETIMEDOUT: "ETIMEDOUT", EADDRINUSE: "EADDRINUSE", ENOTSOCK: "ENOTSOCK", EISDIR: "EISDIR",
        ENOTDIR: "ENOTDIR", EOPNOTSUPP: "EOPNOTSUPP", ESHUTDOWN: "ESHUTDOWN", EHOSTUNREACH: "EHOSTUNREACH",
        ENOBUFS: "ENOBUFS", ENXIO: "ENXIO",
    ]
}
