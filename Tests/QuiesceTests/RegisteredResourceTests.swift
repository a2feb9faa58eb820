import Glibc
import XCTest
@testable import Quiesce

/// Registered files and fixed buffers on the real ring: operations address them by index, and they
/// are unregistered only when no operation in flight uses them.
final class RegisteredResourceTests: RingPipeTestCase {
    func testReadAndWriteThroughTheRegisteredFileTable() throws {
        var files = try RegisteredFiles([r, w], on: executor)
        XCTAssertEqual(executor.driver.registeredFiles, RegistrationStatus(count: 2, operationsInFlight: 0, isReleased: false))
        var write = IO.write(try files.file(1), IOBuffer(string: "by index"))
        XCTAssertEqual(value(try drive(&write, on: executor).result), 8)
        var read = IO.read(try files.file(0), into: IOBuffer(capacity: 16))
        XCTAssertEqual(try drive(&read, on: executor).buffer.string, "by index")
        try driveDrop(&files, on: executor)
        XCTAssertNil(executor.driver.registeredFiles, "unregistered by the async drop")
    }

    func testAFileIndexOutsideTheTableIsAClearError() throws {
        let files = try RegisteredFiles([r], on: executor)
        do {
            _ = try files.file(3)
            XCTFail("index 3 of a table of 1")
        } catch {
            XCTAssertEqual(error.errno, EINVAL)
            XCTAssertTrue(error.description.contains("index 3 is outside the table of 1 registered file(s) (0..<1)"), error.description)
        }
    }

    func testReadFixedAndWriteFixedRoundTrip() throws {
        let buffers = try RegisteredBuffers(count: 2, size: 4096, on: executor)
        var out = try buffers.take(0)
        out.append(contentsOf: Array("registered".utf8))
        var write = IO.writeFixed(w, out)
        let wrote = try drive(&write, on: executor)
        XCTAssertEqual(value(wrote.result), 10)
        XCTAssertEqual(wrote.buffer.index, 0)
        var read = IO.readFixed(r, into: try buffers.take(1))
        let got = try drive(&read, on: executor)
        XCTAssertEqual(value(got.result), 10)
        XCTAssertEqual(got.buffer.index, 1)
        XCTAssertEqual(got.buffer.string, "registered")
        XCTAssertEqual(executor.driver.registeredBuffers?.operationsInFlight, 0)
    }

    func testFixedBuffersOnRegisteredFiles() throws {
        let files = try RegisteredFiles([r, w], on: executor)
        let buffers = try RegisteredBuffers(count: 1, size: 64, on: executor)
        var out = try buffers.take(0)
        out.append(contentsOf: Array("both".utf8))
        var write = IO.writeFixed(try files.file(1), out, from: 1)
        let wrote = try drive(&write, on: executor)
        XCTAssertEqual(value(wrote.result), 3)
        var buffer = wrote.buffer
        buffer.clear()
        var read = IO.readFixed(try files.file(0), into: buffer)
        XCTAssertEqual(try drive(&read, on: executor).buffer.string, "oth")
    }

    func testABufferIndexOutsideTheSetIsAClearError() throws {
        let buffers = try RegisteredBuffers(count: 2, size: 64, on: executor)
        do {
            _ = try buffers.take(4)
            XCTFail("index 4 of 2 buffers")
        } catch {
            XCTAssertEqual(error.errno, EINVAL)
            XCTAssertTrue(error.description.contains("index 4 is outside the 2 registered buffers (0..<2)"), error.description)
        }
        let first = try buffers.take(0)
        do {
            _ = try buffers.take(0)
            XCTFail("buffer 0 is lent out")
        } catch {
            XCTAssertEqual(error.errno, EBUSY)
            XCTAssertTrue(error.description.contains("buffer 0 is lent out already"), error.description)
        }
        XCTAssertEqual(buffers.takeAny()?.index, 1)
        _ = consume first
        XCTAssertEqual(buffers.takeAny()?.index, 0, "back in the set once released")
    }

    /// The async drop of the buffers waits for the read that uses them; the unregister comes with
    /// the read's completion, not before.
    func testAsyncDropOfTheBuffersWaitsForTheReadInFlight() throws {
        var buffers = try RegisteredBuffers(count: 1, size: 64, on: executor)
        var read = IO.readFixed(r, into: try buffers.take(0))
        XCTAssertFalse(pollOnce(&read, on: executor))
        XCTAssertEqual(executor.driver.registeredBuffers, RegistrationStatus(count: 1, operationsInFlight: 1, isReleased: false))
        let dropWaker = CountingWakeTarget()
        var cx = Context(waker: Waker(dropWaker), executor: executor)
        XCTAssertFalse(buffers.pollDropReady(&cx).isReady, "a read in flight uses them")
        try executor.driver.turn(waitNanos: 0)
        XCTAssertFalse(buffers.pollDropReady(&cx).isReady)
        XCTAssertEqual(executor.driver.registeredBuffers, RegistrationStatus(count: 1, operationsInFlight: 1, isReleased: true),
                       "released, still registered")
        XCTAssertEqual(dropWaker.wakes, 0)
        put(w, "late")
        try executor.driver.turn(waitNanos: 2_000_000_000)
        XCTAssertEqual(dropWaker.wakes, 1, "woken by the read's completion")
        XCTAssertNil(executor.driver.registeredBuffers, "unregistered at the read's completion")
        XCTAssertTrue(buffers.pollDropReady(&cx).isReady)
        let got = try drive(&read, on: executor)
        XCTAssertEqual(value(got.result), 4)
        XCTAssertEqual(got.buffer.string, "late", "the buffer's memory outlives the set while leased")
    }

    /// Dropped synchronously while a read uses them, the buffers stay registered (with the driver)
    /// until that read completes.
    func testSyncDropOfTheBuffersDefersTheUnregisterToTheLastCompletion() throws {
        var read: ReadFixedOp
        do {
            let buffers = try RegisteredBuffers(count: 1, size: 64, on: executor)
            read = IO.readFixed(r, into: try buffers.take(0))
            XCTAssertFalse(pollOnce(&read, on: executor))
        }
        XCTAssertEqual(executor.driver.registeredBuffers, RegistrationStatus(count: 1, operationsInFlight: 1, isReleased: true),
                       "the driver keeps them for the read in flight")
        do {
            _ = try RegisteredBuffers(count: 1, size: 64, on: executor)
            XCTFail("the kernel still has the released set")
        } catch {
            XCTAssertEqual(error.errno, EBUSY)
            XCTAssertTrue(error.description.contains("unregistered when the 1 operation(s) in flight that use it complete"), error.description)
        }
        try executor.driver.turn(waitNanos: 0)
        XCTAssertNotNil(executor.driver.registeredBuffers)
        put(w, "data")
        let got = try drive(&read, on: executor)
        XCTAssertEqual(got.buffer.string, "data")
        XCTAssertNil(executor.driver.registeredBuffers, "unregistered at the read's completion")
        let again = try RegisteredBuffers(count: 1, size: 64, on: executor)
        XCTAssertEqual(again.count, 1, "the ring takes a new set")
    }

    func testSyncDropOfTheFileTableDefersTheUnregisterToTheLastCompletion() throws {
        var read: IOOperation<IO.OnFixedFile<IO.Read>>
        do {
            let files = try RegisteredFiles([r], on: executor)
            read = IO.read(try files.file(0), into: IOBuffer(capacity: 8))
            XCTAssertFalse(pollOnce(&read, on: executor))
        }
        XCTAssertEqual(executor.driver.registeredFiles, RegistrationStatus(count: 1, operationsInFlight: 1, isReleased: true))
        try executor.driver.turn(waitNanos: 0)
        XCTAssertNotNil(executor.driver.registeredFiles)
        put(w, "file")
        XCTAssertEqual(try drive(&read, on: executor).buffer.string, "file")
        XCTAssertNil(executor.driver.registeredFiles, "unregistered at the read's completion")
    }

    /// A fixed read dropped while in flight gives its lease back, but its buffer is lent out again
    /// only after the read's completion.
    func testABufferWhoseReadWasDroppedInFlightComesBackWithTheCompletion() throws {
        executor.diagnosticHandler = { _ in }  // the orphan is on purpose
        let buffers = try RegisteredBuffers(count: 1, size: 64, on: executor)
        do {
            var read = IO.readFixed(r, into: try buffers.take(0))
            XCTAssertFalse(pollOnce(&read, on: executor))
        }
        XCTAssertEqual(executor.driver.orphanCount, 1)
        do {
            _ = try buffers.take(0)
            XCTFail("the kernel may still write into buffer 0")
        } catch {
            XCTAssertEqual(error.errno, EBUSY)
            XCTAssertTrue(error.description.contains("an operation in flight still uses buffer 0"), error.description)
        }
        XCTAssertNil(buffers.takeAny()?.index)
        while executor.driver.orphanCount > 0 { try executor.driver.turn(waitNanos: 2_000_000_000) }
        XCTAssertEqual(try buffers.take(0).index, 0)
        XCTAssertEqual(buffers.operationsInFlight, 0)
    }

    func testAFixedFileOfAReleasedTableIsRefused() throws {
        var files = try RegisteredFiles([r, w], on: executor)
        let file = try files.file(1)
        try driveDrop(&files, on: executor)
        XCTAssertFalse(file.isRegistered)
        var write = IO.write(file, IOBuffer(string: "stale"))
        XCTAssertEqual(errnoOf(try drive(&write, on: executor).result), EBADF)
    }

    func testABufferOfAReleasedSetIsRefused() throws {
        var buffers = try RegisteredBuffers(count: 1, size: 64, on: executor)
        let lease = try buffers.take(0)
        try driveDrop(&buffers, on: executor)
        XCTAssertNil(executor.driver.registeredBuffers)
        var read = IO.readFixed(r, into: lease)
        let got = try drive(&read, on: executor)
        XCTAssertEqual(errnoOf(got.result), EBADF)
        XCTAssertEqual(got.buffer.index, 0)
    }

    func testABufferOfAnotherRingIsRefused() throws {
        let other = try Executor(entries: 8)
        let buffers = try RegisteredBuffers(count: 1, size: 64, on: other)
        var read = IO.readFixed(r, into: try buffers.take(0))
        let got = try drive(&read, on: executor)
        XCTAssertEqual(errnoOf(got.result), EXDEV)
        XCTAssertTrue("\(got.result)".contains("another executor's ring"))
    }

    func testAReadIntoAFullBufferIsRefused() throws {
        let buffers = try RegisteredBuffers(count: 1, size: 4, on: executor)
        var lease = try buffers.take(0)
        lease.append(contentsOf: Array("full".utf8))
        var read = IO.readFixed(r, into: lease)
        XCTAssertEqual(errnoOf(try drive(&read, on: executor).result), ENOBUFS)
    }

    func testOneTableAndOneSetPerRing() throws {
        let files = try RegisteredFiles([r], on: executor)
        do {
            _ = try RegisteredFiles([w], on: executor)
            XCTFail("the ring has a table")
        } catch {
            XCTAssertEqual(error.errno, EBUSY)
        }
        XCTAssertEqual(files.count, 1)
    }
}
