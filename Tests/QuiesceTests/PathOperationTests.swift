import XCTest
import Glibc
import Foundation
@testable import Quiesce

/// statx, unlinkat, renameat, mkdirat and socket shutdown on the real ring, in a fresh directory.
final class PathOperationTests: RingTestCase {
    var directory = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        var template = Array("/tmp/quiesce-paths-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw IOError(errno: errno, operation: "mkdtemp") }
        directory = String(cString: made)
    }

    override func tearDownWithError() throws {
        try super.tearDownWithError()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Creates a file at `path` holding `text`, with plain system calls.
    private func makeFile(_ path: String, _ text: String = "", mode: mode_t = 0o644) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        precondition(fd >= 0)
        put(fd, text)
        fchmod(fd, mode)
        close(fd)
    }

    private func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    func testStatxTellsSizeTypePermissionsAndTimes() throws {
        let path = directory + "/five"
        makeFile(path, "12345", mode: 0o640)
        let status = try executor.blockOn(IO.statx(path)).get()
        var expected = stat()
        XCTAssertEqual(stat(path, &expected), 0)
        XCTAssertEqual(status.size, 5)
        XCTAssertTrue(status.isRegularFile)
        XCTAssertFalse(status.isDirectory)
        XCTAssertEqual(status.permissions, 0o640)
        XCTAssertEqual(status.mode, UInt32(expected.st_mode))
        XCTAssertEqual(status.inode, UInt64(expected.st_ino))
        XCTAssertEqual(status.linkCount, UInt32(expected.st_nlink))
        XCTAssertEqual(status.userID, getuid())
        XCTAssertEqual(status.modificationTime, FileStatus.Time(seconds: Int64(expected.st_mtim.tv_sec),
                                                                 nanoseconds: UInt32(expected.st_mtim.tv_nsec)))
        XCTAssertEqual(try executor.blockOn(IO.statx(directory)).get().isDirectory, true)
    }

    func testStatxOfASymbolicLinkFollowsItUnlessAsked() throws {
        makeFile(directory + "/target", "abc")
        XCTAssertEqual(symlink(directory + "/target", directory + "/link"), 0)
        let followed = try executor.blockOn(IO.statx(directory + "/link")).get()
        XCTAssertTrue(followed.isRegularFile)
        XCTAssertEqual(followed.size, 3)
        let own = try executor.blockOn(IO.statx(directory + "/link", followingSymbolicLinks: false)).get()
        XCTAssertTrue(own.isSymbolicLink)
    }

    func testTheStatusOfAnOpenFile() throws {
        let path = directory + "/open"
        makeFile(path, "seven b")
        let file = try executor.blockOn(File.open(path, flags: O_RDONLY)).get()
        XCTAssertEqual(try executor.blockOn(file.status()).get().size, 7)
        try executor.blockOn(asyncDrop(file))
    }

    func testAMissingPathIsAReadableENOENT() throws {
        let missing = directory + "/missing"
        let statx = try executor.blockOn(IO.statx(missing))
        XCTAssertEqual(statx.failureValue?.description, "statx \(missing): ENOENT (No such file or directory)")
        XCTAssertEqual(try executor.blockOn(IO.unlink(missing)).failureValue?.errno, ENOENT)
        XCTAssertEqual(try executor.blockOn(IO.rename(missing, to: directory + "/b")).failureValue?.description,
                       "renameat \(missing) -> \(directory)/b: ENOENT (No such file or directory)")
        XCTAssertEqual(try executor.blockOn(IO.mkdir(missing + "/sub")).failureValue?.errno, ENOENT)
    }

    func testMkdirCreatesADirectoryOnceThenSaysEEXIST() throws {
        let path = directory + "/made"
        XCTAssertNoThrow(try executor.blockOn(IO.mkdir(path, mode: 0o700)).get())
        let status = try executor.blockOn(IO.statx(path)).get()
        XCTAssertTrue(status.isDirectory)
        XCTAssertEqual(status.permissions, 0o700 & ~currentUmask())
        let again = try executor.blockOn(IO.mkdir(path))
        XCTAssertEqual(again.failureValue?.description, "mkdirat \(path): EEXIST (File exists)")
    }

    func testRenameMovesAFileAndCanRefuseToReplace() throws {
        makeFile(directory + "/a", "A")
        makeFile(directory + "/b", "B")
        let refused = try executor.blockOn(IO.rename(directory + "/a", to: directory + "/b", replacing: false))
        XCTAssertEqual(refused.failureValue?.errno, EEXIST)
        XCTAssertTrue(exists(directory + "/a"))
        XCTAssertNoThrow(try executor.blockOn(IO.rename(directory + "/a", to: directory + "/c")).get())
        XCTAssertFalse(exists(directory + "/a"))
        XCTAssertEqual(try executor.blockOn(IO.statx(directory + "/c")).get().size, 1)
        XCTAssertNoThrow(try executor.blockOn(IO.rename(directory + "/c", to: directory + "/b")).get(), "replaces by default")
        XCTAssertFalse(exists(directory + "/c"))
    }

    func testUnlinkRemovesFilesAndEmptyDirectoriesOnly() throws {
        makeFile(directory + "/file")
        XCTAssertNoThrow(try executor.blockOn(IO.unlink(directory + "/file")).get())
        XCTAssertFalse(exists(directory + "/file"))

        XCTAssertEqual(mkdir(directory + "/dir", 0o755), 0)
        makeFile(directory + "/dir/inside")
        XCTAssertEqual(try executor.blockOn(IO.unlink(directory + "/dir")).failureValue?.errno, EISDIR)
        XCTAssertEqual(try executor.blockOn(IO.unlink(directory + "/dir", removingDirectory: true)).failureValue?.errno, ENOTEMPTY)
        XCTAssertNoThrow(try executor.blockOn(IO.unlink(directory + "/dir/inside")).get())
        XCTAssertNoThrow(try executor.blockOn(IO.unlink(directory + "/dir", removingDirectory: true)).get())
        XCTAssertFalse(exists(directory + "/dir"))
    }

    func testAPathHoldingANULByteIsRefusedAndTouchesNothing() throws {
        makeFile(directory + "/a")
        let unlink = try executor.blockOn(IO.unlink(directory + "/a\0b"))
        XCTAssertEqual(unlink.failureValue?.errno, EINVAL)
        XCTAssertEqual(unlink.failureValue?.remedy, "a path must not hold a NUL byte")
        XCTAssertTrue(exists(directory + "/a"), "the kernel never saw the shorter path")
        XCTAssertEqual(try executor.blockOn(IO.rename(directory + "/a", to: directory + "/x\0")).failureValue?.errno, EINVAL)
        XCTAssertEqual(try executor.blockOn(IO.mkdir(directory + "/a\0")).failureValue?.errno, EINVAL)
        XCTAssertEqual(try executor.blockOn(IO.statx(directory + "/a\0")).failureValue?.errno, EINVAL)
        XCTAssertTrue(exists(directory + "/a"))
    }

    func testAStatxWithoutRoomForTheResultIsRefused() throws {
        var statx = StatxOp(IO.Statx(directory: AT_FDCWD, flags: 0), buffer: IOBuffer(bytes: Array("/\0".utf8)))
        XCTAssertEqual(try drive(&statx, on: executor).failureValue?.errno, ENOBUFS, "nothing written past the buffer")
    }

    func testRelativeToADirectoryDescriptor() throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(fd) }
        XCTAssertNoThrow(try executor.blockOn(IO.mkdir("sub", directory: fd)).get())
        XCTAssertTrue(try executor.blockOn(IO.statx("sub", directory: fd)).get().isDirectory)
        XCTAssertNoThrow(try executor.blockOn(IO.rename("sub", to: "moved", directory: fd, newDirectory: fd)).get())
        XCTAssertNoThrow(try executor.blockOn(IO.unlink("moved", directory: fd, removingDirectory: true)).get())
        XCTAssertFalse(exists(directory + "/moved"))
    }

    func testShutdownForWritingGivesThePeerEndOfFile() throws {
        let (a, b) = try Sockets.socketPair()
        defer { close(b) }
        let socket = Socket(adopting: a)
        _ = try executor.blockOn(socket.send(IOBuffer(string: "last")))
        XCTAssertNoThrow(try executor.blockOn(socket.shutdown(.write)).get())
        var bytes = [UInt8](repeating: 0, count: 8)
        XCTAssertEqual(Glibc.read(b, &bytes, 8), 4, "what was sent before still arrives")
        XCTAssertEqual(Glibc.read(b, &bytes, 8), 0, "then end of file")
        put(b, "reply")
        XCTAssertEqual(try executor.blockOn(socket.recv(into: IOBuffer(capacity: 8))).buffer.string, "reply",
                       "the other direction stays open")
        try executor.blockOn(asyncDrop(socket))
    }

    func testShutdownErrors() throws {
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        XCTAssertEqual(try executor.blockOn(IO.shutdown(r, .both)).failureValue?.description,
                       "shutdown: ENOTSOCK (Socket operation on non-socket)")
        XCTAssertEqual(try executor.blockOn(IO.shutdown(987_654, .read)).failureValue?.errno, EBADF)
        let unconnected = try Sockets.tcp(for: .loopback(port: 9))
        defer { close(unconnected) }
        XCTAssertEqual(try executor.blockOn(IO.shutdown(unconnected, .write)).failureValue?.errno, ENOTCONN)
    }
}

/// The process's umask, left as it was.
private func currentUmask() -> UInt32 {
    let mask = umask(0o022)
    umask(mask)
    return UInt32(mask)
}
