import Quiesce

extension BufferResult {
    /// Moves the buffer out, leaving an empty one. `BufferResult` is a non-frozen type of another
    /// module, so its field cannot be consumed directly; swapping is the way out.
    mutating func takeBuffer() -> IOBuffer {
        var buffer = IOBuffer(capacity: 0)
        swap(&buffer, &self.buffer)
        return buffer
    }
}
