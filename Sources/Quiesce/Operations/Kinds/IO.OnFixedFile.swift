import CQuiesceUring

extension IO {
    /// An operation of kind `Base` on a file of the ring's registered table: `Base` prepares the
    /// entry, then the entry names the file by its index (`IOSQE_FIXED_FILE`) instead of a
    /// descriptor. Built by the `IO` constructors that take a ``FixedFile``.
    ///
    /// -EAGAIN is reported as it is: the readiness poll that retries `Base` on a descriptor does not
    /// apply to an index. The kinds it wraps lend the kernel no memory beyond their buffer and the
    /// slot's scratch memory.
    public struct OnFixedFile<Base: OperationKind>: OperationKind {
        /// The operation, its descriptor field unused (the file's index replaces it).
        public let base: Base
        /// The registered file.
        public let file: FixedFile
        /// `base` on `file`.
        init(_ base: Base, on file: FixedFile) {
            self.base = base
            self.file = file
        }
        /// `Base`'s name.
        public static var name: String { Base.name }
        /// `Base`'s entry, naming `file` by its index in the table.
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            base.prepare(&entry, buffer: buffer, scratch: scratch)
            entry.fd = file.entryDescriptor
            entry.flags |= UInt8(1 << IOSQE_FIXED_FILE_BIT)
        }
        /// `Base`'s.
        public var readsIntoBuffer: Bool { base.readsIntoBuffer }
        /// None: -EAGAIN is reported.
        public var retryReadiness: Readiness? { nil }
        /// `Base`'s.
        public static var settlesFromScratch: Bool { Base.settlesFromScratch }
        /// `Base`'s.
        public static func settle(result: Int32, flags: UInt32, buffer: inout IOBuffer?, scratch: OpScratch) {
            Base.settle(result: result, flags: flags, buffer: &buffer, scratch: scratch)
        }
        /// `Base`'s output.
        public func output(_ completion: consuming Completion) -> Base.Output { base.output(completion) }
        /// `Base`'s.
        public static func resource(result: Int32, flags: UInt32) -> CompletionResource {
            Base.resource(result: result, flags: flags)
        }
    }
}
