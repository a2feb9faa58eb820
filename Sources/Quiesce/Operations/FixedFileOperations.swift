#if canImport(Glibc)
import Glibc
#endif

extension IO {
    /// Reads from the registered `file` into the spare capacity of `buffer`. 0 bytes read means end
    /// of file.
    public static func read(_ file: FixedFile, into buffer: consuming IOBuffer, offset: UInt64 = .max) -> IOOperation<OnFixedFile<Read>> {
        IOOperation(OnFixedFile(Read(fd: file.index, offset: offset), on: file), buffer: buffer)
    }

    /// Writes the valid bytes of `buffer` from index `from` to the registered `file`.
    public static func write(_ file: FixedFile, _ buffer: consuming IOBuffer, from: Int = 0,
                             offset: UInt64 = .max) -> IOOperation<OnFixedFile<Write>> {
        IOOperation(OnFixedFile(Write(fd: file.index, offset: offset, from: from), on: file), buffer: buffer)
    }

    /// Receives from the registered socket `file` into the spare capacity of `buffer`.
    public static func recv(_ file: FixedFile, into buffer: consuming IOBuffer, flags: Int32 = 0) -> IOOperation<OnFixedFile<Recv>> {
        IOOperation(OnFixedFile(Recv(fd: file.index, flags: flags), on: file), buffer: buffer)
    }

    /// Sends the valid bytes of `buffer` from index `from` on the registered socket `file`
    /// (MSG_NOSIGNAL added, as ``send(_:_:from:flags:)`` does).
    public static func send(_ file: FixedFile, _ buffer: consuming IOBuffer, from: Int = 0,
                            flags: Int32 = 0) -> IOOperation<OnFixedFile<Send>> {
        IOOperation(OnFixedFile(Send(fd: file.index, flags: flags | Int32(MSG_NOSIGNAL), from: from), on: file), buffer: buffer)
    }

    /// Flushes the registered `file` to stable storage (`dataOnly`: like fdatasync).
    public static func fsync(_ file: FixedFile, dataOnly: Bool = false) -> IOOperation<OnFixedFile<Fsync>> {
        IOOperation(OnFixedFile(Fsync(fd: file.index, dataOnly: dataOnly), on: file))
    }
}
