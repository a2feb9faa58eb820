/// A RESP line holding an integer (`:42\r\n`, `$5\r\n`, `*3\r\n`, or the digits alone), formatted
/// on the stack and appended to an output array at once: one capacity check per line instead of
/// one per byte.
struct DecimalLine {
    // The text fills the end of `storage`, from `start` on: the digits are produced last first.
    // 32 bytes hold a prefix, a sign, Int.min's 19 digits and CR LF.
    private var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var start = 32
    private static let size = 32

    /// `prefix` (if any), then `value` in decimal; CR LF is added when appended.
    init(_ value: Int, prefix: UInt8?) {
        // Work in the negative range so Int.min needs no special case.
        var n = value < 0 ? value : -value
        var position = Self.size - 2  // room for CR LF
        repeat {
            position -= 1
            put(UInt8(48 - n % 10), at: position)
            n /= 10
        } while n != 0
        if value < 0 {
            position -= 1
            put(UInt8(ascii: "-"), at: position)
        }
        if let prefix {
            position -= 1
            put(prefix, at: position)
        }
        start = position
    }

    private mutating func put(_ byte: UInt8, at position: Int) {
        precondition(position >= 0 && position < Self.size)
        // SAFETY: `storage` is 32 bytes of plain integers and `position` is within them (checked
        // above); the pointer does not outlive the call.
        unsafe withUnsafeMutableBytes(of: &storage) { unsafe $0[position] = byte }
    }

    /// Appends the line to `out` (with CR LF when `crlf`).
    mutating func append(to out: inout [UInt8], crlf: Bool) {
        let end = Self.size - 2
        if crlf {
            put(13, at: end)
            put(10, at: end + 1)
        }
        let stop = crlf ? Self.size : end
        // SAFETY: `start..<stop` lies within the 32 bytes of `storage`, which only ever hold bytes
        // (so reading them as UInt8 is sound), and the pointer does not outlive the call.
        unsafe withUnsafeBytes(of: &storage) { raw in
            let bytes = unsafe raw.assumingMemoryBound(to: UInt8.self)
            unsafe out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<stop]))
        }
    }
}
