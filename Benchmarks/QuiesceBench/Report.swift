/// What one figure compares, and how its target reads.
struct Figure {
    /// Stable key for the JSON ("nop_32").
    let id: String
    /// What is measured ("NOP, 32 in flight").
    let title: String
    /// Unit of both values ("ops/s", "ns/task", …).
    let unit: String
    /// Throughputs are better high; times and allocation counts are better low.
    let higherIsBetter: Bool
    /// Who the reference is ("raw liburing (C)", "Swift concurrency"), or nil when there is none.
    let referenceName: String?
    var quiesce = Sample()
    var reference = Sample()
    /// Minimum Quiesce speed relative to the reference (see ``ratio``), when a target exists.
    let minRatio: Double?
    /// The target in words, as the report prints it ("≥ 30× faster").
    let targetText: String
    /// For figures without a reference: the most Quiesce may show (allocations: 0).
    var maxValue: Double? = nil

    /// Quiesce's speed relative to the reference, always "higher is better": quiesce/reference for
    /// throughputs, reference/quiesce for times. The median of the per-repetition ratios: each
    /// repetition runs both sides back to back, so a ratio compares runs under the same machine load
    /// (on a shared machine the absolute figures drift more than the ratios). nil without a reference.
    var ratio: Double? {
        guard referenceName != nil, quiesce.values.count == reference.values.count, !quiesce.values.isEmpty else { return nil }
        var ratios: [Double] = []
        for (q, r) in zip(quiesce.values, reference.values) where q > 0 && r > 0 {
            ratios.append(higherIsBetter ? q / r : r / q)
        }
        return ratios.isEmpty ? nil : Stats.median(ratios)
    }

    /// Whether the target is met; nil when the figure has no target.
    var met: Bool? {
        if let minRatio, let ratio { return ratio >= minRatio }
        if let maxValue { return quiesce.median <= maxValue }
        return nil
    }
}

/// The machine the figures were taken on.
struct Machine {
    var cpu = "unknown"
    var cores = 0
    var kernel = "unknown"
    var swift = "unknown"
    var date = "unknown"
}

/// Everything a run produced.
struct Report {
    var machine: Machine
    var repetitions: Int
    var smoke: Bool
    var figures: [Figure] = []
    var notes: [String] = []
}
