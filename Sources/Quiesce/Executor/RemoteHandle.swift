import Synchronization
import CQuiesceUring
#if canImport(Glibc)
import Glibc
#endif

/// A thread-safe way into an executor from other threads of a service: submit work, wake the loop.
///
/// Jobs run on the executor's thread, in submission order, at the loop's next turn. Submitting writes
/// to an eventfd that the loop keeps a poll on in its ring, so a sleeping loop wakes at once.
public final class RemoteHandle: Sendable {
    let inbox: RemoteInboxState

    init(_ inbox: RemoteInboxState) { self.inbox = inbox }

    /// Runs `job` on the executor's thread. Returns `false` when the executor has shut down.
    @discardableResult
    public func execute(_ job: @escaping @Sendable (Executor) -> Void) -> Bool {
        inbox.push(job)
    }
}

final class RemoteInboxState: Sendable {
    let eventFD: Int32
    private let jobs = Mutex<(open: Bool, items: [@Sendable (Executor) -> Void])>((true, []))
    /// `true` while jobs wait in `jobs`: set under the lock by each push (before its eventfd write),
    /// cleared under the lock by each take. The loop's turn reads this one word and takes the lock
    /// only when it is set: an idle inbox costs the turn no lock, no array copy and no reference count.
    private let pending = Atomic<Bool>(false)

    init(eventFD: Int32) { self.eventFD = eventFD }

    deinit { Glibc.close(eventFD) }

    func push(_ job: @escaping @Sendable (Executor) -> Void) -> Bool {
        let accepted = jobs.withLock { state -> Bool in
            guard state.open else { return false }
            state.items.append(job)
            pending.store(true, ordering: .releasing)
            return true
        }
        if accepted { var one: UInt64 = 1; _ = unsafe Glibc.write(eventFD, &one, 8) }
        return accepted
    }

    /// `true` when a push may have left jobs that no take has taken yet. A push whose store this load
    /// misses writes the eventfd after it, which wakes the loop for another turn.
    var mayHaveJobs: Bool { pending.load(ordering: .acquiring) }

    func take() -> [@Sendable (Executor) -> Void] {
        jobs.withLock { state in
            pending.store(false, ordering: .relaxed)
            let items = state.items
            state.items.removeAll(keepingCapacity: true)
            return items
        }
    }

    func close() { jobs.withLock { $0.open = false } }
}

/// The executor's side of the remote handle: the eventfd watch in the ring, re-armed after each wake.
final class RemoteInbox {
    let state: RemoteInboxState
    var watch: JoinHandle<Void>?

    init(state: RemoteInboxState) { self.state = state }

    /// Runs every job waiting. The turn calls this only when ``RemoteInboxState/mayHaveJobs`` is
    /// set (``Executor/drainRemote()`` reads the flag); the stop drains whatever is left.
    func drain(into executor: Executor) {
        for job in state.take() { job(executor) }
    }

    func stop() {
        state.close()
        watch?.cancel()
    }

    /// `true` while the eventfd watch task has not finished.
    var hasLiveWatch: Bool {
        switch watch {
        case .some(let handle): return !handle.isFinished
        case .none: return false
        }
    }
}

extension Executor {
    /// The thread-safe handle of this executor, created on first use.
    ///
    /// While a handle exists the loop keeps a poll on its eventfd in the ring, so `blockOn` waits for
    /// remote work instead of reporting a stall.
    public func remoteHandle() throws(IOError) -> RemoteHandle {
        if let remote { return RemoteHandle(remote.state) }
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fd >= 0 else { throw IOError(errno: errno, operation: "eventfd") }
        let inbox = RemoteInbox(state: RemoteInboxState(eventFD: fd))
        remote = inbox
        unsafe remoteState = Unmanaged.passUnretained(inbox.state)
        inbox.watch = spawn(EventFDWatch(fd: fd), name: "remote-inbox")
        return RemoteHandle(inbox.state)
    }
}

/// Keeps a poll on the eventfd in flight; each time it fires, drains the counter and re-arms.
struct EventFDWatch: Future, ~Copyable {
    let fd: Int32
    /// The poll for readability of the eventfd, while one is in flight.
    var readable: PollOp?

    init(fd: Int32) { self.fd = fd }

    /// Re-arms the eventfd poll each time it fires, emptying the counter. The jobs themselves run in
    /// the loop's turn, after the polls and before the driver's wait (``Executor/drainRemote()``, the
    /// one place they run), so every job pushed before the counter was read runs before the loop sleeps.
    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while true {
            if readable == nil { readable = IO.poll(fd, events: UInt32(POLLIN)) }
            guard case .ready(let result) = readable!.poll(&cx) else { return .pending }
            readable = nil
            var counter: UInt64 = 0
            _ = unsafe Glibc.read(fd, &counter, 8)
            if case .failure = result { return .ready(()) }
        }
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        readable.pollDropReady(&cx)
    }
}
