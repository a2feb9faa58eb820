import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// A socket shutdown.
public typealias ShutdownOp = IOOperation<IO.Shutdown>

extension IO {
    /// Shuts down one or both directions of a socket's connection (shutdown(2)): after the sending
    /// side is shut, the peer reads end of file once it has the bytes sent before.
    public struct Shutdown: OperationKind {
        /// Which directions.
        public enum How: Sendable, Equatable {
            /// Receiving (SHUT_RD).
            case read
            /// Sending (SHUT_WR): the peer sees end of file.
            case write
            /// Both (SHUT_RDWR).
            case both

            /// The shutdown(2) constant.
            public var rawValue: Int32 {
                switch self {
                case .read: return Int32(SHUT_RD)
                case .write: return Int32(SHUT_WR)
                case .both: return Int32(SHUT_RDWR)
                }
            }
        }

        /// The socket.
        public var fd: Int32
        /// Which directions.
        public var how: How
        /// Shuts down `how` of `fd`.
        @inlinable public init(fd: Int32, how: How) { self.fd = fd; self.how = how }
        /// "shutdown".
        public static var name: String { "shutdown" }
        /// IORING_OP_SHUTDOWN.
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            unsafe cqu_prep_shutdown(&entry, fd, how.rawValue)
        }
        /// Success, or the errno.
        public func output(_ completion: consuming Completion) -> Result<Void, IOError> { completion.status(Self.name) }
    }

    /// Shuts down `how` of socket `fd`'s connection.
    @inlinable
    public static func shutdown(_ fd: Int32, _ how: Shutdown.How) -> ShutdownOp { ShutdownOp(Shutdown(fd: fd, how: how)) }
}
