import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// A directory creation (mkdirat).
public typealias MkdirAtOp = IOOperation<IO.MkdirAt>

extension IO {
    /// Creates a directory at the NUL-terminated path held in the operation's buffer, relative to a
    /// directory (mkdirat).
    public struct MkdirAt: OperationKind {
        /// The directory descriptor (AT_FDCWD: the working directory).
        public var directory: Int32
        /// The new directory's mode (before the umask).
        public var mode: UInt32
        /// The path holds a NUL byte: refused with EINVAL, nothing submitted.
        @usableFromInline var refused = false

        /// Creates the buffer's path relative to `directory`, with `mode`.
        public init(directory: Int32, mode: UInt32) {
            self.directory = directory
            self.mode = mode
        }

        /// "mkdirat".
        public static var name: String { "mkdirat" }

        /// IORING_OP_MKDIRAT of the buffer's path (a no-op when refused).
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            guard !refused else { return unsafe cqu_prep_nop(&entry) }
            unsafe cqu_prep_mkdirat(&entry, directory, PathBytes.pointer(in: buffer, at: 0), mode)
        }

        /// Success, or the errno (naming the path) as an ``IOError``.
        public func output(_ completion: consuming Completion) -> Result<Void, IOError> {
            PathBytes.outcome(Self.name, completion, refused: refused)
        }
    }

    /// Creates the directory `path` with `mode` (before the umask), relative to `directory`
    /// (default: the working directory). An existing path is an EEXIST error.
    public static func mkdir(_ path: String, mode: UInt32 = 0o755, directory: Int32 = AT_FDCWD) -> MkdirAtOp {
        var kind = MkdirAt(directory: directory, mode: mode)
        kind.refused = PathBytes.holdsNUL(path)
        return MkdirAtOp(kind, buffer: PathBytes.buffer(path))
    }
}
