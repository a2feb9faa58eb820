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
    /// The target in words, as the issue states it.
    let targetText: String
    /// For figures without a reference: the most Quiesce may show (allocations: 0).
    var maxValue: Double? = nil

    /// Quiesce's speed relative to the reference, always "higher is better": quiesce/reference for
    /// throughputs, reference/quiesce for times. nil without a reference.
    var ratio: Double? {
        guard referenceName != nil, quiesce.median > 0, reference.median > 0 else { return nil }
        return higherIsBetter ? quiesce.median / reference.median : reference.median / quiesce.median
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
