import XCTest
import Glibc
@testable import Quiesce

/// Operations that create descriptors (accept, open) and are cancelled may still succeed in the
/// kernel; such a descriptor is closed, never leaked.
final class DescriptorLeakTests: XCTestCase {
    func testCancelledAcceptsLeakNoDescriptor() throws {
        let executor = try Executor(entries: 32)
        let listener = try Sockets.listen(on: .loopback(port: 0))
        defer { close(listener) }
        let address = try Sockets.localAddress(listener)
        var closedByDriver = 0
        executor.driver.onOrphanedDescriptorClosed = { _ in closedByDriver += 1 }
        var clients: [Int32] = []
        let before = openDescriptorCount()

        var cancelledClean = 0
        var racedToUs = 0
        for i in 0..<200 {
            var accept = IO.accept(listener)
            XCTAssertFalse(pollOnce(&accept, on: executor))
            try executor.driver.turn(waitNanos: 0)
            if i % 2 == 0 {
                // A client connects before the cancel is sent: the accept completes in the race.
                let client = try Sockets.tcp(for: address)
                XCTAssertEqual(address.withSockAddr { Glibc.connect(client, $0, $1) }, 0)
                clients.append(client)
            }
            if i % 3 == 0 {
                _ = consume accept  // synchronous drop: the orphan table closes a raced descriptor
            } else {
                let outcome = try driveCancel(&accept, on: executor)
                switch outcome {
                case .success(let accepted): close(accepted.fd); racedToUs += 1  // cancel(&cx) hands a raced fd to us
                case .failure(let error):
                    XCTAssertEqual(error.errno, ECANCELED)
                    cancelledClean += 1
                }
            }
        }
        while !executor.driver.isQuiescent { try executor.driver.turn(waitNanos: 1_000_000_000) }
        // Connections left in the listen backlog are not descriptors of ours; the clients are.
        for client in clients { close(client) }
        XCTAssertEqual(openDescriptorCount(), before, "every accepted descriptor was closed")
        XCTAssertGreaterThan(cancelledClean, 0, "some accepts were cancelled before any connection")
        XCTAssertGreaterThan(racedToUs, 0, "some accepts succeeded in the race with their cancel")
        XCTAssertGreaterThan(closedByDriver, 0, "some raced accepts were orphans, closed by the driver")
        XCTAssertEqual(executor.driver.orphanCount, 0)
        XCTAssertEqual(executor.driver.liveSlots, 0)
    }

    func testAsyncDropOfAnAcceptThatWonTheRaceClosesItsDescriptor() throws {
        let executor = try Executor(entries: 32)
        let listener = try Sockets.listen(on: .loopback(port: 0))
        defer { close(listener) }
        let address = try Sockets.localAddress(listener)
        var closed: [Int32] = []
        executor.driver.onOrphanedDescriptorClosed = { closed.append($0) }
        let before = openDescriptorCount()
        var clients: [Int32] = []
        for _ in 0..<50 {
            var accept = IO.accept(listener)
            XCTAssertFalse(pollOnce(&accept, on: executor))
            try executor.driver.turn(waitNanos: 0)
            let client = try Sockets.tcp(for: address)
            XCTAssertEqual(address.withSockAddr { Glibc.connect(client, $0, $1) }, 0)
            clients.append(client)
            // The accept completes in the kernel (with DEFER_TASKRUN, once the ring's thread enters it
            // for completions, as a submit does) before its drop cancels it.
            try executor.driver.backend.submit(waitNanos: 0)
            try driveDrop(&accept, on: executor)
        }
        XCTAssertEqual(closed.count, 50, "each accept completed in the race and its descriptor was closed by the drop")
        for client in clients { close(client) }
        XCTAssertEqual(openDescriptorCount(), before, "\(openDescriptors())")
        for fd in closed { XCTAssertEqual(fcntl(fd, F_GETFD), -1) }
    }

    func testCancelledOpensLeakNoDescriptor() throws {
        let executor = try Executor(entries: 32)
        let before = openDescriptorCount()
        for i in 0..<100 {
            var open = IO.open("/dev/null", flags: O_RDONLY)
            XCTAssertFalse(pollOnce(&open, on: executor))
            if i % 2 == 0 { try driveDrop(&open, on: executor) } else { _ = consume open }
        }
        while !executor.driver.isQuiescent { try executor.driver.turn(waitNanos: 1_000_000_000) }
        XCTAssertEqual(openDescriptorCount(), before)
        XCTAssertEqual(executor.driver.liveSlots, 0)
    }
}
