#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 socket address.
public struct SocketAddress: Sendable, Equatable, CustomStringConvertible {
    var storage: sockaddr_storage
    var length: socklen_t

    init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    /// `host` (a numeric IPv4 or IPv6 address) and `port`. `nil` when `host` is not numeric.
    public init?(host: String, port: UInt16) {
        var storage = sockaddr_storage()
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: &v4) { dst.copyMemory(from: $0) } }
            self.init(storage: storage, length: socklen_t(MemoryLayout<sockaddr_in>.size))
            return
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: &v6) { dst.copyMemory(from: $0) } }
            self.init(storage: storage, length: socklen_t(MemoryLayout<sockaddr_in6>.size))
            return
        }
        return nil
    }

    /// 127.0.0.1:`port`.
    public static func loopback(port: UInt16) -> SocketAddress { SocketAddress(host: "127.0.0.1", port: port)! }

    /// AF_INET or AF_INET6.
    public var family: Int32 { Int32(storage.ss_family) }

    /// The port, in host order.
    public var port: UInt16 {
        withUnsafeBytes(of: storage) { raw in
            family == AF_INET6
                ? UInt16(bigEndian: raw.load(fromByteOffset: MemoryLayout<sockaddr_in6>.offset(of: \.sin6_port)!, as: UInt16.self))
                : UInt16(bigEndian: raw.load(fromByteOffset: MemoryLayout<sockaddr_in>.offset(of: \.sin_port)!, as: UInt16.self))
        }
    }

    /// The numeric host.
    public var host: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        withUnsafeBytes(of: storage) { raw in
            if family == AF_INET6 {
                var addr = raw.load(fromByteOffset: MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!, as: in6_addr.self)
                _ = inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count))
            } else {
                var addr = raw.load(fromByteOffset: MemoryLayout<sockaddr_in>.offset(of: \.sin_addr)!, as: in_addr.self)
                _ = inet_ntop(AF_INET, &addr, &text, socklen_t(text.count))
            }
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `host:port` (`[host]:port` for IPv6).
    public var description: String { family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    package func store(into opStorage: inout OpStorage) {
        opStorage.address = storage
        opStorage.addressLength = length
    }

    /// An address from `sockaddr` bytes (at most `sockaddr_storage`'s size of them are used).
    package init(bytes raw: UnsafeRawBufferPointer) {
        var storage = sockaddr_storage()
        let length = withUnsafeMutableBytes(of: &storage) { dst in
            let n = Swift.min(raw.count, dst.count)
            dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<n]))
            return n
        }
        self.init(storage: storage, length: socklen_t(length))
    }

    /// The `sockaddr` bytes (`length` of them): how a connect carries its target and an accept hands
    /// back its peer.
    var bytes: IOBuffer {
        withUnsafeBytes(of: storage) { IOBuffer(bytes: $0.prefix(Int(length))) }
    }

    /// Calls `body` with the address as a `sockaddr` pointer and its length.
    public func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var copy = storage
        return withUnsafePointer(to: &copy) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }

    /// Same family, length and bytes.
    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        lhs.length == rhs.length && withUnsafeBytes(of: lhs.storage) { a in
            withUnsafeBytes(of: rhs.storage) { b in a.prefix(Int(lhs.length)).elementsEqual(b.prefix(Int(lhs.length))) }
        }
    }
}
