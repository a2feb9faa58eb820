import Glibc
@testable import Quiesce

/// A leaf: a few operations of one kind, one after another, through the real operation futures.
/// Descriptors it gets (accept, open) it closes through the ring. One of its operations may be
/// dropped synchronously mid-flight (an orphan) to exercise the driver's orphan table.
final class OpNode: Node {
    enum Kind {
        case read(Int32), write(Int32), recv(Int32), send(Int32), accept(Int32), open(String)
        case timeout(UInt64), nop, sleep(UInt64), poll(Int32), sendZeroCopy(Int32), readWithDeadline(Int32, UInt64)
    }

    let kind: Kind
    var remaining: Int
    /// Index of the operation to orphan (drop synchronously once in flight), if any.
    var orphanAt: Int?
    var index = 0

    // The operation in flight, one field per operation type; at most one is set.
    var read: ReadOp?
    var write: WriteOp?
    var recv: RecvOp?
    var send: SendOp?
    var open: OpenOp?
    var pollOp: PollOp?
    var close: CloseOp?
    var timeout: TimeoutOp?
    var nop: NopOp?
    var accepted: AcceptOp?
    var zeroCopy: ZeroCopySend?
    var deadlineRead: LinkedDeadline<IO.Read>?
    /// The tokens of deadline reads already reported to the ledger.
    var linkTokens = Set<OpToken>()
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
            close = IO.close(fd)
            return
        }
        let payload = IOBuffer(bytes: Array(repeating: UInt8(truncatingIfNeeded: index &+ 65), count: 1 + index % 7))
        switch kind {
        case .read(let fd): read = IO.read(fd, into: IOBuffer(capacity: 8))
        case .write(let fd): write = IO.write(fd, payload)
        case .recv(let fd): recv = IO.recv(fd, into: IOBuffer(capacity: 8))
        case .send(let fd): send = IO.send(fd, payload)
        case .accept(let fd): accepted = IO.accept(fd)
        case .open(let path): open = IO.open(path, flags: O_RDONLY)
        case .timeout(let ns): timeout = IO.timeout(nanoseconds: ns)
        case .nop: nop = IO.nop()
        case .sleep(let ns): sleeper = Sleep(nanoseconds: ns)
        case .poll(let fd): pollOp = IO.poll(fd, events: UInt32(POLLIN))
        case .sendZeroCopy(let fd): zeroCopy = IO.sendZeroCopy(fd, payload)
        case .readWithDeadline(let fd, let ns): deadlineRead = IO.read(fd, into: IOBuffer(capacity: 8)).withDeadline(nanoseconds: ns)
        }
    }

    private func track(_ token: OpToken?) {
        guard let token, token != lastToken else { return }
        lastToken = token
        ledger.started(token, owners: owners)
    }

    /// Polls `op` if it is the active operation: `nil` when it is not, `false` while pending, `true`
    /// once ready (its output handed to `handle`).
    private func step<K: OperationKind>(_ op: inout IOOperation<K>?, _ cx: inout Context,
                                        _ handle: (consuming K.Output) -> Void = { _ in }) -> Bool? {
        guard op != nil else { return nil }
        let r = op!.poll(&cx)
        track(op!.core.token)
        guard case .ready(let out) = r else { return false }
        op = nil
        handle(out)
        return true
    }

    /// Polls the active operation; `true` once it is ready (its output handled).
    private func pollActive(_ cx: inout Context) -> Bool {
        let endOfStream: (consuming BufferResult) -> Void = { out in
            if case .success(0) = out.result { self.remaining = 0 }  // end of file, or the peer closed
        }
        if let done = step(&read, &cx, endOfStream) { return done }
        if let done = step(&recv, &cx, endOfStream) { return done }
        if let done = step(&write, &cx) { return done }
        if let done = step(&send, &cx) { return done }
        if let done = step(&open, &cx, { out in if case .success(let fd) = out { self.heldFD = fd } }) { return done }
        if let done = step(&accepted, &cx, { out in if case .success(let connection) = out { self.heldFD = connection.fd } }) {
            return done
        }
        if let done = step(&pollOp, &cx) { return done }
        if let done = step(&close, &cx) { return done }
        if let done = step(&timeout, &cx) { return done }
        if let done = step(&nop, &cx) { return done }
        if deadlineRead != nil {
            let r = deadlineRead!.poll(&cx)
            for token in [deadlineRead!.operation, deadlineRead!.timeout].compactMap({ $0 }) where !linkTokens.contains(token) {
                linkTokens.insert(token)
                ledger.started(token, owners: owners)
            }
            guard case .ready(let out) = r else { return false }
            if case .success(0) = out.result { remaining = 0 }  // end of file
            deadlineRead = nil
            return true
        }
        if zeroCopy != nil {
            let r = zeroCopy!.poll(&cx)
            track(zeroCopy!.core.token)
            guard r.isReady else { return false }
            zeroCopy = nil
        }
        if sleeper != nil {
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
                    read = nil; write = nil; recv = nil; send = nil; open = nil; pollOp = nil
                    close = nil; timeout = nil; nop = nil; accepted = nil; zeroCopy = nil
                    deadlineRead = nil
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
        guard DropGlue.join(&cx, &read, &write, &recv, &send, &open).isReady,
              DropGlue.join(&cx, &pollOp, &close, &timeout, &nop, &accepted).isReady,
              zeroCopy.pollDropReady(&cx).isReady, deadlineRead.pollDropReady(&cx).isReady,
              sleeper.pollDropReady(&cx).isReady else { return .pending }
        if active { active = false; ledger.opsDropped += 1 }
        // A descriptor received but not closed yet: close it now (a synchronous close).
        if let fd = heldFD { heldFD = nil; ledger.sim.close(fd) }
        // A close cancelled before it reached the kernel did not close (descriptors are never reused here).
        if let fd = closingFD, ledger.sim.isOpen(fd) { closingFD = nil; ledger.sim.close(fd) }
        return .ready(())
    }
}
