import Glibc

/// Makes a seed that crashes the process (a failed precondition in the library) print itself, so it
/// can be replayed: a signal handler writes the seed kept in a preformatted buffer.
enum SeedReporter {
    nonisolated(unsafe) private static var message = [UInt8](repeating: 0, count: 200)
    nonisolated(unsafe) private static var length = 0
    nonisolated(unsafe) private static var installed = false

    /// Records `seed` as the one running now.
    static func running(_ seed: UInt64) {
        install()
        let text = "\nquiesce-sim: crashed on seed \(seed); replay with: make replay SEED=\(seed)  (or QUIESCE_SEED=\(seed) swift test --filter QuiesceSimTests)\n"
        let bytes = Array(text.utf8.prefix(message.count))
        message.withUnsafeMutableBufferPointer { buffer in
            for i in bytes.indices { buffer[i] = bytes[i] }
        }
        length = bytes.count
    }

    /// No seed running.
    static func done() { length = 0 }

    private static func install() {
        guard !installed else { return }
        installed = true
        for signal in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT] {
            Glibc.signal(signal) { number in
                SeedReporter.message.withUnsafeBufferPointer { _ = Glibc.write(2, $0.baseAddress, SeedReporter.length) }
                Glibc.signal(number, SIG_DFL)
                Glibc.raise(number)
            }
        }
    }
}
