#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 socket address.
public struct SocketAddress: Sendable, Equatable, CustomStringConvertible {
    /// The `sockaddr_in` or `sockaddr_in6` bytes, in room the size of the larger (a
    /// `sockaddr_storage` would be four times as large, and an address is copied with every
    /// operation and result that carries one).
    var storage: sockaddr_in6
    /// How many bytes of `storage` the address takes: at most a `sockaddr_in6`.
    var length: socklen_t

    /// The first `length` bytes of `storage` (as the kernel filled it), as many as fit.
    init(storage: sockaddr_storage, length: socklen_t) {
        // SAFETY: the bytes read are the first `length` of `storage`, at most all of it.
        self = unsafe withUnsafeBytes(of: storage) {
            unsafe SocketAddress(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<Swift.min(Int(length), $0.count)]))
        }
    }

    /// `host` (a numeric IPv4 or IPv6 address) and `port`. `nil` when `host` is not numeric.
    public init?(host: String, port: UInt16) {
        // SAFETY: `inet_pton` writes at most the size of the address field it is given, and the
        // IPv4 address is read as the whole `sockaddr_in`, valid for the call.
        var v4 = sockaddr_in()
        if unsafe inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            self = unsafe withUnsafeBytes(of: &v4) { unsafe SocketAddress(bytes: $0) }
            return
        }
        var v6 = sockaddr_in6()
        if unsafe inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            self.storage = v6
            self.length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            return
        }
        return nil
    }

    /// 127.0.0.1:`port`.
    public static func loopback(port: UInt16) -> SocketAddress { SocketAddress(host: "127.0.0.1", port: port)! }

    /// AF_INET or AF_INET6.
    public var family: Int32 { Int32(storage.sin6_family) }  // at the same offset in a `sockaddr_in`

    /// The port, in host order.
    public var port: UInt16 {
        // SAFETY: the offsets are those of the port field in the struct `family` names, and
        // `storage` is large enough for either struct.
        unsafe withUnsafeBytes(of: storage) { raw in
            unsafe family == AF_INET6
                ? UInt16(bigEndian: raw.load(fromByteOffset: MemoryLayout<sockaddr_in6>.offset(of: \.sin6_port)!, as: UInt16.self))
                : UInt16(bigEndian: raw.load(fromByteOffset: MemoryLayout<sockaddr_in>.offset(of: \.sin_port)!, as: UInt16.self))
        }
    }

    /// The numeric host.
    public var host: String {
        // SAFETY: the loads read the address field of the struct `family` names, inside `storage`;
        // `inet_ntop` writes at most `text.count` bytes (INET6_ADDRSTRLEN, room for either family).
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        unsafe withUnsafeBytes(of: storage) { raw in
            if family == AF_INET6 {
                var addr = unsafe raw.load(fromByteOffset: MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!, as: in6_addr.self)
                _ = unsafe inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count))
            } else {
                var addr = unsafe raw.load(fromByteOffset: MemoryLayout<sockaddr_in>.offset(of: \.sin_addr)!, as: in_addr.self)
                _ = unsafe inet_ntop(AF_INET, &addr, &text, socklen_t(text.count))
            }
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `host:port` (`[host]:port` for IPv6).
    public var description: String { family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The first bytes of `raw` (a `sockaddr_in` or a `sockaddr_in6`), as many as fit.
    package init(bytes raw: UnsafeRawBufferPointer) {
        // SAFETY: at most `dst.count` bytes are copied, from the first `n` bytes of `raw`, which
        // the caller provides valid for reading.
        var room = sockaddr_in6()
        let length = unsafe withUnsafeMutableBytes(of: &room) { dst in
            let n = Swift.min(raw.count, dst.count)
            unsafe dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<n]))
            return n
        }
        self.storage = room
        self.length = socklen_t(length)
    }

    /// The `sockaddr` bytes (`length` of them): how a connect carries its target and an accept hands
    /// back its peer.
    var bytes: IOBuffer {
        unsafe withUnsafeBytes(of: storage) { unsafe IOBuffer(bytes: $0.prefix(Int(length))) }
    }

    /// Calls `body` with the address as a `sockaddr` pointer and its length.
    public func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        // SAFETY: the pointer is to a local copy, valid for the length of `body`; a
        // `sockaddr_in6` (or the `sockaddr_in` at its start) is laid out to be read as a `sockaddr`.
        var copy = storage
        return unsafe withUnsafePointer(to: &copy) { pointer in
            unsafe pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { unsafe body($0, length) }
        }
    }

    /// Same family, length and bytes.
    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        unsafe lhs.length == rhs.length && withUnsafeBytes(of: lhs.storage) { a in
            unsafe withUnsafeBytes(of: rhs.storage) { b in unsafe a.prefix(Int(lhs.length)).elementsEqual(b.prefix(Int(lhs.length))) }
        }
    }
}
