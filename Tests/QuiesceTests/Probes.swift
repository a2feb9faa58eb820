import Quiesce
import Synchronization

/// A shared, ordered record of what the probes did.
final class Log {
    var events: [String] = []
    func callAsFunction(_ event: String) { events.append(event) }
    func count(_ event: String) -> Int { events.filter { $0 == event }.count }
}

/// A droppable part that needs `dropSteps` pending polls before its drop is ready, records each step,
/// and counts its deinit. It wakes itself, so an executor keeps driving it.
struct Part: AsyncDroppable, ~Copyable {
    let name: String
    let log: Log
    var dropSteps: Int
    var dropped = false

    init(_ name: String, _ log: Log, dropSteps: Int = 1) {
        self.name = name
        self.log = log
        self.dropSteps = dropSteps
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        if dropped { return .ready(()) }
        if dropSteps > 0 {
            dropSteps -= 1
            log("\(name).dropping")
            cx.waker.wake()
            return .pending
        }
        dropped = true
        log("\(name).dropped")
        return .ready(())
    }

    deinit { log("\(name).deinit") }
}

/// A future that completes after `steps` polls (waking itself), with async cleanup of `dropSteps`,
/// recording every call; it records a contract violation if polled after its drop began.
/// Its cleanup (and its deinit line) is a `Part` of the same name.
struct Probe: Future, ~Copyable {
    let name: String
    let log: Log
    var steps: Int
    var cleanup: Part
    var dropBegan = false
    var value: Int

    init(_ name: String, _ log: Log, steps: Int = 0, dropSteps: Int = 0, value: Int = 0) {
        self.name = name
        self.log = log
        self.steps = steps
        self.cleanup = Part(name, log, dropSteps: dropSteps)
        self.value = value
    }

    mutating func poll(_ cx: inout Context) -> Poll<Int> {
        if dropBegan { log("\(name).POLL-AFTER-DROP") }
        log("\(name).poll")
        if steps == 0 { return .ready(value) }
        steps -= 1
        cx.waker.wake()
        return .pending
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        dropBegan = true
        return cleanup.pollDropReady(&cx)
    }
}

/// A future that never completes on its own and is never woken: pending until cancelled. Its cleanup
/// (and its deinit line) is a `Part` of the same name.
struct Forever: Future, ~Copyable {
    let name: String
    let log: Log
    var cleanup: Part

    init(name: String, log: Log, dropSteps: Int = 0) {
        self.name = name
        self.log = log
        self.cleanup = Part(name, log, dropSteps: dropSteps)
    }

    mutating func poll(_ cx: inout Context) -> Poll<Int> {
        log("\(name).poll")
        return .pending
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { cleanup.pollDropReady(&cx) }
}

/// A wake target that counts its wakes, for polling by hand.
final class CountingWaker: WakeTarget {
    var wakes = 0
    override func wake() { wakes += 1 }
}

/// A backend with nothing behind it: no I/O, a clock that the test moves. For executor tests that
/// need no kernel; waiting advances the clock by the requested time, as if it had slept.
final class IdleBackend: IOBackend {
    var clock: UInt64 = 1_000_000_000
    var waits: [Int64?] = []
    func prepare(_ entry: UnsafePointer<SubmissionEntry>, userData: UInt64) -> Bool { false }
    func submit(waitNanos: Int64?) throws(IOError) {
        waits.append(waitNanos)
        if let waitNanos, waitNanos > 0 { clock &+= UInt64(waitNanos) }
    }
    func reap(_ handler: (UInt64, Int32, UInt32) -> Void) -> Int { 0 }
    func now() -> UInt64 { clock }
    func close() {}
}

/// Collects diagnostics sent to the process-wide handler (which must be `Sendable`).
final class ReportSink: Sendable {
    private let reports = Mutex<[Diagnostic]>([])
    func append(_ diagnostic: Diagnostic) { reports.withLock { $0.append(diagnostic) } }
    var all: [Diagnostic] { reports.withLock { $0 } }
}
