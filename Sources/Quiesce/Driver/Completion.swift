/// What the kernel said about one operation: its result, its flags, and the buffer handed back.
public struct Completion: ~Copyable {
    /// The completion's `res`: a count or descriptor when non-negative, `-errno` when negative.
    public let result: Int32
    /// The completion's flags (IORING_CQE_F_*).
    public let flags: UInt32
    /// The buffer the operation owned, returned with the result. For an accept that succeeded: the
    /// peer's address (a `sockaddr`), which the kernel wrote into the slot's storage.
    public var buffer: IOBuffer?
    /// The provided-buffer ring the operation's entry named (`buf_group`), for giving back a buffer
    /// the kernel picked.
    let bufferGroup: UInt16
    init(result: Int32, flags: UInt32, buffer: consuming IOBuffer?, bufferGroup: UInt16 = 0) {
        self.result = result
        self.flags = flags
        self.buffer = buffer
        self.bufferGroup = bufferGroup
    }

    /// `result` as a `Result`: the non-negative value, or the errno as an ``IOError``.
    /// `operation` is evaluated only for a failure: successes never build a string.
    public func checked(_ operation: @autoclosure () -> String) -> Result<Int, IOError> {
        result >= 0 ? .success(Int(result)) : .failure(IOError(result: result, operation: operation()))
    }
}
