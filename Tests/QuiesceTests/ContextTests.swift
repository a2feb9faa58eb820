import XCTest
@testable import Quiesce

/// A context lends its waker; one built by hand owns it.
final class ContextTests: XCTestCase {
    func testAHandMadeContextKeepsItsWakersTargetAlive() {
        weak var weakTarget: CountingWakeTarget?
        var cx: Context
        do {
            let target = CountingWakeTarget()
            weakTarget = target
            cx = Context(waker: Waker(target))
        }
        XCTAssertNotNil(weakTarget, "the context owns its waker")
        cx.wake()
        cx.waker.wake()
        XCTAssertEqual(weakTarget?.wakes, 2)
    }

    func testReplacingTheWakerRedirectsWakes() {
        let first = CountingWakeTarget(), second = CountingWakeTarget()
        var cx = Context(waker: Waker(first))
        cx.waker = Waker(second)
        cx.wake()
        XCTAssertEqual(first.wakes, 0)
        XCTAssertEqual(second.wakes, 1)
        XCTAssertTrue(cx.waker.willWake(Waker(second)))
    }

    func testAStoredCopyOfTheExecutorsWakerOutlivesItsTask() throws {
        let executor = Executor(backend: IdleBackend())
        let box = WakerBox()
        guard case .success = try executor.blockOn(executor.spawn(StoresWaker(box: box))) else { return XCTFail("cancelled") }
        XCTAssertEqual(executor.liveTaskCount, 0)
        box.waker!.wake()  // a finished task: nothing to do, and nothing freed under it
        try executor.runUntilIdle()
        XCTAssertEqual(executor.statistics.finished, executor.statistics.spawned)
    }
}
