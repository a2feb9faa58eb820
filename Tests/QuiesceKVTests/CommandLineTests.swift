import XCTest
import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built QuiesceKV executable with `arguments`; its exit status and what it wrote to stderr.
private func runQuiesceKV(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
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

/// The QuiesceKV executable refuses a corrupt AOF with exit status 1 and the reason.
final class CommandLineTests: XCTestCase {
    func testCorruptAOFExits1WithTheReason() throws {
        let path = temporaryAOFPath()
        defer { unlink(path) }
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("*1\r\n$x\r\n".utf8)))
        let (status, stderr) = try runQuiesceKV(["--port", "0", "--aof", path])
        XCTAssertEqual(status, 1)
        XCTAssertTrue(stderr.contains("is corrupt"), stderr)
    }
}

/// A bad command line and the complaint QuiesceKV must print about it.
struct BadFlags: Sendable, CustomTestStringConvertible {
    var arguments: [String]
    var message: String
    var testDescription: String { arguments.joined(separator: " ") }
}

/// The QuiesceKV executable's flags: bad ones print the usage and exit 2.
struct CommandLineFlagTests {
    static let bad: [BadFlags] = [
        BadFlags(arguments: ["--port", "99999"], message: "--port takes a number"),
        BadFlags(arguments: ["--port"], message: "--port needs a value"),
        BadFlags(arguments: ["--bind", "localhost"], message: "--bind takes a numeric"),
        BadFlags(arguments: ["--max-clients", "0"], message: "--max-clients takes a positive number"),
        BadFlags(arguments: ["--idle-timeout", "-1"], message: "--idle-timeout takes seconds"),
        BadFlags(arguments: ["--idle-timeout", "1e300"], message: "--idle-timeout takes seconds"),
        BadFlags(arguments: ["--idle-timeout", "nan"], message: "--idle-timeout takes seconds"),
        BadFlags(arguments: ["--appendfsync", "sometimes"], message: "--appendfsync takes always, everysec or no"),
        BadFlags(arguments: ["--verbose"], message: "unknown flag --verbose"),
    ]

    @Test(arguments: bad)
    func badFlagsPrintUsageAndExit2(_ flags: BadFlags) throws {
        let (status, stderr) = try runQuiesceKV(flags.arguments)
        #expect(status == 2)
        #expect(stderr.contains(flags.message), "\(stderr)")
        #expect(stderr.contains("usage: QuiesceKV"), "\(stderr)")
    }
}
