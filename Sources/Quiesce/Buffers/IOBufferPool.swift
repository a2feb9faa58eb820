/// A free list of ``IOBuffer``s of one capacity, shared by whoever needs a buffer only for a while
/// (the send of one message): ``take()`` hands out a kept buffer, or makes one when none is kept;
/// ``give(_:)`` keeps it for the next taker. A holder that is idle holds nothing, and in steady
/// state nothing is allocated: the pool keeps as many buffers as were ever out at once.
///
/// ```swift
/// let pool = IOBufferPool(bufferCapacity: 4096)
/// var out = pool.take()        // empty, 4096 bytes of room
/// out.append(contentsOf: reply)
/// // … send it; when the send hands it back:
/// pool.give(sent.buffer)
/// ```
///
/// Used on one thread (the executor's), like the buffers it holds.
@safe
public final class IOBufferPool {
    // SAFETY: `kept` points to `storage` slots allocated by `init` or `grow` (freed by them or by
    // `deinit`); the first `keptCount` are initialized buffers, the rest uninitialized. `take`
    // moves out of the last initialized slot, `give` initializes the first uninitialized one (after
    // `grow` made room), so every slot read is initialized and every buffer is owned exactly once.
    /// The capacity of every buffer the pool hands out.
    public let bufferCapacity: Int
    /// Buffers made so far: those kept plus those out.
    public private(set) var created = 0
    /// Buffers kept for the next taker.
    public var kept: Int { keptCount }
    private var keptCount = 0
    private var storage: Int
    private var slots: UnsafeMutablePointer<IOBuffer>

    /// An empty pool of buffers that hold `bufferCapacity` bytes each, with room to keep
    /// `reserve` of them before its list grows.
    public init(bufferCapacity: Int, reserve: Int = 16) {
        precondition(bufferCapacity >= 0, "IOBufferPool buffer capacity must not be negative")
        self.bufferCapacity = bufferCapacity
        storage = Swift.max(reserve, 1)
        unsafe slots = .allocate(capacity: storage)
    }

    deinit {
        unsafe slots.deinitialize(count: keptCount)
        unsafe slots.deallocate()
    }

    /// An empty buffer of ``bufferCapacity`` bytes: one the pool kept, or a new one.
    public func take() -> IOBuffer {
        if keptCount == 0 {
            created += 1
            return IOBuffer(capacity: bufferCapacity)
        }
        keptCount -= 1
        return unsafe (slots + keptCount).move()
    }

    /// Keeps `buffer` (emptied) for the next ``take()``. A buffer of another capacity is freed.
    public func give(_ buffer: consuming IOBuffer) {
        guard buffer.capacity == bufferCapacity else { return }
        buffer.clear()
        if keptCount == storage { grow() }
        unsafe (slots + keptCount).initialize(to: buffer)
        keptCount += 1
    }

    /// Doubles the room for kept buffers, moving them over.
    private func grow() {
        let larger = UnsafeMutablePointer<IOBuffer>.allocate(capacity: storage * 2)
        unsafe larger.moveInitialize(from: slots, count: keptCount)
        unsafe slots.deallocate()
        unsafe slots = larger
        storage *= 2
    }
}
