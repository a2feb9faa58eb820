extension BufferResult {
    /// Consumes the result and hands back its buffer, to reuse it for the next operation without
    /// allocating. (Outside this module a non-frozen noncopyable struct cannot be taken apart.)
    public consuming func intoBuffer() -> IOBuffer { buffer }
}
