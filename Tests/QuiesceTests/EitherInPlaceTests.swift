import XCTest
@testable import Quiesce

/// A future that is ready after `steps` polls, holding a payload beside its count: polling it in
/// place must keep both the count and the payload, and the enum around it must keep its case. Its
/// output names it (`marker`), so that a poll that reached the other case's type would show.
private struct InPlaceCountdown<Payload>: Future, ~Copyable {
    var steps: Int
    var polls = 0
    let payload: Payload
    let marker = 1_000

    mutating func poll(_ cx: inout Context) -> Poll<Int> {
        polls += 1
        if steps == 0 { return .ready(marker + polls) }
        steps -= 1
        return .pending
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { .ready(()) }
}

/// The same with its fields in another order and another marker: the second case's type.
private struct OtherCountdown<Payload>: Future, ~Copyable {
    let payload: Payload
    let marker = 2_000
    var polls = 0
    var steps: Int

    init(steps: Int, payload: Payload) {
        self.steps = steps
        self.payload = payload
    }

    mutating func poll(_ cx: inout Context) -> Poll<Int> {
        polls += 1
        if steps == 0 { return .ready(marker + polls) }
        steps -= 1
        return .pending
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> { .ready(()) }
}

private final class Token {}

/// A payload as large as a composed stage, with a reference in it.
private struct Large {
    var words = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30)
    var token = Token()

    /// The words, read back.
    var sum: Int { withUnsafeBytes(of: words) { $0.bindMemory(to: Int.self).reduce(0, +) } }
}

final class EitherInPlaceTests: XCTestCase {
    /// Polls `either` until ready; returns how many polls the active case saw (its own count, read
    /// from its output) and which case is active afterwards.
    private func drive<A, B>(_ either: inout Either<InPlaceCountdown<A>, OtherCountdown<B>>) -> Int {
        var cx = Context(waker: .noop)
        for _ in 0..<100 {
            if case .ready(let polls) = either.poll(&cx) { return polls }
        }
        XCTFail("never ready")
        return -1
    }

    private func check<A, B>(_ first: A, _ second: B, same: (A, A) -> Bool, sameSecond: (B, B) -> Bool,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(Either<InPlaceCountdown<A>, OtherCountdown<B>>.payloadsMutateInPlace, "layout", file: file, line: line)
        var a = Either<InPlaceCountdown<A>, OtherCountdown<B>>.first(InPlaceCountdown(steps: 3, payload: first))
        XCTAssertEqual(drive(&a), 1_004, file: file, line: line)
        switch consume a {
        case .first(let countdown):
            XCTAssertEqual(countdown.polls, 4, file: file, line: line)
            XCTAssertEqual(countdown.steps, 0, file: file, line: line)
            XCTAssertTrue(same(countdown.payload, first), "payload kept", file: file, line: line)
        case .second: XCTFail("the case changed from first to second", file: file, line: line)
        }
        var b = Either<InPlaceCountdown<A>, OtherCountdown<B>>.second(OtherCountdown(steps: 5, payload: second))
        XCTAssertEqual(drive(&b), 2_006, file: file, line: line)
        var cx = Context(waker: .noop)
        XCTAssertTrue(b.pollDropReady(&cx).isReady, file: file, line: line)
        switch consume b {
        case .second(let countdown):
            XCTAssertEqual(countdown.polls, 6, file: file, line: line)
            XCTAssertTrue(sameSecond(countdown.payload, second), "payload kept", file: file, line: line)
        case .first: XCTFail("the case changed from second to first", file: file, line: line)
        }
    }

    func testAPolledCaseKeepsItsStateAndTheEnumItsCase() {
        check(true, false, same: ==, sameSecond: ==)
        let token = Token(), other = Token()
        check(token, other, same: ===, sameSecond: ===)
        check(Optional<Token>.none, UInt8(7), same: { $0 === $1 }, sameSecond: ==)
        let large = Large()
        check(large, (), same: { $0.sum == $1.sum && $0.token === $1.token }, sameSecond: { _, _ in true })
        check(Int8(-1), large, same: ==, sameSecond: { $0.sum == $1.sum && $0.token === $1.token })
    }
}
