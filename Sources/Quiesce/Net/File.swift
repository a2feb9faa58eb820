#if canImport(Glibc)
import Glibc
#endif

/// An owned file: noncopyable, closed exactly once (see ``OwnedDescriptor``). Its methods build the
/// operation futures; its async drop closes it through the ring.
///
/// ```swift
/// let file = try executor.blockOn(File.open("/tmp/log", flags: O_WRONLY | O_CREAT | O_APPEND)).get()
/// let written = try executor.blockOn(file.write(IOBuffer(string: "line\n")))
/// try executor.blockOn(file.close()).get()
/// ```
public struct File: AsyncDroppable, ~Copyable {
    /// The owned descriptor.
    public var descriptor: OwnedDescriptor

    /// The descriptor number, for calls the library does not wrap. It stays owned by this file.
    public var raw: Int32 { descriptor.raw }

    /// Takes ownership of the file descriptor `raw`.
    public init(adopting raw: Int32) { descriptor = OwnedDescriptor(adopting: raw) }

    /// Opens `path` through the ring (O_CLOEXEC added). If the open is cancelled but succeeded
    /// anyway, the descriptor is closed, not leaked.
    public static func open(_ path: String, flags: Int32, mode: UInt32 = 0o644) -> OpenFile {
        Map(IO.open(path, flags: flags, mode: mode), carrying: ()) { _, result in
            switch result {
            case .success(let raw): .success(File(adopting: raw))
            case .failure(let error): .failure(error)
            }
        }
    }

    /// Reads into `buffer`'s spare capacity at `offset` (`UInt64.max`: the current position).
    public func read(at offset: UInt64 = .max, into buffer: consuming IOBuffer) -> ReadOp {
        IO.read(raw, into: buffer, offset: offset)
    }

    /// Writes `buffer`'s valid bytes at `offset` (`UInt64.max`: the current position).
    public func write(at offset: UInt64 = .max, _ buffer: consuming IOBuffer) -> WriteOp {
        IO.write(raw, buffer, offset: offset)
    }

    /// Writes all of `buffer`'s valid bytes at `offset`, continuing after short writes.
    public func writeAll(at offset: UInt64 = .max, _ buffer: consuming IOBuffer) -> WriteAll {
        WriteAll(raw, buffer, offset: offset)
    }

    /// Reads into the spare capacity of each of `buffers` in turn, at `offset` (`UInt64.max`: the
    /// current position).
    public func readv(at offset: UInt64 = .max, into buffers: consuming IOBufferList) -> ReadvOp {
        IO.readv(raw, into: buffers, offset: offset)
    }

    /// Writes the valid bytes of each of `buffers` in turn at `offset` (`UInt64.max`: the current
    /// position); possibly only the first ones.
    public func writev(at offset: UInt64 = .max, _ buffers: consuming IOBufferList) -> WritevOp {
        IO.writev(raw, buffers, offset: offset)
    }

    /// The file's status: size, type and permissions, owner, times (statx with AT_EMPTY_PATH).
    public func status() -> StatxOp { IO.statx(raw) }

    /// Flushes the file to stable storage (`dataOnly`: like fdatasync).
    public func sync(dataOnly: Bool = false) -> FsyncOp { IO.fsync(raw, dataOnly: dataOnly) }

    /// Closes the file and returns the close's result.
    public consuming func close() -> CloseDescriptor { CloseDescriptor(descriptor) }

    /// Closes the file through the ring.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { descriptor.pollDropReady(&cx) }
}

/// The future of ``File/open(_:flags:mode:)``.
public typealias OpenFile = Map<OpenOp, Void, Result<File, IOError>>
