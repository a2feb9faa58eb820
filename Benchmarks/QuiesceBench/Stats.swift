/// Order statistics over repetitions and latency samples.
enum Stats {
    /// The median of `values` (mean of the two middle ones for an even count); 0 when empty.
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// The `p`-th percentile (0…100) of `count` samples, nearest-rank. Sorts the samples in place.
    static func percentile(_ samples: UnsafeMutableBufferPointer<UInt64>, _ p: Double) -> Double {
        guard samples.count > 0 else { return 0 }
        let rank = Int((p / 100 * Double(samples.count)).rounded(.up))
        return unsafe Double(samples[Swift.min(Swift.max(rank, 1), samples.count) - 1])
    }
}

/// One figure measured over several repetitions.
struct Sample {
    /// One value per repetition.
    var values: [Double] = []

    var median: Double { Stats.median(values) }
    var min: Double { values.min() ?? 0 }
    var max: Double { values.max() ?? 0 }
    /// (max − min) / median, in percent: how much the repetitions disagree.
    var spreadPercent: Double { median == 0 ? 0 : (max - min) / median * 100 }

    mutating func add(_ value: Double) { values.append(value) }
}
