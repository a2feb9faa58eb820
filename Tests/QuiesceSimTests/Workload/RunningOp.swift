@testable import Quiesce

/// One operation future in flight, its type erased, so a node can hold any kind in one field.
/// Released, it drops the future synchronously (an orphan, if the kernel still holds it).
class RunningOp {
    /// Polls the future; `true` once it is ready (its output handled).
    func poll(_ cx: inout Context) -> Bool { true }
    /// The token of its submission, once submitted.
    var token: OpToken? { nil }
    /// Drives the future's async drop.
    func pollDropReady(_ cx: inout Context) -> Poll<Void> { .ready(()) }
}

/// A ``RunningOp`` over a future of type `F`.
final class Running<F: Future & ~Copyable>: RunningOp {
    var future: F?
    let tokenOf: (borrowing F) -> OpToken?
    let handle: (consuming F.Output) -> Void

    init(_ future: consuming F, token: @escaping (borrowing F) -> OpToken?,
         handle: @escaping (consuming F.Output) -> Void = { _ in }) {
        self.future = consume future
        self.tokenOf = token
        self.handle = handle
    }

    override func poll(_ cx: inout Context) -> Bool {
        guard future != nil else { return true }
        let r = future!.poll(&cx)
        guard case .ready(let out) = r else { return false }
        future = nil
        handle(out)
        return true
    }

    override var token: OpToken? {
        guard future != nil else { return nil }
        return tokenOf(future!)
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard future.pollDropReady(&cx).isReady else { return .pending }
        future = nil
        return .ready(())
    }
}
