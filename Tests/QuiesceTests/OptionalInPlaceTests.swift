import XCTest
@testable import Quiesce

/// A noncopyable value that logs its deinit, with a payload beside it (its log reference leaves
/// unused bit patterns, so an optional of it keeps its case there).
private struct Tracked<Payload>: ~Copyable {
    let id: Int
    let payload: Payload
    let log: DeinitLog

    init(_ id: Int, _ payload: Payload, _ log: DeinitLog) {
        self.id = id
        self.payload = payload
        self.log = log
    }

    deinit { log.ids.append(id) }
}

private final class DeinitLog { var ids: [Int] = [] }

private final class Token {}

/// A payload as large as a composed stage, integers only: no unused bit patterns.
private struct Words {
    var words = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30)

    /// The words, read back.
    var sum: Int { withUnsafeBytes(of: words) { $0.bindMemory(to: Int.self).reduce(0, +) } }
}

private enum Small { case a, b }

final class OptionalInPlaceTests: XCTestCase {
    /// The payload of the value `slot` holds, read with `read`; nil when it holds none.
    private func payloadValue<P>(_ slot: borrowing Tracked<P>?, _ read: (P) -> Int) -> Int? {
        switch slot {
        case .some(let tracked): return read(tracked.payload)
        case .none: return nil
        }
    }

    /// Sets, replaces and clears an optional of `Tracked<P>` in place: each value is destroyed
    /// exactly once, when replaced or cleared, and the optional reads back as what was put in.
    private func check<P>(_ payload: @autoclosure () -> P, _ read: (P) -> Int) {
        let log = DeinitLog()
        var slot: Tracked<P>? = nil
        slot.setInPlace(Tracked(1, payload(), log))
        XCTAssertEqual(slot?.id, 1)
        XCTAssertEqual(payloadValue(slot, read), read(payload()))
        XCTAssertEqual(log.ids, [], "nothing destroyed when setting over nil")
        slot.setInPlace(Tracked(2, payload(), log))
        XCTAssertEqual(slot?.id, 2)
        XCTAssertEqual(payloadValue(slot, read), read(payload()))
        XCTAssertEqual(log.ids, [1], "the old value is destroyed once, when replaced")
        slot.clearInPlace()
        XCTAssertNil(slot?.id)
        XCTAssertEqual(log.ids, [1, 2], "the value is destroyed once, when cleared")
        slot.clearInPlace()
        XCTAssertEqual(log.ids, [1, 2], "clearing nil destroys nothing")
        slot.setInPlace(Tracked(3, payload(), log))
        XCTAssertEqual(slot?.id, 3, "an optional cleared in place takes a value again")
        slot = nil
        XCTAssertEqual(log.ids, [1, 2, 3])
    }

    func testNoncopyableValuesAreDestroyedOnceWhenReplacedOrCleared() {
        let token = Token()
        check(token, { $0 === token ? 1 : 0 })
        check(Words(), { $0.sum })
        check(42, { $0 })
        check(Small.b, { $0 == .b ? 1 : 0 })
        check(true, { $0 ? 1 : 0 })
    }

    /// Small payloads with unused bit patterns of their own: the optional is as large as them.
    func testSmallEnumAndBoolPayloads() {
        XCTAssertEqual(MemoryLayout<Small?>.size, MemoryLayout<Small>.size)
        var small: Small? = nil
        small.setInPlace(.b)
        XCTAssertEqual(small, .b)
        small.setInPlace(.a)
        XCTAssertEqual(small, .a)
        small.clearInPlace()
        XCTAssertNil(small)
        var flag: Bool? = nil
        flag.setInPlace(false)
        XCTAssertEqual(flag, false)
        flag.clearInPlace()
        XCTAssertNil(flag)
    }

    /// Integers only, no reference: the optional needs a tag byte after the payload, which
    /// `setInPlace` must set to `.some`.
    func testAnOptionalOfPlainIntegersTakesItsTagByte() {
        XCTAssertGreaterThan(MemoryLayout<Words?>.size, MemoryLayout<Words>.size)
        var slot: Words? = nil
        slot.setInPlace(Words())
        XCTAssertEqual(slot?.sum, 465)
        slot.clearInPlace()
        XCTAssertNil(slot)
        slot.setInPlace(Words())
        XCTAssertEqual(slot?.sum, 465)
        var int: Int? = nil
        int.setInPlace(7)
        XCTAssertEqual(int, 7)
        int.setInPlace(8)
        XCTAssertEqual(int, 8)
        int.clearInPlace()
        XCTAssertNil(int)
    }
}
