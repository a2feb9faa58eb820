import CQuiesceUring

extension IO {
    /// Opens the NUL-terminated path held in the operation's buffer, relative to a directory.
    public struct OpenAt: OperationKind {
        /// The directory descriptor (AT_FDCWD: the working directory).
        public var directory: Int32
        /// open(2) flags.
        public var flags: Int32
        /// The mode of a created file.
        public var mode: UInt32
        /// Opens relative to `directory` with `flags` and `mode`.
        @inlinable public init(directory: Int32, flags: Int32, mode: UInt32) { self.directory = directory; self.flags = flags; self.mode = mode }
        /// "openat".
        public static var name: String { "openat" }
        /// IORING_OP_OPENAT of the buffer's path.
        @inlinable
        public func prepare(_ entry: inout SubmissionEntry, buffer: borrowing IOBuffer?, scratch: OpScratch) {
            // SAFETY: the path lies in the buffer the slot holds, unmoved, until the completion.
            let path = unsafe buffer.validRegion(from: 0)?.baseAddress?.assumingMemoryBound(to: CChar.self)
            unsafe cqu_prep_openat(&entry, directory, path, flags, mode)
        }
        /// The new descriptor, or the errno.
        @inlinable
        public func output(_ completion: consuming Completion) -> Result<Int32, IOError> { completion.value(Self.name) }
        /// A descriptor opened for nobody is closed.
        @inlinable
        public static func resource(result: Int32, flags: UInt32) -> CompletionResource { .descriptor(result) }
    }
}
