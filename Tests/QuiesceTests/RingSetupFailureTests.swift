import Testing
import Glibc
@testable import Quiesce

/// One way ring setup fails, and what its error must say: the errno and the words that name the
/// cause and the remedy.
struct RingSetupFailure: Sendable, CustomTestStringConvertible {
    var entries: UInt32
    /// The `-errno` the setup override returns as the kernel would; `nil` asks the real kernel.
    var injected: Int32?
    var errno: Int32
    var errnoName: String
    var says: [String]

    var testDescription: String { "\(entries) entries, \(injected == nil ? "real setup" : "kernel says \(errnoName)")" }
}

/// Ring setup failures are thrown as errors that name the cause and the remedy.
struct RingSetupFailureTests {
    static let failures: [RingSetupFailure] = [
        RingSetupFailure(entries: 0, injected: nil, errno: EINVAL, errnoName: "EINVAL",
                         says: ["0 entries is not a valid size (1…32768)"]),
        RingSetupFailure(entries: 100_000, injected: nil, errno: EINVAL, errnoName: "EINVAL",
                         says: ["100000 entries"]),
        // Not in the kernel: the cause, and a way forward.
        RingSetupFailure(entries: 256, injected: -ENOSYS, errno: ENOSYS, errnoName: "ENOSYS",
                         says: ["CONFIG_IO_URING", "simulated driver"]),
        // Forbidden: the sysctl, the container profile, the remedy.
        RingSetupFailure(entries: 256, injected: -EPERM, errno: EPERM, errnoName: "EPERM",
                         says: ["kernel.io_uring_disabled", "seccomp", "seccomp=unconfined"]),
        RingSetupFailure(entries: 4096, injected: -ENOMEM, errno: ENOMEM, errnoName: "ENOMEM",
                         says: ["fewer entries", "ulimit -l"]),
        RingSetupFailure(entries: 256, injected: -EMFILE, errno: EMFILE, errnoName: "EMFILE",
                         says: ["ulimit -n"]),
        // An unknown failure still explains.
        RingSetupFailure(entries: 256, injected: -EIO, errno: EIO, errnoName: "EIO",
                         says: ["check that io_uring is enabled"]),
    ]

    @Test(arguments: failures)
    func aFailedSetupNamesItsCauseAndRemedy(_ failure: RingSetupFailure) {
        let injected = failure.injected
        let override: ((UInt32) -> Int32)? = injected.map { rc in { _ in rc } }
        let error: IOError
        do {
            let backend = try UringBackend(entries: failure.entries, setupOverride: override)
            backend.close()
            Issue.record("setup succeeded")
            return
        } catch let thrown {
            error = thrown
        }
        #expect(error.errno == failure.errno)
        #expect(error.operation == "io_uring_setup")
        let text = error.description
        #expect(text.hasPrefix("io_uring_setup: \(failure.errnoName) (\(String(cString: strerror(failure.errno))))"), "\(text)")
        for words in failure.says {
            #expect(text.contains(words), "\(text)")
        }
    }
}
