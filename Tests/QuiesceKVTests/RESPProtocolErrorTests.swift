import Testing
@testable import QuiesceKVCore

/// Input the parser must refuse, the protocol error it must give, and how it reads it.
struct MalformedRequest: Sendable, CustomTestStringConvertible {
    var input: String
    var message: String
    var mode: RESPParser.Mode = .requests
    var limits: RESPLimits = .standard

    var testDescription: String {
        "\(mode == .records ? "record" : "request") \(input.debugDescription) -> \(message.debugDescription)"
    }

    /// Limits small enough that each bound can be crossed by a short input.
    static let small = RESPLimits(maxBulkLength: 16, maxMultibulkCount: 4, maxInlineLength: 32, maxRequestBytes: 24)
}

/// Every malformed request or AOF record ends in its protocol error, which is sticky (the
/// connection must reply and close) and leaves nothing buffered.
struct RESPProtocolErrorTests {
    /// Rows read in `mode` under `limits`: each an input and the protocol error it must give.
    static func rows(mode: RESPParser.Mode = .requests, limits: RESPLimits = .standard,
                     _ pairs: [(input: String, message: String)]) -> [MalformedRequest] {
        pairs.map { MalformedRequest(input: $0.input, message: $0.message, mode: mode, limits: limits) }
    }

    static let requests = rows([
        ("*abc\r\n", "invalid multibulk length"),
        ("*2\r\n$3\r\nGET\r\n+x\r\n", "expected '$', got '+'"),
        ("*1\r\n$-5\r\n", "invalid bulk length"),
        ("*1\r\n$x\r\n", "invalid bulk length"),
        ("*1\r\n$3\r\nGETXX", "expected CRLF after bulk string"),
        ("SET \"abc\r\n", "unbalanced quotes in request"),
        ("SET \"a\"b\r\n", "unbalanced quotes in request"),
        ("*99999999999999999999\r\n", "invalid multibulk length"),
    ])

    /// Lengths follow Redis' `string2ll`: a lone `0`, or an optional `-` and digits without a leading
    /// zero; a negative bulk length is refused too.
    static let lengths = rows([
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
    ])

    /// Records mode (the AOF): inline lines, empty records and bytes no record can have are refused
    /// as soon as they arrive.
    static let records = rows(mode: .records, [
        ("PING\r\n", "expected '*', got 'P'"),
        ("\r\n", "expected '*', got '\\xd'"),
        ("*0\r\n", "invalid multibulk length"),
        ("*-1\r\n", "invalid multibulk length"),
        ("*1x", "invalid multibulk length"),
        ("*01", "invalid multibulk length"),
        ("*1\rx", "invalid multibulk length"),
        ("*1\r\n$-", "invalid bulk length"),
        ("*1\r\n$4\r\nPINGx", "expected CRLF after bulk string"),
    ])

    /// Limits are checked before anything is buffered for what they bound.
    static let limits = rows(limits: MalformedRequest.small, [
        ("*1\r\n$17\r\n", "invalid bulk length"),
        ("*5\r\n", "invalid multibulk length"),
        ("*2\r\n$16\r\n0123456789abcdef\r\n$16\r\n", "request too large"),
        (String(repeating: "A", count: 40), "too big inline request"),
        ("*" + String(repeating: "1", count: 40), "too big mbulk count string"),
        ("*1\r\n$" + String(repeating: "1", count: 40), "too big bulk count string"),
    ])

    @Test(arguments: requests + lengths + records + limits)
    func malformedInputIsAStickyProtocolError(_ row: MalformedRequest) {
        var parser = RESPParser(limits: row.limits, mode: row.mode)
        parser.feed(Array(row.input.utf8))
        #expect(parser.next() == .protocolError(row.message))
        parser.feed(Array("PING\r\n".utf8))
        #expect(parser.next() == .protocolError(row.message), "the error is sticky")
        #expect(parser.bufferedCount == 0, "a failed parser keeps nothing")
    }
}
