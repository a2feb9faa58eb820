extension Optional where Wrapped: ~Copyable {
    /// Destroys the wrapped value where it lies and leaves `nil`.
    ///
    /// `optional = nil` moves the old value out to a temporary to destroy it, and builds a whole nil
    /// value in another before moving it in: for a large noncopyable value (a future, an
    /// operation), that is two or three copies of every byte.
    @inlinable
    public mutating func clearInPlace() {
        // SAFETY: the pointer is used only within the exclusive access to `self`; the value is
        // destroyed once and the storage initialized again at once.
        unsafe withUnsafeMutablePointer(to: &self) { storage in
            unsafe storage.deinitialize(count: 1)
            unsafe storage.initialize(to: nil)
        }
    }

    /// Replaces the wrapped value, if any (destroyed where it lies), with `value`, moved once,
    /// straight into the payload.
    ///
    /// `optional = value` moves the old value out to destroy it and moves the new one through
    /// temporaries; `.some(value)` builds the whole optional in a temporary first.
    @inlinable
    public mutating func setInPlace(_ value: consuming Wrapped) {
        // SAFETY: the old value is destroyed once and the storage initialized again at once with
        // `value`; nothing reads it in between. The pointers live for the calls only, within the
        // exclusive access to `self`.
        unsafe withUnsafeMutablePointer(to: &self) { storage in _ = unsafe storage.deinitialize(count: 1) }
        unsafe initializeDestroyedOptional(&self, to: value)
    }
}

/// Initializes `storage`, whose value is destroyed (or trivially `nil`), as `.some(value)` where it
/// lies, moving `value` once.
///
/// An optional keeps its payload at offset 0. Its case lives either in bit patterns the payload
/// never uses (then the optional is exactly as large as its payload, and any valid payload reads
/// as `.some`) or in a tag byte right after the payload (then the optional is larger, and 0 there
/// means `.some`). The size comparison tells the two apart for each specialization (a constant once
/// specialized); debug builds check the case afterwards.
@inlinable
@unsafe
func initializeDestroyedOptional<T: ~Copyable>(_ storage: UnsafeMutablePointer<Optional<T>>, to value: consuming T) {
    let raw = UnsafeMutableRawPointer(storage)
    unsafe raw.assumingMemoryBound(to: T.self).initialize(to: value)
    if MemoryLayout<Optional<T>>.size > MemoryLayout<T>.size {
        unsafe raw.storeBytes(of: 0, toByteOffset: MemoryLayout<T>.size, as: UInt8.self)
    }
    unsafe assert(storage.pointee != nil, "Optional's payload is not where its layout puts it")
}

extension Optional where Wrapped: ~Copyable {
    /// Whether this is `nil`, read without copying or consuming the wrapped value.
    @inlinable
    var isNone: Bool {
        switch self {
        case .none: return true
        case .some: return false
        }
    }
}
