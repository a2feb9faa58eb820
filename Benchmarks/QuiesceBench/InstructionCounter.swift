#if canImport(Glibc)
import Glibc
#endif

/// valgrind's cachegrind over a copy of this binary without debug info: counts the user-space
/// instructions of one of its `--only` workloads. valgrind 3.19 refuses the debug info of a release
/// build ("Possibly corrupted debuginfo file"), hence the copy.
struct InstructionCounter {
    let valgrind: String
    /// The stripped copy of this binary, in a temporary directory of its own.
    let copy: String
    let directory: String

    /// A counter, or the reason there is none (valgrind or strip missing, the copy failed).
    static func make() -> Result<InstructionCounter, InstructionCountsUnavailable> {
        guard let valgrind = findInPath("valgrind") else { return .failure(.init(reason: "valgrind is not on PATH")) }
        guard let strip = findInPath("strip") else { return .failure(.init(reason: "strip (binutils) is not on PATH")) }
        var path = [CChar](repeating: 0, count: 4096)
        let length = unsafe readlink("/proc/self/exe", &path, path.count - 1)
        guard length > 0 else { return .failure(.init(reason: "cannot read /proc/self/exe")) }
        let binary = String(decoding: path[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let directory = makeTemporaryDirectory("quiesce-instructions")
        let counter = InstructionCounter(valgrind: valgrind, copy: directory + "/QuiesceBench", directory: directory)
        let stripping = ChildProcess([strip, "--strip-debug", "-o", counter.copy, binary])
        let stripOutput = stripping.readAll()
        guard stripping.stop(signal: 0) == 0 else {
            counter.remove()
            return .failure(.init(reason: "strip failed: \(stripOutput)"))
        }
        return .success(counter)
    }

    /// Deletes the copy and its directory.
    func remove() {
        _ = unsafe unlink(copy)
        _ = unsafe rmdir(directory)
    }

    /// The instructions the copy runs with `arguments` under cachegrind, or nil if the run failed.
    /// `meanwhile` runs while the child does, reading its output line by line (valgrind's and the
    /// workload's, merged) up to where it needs; it answers whether its part went well.
    func count(_ arguments: [String], meanwhile: (ChildProcess) -> Bool = { _ in true }) -> Double? {
        let run = ChildProcess([valgrind, "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", copy] + arguments)
        let wentWell = meanwhile(run)
        let output = run.readAll()
        guard run.stop(signal: wentWell ? 0 : SIGTERM) == 0, wentWell else { return nil }
        // "==PID== I   refs:      41,661,039"
        for line in output.split(separator: "\n") where line.contains("I   refs:") {
            return Double(String(line.split(separator: ":").last!.filter { $0.isNumber }))
        }
        return nil
    }
}

extension InstructionCounter {
    /// Instructions per unit of each workload: `run` counts one run of a workload at a size
    /// (`counter.count(...)`), and each workload's figure is the difference of its runs at
    /// `sizes.large` and `sizes.small` divided by the difference in units (`unitsPerSize` per size
    /// step), so start-up and teardown cancel out. A counter is made for the runs and removed after.
    static func perUnit(_ workloads: [String], sizes: (small: Int, large: Int), unitsPerSize: Int = 1,
                        _ run: (InstructionCounter, String, Int) -> Double?) -> Result<[String: Double], InstructionCountsUnavailable> {
        let counter: InstructionCounter
        switch make() {
        case .success(let made): counter = made
        case .failure(let unavailable): return .failure(unavailable)
        }
        defer { counter.remove() }
        var counts: [String: Double] = [:]
        for workload in workloads {
            guard let small = run(counter, workload, sizes.small), let large = run(counter, workload, sizes.large) else {
                return .failure(.init(reason: "valgrind --only \(workload) failed"))
            }
            counts[workload] = (large - small) / Double(unitsPerSize * (sizes.large - sizes.small))
        }
        return .success(counts)
    }
}

/// Why instruction counts were not taken.
struct InstructionCountsUnavailable: Error {
    let reason: String
}
