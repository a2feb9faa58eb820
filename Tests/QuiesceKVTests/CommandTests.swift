import XCTest
import Quiesce
@testable import QuiesceKVCore

/// Commands run against the engine directly, with a clock the test moves.
final class CommandTests: XCTestCase {
    final class Clock: @unchecked Sendable { var now: Int64 = 1_700_000_000_000 }
    var clock = Clock()
    var engine: KVEngine!
    var session: ClientSession!

    override func setUp() {
        clock = Clock()
        let clock = self.clock
        engine = KVEngine(store: KeyValueStore(clock: { clock.now }), settings: [("save", ""), ("appendonly", "no"), ("maxclients", "10")])
        session = engine.newSession(peer: "127.0.0.1:1")
    }

    @discardableResult
    func run(_ words: String...) -> (reply: Reply, effect: CommandEffect) {
        var out: [UInt8] = []
        let effect = engine.execute(words.map { Array($0.utf8) }, session: &session, reply: &out)
        var parser = ReplyParser()
        parser.feed(out)
        let reply = (try? parser.next()).flatMap { $0 }
        XCTAssertNotNil(reply, "no complete reply for \(words)")
        XCTAssertNil(try? parser.next(), "more than one reply for \(words)")
        return (reply ?? .null, effect)
    }

    func testPingEcho() {
        XCTAssertEqual(run("PING").reply, .simple("PONG"))
        XCTAssertEqual(run("ping", "hello").reply, .text("hello"))
        XCTAssertEqual(run("ECHO", "x y").reply, .text("x y"))
        XCTAssertEqual(run("ECHO").reply, .error("ERR wrong number of arguments for 'echo' command"))
    }

    func testSetGetDelExists() {
        XCTAssertEqual(run("GET", "k").reply, .null)
        XCTAssertEqual(run("SET", "k", "v").reply, .simple("OK"))
        XCTAssertEqual(run("get", "k").reply, .text("v"))
        XCTAssertEqual(run("EXISTS", "k", "k", "nope").reply, .integer(2))
        XCTAssertEqual(run("DEL", "k", "nope").reply, .integer(1))
        XCTAssertEqual(run("DEL", "k").reply, .integer(0))
        XCTAssertEqual(run("EXISTS", "k").reply, .integer(0))
    }

    func testSetNXAndXX() {
        XCTAssertEqual(run("SET", "k", "1", "XX").reply, .null)
        XCTAssertEqual(run("SET", "k", "1", "NX").reply, .simple("OK"))
        XCTAssertEqual(run("SET", "k", "2", "NX").reply, .null)
        XCTAssertEqual(run("SET", "k", "3", "XX").reply, .simple("OK"))
        XCTAssertEqual(run("GET", "k").reply, .text("3"))
        XCTAssertEqual(run("SET", "k", "4", "NX", "XX").reply, .error("ERR syntax error"))
        XCTAssertEqual(run("SET", "k", "5", "GET").reply, .text("3"))
        XCTAssertEqual(run("SET", "k", "v", "BOGUS").reply, .error("ERR syntax error"))
    }

    func testExpiryWithEXAndPX() {
        run("SET", "a", "1", "EX", "10")
        run("SET", "b", "1", "PX", "500")
        XCTAssertEqual(run("DBSIZE").reply, .integer(2))
        clock.now += 499
        XCTAssertEqual(run("GET", "b").reply, .text("1"))
        clock.now += 1
        XCTAssertEqual(run("GET", "b").reply, .null)
        XCTAssertEqual(run("EXISTS", "a").reply, .integer(1))
        clock.now += 9_500
        XCTAssertEqual(run("DBSIZE").reply, .integer(0))
        XCTAssertEqual(run("SET", "c", "1", "EX", "0").reply, .error("ERR invalid expire time in 'set' command"))
        XCTAssertEqual(run("SET", "c", "1", "PX", "-5").reply, .error("ERR invalid expire time in 'set' command"))
        XCTAssertEqual(run("SET", "c", "1", "EX", "ten").reply, .error("ERR value is not an integer or out of range"))
        XCTAssertEqual(run("SET", "c", "1", "EX", "1", "PX", "1").reply, .error("ERR syntax error"))
        XCTAssertEqual(run("SET", "c", "1", "EX").reply, .error("ERR syntax error"))
    }

    func testActiveSweepRemovesExpiredKeys() {
        for i in 0..<10 { run("SET", "k\(i)", "v", "PX", "100") }
        run("SET", "keep", "v")
        clock.now += 100
        XCTAssertEqual(engine.store.sweepExpired(now: clock.now, limit: 4), 4)
        XCTAssertEqual(engine.store.sweepExpired(now: clock.now, limit: 100), 6)
        XCTAssertEqual(engine.store.volatileCount, 0)
        XCTAssertEqual(run("DBSIZE").reply, .integer(1))
    }

    func testIncr() {
        XCTAssertEqual(run("INCR", "n").reply, .integer(1))
        XCTAssertEqual(run("INCR", "n").reply, .integer(2))
        run("SET", "s", "abc")
        XCTAssertEqual(run("INCR", "s").reply, .error("ERR value is not an integer or out of range"))
        run("SET", "z", "007")
        XCTAssertEqual(run("INCR", "z").reply, .error("ERR value is not an integer or out of range"))
        run("SET", "m", "9223372036854775807")
        XCTAssertEqual(run("INCR", "m").reply, .error("ERR increment or decrement would overflow"))
        run("SET", "neg", "-1")
        XCTAssertEqual(run("INCR", "neg").reply, .integer(0))
        // INCR keeps the TTL.
        run("SET", "t", "1", "PX", "100")
        XCTAssertEqual(run("INCR", "t").reply, .integer(2))
        clock.now += 100
        XCTAssertEqual(run("GET", "t").reply, .null)
    }

    /// INCR rewrites the stored value where it lies: a value read out before keeps its bytes, an
    /// expired key counts from 0 and loses its TTL, and the digits grow and shrink with the number.
    func testIncrInPlace() {
        run("SET", "k", "99")
        let held = engine.store.get(Array("k".utf8))
        XCTAssertEqual(run("INCR", "k").reply, .integer(100))
        XCTAssertEqual(held, Array("99".utf8))
        XCTAssertEqual(run("GET", "k").reply, .text("100"))
        run("SET", "n", "-10")
        for expected in -9...1 { XCTAssertEqual(run("INCR", "n").reply, .integer(expected)) }
        XCTAssertEqual(run("GET", "n").reply, .text("1"))
        run("SET", "e", "41", "PX", "50")
        clock.now += 50
        XCTAssertEqual(run("INCR", "e").reply, .integer(1))
        XCTAssertNil(engine.store.entry(Array("e".utf8))?.expiresAt)
        XCTAssertEqual(engine.store.volatileCount, 0)
    }

    /// Redis' INCR refuses a value with a `+` sign, spaces, or more than 20 bytes, and takes Int.min.
    func testIncrReadsOnlyStrictIntegers() {
        for bad in ["+5", " 5", "5 ", "-", "-0", "", "12345678901234567890123", "9223372036854775808"] {
            run("SET", "k", bad)
            XCTAssertEqual(run("INCR", "k").reply, .error("ERR value is not an integer or out of range"), "INCR of '\(bad)'")
        }
        run("SET", "k", "-9223372036854775808")
        XCTAssertEqual(run("INCR", "k").reply, .integer(-9223372036854775807))
        run("SET", "k", "0")
        XCTAssertEqual(run("INCR", "k").reply, .integer(1))
    }

    /// Overwriting a key with shorter, longer and much shorter values leaves exactly the new value
    /// (values are overwritten in place when their memory suffices), also when the old value was
    /// handed out by a GET still held.
    func testOverwritesKeepOnlyTheNewValue() {
        let long = String(repeating: "x", count: 1000)
        for value in ["abcdef", "ab", "abcdefghijklmnop", long, "z", "", "tail"] {
            XCTAssertEqual(run("SET", "k", value).reply, .simple("OK"))
            XCTAssertEqual(run("GET", "k").reply, .text(value))
        }
        let held = engine.store.get(Array("k".utf8))
        run("SET", "k", "next")
        XCTAssertEqual(held, Array("tail".utf8))
        XCTAssertEqual(run("GET", "k").reply, .text("next"))
        run("INCR", "n")
        run("SET", "n", "99")
        XCTAssertEqual(run("INCR", "n").reply, .integer(100))
        XCTAssertEqual(run("GET", "n").reply, .text("100"))
        XCTAssertEqual(run("DBSIZE").reply, .integer(2))
    }

    /// Keys are compared by their bytes: prefixes, case and binary bytes make different keys.
    func testKeysDifferByEveryByte() {
        engine.store.set(Array("ab".utf8), Array("1".utf8))
        engine.store.set(Array("abc".utf8), Array("2".utf8))
        engine.store.set(Array("AB".utf8), Array("3".utf8))
        engine.store.set([0, 255], Array("4".utf8))
        engine.store.set([], Array("5".utf8))
        XCTAssertEqual(engine.store.get(Array("ab".utf8)), Array("1".utf8))
        XCTAssertEqual(engine.store.get(Array("abc".utf8)), Array("2".utf8))
        XCTAssertEqual(engine.store.get(Array("AB".utf8)), Array("3".utf8))
        XCTAssertEqual(engine.store.get([0, 255]), Array("4".utf8))
        XCTAssertEqual(engine.store.get([]), Array("5".utf8))
        XCTAssertNil(engine.store.get([0]))
        XCTAssertEqual(run("DBSIZE").reply, .integer(5))
    }

    /// Command names match in any case, and a name that only shares a prefix or is too long is
    /// unknown.
    func testCommandNamesMatchInAnyCaseOnly() {
        XCTAssertEqual(run("pInG").reply, .simple("PONG"))
        XCTAssertEqual(run("FlushAll").reply, .simple("OK"))
        XCTAssertEqual(run("PIN").reply, .error("ERR unknown command 'PIN', with args beginning with: "))
        XCTAssertEqual(run("PINGS").reply, .error("ERR unknown command 'PINGS', with args beginning with: "))
        XCTAssertEqual(run("FLUSHALLX").reply, .error("ERR unknown command 'FLUSHALLX', with args beginning with: "))
        XCTAssertEqual(run("P\u{0}NG").reply, .error("ERR unknown command 'P?NG', with args beginning with: "))
    }

    func testFlushallAndDbsize() {
        run("SET", "a", "1")
        run("SET", "b", "1")
        XCTAssertEqual(run("DBSIZE").reply, .integer(2))
        XCTAssertEqual(run("FLUSHALL").reply, .simple("OK"))
        XCTAssertEqual(run("DBSIZE").reply, .integer(0))
        XCTAssertEqual(run("FLUSHALL", "nonsense").reply, .error("ERR syntax error"))
    }

    func testQuitClosesAfterItsReply() {
        let (reply, effect) = run("QUIT")
        XCTAssertEqual(reply, .simple("OK"))
        XCTAssertEqual(effect, .close)
    }

    func testUnknownCommandAndArity() {
        XCTAssertEqual(run("NOPE", "a", "b").reply, .error("ERR unknown command 'NOPE', with args beginning with: 'a' 'b' "))
        XCTAssertEqual(run("GET").reply, .error("ERR wrong number of arguments for 'get' command"))
        XCTAssertEqual(run("SET", "k").reply, .error("ERR wrong number of arguments for 'set' command"))
    }

    func testCommandIntrospection() {
        guard case .array(let all) = run("COMMAND").reply else { return XCTFail("COMMAND is not an array") }
        XCTAssertEqual(all.count, CommandTable.commands.count)
        XCTAssertEqual(run("COMMAND", "COUNT").reply, .integer(CommandTable.commands.count))
        XCTAssertEqual(run("COMMAND", "DOCS").reply, .array([]))
        guard case .array(let info) = run("COMMAND", "INFO", "get").reply, case .array(let get) = info.first else {
            return XCTFail("COMMAND INFO get")
        }
        XCTAssertEqual(get[0], .text("get"))
        XCTAssertEqual(get[1], .integer(2))
    }

    func testConfigGet() {
        XCTAssertEqual(run("CONFIG", "GET", "save").reply, .array([.text("save"), .text("")]))
        XCTAssertEqual(run("CONFIG", "GET", "max*").reply, .array([.text("maxclients"), .text("10")]))
        XCTAssertEqual(run("CONFIG", "GET", "nothing").reply, .array([]))
        guard case .error = run("CONFIG", "SET", "save", "").reply else { return XCTFail("CONFIG SET accepted") }
    }

    func testClientCommands() {
        XCTAssertEqual(run("CLIENT", "ID").reply, .integer(Int(session.id)))
        XCTAssertEqual(run("CLIENT", "GETNAME").reply, .null)
        XCTAssertEqual(run("CLIENT", "SETNAME", "worker-1").reply, .simple("OK"))
        XCTAssertEqual(run("CLIENT", "GETNAME").reply, .text("worker-1"))
        guard case .error = run("CLIENT", "SETNAME", "has space").reply else { return XCTFail("space accepted") }
        guard case .bulk(let info) = run("CLIENT", "INFO").reply else { return XCTFail("CLIENT INFO") }
        XCTAssertTrue(String(decoding: info, as: UTF8.self).contains("id=\(session.id) addr=127.0.0.1:1"))
        XCTAssertTrue(String(decoding: info, as: UTF8.self).contains("name=worker-1"))
        XCTAssertEqual(engine.newSession().id, session.id + 1)
    }

    func testWritesAreLoggedAsIdempotentRecords() {
        let aof = AppendOnlyFile(fd: -1, policy: .always)
        engine.aof = aof
        XCTAssertEqual(run("SET", "k", "v").effect, .logged(seq: 1))
        XCTAssertEqual(run("SET", "e", "v", "PX", "1000").effect, .logged(seq: 2))
        XCTAssertEqual(run("INCR", "n").effect, .logged(seq: 3))
        XCTAssertEqual(run("DEL", "k", "missing").effect, .logged(seq: 4))
        XCTAssertEqual(run("DEL", "missing").effect, .none)
        XCTAssertEqual(run("SET", "e", "w", "NX").effect, .none)
        XCTAssertEqual(run("GET", "e").effect, .none)
        XCTAssertEqual(run("FLUSHALL").effect, .logged(seq: 5))
        var parser = RESPParser()
        parser.feed(aof.pending)
        var records: [String] = []
        while case .command(let args) = parser.next() {
            records.append(args.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " "))
        }
        XCTAssertEqual(records, ["SET k v", "SET e v PXAT \(clock.now + 1000)", "SET n 1", "DEL k", "FLUSHALL"])
        XCTAssertFalse(aof.isAcknowledged(1))
    }

    func testWritesAreRefusedOnceTheAOFHasFailed() {
        let aof = AppendOnlyFile(fd: -1, policy: .always)
        engine.aof = aof
        aof.failure = IOError(errno: 28, operation: "write AOF")
        guard case .error(let message) = run("SET", "k", "v").reply else { return XCTFail("SET accepted") }
        XCTAssertTrue(message.hasPrefix("MISCONF"), message)
        XCTAssertEqual(run("GET", "k").reply, .null)
        XCTAssertEqual(aof.appendedSeq, 0)
    }
}
