import Glibc
@testable import Quiesce
@testable import QuiesceSimulation

/// What the plain operations of one run share: a set of registered buffers and a registered file
/// table (either may be released mid-run by a ``ReleaseNode``), and a UDP socket receives go
/// through (its message memory is the socket's).
final class SharedResources {
    let driver: Driver
    let world: SimWorld
    /// Registered buffers fixed reads and writes take a lease from; `nil` before ``register(_:)``
    /// and once released.
    var buffers: RegisteredBuffers?
    /// The registered file table; `nil` before ``register(_:)`` and once released.
    var files: RegisteredFiles?
    /// The table's files, taken when it was registered: they outlive its release (operations built
    /// from them then fail with EBADF instead of reaching the kernel).
    private(set) var fixedFiles: [FixedFile] = []
    /// The registrations behind the set and the table, kept to check after the run that the
    /// driver ended every use it counted (exactly once) and unregistered them.
    private(set) var registrations: [Registration] = []
    /// The receiving UDP socket (the world's `udpReceiver`).
    var udp: UDPSocket?

    init(world: SimWorld, executor: Executor) {
        self.world = world
        driver = executor.driver
        udp = UDPSocket(adopting: world.udpReceiver)
    }

    /// Registers the buffers and the file table, the first time a leaf of the workload needs them
    /// (a run without such leaves skips the cost).
    func register(_ ledger: Ledger) {
        guard registrations.isEmpty else { return }
        do {
            let buffers = try RegisteredBuffers(count: 3, size: 8, driver: driver)
            let files = try RegisteredFiles(world.registeredDescriptors, driver: driver)
            for i in 0..<files.count { fixedFiles.append(try files.file(i)) }
            registrations = [buffers.registration, files.registration]
            self.buffers = consume buffers
            self.files = consume files
        } catch {
            ledger.fail("setup", "registered resources: \(error)")
        }
    }

    /// After the workload: the set, the table and the socket are released synchronously (operations
    /// orphaned earlier may still use them: the driver unregisters at their last completion). Their
    /// async releases run inside the workload (``ReleaseNode``).
    func finish() {
        buffers = nil
        files = nil
        udp = nil
    }

    /// After the executor's shutdown: no operation counts as a user any more (each use ended once)
    /// and both registrations were unregistered.
    func check(_ ledger: Ledger) {
        for registration in registrations {
            if registration.users != 0 {
                ledger.fail("registration-released", "the \(registration.name) count \(registration.users) operation(s) in use after the run")
            }
            if registration.phase != .unregistered {
                ledger.fail("registration-released", "the \(registration.name) are \(registration.phase) after the run, not unregistered")
            }
        }
    }
}
