/// Splits an inline command line into arguments the way Redis' `sdssplitargs` does: words separated
/// by spaces or tabs, `"double quotes"` with `\n \r \t \b \a \\ \" \xHH` escapes, and `'single quotes'`.
enum InlineSplitter {
    /// The arguments of `line`, or `nil` when a quote is unbalanced or a closing quote is not
    /// followed by a space.
    static func split(_ line: ArraySlice<UInt8>) -> [[UInt8]]? {
        var words: [[UInt8]] = []
        var i = line.startIndex
        let end = line.endIndex
        while true {
            while i < end && isSpace(line[i]) { i += 1 }
            if i >= end { return words }
            var word: [UInt8] = []
            var inDouble = false
            var inSingle = false
            var done = false
            while !done {
                if inDouble {
                    guard i < end else { return nil }
                    let c = line[i]
                    if c == UInt8(ascii: "\\") && i + 3 < end && line[i + 1] == UInt8(ascii: "x"),
                       let hi = hexValue(line[i + 2]), let lo = hexValue(line[i + 3]) {
                        word.append(hi << 4 | lo)
                        i += 3
                    } else if c == UInt8(ascii: "\\") && i + 1 < end {
                        i += 1
                        switch line[i] {
                        case UInt8(ascii: "n"): word.append(10)
                        case UInt8(ascii: "r"): word.append(13)
                        case UInt8(ascii: "t"): word.append(9)
                        case UInt8(ascii: "b"): word.append(8)
                        case UInt8(ascii: "a"): word.append(7)
                        default: word.append(line[i])
                        }
                    } else if c == UInt8(ascii: "\"") {
                        // A closing quote must end the word.
                        if i + 1 < end && !isSpace(line[i + 1]) { return nil }
                        done = true
                    } else {
                        word.append(c)
                    }
                } else if inSingle {
                    guard i < end else { return nil }
                    let c = line[i]
                    if c == UInt8(ascii: "\\") && i + 1 < end && line[i + 1] == UInt8(ascii: "'") {
                        i += 1
                        word.append(UInt8(ascii: "'"))
                    } else if c == UInt8(ascii: "'") {
                        if i + 1 < end && !isSpace(line[i + 1]) { return nil }
                        done = true
                    } else {
                        word.append(c)
                    }
                } else {
                    if i >= end { done = true; break }
                    let c = line[i]
                    switch c {
                    case 32, 9, 10, 13, 0: done = true
                    case UInt8(ascii: "\""): inDouble = true
                    case UInt8(ascii: "'"): inSingle = true
                    default: word.append(c)
                    }
                }
                if i < end { i += 1 }
            }
            words.append(word)
        }
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 || c == 0 }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
}
