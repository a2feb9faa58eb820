import CQuiesceUring
import XCTest
import Glibc
@testable import Quiesce
@testable import QuiesceSimulation

/// The simulated kernel's checks on the program (the seed sweep relies on them) and the semantics
/// they need: memory lent to two operations at once, registered resources unregistered under an
/// operation, a fixed transfer on a buffer that is not registered, plain transfers on a file.
final class SimKernelChecksTests: XCTestCase {
    /// Prepares `entry` as the driver does and hands it to the kernel.
    private func submit(_ sim: SimBackend, _ userData: UInt64, _ prepare: (inout SubmissionEntry) -> Void) throws {
        var entry = SubmissionEntry()
        prepare(&entry)
        XCTAssertTrue(sim.prepare(&entry, userData: userData))
        try sim.submit(waitNanos: 0)
    }

    private func results(_ sim: SimBackend) -> [UInt64: Int32] {
        var results: [UInt64: Int32] = [:]
        _ = sim.reap { userData, result, _ in results[userData] = result }
        return results
    }

    func testMemoryTheKernelWritesIsNeverLentToTwoOperationsAtOnce() throws {
        let sim = SimBackend(seed: 1, faults: SimFaults.none)
        let (r, w) = sim.makePipe()
        let memory = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
        defer { memory.deallocate() }
        // Two writes from the same bytes only read them: allowed.
        try submit(sim, 1) { cqu_prep_write(&$0, w, memory, 8, .max) }
        try submit(sim, 2) { cqu_prep_write(&$0, w, memory, 8, .max) }
        XCTAssertEqual(sim.violations, [])
        _ = results(sim)
        // A read waiting on the empty pipe holds the memory the kernel will write.
        let (empty, _) = sim.makePipe()
        try submit(sim, 3) { cqu_prep_read(&$0, empty, memory + 16, 16, .max) }
        try submit(sim, 4) { cqu_prep_write(&$0, w, memory + 24, 4, .max) }  // inside the read's buffer
        XCTAssertEqual(sim.violations.count, 1)
        XCTAssertTrue(sim.violations.first?.contains("while read") == true, "\(sim.violations)")
        try submit(sim, 5) { cqu_prep_read(&$0, r, memory + 8, 9, .max) }  // overlaps its first byte
        XCTAssertEqual(sim.violations.count, 2)
        try submit(sim, 6) { cqu_prep_read(&$0, r, memory + 32, 8, .max) }  // just behind it: allowed
        XCTAssertEqual(sim.violations.count, 2, "\(sim.violations)")
    }

    func testUnregisteringUnderAFixedReadOrItsFileIsAViolation() throws {
        let sim = SimBackend(seed: 2, faults: SimFaults.none)
        let (r, _) = sim.makePipe()
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 8)
        defer { memory.deallocate() }
        try sim.registerBuffers(memory, count: 2)
        try sim.registerFiles([r])
        try submit(sim, 1) { cqu_prep_read_fixed(&$0, 0, memory.baseAddress! + 16, 16, .max, 1); $0.flags |= UInt8(1 << IOSQE_FIXED_FILE_BIT) }
        XCTAssertEqual(sim.violations, [])
        // Lent again while the kernel holds it.
        try submit(sim, 2) { cqu_prep_read_fixed(&$0, r, memory.baseAddress! + 16, 16, .max, 1) }
        XCTAssertEqual(sim.violations.filter { $0.contains("registered buffer 1 lent to") }.count, 1, "\(sim.violations)")
        try sim.unregisterBuffers()
        try sim.unregisterFiles()
        XCTAssertEqual(sim.violations.filter { $0.contains("registered buffers unregistered while read_fixed") }.count, 2, "\(sim.violations)")
        XCTAssertEqual(sim.violations.filter { $0.contains("registered files unregistered while read_fixed (registered file)") }.count, 1, "\(sim.violations)")
    }

    func testAFixedTransferOnABufferThatIsNotRegisteredFailsWithEFAULT() throws {
        let sim = SimBackend(seed: 3, faults: SimFaults.none)
        let (_, w) = sim.makePipe()
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 8)
        defer { memory.deallocate() }
        try submit(sim, 1) { cqu_prep_write_fixed(&$0, w, memory.baseAddress!, 8, .max, 0) }
        try sim.registerBuffers(memory, count: 2)
        try submit(sim, 2) { cqu_prep_write_fixed(&$0, w, memory.baseAddress!, 8, .max, 2) }  // beyond the set
        try submit(sim, 3) { cqu_prep_write_fixed(&$0, w, memory.baseAddress! + 8, 8, .max, 1) }
        XCTAssertEqual(results(sim), [1: -EFAULT, 2: -EFAULT, 3: 8])
        XCTAssertEqual(sim.drain(w).count, 8, "only the registered buffer was written")
    }

    func testTheKernelCountsTheOperationsItCancelsByName() throws {
        let sim = SimBackend(seed: 4, faults: SimFaults.none)
        let (r, _) = sim.makePipe()
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 8)
        defer { memory.deallocate() }
        try sim.registerBuffers(memory, count: 1)
        try submit(sim, 1) { cqu_prep_read(&$0, r, memory.baseAddress!, 8, .max) }
        try submit(sim, 2) { cqu_prep_read_fixed(&$0, r, memory.baseAddress! + 8, 8, .max, 0) }
        try submit(sim, 1 | 1 << 63) { cqu_prep_cancel64(&$0, 1, 0) }
        try submit(sim, 2 | 1 << 63) { cqu_prep_cancel64(&$0, 2, 0) }
        let expected: [UInt64: Int32] = [1: -ECANCELED, 2: -ECANCELED, 1 | 1 << 63: 0, 2 | 1 << 63: 0]
        XCTAssertEqual(results(sim), expected)
        XCTAssertEqual(sim.statistics.cancelledByName, ["read": 1, "read_fixed": 1])
    }

    func testPlainReadsAndWritesOnASimulatedFileComplete() throws {
        let sim = SimBackend(seed: 5, faults: SimFaults.none)
        sim.makeFile("/sim/f", contents: Array("contents".utf8))
        let executor = Executor(backend: sim)
        let fd = try executor.blockOn(IO.open("/sim/f", flags: O_RDWR)).get()
        let read = try executor.blockOn(IO.read(fd, into: IOBuffer(capacity: 4), offset: 2))
        XCTAssertEqual(read.buffer.string, "nten")
        XCTAssertEqual(try executor.blockOn(IO.write(fd, IOBuffer(string: "C"), offset: 0)).result.get(), 1)
        XCTAssertEqual(sim.fileContents("/sim/f").map { String(decoding: $0, as: UTF8.self) }, "Contents")
        _ = try executor.blockOn(IO.close(fd))
        executor.shutdown()
    }
}
