import XCTest
import Glibc
@testable import Quiesce

/// A flag a remote job sets on the loop thread, and the waker of the future waiting for it.
final class RemoteFlag: @unchecked Sendable {  // touched only on the executor's thread
    var set = false
    var ranOn: pthread_t?
    var waker: Waker?
    var order: [Int] = []
}

/// Ready once the flag is set.
struct WaitForFlag: Future {
    let flag: RemoteFlag
    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        if flag.set { return .ready(()) }
        flag.waker = cx.waker
        return .pending
    }
}

/// Other threads reach the executor only through its remote handle; the loop wakes from the ring.
final class RemoteHandleTests: XCTestCase {
    func testJobFromAnotherThreadWakesTheSleepingLoopAndRunsOnIt() throws {
        let executor = try Executor(entries: 8)
        let handle = try executor.remoteHandle()
        let flag = RemoteFlag()
        let loopThread = pthread_self()
        let sender = Thread {
            usleep(50_000)  // let the loop fall asleep in the ring first
            handle.execute { _ in
                flag.ranOn = pthread_self()
                flag.set = true
                flag.waker?.wake()
            }
        }
        sender.start()
        let parksBefore = executor.statistics.parks
        try executor.blockOn(WaitForFlag(flag: flag))
        XCTAssertTrue(flag.set)
        XCTAssertNotNil(flag.ranOn)
        XCTAssertTrue(flag.ranOn.map { pthread_equal($0, loopThread) != 0 } ?? false, "the job ran on the loop thread")
        XCTAssertGreaterThan(executor.statistics.parks, parksBefore, "the loop was asleep in the ring when the job came")
        XCTAssertTrue(executor.shutdown().isClean)
    }

    func testTheHandlesOwnWatchIsNotCountedAsALiveTask() throws {
        let executor = try Executor(entries: 8)
        _ = try executor.remoteHandle()
        XCTAssertEqual(executor.liveTaskCount, 0, "the eventfd watch is the executor's own, not a user's task")
        let handle = executor.spawn(yieldNow())
        XCTAssertEqual(executor.liveTaskCount, 1)
        _ = try executor.blockOn(handle)
        XCTAssertEqual(executor.liveTaskCount, 0)
        XCTAssertTrue(executor.shutdown().isClean)
    }

    func testJobsRunInSubmissionOrder() throws {
        let executor = try Executor(entries: 8)
        let handle = try executor.remoteHandle()
        let flag = RemoteFlag()
        let sender = Thread {
            for i in 0..<100 { handle.execute { _ in flag.order.append(i) } }
            handle.execute { _ in flag.set = true; flag.waker?.wake() }
        }
        sender.start()
        try executor.blockOn(WaitForFlag(flag: flag))
        XCTAssertEqual(flag.order, Array(0..<100))
        XCTAssertTrue(executor.shutdown().isClean)
    }

    func testAJobCanSpawnIOOnTheLoop() throws {
        let executor = try Executor(entries: 8)
        let handle = try executor.remoteHandle()
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        let flag = RemoteFlag()
        let record = Record()
        /// Reads through the ring, then sets the flag the test waits on.
        struct ReadThenSignal: Future, ~Copyable {
            var read: RecordingRead
            let flag: RemoteFlag
            mutating func poll(_ cx: inout Context) -> Poll<Void> {
                guard read.poll(&cx).isReady else { return .pending }
                flag.set = true
                flag.waker?.wake()
                return .ready(())
            }
            mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { read.pollDropReady(&cx) }
        }
        let sender = Thread {
            handle.execute { executor in
                executor.spawn(ReadThenSignal(read: RecordingRead(fd: r, key: 0, record: record), flag: flag)).detach()
            }
        }
        sender.start()
        put(w, "remote")
        try executor.blockOn(WaitForFlag(flag: flag))
        XCTAssertEqual(record.results[0], "remote", "the read spawned by the remote job went through the ring")
        XCTAssertTrue(executor.shutdown().isClean)
    }

    func testManyThreadsManyJobs() throws {
        let executor = try Executor(entries: 8)
        let handle = try executor.remoteHandle()
        let tally = JobTally()
        let box = UncheckedTally(tally: tally)
        for _ in 0..<4 {
            Thread {
                for _ in 0..<250 { handle.execute { _ in box.tally.count += 1; box.tally.waker?.wake() } }
            }.start()
        }
        try executor.blockOn(AwaitJobs(tally: tally, target: 1000))
        XCTAssertEqual(tally.count, 1000)
    }
}
