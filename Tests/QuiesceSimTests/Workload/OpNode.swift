import Glibc
@testable import Quiesce

/// A leaf: a few operations of one kind, one after another, through the real operation futures.
/// Descriptors it gets (accept, open) it closes through the ring. One of its operations may be
/// dropped synchronously mid-flight (an orphan) to exercise the driver's orphan table.
final class OpNode: Node {
    enum Kind {
        case read(Int32), write(Int32), recv(Int32), send(Int32), accept(Int32), open(String)
        case timeout(UInt64), nop, sleep(UInt64), poll(Int32)
    }

    let kind: Kind
    var remaining: Int
    /// Index of the operation to orphan (drop synchronously once in flight), if any.
    var orphanAt: Int?
    var index = 0

    var buffer: BufferOp?
    var value: Int32Op?
    var status: StatusOp?
    var accepted: AcceptOp?
    var sleeper: Sleep?
    var heldFD: Int32?
    /// The descriptor a close operation is working on: a close dropped before it ran leaves it open.
    var closingFD: Int32?
    var lastToken: OpToken?
    var active = false

    init(_ kind: Kind, count: Int, orphanAt: Int?, ledger: Ledger, owners: [Int]) {
        self.kind = kind
        self.remaining = count
        self.orphanAt = orphanAt
        super.init(ledger: ledger, owners: owners)
    }

    deinit {
        // Released without its async drop (an orphaned subtree): the descriptor is still ours to close.
        if let heldFD { ledger.sim.close(heldFD) }
        if let closingFD, ledger.sim.isOpen(closingFD) { ledger.sim.close(closingFD) }
        if active { ledger.opsOrphaned += 1 }
    }

    private func start() {
        active = true
        ledger.opsStarted += 1
        lastToken = nil
        if let fd = heldFD {
            heldFD = nil
            closingFD = fd
            status = IO.close(fd)
            return
        }
        let payload = IOBuffer(bytes: Array(repeating: UInt8(truncatingIfNeeded: index &+ 65), count: 1 + index % 7))
        switch kind {
        case .read(let fd): buffer = IO.read(fd, into: IOBuffer(capacity: 8))
        case .write(let fd): buffer = IO.write(fd, payload)
        case .recv(let fd): buffer = IO.recv(fd, into: IOBuffer(capacity: 8))
        case .send(let fd): buffer = IO.send(fd, payload)
        case .accept(let fd): accepted = IO.accept(fd)
        case .open(let path): value = IO.open(path, flags: O_RDONLY)
        case .timeout(let ns): status = IO.timeout(nanoseconds: ns)
        case .nop: status = IO.nop()
        case .sleep(let ns): sleeper = Sleep(nanoseconds: ns)
        case .poll(let fd): value = IO.poll(fd, events: UInt32(POLLIN))
        }
    }

    private func track(_ token: OpToken?) {
        guard let token, token != lastToken else { return }
        lastToken = token
        ledger.started(token, owners: owners)
    }

    /// Polls the active operation; `true` once it is ready (its output handled).
    private func pollActive(_ cx: inout Context) -> Bool {
        if buffer != nil {
            let r = buffer!.poll(&cx)
            track(buffer!.core.token)
            guard case .ready(let out) = r else { return false }
            if case .success(0) = out.result, case .read = kind { remaining = 0 }  // end of file
            if case .success(0) = out.result, case .recv = kind { remaining = 0 }
            buffer = nil
        } else if value != nil {
            let r = value!.poll(&cx)
            track(value!.core.token)
            guard case .ready(let out) = r else { return false }
            if case .open = kind, case .success(let fd) = out { heldFD = fd }
            value = nil
        } else if accepted != nil {
            let r = accepted!.poll(&cx)
            track(accepted!.core.token)
            guard case .ready(let out) = r else { return false }
            if case .success(let connection) = out { heldFD = connection.fd }
            accepted = nil
        } else if status != nil {
            let r = status!.poll(&cx)
            track(status!.core.token)
            guard r.isReady else { return false }
            status = nil
        } else if sleeper != nil {
            guard sleeper!.poll(&cx).isReady else { return false }
            sleeper = nil
        }
        return true
    }

    override func poll(_ cx: inout Context) -> Poll<Void> {
        while true {
            if !active {
                guard remaining > 0 || heldFD != nil else { return .ready(()) }
                if heldFD == nil { remaining -= 1; index += 1 }
                start()
            }
            if !pollActive(&cx) {
                if orphanAt == index, lastToken != nil {
                    // Drop the operation synchronously while in flight: the driver must keep its buffer.
                    orphanAt = nil
                    buffer = nil; value = nil; status = nil; accepted = nil
                    ledger.opsOrphaned += 1
                    active = false
                    ledger.orphaned(lastToken!)  // no one's async drop waits for it now
                    continue
                }
                return .pending
            }
            active = false
            ledger.opsReady += 1
        }
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard DropGlue.join(&cx, &buffer, &value, &status, &accepted, &sleeper).isReady else { return .pending }
        if active { active = false; ledger.opsDropped += 1 }
        // A descriptor received but not closed yet: close it now (a synchronous close).
        if let fd = heldFD { heldFD = nil; ledger.sim.close(fd) }
        // A close cancelled before it reached the kernel did not close (descriptors are never reused here).
        if let fd = closingFD, ledger.sim.isOpen(fd) { closingFD = nil; ledger.sim.close(fd) }
        return .ready(())
    }
}
