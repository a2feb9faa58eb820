import Quiesce
#if canImport(Glibc)
import Glibc
#endif

/// Prints the demos' story: titles, what happened, and what the kernel said (errno names, not numbers).
enum Narrate {
    static func title(_ number: Int, _ text: String) {
        print("")
        print("── \(number). \(text) " + String(repeating: "─", count: max(0, 66 - text.count)))
    }

    /// A line of narration.
    static func say(_ text: String) { print("   " + text) }

    /// A line quoting the kernel.
    static func kernel(_ text: String) { print("   kernel: " + text) }

    /// A completion's `res` as a person reads it: a count, or `-ECANCELED`.
    static func result(_ res: Int32) -> String {
        res >= 0 ? "\(res)" : "-" + IOError(errno: -res, operation: "").name
    }

    /// An operation's outcome as a person reads it.
    static func outcome<T>(_ result: Result<T, IOError>) -> String {
        switch result {
        case .success(let value): return "success (\(value))"
        case .failure(let error): return "-\(error.name) (\(error.message))"
        }
    }

    /// The cancel request's own answer: 0, -ENOENT or -EALREADY, with what it means.
    static func cancelAnswer(_ res: Int32?) -> String {
        guard let res else { return "no cancel request was needed" }
        switch res {
        case 0: return "0 (found the operation and cancelled it)"
        case -ENOENT: return "-ENOENT (nothing left to cancel: the operation had already completed)"
        case -EALREADY: return "-EALREADY (already running; it completes on its own)"
        default: return result(res)
        }
    }

    /// The driver's counters in one line.
    static func driver(_ driver: Driver) -> String {
        "in flight: \(driver.operationsInFlight) op(s), \(driver.cancelsInFlight) cancel(s); orphans: \(driver.orphanCount); slots held: \(driver.liveSlots)"
    }

    /// Open descriptors of this process.
    static func openDescriptorCount() -> Int {
        guard let dir = unsafe opendir("/proc/self/fd") else { return -1 }
        defer { unsafe closedir(dir) }
        var count = 0
        while unsafe readdir(dir) != nil { count += 1 }
        return count - 3  // ".", ".." and the listing's own descriptor
    }
}

/// A pipe whose two ends are closed when the demo is done with it.
final class DemoPipe {
    let read: Int32
    let write: Int32
    init() throws {
        (read, write) = try Sockets.pipe()
    }
    deinit { close(read); close(write) }

    /// Writes `text` with a plain system call (the "other side" of the demo).
    func put(_ text: String) {
        var text = text
        _ = text.withUTF8 { unsafe Glibc.write(write, $0.baseAddress, $0.count) }
    }
}
