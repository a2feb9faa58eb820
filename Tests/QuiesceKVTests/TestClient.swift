import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import QuiesceKVCore

/// A small blocking RESP client for the tests: plain sockets with a receive timeout, so a test
/// that expects a reply which never comes fails instead of hanging.
final class TestClient: @unchecked Sendable {
    let fd: Int32
    private var parser = ReplyParser()

    init(port: UInt16, timeoutSeconds: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestError("socket: \(errno)") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { let e = errno; close(fd); throw TestError("connect: \(e)") }
    }

    deinit { close(fd) }

    /// Sends raw bytes.
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw TestError("send failed: \(errno)") }
            offset += n
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends one command as a RESP array.
    func sendCommand(_ args: [String]) throws {
        var out: [UInt8] = []
        RESPEncoder.command(args.map { Array($0.utf8) }, into: &out)
        try send(out)
    }

    /// Sends a command and reads its reply.
    func call(_ args: String...) throws -> Reply {
        try sendCommand(args)
        return try readReply()
    }

    /// Reads one reply; throws on timeout or when the server closes first.
    func readReply() throws -> Reply {
        while true {
            if let reply = try parser.next() { return reply }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { throw TestError("connection closed by the server") }
            if n < 0 && errno == EINTR { continue }  // a signal (a child process exiting, say): read again
            if n < 0 { throw TestError("recv failed: errno \(errno)") }
            parser.feed(chunk[0..<n])
        }
    }

    /// Reads until the server closes the connection; returns everything received (replies not yet
    /// parsed included). Throws on timeout.
    func readUntilClosed(limit: Int = 1 << 20) throws -> [UInt8] {
        var all = parser.takeRemaining()
        while all.count <= limit {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return all }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET { return all }
                throw TestError("recv failed before close: errno \(errno)")
            }
            all += chunk[0..<n]
        }
        throw TestError("more than \(limit) bytes without a close")
    }

    /// Half-closes the sending side.
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }
}

struct TestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A RESP2 reply, as the tests see it.
indirect enum Reply: Equatable, CustomStringConvertible {
    case simple(String)
    case error(String)
    case integer(Int)
    case bulk([UInt8])
    case null
    case array([Reply])

    static func text(_ s: String) -> Reply { .bulk(Array(s.utf8)) }

    var description: String {
        switch self {
        case .simple(let s): return "+\(s)"
        case .error(let s): return "-\(s)"
        case .integer(let n): return ":\(n)"
        case .bulk(let b): return "$\(String(decoding: b, as: UTF8.self))"
        case .null: return "(nil)"
        case .array(let items): return "[\(items.map(\.description).joined(separator: ", "))]"
        }
    }
}

/// Parses RESP2 replies from a byte stream.
struct ReplyParser {
    private var buffer: [UInt8] = []
    private var start = 0

    mutating func feed<S: Sequence>(_ bytes: S) where S.Element == UInt8 { buffer.append(contentsOf: bytes) }

    mutating func takeRemaining() -> [UInt8] {
        let rest = Array(buffer[start...])
        buffer = []
        start = 0
        return rest
    }

    mutating func next() throws -> Reply? {
        var i = start
        guard let reply = try parse(&i) else { return nil }
        start = i
        if start > 65536 { buffer.removeFirst(start); start = 0 }
        return reply
    }

    private func line(_ i: inout Int) -> String? {
        var j = i
        while j + 1 < buffer.count {
            if buffer[j] == 13 && buffer[j + 1] == 10 {
                let text = String(decoding: buffer[i..<j], as: UTF8.self)
                i = j + 2
                return text
            }
            j += 1
        }
        return nil
    }

    private func parse(_ i: inout Int) throws -> Reply? {
        guard i < buffer.count else { return nil }
        let type = buffer[i]
        var j = i + 1
        guard let text = line(&j) else { return nil }
        switch type {
        case UInt8(ascii: "+"): i = j; return .simple(text)
        case UInt8(ascii: "-"): i = j; return .error(text)
        case UInt8(ascii: ":"):
            guard let n = Int(text) else { throw TestError("bad integer reply \(text)") }
            i = j; return .integer(n)
        case UInt8(ascii: "$"):
            guard let n = Int(text) else { throw TestError("bad bulk length \(text)") }
            if n < 0 { i = j; return .null }
            guard buffer.count >= j + n + 2 else { return nil }
            i = j + n + 2
            return .bulk(Array(buffer[j..<(j + n)]))
        case UInt8(ascii: "*"):
            guard let n = Int(text) else { throw TestError("bad array length \(text)") }
            if n < 0 { i = j; return .null }
            var items: [Reply] = []
            for _ in 0..<n {
                guard let item = try parse(&j) else { return nil }
                items.append(item)
            }
            i = j
            return .array(items)
        default:
            throw TestError("unexpected reply type byte \(type)")
        }
    }
}
