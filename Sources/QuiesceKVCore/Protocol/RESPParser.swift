/// What the parser found in the bytes it has been fed.
public enum ParseResult: Equatable {
    /// One complete request: its arguments (the command name first).
    case command([[UInt8]])
    /// No complete request yet: feed more bytes.
    case incomplete
    /// The input breaks the protocol; the message is the text after `-ERR Protocol error: `.
    /// The parser stays failed: the connection must reply and close.
    case protocolError(String)
}

/// An incremental RESP2 request parser: multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and inline
/// (`GET k\r\n`) requests, fed in whatever pieces the network delivers. In ``Mode/records`` it reads
/// AOF records instead: multibulk only.
///
/// Progress inside a request is kept (arguments already parsed are not parsed again), so a large
/// bulk arriving in many pieces costs linear time. Every length is checked against ``RESPLimits``
/// before anything is buffered for it, so memory stays bounded by the limits.
public struct RESPParser {
    /// What the parser reads.
    public enum Mode: Sendable {
        /// Client requests, as Redis reads them: multibulk or inline; `*0` and negative counts are
        /// empty requests, skipped.
        case requests
        /// AOF records: multibulk only, with at least one argument. A byte that no record can have
        /// at its place is an error as soon as it arrives, so what is left unfinished at the end is
        /// always the start of a well-formed record (a torn record, never garbage).
        case records
    }

    /// The bounds requests must respect.
    public let limits: RESPLimits
    /// What it reads.
    public let mode: Mode
    private var buffer: [UInt8] = []
    private var start = 0
    // Inside a multibulk request: arguments still expected, those parsed, and the bulk length
    // announced by the last `$` header (-1: expecting a header).
    private var remaining = 0
    private var argRanges: [Range<Int>] = []
    // Where the request being parsed (or the last complete one) begins in `buffer`: its arguments
    // stay in the buffer, so compaction keeps everything from here on.
    private var requestStart = 0
    // The last complete request when it was inline (its words are unquoted copies).
    private var inlineWords: [[UInt8]]? = nil
    private var bulkLength = -1
    private var requestBytes = 0
    private var failure: String?
    private var discarded = 0
    /// Bytes consumed so far by complete requests (an AOF replay reports offsets with it).
    public private(set) var consumed = 0

    /// A parser of `mode` input enforcing `limits`.
    public init(limits: RESPLimits = .standard, mode: Mode = .requests) {
        self.limits = limits
        self.mode = mode
    }

    /// Bytes fed but not yet consumed by a complete request.
    public var bufferedCount: Int { buffer.count - (remaining > 0 ? requestStart : start) }

    /// `true` while part of a request has been received but not all of it.
    public var isInsideRequest: Bool { remaining > 0 || bufferedCount > 0 }

    /// Appends bytes received from the client.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        guard failure == nil else { return }
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Appends bytes from raw memory (a receive buffer).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil else { return }
        compact()
        buffer.append(contentsOf: bytes)
    }

    // Moves the bytes not yet consumed to the front once the consumed prefix dominates, so the
    // buffer does not grow with the connection's lifetime. The arguments of a request being parsed
    // are kept (they are ranges of the buffer), and move with it.
    private mutating func compact() {
        let keep = remaining > 0 ? requestStart : start
        if keep > 0 && (keep >= buffer.count || keep >= 4096 && keep * 2 >= buffer.count) {
            buffer.removeSubrange(0..<keep)
            discarded += keep
            start -= keep
            if remaining > 0 {
                requestStart = 0
                for i in argRanges.indices { argRanges[i] = (argRanges[i].lowerBound - keep)..<(argRanges[i].upperBound - keep) }
            } else {
                requestStart = start
                argRanges.removeAll(keepingCapacity: true)
            }
        }
    }

    /// What ``RESPParser/step()`` found.
    public enum Step: Equatable {
        /// One complete request: ``RESPParser/arguments`` holds it.
        case command
        /// No complete request yet: feed more bytes.
        case incomplete
        /// The input breaks the protocol (see ``ParseResult/protocolError(_:)``); sticky.
        case protocolError(String)
    }

    /// The next complete request, `.incomplete`, or a protocol error (sticky), with the arguments
    /// copied out.
    public mutating func next() -> ParseResult {
        switch step() {
        case .command: return .command(arguments.words)
        case .incomplete: return .incomplete
        case .protocolError(let message): return .protocolError(message)
        }
    }

    /// The arguments of the request the last ``step()`` returned `.command` for; valid until the
    /// parser is fed or stepped again.
    public var arguments: RESPArguments {
        if let inlineWords { return RESPArguments(inlineWords) }
        return RESPArguments(bytes: buffer, ranges: argRanges)
    }

    /// Parses the next complete request without copying its arguments: on `.command` they are in
    /// ``arguments``. `.incomplete` when more bytes are needed; a protocol error is sticky.
    public mutating func step() -> Step {
        if let failure { return .protocolError(failure) }
        inlineWords = nil
        while true {
            if remaining == 0 {
                guard start < buffer.count else { return .incomplete }
                if buffer[start] == UInt8(ascii: "*") {
                    switch parseMultibulkHeader() {
                    case .incomplete: return .incomplete
                    case .failed(let message): return fail(message)
                    case .empty: continue  // `*0` / `*-1`: nothing to run, as in Redis
                    case .started: break
                    }
                } else if mode == .records {
                    return fail("expected '*', got '\(printable(buffer[start]))'")
                } else {
                    switch parseInline() {
                    case .incomplete: return .incomplete
                    case .failed(let message): return fail(message)
                    case .empty: continue
                    case .command(let inline):
                        inlineWords = inline
                        return .command
                    }
                }
            }
            // Inside a multibulk request: headers and bulks until `remaining` reaches 0.
            while remaining > 0 {
                if bulkLength < 0 {
                    guard start < buffer.count else { return .incomplete }
                    guard buffer[start] == UInt8(ascii: "$") else {
                        return fail("expected '$', got '\(printable(buffer[start]))'")
                    }
                    guard let line = findLine(from: start) else {
                        if bufferedCount > limits.maxInlineLength { return fail("too big bulk count string") }
                        if mode == .records && !couldBecomeLength(from: start + 1) { return fail("invalid bulk length") }
                        return .incomplete
                    }
                    guard let length = parseInteger(start + 1, line.end), length >= 0,
                          length <= limits.maxBulkLength else {
                        return fail("invalid bulk length")
                    }
                    guard requestBytes + length <= limits.maxRequestBytes else { return fail("request too large") }
                    requestBytes += length
                    bulkLength = length
                    start = line.next
                    // Reserve for what is announced only up to 1 MB: an announced length costs the
                    // client nothing to send, so it must not make the server allocate up front.
                    buffer.reserveCapacity(start + Swift.min(length, 1 << 20) + 2)
                }
                guard buffer.count - start >= bulkLength + 2 else {
                    if mode == .records && buffer.count - start > bulkLength && buffer[start + bulkLength] != 13 {
                        return fail("expected CRLF after bulk string")
                    }
                    return .incomplete
                }
                guard buffer[start + bulkLength] == 13, buffer[start + bulkLength + 1] == 10 else {
                    return fail("expected CRLF after bulk string")
                }
                argRanges.append(start..<(start + bulkLength))
                start += bulkLength + 2
                bulkLength = -1
                remaining -= 1
            }
            requestBytes = 0
            markConsumed()
            return .command
        }
    }

    // `consumed` counts bytes over the parser's life; compaction drops a prefix, so add it back.
    private mutating func markConsumed() {
        consumed = discarded + start
    }

    private enum HeaderOutcome { case incomplete, failed(String), empty, started }
    private enum InlineOutcome { case incomplete, failed(String), empty, command([[UInt8]]) }

    private mutating func parseMultibulkHeader() -> HeaderOutcome {
        guard let line = findLine(from: start) else {
            if bufferedCount > limits.maxInlineLength { return .failed("too big mbulk count string") }
            if mode == .records && !couldBecomeLength(from: start + 1) { return .failed("invalid multibulk length") }
            return .incomplete
        }
        guard let count = parseInteger(start + 1, line.end), count <= limits.maxMultibulkCount,
              count >= 1 || mode == .requests else {
            return .failed("invalid multibulk length")
        }
        requestStart = start
        start = line.next
        if count <= 0 {
            markConsumed()
            return .empty
        }
        remaining = count
        argRanges.removeAll(keepingCapacity: argRanges.capacity <= 1024)
        argRanges.reserveCapacity(Swift.min(count, 64))
        bulkLength = -1
        requestBytes = 0
        return .started
    }

    private mutating func parseInline() -> InlineOutcome {
        guard let newline = indexOfNewline(from: start) else {
            if bufferedCount > limits.maxInlineLength { return .failed("too big inline request") }
            return .incomplete
        }
        guard newline - start <= limits.maxInlineLength else { return .failed("too big inline request") }
        var end = newline
        if end > start && buffer[end - 1] == 13 { end -= 1 }
        let lineStart = start
        requestStart = start
        start = newline + 1
        guard let words = InlineSplitter.split(buffer[lineStart..<end]) else {
            return .failed("unbalanced quotes in request")
        }
        markConsumed()
        return words.isEmpty ? .empty : .command(words)
    }

    private mutating func fail(_ message: String) -> Step {
        failure = message
        buffer = []
        start = 0
        requestStart = 0
        argRanges = []
        inlineWords = nil
        remaining = 0
        return .protocolError(message)
    }

    private func indexOfNewline(from index: Int) -> Int? {
        var i = index
        let end = buffer.count
        while i < end {
            if buffer[i] == 10 { return i }
            i += 1
        }
        return nil
    }

    // A header line ends at "\r\n". Only `limits.maxInlineLength` bytes are searched, so a header
    // that never ends costs bounded work.
    private func findLine(from index: Int) -> (end: Int, next: Int)? {
        let limit = Swift.min(buffer.count - 1, index + limits.maxInlineLength + 1)
        guard index < limit else { return nil }
        return buffer.withUnsafeBufferPointer { bytes in
            var i = index
            while i < limit {
                // SAFETY: 0 <= index <= i < limit <= bytes.count - 1: i and i + 1 are in bounds (unchecked in release builds).
                if unsafe bytes[i] == 13 && bytes[i + 1] == 10 { return (i, i + 2) }
                i += 1
            }
            return nil
        }
    }

    // Whether the unfinished header line from `index` to the end of the buffer can still become a
    // length of records mode (`0`, or a digit 1-9 and at most 18 more digits) followed by CRLF.
    private func couldBecomeLength(from index: Int) -> Bool {
        let end = buffer.count
        var i = index
        guard i < end else { return true }
        if buffer[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            guard buffer[i] >= UInt8(ascii: "1") && buffer[i] <= UInt8(ascii: "9") else { return false }
            i += 1
            while i < end && buffer[i] >= UInt8(ascii: "0") && buffer[i] <= UInt8(ascii: "9") { i += 1 }
            guard i - index <= 19 else { return false }
        }
        return i == end || (buffer[i] == 13 && i + 1 == end)
    }

    // Redis' `string2ll`: a lone `0`, or an optional `-` then a digit 1-9 and more digits, within
    // Int64. A leading zero (`01`), `-0`, a sign alone, `+` and anything else are not lengths.
    private func parseInteger(_ from: Int, _ to: Int) -> Int? {
        guard from < to, to - from <= 20, from >= 0, to <= buffer.count else { return nil }
        return buffer.withUnsafeBufferPointer { bytes -> Int? in
            // SAFETY: every index read is in from..<to, within the buffer (checked above).
            if unsafe to - from == 1 && bytes[from] == UInt8(ascii: "0") { return 0 }
            var i = from
            let negative = unsafe bytes[i] == UInt8(ascii: "-")
            if negative { i += 1 }
            guard i < to else { return nil }
            let lead = unsafe bytes[i]
            guard lead >= UInt8(ascii: "1"), lead <= UInt8(ascii: "9") else { return nil }
            var magnitude: UInt64 = 0
            while i < to {
                let digit = unsafe bytes[i] &- UInt8(ascii: "0")
                guard digit <= 9 else { return nil }
                let (times10, overflowA) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflowB) = times10.addingReportingOverflow(UInt64(digit))
                guard !overflowA && !overflowB else { return nil }
                magnitude = sum
                i += 1
            }
            if negative {
                guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
                return Int(truncatingIfNeeded: 0 &- magnitude)
            }
            guard magnitude <= UInt64(Int64.max) else { return nil }
            return Int(magnitude)
        }
    }

    private func printable(_ byte: UInt8) -> String {
        byte >= 32 && byte < 127 ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }
}
