import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// A removal of a file or an empty directory (unlinkat).
public typealias UnlinkAtOp = IOOperation<IO.UnlinkAt>

extension IO {
    /// Removes the NUL-terminated path held in the operation's buffer, relative to a directory: a
    /// file, or with AT_REMOVEDIR an empty directory (unlinkat).
    public struct UnlinkAt: OperationKind {
        /// The directory descriptor (AT_FDCWD: the working directory).
        public var directory: Int32
        /// unlinkat(2) flags (AT_REMOVEDIR).
        public var flags: Int32
        /// The path holds a NUL byte: refused with EINVAL, nothing submitted.
        @usableFromInline var refused = false

        /// Removes the buffer's path relative to `directory`, with `flags`.
        public init(directory: Int32, flags: Int32) {
            self.directory = directory
            self.flags = flags
        }

        /// "unlinkat".
        public static var name: String { "unlinkat" }

        /// IORING_OP_UNLINKAT of the buffer's path (a no-op when refused).
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            guard !refused else { return unsafe cqu_prep_nop(&entry) }
            unsafe cqu_prep_unlinkat(&entry, directory, PathBytes.pointer(in: buffer, at: 0), flags)
        }

        /// Success, or the errno (naming the path) as an ``IOError``.
        public func output(_ completion: consuming Completion) -> Result<Void, IOError> {
            PathBytes.outcome(Self.name, completion, refused: refused)
        }
    }

    /// Removes the file at `path` (with `removingDirectory`, the empty directory there), relative
    /// to `directory` (default: the working directory).
    public static func unlink(_ path: String, directory: Int32 = AT_FDCWD, removingDirectory: Bool = false) -> UnlinkAtOp {
        var kind = UnlinkAt(directory: directory, flags: removingDirectory ? AT_REMOVEDIR : 0)
        kind.refused = PathBytes.holdsNUL(path)
        return UnlinkAtOp(kind, buffer: PathBytes.buffer(path))
    }
}
