import XCTest
@testable import QuiesceKVCore

final class RESPParserTests: XCTestCase {
    private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
    private func args(_ words: String...) -> ParseResult { .command(words.map { Array($0.utf8) }) }

    func testMultibulkRequest() {
        var parser = RESPParser()
        parser.feed(bytes("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"))
        XCTAssertEqual(parser.next(), args("GET", "key"))
        XCTAssertEqual(parser.next(), .incomplete)
        XCTAssertFalse(parser.isInsideRequest)
    }

    func testBinarySafeBulkWithCRLFInside() {
        var parser = RESPParser()
        parser.feed(bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n"))
        XCTAssertEqual(parser.next(), args("SET", "k", "a\r\nb"))
    }

    func testRequestFedOneByteAtATime() {
        var parser = RESPParser()
        let request = bytes("*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$5\r\nworld\r\n")
        for (index, byte) in request.enumerated() {
            parser.feed([byte])
            let result = parser.next()
            if index < request.count - 1 {
                XCTAssertEqual(result, .incomplete, "complete too early at byte \(index)")
            } else {
                XCTAssertEqual(result, args("SET", "hello", "world"))
            }
        }
    }

    func testPipelinedRequestsComeOutInOrder() {
        var parser = RESPParser()
        parser.feed(bytes("*1\r\n$4\r\nPING\r\nECHO hi\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n"))
        XCTAssertEqual(parser.next(), args("PING"))
        XCTAssertEqual(parser.next(), args("ECHO", "hi"))
        XCTAssertEqual(parser.next(), args("INCR", "n"))
        XCTAssertEqual(parser.next(), .incomplete)
        XCTAssertEqual(parser.consumed, 44)
    }

    func testInlineCommandsWithQuotesAndEmptyLines() {
        var parser = RESPParser()
        parser.feed(bytes("\r\n  SET  \"a b\" 'c d'\r\nECHO \"\\x41\\n\"\n"))
        XCTAssertEqual(parser.next(), args("SET", "a b", "c d"))
        XCTAssertEqual(parser.next(), args("ECHO", "A\n"))
    }

    func testEmptyMultibulkIsSkipped() {
        var parser = RESPParser()
        parser.feed(bytes("*0\r\n*-1\r\nPING\r\n"))
        XCTAssertEqual(parser.next(), args("PING"))
    }

    /// Lengths follow Redis' `string2ll`: `*0`, `$0` and a negative count (`*-1`, `*-5`) stay valid
    /// (the lengths it refuses are rows of ``RESPProtocolErrorTests``).
    func testZeroAndNegativeCountsAndEmptyBulksStayValid() {
        var parser = RESPParser()
        parser.feed(bytes("*0\r\n*-1\r\n*-5\r\n*-9223372036854775808\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n*1\r\n$10\r\n0123456789\r\n"))
        XCTAssertEqual(parser.next(), args("ECHO", ""))
        XCTAssertEqual(parser.next(), args("0123456789"))
        XCTAssertEqual(parser.next(), .incomplete)
    }

    /// Records mode (the AOF): a well-formed stream fed one byte at a time never fails early (what
    /// it refuses are rows of ``RESPProtocolErrorTests``).
    func testRecordsModeTakesAWellFormedStreamFedByteByByte() {
        var parser = RESPParser(mode: .records)
        let stream = bytes("*3\r\n$3\r\nSET\r\n$10\r\n0123456789\r\n$0\r\n\r\n*1\r\n$4\r\nPING\r\n")
        var results: [ParseResult] = []
        for byte in stream {
            parser.feed([byte])
            let result = parser.next()
            if result != .incomplete { results.append(result) }
        }
        XCTAssertEqual(results, [args("SET", "0123456789", ""), args("PING")])
    }

    func testIncompleteBulkWaitsWithoutError() {
        var parser = RESPParser(limits: RESPLimits(maxBulkLength: 1000))
        parser.feed(bytes("*1\r\n$1000\r\n"))
        parser.feed([UInt8](repeating: 65, count: 999))
        XCTAssertEqual(parser.next(), .incomplete)
        XCTAssertTrue(parser.isInsideRequest)
        parser.feed(bytes("A\r\n"))
        XCTAssertEqual(parser.next(), .command([[UInt8](repeating: 65, count: 1000)]))
    }

    /// A request whose first arguments were parsed before the rest arrived keeps them when the
    /// buffer is compacted under it (its arguments are ranges of the buffer).
    func testCompactionKeepsTheArgumentsOfARequestInProgress() {
        var parser = RESPParser()
        let pings = Array(Array(repeating: bytes("*1\r\n$4\r\nPING\r\n"), count: 400).joined())
        parser.feed(pings + bytes("*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$5\r\nwo"))
        for _ in 0..<400 { XCTAssertEqual(parser.next(), args("PING")) }
        XCTAssertEqual(parser.next(), .incomplete)
        parser.feed(bytes("rld\r\n*2\r\n$3\r\nGET\r\n$5\r\nhello\r\n"))
        XCTAssertEqual(parser.next(), args("SET", "hello", "world"))
        XCTAssertEqual(parser.next(), args("GET", "hello"))
        XCTAssertEqual(parser.consumed, pings.count + 35 + 24)
        XCTAssertEqual(parser.bufferedCount, 0)
    }

    /// `step()` leaves the request in `arguments` without copying; inline requests too.
    func testStepLeavesTheArgumentsInPlace() {
        var parser = RESPParser()
        parser.feed(bytes("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\nSET a b\r\n"))
        XCTAssertEqual(parser.step(), .command)
        XCTAssertEqual(parser.arguments.words, [bytes("GET"), bytes("key")])
        XCTAssertEqual(parser.arguments.count, 2)
        XCTAssertEqual(Array(parser.arguments[1]), bytes("key"))
        XCTAssertEqual(parser.step(), .command)
        XCTAssertEqual(parser.arguments.words, [bytes("SET"), bytes("a"), bytes("b")])
        XCTAssertEqual(parser.step(), .incomplete)
    }

    func testLongStreamKeepsTheBufferSmall() {
        var parser = RESPParser()
        for _ in 0..<10_000 {
            parser.feed(bytes("*1\r\n$4\r\nPING\r\n"))
            XCTAssertEqual(parser.next(), args("PING"))
        }
        XCTAssertEqual(parser.consumed, 140_000)
        XCTAssertEqual(parser.bufferedCount, 0)
    }
}
