import XCTest
@testable import Quiesce

/// Every stage of a composed future holds a whole operation, and moving a stage moves every byte
/// of it: the shared lifecycle packs its fields without padding, and its results read back as
/// before (nil until known).
final class OperationLayoutTests: XCTestCase {
    func testTheSharedLifecyclePacksItsFields() {
        // The optional readiness's tag byte ends the value: no padding inside it.
        XCTAssertLessThanOrEqual(MemoryLayout<OperationCore>.size, 89)
    }

    func testWriteAllPacksBehindItsPiece() {
        // The descriptor, the target and the count live once (in the piece's kind); the phase and
        // the piece count pack behind the lifecycle: the loop is its piece plus 8 bytes at most,
        // and with its one-byte tag in a stage it stays within 128 bytes.
        XCTAssertLessThanOrEqual(MemoryLayout<WriteAll>.size, MemoryLayout<WriteAllPiece>.size + MemoryLayout<OperationCore>.size + 8)
        XCTAssertLessThanOrEqual(MemoryLayout<WriteAll>.size, 120)
    }

    func testResultsAreUnknownUntilACancelAndRetriesStartAtZero() {
        let operation = IO.nop()
        XCTAssertNil(operation.core.cancelResult)
        XCTAssertNil(operation.core.finalResult)
        XCTAssertEqual(operation.core.retries, 0)
    }

    func testACancelBeforeSubmissionLeavesTheCancelResultUnknown() {
        var operation = IO.nop()
        var cx = Context(waker: .noop)
        guard case .ready(let completion) = operation.core.cancel(&cx) else { return XCTFail("a cancel before submission is ready at once") }
        XCTAssertEqual(completion.result, -ECANCELED)
        XCTAssertNil(operation.core.cancelResult)
        XCTAssertNil(operation.core.finalResult)
    }
}
