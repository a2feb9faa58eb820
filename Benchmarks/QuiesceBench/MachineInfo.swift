#if canImport(Glibc)
import Glibc
#endif

extension Machine {
    /// Describes this machine: CPU model (/proc/cpuinfo), online cores, kernel release, the Swift
    /// version given by the script (`swift --version` is not run from here), and the UTC time.
    static func current(swiftVersion: String?) -> Machine {
        var machine = Machine()
        if let text = readFile("/proc/cpuinfo") {
            for line in text.split(separator: "\n") where line.hasPrefix("model name") {
                if let colon = line.firstIndex(of: ":") {
                    machine.cpu = String(line[line.index(after: colon)...]).trimmingSpaces
                }
                break
            }
        }
        machine.cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var names = utsname()
        if unsafe uname(&names) == 0 {
            machine.kernel = unsafe withUnsafeBytes(of: &names.release) { unsafe String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        }
        if let swiftVersion, !swiftVersion.isEmpty { machine.swift = swiftVersion }
        var now = time(nil)
        var parts = unsafe tm()
        unsafe gmtime_r(&now, &parts)
        var text = [CChar](repeating: 0, count: 64)
        unsafe strftime(&text, text.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        machine.date = String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return machine
    }
}

/// The whole of a small text file, or nil.
func readFile(_ path: String) -> String? {
    guard let file = unsafe fopen(path, "r") else { return nil }
    defer { unsafe fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = unsafe fread(&chunk, 1, chunk.count, file)
        if n <= 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Writes `text` to `path`, replacing it; stops the run when that fails.
func writeFile(_ path: String, _ text: String) {
    guard let file = unsafe fopen(path, "w") else { fail(unsafe "cannot write \(path): \(String(cString: strerror(errno)))") }
    defer { unsafe fclose(file) }
    let bytes = Array(text.utf8)
    guard unsafe fwrite(bytes, 1, bytes.count, file) == bytes.count else { fail("short write to \(path)") }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
