import Glibc
@testable import Quiesce
@testable import QuiesceSimulation

/// A leaf of the plain operations beyond the first set: a few operations of one kind, one after
/// another — vectored transfers, messages (a UDP socket's receives, sends to an address), path
/// operations, shutdown, fixed reads and writes over registered buffers, transfers on the
/// registered file table. Like ``OpNode``, one of them may be dropped synchronously mid-flight (an
/// orphan); the tree around it cancels, times out and races it.
///
/// What it checks on each result: a transfer's byte count is what its buffers took in.
final class PlainOpNode: Node {
    enum Kind {
        case readv(Int32, offset: UInt64), writev(Int32, offset: UInt64)
        /// A receive through the world's UDP socket (its message memory), or `IO.recvmsg` on a stream socket.
        case receiveDatagram, recvmsg(Int32)
        case sendmsg(Int32, to: SocketAddress?)
        case statx(String), statxOpen(Int32)
        case unlink(String, directory: Bool), rename(String, to: String, replacing: Bool), mkdir(String)
        case shutdown(Int32, IO.Shutdown.How)
        case readFixed(Int32), writeFixed(Int32)
        /// A fixed read or write on a file of the registered table (by its index).
        case readFixedOnTable(Int), writeFixedOnTable(Int)
        /// A plain read or write on a file of the registered table.
        case readTable(Int), writeTable(Int)

        /// The kind's name in the sweep's counters.
        var name: String {
            switch self {
            case .readv: return "readv"
            case .writev: return "writev"
            case .receiveDatagram, .recvmsg: return "recvmsg"
            case .sendmsg: return "sendmsg"
            case .statx, .statxOpen: return "statx"
            case .unlink: return "unlinkat"
            case .rename: return "renameat"
            case .mkdir: return "mkdirat"
            case .shutdown: return "shutdown"
            case .readFixed, .readFixedOnTable: return "read_fixed"
            case .writeFixed, .writeFixedOnTable: return "write_fixed"
            case .readTable, .writeTable: return "registered_file"
            }
        }

        /// `true` for the kinds that need the registered buffers or file table.
        var usesRegisteredResources: Bool {
            switch self {
            case .readFixed, .writeFixed, .readFixedOnTable, .writeFixedOnTable, .readTable, .writeTable: return true
            default: return false
            }
        }

        /// Every name, for the sweep's guard.
        static let names = ["readv", "writev", "recvmsg", "sendmsg", "statx", "unlinkat", "renameat", "mkdirat",
                            "shutdown", "read_fixed", "write_fixed", "registered_file"]
    }

    let kind: Kind
    let shared: SharedResources
    var remaining: Int
    /// Index of the operation to orphan (drop synchronously once in flight), if any.
    var orphanAt: Int?
    var index = 0
    /// The operation in flight.
    var running: RunningOp?
    var lastToken: OpToken?

    init(_ kind: Kind, shared: SharedResources, count: Int, orphanAt: Int?, ledger: Ledger, owners: [Int]) {
        self.kind = kind
        self.shared = shared
        self.remaining = count
        self.orphanAt = orphanAt
        super.init(ledger: ledger, owners: owners)
    }

    deinit {
        // Released without its async drop (an orphaned subtree): the operation is orphaned with it.
        if running != nil { ledger.opsOrphaned += 1; ledger.exercised("op.\(kind.name).orphaned") }
    }

    private func count(_ event: String) { ledger.exercised("op.\(kind.name).\(event)") }

    /// A read's result against what its buffers (empty before) hold: `held` bytes valid.
    private func checkTransfer(_ result: Result<Int, IOError>, held: Int) {
        guard case .success(let n) = result else { return }
        if n == 0 { remaining = 0 }  // end of file
        if held != n { ledger.fail("transfer-count", "\(kind.name) reported \(n) bytes, its buffers hold \(held)") }
    }

    /// The next operation, or `nil` when there is none to start (no registered buffer to lend).
    private func start() -> RunningOp? {
        let payload = IOBuffer(bytes: Array(repeating: UInt8(truncatingIfNeeded: index &+ 97), count: 1 + index % 7))
        switch kind {
        case .readv(let fd, let offset):
            var list = IOBufferList()
            for i in 0..<(1 + index % 3) { list.append(IOBuffer(capacity: 1 + (index + i) % 5)) }
            return Running(IO.readv(fd, into: list, offset: offset), token: { $0.core.token }) { [unowned self] out in
                checkTransfer(out.result, held: out.buffers.byteCount)
            }
        case .writev(let fd, let offset):
            var list = IOBufferList()
            list.append(payload)
            if index % 2 == 0 { list.append(IOBuffer(bytes: [1, 2, 3])) }
            return Running(IO.writev(fd, list, offset: offset), token: { $0.core.token })
        case .receiveDatagram:
            guard shared.udp != nil else { return nil }
            return Running(shared.udp!.receive(into: IOBuffer(capacity: 1 + index % 8)), token: { $0.core.token }) { [unowned self] out in
                checkTransfer(out.result, held: out.buffer.count)
                if case .success = out.result, out.peer == nil {
                    ledger.fail("datagram-sender", "a datagram received without its sender's address")
                }
            }
        case .recvmsg(let fd):
            return Running(IO.recvmsg(fd, into: IOBuffer(capacity: 1 + index % 8)), token: { $0.core.token }) { [unowned self] out in
                checkTransfer(out.result, held: out.buffer.count)
            }
        case .sendmsg(let fd, let address):
            return Running(IO.sendmsg(fd, payload, to: address), token: { $0.core.token })
        case .statx(let path):
            return Running(IO.statx(path), token: { $0.core.token })
        case .statxOpen(let fd):
            return Running(IO.statx(fd), token: { $0.core.token })
        case .unlink(let path, let directory):
            return Running(IO.unlink(path, removingDirectory: directory), token: { $0.core.token })
        case .rename(let path, let newPath, let replacing):
            return Running(IO.rename(path, to: newPath, replacing: replacing), token: { $0.core.token })
        case .mkdir(let path):
            return Running(IO.mkdir(path), token: { $0.core.token })
        case .shutdown(let fd, let how):
            return Running(IO.shutdown(fd, how), token: { $0.core.token })
        case .readFixed(let fd):
            guard let lease = shared.buffers?.takeAny() else { return nil }
            return Running(IO.readFixed(fd, into: lease), token: { $0.operation.core.token }) { [unowned self] out in
                checkTransfer(out.result, held: out.buffer.count)
            }
        case .writeFixed(let fd):
            guard var lease = shared.buffers?.takeAny() else { return nil }
            lease.append(contentsOf: payload.bytes)
            return Running(IO.writeFixed(fd, lease), token: { $0.operation.core.token })
        case .readFixedOnTable(let i):
            guard i < shared.fixedFiles.count else { return nil }  // the table could not be registered
            guard let lease = shared.buffers?.takeAny() else { return nil }
            return Running(IO.readFixed(shared.fixedFiles[i], into: lease), token: { $0.operation.core.token }) { [unowned self] out in
                checkTransfer(out.result, held: out.buffer.count)
            }
        case .writeFixedOnTable(let i):
            guard i < shared.fixedFiles.count else { return nil }  // the table could not be registered
            guard var lease = shared.buffers?.takeAny() else { return nil }
            lease.append(contentsOf: payload.bytes)
            return Running(IO.writeFixed(shared.fixedFiles[i], lease), token: { $0.operation.core.token })
        case .readTable(let i):
            guard i < shared.fixedFiles.count else { return nil }  // the table could not be registered
            return Running(IO.read(shared.fixedFiles[i], into: IOBuffer(capacity: 8)), token: { $0.core.token }) { [unowned self] out in
                checkTransfer(out.result, held: out.buffer.count)
            }
        case .writeTable(let i):
            guard i < shared.fixedFiles.count else { return nil }  // the table could not be registered
            return Running(IO.write(shared.fixedFiles[i], payload), token: { $0.core.token })
        }
    }

    private func track(_ token: OpToken?) {
        guard let token, token != lastToken else { return }
        lastToken = token
        ledger.started(token, owners: owners)
    }

    override func poll(_ cx: inout Context) -> Poll<Void> {
        while true {
            if running == nil {
                guard remaining > 0 else { return .ready(()) }
                remaining -= 1
                index += 1
                lastToken = nil
                guard let next = start() else { count("skipped"); continue }
                running = next
                ledger.opsStarted += 1
            }
            let done = running!.poll(&cx)
            track(running?.token)
            if !done {
                if orphanAt == index, lastToken != nil {
                    // Drop the operation synchronously while in flight: the driver must keep its memory.
                    orphanAt = nil
                    running = nil
                    ledger.opsOrphaned += 1
                    count("orphaned")
                    ledger.orphaned(lastToken!)  // no one's async drop waits for it now
                    continue
                }
                return .pending
            }
            running = nil
            ledger.opsReady += 1
            count("ready")
        }
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        guard let op = running else { return .ready(()) }
        guard op.pollDropReady(&cx).isReady else { return .pending }
        running = nil
        ledger.opsDropped += 1
        count(lastToken != nil ? "dropped" : "droppedUnsubmitted")
        return .ready(())
    }
}
