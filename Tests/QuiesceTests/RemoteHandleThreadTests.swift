import XCTest
import Glibc
import Synchronization
@testable import Quiesce

/// The remote handle from several threads at once (run under ThreadSanitizer by scripts/sanitize.sh).
final class RemoteHandleThreadTests: XCTestCase {
    func testJobsFromManyThreadsAllRunOnTheExecutorThread() throws {
        // Not run under valgrind (scripts/leaks.sh leaves out `Remote` tests: valgrind starves the
        // other threads while one waits in io_uring_enter); ThreadSanitizer is its checker.
        let executor = try Executor()
        let handle = try executor.remoteHandle()
        let tally = JobTally()
        let threads = 4, jobsPerThread = 50
        let owner = pthread_self()
        let offThread = Atomic<Int>(0)
        let box = UncheckedTally(tally: tally)
        var workers: [Thread] = []
        for _ in 0..<threads {
            let worker = Thread {
                for _ in 0..<jobsPerThread {
                    let accepted = handle.execute { _ in
                        if pthread_equal(pthread_self(), owner) == 0 { offThread.add(1, ordering: .relaxed) }
                        box.tally.count += 1
                        box.tally.waker?.wake()
                    }
                    precondition(accepted, "the executor refused a job while running")
                }
            }
            workers.append(worker)
            worker.start()
        }
        try executor.blockOn(AwaitJobs(tally: tally, target: threads * jobsPerThread))
        XCTAssertEqual(tally.count, threads * jobsPerThread)
        XCTAssertEqual(offThread.load(ordering: .relaxed), 0, "a job ran off the executor's thread")
        executor.shutdown()
        XCTAssertFalse(handle.execute { _ in }, "a shut-down executor accepts no more jobs")
    }
}
