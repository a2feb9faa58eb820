/// How a container drops its elements: all at once (join, the default for arrays) or one after
/// another, front to back (sequence, on request).
public enum DropOrder: Sendable, Equatable {
    /// Every element's drop is driven at once; the container is ready when all are.
    case together
    /// Elements are dropped front to back; an element that stays pending keeps its place (a cursor,
    /// no restart), and the ones after it wait their turn.
    case inOrder
}

/// A growable array of noncopyable droppable parts (operations, join handles, connections) with
/// drop glue: its async drop drives its elements' drops, together or in order (``DropOrder``).
///
/// `Array` needs copyable elements; this is its counterpart for values that own something, so
/// that operations and join handles can be kept in a collection without class boxes. Elements are
/// released (their `deinit`, once each) when the array is released, or when taken out with
/// ``removeLast()`` / ``remove(at:)`` / ``swapRemove(at:)``.
///
/// ```swift
/// var reads = DropArray<ReadOp>()
/// for fd in fds { reads.append(IO.read(fd, into: IOBuffer(capacity: 4096))) }
/// // Dropped asynchronously: every read is cancelled and awaited, all at once.
/// try executor.blockOn(asyncDrop(reads))
/// ```
///
/// Elements appended while the drop is under way are dropped too. With ``DropOrder/inOrder``,
/// removing an element before the cursor keeps the cursor on the element it was on.
@safe
public struct DropArray<Element: AsyncDroppable & ~Copyable>: AsyncDroppable, ~Copyable {
    // SAFETY: `storage` holds `capacity` elements of which exactly the first `count` are
    // initialized: every access checks its index against `count`, `grow` moves them to a larger
    // allocation, and `deinit` deinitializes them and frees the storage once. Noncopyable, the
    // array has one owner.
    /// Storage for `capacity` elements, the first `count` initialized.
    @usableFromInline var storage: UnsafeMutablePointer<Element>
    @usableFromInline var capacity: Int
    /// Backs ``count``.
    @usableFromInline var _count = 0
    /// The number of elements.
    @inlinable public var count: Int { _count }
    /// How the async drop treats the elements.
    public let order: DropOrder
    /// Backs ``droppedCount``.
    @usableFromInline var _droppedCount = 0
    /// With ``DropOrder/inOrder``: how many elements, from the front, have completed their drop.
    @inlinable public var droppedCount: Int { _droppedCount }

    /// An empty array whose async drop drops its elements in `order` (together by default).
    public init(order: DropOrder = .together, capacity: Int = 0) {
        self.order = order
        self.capacity = max(capacity, 0)
        // SAFETY: allocated uninitialized; only the first `count` elements are ever initialized,
        // read, moved or deinitialized, and `deinit` frees it once.
        unsafe storage = .allocate(capacity: self.capacity)
    }

    deinit {
        unsafe storage.deinitialize(count: _count)
        unsafe storage.deallocate()
    }

    /// `true` when the array holds no element.
    @inlinable
    public var isEmpty: Bool { _count == 0 }

    /// The valid indices, `0..<count`.
    @inlinable
    public var indices: Range<Int> { 0..<_count }

    /// The element at `index` (which must be in ``indices``), borrowed or modified in place.
    @inlinable
    public subscript(index: Int) -> Element {
        unsafeAddress {
            precondition(index >= 0 && index < _count, "DropArray index \(index) out of range 0..<\(_count)")
            return unsafe UnsafePointer(storage + index)
        }
        unsafeMutableAddress {
            precondition(index >= 0 && index < _count, "DropArray index \(index) out of range 0..<\(_count)")
            return unsafe storage + index
        }
    }

    /// Adds `element` at the end.
    @inlinable
    public mutating func append(_ element: consuming Element) {
        if _count == capacity { grow() }
        unsafe (storage + _count).initialize(to: element)
        _count += 1
    }

    /// Removes and returns the last element, or `nil` when the array is empty.
    @inlinable
    public mutating func removeLast() -> Element? {
        guard _count > 0 else { return nil }
        _count -= 1
        if _droppedCount > _count { _droppedCount = _count }
        return unsafe (storage + _count).move()
    }

    /// Removes and returns the element at `index` (which must be in ``indices``), moving the ones
    /// after it forward: the order of the rest is kept.
    @inlinable
    public mutating func remove(at index: Int) -> Element {
        precondition(index >= 0 && index < _count, "DropArray index \(index) out of range 0..<\(_count)")
        let element = unsafe (storage + index).move()
        unsafe (storage + index).moveInitialize(from: storage + index + 1, count: _count - index - 1)
        _count -= 1
        if index < _droppedCount { _droppedCount -= 1 }
        return element
    }

    /// Removes and returns the element at `index` (which must be in ``indices``) in constant time,
    /// putting the last element in its place. Not for ``DropOrder/inOrder`` arrays whose drop has
    /// begun, where order matters: use ``remove(at:)`` there.
    @inlinable
    public mutating func swapRemove(at index: Int) -> Element {
        precondition(index >= 0 && index < _count, "DropArray index \(index) out of range 0..<\(_count)")
        let element = unsafe (storage + index).move()
        _count -= 1
        if index != _count { unsafe (storage + index).moveInitialize(from: storage + _count, count: 1) }
        if _droppedCount > _count { _droppedCount = _count }
        return element
    }

    /// Drives the elements' drops: all at once, or front to back with a cursor (``order``).
    /// Ready when every element's drop is.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        switch order {
        case .together:
            var ready = true
            for index in 0..<_count where unsafe !partDropReady(&storage[index], &cx) {
                ready = false
            }
            return ready ? .ready(()) : .pending
        case .inOrder:
            while _droppedCount < _count {
                guard unsafe partDropReady(&storage[_droppedCount], &cx) else { return .pending }
                _droppedCount += 1
            }
            return .ready(())
        }
    }

    @usableFromInline
    mutating func grow() {
        let newCapacity = max(4, capacity * 2)
        let newStorage = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        unsafe newStorage.moveInitialize(from: storage, count: _count)
        unsafe storage.deallocate()
        unsafe storage = unsafe newStorage
        capacity = newCapacity
    }
}
