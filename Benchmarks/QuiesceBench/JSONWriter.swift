/// Writes the report as JSON: the machine, then every figure with all its repetitions.
enum JSONWriter {
    static func render(_ report: Report) -> String {
        let m = report.machine
        var out = "{\n"
        out += "  \"machine\": {\"cpu\": \(Format.jsonString(m.cpu)), \"cores\": \(m.cores), "
        out += "\"kernel\": \(Format.jsonString(m.kernel)), \"swift\": \(Format.jsonString(m.swift)), "
        out += "\"date\": \(Format.jsonString(m.date))},\n"
        out += "  \"repetitions\": \(report.repetitions),\n"
        out += "  \"smoke\": \(report.smoke),\n"
        out += "  \"figures\": [\n"
        out += report.figures.map(figure).joined(separator: ",\n")
        out += "\n  ],\n"
        out += "  \"notes\": [" + report.notes.map(Format.jsonString).joined(separator: ", ") + "]\n}\n"
        return out
    }

    private static func figure(_ f: Figure) -> String {
        var fields = [
            "\"id\": \(Format.jsonString(f.id))",
            "\"title\": \(Format.jsonString(f.title))",
            "\"unit\": \(Format.jsonString(f.unit))",
            "\"higher_is_better\": \(f.higherIsBetter)",
            "\"quiesce\": \(sample(f.quiesce))",
        ]
        if let name = f.referenceName {
            fields.append("\"reference_name\": \(Format.jsonString(name))")
            fields.append("\"reference\": \(sample(f.reference))")
        }
        fields.append("\"ratio\": \(f.ratio.map(Format.json) ?? "null")")
        fields.append("\"target\": \(Format.jsonString(f.targetText))")
        fields.append("\"met\": \(f.met.map { String($0) } ?? "null")")
        return "    {" + fields.joined(separator: ", ") + "}"
    }

    private static func sample(_ s: Sample) -> String {
        "{\"median\": \(Format.json(s.median)), \"min\": \(Format.json(s.min)), \"max\": \(Format.json(s.max)), "
            + "\"spread_percent\": \(Format.json(s.spreadPercent)), "
            + "\"runs\": [" + s.values.map(Format.json).joined(separator: ", ") + "]}"
    }
}
