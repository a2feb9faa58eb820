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
    static let requests: [MalformedRequest] = [
        MalformedRequest(input: "*abc\r\n", message: "invalid multibulk length"),
        MalformedRequest(input: "*2\r\n$3\r\nGET\r\n+x\r\n", message: "expected '$', got '+'"),
        MalformedRequest(input: "*1\r\n$-5\r\n", message: "invalid bulk length"),
        MalformedRequest(input: "*1\r\n$x\r\n", message: "invalid bulk length"),
        MalformedRequest(input: "*1\r\n$3\r\nGETXX", message: "expected CRLF after bulk string"),
        MalformedRequest(input: "SET \"abc\r\n", message: "unbalanced quotes in request"),
        MalformedRequest(input: "SET \"a\"b\r\n", message: "unbalanced quotes in request"),
        MalformedRequest(input: "*99999999999999999999\r\n", message: "invalid multibulk length"),
    ]

    /// Lengths follow Redis' `string2ll`: a lone `0`, or an optional `-` and digits without a leading
    /// zero; a negative bulk length is refused too.
    static let lengths: [MalformedRequest] = [
        MalformedRequest(input: "*01\r\n$4\r\nPING\r\n", message: "invalid multibulk length"),
        MalformedRequest(input: "*00\r\n", message: "invalid multibulk length"),
        MalformedRequest(input: "*-0\r\n", message: "invalid multibulk length"),
        MalformedRequest(input: "*-01\r\n", message: "invalid multibulk length"),
        MalformedRequest(input: "*1\r\n$04\r\nPING\r\n", message: "invalid bulk length"),
        MalformedRequest(input: "*1\r\n$00\r\n\r\n", message: "invalid bulk length"),
        MalformedRequest(input: "*1\r\n$-0\r\n\r\n", message: "invalid bulk length"),
        MalformedRequest(input: "*1\r\n$-1\r\n", message: "invalid bulk length"),
        MalformedRequest(input: "*1\r\n$+4\r\nPING\r\n", message: "invalid bulk length"),
        MalformedRequest(input: "*-\r\n", message: "invalid multibulk length"),
    ]

    /// Records mode (the AOF): inline lines, empty records and bytes no record can have are refused
    /// as soon as they arrive.
    static let records: [MalformedRequest] = [
        MalformedRequest(input: "PING\r\n", message: "expected '*', got 'P'", mode: .records),
        MalformedRequest(input: "\r\n", message: "expected '*', got '\\xd'", mode: .records),
        MalformedRequest(input: "*0\r\n", message: "invalid multibulk length", mode: .records),
        MalformedRequest(input: "*-1\r\n", message: "invalid multibulk length", mode: .records),
        MalformedRequest(input: "*1x", message: "invalid multibulk length", mode: .records),
        MalformedRequest(input: "*01", message: "invalid multibulk length", mode: .records),
        MalformedRequest(input: "*1\rx", message: "invalid multibulk length", mode: .records),
        MalformedRequest(input: "*1\r\n$-", message: "invalid bulk length", mode: .records),
        MalformedRequest(input: "*1\r\n$4\r\nPINGx", message: "expected CRLF after bulk string", mode: .records),
    ]

    /// Limits are checked before anything is buffered for what they bound.
    static let limits: [MalformedRequest] = [
        MalformedRequest(input: "*1\r\n$17\r\n", message: "invalid bulk length", limits: MalformedRequest.small),
        MalformedRequest(input: "*5\r\n", message: "invalid multibulk length", limits: MalformedRequest.small),
        MalformedRequest(input: "*2\r\n$16\r\n0123456789abcdef\r\n$16\r\n", message: "request too large",
                         limits: MalformedRequest.small),
        MalformedRequest(input: String(repeating: "A", count: 40), message: "too big inline request",
                         limits: MalformedRequest.small),
        MalformedRequest(input: "*" + String(repeating: "1", count: 40), message: "too big mbulk count string",
                         limits: MalformedRequest.small),
        MalformedRequest(input: "*1\r\n$" + String(repeating: "1", count: 40), message: "too big bulk count string",
                         limits: MalformedRequest.small),
    ]

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
