@testable import QuiesceKVCore

/// A deterministic generator of bad client input: random and structured mutations of valid
/// commands, oversized and negative lengths, lengths with a leading zero or `-0`, binary garbage,
/// and half-sent commands.
struct MalformedInputCorpus {
    /// One generated input and what the server must do with it.
    struct Case {
        enum Expectation { case protocolError, closeWithoutReply }
        var name: String
        var bytes: [UInt8]
        var expectation: Expectation
    }

    /// The limits the corpus is built against (the test server uses the same).
    static let limits = RESPLimits(maxBulkLength: 1 << 20, maxMultibulkCount: 1024, maxInlineLength: 4096,
                                   maxRequestBytes: 4 << 20)

    private var state: UInt64

    init(seed: UInt64) { state = seed }

    // SplitMix64: small, fast, and the same sequence on every machine.
    private mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    private mutating func bytes(_ count: Int, excluding excluded: Set<UInt8> = []) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let byte = UInt8(truncatingIfNeeded: next())
            if !excluded.contains(byte) { out.append(byte) }
        }
        return out
    }

    private mutating func validCommand() -> [[UInt8]] {
        let commands: [[String]] = [["SET", "key", "value"], ["GET", "key"], ["INCR", "counter"], ["DEL", "a", "b"],
                                    ["PING"], ["ECHO", "hello world"], ["EXISTS", "k"], ["SET", "k", "v", "EX", "10"]]
        var command = commands[below(commands.count)].map { Array($0.utf8) }
        if below(2) == 0 { command[command.count - 1] = bytes(below(64)) }  // binary-safe payloads
        return command
    }

    private func encode(_ args: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        RESPEncoder.command(args, into: &out)
        return out
    }

    /// `count` cases, cycling through the kinds.
    mutating func generate(count: Int) -> [Case] {
        var cases: [Case] = []
        let digits = Set((48...57).map { UInt8($0) })
        for i in 0..<count {
            let prefix = below(3) == 0 ? encode(validCommand()) : []  // sometimes after a good request
            var c: Case
            switch i % 13 {
            case 0:  // binary garbage as a multibulk count
                c = Case(name: "garbage-count", bytes: [UInt8(ascii: "*")] + bytes(1 + below(200), excluding: digits.union([45, 13, 10])) + [13, 10], expectation: .protocolError)
            case 1:  // binary garbage as an inline line, with an unbalanced quote
                c = Case(name: "garbage-inline", bytes: [UInt8(ascii: "X")] + bytes(below(300), excluding: [10, 13, 34, 39, 42]) + Array(" \"unterminated\r\n".utf8), expectation: .protocolError)
            case 2:  // oversized bulk length
                let length = MalformedInputCorpus.limits.maxBulkLength + 1 + below(1 << 30)
                c = Case(name: "oversized-bulk", bytes: Array("*2\r\n$3\r\nGET\r\n$\(length)\r\n".utf8) + bytes(below(100)), expectation: .protocolError)
            case 3:  // negative bulk length
                c = Case(name: "negative-bulk", bytes: Array("*2\r\n$3\r\nGET\r\n$-\(1 + below(1_000_000))\r\n".utf8), expectation: .protocolError)
            case 4:  // oversized or non-numeric multibulk count
                let forms = ["*\(MalformedInputCorpus.limits.maxMultibulkCount + 1 + below(1 << 20))\r\n", "*12a\r\n", "*99999999999999999999999\r\n", "*-\r\n", "*\r\n"]
                c = Case(name: "bad-count", bytes: Array(forms[below(forms.count)].utf8), expectation: .protocolError)
            case 5:  // structured mutation: a `$` header replaced by another byte
                var args = validCommand()
                if args.count < 2 { args.append(Array("x".utf8)) }
                var encoded = encode(args)
                let headers = encoded.indices.filter { encoded[$0] == UInt8(ascii: "$") && encoded[$0 - 1] == 10 }
                let at = headers[below(headers.count)]
                var replacement = UInt8(truncatingIfNeeded: next())
                if replacement == UInt8(ascii: "$") { replacement = UInt8(ascii: "#") }
                encoded[at] = replacement
                c = Case(name: "mutated-dollar", bytes: encoded, expectation: .protocolError)
            case 6:  // structured mutation: the CRLF after a bulk broken
                let args = validCommand()
                var encoded: [UInt8] = []
                RESPEncoder.arrayHeader(args.count, into: &encoded)
                let broken = below(args.count)
                for (index, arg) in args.enumerated() {
                    encoded += Array("$\(arg.count)\r\n".utf8) + arg
                    encoded += index == broken ? bytes(2, excluding: [13]) : [13, 10]
                }
                c = Case(name: "mutated-crlf", bytes: encoded, expectation: .protocolError)
            case 7:  // structured mutation: digits of a length replaced by letters
                var encoded = encode(validCommand())
                // The first digit of a header: right after a `*` or `$` that starts a line.
                let digitsAt = encoded.indices.filter { i in
                    i > 0 && (encoded[i - 1] == UInt8(ascii: "$") || encoded[i - 1] == UInt8(ascii: "*"))
                        && (i == 1 || encoded[i - 2] == 10)
                }
                encoded[digitsAt[below(digitsAt.count)]] = UInt8(ascii: "a") + UInt8(below(26))
                c = Case(name: "mutated-length", bytes: encoded, expectation: .protocolError)
            case 8:  // an inline line longer than the limit, never ended
                c = Case(name: "endless-inline", bytes: bytes(MalformedInputCorpus.limits.maxInlineLength + 1 + below(2000), excluding: [10, 42]), expectation: .protocolError)
            case 9:  // a header that never ends
                c = Case(name: "endless-header", bytes: Array("*1\r\n$".utf8) + [UInt8](repeating: UInt8(ascii: "9"), count: MalformedInputCorpus.limits.maxInlineLength + 2 + below(100)), expectation: .protocolError)
            case 10:  // half-sent command, then the client stops sending
                let encoded = encode(validCommand())
                c = Case(name: "half-sent", bytes: Array(encoded[0..<(1 + below(encoded.count - 1))]), expectation: .closeWithoutReply)
            case 12:  // a length Redis' string2ll refuses: a leading zero or `-0`
                var encoded = encode(validCommand())
                let headers = encoded.indices.filter { i in
                    i > 0 && (encoded[i - 1] == UInt8(ascii: "$") || encoded[i - 1] == UInt8(ascii: "*"))
                        && (i == 1 || encoded[i - 2] == 10)
                }
                switch below(3) {
                case 0: encoded.insert(UInt8(ascii: "0"), at: headers[below(headers.count)])  // `*02`, `$03`
                case 1: encoded = Array("*-0\r\n".utf8) + encoded
                default: encoded = Array("*1\r\n$-0\r\n\r\n".utf8) + encoded
                }
                c = Case(name: "leading-zero-length", bytes: encoded, expectation: .protocolError)
            default:  // a request announcing more bulk than it sends, then the client stops sending
                c = Case(name: "short-bulk", bytes: Array("*2\r\n$4\r\nECHO\r\n$\(100 + below(10_000))\r\n".utf8) + bytes(below(99)), expectation: .closeWithoutReply)
            }
            c.bytes = prefix + c.bytes
            cases.append(c)
        }
        return cases
    }
}
