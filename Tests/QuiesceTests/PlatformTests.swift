import XCTest
import Glibc
@testable import Quiesce

/// What the library takes from the C library: errno names and texts, descriptors with CLOEXEC.
final class PlatformTests: XCTestCase {
    func testEveryErrnoHasItsSymbolicNameAndText() {
        XCTAssertEqual(IOError(errno: EFBIG, operation: "write").description, "write: EFBIG (File too large)")
        XCTAssertEqual(IOError(errno: EXDEV, operation: "rename").name, "EXDEV")
        XCTAssertEqual(IOError(errno: ECANCELED, operation: "read").message, "Operation canceled")
        let unknown = IOError(errno: 9999, operation: "x")
        XCTAssertEqual(unknown.name, "errno 9999")
        XCTAssertEqual(unknown.message, "Unknown error 9999")
    }

    func testPipeEndsAreCloseOnExec() throws {
        let (r, w) = try Sockets.pipe()
        defer { close(r); close(w) }
        XCTAssertEqual(fcntl(r, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC)
        XCTAssertEqual(fcntl(w, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC)
    }
}
