import XCTest
import Foundation
import Glibc
@testable import Quiesce
import QuiesceEchoCore

/// The echo example's connection under --multishot-recv (``MultishotEcho``: one multishot receive
/// from a ring shared by every connection), on the real ring.
final class MultishotEchoTests: XCTestCase {
    var executor: Executor!

    override func setUpWithError() throws { executor = try Executor(entries: 64) }
    override func tearDown() { executor = nil }

    /// Sends `message` on `client` and reads until as many bytes came back.
    private func roundTrip(_ client: Int32, _ message: String) throws -> String {
        put(client, message)
        var echoed: [UInt8] = []
        while echoed.count < message.utf8.count {
            try runUntilReadable(client, on: executor)
            var bytes = [UInt8](repeating: 0, count: 64 * 1024)
            let n = read(client, &bytes, bytes.count)
            guard n > 0 else { XCTFail("read \(n)"); break }
            echoed += bytes[0..<n]
        }
        return String(decoding: echoed, as: UTF8.self)
    }

    func testConnectionsShareTheRingAndIdleOnesPinNoBuffer() throws {
        let before = openDescriptorCount()
        let ring = try executor.driver.registerBufferRing(count: 8, size: 1024)
        let sendBuffers = IOBufferPool(bufferCapacity: 1024)
        var clients: [Int32] = []
        for _ in 0..<5 {
            let (client, server) = try tcpPair()
            clients.append(client)
            executor.spawn(MultishotEcho(Socket(adopting: server), ring: ring, sendBuffers: sendBuffers)).detach()
        }
        try executor.runUntilIdle()
        XCTAssertEqual(executor.driver.operationsInFlight, 5, "one multishot receive per connection")
        XCTAssertEqual(ring.available, 8, "five idle connections pin no buffer")
        XCTAssertEqual(sendBuffers.created, 0, "nor a send buffer")
        for round in 0..<3 {
            for (i, client) in clients.enumerated() {
                // Up to 3 KiB: a message may span several of the ring's 1 KiB buffers.
                let message = String(repeating: "c\(i)r\(round)", count: 1 + (i * 300 + round * 200))
                XCTAssertEqual(try roundTrip(client, message), message, "connection \(i), round \(round)")
            }
            try executor.runUntilIdle()
            XCTAssertEqual(ring.available, 8, "idle again after round \(round): every buffer is back")
            XCTAssertEqual(sendBuffers.kept, sendBuffers.created, "idle connections hold no send buffer after round \(round)")
            XCTAssertLessThanOrEqual(sendBuffers.created, 5, "a send buffer is reused, not made per message")
            XCTAssertEqual(executor.driver.operationsInFlight, 5, "still one submission per connection")
        }
        for client in clients { close(client) }
        _ = try runUntilNoTasks(executor)
        XCTAssertEqual(executor.liveTaskCount, 0, "each connection ended when its peer closed")
        XCTAssertEqual(ring.available, 8)
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(openDescriptorCount(), before, "every server side was closed when its peer closed")
    }

    func testManyMessagesInFlightRunTheRingDryAndStillArriveInOrder() throws {
        let ring = try executor.driver.registerBufferRing(count: 2, size: 64)
        let (client, server) = try tcpPair()
        defer { close(client) }
        let connection = executor.spawn(MultishotEcho(Socket(adopting: server), ring: ring, sendBuffers: IOBufferPool(bufferCapacity: ring.size)))
        let message = (0..<400).map { "\($0)," }.joined()  // ~1.9 KB: 30 and more buffers through a ring of 2
        XCTAssertEqual(try roundTrip(client, message), message)
        try executor.runUntilIdle()
        XCTAssertEqual(ring.available, 2)
        try executor.blockOn(asyncDrop(connection))
        XCTAssertTrue(executor.driver.isQuiescent)
    }

    func testDroppingAnIdleConnectionCancelsItsReceiveAndClosesTheSocket() throws {
        let before = openDescriptorCount()
        let ring = try executor.driver.registerBufferRing(count: 4, size: 256)
        let (client, server) = try tcpPair()
        defer { close(client) }
        let connection = executor.spawn(MultishotEcho(Socket(adopting: server), ring: ring, sendBuffers: IOBufferPool(bufferCapacity: ring.size)))
        XCTAssertEqual(try roundTrip(client, "hello"), "hello")
        try executor.runUntilIdle()
        XCTAssertEqual(executor.driver.operationsInFlight, 1, "the multishot receive waits for data")
        try executor.blockOn(asyncDrop(connection))
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.driver.orphanCount, 0, "cancelled and awaited, not orphaned")
        XCTAssertEqual(ring.available, 4)
        XCTAssertEqual(openDescriptorCount(), before + 1, "only the client's end is left")
        var byte: UInt8 = 0
        XCTAssertEqual(read(client, &byte, 1), 0, "the peer sees the close")
    }

    /// The connections' send-buffer pool: a buffer given back is handed out again (emptied), the
    /// list grows past its reserve without losing one, and a buffer of another capacity is not kept.
    func testSendBufferPoolHandsOutWhatItWasGivenAndGrowsPastItsReserve() {
        let pool = IOBufferPool(bufferCapacity: 32, reserve: 2)
        /// Takes `n` buffers, holding each while it takes the rest, then gives them all back.
        func holdThenGive(_ n: Int) {
            guard n > 0 else { return }
            var buffer = pool.take()
            XCTAssertEqual(buffer.capacity, 32)
            XCTAssertTrue(buffer.isEmpty, "handed out empty")
            buffer.append(contentsOf: [UInt8(n)])
            holdThenGive(n - 1)
            pool.give(buffer)
        }
        holdThenGive(5)
        XCTAssertEqual(pool.created, 5)
        XCTAssertEqual(pool.kept, 5, "kept past the reserve of 2")
        holdThenGive(5)
        XCTAssertEqual(pool.created, 5, "reused, not made again")
        pool.give(IOBuffer(capacity: 64))
        XCTAssertEqual(pool.kept, 5, "a buffer of another capacity is freed")
    }

    /// The built QuiesceEcho executable, next to the test bundle (or `nil` when not built).
    private static var echoBinary: URL? {
        let bundle = Bundle(for: MultishotEchoTests.self).bundleURL
        return [bundle.appendingPathComponent("QuiesceEcho"),
                bundle.deletingLastPathComponent().appendingPathComponent("QuiesceEcho")]
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// The echo binary, with and without --multishot-recv: ten connections accepted by its one
    /// multishot accept echo messages larger than a ring buffer; SIGUSR1 prints a stats line (the
    /// accept loop's task and ten connections' tasks; with --multishot-recv no receive buffer out of
    /// the ring and at most one send buffer per connection made), then SIGINT closes all ten cleanly.
    func testTheEchoBinaryServesConnectionsThroughMultishotAcceptAndReceive() throws {
        guard let binary = Self.echoBinary else {
            return XCTFail("QuiesceEcho is not built next to the tests: run swift build first")
        }
        for extra in [[], ["--multishot-recv", "--ring-buffers", "16", "--ring-buffer-size", "256"]] {
            let process = Process()
            let output = Pipe()
            process.executableURL = binary
            process.arguments = ["--port", "0"] + extra
            process.standardOutput = output
            try process.run()
            defer { if process.isRunning { process.terminate() } }
            func readLine() -> String {
                var bytes: [UInt8] = []
                while true {
                    let byte = output.fileHandleForReading.readData(ofLength: 1)
                    if byte.isEmpty || byte[0] == 10 { break }
                    bytes.append(byte[0])
                }
                return String(decoding: bytes, as: UTF8.self)
            }
            let line = readLine()
            guard line.hasPrefix("listening on "), let port = line.split(separator: ":").last.flatMap({ UInt16($0) }),
                  let address = SocketAddress(host: "127.0.0.1", port: port) else {
                return XCTFail("\(extra): first line \(line)")
            }
            var clients: [Int32] = []
            for _ in 0..<10 {
                let client = try Sockets.tcp(for: address)
                XCTAssertEqual(address.withSockAddr { Glibc.connect(client, $0, $1) }, 0)
                clients.append(client)
            }
            defer { for client in clients { close(client) } }
            for round in 0..<3 {
                for (i, client) in clients.enumerated() {
                    let message = String(repeating: "\(i).\(round);", count: 1 + i * 40)  // up to ~2 KB
                    put(client, message)
                    var echoed: [UInt8] = []
                    var bytes = [UInt8](repeating: 0, count: 4096)
                    while echoed.count < message.utf8.count {
                        let n = read(client, &bytes, bytes.count)
                        guard n > 0 else { break }
                        echoed += bytes[0..<n]
                    }
                    XCTAssertEqual(String(decoding: echoed, as: UTF8.self), message, "\(extra): connection \(i), round \(round)")
                }
            }
            kill(process.processIdentifier, SIGUSR1)
            let stats = readLine()
            let fields = Dictionary(stats.split(separator: " ").dropFirst().compactMap { field -> (String, Int)? in
                let parts = field.split(separator: "=")
                return parts.count == 2 ? (String(parts[0]), Int(parts[1]) ?? -1) : nil
            }, uniquingKeysWith: { a, _ in a })
            XCTAssertTrue(stats.hasPrefix("stats "), "\(extra): \(stats)")
            XCTAssertEqual(fields["tasks"], 11, "\(extra): the accept loop and ten connections: \(stats)")
            if extra.isEmpty {
                XCTAssertEqual(fields["receive_pool_bytes"], 0, stats)
            } else {
                XCTAssertEqual(fields["receive_pool_bytes"], 16 * 256, stats)
                XCTAssertEqual(fields["receive_buffers_out"], 0, "idle connections hold no ring buffer: \(stats)")
                XCTAssertLessThanOrEqual(fields["send_buffers"] ?? 99, 10, "send buffers are reused: \(stats)")
            }
            kill(process.processIdentifier, SIGINT)
            let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, "\(extra): \(rest)")
            XCTAssertTrue(rest.contains("closed 10 connection(s); shutdown clean"), "\(extra): \(rest)")
            for client in clients {
                var byte: UInt8 = 0
                XCTAssertEqual(read(client, &byte, 1), 0, "\(extra): the server closed the connection")
            }
        }
    }
}
