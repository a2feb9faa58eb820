/// Number formatting without Foundation.
enum Format {
    /// `value` with `digits` decimals.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (abs(value) * scale).rounded()
        let whole = Int(rounded / scale)
        let fraction = Int(rounded - Double(whole) * scale)
        var text = (value < 0 && rounded != 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let f = String(fraction)
            text += "." + String(repeating: "0", count: digits - f.count) + f
        }
        return text
    }

    /// A human figure: 3 significant digits, thousands as k/M (12.3M, 845k, 61.2).
    static func human(_ value: Double) -> String {
        let a = abs(value)
        if a >= 1e9 { return fixed(value / 1e9, a >= 1e11 ? 0 : a >= 1e10 ? 1 : 2) + "G" }
        if a >= 1e6 { return fixed(value / 1e6, a >= 1e8 ? 0 : a >= 1e7 ? 1 : 2) + "M" }
        if a >= 1e4 { return fixed(value / 1e3, a >= 1e5 ? 0 : 1) + "k" }
        if a >= 100 { return fixed(value, 0) }
        if a >= 10 { return fixed(value, 1) }
        return fixed(value, 2)
    }

    /// A ratio: "0.93×", "41×".
    static func ratio(_ value: Double) -> String {
        (value >= 10 ? fixed(value, 0) : value >= 1 ? fixed(value, 2) : fixed(value, 3)) + "×"
    }

    /// A JSON number (finite; non-finite values become null).
    static func json(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        return fixed(value, 4)
    }

    /// A JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16) }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    /// Text safe inside XML/SVG.
    static func xml(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
