import Glibc
import QuiesceSimulation
import XCTest
@testable import Quiesce

/// Registered files and fixed buffers on the simulated kernel: fixed reads and writes work on the
/// registered memory as plain ones, entries on the file table name its descriptors.
final class RegisteredSimTests: XCTestCase {
    func testFixedReadAndWriteThroughTheRegisteredFileTable() throws {
        let sim = SimBackend(seed: 17, faults: SimFaults.none)
        let executor = Executor(backend: sim)
        let (r, w) = sim.makePipe()
        let files = try RegisteredFiles([r, w], on: executor)
        let buffers = try RegisteredBuffers(count: 2, size: 32, on: executor)
        var out = try buffers.take(0)
        out.append(contentsOf: Array("simulated".utf8))
        var write = IO.writeFixed(try files.file(1), out)
        XCTAssertEqual(value(try drive(&write, on: executor).result), 9)
        var read = IO.readFixed(r, into: try buffers.take(1))
        XCTAssertEqual(try drive(&read, on: executor).buffer.string, "simulated")
        var plain = IO.read(try files.file(0), into: IOBuffer(capacity: 4))
        XCTAssertFalse(pollOnce(&plain, on: executor))
        try executor.driver.turn(waitNanos: 0)
        XCTAssertEqual(executor.driver.registeredFiles?.operationsInFlight, 1)
        sim.inject(Array("more".utf8), into: r)
        XCTAssertEqual(try drive(&plain, on: executor).buffer.string, "more")
        XCTAssertEqual(sim.violations, [])
    }

    func testTheSimulatedKernelRefusesASecondTableAndAnIndexOutsideIt() throws {
        let sim = SimBackend(seed: 18, faults: SimFaults.none)
        let executor = Executor(backend: sim)
        let (r, w) = sim.makePipe()
        var files = try RegisteredFiles([w], on: executor)
        XCTAssertThrowsError(try sim.registerFiles([r]))
        var write = IO.write(FixedFile(index: 5, registration: files.registration), IOBuffer(string: "x"))
        XCTAssertEqual(errnoOf(try drive(&write, on: executor).result), EBADF)
        try driveDrop(&files, on: executor)
        XCTAssertNil(executor.driver.registeredFiles)
        XCTAssertNoThrow(try sim.registerFiles([r]), "the table was unregistered")
    }
}
