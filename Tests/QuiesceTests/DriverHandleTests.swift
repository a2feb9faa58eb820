import XCTest
@testable import Quiesce
@testable import QuiesceSimulation

/// Submits a NOP through `driver` when woken: code that calls the driver from inside one of its
/// own calls (here, the dispatch of a completion).
final class SubmittingWakeTarget: WakeTarget {
    let driver: Driver
    var submitted: [OpToken] = []
    init(_ driver: Driver) { self.driver = driver }
    override func wake() { submitted.append(driver.submit(IO.Nop(), buffer: nil, waker: .noop)) }
}

/// The driver's state sits behind a pointer (`DriverHandle` over `DriverState`) and its slots' wakers
/// own nothing by themselves (`HeldWaker`): what that layout must still guarantee.
final class DriverHandleTests: XCTestCase {
    func testAWakerMayCallTheDriverAgainWhileItDispatchesCompletions() throws {
        let backend = ScriptedBackend()
        let driver = Driver(backend: backend)
        let reentrant = SubmittingWakeTarget(driver)
        let counting = CountingWakeTarget()
        let first = driver.submit(IO.Nop(), buffer: nil, waker: Waker(reentrant))
        let second = driver.submit(IO.Nop(), buffer: nil, waker: Waker(counting))
        try driver.turn(waitNanos: 0)
        // Both in one reap: the first's wake submits a third operation while the loop still has the
        // second to dispatch, so counts updated inside the wake must not be lost afterwards.
        backend.completions = [(backend.operation(0), 0), (backend.operation(1), 7)]
        XCTAssertEqual(try driver.turn(waitNanos: 0), 2)
        XCTAssertEqual(reentrant.submitted.count, 1)
        XCTAssertEqual(counting.wakes, 1, "the completion after the re-entrant call was still dispatched")
        XCTAssertEqual(driver.operationsInFlight, 1, "only the operation submitted from the wake is in flight")
        XCTAssertEqual(driver.liveSlots, 3)
        XCTAssertEqual(driver.take(first).result, 0)
        XCTAssertEqual(driver.take(second).result, 7)
        let third = try XCTUnwrap(reentrant.submitted.first)
        XCTAssertNotEqual(third, first, "the third operation got a slot of its own")
        try driver.turn(waitNanos: 0)
        guard backend.submitted.count == 3 else { return XCTFail("the third operation was not handed over") }
        backend.completions = [(backend.operation(2), 0)]
        XCTAssertEqual(try driver.turn(waitNanos: 0), 1)
        XCTAssertTrue(driver.poll(third, waker: .noop))
        XCTAssertEqual(driver.take(third).result, 0)
        XCTAssertEqual(driver.liveSlots, 0)
        XCTAssertTrue(driver.isQuiescent)
    }

    func testADriverReleasedWithAnOperationInFlightKeepsItsSlotAndBuffer() throws {
        let sim = SimBackend(seed: 1)
        sim.watchBuffers()
        defer { sim.stopWatchingBuffers() }
        let (r, _) = sim.makePipe()
        weak var weakTarget: WakeTarget?
        var driver: Driver? = Driver(backend: sim)
        do {
            let target = CountingWakeTarget()
            weakTarget = target
            _ = driver!.submit(IO.Read(fd: r, offset: .max), buffer: IOBuffer(capacity: 8), waker: Waker(target))
        }
        try driver!.turn(waitNanos: 0)  // the simulated kernel holds the read (nothing to read yet)
        XCTAssertEqual(driver!.operationsInFlight, 1)
        driver = nil
        XCTAssertEqual(sim.violations, [], "the buffer the kernel may still write into was not freed")
        XCTAssertEqual(sim.liveBufferCount, 1)
        XCTAssertNotNil(weakTarget, "the slot, and the waker it holds, are kept with the driver's state")
    }

    func testADriverReleasedWithNothingLeftFreesItsState() throws {
        weak var weakBackend: SimBackend?
        var driver: Driver?
        do {
            let sim = SimBackend(seed: 2)
            weakBackend = sim
            driver = Driver(backend: sim)
        }
        let token = driver!.submit(IO.Nop(), buffer: nil, waker: .noop)
        while driver!.operationsInFlight > 0 { try driver!.turn(waitNanos: nil) }
        _ = driver!.take(token)
        XCTAssertNotNil(weakBackend)
        driver = nil
        XCTAssertNil(weakBackend, "the state, and the backend it held, were freed")
    }

    func testReplacingAnOwnedWakerReleasesTheOldTarget() throws {
        let backend = ScriptedBackend()
        let driver = Driver(backend: backend)
        let later = CountingWakeTarget()
        weak var weakEarlier: WakeTarget?
        let token: OpToken
        do {
            let earlier = CountingWakeTarget()
            weakEarlier = earlier
            token = driver.submit(IO.Nop(), buffer: nil, waker: Waker(earlier))
        }
        XCTAssertFalse(driver.poll(token, waker: Waker(later)))
        XCTAssertNil(weakEarlier, "registering a new waker let the old target go")
        try driver.turn(waitNanos: 0)
        backend.completions = [(backend.operation(0), 0)]
        try driver.turn(waitNanos: 0)
        XCTAssertEqual(later.wakes, 1)
        XCTAssertEqual(driver.take(token).result, 0)
    }
}
