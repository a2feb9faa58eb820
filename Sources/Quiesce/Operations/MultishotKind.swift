import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// An operation kind that completes many times from one submission (IORING_CQE_F_MORE): each
/// completion is one element of a stream (``MultishotOperation``).
public protocol MultishotKind: OperationKind {
    /// What each completion yields.
    associatedtype Element: ~Copyable

    /// The element one completion carries: its result (a descriptor, a byte count) or its error.
    func element(result: Int32, flags: UInt32) -> Element

    /// `true` when a final completion with a non-negative `result` ends the stream (a receive's 0:
    /// the peer closed), rather than being an element after which the operation is re-armed.
    func ends(result: Int32) -> Bool

    /// Called when the kernel ended the operation with -ENOBUFS (its provided buffers ran out):
    /// registers `waker` to be woken when one comes back and answers `true`, or `false` when one is
    /// back already (re-arm at once). Kinds that pick no buffers never see -ENOBUFS.
    func waitForBuffers(_ waker: Waker) -> Bool
}

extension MultishotKind {
    /// Most streams end only by error or cancellation.
    @inlinable public func ends(result: Int32) -> Bool { false }
    /// No buffers to wait for.
    @inlinable public func waitForBuffers(_ waker: Waker) -> Bool { false }
}
