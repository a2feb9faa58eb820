import XCTest
import Quiesce
#if canImport(Glibc)
import Glibc
#endif
@testable import QuiesceKVCore

/// A graceful shutdown answers every complete request whose bytes reached the server's socket
/// before the shutdown began.
final class ShutdownDrainTests: XCTestCase {
    /// The requests are sent and the shutdown requested in one job on the executor's thread, so each
    /// connection learns of both at once: the bytes are in its socket (more than one receive buffer's
    /// worth), none of them has been received yet. Every request gets its reply, then the connection
    /// closes. Repeated with and without an `always` AOF (whose replies wait for an fsync).
    func testShutdownAnswersEveryRequestAlreadyInTheSocket() throws {
        let count = 200
        let value = String(repeating: "v", count: 100)
        let bytes = encodeCommands((0..<count).map { ["SET", "key\($0)", value] })
        for round in 0..<4 {
            let path = round % 2 == 1 ? temporaryAOFPath() : nil
            defer { if let path { unlink(path) } }
            let server = try TestServer {
                if let path {
                    $0.aofPath = path
                    $0.appendFsync = .always
                }
            }
            let replies = try server.repliesToRequestsInTheSocketAtShutdown(bytes)
            for (answered, reply) in replies.enumerated() {
                XCTAssertEqual(reply, .simple("OK"), "round \(round), reply \(answered)")
            }
            XCTAssertEqual(replies.count, count, "round \(round): requests in the socket at shutdown left unanswered")
            XCTAssertTrue(server.stop())
        }
    }
}

extension TestServer {
    /// Connects a client (checked with a PING), then, in one job on the executor's thread, sends
    /// `bytes` and requests the shutdown, so the connection learns of both at once; returns every
    /// reply the client reads before the connection closes.
    func repliesToRequestsInTheSocketAtShutdown(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> [Reply] {
        let client = try TestClient(port: port)
        XCTAssertEqual(try client.call("PING"), .simple("PONG"), file: file, line: line)
        onServer { kv in
            try? client.send(bytes)
            kv.requestShutdown()
        }
        var parser = ReplyParser()
        parser.feed(try client.readUntilClosed())
        var replies: [Reply] = []
        while let reply = try parser.next() { replies.append(reply) }
        return replies
    }
}
