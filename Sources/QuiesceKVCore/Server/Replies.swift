import Quiesce

/// A connection's replies on their way out: queued, held until the AOF acknowledges the records
/// they depend on, and in a send.
///
/// Replies are queued in the buffer the next send takes as it is, so a reply is copied once, into
/// the queue: while that buffer is in a send, replies queue in a second one, and the two trade
/// places when the send is done (neither is allocated again while they suffice).
///
/// Replies that depend on AOF records are *held* until the AOF acknowledges those records, then
/// released in order; if the AOF fails they are never sent. The replies' memory stays near the most
/// bytes ever pending at once (see ``peakReplyMemory``). Its async drop cancels the send in flight.
struct Replies: AsyncDroppable, ~Copyable {
    /// What ``pumpSend(_:)`` reached.
    enum SendState { case idle, busy, failed }

    /// The socket the replies go to (owned by the ``ClientConnection``).
    let fd: Int32
    let aof: AppendOnlyFile?
    /// Past this many bytes a queue buffer grows to what it must hold instead of doubling: the
    /// connection's bound on pending replies (``ServerConfig/maxPendingOutput``).
    let growthLimit: Int
    // Replies not yet in a send, in the buffer the next send takes.
    private var queued: IOBuffer?
    // The other buffer, empty, while `queued` holds replies and no send is in flight.
    private var spare: IOBuffer?
    private var held: [UInt8] = []
    private var heldSeq: UInt64 = 0
    private var ackRegistration: UInt64 = 0
    private var sendOp: SendOp?
    private var sendFrom = 0
    private var inFlightBytes = 0
    private var inFlightCapacity = 0
    /// A send failed or the AOF did: nothing more can be delivered.
    private(set) var failed = false
    /// The most memory the queued, held and in-flight replies have taken at once, in bytes: near
    /// ``ServerConfig/maxPendingOutput`` (at most about twice the most ever pending), however many
    /// replies pass through.
    private(set) var peakReplyMemory = 0
    /// A buffer larger than this is freed once its replies are sent rather than kept for the next
    /// ones (one huge reply does not pin its memory to the connection).
    static let keptBufferLimit = 1024 * 1024

    /// Replies to `fd`; those gated by `aof` (if any) are held until acknowledged. A queue buffer
    /// doubles as it grows up to `growthLimit` bytes.
    init(fd: Int32, aof: AppendOnlyFile?, growthLimit: Int = ServerConfig().maxPendingOutput) {
        self.fd = fd
        self.aof = aof
        self.growthLimit = growthLimit
    }

    /// Bytes of replies not yet sent (queued, held, or in a send).
    var pendingBytes: Int { Self.count(of: queued) + held.count + inFlightBytes }

    // The valid bytes of `buffer`, 0 for none.
    private static func count(of buffer: borrowing IOBuffer?) -> Int {
        switch buffer {
        case .some(let buffer): buffer.count
        case .none: 0
        }
    }

    // The capacity of `buffer`, 0 for none.
    private static func capacity(of buffer: borrowing IOBuffer?) -> Int {
        switch buffer {
        case .some(let buffer): buffer.capacity
        case .none: 0
        }
    }

    /// Queues `reply`. `seq` is the AOF record it depends on (0: none); a reply queued after a held
    /// one is held too, so replies keep their order.
    mutating func enqueue(_ reply: [UInt8], dependsOn seq: UInt64) {
        if seq > 0 || !held.isEmpty {
            held.append(contentsOf: reply)
            heldSeq = Swift.max(heldSeq, seq)
        } else {
            queue(reply)
        }
        notePeakReplyMemory()
    }

    // Appends `bytes` to the queue buffer, growing it if they do not fit.
    private mutating func queue(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        var buffer = queued.take() ?? IOBuffer(capacity: Swift.max(4096, bytes.count))
        if buffer.spareCapacity < bytes.count { buffer = grown(buffer, toHold: buffer.count + bytes.count) }
        buffer.append(contentsOf: bytes)
        queued = consume buffer
    }

    // `buffer`'s bytes in a larger buffer: twice the size, or the power of two (from 4 KB) that
    // holds `needed`, but no more than `needed` once that passes `growthLimit`.
    private func grown(_ buffer: consuming IOBuffer, toHold needed: Int) -> IOBuffer {
        var size = Swift.max(buffer.capacity * 2, 4096)
        while size < needed { size *= 2 }
        var bigger = IOBuffer(capacity: Swift.min(size, Swift.max(needed, growthLimit)))
        _ = buffer.withUnsafeBytes { bigger.append(contentsOf: $0) }
        return bigger
    }

    private mutating func notePeakReplyMemory() {
        let buffers = Self.capacity(of: queued) + Self.capacity(of: spare) + inFlightCapacity
        peakReplyMemory = Swift.max(peakReplyMemory, buffers + held.capacity)
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
        queue(held)
        notePeakReplyMemory()
        held.removeAll(keepingCapacity: held.capacity <= Self.keptBufferLimit)
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
                    inFlightCapacity = 0
                    return .failed
                }
                sendFrom += n
                if sendFrom < done.buffer.count {
                    sendOp = IO.send(fd, done.buffer, from: sendFrom)
                    continue
                }
                inFlightBytes = 0
                inFlightCapacity = 0
                // The sent buffer takes the next replies (or waits as the spare while the queue
                // buffer has some), unless it is huge.
                var sent = done.buffer
                if sent.capacity <= Self.keptBufferLimit {
                    sent.clear()
                    if queued == nil { queued = consume sent } else { spare = consume sent }
                }
            }
            guard Self.count(of: queued) > 0 else {
                if Self.capacity(of: queued) > Self.keptBufferLimit { queued = nil }
                return .idle
            }
            // The queue buffer goes out as it is; replies queue in the spare meanwhile.
            let buffer = queued.take()!
            queued = spare.take()
            inFlightBytes = buffer.count
            inFlightCapacity = buffer.capacity
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
