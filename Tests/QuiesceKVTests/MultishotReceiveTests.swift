import XCTest
import Quiesce
#if canImport(Glibc)
import Glibc
#endif
@testable import QuiesceKVCore

/// The server with ``ServerConfig/multishotReceive``: requests arrive through one multishot receive
/// per connection from the server's buffer ring. Each test checks a promise the plain receive keeps
/// too, and that every ring buffer is back once the connections are gone.
final class MultishotReceiveTests: XCTestCase {
    /// A server receiving from a ring of `buffers` buffers of `size` bytes.
    private func multishotServer(buffers: Int = 256, size: Int = 16 * 1024,
                                 _ configure: @escaping (inout ServerConfig) -> Void = { _ in }) throws -> TestServer {
        try TestServer {
            $0.multishotReceive = true
            $0.recvRingBuffers = buffers
            $0.recvRingBufferSize = size
            configure(&$0)
        }
    }

    /// Every buffer of the ring is available again (none leased, none lost), once no client is left.
    private func assertRingWhole(_ server: TestServer, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(server.waitUntil { $0.clientCount == 0 }, "clients left", file: file, line: line)
        XCTAssertTrue(server.waitUntil { kv in kv.recvRing.map { $0.available == $0.count } ?? false },
                      "ring buffers not back: \(server.onServer { kv in kv.recvRing.map { "\($0.available) of \($0.count)" } ?? "no ring" })",
                      file: file, line: line)
    }

    /// The client closes its side and reads until the server closes its; every ring buffer comes
    /// back and the server stops.
    private func closeAndStop(_ client: TestClient, _ server: TestServer, file: StaticString = #filePath, line: UInt = #line) throws {
        client.shutdownWrite()
        _ = try client.readUntilClosed()
        assertRingWhole(server, file: file, line: line)
        XCTAssertTrue(server.stop(), file: file, line: line)
    }

    func testCommandsAndQuitWithAReplyInFlight() throws {
        let server = try multishotServer()
        XCTAssertTrue(server.onServer { $0.recvRing != nil })
        let client = try TestClient(port: server.port)
        XCTAssertEqual(try client.call("SET", "k", "v"), .simple("OK"))
        XCTAssertEqual(try client.call("GET", "k"), .text("v"))
        XCTAssertEqual(try client.call("INCR", "n"), .integer(1))
        // QUIT after a request whose reply has not been read: both replies, then the close.
        var out: [UInt8] = []
        RESPEncoder.command([Array("GET".utf8), Array("k".utf8)], into: &out)
        RESPEncoder.command([Array("QUIT".utf8)], into: &out)
        RESPEncoder.command([Array("SET".utf8), Array("after".utf8), Array("quit".utf8)], into: &out)
        try client.send(out)
        XCTAssertEqual(try client.readReply(), .text("v"))
        XCTAssertEqual(try client.readReply(), .simple("OK"))
        XCTAssertEqual(try client.readUntilClosed(), [])
        assertRingWhole(server)
        let other = try TestClient(port: server.port)
        XCTAssertEqual(try other.call("EXISTS", "after"), .integer(0))  // nothing after QUIT ran
        try closeAndStop(other, server)
    }

    /// Ring buffers of 16 bytes: every command spans several receives; some are also sent a byte
    /// at a time.
    func testCommandSplitAcrossReceives() throws {
        let server = try multishotServer(buffers: 8, size: 16)
        let client = try TestClient(port: server.port)
        let value = String(repeating: "x", count: 200)
        XCTAssertEqual(try client.call("SET", "long", value), .simple("OK"))
        XCTAssertEqual(try client.call("GET", "long"), .text(value))
        var out: [UInt8] = []
        RESPEncoder.command([Array("SET".utf8), Array("slow".utf8), Array("bytes".utf8)], into: &out)
        for byte in out {
            try client.send([byte])
            usleep(1_000)
        }
        XCTAssertEqual(try client.readReply(), .simple("OK"))
        XCTAssertEqual(try client.call("GET", "slow"), .text("bytes"))
        try closeAndStop(client, server)
    }

    /// A burst of a thousand pipelined commands with a small reply budget: the receive is cancelled
    /// each time replies back up and armed again once they drain, and nothing received is lost.
    func testPipelinedBurstThroughBackpressure() throws {
        let server = try multishotServer(buffers: 16, size: 512) { $0.maxPendingOutput = 512 }
        let client = try TestClient(port: server.port)
        try client.sendAThousandPipelinedCommandsAndCheckEveryReply()
        try closeAndStop(client, server)
    }

    /// A ring of two buffers shared by eight pipelining clients: it runs dry (the receives end with
    /// ENOBUFS) and each receive is armed again once a buffer is back; every request is answered.
    func testRingRunningDryRearms() throws {
        let server = try multishotServer(buffers: 2, size: 64)
        let clients = try (0..<8).map { _ in try TestClient(port: server.port) }
        let rounds = 50
        for (c, client) in clients.enumerated() {
            try client.send(encodeCommands((0..<rounds).map { _ in ["INCR", "counter\(c)"] }))
        }
        for client in clients {
            for i in 0..<rounds { XCTAssertEqual(try client.readReply(), .integer(i + 1)) }
            client.shutdownWrite()
            _ = try client.readUntilClosed()
        }
        assertRingWhole(server)
        XCTAssertTrue(server.stop())
    }

    /// A client that asks for far more replies than it reads: the server stops taking its input
    /// (cancelling its receive), serves others meanwhile, and holds a bounded amount of its input.
    func testClientThatNeverReadsIsBounded() throws {
        let server = try multishotServer { $0.maxPendingOutput = 64 * 1024 }
        let greedy = try TestClient.neverReadingBesideAServedOne(port: server.port)
        defer { withExtendedLifetime(greedy) {} }  // its connection stays open for the whole test
        // Its input is read no faster than its replies drain: at most the whole ring arrived while
        // its receive was being cancelled, on top of what the limits allow.
        let limits = RESPLimits.standard
        XCTAssertLessThanOrEqual(server.onServer { $0.peakBufferedInput }, limits.maxInlineLength + 256 * 16 * 1024)
        XCTAssertTrue(server.stop(timeout: 15))
    }

    /// An oversized request gets the protocol error reply and the connection closes, as with plain
    /// receives.
    func testInputLimit() throws {
        let server = try multishotServer(buffers: 16, size: 64) { $0.limits = RESPLimits(maxBulkLength: 1024) }
        let client = try TestClient(port: server.port)
        try client.send("*2\r\n$3\r\nGET\r\n$100000\r\n" + String(repeating: "y", count: 3000))
        let text = String(decoding: try client.readUntilClosed(), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("-ERR Protocol error: "), text.debugDescription)
        assertRingWhole(server)
        XCTAssertTrue(server.stop())
    }

    /// A shutdown with idle connections (each with its receive armed) completes; they close and
    /// every buffer is back.
    func testShutdownWithIdleConnections() throws {
        let server = try multishotServer()
        let clients = try (0..<5).map { _ in try TestClient(port: server.port) }
        for client in clients { XCTAssertEqual(try client.call("PING"), .simple("PONG")) }
        let ring = server.onServer { UnsafeRing(value: $0.recvRing) }
        XCTAssertTrue(server.stop())
        for client in clients { XCTAssertEqual(try client.readUntilClosed(), []) }
        XCTAssertEqual(ring.value.map { $0.available }, ring.value.map { $0.count })
    }

    /// Requests in the socket when the shutdown begins are answered (the receive is cancelled,
    /// keeping what it delivered, then the socket is read out); with an `always` AOF too, whose
    /// replies wait for the fsync, and which then holds every write.
    func testShutdownAnswersEveryRequestAlreadyInTheSocket() throws {
        for withAOF in [false, true] {
            let path = withAOF ? temporaryAOFPath() : nil
            defer { if let path { unlink(path) } }
            try shutdownAnswersEveryRequest(aofPath: path)
        }
    }

    private func shutdownAnswersEveryRequest(aofPath: String?) throws {
        let count = 200
        let bytes = encodeCommands((0..<count).map { ["SET", "key\($0)", String(repeating: "v", count: 100)] })
        let server = try multishotServer(buffers: 4, size: 1024) {
            if let aofPath {
                $0.aofPath = aofPath
                $0.appendFsync = .always
            }
        }
        let replies = try server.repliesToRequestsInTheSocketAtShutdown(bytes)
        for reply in replies { XCTAssertEqual(reply, .simple("OK")) }
        XCTAssertEqual(replies.count, count)
        XCTAssertTrue(server.stop())
        if aofPath != nil {
            XCTAssertEqual(server.shutdownReport?.recordsNotDurable, UInt64(0))
            let replayed = try TestServer { $0.aofPath = aofPath }
            let reader = try TestClient(port: replayed.port)
            XCTAssertEqual(try reader.call("DBSIZE"), .integer(count))
            XCTAssertTrue(replayed.stop())
        }
    }

    /// The ring, read after the server's thread is done with it.
    struct UnsafeRing: @unchecked Sendable { let value: ProvidedBufferRing? }
}
