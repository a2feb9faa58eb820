/// Writes the report as a Markdown table: figure, Quiesce, reference, ratio, target, met?
enum MarkdownWriter {
    static func render(_ report: Report) -> String {
        let m = report.machine
        var out = "# Quiesce benchmarks\n\n"
        out += "\(m.cpu), \(m.cores) cores, Linux \(m.kernel), \(m.swift). \(m.date). "
        out += "Medians of \(report.repetitions) repetitions (± is the spread, (max − min)/median); "
        out += "ratio = Quiesce's speed relative to the reference (higher is better for every row).\n\n"
        out += "| Figure | Unit | Quiesce | Reference | Ratio | Target | Met? |\n"
        out += "|---|---|---:|---:|---:|---|:---:|\n"
        for f in report.figures {
            let q = Format.human(f.quiesce.median) + spread(f.quiesce)
            let r = f.referenceName.map { Format.human(f.reference.median) + spread(f.reference) + " (\($0))" } ?? "—"
            let ratio = f.ratio.map(Format.ratio) ?? "—"
            let met = f.met.map { $0 ? "yes" : "**no**" } ?? "—"
            out += "| \(f.title) | \(f.unit) | \(q) | \(r) | \(ratio) | \(f.targetText) | \(met) |\n"
        }
        if !report.notes.isEmpty {
            out += "\nNotes:\n\n" + report.notes.map { "- " + $0 }.joined(separator: "\n") + "\n"
        }
        out += "\nReproduce: `./scripts/bench.sh` (release build, writes this file, `latest.json` and `latest.svg`).\n"
        return out
    }

    private static func spread(_ s: Sample) -> String {
        s.values.count > 1 ? " ±" + Format.fixed(s.spreadPercent, 0) + "%" : ""
    }
}
