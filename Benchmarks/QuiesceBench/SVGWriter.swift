#if canImport(Glibc)
import Glibc
#endif

/// Draws the ratios as horizontal bars on a logarithmic axis, with the reference (1×) and each
/// figure's target marked. Plain SVG, no dependencies.
enum SVGWriter {
    static func render(_ report: Report) -> String {
        let rows = report.figures.filter { $0.ratio != nil }
        let labelWidth = 470.0, plotWidth = 520.0, rowHeight = 26.0, top = 56.0
        let width = labelWidth + plotWidth + 90, height = top + Double(rows.count) * rowHeight + 66
        // The axis spans 0.1× … 1000× (log10 −1 … 3), wide enough for "30× faster than Swift".
        let lo = -1.0, hi = 3.0
        func x(_ ratio: Double) -> Double {
            let l = Swift.min(Swift.max(log10(ratio), lo), hi)
            return labelWidth + (l - lo) / (hi - lo) * plotWidth
        }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
        out += "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += text(12, 22, "Quiesce speed relative to the reference (log scale; right of 1× is faster)", size: 14, weight: "bold")
        let m = report.machine
        out += text(12, 40, Format.xml("\(m.cpu), \(m.cores) cores, Linux \(m.kernel), \(m.date)"), size: 11, fill: "#555")
        for tick in [0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000] {
            let tx = x(tick)
            out += "<line x1=\"\(f(tx))\" y1=\"\(f(top - 6))\" x2=\"\(f(tx))\" y2=\"\(f(height - 56))\" stroke=\"\(tick == 1 ? "#333" : "#ddd")\" stroke-width=\"\(tick == 1 ? 1.5 : 1)\"/>\n"
            out += text(tx - 10, height - 42, Format.ratio(tick), size: 11, fill: "#555")
        }
        for (i, figure) in rows.enumerated() {
            let ratio = figure.ratio!
            let y = top + Double(i) * rowHeight
            let color = figure.met == false ? "#d9534f" : figure.met == true ? "#5cb85c" : "#5b9bd5"
            let versus = versusText(figure.referenceName ?? "")
            out += text(12, y + 16, Format.xml(figure.title + " " + versus), size: 12)
            let x0 = x(1), x1 = x(ratio)
            out += "<rect x=\"\(f(Swift.min(x0, x1)))\" y=\"\(f(y + 4))\" width=\"\(f(Swift.max(abs(x1 - x0), 1)))\" height=\"\(f(rowHeight - 8))\" fill=\"\(color)\"/>\n"
            if let target = figure.minRatio {
                let tx = x(target)
                out += "<line x1=\"\(f(tx))\" y1=\"\(f(y + 1))\" x2=\"\(f(tx))\" y2=\"\(f(y + rowHeight - 1))\" stroke=\"black\" stroke-width=\"2\" stroke-dasharray=\"3,2\"/>\n"
            }
            out += text(Swift.max(x0, x1) + 6, y + 16, Format.ratio(ratio), size: 12, weight: "bold")
        }
        // Bars can point either way, so "past the line" would be ambiguous: colour says met or missed.
        out += text(12, height - 14, "Dotted line: the figure's target.  Green: target met.  Red: target missed.  Blue: no target.", size: 11, fill: "#555")
        out += "</svg>\n"
        return out
    }

    /// Who a bar is measured against, short: "vs raw C", "vs redis-server", "vs Swift concurrency".
    private static func versusText(_ reference: String) -> String {
        if reference.hasPrefix("Swift") { return "vs Swift concurrency" }
        if reference.hasPrefix("redis-server") { return "vs redis-server" }
        if reference.hasPrefix("raw") { return "vs raw C" }
        // "hand-written connection (Quiesce)": the name without its parenthesis.
        return "vs " + (reference.split(separator: " (").first.map(String.init) ?? reference)
    }

    private static func f(_ v: Double) -> String { Format.fixed(v, 1) }

    private static func text(_ x: Double, _ y: Double, _ s: String, size: Int, weight: String = "normal", fill: String = "#111") -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(size)\" font-weight=\"\(weight)\" fill=\"\(fill)\">\(s)</text>\n"
    }
}
