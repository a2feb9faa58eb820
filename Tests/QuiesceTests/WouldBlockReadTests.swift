import Testing
import Glibc
@testable import Quiesce

/// A read with no data yet on a descriptor that would rather fail with EAGAIN than wait.
enum WouldBlockRead: Sendable, CaseIterable, CustomTestStringConvertible {
    /// A read of a pipe set O_NONBLOCK (this kernel arms its own poll for it).
    case nonBlockingPipeRead
    /// A recv with MSG_DONTWAIT: the kernel answers -EAGAIN, and the operation waits on a poll.
    case dontWaitRecv

    /// The EAGAINs the operation must have retried by the time it waits; `nil`: up to the kernel.
    var retries: Int? { self == .dontWaitRecv ? 1 : nil }

    var testDescription: String { self == .nonBlockingPipeRead ? "O_NONBLOCK pipe read" : "MSG_DONTWAIT recv" }
}

/// EAGAIN never reaches the caller: a read that would block waits until there is data.
struct WouldBlockReadTests {
    @Test(arguments: WouldBlockRead.allCases)
    func aReadThatWouldBlockWaitsInsteadOfSurfacingEAGAIN(_ source: WouldBlockRead) throws {
        let executor = try Executor(entries: 32)
        let (readable, writable) = source == .nonBlockingPipeRead ? try Sockets.pipe() : try Sockets.socketPair()
        defer { close(readable); close(writable) }
        switch source {
        case .nonBlockingPipeRead:
            try #require(fcntl(readable, F_SETFL, fcntl(readable, F_GETFL) | O_NONBLOCK) == 0)
            var read = IO.read(readable, into: IOBuffer(capacity: 64))
            try waitsForData(&read, source, executor, writable)
        case .dontWaitRecv:
            var recv = IO.recv(readable, into: IOBuffer(capacity: 64), flags: Int32(MSG_DONTWAIT))
            try waitsForData(&recv, source, executor, writable)
        }
    }

    func waitsForData<K: OperationKind>(_ read: inout IOOperation<K>, _ source: WouldBlockRead, _ executor: Executor,
                                        _ writable: Int32) throws where K.Output == BufferResult {
        #expect(!pollOnce(&read, on: executor))
        for _ in 0..<3 {
            try executor.driver.turn(waitNanos: 0)
            #expect(!pollOnce(&read, on: executor), "no data: still waiting, no EAGAIN surfaced")
        }
        if let retries = source.retries {
            #expect(read.core.retries == retries, "the kernel said EAGAIN; the operation now waits on a poll")
        }
        put(writable, "eventually")
        let got = try drive(&read, on: executor)
        let result = got.result
        let text = got.buffer.string
        #expect((try? result.get()) == 10, "\(result)")
        #expect(text == "eventually")
        #expect(executor.driver.isQuiescent)
        #expect(executor.driver.liveSlots == 0)
    }
}
