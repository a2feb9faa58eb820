#if canImport(Glibc)
import Glibc
#endif
import CRawRing

/// A child process (a server, redis-benchmark) whose standard output and error go to a pipe that
/// this process reads.
struct ChildProcess {
    let pid: Int32
    /// The reading end of the child's output; closed by ``stop(signal:)``.
    let output: Int32
    /// The command line, for messages.
    let command: String

    /// Starts `arguments` (the first is searched in PATH when it has no slash), or stops the
    /// benchmark with a message.
    init(_ arguments: [String]) {
        // SAFETY: every C string is a copy made by strdup, alive until the deferred free, after
        // crr_spawn has handed them to posix_spawnp (which copies what the child needs).
        let copies = unsafe arguments.map { unsafe strdup($0) }
        defer { for unsafe copy in unsafe copies { unsafe free(copy) } }
        var argv = unsafe copies.map { unsafe UnsafePointer<CChar>($0) }
        unsafe argv.append(nil)
        var fd: Int32 = -1
        let pid = unsafe crr_spawn(&argv, &fd)
        command = arguments.joined(separator: " ")
        if pid < 0 { fail("cannot start \(command): errno \(-pid)") }
        self.pid = pid
        output = fd
    }

    /// The next line of output (without its newline), or nil at its end.
    func readLine() -> String? {
        var line = [CChar](repeating: 0, count: 1024)
        let n = unsafe crr_read_line(output, &line, line.count)
        guard n >= 0 else { return nil }
        return String(decoding: line[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The rest of the output, up to 64 KiB (the rest is read and dropped), once the child closes it.
    func readAll() -> String {
        var text = [CChar](repeating: 0, count: 65_536)
        let n = unsafe crr_read_all(output, &text, text.count)
        return String(decoding: text[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Sends `signal` (none when 0), drains the output and reaps the child: its exit status, or
    /// minus the signal that ended it.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) -> Int32 {
        crr_child_stop(pid, signal, output)
    }
}

/// The path of the executable `name` in PATH, or nil.
func findInPath(_ name: String) -> String? {
    guard let path = unsafe getenv("PATH").map({ unsafe String(cString: $0) }) else { return nil }
    for directory in path.split(separator: ":") where !directory.isEmpty {
        let candidate = directory + "/" + name
        if unsafe access(candidate, X_OK) == 0 { return candidate }
    }
    return nil
}

/// A new empty directory under $TMPDIR (or /tmp), or the benchmark stops.
func makeTemporaryDirectory(_ prefix: String) -> String {
    let base = unsafe getenv("TMPDIR").map { unsafe String(cString: $0) } ?? "/tmp"
    var template = Array((base + "/" + prefix + ".XXXXXX").utf8CString)
    guard unsafe mkdtemp(&template) != nil else { fail("mkdtemp under \(base): errno \(errno)") }
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
