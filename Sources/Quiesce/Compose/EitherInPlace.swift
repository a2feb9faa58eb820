extension Either where First: ~Copyable, Second: ~Copyable {
    /// `true` when the active case is ``first(_:)`` (read through a switch, which copies the whole
    /// enum to read its case).
    @usableFromInline
    var isFirst: Bool {
        switch self {
        case .first: return true
        case .second: return false
        }
    }

    /// The active case's payload can be reached where it lies: the enum keeps its case in tag bytes
    /// after the payloads, never in a payload's unused bits.
    ///
    /// A multi-payload enum stores every payload at offset 0. Its case lives either in bits that
    /// every payload leaves unused (then the enum is exactly as large as its largest payload) or in
    /// extra tag bytes after the payload area (then it is larger). Only in the second layout does
    /// writing a payload in place leave the case untouched. Generic enums such as this one always
    /// take the second layout, and the size comparison checks it for each specialization (a
    /// constant once specialized).
    @inlinable
    static var payloadsMutateInPlace: Bool { MemoryLayout<Self>.size > payloadAreaSize }

    /// The bytes the payloads share at the start of the enum: the largest payload's size.
    @inlinable
    static var payloadAreaSize: Int { Swift.max(MemoryLayout<First>.size, MemoryLayout<Second>.size) }

    /// Runs `onFirst` or `onSecond` on the active case's payload, mutated in place: a poll moves no
    /// bytes, however large the payload.
    @inlinable @inline(__always)
    mutating func withActivePayload<R: ~Copyable>(
        _ onFirst: (inout First) -> R, _ onSecond: (inout Second) -> R
    ) -> R {
        guard Self.payloadsMutateInPlace else { return withActivePayloadMoved(onFirst, onSecond) }
        // SAFETY: the payload area starts at offset 0 and holds an initialized value of the active
        // case's type; the tag bytes follow the largest payload and hold the case's index (0 for
        // `first`, 1 for `second`), so reading the first of them names the active case, and
        // mutating the payload in place leaves them untouched (`payloadsMutateInPlace`). The
        // pointer is used only within the exclusive access to `self` that
        // `withUnsafeMutablePointer` provides. Debug builds check the case against a switch.
        return unsafe withUnsafeMutablePointer(to: &self) { enumPointer in
            let payload = UnsafeMutableRawPointer(enumPointer)
            let first = unsafe payload.load(fromByteOffset: Self.payloadAreaSize, as: UInt8.self) == 0
            unsafe assert(first == enumPointer.pointee.isFirst, "Either's case is not where its layout puts it")
            if first {
                return unsafe onFirst(&payload.assumingMemoryBound(to: First.self).pointee)
            }
            return unsafe onSecond(&payload.assumingMemoryBound(to: Second.self).pointee)
        }
    }

    /// The same by moving the payload out and back, for a layout where the case lives in the
    /// payload's unused bits.
    @usableFromInline
    mutating func withActivePayloadMoved<R: ~Copyable>(
        _ onFirst: (inout First) -> R, _ onSecond: (inout Second) -> R
    ) -> R {
        switch consume self {
        case .first(var first):
            let result = onFirst(&first)
            self = .first(first)
            return result
        case .second(var second):
            let result = onSecond(&second)
            self = .second(second)
            return result
        }
    }
}
