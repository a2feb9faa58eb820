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
            let client = try TestClient(port: server.port)
            XCTAssertEqual(try client.call("PING"), .simple("PONG"))
            server.onServer { kv in
                try? client.send(bytes)
                kv.requestShutdown()
            }
            let received = try client.readUntilClosed()
            var parser = ReplyParser()
            parser.feed(received)
            var answered = 0
            while let reply = try parser.next() {
                XCTAssertEqual(reply, .simple("OK"), "round \(round), reply \(answered)")
                answered += 1
            }
            XCTAssertEqual(answered, count, "round \(round): requests in the socket at shutdown left unanswered")
            XCTAssertTrue(server.stop())
        }
    }
}
