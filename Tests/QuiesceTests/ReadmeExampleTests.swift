import XCTest
import Quiesce

// The README's example, verbatim apart from the test harness around it: if it stops compiling or
// behaving as the README says, this fails.
struct ReadGreeting: Future, ~Copyable {
    var read: ReadOp

    init(fd: Int32) { read = IO.read(fd, into: IOBuffer(capacity: 64)) }

    mutating func poll(_ cx: inout Context) -> Poll<String> {
        switch read.poll(&cx) {
        case .pending: return .pending
        case .ready(let done): return .ready(done.buffer.string)
        }
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        read.pollDropReady(&cx)
    }
}

final class ReadmeExampleTests: XCTestCase {
    func testTheReadmeExampleBehavesAsDescribed() throws {
        let executor = try Executor()
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        let outcome = try executor.blockOn(timeout(.milliseconds(100), ReadGreeting(fd: r)))
        XCTAssertEqual("\(outcome)", "failure(timed out)")
        XCTAssertTrue(executor.driver.isQuiescent)
    }
}
