import XCTest
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import QuiesceKVCore

/// The AOF: replay on restart, group commit, truncated files, and SIGTERM while clients write
/// (every acknowledged SET survives); corrupt files are ``CorruptAOFTests``.
final class PersistenceTests: XCTestCase {
    func testRestartRecoversFromTheAOF() throws {
        for policy in FsyncPolicy.allCases {
            let path = temporaryAOFPath()
            defer { unlink(path) }
            do {
                let server = try TestServer { $0.aofPath = path; $0.appendFsync = policy }
                let client = try TestClient(port: server.port)
                XCTAssertEqual(try client.call("SET", "gone", "x"), .simple("OK"))
                XCTAssertEqual(try client.call("FLUSHALL"), .simple("OK"))
                XCTAssertEqual(try client.call("SET", "a", "1"), .simple("OK"))
                XCTAssertEqual(try client.call("SET", "b", "bin\r\nary"), .simple("OK"))
                XCTAssertEqual(try client.call("SET", "ttl", "v", "EX", "1000"), .simple("OK"))
                XCTAssertEqual(try client.call("SET", "short", "v", "PX", "1"), .simple("OK"))
                XCTAssertEqual(try client.call("INCR", "n"), .integer(1))
                XCTAssertEqual(try client.call("INCR", "n"), .integer(2))
                XCTAssertEqual(try client.call("SET", "d", "1"), .simple("OK"))
                XCTAssertEqual(try client.call("DEL", "d"), .integer(1))
                XCTAssertTrue(server.stop(), "\(policy)")
            }
            let server = try TestServer { $0.aofPath = path; $0.appendFsync = policy }
            XCTAssertEqual(server.onServer { $0.replayed.records }, 10, "\(policy)")
            let client = try TestClient(port: server.port)
            XCTAssertEqual(try client.call("GET", "a"), .text("1"))
            XCTAssertEqual(try client.call("GET", "b"), .text("bin\r\nary"))
            XCTAssertEqual(try client.call("GET", "ttl"), .text("v"))
            XCTAssertEqual(try client.call("GET", "short"), .null)
            XCTAssertEqual(try client.call("GET", "n"), .text("2"))
            XCTAssertEqual(try client.call("EXISTS", "gone", "d"), .integer(0))
            XCTAssertEqual(try client.call("DBSIZE"), .integer(4))
            XCTAssertTrue(server.stop())
        }
    }

    func testAlwaysGroupCommitsPipelinedWrites() throws {
        let path = temporaryAOFPath()
        defer { unlink(path) }
        let server = try TestServer { $0.aofPath = path; $0.appendFsync = .always }
        let client = try TestClient(port: server.port)
        var batch: [UInt8] = []
        for i in 0..<1000 { RESPEncoder.command([Array("SET".utf8), Array("k\(i)".utf8), Array("v".utf8)], into: &batch) }
        try client.send(batch)
        for _ in 0..<1000 { XCTAssertEqual(try client.readReply(), .simple("OK")) }
        let (appended, durable, fsyncs) = server.onServer { ($0.aof!.appendedSeq, $0.aof!.durableSeq, $0.aof!.fsyncCount) }
        XCTAssertEqual(appended, 1000)
        // Every acknowledged write was covered by a completed fsync before its reply...
        XCTAssertEqual(durable, 1000)
        // ...and one fsync covered many writes.
        XCTAssertLessThan(fsyncs, 1000)
        XCTAssertTrue(server.stop())
    }

    func testIncompleteLastRecordIsDroppedOnReplay() throws {
        let path = temporaryAOFPath()
        defer { unlink(path) }
        var bytes: [UInt8] = []
        RESPEncoder.command([Array("SET".utf8), Array("a".utf8), Array("1".utf8)], into: &bytes)
        let complete = bytes.count
        RESPEncoder.command([Array("SET".utf8), Array("b".utf8), Array("2".utf8)], into: &bytes)
        bytes.removeLast(5)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let engine = KVEngine()
        let outcome = try AOFReplay.replay(path: path, into: engine)
        XCTAssertEqual(outcome, AOFReplay.Outcome(records: 1, truncatedBytes: bytes.count - complete))
        XCTAssertEqual(engine.store.get(Array("a".utf8)), Array("1".utf8))
        XCTAssertNil(engine.store.get(Array("b".utf8)))
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, complete)
    }

    /// The last record cut at every byte still counts as torn: each is dropped, reported and truncated.
    func testATornLastRecordIsDroppedWhereverItIsCut() throws {
        let good = encodeCommands([["SET", "a", "1"]])
        let last = encodeCommands([["SET", "b", "", "EX", "100"]])
        for cut in 1..<last.count {
            let path = temporaryAOFPath()
            defer { unlink(path) }
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(good + last[0..<cut])))
            let outcome = try AOFReplay.replay(path: path, into: KVEngine())
            XCTAssertEqual(outcome, AOFReplay.Outcome(records: 1, truncatedBytes: cut), "cut at \(cut)")
            XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, good.count)
        }
    }

    /// Creating the AOF fsyncs its directory once (so a power loss cannot lose the new file's entry);
    /// opening a file that exists fsyncs nothing more.
    func testCreatingTheAOFFsyncsItsDirectory() throws {
        let path = temporaryAOFPath()
        defer { unlink(path) }
        var directory = stat()
        XCTAssertEqual(stat(NSTemporaryDirectory(), &directory), 0)
        var synced: [(dev: UInt64, ino: UInt64)] = []
        let record = { (fd: Int32) -> Int32 in
            var target = stat()
            if fstat(fd, &target) == 0 { synced.append((UInt64(target.st_dev), UInt64(target.st_ino))) }
            return fsync(fd)
        }
        close(try AOFReplay.openForAppend(path: path, syncDirectory: record))
        XCTAssertEqual(synced.count, 1, "creating the AOF fsyncs its directory once")
        XCTAssertTrue(synced.first.map { $0.dev == UInt64(directory.st_dev) && $0.ino == UInt64(directory.st_ino) } ?? false,
                      "the directory fsynced is the AOF's")
        close(try AOFReplay.openForAppend(path: path, syncDirectory: record))
        XCTAssertEqual(synced.count, 1, "an AOF that exists is not created again")
    }

    /// A directory fsync that fails refuses the start with a reason and removes the file it created
    /// (so the next start creates it and fsyncs again); one the file system does not support
    /// (EINVAL) is no failure.
    func testAFailedDirectoryFsyncRefusesToStart() throws {
        let path = temporaryAOFPath()
        defer { unlink(path) }
        XCTAssertThrowsError(try AOFReplay.openForAppend(path: path, syncDirectory: { _ in errno = EIO; return -1 })) { error in
            XCTAssertTrue("\(error)".contains("cannot fsync the directory"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        close(try AOFReplay.openForAppend(path: path, syncDirectory: { _ in errno = EINVAL; return -1 }))
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
    }

    func testMissingAOFIsAnEmptyOne() throws {
        let outcome = try AOFReplay.replay(path: temporaryAOFPath(), into: KVEngine())
        XCTAssertEqual(outcome, AOFReplay.Outcome(records: 0, truncatedBytes: 0))
    }

    /// The built server as a child process, SIGTERM'd while four clients write: it exits 0, and every
    /// SET it acknowledged is in the AOF and comes back after a restart.
    func testSIGTERMWhileClientsWriteLosesNoAcknowledgedWrite() throws {
        let path = temporaryAOFPath()
        defer { unlink(path) }
        let first = try ServerProcess(arguments: ["--aof", path, "--appendfsync", "always"])
        final class Acked: @unchecked Sendable {
            let lock = NSLock()
            var keys: [String: String] = [:]
            var writers = 0
        }
        let acked = Acked()
        let port = first.port
        let group = DispatchGroup()
        for writer in 0..<4 {
            group.enter()
            Thread {
                defer { group.leave() }
                guard let client = try? TestClient(port: port) else { return }
                for i in 0..<100_000 {
                    let key = "w\(writer)-\(i)", value = "value-\(writer)-\(i)"
                    guard (try? client.call("SET", key, value)) == .simple("OK") else { return }
                    acked.lock.lock(); acked.keys[key] = value; acked.lock.unlock()
                }
            }.start()
        }
        // Let the writers get going (whatever the machine's speed), then ask the server to stop.
        while true {
            acked.lock.lock(); let count = acked.keys.count; acked.lock.unlock()
            if count >= 400 { break }
            usleep(1_000)
        }
        XCTAssertEqual(first.signalAndWait(SIGTERM), 0, "the server must exit 0 after SIGTERM")
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        acked.lock.lock(); let expected = acked.keys; acked.lock.unlock()
        XCTAssertGreaterThanOrEqual(expected.count, 400)

        let second = try ServerProcess(arguments: ["--aof", path])
        let client = try TestClient(port: second.port)
        var batch: [UInt8] = []
        let keys = Array(expected.keys)
        for key in keys { RESPEncoder.command([Array("GET".utf8), Array(key.utf8)], into: &batch) }
        try client.send(batch)
        var missing = 0
        for key in keys where try client.readReply() != .text(expected[key]!) { missing += 1 }
        XCTAssertEqual(missing, 0, "acknowledged SETs lost after SIGTERM")
        XCTAssertEqual(second.signalAndWait(SIGINT), 0)
    }
}
