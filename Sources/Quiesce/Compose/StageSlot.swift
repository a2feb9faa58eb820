/// Storage for one value that may be absent, whose emptiness is written with two byte stores.
///
/// An `Optional` of a large value whose bytes have unused patterns (a pointer's, an enum's) keeps
/// `nil` in those patterns: writing `nil` over a destroyed value builds a whole `nil` aside and
/// copies every byte of it. This enum has two payload cases, and a generic enum with several
/// payloads keeps its case in tag bytes after the payload area: `empty` is one payload byte and
/// the case byte, written in place (``writeEmpty(_:)``), and a value is moved once into the
/// payload area (``fill(_:with:)``). ``inPlace`` checks that layout for each specialization (a
/// constant once specialized); without it the ordinary initializations run.
@usableFromInline
enum StageSlot<Value: ~Copyable>: ~Copyable {
    /// The value.
    case filled(Value)
    /// No value (the byte is always 0).
    case empty(UInt8)

    /// The case lives in a tag byte after the payload area, and every payload lies at its start.
    @inlinable
    static var inPlace: Bool { MemoryLayout<Self>.size > payloadAreaSize }

    /// The bytes the payloads share at the start of the enum.
    @inlinable
    static var payloadAreaSize: Int { Swift.max(MemoryLayout<Value>.size, MemoryLayout<UInt8>.size) }

    /// `true` when the slot holds no value (read through a switch).
    @usableFromInline
    var isEmpty: Bool {
        switch self {
        case .filled: return false
        case .empty: return true
        }
    }

    /// Makes `storage`, whose value is destroyed (or trivially empty), empty where it lies.
    @inlinable @inline(__always)
    @unsafe
    static func writeEmpty(_ storage: UnsafeMutablePointer<Self>) {
        if inPlace {
            let raw = UnsafeMutableRawPointer(storage)
            unsafe raw.storeBytes(of: 0, as: UInt8.self)
            unsafe raw.storeBytes(of: 1, toByteOffset: payloadAreaSize, as: UInt8.self)
        } else {
            unsafe storage.initialize(to: .empty(0))
        }
        unsafe assert(storage.pointee.isEmpty, "The slot's case is not where its layout puts it")
    }

    /// Makes `storage`, whose value is destroyed (or trivially empty), hold `value`, moved into the
    /// payload area where it lies.
    @inlinable @inline(__always)
    @unsafe
    static func fill(_ storage: UnsafeMutablePointer<Self>, with value: consuming Value) {
        if inPlace {
            let raw = UnsafeMutableRawPointer(storage)
            unsafe raw.assumingMemoryBound(to: Value.self).initialize(to: value)
            unsafe raw.storeBytes(of: 0, toByteOffset: payloadAreaSize, as: UInt8.self)
        } else {
            unsafe storage.initialize(to: .filled(value))
        }
        unsafe assert(!storage.pointee.isEmpty, "The slot's case is not where its layout puts it")
    }

    /// Makes `storage`, whose value is destroyed (or trivially empty), hold the value
    /// `make(carried, argument)` returns, which it returns straight into the payload area where it
    /// can. The arguments pass through with no closure around them.
    @inlinable @inline(__always)
    @unsafe
    static func fill<Carried, Argument: ~Copyable>(
        _ storage: UnsafeMutablePointer<Self>, building make: (Carried, consuming Argument) -> Value,
        _ carried: Carried, _ argument: consuming Argument
    ) {
        if inPlace {
            let raw = UnsafeMutableRawPointer(storage)
            unsafe raw.assumingMemoryBound(to: Value.self).initialize(to: make(carried, argument))
            unsafe raw.storeBytes(of: 0, toByteOffset: payloadAreaSize, as: UInt8.self)
        } else {
            unsafe storage.initialize(to: .filled(make(carried, argument)))
        }
        unsafe assert(!storage.pointee.isEmpty, "The slot's case is not where its layout puts it")
    }

    /// The value where it lies, with no check of the case: the caller knows it is filled.
    @inlinable @inline(__always)
    @unsafe
    static func value(_ storage: UnsafeMutablePointer<Self>) -> UnsafeMutablePointer<Value> {
        unsafe assert(!storage.pointee.isEmpty, "The slot's value read while it is empty")
        if inPlace {
            return unsafe UnsafeMutableRawPointer(storage).assumingMemoryBound(to: Value.self)
        }
        preconditionFailure("StageSlot: its value is not at the start of its storage")
    }
}
