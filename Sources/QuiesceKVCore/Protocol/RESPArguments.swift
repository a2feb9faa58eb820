/// One request's arguments (the command name first), each a slice of one byte array.
///
/// The parser hands a request out as its own receive buffer and the ranges of the arguments in it,
/// so running a command copies no argument. A value holds that buffer alive: were it still held when
/// the parser is fed again, the parser would copy its buffer to keep it unshared, so holders let go
/// of the arguments before feeding it again, as the server does.
public struct RESPArguments: RandomAccessCollection, Sendable {
    /// The bytes the arguments are slices of.
    let bytes: [UInt8]
    /// Where each argument lies in `bytes`.
    let ranges: [Range<Int>]

    init(bytes: [UInt8], ranges: [Range<Int>]) {
        self.bytes = bytes
        self.ranges = ranges
    }

    /// Arguments holding copies of `words`, in order.
    public init(_ words: [[UInt8]]) {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        bytes.reserveCapacity(words.reduce(0) { $0 + $1.count })
        ranges.reserveCapacity(words.count)
        for word in words {
            ranges.append(bytes.count..<(bytes.count + word.count))
            bytes.append(contentsOf: word)
        }
        self.bytes = bytes
        self.ranges = ranges
    }

    /// The first argument's position: 0.
    public var startIndex: Int { 0 }

    /// One past the last argument: the argument count.
    public var endIndex: Int { ranges.count }

    /// The argument at `position` (its indices are those of the underlying bytes, not from 0).
    public subscript(position: Int) -> ArraySlice<UInt8> { bytes[ranges[position]] }

    /// Each argument as a byte array of its own.
    public var words: [[UInt8]] { map { Array($0) } }
}
