import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import QuiesceKVCore

/// An AOF whose well-formed records (`good`) are followed by bytes that no record starts with.
struct CorruptAOF: Sendable, CustomTestStringConvertible {
    var name: String
    var good: [UInt8]
    var tail: [UInt8]
    var bytes: [UInt8] { good + tail }
    var testDescription: String { name }

    init(_ name: String, good: [UInt8] = CorruptAOF.records, _ tail: String, then more: [UInt8] = []) {
        self.name = name
        self.good = good
        self.tail = Array(tail.utf8) + more
    }

    /// `SET a 1`, `INCR n`.
    static let records = encodeCommands([["SET", "a", "1"], ["INCR", "n"]])
    /// `SET c 3`, a record after the corruption.
    static let more = encodeCommands([["SET", "c", "3"]])
}

/// Anything that is not the start of a RESP record refuses the start, names the offset of the
/// record it breaks, and leaves the file as it was: an inline command appended (with or without
/// its newline), garbage between records, an empty record, and a tail that no record starts with.
struct CorruptAOFTests {
    static let files: [CorruptAOF] = [
        CorruptAOF("inline line appended", "SET injected 1\r\n"),
        CorruptAOF("inline line without its newline", "SET injected 1"),
        CorruptAOF("garbage in the middle", "\u{0}\u{1}\u{2}junk\r\n", then: CorruptAOF.more),
        CorruptAOF("an empty line in the middle", "\r\n", then: CorruptAOF.more),
        CorruptAOF("an empty record", "*0\r\n", then: CorruptAOF.more),
        CorruptAOF("a negative count", "*-1\r\n", then: CorruptAOF.more),
        CorruptAOF("a bulk length that is no number", "*3\r\n$3\r\nSET\r\n$1x"),
        CorruptAOF("a count that is no number", "*a"),
        CorruptAOF("a count that is no number, records after it", good: encodeCommands([["PING"]]),
                   "*x\r\n", then: encodeCommands([["PING"]])),
        CorruptAOF("a bulk not ended by CRLF", "*2\r\n$4\r\nINCR\r\n$1\r\nnX"),
    ]

    @Test(arguments: files)
    func aCorruptAOFRefusesToStartAndIsLeftUnchanged(_ file: CorruptAOF) throws {
        let path = temporaryAOFPath()
        defer { unlink(path) }
        let bytes = file.bytes
        try #require(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let engine = KVEngine()
        let error = #expect(throws: (any Error).self) { try AOFReplay.replay(path: path, into: engine) }
        #expect("\(error.map { "\($0)" } ?? "no error")".contains("corrupt at byte \(file.good.count)"),
                "\(String(describing: error))")
        #expect(engine.store.get(Array("injected".utf8)) == nil)
        #expect(FileManager.default.contents(atPath: path).map { [UInt8]($0) } == bytes, "the replay changed the file")
        #expect(throws: (any Error).self) {
            _ = try KVServer(config: { var c = ServerConfig(); c.port = 0; c.aofPath = path; return c }())
        }
        #expect(FileManager.default.contents(atPath: path).map { [UInt8]($0) } == bytes, "the server changed the file")
    }
}
