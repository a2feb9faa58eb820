import XCTest
@testable import Quiesce

/// A noncopyable value that logs its deinit; its log reference leaves unused bit patterns, so an
/// optional of it keeps `nil` there.
private struct SlotValue: ~Copyable {
    let id: Int
    let words: (Int, Int, Int, Int, Int, Int, Int, Int)
    let log: SlotDeinitLog

    init(_ id: Int, _ log: SlotDeinitLog) {
        self.id = id
        self.words = (id, id, id, id, id, id, id, id)
        self.log = log
    }

    deinit { log.ids.append(id) }
}

private final class SlotDeinitLog { var ids: [Int] = [] }

/// A stage's slot: emptied and filled in place, whatever unused bit patterns its value has.
final class StageSlotTests: XCTestCase {
    /// The id of the value `slot` holds, read through a switch; nil when it is empty.
    private func id(_ slot: borrowing StageSlot<SlotValue>) -> Int? {
        switch slot {
        case .filled(let value): return value.words.7
        case .empty: return nil
        }
    }

    func testTheCaseLivesInATagByteEvenWhenTheValueHasUnusedBitPatterns() {
        // An optional of this value keeps nil in its unused bit patterns (no byte of its own) ...
        XCTAssertEqual(MemoryLayout<SlotValue?>.size, MemoryLayout<SlotValue>.size)
        // ... a slot keeps its case in a byte after the value, so emptying it writes two bytes.
        XCTAssertTrue(StageSlot<SlotValue>.inPlace)
        XCTAssertTrue(StageSlot<Int8>.inPlace)
        XCTAssertTrue(StageSlot<Void>.inPlace)
    }

    func testEmptyingAndFillingInPlaceDestroyEachValueOnce() {
        let log = SlotDeinitLog()
        var slot = StageSlot<SlotValue>.filled(SlotValue(1, log))
        XCTAssertEqual(id(slot), 1)
        unsafe withUnsafeMutablePointer(to: &slot) { storage in
            unsafe StageSlot.value(storage).deinitialize(count: 1)
            unsafe StageSlot.writeEmpty(storage)
        }
        XCTAssertEqual(log.ids, [1])
        XCTAssertNil(id(slot))
        unsafe StageSlot.fill(&slot, with: SlotValue(2, log))
        XCTAssertEqual(id(slot), 2)
        unsafe withUnsafeMutablePointer(to: &slot) { storage in
            unsafe StageSlot.value(storage).deinitialize(count: 1)
            unsafe StageSlot.fill(storage, building: { (log: SlotDeinitLog, id: Int) in SlotValue(id, log) }, log, 3)
        }
        XCTAssertEqual(log.ids, [1, 2])
        XCTAssertEqual(id(slot), 3)
        slot = .empty(0)
        XCTAssertEqual(log.ids, [1, 2, 3], "an emptied slot destroys nothing more; a filled one its value")
    }

    func testAReleasedStageHoldsAnEmptySlot() throws {
        // A stage releases its future as soon as its drop is done: its slot is then empty, and
        // destroying the stage destroys nothing more.
        let log = SlotDeinitLog()
        var stage = Stage(ready(SlotValue(4, log)))
        let executor = Executor(backend: IdleBackend())
        var cx = Context(waker: .noop, executor: executor)
        guard case .ready(let value) = stage.poll(&cx) else { return XCTFail("a ready future completes at once") }
        XCTAssertEqual(value.id, 4)
        XCTAssertEqual(stage.phase, .finished)
        unsafe withUnsafeMutablePointer(to: &stage.future) { storage in XCTAssertTrue(storage.pointee.isEmpty) }
        _ = consume value
        XCTAssertEqual(log.ids, [4])
        _ = consume stage
        XCTAssertEqual(log.ids, [4])
    }
}
