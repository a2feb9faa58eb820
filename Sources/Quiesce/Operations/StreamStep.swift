/// What one step of a multishot operation gave (``OperationCore/pollStream(_:prepare:)``).
public enum StreamStep: ~Copyable {
    /// Nothing yet; the waker is registered.
    case pending
    /// A completion that arrived with IORING_CQE_F_MORE: the operation is still in flight.
    case more(result: Int32, flags: UInt32)
    /// The final completion (no IORING_CQE_F_MORE): the operation is idle again.
    case final(Completion)
}
