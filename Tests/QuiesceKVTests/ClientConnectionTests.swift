import XCTest
import Foundation
import Quiesce
#if canImport(Glibc)
import Glibc
#endif
@testable import QuiesceKVCore

/// The seed tutorial's wrapper: a connection whose async drop flushes its pending replies (waiting
/// for the AOF where they depend on it), then closes.
final class ClientConnectionTests: XCTestCase {
    private func drain(_ fd: Int32) -> (bytes: String, closed: Bool) {
        var all: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 { all += chunk[0..<n]; continue }
            return (String(decoding: all, as: UTF8.self), n == 0)
        }
    }

    func testAsyncDropFlushesThenCloses() throws {
        let executor = try Executor()
        let (mine, peer) = try Sockets.socketPair()
        defer { close(peer) }
        var connection = ClientConnection(socket: Socket(adopting: mine), aof: nil, flushTimeout: 1_000_000_000, lingerTimeout: 0)
        connection.replies.enqueue(Array("+first\r\n".utf8), dependsOn: 0)
        connection.replies.enqueue(Array("+second\r\n".utf8), dependsOn: 0)
        try executor.blockOn(AsyncDrop(connection))
        XCTAssertEqual(drain(peer).bytes, "+first\r\n+second\r\n")
        XCTAssertTrue(drain(peer).closed)
        XCTAssertTrue(executor.driver.isQuiescent)
    }

    /// After the flush the connection half-closes (the client reads the reply, then the end of the
    /// stream), reads and discards what the client still sends, and closes once the client closes,
    /// long before the linger would have ended.
    func testTheLingerDiscardsInputUntilTheClientCloses() throws {
        let executor = try Executor()
        let (mine, peer) = try Sockets.socketPair()
        var connection = ClientConnection(socket: Socket(adopting: mine), aof: nil, flushTimeout: 5_000_000_000,
                                          lingerTimeout: 3600_000_000_000)
        connection.replies.enqueue(Array("+bye\r\n".utf8), dependsOn: 0)
        let drop = executor.spawn(AsyncDrop(connection))
        var received = (bytes: "", closed: false)
        for _ in 0..<1000 where !received.closed {
            try executor.runUntilIdle()
            let more = drain(peer)
            received = (received.bytes + more.bytes, more.closed)
        }
        XCTAssertEqual(received.bytes, "+bye\r\n")
        XCTAssertTrue(received.closed, "half-closed after the last reply")
        XCTAssertEqual("late".withCString { send(peer, $0, 4, Int32(MSG_NOSIGNAL)) }, 4, "the connection still reads")
        for _ in 0..<20 { try executor.runUntilIdle() }
        XCTAssertFalse(drop.isFinished, "lingering while the client is connected")
        close(peer)
        guard case .success = try executor.blockOn(timeout(nanoseconds: 60_000_000_000, drop)) else {
            return XCTFail("the connection was still lingering after its client closed")
        }
        XCTAssertTrue(executor.driver.isQuiescent)
    }

    func testHeldRepliesWaitForTheAOFAcknowledgement() throws {
        let executor = try Executor()
        let (mine, peer) = try Sockets.socketPair()
        defer { close(peer) }
        let aof = AppendOnlyFile(fd: -1, policy: .always)
        var connection = ClientConnection(socket: Socket(adopting: mine), aof: aof, flushTimeout: 5_000_000_000, lingerTimeout: 0)
        connection.replies.enqueue(Array("+read\r\n".utf8), dependsOn: 0)
        connection.replies.enqueue(Array("+written\r\n".utf8), dependsOn: aof.append([Array("SET".utf8), [1], [2]]))
        connection.replies.enqueue(Array("+after\r\n".utf8), dependsOn: 0)  // ordered behind the held one
        let drop = executor.spawn(AsyncDrop(connection))
        for _ in 0..<20 { try executor.runUntilIdle() }
        XCTAssertEqual(drain(peer).bytes, "+read\r\n", "a reply was sent before its write was durable")
        XCTAssertFalse(drop.isFinished)
        aof.writtenSeq = 1
        aof.wakeWaiters()
        for _ in 0..<20 { try executor.runUntilIdle() }
        XCTAssertEqual(drain(peer).bytes, "", "with appendfsync always, written is not enough")
        aof.durableSeq = 1
        aof.wakeWaiters()
        _ = try executor.blockOn(drop)
        let rest = drain(peer)
        XCTAssertEqual(rest.bytes, "+written\r\n+after\r\n")
        XCTAssertTrue(rest.closed)
    }

    func testAFailedAOFNeverAcknowledges() throws {
        let executor = try Executor()
        let (mine, peer) = try Sockets.socketPair()
        defer { close(peer) }
        let aof = AppendOnlyFile(fd: -1, policy: .everysec)
        var connection = ClientConnection(socket: Socket(adopting: mine), aof: aof, flushTimeout: 5_000_000_000, lingerTimeout: 0)
        connection.replies.enqueue(Array("+OK\r\n".utf8), dependsOn: aof.append([Array("SET".utf8), [1], [2]]))
        let drop = executor.spawn(AsyncDrop(connection))
        try executor.runUntilIdle()
        aof.failure = IOError(errno: EIO, operation: "write AOF")
        aof.wakeWaiters()
        _ = try executor.blockOn(drop)
        let received = drain(peer)
        XCTAssertEqual(received.bytes, "")
        XCTAssertTrue(received.closed)
    }

    /// A client that reads while it keeps the connection's queue busy (pipelining): a few hundred MB
    /// of replies pass through, and the memory for them stays near ``ServerConfig/maxPendingOutput``
    /// (sent replies free their space), not the size of the stream.
    func testAStreamOfRepliesKeepsItsMemoryNearTheBound() throws {
        let executor = try Executor()
        let (mine, peer) = try Sockets.socketPair()
        defer { close(peer) }
        let bound = ServerConfig().maxPendingOutput
        var reply: [UInt8] = []
        RESPEncoder.bulk([UInt8](repeating: 120, count: 1024), into: &reply)
        let count = 250_000  // 258 MB
        final class Received: @unchecked Sendable { var bytes = 0; var closed = false }
        let received = Received()
        let done = DispatchSemaphore(value: 0)
        Thread {
            var chunk = [UInt8](repeating: 0, count: 256 * 1024)
            while true {
                let n = chunk.withUnsafeMutableBytes { recv(peer, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }  // a signal, not the end
                if n <= 0 { received.closed = n == 0; break }
                received.bytes += n
            }
            done.signal()
        }.start()
        let connection = ClientConnection(socket: Socket(adopting: mine), aof: nil, flushTimeout: 5_000_000_000, lingerTimeout: 0)
        let peak = try executor.blockOn(ReplyStream(connection: connection, reply: reply, count: count, bound: bound,
                                                    giveUpAbove: 64 << 20))
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success, "the reader saw the close")
        XCTAssertLessThanOrEqual(peak, 2 * (bound + reply.count), "reply memory grew with the stream")
        XCTAssertEqual(received.bytes, count * reply.count)
        XCTAssertTrue(received.closed)
    }

    /// Replies of every size, queued while sends are in flight (the queue buffer grows past its
    /// first size, a reply lands in the spare buffer while the other is sent, huge ones are freed
    /// once sent), reach the peer whole and in order.
    func testRepliesArriveInOrderAcrossSendsAndGrowth() throws {
        let executor = try Executor()
        let (mine, peer) = try Sockets.socketPair()
        defer { close(peer) }
        final class Received: @unchecked Sendable { var bytes: [UInt8] = [] }
        let received = Received()
        let done = DispatchSemaphore(value: 0)
        Thread {
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let n = chunk.withUnsafeMutableBytes { recv(peer, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                received.bytes += chunk[0..<n]
            }
            done.signal()
        }.start()
        var expected: [UInt8] = []
        var replies: [[UInt8]] = []
        var state: UInt64 = 0x5EED
        var next: UInt8 = 0
        for i in 0..<3000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            // Mostly small, some larger than the first buffer, a few larger than the kept limit.
            let size = i % 1000 == 999 ? 1_500_000 : i % 50 == 0 ? 20_000 + Int(state >> 50) : 1 + Int((state >> 33) % 300)
            let reply = (0..<size).map { _ -> UInt8 in next &+= 1; return next }
            replies.append(reply)
            expected += reply
        }
        let connection = ClientConnection(socket: Socket(adopting: mine), aof: nil, flushTimeout: 30_000_000_000,
                                          lingerTimeout: 0, maxPendingOutput: 64 * 1024)
        _ = try executor.blockOn(ReplyStream(connection: connection, replies: replies, bound: 64 * 1024,
                                             giveUpAbove: 64 << 20))
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success, "the reader saw the close")
        XCTAssertEqual(received.bytes.count, expected.count)
        XCTAssertTrue(received.bytes == expected, "replies arrived out of order or damaged")
    }

    func testAPeerThatNeverReadsIsCutOffAtTheFlushDeadline() throws {
        let executor = try Executor()
        let (mine, peer) = try Sockets.socketPair()
        defer { close(peer) }
        var connection = ClientConnection(socket: Socket(adopting: mine), aof: nil, flushTimeout: 100_000_000, lingerTimeout: 0)
        connection.replies.enqueue([UInt8](repeating: 65, count: 8 << 20), dependsOn: 0)  // far beyond the socket buffers
        try executor.blockOn(AsyncDrop(connection))
        XCTAssertTrue(executor.driver.isQuiescent, "the send was cancelled and awaited")
        var total = 0
        var closed = false
        while !closed {
            let (bytes, isClosed) = drain(peer)
            total += bytes.utf8.count
            closed = isClosed
            if bytes.isEmpty && !isClosed { break }
        }
        XCTAssertTrue(closed)
        XCTAssertLessThan(total, 8 << 20)
    }
}

/// Streams `count` replies (copies of `reply`, or `replies` in turn) through a connection the way ``ConnectionTask`` does: queue while
/// fewer than `bound` bytes are pending, send, repeat. Its output is the connection's peak reply
/// memory (it stops early once that passes `giveUpAbove`).
private struct ReplyStream: Future, ~Copyable {
    var connection: ClientConnection
    let replies: [[UInt8]]
    let count: Int
    let bound: Int
    let giveUpAbove: Int
    private var queued = 0

    init(connection: consuming ClientConnection, reply: [UInt8], count: Int, bound: Int, giveUpAbove: Int) {
        self.init(connection: connection, replies: [reply], count: count, bound: bound, giveUpAbove: giveUpAbove)
    }

    /// Streams `replies` in turn, `count` in all (default: each once).
    init(connection: consuming ClientConnection, replies: [[UInt8]], count: Int? = nil, bound: Int, giveUpAbove: Int) {
        self.connection = connection
        self.replies = replies
        self.count = count ?? replies.count
        self.bound = bound
        self.giveUpAbove = giveUpAbove
    }

    mutating func poll(_ cx: inout Context) -> Poll<Int> {
        while true {
            while queued < count && connection.replies.pendingBytes < bound {
                connection.replies.enqueue(replies[queued % replies.count], dependsOn: 0)
                queued += 1
            }
            if connection.replies.peakReplyMemory > giveUpAbove { return .ready(connection.replies.peakReplyMemory) }
            switch connection.replies.pumpSend(&cx) {
            case .failed: return .ready(-1)
            case .idle: if queued == count { return .ready(connection.replies.peakReplyMemory) }
            case .busy: if queued == count || connection.replies.pendingBytes >= bound { return .pending }
            }
        }
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { connection.pollDropReady(&cx) }
}
