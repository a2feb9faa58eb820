@testable import Quiesce

/// Spawns its child as a task and then awaits it, cancels it, drops its handle asynchronously or
/// synchronously, or detaches it — checking the JoinHandle's promises on the way.
final class SpawnNode: Node {
    enum Mode: CaseIterable { case await, cancelThenAwait, asyncDropHandle, syncDropHandle, detach }

    let mode: Mode
    let childID: Int
    var child: Probe?
    var handle: JoinHandle<Void>?
    var pollsBeforeAction: Int
    var droppingHandle = false

    init(mode: Mode, child: consuming Probe, pollsBeforeAction: Int, ledger: Ledger, owners: [Int]) {
        self.mode = mode
        self.childID = child.id
        self.child = consume child
        self.pollsBeforeAction = pollsBeforeAction
        super.init(ledger: ledger, owners: owners)
    }

    override func poll(_ cx: inout Context) -> Poll<Void> {
        if let child = child.take() { handle = cx.executor!.spawn(child) }
        if !droppingHandle, pollsBeforeAction > 0 {
            pollsBeforeAction -= 1
            if mode != .await { cx.waker.wake() }  // come back for the action even if nothing else wakes us
            if handle != nil, case .ready = handle!.poll(&cx) { return finishedAwaiting() }
            return .pending
        }
        switch mode {
        case .await:
            guard case .ready = handle!.poll(&cx) else { return .pending }
            return finishedAwaiting()
        case .cancelThenAwait:
            if !ledger.hasDeinited(childID) { ledger.cancelRequested(childID) }
            handle!.cancel()
            guard case .ready = handle!.poll(&cx) else { return .pending }
            return finishedAwaiting()
        case .asyncDropHandle:
            if !droppingHandle && !ledger.hasDeinited(childID) { ledger.cancelRequested(childID) }
            droppingHandle = true
            guard handle!.pollDropReady(&cx).isReady else { return .pending }
            if !ledger.hasDeinited(childID) {
                ledger.fail("joinhandle-drop", "handle's async drop completed before its task (probe \(childID)) was released")
            }
            handle = nil
            return .ready(())
        case .syncDropHandle:
            if !ledger.hasDeinited(childID) { ledger.cancelRequested(childID) }
            handle = nil  // the executor finishes the task's drop in the background
            return .ready(())
        case .detach:
            handle.take()!.detach()
            return .ready(())
        }
    }

    private func finishedAwaiting() -> Poll<Void> {
        if !ledger.hasDeinited(childID) {
            ledger.fail("joinhandle-await", "handle resolved before its task (probe \(childID)) was released")
        }
        handle = nil
        return .ready(())
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        if mode != .detach, !ledger.hasDeinited(childID) { ledger.cancelRequested(childID) }
        guard handle.pollDropReady(&cx).isReady else { return .pending }
        if handle != nil, mode != .syncDropHandle, mode != .detach, !ledger.hasDeinited(childID) {
            ledger.fail("joinhandle-drop", "handle's async drop completed before its task (probe \(childID)) was released")
        }
        return .ready(())
    }
}
