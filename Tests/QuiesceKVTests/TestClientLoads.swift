import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import QuiesceKVCore

/// Loads a test client puts on a server, shared by the plain and the multishot-receive tests.
extension TestClient {
    /// A client on `port` that sets a 100 KB value, then asks for about 200 MB of replies to it
    /// (ten bursts of 200 GETs, sent from a thread of its own) and never reads them. Returns once
    /// the bursts have been flowing for 200 ms.
    static func neverReading(port: UInt16) throws -> TestClient {
        let greedy = try TestClient(port: port)
        try greedy.call("SET", "big", String(repeating: "x", count: 100_000)).assertOK()
        var request: [UInt8] = []
        for _ in 0..<200 { RESPEncoder.command([Array("GET".utf8), Array("big".utf8)], into: &request) }
        let burst = request
        let sender = Thread { for _ in 0..<10 { try? greedy.send(burst) } }
        sender.start()
        usleep(200_000)
        return greedy
    }

    /// Connects a client that never reads (``neverReading(port:)``), then checks that another
    /// client's 100 SET/GET pairs are each answered meanwhile. Returns the client that never reads:
    /// its connection stays open while the caller holds it.
    static func neverReadingBesideAServedOne(port: UInt16, file: StaticString = #filePath, line: UInt = #line) throws -> TestClient {
        let greedy = try neverReading(port: port)
        let other = try TestClient(port: port)
        for i in 0..<100 {
            XCTAssertEqual(try other.call("SET", "k\(i)", "v"), .simple("OK"), file: file, line: line)
            XCTAssertEqual(try other.call("GET", "k\(i)"), .text("v"), file: file, line: line)
        }
        return greedy
    }

    /// Sends a thousand commands at once, before reading any reply (SET key i, GET the key just
    /// set, INCR a counter, in turn), then checks every reply in order and the key count (335).
    func sendAThousandPipelinedCommandsAndCheckEveryReply(file: StaticString = #filePath, line: UInt = #line) throws {
        var batch: [UInt8] = []
        for i in 0..<1000 {
            switch i % 3 {
            case 0: RESPEncoder.command([Array("SET".utf8), Array("key\(i)".utf8), Array("value\(i)".utf8)], into: &batch)
            case 1: RESPEncoder.command([Array("GET".utf8), Array("key\(i - 1)".utf8)], into: &batch)
            default: RESPEncoder.command([Array("INCR".utf8), Array("counter".utf8)], into: &batch)
            }
        }
        try send(batch)
        for i in 0..<1000 {
            let reply = try readReply()
            switch i % 3 {
            case 0: XCTAssertEqual(reply, .simple("OK"), file: file, line: line)
            case 1: XCTAssertEqual(reply, .text("value\(i - 1)"), file: file, line: line)
            default: XCTAssertEqual(reply, .integer((i + 1) / 3), file: file, line: line)
            }
        }
        XCTAssertEqual(try call("DBSIZE"), .integer(335), file: file, line: line)
    }
}
