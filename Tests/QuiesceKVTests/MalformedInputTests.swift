import XCTest
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import QuiesceKVCore

/// A generated corpus of 1,200 malformed inputs: each must give a protocol error and/or a closed
/// connection, with bounded memory, never a crash, and other clients unaffected.
final class MalformedInputTests: XCTestCase {
    static let corpus: [MalformedInputCorpus.Case] = {
        var generator = MalformedInputCorpus(seed: 0x5155_4945_5343_45)
        return generator.generate(count: 1200)
    }()

    /// The parser alone, fed in random pieces: every case ends in a protocol error or waits for
    /// more, and never buffers more than it was given.
    func testParserRejectsEveryCase() {
        for (index, c) in Self.corpus.enumerated() {
            var parser = RESPParser(limits: MalformedInputCorpus.limits)
            var outcome: ParseResult = .incomplete
            var offset = 0
            var step = 1 + index % 97
            feeding: while offset < c.bytes.count {
                let end = min(c.bytes.count, offset + step)
                parser.feed(c.bytes[offset..<end])
                offset = end
                step = step * 3 % 1024 + 1
                while true {
                    outcome = parser.next()
                    if case .command = outcome { continue }
                    if case .protocolError = outcome { break feeding }
                    break
                }
                XCTAssertLessThanOrEqual(parser.bufferedCount, c.bytes.count)
            }
            switch c.expectation {
            case .protocolError:
                guard case .protocolError = outcome else {
                    XCTFail("case \(index) (\(c.name)) gave \(outcome), expected a protocol error")
                    continue
                }
                XCTAssertEqual(parser.bufferedCount, 0, "a failed parser keeps nothing")
            case .closeWithoutReply:
                XCTAssertEqual(outcome, .incomplete, "case \(index) (\(c.name))")
                XCTAssertTrue(parser.isInsideRequest)
            }
        }
    }

    /// Every case over a real connection: the reply (if any) ends with `-ERR Protocol error: ...`,
    /// then the server closes; the server's memory stays bounded and a well-behaved client that
    /// stays connected throughout is served before, during and after.
    func testServerSurvivesTheCorpus() throws {
        let server = try TestServer { config in
            config.limits = MalformedInputCorpus.limits
            config.lingerTimeout = 100_000_000
        }
        let bystander = try TestClient(port: server.port)
        XCTAssertEqual(try bystander.call("SET", "canary", "alive"), .simple("OK"))
        let rssBefore = residentBytes()
        var kinds: [String: Int] = [:]
        for (index, c) in Self.corpus.enumerated() {
            let client = try TestClient(port: server.port)
            try? client.send(c.bytes)  // the server may close before it has all of it
            if c.expectation == .closeWithoutReply { client.shutdownWrite() }
            let received: [UInt8]
            do { received = try client.readUntilClosed() } catch {
                XCTFail("case \(index) (\(c.name)): \(error)")
                continue
            }
            let text = String(decoding: received, as: UTF8.self)
            switch c.expectation {
            case .protocolError:
                let lastLine = text.split(separator: "\r\n", omittingEmptySubsequences: true).last.map(String.init) ?? ""
                XCTAssertTrue(lastLine.hasPrefix("-ERR Protocol error: "), "case \(index) (\(c.name)) got \(text.debugDescription)")
            case .closeWithoutReply:
                XCTAssertFalse(text.contains("Protocol error"), "case \(index) (\(c.name))")
            }
            kinds[c.name, default: 0] += 1
            if index % 100 == 0 {
                XCTAssertEqual(try bystander.call("GET", "canary"), .text("alive"))
            }
        }
        XCTAssertEqual(kinds.count, 13)
        XCTAssertEqual(try bystander.call("GET", "canary"), .text("alive"))
        XCTAssertTrue(server.waitUntil { $0.clientCount == 1 })
        // Some cases announce gigabytes: no connection may have buffered more than the limits allow
        // (a bulk, its header, one receive), and the process must not have grown anywhere near
        // what was announced (the bound is loose: allocators and sanitizers keep freed memory).
        let limits = MalformedInputCorpus.limits
        XCTAssertLessThanOrEqual(server.onServer { $0.peakBufferedInput }, limits.maxBulkLength + limits.maxInlineLength + 16 * 1024)
        XCTAssertLessThan(residentBytes() - rssBefore, 512 << 20)
        XCTAssertTrue(server.stop())
    }

    private func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }
}
