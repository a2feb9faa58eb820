#if canImport(Glibc)
import Glibc
#endif

/// A table of descriptors registered with an executor's ring (`io_uring_register_files`):
/// operations name a file by its index (``FixedFile``, `IOSQE_FIXED_FILE`), and the kernel does not
/// look the descriptor up for each of them.
///
/// The table is a resource with an owner: it is unregistered only when no operation in flight uses
/// it. Its async drop waits for the operations that use it, then unregisters; its synchronous drop
/// (`deinit`) leaves the table to the driver, which unregisters it when the last of them
/// completes. The kernel holds its own reference to each file: closing a descriptor after
/// registering it does not take it out of the table. A ring has one table at a time.
///
/// ```swift
/// var files = try RegisteredFiles([fd], on: executor)
/// let file = try files.file(0)
/// var read = IO.read(file, into: IOBuffer(capacity: 4096))  // addresses the table, not `fd`
/// ```
public struct RegisteredFiles: AsyncDroppable, ~Copyable {
    /// The driver of the ring the table is registered with (kept alive while the table is owned).
    let driver: Driver
    let registration: Registration

    /// Registers `descriptors` with `executor`'s ring.
    ///
    /// Throws an ``IOError``: EBUSY when the ring has a table already (one released but still used
    /// by operations in flight included), EBADF when a descriptor is not open, EMFILE beyond the
    /// open-files limit, EOPNOTSUPP on a backend without registered files.
    public init(_ descriptors: [Int32], on executor: Executor) throws(IOError) {
        try self.init(descriptors, driver: executor.driver)
    }

    /// Registers `descriptors` with `driver`'s ring (see ``init(_:on:)``).
    public init(_ descriptors: [Int32], driver: Driver) throws(IOError) {
        if let current = driver.core.registered.files {
            throw IOError(errno: EBUSY, operation: "register files",
                          remedy: "the ring has a registered file table already (one per ring)"
                              + (current.phase == .released ? "; the one released is unregistered when the \(current.users) operation(s) in flight that use it complete" : ""))
        }
        guard !descriptors.isEmpty else {
            throw IOError(errno: EINVAL, operation: "register files", remedy: "the table needs at least one descriptor")
        }
        try driver.backend.registerFiles(descriptors)
        self.driver = driver
        registration = unsafe Registration(files: descriptors.count, backend: driver.backend, ring: UInt(bitPattern: driver.core.state))
        driver.core.registered.files = registration
    }

    deinit { registration.releaseSynchronously(driver.core) }

    /// Files in the table.
    public var count: Int { registration.count }

    /// Operations the driver holds (in flight, or waiting for room) that use the table.
    public var operationsInFlight: Int { registration.users }

    /// The file at `index` in the table, for building operations on it.
    ///
    /// Throws EINVAL (naming the table's size) when `index` is outside the table.
    public func file(_ index: Int) throws(IOError) -> FixedFile {
        guard index >= 0 && index < registration.count else {
            throw IOError(errno: EINVAL, operation: "registered file",
                          remedy: "index \(index) is outside the table of \(registration.count) registered file(s) (0..<\(registration.count))")
        }
        return FixedFile(index: Int32(index), registration: registration)
    }

    /// Releases the table: `.ready` once it is unregistered, when no operation in flight uses it
    /// any more. A failure to unregister goes to the executor's diagnostics.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        registration.pollRelease(driver.core, &cx)
    }
}

/// A file of a ``RegisteredFiles`` table, named by its index: operations built from it (the `IO`
/// constructors that take a `FixedFile`: read, write, recv, send, fsync, readFixed, writeFixed)
/// address the ring's table (`IOSQE_FIXED_FILE`) instead of a descriptor.
///
/// It addresses the table it came from, on the ring that table is registered with: use it on that
/// executor. Once the table is released, operations built from it fail with EBADF instead of
/// reaching a table registered since.
public struct FixedFile {
    /// The file's index in the table.
    public let index: Int32
    let registration: Registration

    /// `true` while the table it came from is registered and not released.
    public var isRegistered: Bool { registration.acceptsOperations }

    /// The descriptor field of an entry naming this file: its index, or -1 (EBADF from the kernel)
    /// once its table was released.
    var entryDescriptor: Int32 { registration.acceptsOperations ? index : -1 }
}
