import XCTest
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The QuiesceKV executable's flags: bad ones print the usage and exit 2.
final class CommandLineTests: XCTestCase {
    private func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = ServerProcess.binary
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    func testBadFlagsPrintUsageAndExit2() throws {
        let cases: [([String], String)] = [
            (["--port", "99999"], "--port takes a number"),
            (["--port"], "--port needs a value"),
            (["--bind", "localhost"], "--bind takes a numeric"),
            (["--max-clients", "0"], "--max-clients takes a positive number"),
            (["--idle-timeout", "-1"], "--idle-timeout takes seconds"),
            (["--idle-timeout", "1e300"], "--idle-timeout takes seconds"),
            (["--idle-timeout", "nan"], "--idle-timeout takes seconds"),
            (["--appendfsync", "sometimes"], "--appendfsync takes always, everysec or no"),
            (["--verbose"], "unknown flag --verbose"),
        ]
        for (arguments, message) in cases {
            let (status, stderr) = try run(arguments)
            XCTAssertEqual(status, 2, "\(arguments)")
            XCTAssertTrue(stderr.contains(message), "\(arguments): \(stderr)")
            XCTAssertTrue(stderr.contains("usage: QuiesceKV"), "\(arguments)")
        }
    }

    func testCorruptAOFExits1WithTheReason() throws {
        let path = temporaryAOFPath()
        defer { unlink(path) }
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("*1\r\n$x\r\n".utf8)))
        let (status, stderr) = try run(["--port", "0", "--aof", path])
        XCTAssertEqual(status, 1)
        XCTAssertTrue(stderr.contains("is corrupt"), stderr)
    }
}
