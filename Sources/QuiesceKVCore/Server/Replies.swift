import Quiesce

/// A connection's replies on their way out: queued (in a ``ReplyQueue``), held until the AOF
/// acknowledges the records they depend on, and in a send.
///
/// Replies that depend on AOF records are *held* until the AOF acknowledges those records, then
/// released in order; if the AOF fails they are never sent. The queue's memory stays near the most
/// bytes ever pending at once (see ``peakReplyMemory``). Its async drop cancels the send in flight.
struct Replies: AsyncDroppable, ~Copyable {
    /// What ``pumpSend(_:)`` reached.
    enum SendState { case idle, busy, failed }

    /// The socket the replies go to (owned by the ``ClientConnection``).
    let fd: Int32
    let aof: AppendOnlyFile?
    private var output = ReplyQueue()
    private var held: [UInt8] = []
    private var heldSeq: UInt64 = 0
    private var ackRegistration: UInt64 = 0
    private var sendOp: SendOp?
    private var sendBuffer: IOBuffer?
    private var sendFrom = 0
    private var inFlightBytes = 0
    /// A send failed or the AOF did: nothing more can be delivered.
    private(set) var failed = false
    /// The most memory the queued and held replies have taken at once, in bytes: near
    /// ``ServerConfig/maxPendingOutput`` (at most about twice the most ever pending), however many
    /// replies pass through.
    private(set) var peakReplyMemory = 0

    /// Replies to `fd`; those gated by `aof` (if any) are held until acknowledged.
    init(fd: Int32, aof: AppendOnlyFile?) {
        self.fd = fd
        self.aof = aof
    }

    /// Bytes of replies not yet sent (queued, held, or in a send).
    var pendingBytes: Int { output.count + held.count + inFlightBytes }

    /// Queues `reply`. `seq` is the AOF record it depends on (0: none); a reply queued after a held
    /// one is held too, so replies keep their order.
    mutating func enqueue(_ reply: [UInt8], dependsOn seq: UInt64) {
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

    /// Sends queued replies; `.idle` once everything queued has been sent. A short send goes on
    /// from where it stopped.
    mutating func pumpSend(_ cx: inout Context) -> SendState {
        while true {
            if failed { return .failed }
            if sendOp != nil {
                guard case .ready(let done) = sendOp!.poll(&cx) else { return .busy }
                sendOp = nil
                guard case .success(let n) = done.result, n > 0 else {  // 0 bytes taken: retrying would spin
                    failed = true
                    inFlightBytes = 0
                    return .failed
                }
                sendFrom += n
                if sendFrom < done.buffer.count {
                    sendOp = IO.send(fd, done.buffer, from: sendFrom)
                    continue
                }
                inFlightBytes = 0
                sendBuffer = consume done.buffer
            }
            if output.count == 0 {
                output.removeAll(keepingCapacityUpTo: 1024 * 1024)
                return .idle
            }
            // The chunk leaves the queue as it is copied out: its space takes the next replies.
            var buffer = sendBuffer.take() ?? IOBuffer(capacity: 64 * 1024)
            buffer.clear()
            buffer.withUnsafeMutableBytes { target, count in count = output.take(into: target) }
            inFlightBytes = buffer.count
            sendFrom = 0
            sendOp = IO.send(fd, buffer)
        }
    }

    /// Cancels the send in flight.
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { sendOp.pollDropReady(&cx) }

    /// The replies as a future that sends all of them, held ones included once the AOF acknowledges
    /// them: `true` when everything went out, `false` when a send or the AOF failed.
    consuming func flush() -> Flush { Flush(replies: self) }

    /// The future of ``Replies/flush()``; its async drop cancels the send in flight.
    struct Flush: Future, ~Copyable {
        var replies: Replies

        mutating func poll(_ cx: inout Context) -> Poll<Bool> {
            let released = replies.releaseHeld(&cx)
            switch replies.pumpSend(&cx) {
            case .busy: return .pending
            case .failed: return .ready(false)
            case .idle: return released ? .ready(true) : .pending
            }
        }

        mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { replies.pollDropReady(&cx) }
    }
}
