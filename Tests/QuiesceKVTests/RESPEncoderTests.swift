import XCTest
@testable import QuiesceKVCore

final class RESPEncoderTests: XCTestCase {
    private func encoded(_ body: (inout [UInt8]) -> Void) -> String {
        var out: [UInt8] = []
        body(&out)
        return String(decoding: out, as: UTF8.self)
    }

    func testScalars() {
        XCTAssertEqual(encoded { RESPEncoder.simple("OK", into: &$0) }, "+OK\r\n")
        XCTAssertEqual(encoded { RESPEncoder.error("ERR bad\r\nthing", into: &$0) }, "-ERR bad  thing\r\n")
        XCTAssertEqual(encoded { RESPEncoder.integer(0, into: &$0) }, ":0\r\n")
        XCTAssertEqual(encoded { RESPEncoder.integer(-42, into: &$0) }, ":-42\r\n")
        XCTAssertEqual(encoded { RESPEncoder.integer(Int.max, into: &$0) }, ":9223372036854775807\r\n")
        XCTAssertEqual(encoded { RESPEncoder.integer(Int.min, into: &$0) }, ":-9223372036854775808\r\n")
        XCTAssertEqual(encoded { RESPEncoder.null(into: &$0) }, "$-1\r\n")
    }

    func testBulkAndArrays() {
        XCTAssertEqual(encoded { RESPEncoder.bulk(Array("a\r\nb".utf8), into: &$0) }, "$4\r\na\r\nb\r\n")
        XCTAssertEqual(encoded { RESPEncoder.bulk([], into: &$0) }, "$0\r\n\r\n")
        XCTAssertEqual(encoded { RESPEncoder.command([Array("GET".utf8), Array("k".utf8)], into: &$0) },
                       "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
    }

    func testEncodedCommandParsesBack() {
        let original: [[UInt8]] = [Array("SET".utf8), [0, 13, 10, 255], []]
        var out: [UInt8] = []
        RESPEncoder.command(original, into: &out)
        var parser = RESPParser()
        parser.feed(out)
        XCTAssertEqual(parser.next(), .command(original))
    }
}
