import XCTest
import Glibc
import Synchronization
@testable import Quiesce

/// Waits (on the executor's thread) until `target` jobs have run; the jobs wake it.
final class JobTally {
    var count = 0
    var waker: Waker?
}

struct AwaitJobs: Future {
    let tally: JobTally
    let target: Int
    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        if tally.count >= target { return .ready(()) }
        tally.waker = cx.waker
        return .pending
    }
}

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

/// The tally is only touched on the executor's thread (inside jobs); the box lets jobs capture it.
struct UncheckedTally: @unchecked Sendable { let tally: JobTally }
