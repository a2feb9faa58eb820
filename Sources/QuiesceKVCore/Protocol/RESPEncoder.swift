/// Appends RESP2 replies to an output buffer. Nothing is allocated beyond the buffer's growth:
/// integers are formatted digit by digit.
public enum RESPEncoder {
    /// `+text\r\n`.
    public static func simple(_ text: StaticString, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "+"))
        text.withUTF8Buffer { out.append(contentsOf: $0) }
        crlf(&out)
    }

    /// `+text\r\n` from a dynamic string (CR and LF are replaced by spaces: they would end the line).
    public static func simple(string text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "+"))
        for byte in text.utf8 { out.append(byte == 13 || byte == 10 ? 32 : byte) }
        crlf(&out)
    }

    /// `-message\r\n`; the message should start with an error code such as `ERR`.
    public static func error(_ message: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "-"))
        for byte in message.utf8 { out.append(byte == 13 || byte == 10 ? 32 : byte) }
        crlf(&out)
    }

    /// `:n\r\n`.
    public static func integer(_ value: Int, into out: inout [UInt8]) {
        line(UInt8(ascii: ":"), value, into: &out)
    }

    /// `$len\r\nbytes\r\n`.
    public static func bulk<Bytes: Collection>(_ bytes: Bytes, into out: inout [UInt8]) where Bytes.Element == UInt8 {
        line(UInt8(ascii: "$"), bytes.count, into: &out)
        out.append(contentsOf: bytes)
        crlf(&out)
    }

    /// A bulk string holding the decimal digits of `value`.
    public static func bulkDecimal(_ value: Int, into out: inout [UInt8]) {
        var digits = value < 0 ? 2 : 1
        var rest = value / 10
        while rest != 0 { digits += 1; rest /= 10 }
        out.append(UInt8(ascii: "$"))
        decimal(digits, into: &out)
        crlf(&out)
        decimal(value, into: &out)
        crlf(&out)
    }

    /// A bulk string holding the UTF-8 of `text`.
    public static func bulk(string text: String, into out: inout [UInt8]) {
        bulk(Array(text.utf8), into: &out)
    }

    /// `$-1\r\n`: the null bulk string (a missing key).
    public static func null(into out: inout [UInt8]) {
        out.append(contentsOf: [UInt8(ascii: "$"), UInt8(ascii: "-"), UInt8(ascii: "1"), 13, 10])
    }

    /// `*count\r\n`; the elements follow.
    public static func arrayHeader(_ count: Int, into out: inout [UInt8]) {
        line(UInt8(ascii: "*"), count, into: &out)
    }

    /// A whole request as a RESP array of bulk strings (the AOF's record format).
    public static func command(_ args: [[UInt8]], into out: inout [UInt8]) {
        arrayHeader(args.count, into: &out)
        for arg in args { bulk(arg, into: &out) }
    }

    /// The decimal digits of `value`.
    public static func decimal(_ value: Int, into out: inout [UInt8]) {
        var text = DecimalLine(value, prefix: nil)
        text.append(to: &out, crlf: false)
    }

    // `prefix`, the decimal digits of `value`, CR LF: one append.
    @inline(__always)
    static func line(_ prefix: UInt8, _ value: Int, into out: inout [UInt8]) {
        var text = DecimalLine(value, prefix: prefix)
        text.append(to: &out, crlf: true)
    }

    @inline(__always)
    static func crlf(_ out: inout [UInt8]) {
        out.append(13)
        out.append(10)
    }
}
