import CQuiesceUring
import XCTest
import Glibc
@testable import Quiesce

/// Counts wakes, so a test can check that a waker was (or was not) woken.
final class CountingWakeTarget: WakeTarget {
    var wakes = 0
    override func wake() { wakes += 1 }
}

/// Drives one future by hand against `executor`'s driver: polls it, and while it is pending turns the
/// driver (waiting at most `waitNanos` each time). Fails the test after `maxTurns` turns.
func drive<F: Future & ~Copyable>(_ future: inout F, on executor: Executor, maxTurns: Int = 10_000,
                                  waitNanos: Int64 = 2_000_000_000,
                                  file: StaticString = #filePath, line: UInt = #line) throws -> F.Output {
    try turnUntil("future", on: executor, maxTurns: maxTurns, waitNanos: waitNanos, file: file, line: line) { cx in
        if case .ready(let output) = future.poll(&cx) { return output }
        return nil
    }
}

/// Drives a value's async drop by hand, like ``drive(_:on:maxTurns:waitNanos:file:line:)``.
func driveDrop<F: AsyncDroppable & ~Copyable>(_ value: inout F, on executor: Executor, maxTurns: Int = 10_000,
                                              file: StaticString = #filePath, line: UInt = #line) throws {
    do {
        try turnUntil("drop", on: executor, maxTurns: maxTurns, file: file, line: line) { cx in
            value.pollDropReady(&cx).isReady ? () : nil
        }
    } catch let timedOut as IOError where timedOut.operation == "drive drop" {
        // Reported by the failure already; a drop left pending ends the helper, not the test.
    }
}

/// The loop under the `drive…` helpers: calls `attempt` with a fresh context (a counting waker and
/// `executor`) and turns the driver (waiting up to `waitNanos`) until it answers; after `maxTurns`
/// turns fails the test, saying `what` was still pending, and throws ETIMEDOUT.
func turnUntil<T: ~Copyable>(_ what: String, on executor: Executor, maxTurns: Int, waitNanos: Int64 = 2_000_000_000,
                             file: StaticString, line: UInt, _ attempt: (inout Context) -> T?) throws -> T {
    let target = CountingWakeTarget()
    for _ in 0..<maxTurns {
        var cx = Context(waker: Waker(target), executor: executor)
        if let answer = attempt(&cx) { return answer }
        try executor.driver.turn(waitNanos: waitNanos)
    }
    XCTFail("\(what) still pending after \(maxTurns) turns", file: file, line: line)
    throw IOError(errno: ETIMEDOUT, operation: "drive \(what)")
}

/// Turns `executor`'s loop (without blocking) until `fd` has something to read; fails the test
/// after 1,000 turns.
func runUntilReadable(_ fd: Int32, on executor: Executor, file: StaticString = #filePath, line: UInt = #line) throws {
    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    for _ in 0..<1000 {
        _ = try executor.turn(mayBlock: false, maxWait: 0)
        if poll(&pfd, 1, 1) == 1 { return }
    }
    XCTFail("nothing arrived to read", file: file, line: line)
}

/// Polls once with a context of `executor` (submits an operation on its first poll).
@discardableResult
func pollOnce<F: Future & ~Copyable>(_ future: inout F, on executor: Executor, waker: Waker = .noop) -> Bool {
    var cx = Context(waker: waker, executor: executor)
    switch future.poll(&cx) {
    case .ready: return true
    case .pending: return false
    }
}

/// The errno of a failed result, or `nil` on success.
func errnoOf<T>(_ result: Result<T, IOError>) -> Int32? {
    if case .failure(let error) = result { return error.errno }
    return nil
}

/// The value of a successful result, failing the test otherwise.
func value<T>(_ result: Result<T, IOError>, file: StaticString = #filePath, line: UInt = #line) -> T? {
    switch result {
    case .success(let v): return v
    case .failure(let error):
        XCTFail("unexpected error: \(error)", file: file, line: line)
        return nil
    }
}

/// Writes `text` to `fd` with a plain system call.
func put(_ fd: Int32, _ text: String) {
    var text = text
    let n = text.withUTF8 { Glibc.write(fd, $0.baseAddress, $0.count) }
    precondition(n == text.utf8.count)
}

/// The open descriptors of this process and what they are, for a failure message.
func openDescriptors() -> [String] {
    guard let dir = opendir("/proc/self/fd") else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard name != "." && name != ".." else { continue }
        var target = [CChar](repeating: 0, count: 256)
        let n = readlink("/proc/self/fd/\(name)", &target, 255)
        names.append("\(name) -> \(n > 0 ? String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?")")
    }
    return names
}

/// The number of open descriptors of this process, leaving out the timerfds and epoll instances the
/// test runtime (Dispatch) opens lazily in the background: Quiesce never creates either.
func openDescriptorCount() -> Int {
    openDescriptors().filter { !$0.hasSuffix("[timerfd]") && !$0.hasSuffix("[eventpoll]") }.count - 1  // the listing's own
}

/// A connected TCP pair over loopback: (client, server side), made with plain blocking calls.
func tcpPair() throws -> (client: Int32, server: Int32) {
    let listener = try Sockets.listen(on: .loopback(port: 0))
    defer { close(listener) }
    let address = try Sockets.localAddress(listener)
    let client = try Sockets.tcp(for: address)
    let rc = address.withSockAddr { Glibc.connect(client, $0, $1) }
    precondition(rc == 0)
    let server = Glibc.accept(listener, nil, nil)
    precondition(server >= 0)
    return (client, server)
}

/// The fields of a submitted entry a test checks: what the kernel was asked to do.
struct SubmittedEntry: Equatable, CustomStringConvertible {
    var opcode: UInt8
    var fd: Int32
    var offset: UInt64
    /// The bytes lent (a read's room, a write's or send's bytes).
    var length: UInt32
    /// A send's or recv's flags.
    var flags: UInt32

    init(_ e: SubmissionEntry) {
        opcode = e.opcode
        fd = e.fd
        offset = e.off
        length = e.len
        flags = e.opcode == UInt8(IORING_OP_SEND.rawValue) || e.opcode == UInt8(IORING_OP_RECV.rawValue) ? e.msg_flags : 0
    }

    init(opcode: io_uring_op, fd: Int32, offset: UInt64 = 0, length: UInt32, flags: UInt32 = 0) {
        self.opcode = UInt8(opcode.rawValue)
        self.fd = fd
        self.offset = offset
        self.length = length
        self.flags = flags
    }

    static func read(fd: Int32, offset: UInt64 = .max, length: UInt32) -> SubmittedEntry {
        SubmittedEntry(opcode: IORING_OP_READ, fd: fd, offset: offset, length: length)
    }
    static func write(fd: Int32, offset: UInt64 = .max, length: UInt32) -> SubmittedEntry {
        SubmittedEntry(opcode: IORING_OP_WRITE, fd: fd, offset: offset, length: length)
    }
    static func send(fd: Int32, flags: Int32, length: UInt32) -> SubmittedEntry {
        SubmittedEntry(opcode: IORING_OP_SEND, fd: fd, length: length, flags: UInt32(bitPattern: flags))
    }

    var description: String { "opcode \(opcode) fd \(fd) offset \(offset) length \(length) flags \(flags)" }
}

/// A backend a test scripts by hand: it records what the driver submits and delivers exactly the
/// completions the test chooses, in the order it chooses. `room` bounds the submission queue.
final class ScriptedBackend: IOBackend {
    struct Submission: Equatable { var userData: UInt64; var request: SubmittedEntry?; var cancelTarget: UInt64? }
    /// Submissions queued and not yet handed over by `submit`.
    var queued: [Submission] = []
    /// Submissions handed to the "kernel".
    var submitted: [Submission] = []
    /// Completions to deliver at the next reap: (userData, result).
    var completions: [(UInt64, Int32)] = []
    /// How many submissions fit in the queue before `submit` empties it.
    var room = Int.max
    var clock: UInt64 = 0
    var closed = false

    func prepare(_ entry: UnsafePointer<SubmissionEntry>, userData: UInt64) -> Bool {
        guard queued.count < room else { return false }
        let e = entry.pointee
        if e.opcode == UInt8(IORING_OP_ASYNC_CANCEL.rawValue) && e.cancel_flags == 0 {
            queued.append(Submission(userData: userData, request: nil, cancelTarget: e.addr))
        } else {
            queued.append(Submission(userData: userData, request: SubmittedEntry(e), cancelTarget: nil))
        }
        return true
    }

    /// A linked pair goes in whole or not at all, as the ring takes it.
    func prepareLinked(_ first: UnsafePointer<SubmissionEntry>, userData firstUserData: UInt64,
                       _ second: UnsafePointer<SubmissionEntry>, userData secondUserData: UInt64) -> Bool {
        guard queued.count + 2 <= room else { return false }
        return prepare(first, userData: firstUserData) && prepare(second, userData: secondUserData)
    }

    /// When set, `submit` hands nothing over (a kernel answering EBUSY).
    var stuck = false

    func submit(waitNanos: Int64?) throws(IOError) {
        guard !stuck else { return }
        submitted += queued
        queued.removeAll()
    }

    func reap(_ handler: (UInt64, Int32, UInt32) -> Void) -> Int {
        let batch = completions
        completions.removeAll()
        for (userData, result) in batch { handler(userData, result, 0) }
        return batch.count
    }

    func now() -> UInt64 { clock }
    func close() { closed = true }

    /// The `user_data` of the n-th submitted operation (not counting cancels).
    func operation(_ n: Int) -> UInt64 { submitted.filter { $0.request != nil }[n].userData }
    /// The `user_data` of the cancel that targets `target`, if one was submitted.
    func cancel(of target: UInt64) -> UInt64? { submitted.first { $0.cancelTarget == target }?.userData }
}

/// Drives `op.cancel(&cx)` by hand until the operation's own completion is in; returns its output.
func driveCancel<K: OperationKind>(_ op: inout IOOperation<K>, on executor: Executor, maxTurns: Int = 10_000,
                                   file: StaticString = #filePath, line: UInt = #line) throws -> K.Output {
    try turnUntil("cancel", on: executor, maxTurns: maxTurns, file: file, line: line) { cx in
        if case .ready(let output) = op.cancel(&cx) { return output }
        return nil
    }
}

/// A box for one noncopyable operation, so tests can keep many of them in an array.
final class OpBox<K: OperationKind> {
    var op: IOOperation<K>?
    init(_ op: consuming IOOperation<K>) { self.op = consume op }
    /// `true` once the operation was taken out (or released).
    var isEmpty: Bool {
        switch op {
        case .none: return true
        case .some: return false
        }
    }
    /// `true` while the boxed operation is in flight.
    var isInFlight: Bool {
        switch op {
        case .none: return false
        case .some(let op): return op.isInFlight
        }
    }
}

/// What the recording futures below saw, shared between tasks and the test.
final class Record: @unchecked Sendable {  // touched only on the executor's thread
    var results: [Int: String] = [:]
    var errors: [Int: Int32] = [:]
    var finished = 0
}

/// Reads `fd` once and records the text (or errno) under `key`.
struct RecordingRead: Future, ~Copyable {
    let key: Int
    let record: Record
    var op: ReadOp
    init(fd: Int32, key: Int, record: Record) {
        self.key = key
        self.record = record
        op = IO.read(fd, into: IOBuffer(capacity: 64))
    }
    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        switch op.poll(&cx) {
        case .pending: return .pending
        case .ready(let r):
            switch r.result {
            case .success: record.results[key] = r.buffer.string
            case .failure(let error): record.errors[key] = error.errno
            }
            record.finished += 1
            return .ready(())
        }
    }
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { op.pollDropReady(&cx) }
}

/// Runs `executor`'s loop until no task is left; returns the loop turns it took.
func runUntilNoTasks(_ executor: Executor, maxTurns: Int = 100_000) throws -> Int {
    var turns = 0
    while executor.liveTaskCount > 0 && turns < maxTurns {
        _ = try executor.turn(mayBlock: true)
        turns += 1
    }
    return turns
}

/// A real ring (``entries`` of them, 32 unless a subclass says otherwise) for each test; afterwards
/// nothing may be left in flight and every slot is released.
class RingTestCase: XCTestCase {
    var executor: Executor!
    /// The ring's size.
    class var entries: UInt32 { 32 }

    override func setUpWithError() throws { executor = try Executor(entries: Self.entries) }

    override func tearDownWithError() throws {
        assertQuiescent(executor)
        executor = nil
    }
}

/// Nothing of `executor`'s is in flight and every driver slot is released.
func assertQuiescent(_ executor: Executor, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertTrue(executor.driver.isQuiescent, "operations left in flight", file: file, line: line)
    XCTAssertEqual(executor.driver.liveSlots, 0, "slots not released", file: file, line: line)
}

/// A real ring (32 entries) and a fresh pipe (`r`, `w`) for each test; both ends are closed
/// afterwards unless the test closed them first (and set them to -1).
class RingPipeTestCase: XCTestCase {
    var executor: Executor!
    var r: Int32 = -1
    var w: Int32 = -1

    override func setUpWithError() throws {
        executor = try Executor(entries: 32)
        (r, w) = try Sockets.pipe()
    }

    override func tearDownWithError() throws {
        if r >= 0 { close(r) }
        if w >= 0 { close(w) }
        executor = nil
    }
}

/// Waits (on the executor's thread) until `target` jobs have run; the jobs wake it.
final class JobTally {
    var count = 0
    var waker: Waker?
}

struct AwaitJobs: Future {
    let tally: JobTally
    let target: Int
    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        if tally.count >= target { return .ready(()) }
        tally.waker = cx.waker
        return .pending
    }
}

/// The tally is only touched on the executor's thread (inside jobs); the box lets jobs capture it.
struct UncheckedTally: @unchecked Sendable { let tally: JobTally }
