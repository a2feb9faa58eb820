import CQuiesceUring
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

    /// The C library's text for ``errno`` (`strerrordesc_np`), e.g. "Operation canceled".
    public var message: String {
        // SAFETY: the C library returns a static NUL-terminated string, or NULL for an unknown
        // number.
        guard let text = unsafe cqu_strerrordesc_np(errno) else { return "Unknown error \(errno)" }
        return unsafe String(cString: text)
    }

    /// The errno's symbolic name (`strerrorname_np`: ECANCELED, EAGAIN, EFBIG, …), or
    /// `errno N` for a number the C library does not know.
    public var name: String {
        // SAFETY: the C library returns a static NUL-terminated string, or NULL for an unknown
        // number.
        guard let text = unsafe cqu_strerrorname_np(errno) else { return "errno \(errno)" }
        return unsafe String(cString: text)
    }

    /// `read: ECANCELED (Operation canceled)`, plus the remedy when there is one.
    public var description: String {
        var text = "\(operation): \(name) (\(message))"
        if let remedy { text += ". \(remedy)" }
        return text
    }

    /// `true` when the operation was cancelled before it did anything.
    public var isCancellation: Bool { errno == ECANCELED }
}
