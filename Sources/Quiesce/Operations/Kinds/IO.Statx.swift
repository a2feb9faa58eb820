import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// A file's status (statx).
public typealias StatxOp = IOOperation<IO.Statx>

extension IO {
    /// Reads a file's status (statx). The operation's buffer holds the NUL-terminated path, then
    /// the spare capacity the kernel writes its `struct statx` into (a slot's scratch memory would
    /// just fit it, but then it would have to be copied out before the slot is freed).
    public struct Statx: OperationKind {
        /// The directory the path is relative to (AT_FDCWD: the working directory); with an empty
        /// path and AT_EMPTY_PATH, the file itself.
        public var directory: Int32
        /// statx(2) flags (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, …).
        public var flags: Int32
        /// The fields asked for (STATX_BASIC_STATS).
        public var mask: UInt32
        /// The path holds a NUL byte: refused with EINVAL, nothing submitted.
        @usableFromInline var refused = false

        /// Reads the status of the buffer's path, relative to `directory`, with `flags`.
        public init(directory: Int32, flags: Int32, mask: UInt32 = Statx.basicStats) {
            self.directory = directory
            self.flags = flags
            self.mask = mask
        }

        /// AT_EMPTY_PATH: with an empty path, the status of the directory descriptor's own file.
        public static let emptyPath: Int32 = 0x1000
        /// STATX_BASIC_STATS: the fields of a plain stat(2).
        public static let basicStats: UInt32 = 0x7ff

        /// "statx".
        public static var name: String { "statx" }

        /// IORING_OP_STATX of the buffer's path, into its spare capacity.
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            guard !refused, let room = unsafe buffer.spareRegion, room.count >= StatxRecord.size,
                  let result = room.baseAddress else { return unsafe cqu_prep_nop(&entry) }
            // SAFETY: the path and the room for the result lie in the buffer the slot holds,
            // unmoved, until the completion; the room is 8-byte aligned (``PathBytes``).
            unsafe cqu_prep_statx(&entry, directory, PathBytes.pointer(in: buffer, at: 0), flags, mask, OpaquePointer(result))
        }

        /// The file's status, or the errno (naming the path) as an ``IOError``.
        public func output(_ completion: consuming Completion) -> Result<FileStatus, IOError> {
            let roomy = (completion.buffer?.spareCapacity ?? 0) >= StatxRecord.size
            let result = refused ? -EINVAL : roomy ? completion.result : -ENOBUFS  // no room: a no-op ran
            guard result >= 0, let buffer = completion.buffer.take() else {
                return .failure(PathBytes.failure(Self.name, -result, path: PathBytes.path(in: completion.buffer, at: 0), refused: refused))
            }
            // SAFETY: the kernel filled a `struct statx` at the start of the spare capacity (8-byte
            // aligned, and within the buffer: the room was checked above).
            return .success(unsafe FileStatus(statx: buffer.spareRegion.baseAddress!))
        }
    }

    /// Reads the status of `path`, relative to `directory` (default: the working directory);
    /// with `followingSymbolicLinks` false, a symbolic link's own status.
    public static func statx(_ path: String, directory: Int32 = AT_FDCWD, followingSymbolicLinks: Bool = true) -> StatxOp {
        statx(path, directory: directory, flags: followingSymbolicLinks ? 0 : AT_SYMLINK_NOFOLLOW)
    }

    /// Reads the status of the open file `fd` (AT_EMPTY_PATH).
    public static func statx(_ fd: Int32) -> StatxOp { statx("", directory: fd, flags: Statx.emptyPath) }

    static func statx(_ path: String, directory: Int32, flags: Int32) -> StatxOp {
        var kind = Statx(directory: directory, flags: flags)
        kind.refused = PathBytes.holdsNUL(path)
        return StatxOp(kind, buffer: PathBytes.buffer(path, room: StatxRecord.size))
    }
}
