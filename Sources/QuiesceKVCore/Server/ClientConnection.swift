import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// A client connection that flushes its pending replies when it goes out of scope, then closes —
/// a flush-on-drop connection wrapper whose drop is asynchronous, which a Rust `Drop` cannot be.
///
/// Replies that depend on AOF records are *held* until the AOF acknowledges those records, then
/// released in order; the drop waits for them too (bounded by ``ServerConfig/flushTimeout``). After
/// the flush it half-closes, reads and discards what the client still sends for a short linger (so
/// the close does not reset the connection under a reply the client has not read), and closes the
/// descriptor through the ring. A synchronous drop closes the descriptor at once.
public struct ClientConnection: AsyncDroppable, ~Copyable {
    enum Phase { case open, flushing, lingering, closing, closed }
    enum SendState { case idle, busy, failed }

    /// The socket.
    public let fd: Int32
    let aof: AppendOnlyFile?
    let flushTimeout: UInt64
    let lingerTimeout: UInt64
    private var output = ReplyQueue()
    private var held: [UInt8] = []
    private var heldSeq: UInt64 = 0
    private var ackRegistration: UInt64 = 0
    private var sendOp: SendOp?
    private var sendBuffer: IOBuffer?
    private var sendFrom = 0
    private var inFlightBytes = 0
    private var deadline: Sleep?
    private var deadlinePassed = false
    private var linger: Sleep?
    private var lingerRecv: RecvOp?
    private var closeOp: CloseOp?
    private var phase = Phase.open
    /// The peer closed its side (no linger needed).
    var peerClosed = false
    /// A send failed: the peer is gone, nothing more can be delivered.
    private(set) var failed = false
    /// The most memory the queued and held replies have taken at once, in bytes: near
    /// ``ServerConfig/maxPendingOutput`` (at most about twice the most ever pending), however many
    /// replies pass through.
    private(set) var peakReplyMemory = 0

    /// Wraps `fd`; replies gated by `aof` (if any) are held until acknowledged.
    public init(fd: Int32, aof: AppendOnlyFile?, flushTimeout: UInt64, lingerTimeout: UInt64) {
        self.fd = fd
        self.aof = aof
        self.flushTimeout = flushTimeout
        self.lingerTimeout = lingerTimeout
    }

    deinit {
        // Once the ring's close is submitted the descriptor is no longer ours: closing it again
        // could close an unrelated descriptor that reused the number.
        if phase != .closed && closeOp == nil { Glibc.close(fd) }
    }

    /// Bytes of replies not yet sent (queued, held, or in a send).
    public var pendingBytes: Int { output.count + held.count + inFlightBytes }

    /// Queues `reply`. `seq` is the AOF record it depends on (0: none); a reply queued after a held
    /// one is held too, so replies keep their order.
    public mutating func enqueue(_ reply: [UInt8], dependsOn seq: UInt64) {
        if seq > 0 || !held.isEmpty {
            held.append(contentsOf: reply)
            heldSeq = Swift.max(heldSeq, seq)
        } else {
            output.append(reply)
        }
        notePeakReplyMemory()
    }

    private mutating func notePeakReplyMemory() {
        peakReplyMemory = Swift.max(peakReplyMemory, output.capacity + held.capacity)
    }

    /// Moves held replies to the output once the AOF acknowledges them; otherwise registers to be
    /// woken. Returns `false` while replies are still held.
    mutating func releaseHeld(_ cx: inout Context) -> Bool {
        guard !held.isEmpty else { return true }
        guard let aof else { moveHeldToOutput(); return true }
        if aof.failure != nil {
            // The records never became durable: their replies must never be sent.
            held.removeAll()
            failed = true
            return true
        }
        guard aof.isAcknowledged(heldSeq) else {
            aof.waitForAcknowledgement(cx.waker, registration: &ackRegistration)
            return false
        }
        moveHeldToOutput()
        return true
    }

    // Held replies join the output; their buffer is kept for the next ones unless it is huge.
    private mutating func moveHeldToOutput() {
        output.append(held)
        notePeakReplyMemory()
        held.removeAll(keepingCapacity: held.capacity <= 1024 * 1024)
    }

    /// Sends queued replies; `.idle` once everything queued has been sent.
    mutating func pumpSend(_ cx: inout Context) -> SendState {
        while true {
            if failed { return .failed }
            if sendOp != nil {
                guard case .ready(let done) = sendOp!.poll(&cx) else { return .busy }
                sendOp = nil
                let result = done.result
                switch result {
                case .failure:
                    failed = true
                    inFlightBytes = 0
                    return .failed
                case .success(let n):
                    sendFrom += n
                    if n > 0 && sendFrom < done.buffer.count {
                        sendOp = IO.send(fd, done.buffer, from: sendFrom)
                        continue
                    }
                    inFlightBytes = 0
                    if n == 0 && sendFrom < done.buffer.count { failed = true; return .failed }
                    sendBuffer = consume done.buffer
                }
            }
            if output.count == 0 {
                output.removeAll(keepingCapacityUpTo: 1024 * 1024)
                return .idle
            }
            // The chunk leaves the queue as it is copied out: its space takes the next replies.
            var buffer = sendBuffer.take() ?? IOBuffer(capacity: 64 * 1024)
            buffer.clear()
            var chunk = 0
            buffer.withUnsafeMutableBytes { target, count in
                chunk = output.take(into: target)
                count = chunk
            }
            inFlightBytes = chunk
            sendFrom = 0
            sendOp = IO.send(fd, buffer)
        }
    }

    /// Flushes (held replies included), lingers, then closes through the ring.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        while true {
            switch phase {
            case .open:
                phase = .flushing
                deadline = Sleep(nanoseconds: flushTimeout)
            case .flushing:
                if !deadlinePassed, case .ready = deadline!.poll(&cx) { deadlinePassed = true }
                if deadlinePassed || failed {
                    guard sendOp.pollDropReady(&cx).isReady else { return .pending }
                    sendOp = nil
                    phase = .closing
                    continue
                }
                let released = releaseHeld(&cx)
                switch pumpSend(&cx) {
                case .busy: return .pending
                case .failed: continue
                case .idle:
                    if !released { return .pending }
                    if !held.isEmpty { continue }  // failed AOF dropped them
                    phase = peerClosed ? .closing : .lingering
                }
            case .lingering:
                if linger == nil {
                    // FIN after the last reply; then discard input until the client closes.
                    shutdown(fd, Int32(SHUT_WR))
                    linger = Sleep(nanoseconds: lingerTimeout)
                }
                var finished = false
                if !deadlinePassed, case .ready = linger!.poll(&cx) { deadlinePassed = true }
                if !deadlinePassed {
                    if lingerRecv == nil { lingerRecv = IO.recv(fd, into: IOBuffer(capacity: 4096)) }
                    if case .ready(let done) = lingerRecv!.poll(&cx) {
                        lingerRecv = nil
                        if case .success(let n) = done.result, n > 0 { continue }
                        finished = true
                    }
                }
                guard deadlinePassed || finished else { return .pending }
                guard lingerRecv.pollDropReady(&cx).isReady else { return .pending }
                lingerRecv = nil
                phase = .closing
            case .closing:
                guard DropGlue.join(&cx, &deadline, &linger).isReady else { return .pending }
                if closeOp == nil { closeOp = IO.close(fd) }
                guard case .ready(let result) = closeOp!.poll(&cx) else { return .pending }
                closeOp = nil
                phase = .closed
                if case .failure(let error) = result {
                    cx.report(Diagnostic(.dropError, "closing client connection: \(error)"))
                }
                return .ready(())
            case .closed:
                return .ready(())
            }
        }
    }
}
