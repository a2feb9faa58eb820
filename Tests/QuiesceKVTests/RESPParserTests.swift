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

    func testProtocolErrors() {
        let cases: [(String, String)] = [
            ("*abc\r\n", "invalid multibulk length"),
            ("*2\r\n$3\r\nGET\r\n+x\r\n", "expected '$', got '+'"),
            ("*1\r\n$-5\r\n", "invalid bulk length"),
            ("*1\r\n$x\r\n", "invalid bulk length"),
            ("*1\r\n$3\r\nGETXX", "expected CRLF after bulk string"),
            ("SET \"abc\r\n", "unbalanced quotes in request"),
            ("SET \"a\"b\r\n", "unbalanced quotes in request"),
            ("*99999999999999999999\r\n", "invalid multibulk length"),
        ]
        for (input, message) in cases {
            var parser = RESPParser()
            parser.feed(bytes(input))
            XCTAssertEqual(parser.next(), .protocolError(message), "input \(input.debugDescription)")
            // Sticky: the connection must reply and close.
            parser.feed(bytes("PING\r\n"))
            XCTAssertEqual(parser.next(), .protocolError(message))
            XCTAssertEqual(parser.bufferedCount, 0)
        }
    }

    /// Lengths follow Redis' `string2ll`: a lone `0`, or an optional `-` and digits without a leading
    /// zero. `*0`, `$0` and a negative count (`*-1`, `*-5`) stay valid; a negative bulk length is not.
    func testLengthsWithALeadingZeroOrMinusZeroAreRejected() {
        let rejected: [(String, String)] = [
            ("*01\r\n$4\r\nPING\r\n", "invalid multibulk length"),
            ("*00\r\n", "invalid multibulk length"),
            ("*-0\r\n", "invalid multibulk length"),
            ("*-01\r\n", "invalid multibulk length"),
            ("*1\r\n$04\r\nPING\r\n", "invalid bulk length"),
            ("*1\r\n$00\r\n\r\n", "invalid bulk length"),
            ("*1\r\n$-0\r\n\r\n", "invalid bulk length"),
            ("*1\r\n$-1\r\n", "invalid bulk length"),
            ("*1\r\n$+4\r\nPING\r\n", "invalid bulk length"),
            ("*-\r\n", "invalid multibulk length"),
        ]
        for (input, message) in rejected {
            var parser = RESPParser()
            parser.feed(bytes(input))
            XCTAssertEqual(parser.next(), .protocolError(message), "input \(input.debugDescription)")
        }
        var parser = RESPParser()
        parser.feed(bytes("*0\r\n*-1\r\n*-5\r\n*-9223372036854775808\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n*1\r\n$10\r\n0123456789\r\n"))
        XCTAssertEqual(parser.next(), args("ECHO", ""))
        XCTAssertEqual(parser.next(), args("0123456789"))
        XCTAssertEqual(parser.next(), .incomplete)
    }

    /// Records mode (the AOF): a well-formed stream fed one byte at a time never fails early, while
    /// inline lines, empty records and bytes no record can have are refused as soon as they arrive.
    func testRecordsModeTakesOnlyMultibulkRecords() {
        var parser = RESPParser(mode: .records)
        let stream = bytes("*3\r\n$3\r\nSET\r\n$10\r\n0123456789\r\n$0\r\n\r\n*1\r\n$4\r\nPING\r\n")
        var results: [ParseResult] = []
        for byte in stream {
            parser.feed([byte])
            let result = parser.next()
            if result != .incomplete { results.append(result) }
        }
        XCTAssertEqual(results, [args("SET", "0123456789", ""), args("PING")])
        let refused: [(String, String)] = [
            ("PING\r\n", "expected '*', got 'P'"),
            ("\r\n", "expected '*', got '\\xd'"),
            ("*0\r\n", "invalid multibulk length"),
            ("*-1\r\n", "invalid multibulk length"),
            ("*1x", "invalid multibulk length"),
            ("*01", "invalid multibulk length"),
            ("*1\rx", "invalid multibulk length"),
            ("*1\r\n$-", "invalid bulk length"),
            ("*1\r\n$4\r\nPINGx", "expected CRLF after bulk string"),
        ]
        for (input, message) in refused {
            var parser = RESPParser(mode: .records)
            parser.feed(bytes(input))
            XCTAssertEqual(parser.next(), .protocolError(message), "input \(input.debugDescription)")
        }
    }

    func testLimitsAreCheckedBeforeBuffering() {
        let limits = RESPLimits(maxBulkLength: 16, maxMultibulkCount: 4, maxInlineLength: 32, maxRequestBytes: 24)
        var parser = RESPParser(limits: limits)
        parser.feed(bytes("*1\r\n$17\r\n"))
        XCTAssertEqual(parser.next(), .protocolError("invalid bulk length"))

        parser = RESPParser(limits: limits)
        parser.feed(bytes("*5\r\n"))
        XCTAssertEqual(parser.next(), .protocolError("invalid multibulk length"))

        parser = RESPParser(limits: limits)
        parser.feed(bytes("*2\r\n$16\r\n0123456789abcdef\r\n$16\r\n"))
        XCTAssertEqual(parser.next(), .protocolError("request too large"))

        parser = RESPParser(limits: limits)
        parser.feed(bytes(String(repeating: "A", count: 40)))
        XCTAssertEqual(parser.next(), .protocolError("too big inline request"))

        parser = RESPParser(limits: limits)
        parser.feed(bytes("*" + String(repeating: "1", count: 40)))
        XCTAssertEqual(parser.next(), .protocolError("too big mbulk count string"))

        parser = RESPParser(limits: limits)
        parser.feed(bytes("*1\r\n$" + String(repeating: "1", count: 40)))
        XCTAssertEqual(parser.next(), .protocolError("too big bulk count string"))
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
