import XCTest
import Glibc
@testable import Quiesce
@testable import QuiesceSimulation

/// statx, unlinkat, renameat and mkdirat on the simulated driver's file table, directories included.
final class PathSimTests: XCTestCase {
    func testTheFileTableAnswersAsAKernelWould() throws {
        var scenario = Scenario(seed: 3)
        let sim = scenario.sim
        let executor = scenario.executor!
        sim.makeFile("/data/log", contents: Array("twelve bytes".utf8))

        let file = try executor.blockOn(IO.statx("/data/log")).get()
        XCTAssertEqual(file.size, 12)
        XCTAssertTrue(file.isRegularFile)
        XCTAssertEqual(try executor.blockOn(IO.statx("/nowhere")).errorValue?.description,
                       "statx /nowhere: ENOENT (No such file or directory)")

        XCTAssertNoThrow(try executor.blockOn(IO.mkdir("/data/archive")).get())
        XCTAssertTrue(sim.isDirectory("/data/archive"))
        XCTAssertTrue(try executor.blockOn(IO.statx("/data/archive")).get().isDirectory)
        XCTAssertEqual(try executor.blockOn(IO.mkdir("/data/archive")).errorValue?.errno, EEXIST)
        XCTAssertEqual(try executor.blockOn(IO.mkdir("/data/log/sub")).errorValue?.errno, ENOTDIR)

        XCTAssertNoThrow(try executor.blockOn(IO.rename("/data/log", to: "/data/archive/log.1")).get())
        XCTAssertNil(sim.fileContents("/data/log"))
        XCTAssertEqual(sim.fileContents("/data/archive/log.1"), Array("twelve bytes".utf8))
        sim.makeFile("/data/log")
        XCTAssertEqual(try executor.blockOn(IO.rename("/data/log", to: "/data/archive/log.1", replacing: false)).errorValue?.errno, EEXIST)
        XCTAssertEqual(try executor.blockOn(IO.rename("/gone", to: "/data/x")).errorValue?.errno, ENOENT)

        XCTAssertEqual(try executor.blockOn(IO.unlink("/data/archive")).errorValue?.errno, EISDIR)
        XCTAssertEqual(try executor.blockOn(IO.unlink("/data/archive", removingDirectory: true)).errorValue?.errno, ENOTEMPTY)
        XCTAssertEqual(try executor.blockOn(IO.unlink("/data/log", removingDirectory: true)).errorValue?.errno, ENOTDIR)
        XCTAssertNoThrow(try executor.blockOn(IO.rename("/data/archive", to: "/old")).get(), "a directory moves with its entries")
        XCTAssertEqual(sim.fileContents("/old/log.1"), Array("twelve bytes".utf8))
        XCTAssertNoThrow(try executor.blockOn(IO.unlink("/old/log.1")).get())
        XCTAssertNoThrow(try executor.blockOn(IO.unlink("/old", removingDirectory: true)).get())
        XCTAssertFalse(sim.isDirectory("/old"))
        XCTAssertEqual(try executor.blockOn(IO.unlink("/old/log.1")).errorValue?.errno, ENOENT)
        XCTAssertEqual(scenario.finish(), [])
    }

    func testTheStatusOfAnOpenSimulatedFile() throws {
        var scenario = Scenario(seed: 4)
        scenario.sim.makeFile("/f", contents: [1, 2, 3])
        let executor = scenario.executor!
        let file = try executor.blockOn(File.open("/f", flags: O_RDONLY)).get()
        XCTAssertEqual(try executor.blockOn(file.status()).get().size, 3)
        try executor.blockOn(asyncDrop(file))
        let (r, _) = scenario.sim.makePipe()
        XCTAssertFalse(try executor.blockOn(IO.statx(r)).get().isRegularFile, "a pipe")
        XCTAssertEqual(scenario.finish(), [])
    }

    func testVectoredTransfersOnASimulatedFile() throws {
        var scenario = Scenario(seed: 6)
        scenario.sim.makeFile("/v")
        let executor = scenario.executor!
        let file = try executor.blockOn(File.open("/v", flags: O_RDWR)).get()
        do {
            var parts = IOBufferList()
            parts.append(IOBuffer(string: "abc"))
            parts.append(IOBuffer(string: "de"))
            let written = try executor.blockOn(file.writev(at: 2, parts))
            XCTAssertEqual(try written.result.get(), 5)
            XCTAssertEqual(scenario.sim.fileContents("/v"), [0, 0] + Array("abcde".utf8))
            var room = IOBufferList()
            room.append(IOBuffer(capacity: 4))
            room.append(IOBuffer(capacity: 4))
            let read = try executor.blockOn(file.readv(at: 1, into: room))
            XCTAssertEqual(try read.result.get(), 6)
            XCTAssertEqual(read.buffers[0].bytes, [0] + Array("abc".utf8))
            XCTAssertEqual(read.buffers[1].string, "de")
        }
        try executor.blockOn(asyncDrop(file))
        XCTAssertEqual(scenario.finish(), [])
    }
}

private extension Result {
    /// The error of a failure, `nil` on success.
    var errorValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
