import XCTest
import Quiesce
#if canImport(Glibc)
import Glibc
#endif
@testable import QuiesceKVCore

/// End to end: a real server on an ephemeral loopback port, driven by blocking socket clients.
final class ServerTests: XCTestCase {
    func testEveryCommandOverTheWire() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        XCTAssertEqual(try client.call("PING"), .simple("PONG"))
        XCTAssertEqual(try client.call("ECHO", "hello"), .text("hello"))
        XCTAssertEqual(try client.call("SET", "k", "v"), .simple("OK"))
        XCTAssertEqual(try client.call("GET", "k"), .text("v"))
        XCTAssertEqual(try client.call("SET", "k", "w", "NX"), .null)
        XCTAssertEqual(try client.call("SET", "k", "w", "XX", "PX", "60000"), .simple("OK"))
        XCTAssertEqual(try client.call("SET", "gone", "1", "PX", "1"), .simple("OK"))
        usleep(5_000)
        XCTAssertEqual(try client.call("GET", "gone"), .null)
        XCTAssertEqual(try client.call("EXISTS", "k", "gone"), .integer(1))
        XCTAssertEqual(try client.call("INCR", "n"), .integer(1))
        XCTAssertEqual(try client.call("INCR", "n"), .integer(2))
        XCTAssertEqual(try client.call("DBSIZE"), .integer(2))
        XCTAssertEqual(try client.call("DEL", "k", "n", "x"), .integer(2))
        XCTAssertEqual(try client.call("SET", "a", "1"), .simple("OK"))
        XCTAssertEqual(try client.call("FLUSHALL"), .simple("OK"))
        XCTAssertEqual(try client.call("DBSIZE"), .integer(0))
        XCTAssertEqual(try client.call("CLIENT", "SETNAME", "t1"), .simple("OK"))
        XCTAssertEqual(try client.call("CLIENT", "GETNAME"), .text("t1"))
        guard case .integer = try client.call("CLIENT", "ID") else { return XCTFail("CLIENT ID") }
        XCTAssertEqual(try client.call("CONFIG", "GET", "appendonly"), .array([.text("appendonly"), .text("no")]))
        guard case .array = try client.call("COMMAND") else { return XCTFail("COMMAND") }
        XCTAssertEqual(try client.call("COMMAND", "DOCS"), .array([]))
        XCTAssertEqual(try client.call("WHAT"), .error("ERR unknown command 'WHAT', with args beginning with: "))
        try client.send("PING\r\n")  // inline
        XCTAssertEqual(try client.readReply(), .simple("PONG"))
        XCTAssertEqual(try client.call("QUIT"), .simple("OK"))
        XCTAssertEqual(try client.readUntilClosed(), [])
        XCTAssertTrue(server.stop())
    }

    func testPipelineOfAThousandCommands() throws {
        // A small reply budget, so the pipeline is served in many rounds of backpressure.
        let server = try TestServer { $0.maxPendingOutput = 512 }
        let client = try TestClient(port: server.port)
        try client.sendAThousandPipelinedCommandsAndCheckEveryReply()
        XCTAssertTrue(server.stop())
    }

    func testHalfClosedClientGetsEveryReply() throws {
        let server = try TestServer { $0.maxPendingOutput = 4096 }
        let client = try TestClient(port: server.port)
        try client.call("SET", "v", String(repeating: "x", count: 1000)).assertOK()
        var batch: [UInt8] = []
        for _ in 0..<2000 { RESPEncoder.command([Array("GET".utf8), Array("v".utf8)], into: &batch) }
        try client.send(batch)
        client.shutdownWrite()  // like `nc -N`: everything sent, then EOF
        let received = try client.readUntilClosed(limit: 8 << 20)
        var parser = ReplyParser()
        parser.feed(received)
        var count = 0
        while let reply = try parser.next() {
            XCTAssertEqual(reply, .text(String(repeating: "x", count: 1000)))
            count += 1
        }
        XCTAssertEqual(count, 2000)
        XCTAssertTrue(server.stop())
    }

    func testMaxClientsRefusal() throws {
        let server = try TestServer { $0.maxClients = 2 }
        let first = try TestClient(port: server.port)
        let second = try TestClient(port: server.port)
        XCTAssertEqual(try first.call("PING"), .simple("PONG"))
        XCTAssertEqual(try second.call("PING"), .simple("PONG"))
        let third = try TestClient(port: server.port)
        let refusal = try third.readUntilClosed()
        XCTAssertEqual(String(decoding: refusal, as: UTF8.self), "-ERR max number of clients reached\r\n")
        // A freed slot is reusable.
        XCTAssertEqual(try first.call("QUIT"), .simple("OK"))
        _ = try first.readUntilClosed()
        var admitted = false
        for _ in 0..<50 where !admitted {
            let next = try TestClient(port: server.port)
            if (try? next.call("PING")) == .simple("PONG") { admitted = true } else { usleep(10_000) }
        }
        XCTAssertTrue(admitted)
        XCTAssertEqual(try second.call("PING"), .simple("PONG"))
        XCTAssertEqual(server.onServer { $0.refusedCount >= 1 }, true)
        XCTAssertTrue(server.stop())
    }

    func testIdleTimeoutClosesThroughAsyncDrop() throws {
        let server = try TestServer { $0.idleTimeout = 0.5 }
        let busy = try TestClient(port: server.port)
        do {
            let idle = try TestClient(port: server.port)
            XCTAssertEqual(try idle.call("PING"), .simple("PONG"))
            // The idle client is closed by the server (it sees EOF); a busy one is not.
            for _ in 0..<40 {
                XCTAssertEqual(try busy.call("PING"), .simple("PONG"))
                usleep(25_000)
            }
            XCTAssertEqual(try idle.readUntilClosed(), [])
        }
        XCTAssertEqual(try busy.call("PING"), .simple("PONG"))
        XCTAssertTrue(server.waitUntil { $0.clientCount == 1 })
        XCTAssertTrue(server.stop())
    }

    func testClientDisconnectReleasesItsConnection() throws {
        let server = try TestServer()
        do {
            let client = try TestClient(port: server.port)
            XCTAssertEqual(try client.call("PING"), .simple("PONG"))
            try client.send("*2\r\n$3\r\nGET\r\n")  // half a command, then gone
        }
        XCTAssertTrue(server.waitUntil { $0.clientCount == 0 })
        XCTAssertTrue(server.stop())
    }

    func testClientThatNeverReadsDoesNotBlockOthers() throws {
        let server = try TestServer { $0.maxPendingOutput = 64 * 1024 }
        // It asks for ~200 MB of replies and never reads them: the server must stop reading from
        // this client once its replies back up, and keep serving everyone else.
        let greedy = try TestClient.neverReadingBesideAServedOne(port: server.port)
        defer { withExtendedLifetime(greedy) {} }  // its connection stays open for the whole test
        XCTAssertTrue(server.stop(timeout: 15))
    }

    func testGracefulShutdownAnswersWhatWasReceived() throws {
        let server = try TestServer()
        let client = try TestClient(port: server.port)
        XCTAssertEqual(try client.call("PING"), .simple("PONG"))
        XCTAssertTrue(server.stop())
        // After shutdown the connection is closed and new connections are refused.
        XCTAssertEqual(try client.readUntilClosed(), [])
        XCTAssertThrowsError(try TestClient(port: server.port))
    }
}

extension Reply {
    func assertOK(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(self, .simple("OK"), file: file, line: line)
    }
}
