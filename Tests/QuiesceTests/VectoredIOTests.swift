import XCTest
import Glibc
@testable import Quiesce
import QuiesceSimulation

/// A list of buffers with these capacities, each holding the given bytes already.
private func list(_ buffers: [(capacity: Int, holding: String)]) -> IOBufferList {
    var list = IOBufferList()
    for (capacity, holding) in buffers {
        var buffer = IOBuffer(capacity: capacity)
        buffer.append(contentsOf: Array(holding.utf8))
        list.append(buffer)
    }
    return list
}

/// The valid bytes of each buffer of `list`, as strings.
private func strings(_ list: borrowing IOBufferList) -> [String] { (0..<list.count).map { list[$0].string } }

/// readv and writev on the real ring: a vectored operation owns several buffers, which stay alive
/// and unmoved until its completion, also when it is dropped synchronously.
final class VectoredIOTests: RingPipeTestCase {
    override func tearDownWithError() throws {
        assertQuiescent(executor)
        try super.tearDownWithError()
    }

    func testReadvFillsEachBufferBeforeTheNext() throws {
        put(w, "abcdefghij")
        var readv = IO.readv(r, into: list([(3, "x"), (4, ""), (8, "")]))
        let got = try drive(&readv, on: executor)
        XCTAssertEqual(value(got.result), 10)
        XCTAssertEqual(strings(got.buffers), ["xab", "cdef", "ghij"], "bytes appended behind the valid ones, in order")
        XCTAssertEqual(got.buffers.byteCount, 11)
    }

    func testWritevGathersTheBuffersInOrderAndHandsThemBack() throws {
        var writev = IO.writev(w, list([(2, "he"), (0, ""), (3, "llo"), (6, " world")]))
        let written = try drive(&writev, on: executor)
        XCTAssertEqual(value(written.result), 11)
        XCTAssertEqual(strings(written.buffers), ["he", "", "llo", " world"], "the buffers come back intact")
        var bytes = [UInt8](repeating: 0, count: 32)
        XCTAssertEqual(Glibc.read(r, &bytes, 32), 11)
        XCTAssertEqual(String(decoding: bytes.prefix(11), as: UTF8.self), "hello world")
    }

    func testFileVectorsAtOffsets() throws {
        let path = "/tmp/quiesce-vectored-\(getpid())"
        defer { unlink(path) }
        let file = try executor.blockOn(File.open(path, flags: O_RDWR | O_CREAT | O_TRUNC)).get()
        let written = try executor.blockOn(file.writev(at: 4, list([(3, "abc"), (3, "def")])))
        XCTAssertEqual(value(written.result), 6)
        let read = try executor.blockOn(file.readv(at: 0, into: list([(5, ""), (5, "")])))
        XCTAssertEqual(value(read.result), 10)
        XCTAssertEqual(read.buffers[0].bytes, [0, 0, 0, 0, UInt8(ascii: "a")])
        XCTAssertEqual(read.buffers[1].string, "bcdef")
        try executor.blockOn(asyncDrop(file))
    }

    func testABadDescriptorIsAReadableEBADF() throws {
        var readv = IO.readv(987_654, into: list([(8, "")]))
        let got = try drive(&readv, on: executor)
        XCTAssertEqual(got.result.failureValue?.errno, EBADF)
        XCTAssertEqual(got.result.failureValue?.description, "readv: EBADF (Bad file descriptor)")
        XCTAssertEqual(got.buffers.count, 1, "the buffers come back with the error")
        var writev = IO.writev(987_654, list([(1, "x")]))
        XCTAssertEqual(try drive(&writev, on: executor).result.failureValue?.errno, EBADF)
    }

    func testMoreBuffersThanTheKernelTakesAreRefusedWithEINVAL() throws {
        put(w, "untouched")
        var many = IOBufferList()
        for _ in 0...IOBufferList.maxVectoredCount { many.append(IOBuffer(capacity: 1)) }
        var readv = IO.readv(r, into: many)
        let got = try drive(&readv, on: executor)
        XCTAssertEqual(got.result.failureValue?.errno, EINVAL)
        XCTAssertEqual(got.result.failureValue?.remedy, "a vectored operation takes at most 1024 buffers; this list has 1025")
        XCTAssertEqual(got.buffers.count, 1025)
        XCTAssertEqual(got.buffers.byteCount, 0, "nothing was read")
        var rest = [UInt8](repeating: 0, count: 16)
        XCTAssertEqual(Glibc.read(r, &rest, 16), 9, "the pipe still holds every byte")

        var writev = IO.writev(w, got.buffers)
        XCTAssertEqual(try drive(&writev, on: executor).result.failureValue?.errno, EINVAL)
    }

    func testAReadvWithNoRoomIsRefusedWithENOBUFS() throws {
        put(w, "x")
        var full = IO.readv(r, into: list([(1, "a"), (0, "")]))
        XCTAssertEqual(try drive(&full, on: executor).result.failureValue?.errno, ENOBUFS,
                       "a 0-byte read would look like end of file")
        var empty = IO.readv(r, into: IOBufferList())
        XCTAssertEqual(try drive(&empty, on: executor).result.failureValue?.errno, ENOBUFS)
    }

    func testAReadvInFlightIsCancelledByItsAsyncDropAndAwaited() throws {
        var readv = IO.readv(r, into: list([(4, ""), (4, "")]))
        XCTAssertFalse(pollOnce(&readv, on: executor))
        try executor.driver.turn(waitNanos: 0)
        XCTAssertTrue(readv.isInFlight)
        try driveDrop(&readv, on: executor)
        XCTAssertTrue(executor.driver.isQuiescent, "the drop is done only when the kernel is")
        XCTAssertFalse(readv.isInFlight)
    }

    func testACancelledReadvHandsItsBuffersBack() throws {
        var readv = IO.readv(r, into: list([(4, "a"), (4, "")]))
        XCTAssertFalse(pollOnce(&readv, on: executor))
        try executor.driver.turn(waitNanos: 0)
        let outcome = try driveCancel(&readv, on: executor)
        XCTAssertEqual(outcome.result.failureValue?.errno, ECANCELED)
        XCTAssertEqual(strings(outcome.buffers), ["a", ""])
    }

    func testASynchronouslyDroppedReadvKeepsItsBuffersUntilTheKernelIsDone() throws {
        let watch = SimBackend(seed: 0)  // only its buffer watch: the ring here is the real one
        watch.watchBuffers()
        defer { watch.stopWatchingBuffers() }
        var readv = IO.readv(r, into: list([(4, ""), (4, ""), (4, "")]))
        weak let lent = readv.kind.buffers
        XCTAssertFalse(pollOnce(&readv, on: executor))
        try executor.driver.turn(waitNanos: 0)
        XCTAssertTrue(readv.isInFlight)
        executor.diagnosticHandler = { _ in }  // the orphan is reported in debug builds: expected here
        _ = consume readv  // synchronous drop: the kernel still holds the readv
        XCTAssertNotNil(lent, "the slot keeps the buffers and their vectors")
        #if DEBUG
        XCTAssertEqual(watch.liveBufferCount, 3, "no buffer is freed while the kernel may write into it")
        #endif
        XCTAssertEqual(executor.driver.orphanCount, 1)
        put(w, "into the orphan")  // the kernel may write into the buffers now: they must exist
        while !executor.driver.isQuiescent { try executor.driver.turn(waitNanos: 1_000_000_000) }
        XCTAssertNil(lent, "released with the slot once the kernel was done")
        XCTAssertEqual(watch.liveBufferCount, 0)
        XCTAssertEqual(executor.driver.orphanCount, 0)
    }

    func testAListIsReusedAcrossOperations() throws {
        var buffers = list([(4, ""), (4, "")])
        for round in 0..<3 {
            put(w, "r\(round)xyzw")
            var readv = IO.readv(r, into: buffers)
            let got = try drive(&readv, on: executor)
            XCTAssertEqual(value(got.result), 6)
            buffers = got.buffers
            XCTAssertEqual(buffers.bytes, Array("r\(round)xyzw".utf8))
            buffers[0].clear()
            buffers[1].clear()
        }
    }

    func testWritevOnASocket() throws {
        let (a, b) = try Sockets.socketPair()
        defer { close(b) }
        let socket = Socket(adopting: a)
        let sent = try executor.blockOn(socket.writev(list([(4, "GET "), (2, "/\n")])))
        XCTAssertEqual(value(sent.result), 6)
        var bytes = [UInt8](repeating: 0, count: 8)
        XCTAssertEqual(Glibc.read(b, &bytes, 8), 6)
        put(b, "pong")
        let got = try executor.blockOn(socket.readv(into: list([(2, ""), (2, "")])))
        XCTAssertEqual(strings(got.buffers), ["po", "ng"])
        try executor.blockOn(asyncDrop(socket))
    }
}
