#if canImport(Glibc)
import Glibc
#endif

/// What ``IO/statx(_:directory:followingSymbolicLinks:)`` (or ``File/status()``) tells about a
/// file: its size, type and permissions, owner and times.
public struct FileStatus: Sendable, Equatable {
    /// The size in bytes.
    public var size: UInt64
    /// The file's type and permission bits (`st_mode`: S_IFREG, S_IFDIR, … and 0o7777).
    public var mode: UInt32
    /// The number of hard links.
    public var linkCount: UInt32
    /// The owner's user ID.
    public var userID: UInt32
    /// The owner's group ID.
    public var groupID: UInt32
    /// The inode number.
    public var inode: UInt64
    /// The number of 512-byte blocks allocated.
    public var blocks: UInt64
    /// The preferred block size for I/O.
    public var blockSize: UInt32
    /// The last access.
    public var accessTime: Time
    /// The last change of the contents.
    public var modificationTime: Time
    /// The last change of the status (owner, mode, links, …).
    public var changeTime: Time

    /// A time since the Unix epoch.
    public struct Time: Sendable, Equatable, Comparable {
        /// Whole seconds since 1970-01-01 00:00 UTC.
        public var seconds: Int64
        /// Nanoseconds into that second.
        public var nanoseconds: UInt32

        /// `seconds` and `nanoseconds` since the epoch.
        public init(seconds: Int64, nanoseconds: UInt32) {
            self.seconds = seconds
            self.nanoseconds = nanoseconds
        }

        /// Earlier first.
        public static func < (lhs: Time, rhs: Time) -> Bool {
            (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
        }
    }

    /// A status with every field given (a simulated file's, a test's).
    public init(size: UInt64, mode: UInt32, linkCount: UInt32 = 1, userID: UInt32 = 0, groupID: UInt32 = 0,
                inode: UInt64 = 0, blocks: UInt64 = 0, blockSize: UInt32 = 4096,
                accessTime: Time = Time(seconds: 0, nanoseconds: 0),
                modificationTime: Time = Time(seconds: 0, nanoseconds: 0),
                changeTime: Time = Time(seconds: 0, nanoseconds: 0)) {
        self.size = size
        self.mode = mode
        self.linkCount = linkCount
        self.userID = userID
        self.groupID = groupID
        self.inode = inode
        self.blocks = blocks
        self.blockSize = blockSize
        self.accessTime = accessTime
        self.modificationTime = modificationTime
        self.changeTime = changeTime
    }

    /// The status in the `struct statx` the kernel filled at `record` (``StatxRecord/size`` bytes).
    init(statx record: UnsafeRawPointer) {
        // SAFETY: the caller provides `StatxRecord.size` readable bytes; every load is inside them,
        // at the kernel's offsets (unaligned loads: no alignment is assumed).
        func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T { unsafe record.loadUnaligned(fromByteOffset: offset, as: T.self) }
        func time(_ offset: Int) -> Time {
            Time(seconds: load(offset, Int64.self), nanoseconds: load(offset + 8, UInt32.self))
        }
        self.init(size: load(StatxRecord.size_, UInt64.self), mode: UInt32(load(StatxRecord.mode, UInt16.self)),
                  linkCount: load(StatxRecord.nlink, UInt32.self), userID: load(StatxRecord.uid, UInt32.self),
                  groupID: load(StatxRecord.gid, UInt32.self), inode: load(StatxRecord.ino, UInt64.self),
                  blocks: load(StatxRecord.blocks, UInt64.self), blockSize: load(StatxRecord.blksize, UInt32.self),
                  accessTime: time(StatxRecord.atime), modificationTime: time(StatxRecord.mtime),
                  changeTime: time(StatxRecord.ctime))
    }

    /// Writes this status as the kernel writes a `struct statx` (the basic fields, the rest zero)
    /// at `record` (``StatxRecord/size`` bytes): what a simulated kernel answers.
    package func store(asStatxAt record: UnsafeMutableRawPointer) {
        // SAFETY: the caller provides `StatxRecord.size` writable bytes; every store is inside them.
        unsafe record.initializeMemory(as: UInt8.self, repeating: 0, count: StatxRecord.size)
        func store<T: FixedWidthInteger>(_ value: T, _ offset: Int) { unsafe record.storeBytes(of: value, toByteOffset: offset, as: T.self) }
        func store(_ time: Time, _ offset: Int) { store(time.seconds, offset); store(time.nanoseconds, offset + 8) }
        store(IO.Statx.basicStats, StatxRecord.mask)
        store(blockSize, StatxRecord.blksize)
        store(linkCount, StatxRecord.nlink)
        store(userID, StatxRecord.uid)
        store(groupID, StatxRecord.gid)
        store(UInt16(truncatingIfNeeded: mode), StatxRecord.mode)
        store(inode, StatxRecord.ino)
        store(size, StatxRecord.size_)
        store(blocks, StatxRecord.blocks)
        store(accessTime, StatxRecord.atime)
        store(changeTime, StatxRecord.ctime)
        store(modificationTime, StatxRecord.mtime)
    }

    /// The permission bits (`mode & 0o7777`).
    public var permissions: UInt32 { mode & 0o7777 }
    /// `true` for a regular file.
    public var isRegularFile: Bool { mode & 0o170000 == 0o100000 }
    /// `true` for a directory.
    public var isDirectory: Bool { mode & 0o170000 == 0o040000 }
    /// `true` for a symbolic link (seen only when links are not followed).
    public var isSymbolicLink: Bool { mode & 0o170000 == 0o120000 }
}

/// The layout of the kernel's `struct statx` (linux/stat.h), a stable ABI: its size and the byte
/// offsets of the fields ``FileStatus`` reads. (liburing only declares the struct, and the C
/// library defines it only for _GNU_SOURCE, so Swift does not see it.)
package enum StatxRecord {
    /// The record's size in bytes.
    package static let size = 256
    /// The alignment the kernel writes it at (its 64-bit fields).
    package static let alignment = 8
    static let mask = 0, blksize = 4, nlink = 16, uid = 20, gid = 24, mode = 28
    static let ino = 32, size_ = 40, blocks = 48
    /// Each time is a `statx_timestamp`: seconds (Int64) then nanoseconds (UInt32).
    static let atime = 64, ctime = 96, mtime = 112
}
