import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// A rename (renameat2).
public typealias RenameAtOp = IOOperation<IO.RenameAt>

extension IO {
    /// Renames a path to another, both NUL-terminated in the operation's buffer (the old one first),
    /// each relative to its directory (renameat2).
    public struct RenameAt: OperationKind {
        /// The directory the old path is relative to (AT_FDCWD: the working directory).
        public var oldDirectory: Int32
        /// The directory the new path is relative to.
        public var newDirectory: Int32
        /// renameat2(2) flags (RENAME_NOREPLACE, RENAME_EXCHANGE).
        public var flags: UInt32
        /// Where the new path starts in the buffer.
        public var newPathOffset: Int
        /// A path holds a NUL byte: refused with EINVAL, nothing submitted.
        @usableFromInline var refused = false

        /// Renames the buffer's first path (relative to `oldDirectory`) to the one at
        /// `newPathOffset` (relative to `newDirectory`), with `flags`.
        public init(oldDirectory: Int32, newDirectory: Int32, flags: UInt32, newPathOffset: Int) {
            self.oldDirectory = oldDirectory
            self.newDirectory = newDirectory
            self.flags = flags
            self.newPathOffset = newPathOffset
        }

        /// "renameat".
        public static var name: String { "renameat" }

        /// IORING_OP_RENAMEAT of the buffer's two paths (a no-op when refused).
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            guard !refused else { return unsafe cqu_prep_nop(&entry) }
            unsafe cqu_prep_renameat(&entry, oldDirectory, PathBytes.pointer(in: buffer, at: 0),
                                     newDirectory, PathBytes.pointer(in: buffer, at: newPathOffset), flags)
        }

        /// Success, or the errno (naming both paths) as an ``IOError``.
        public func output(_ completion: consuming Completion) -> Result<Void, IOError> {
            let result = refused ? -EINVAL : completion.result
            if result >= 0 { return .success(()) }
            let paths = "\(PathBytes.path(in: completion.buffer, at: 0)) -> \(PathBytes.path(in: completion.buffer, at: newPathOffset))"
            return .failure(PathBytes.failure(Self.name, -result, path: paths, refused: refused))
        }
    }

    /// Renames `path` to `newPath`, each relative to its directory (default: the working
    /// directory). An existing `newPath` is replaced, unless `replacing` is false (then it is an
    /// EEXIST error: RENAME_NOREPLACE).
    public static func rename(_ path: String, to newPath: String, directory: Int32 = AT_FDCWD,
                              newDirectory: Int32 = AT_FDCWD, replacing: Bool = true) -> RenameAtOp {
        let buffer = PathBytes.buffer(path, newPath)
        var kind = RenameAt(oldDirectory: directory, newDirectory: newDirectory,
                            flags: replacing ? 0 : IO.RenameAt.noReplace, newPathOffset: path.utf8.count + 1)
        kind.refused = PathBytes.holdsNUL(path, newPath)
        return RenameAtOp(kind, buffer: buffer)
    }
}

extension IO.RenameAt {
    /// RENAME_NOREPLACE: fail with EEXIST instead of replacing the new path.
    public static let noReplace: UInt32 = 1
}
