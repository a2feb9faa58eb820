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

/// Initializes `storage`, whose value is destroyed (or trivially `nil`), as `nil` where it lies,
/// writing only the bytes that name the case.
///
/// Building `nil` for a large payload makes a whole `nil` value aside and copies it over. When the
/// case lives in a tag byte after the payload, `nil` is that byte set to 1 with the payload's first
/// bytes (up to four) zero: the empty case's index, which is all a reader of the case looks at
/// (the runtime's single-payload enum layout). When the case lives in the payload's unused bit
/// patterns, `nil` is one of those patterns, written by the ordinary initialization.
@inlinable
@unsafe
func initializeDestroyedOptionalToNone<T: ~Copyable>(_ storage: UnsafeMutablePointer<Optional<T>>) {
    if MemoryLayout<Optional<T>>.size > MemoryLayout<T>.size {
        let raw = UnsafeMutableRawPointer(storage)
        let size = MemoryLayout<T>.size
        if size >= 4 {
            unsafe raw.storeBytes(of: 0, as: UInt32.self)
        } else {
            for offset in 0..<size { unsafe raw.storeBytes(of: 0, toByteOffset: offset, as: UInt8.self) }
        }
        unsafe raw.storeBytes(of: 1, toByteOffset: size, as: UInt8.self)
    } else {
        unsafe storage.initialize(to: nil)
    }
    unsafe assert(storage.pointee.isNone, "Optional's case is not where its layout puts it")
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
