import XCTest
import Glibc
@testable import Quiesce
import QuiesceEchoCore

/// The echo example's connection, composed from combinators, on the real ring.
final class ComposedEchoTests: XCTestCase {
    var executor: Executor!

    override func setUpWithError() throws { executor = try Executor(entries: 64) }
    override func tearDown() { executor = nil }

    func testEchoesEveryMessageAndClosesItsSocketWhenThePeerCloses() throws {
        let before = openDescriptorCount()
        let (client, server) = try tcpPair()
        let connection = executor.spawn(echo(Socket(adopting: server)))
        for size in [1, 64, 1000, 16 * 1024, 7] {
            let message = String(repeating: "x", count: size)
            put(client, message)
            var echoed = ""
            while echoed.utf8.count < size {
                try runUntilReadable(client, on: executor)
                var bytes = [UInt8](repeating: 0, count: 32 * 1024)
                let n = read(client, &bytes, bytes.count)
                XCTAssertGreaterThan(n, 0)
                echoed += String(decoding: bytes[0..<max(n, 0)], as: UTF8.self)
            }
            XCTAssertEqual(echoed, message)
        }
        close(client)
        _ = try executor.blockOn(connection)
        XCTAssertEqual(openDescriptorCount(), before, "the server side was closed when the echo ended")
        XCTAssertTrue(executor.driver.isQuiescent)
    }

    func testDroppingTheConnectionCancelsItsRecvAndClosesTheSocket() throws {
        let before = openDescriptorCount()
        let (client, server) = try tcpPair()
        defer { close(client) }
        let connection = executor.spawn(echo(Socket(adopting: server)))
        try executor.runUntilIdle()
        XCTAssertEqual(executor.driver.operationsInFlight, 1, "the recv waits for data")
        try executor.blockOn(asyncDrop(connection))
        XCTAssertTrue(executor.driver.isQuiescent)
        XCTAssertEqual(executor.driver.orphanCount, 0, "cancelled and awaited, not orphaned")
        XCTAssertEqual(openDescriptorCount(), before + 1, "only the client's end is left")
        var byte: UInt8 = 0
        XCTAssertEqual(read(client, &byte, 1), 0, "the peer sees the close")
    }
}
