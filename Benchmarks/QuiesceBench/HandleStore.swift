import Quiesce

/// A fixed-capacity store of join handles. Handles are noncopyable, so they cannot live in an
/// `Array`; this keeps them in one allocation made up front (none per handle).
@safe
struct HandleStore<Output>: ~Copyable {
    // SAFETY: `base` has room for `capacity` handles, of which those in `joined..<count` are
    // initialized: `append` checks the capacity, `joinAll` deinitializes each handle once as it
    // resolves, and `deinit` the rest before it frees the allocation. Noncopyable: one owner.
    private let base: UnsafeMutablePointer<JoinHandle<Output>>
    let capacity: Int
    private(set) var count = 0
    private var joined = 0

    init(capacity: Int) {
        unsafe base = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    deinit {
        unsafe (base + joined).deinitialize(count: count - joined)
        unsafe base.deallocate()
    }

    mutating func append(_ handle: consuming JoinHandle<Output>) {
        precondition(count < capacity, "HandleStore full")
        unsafe (base + count).initialize(to: handle)
        count += 1
    }

    /// Cancels every task not yet joined.
    func cancelAll() {
        for i in joined..<count { unsafe (base + i).pointee.cancel() }
    }

    /// Waits for every handle in order; when all have resolved the store is empty again.
    /// Returns how many resolved as cancelled.
    mutating func joinAll(_ cx: inout Context) -> Poll<Void> {
        while joined < count {
            switch unsafe (base + joined).pointee.poll(&cx) {
            case .pending: return .pending
            case .ready: break
            }
            unsafe (base + joined).deinitialize(count: 1)
            joined += 1
        }
        count = 0
        joined = 0
        return .ready(())
    }
}

/// A fixed-capacity queue of noncopyable values built up front and moved out one by one, so that
/// preparing inputs (like buffers) stays outside a timed region.
@safe
struct PreparedStore<Value: ~Copyable>: ~Copyable {
    // SAFETY: `base` has room for `capacity` values, of which those in `taken..<count` are
    // initialized: `append` checks the capacity, `takeNext` moves each value out once, and `deinit`
    // deinitializes the rest before it frees the allocation. Noncopyable: one owner.
    private let base: UnsafeMutablePointer<Value>
    private let capacity: Int
    private var count = 0
    private var taken = 0

    init(capacity: Int) {
        unsafe base = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    deinit {
        unsafe (base + taken).deinitialize(count: count - taken)
        unsafe base.deallocate()
    }

    mutating func append(_ value: consuming Value) {
        precondition(count < capacity, "PreparedStore full")
        unsafe (base + count).initialize(to: value)
        count += 1
    }

    mutating func takeNext() -> Value {
        precondition(taken < count, "PreparedStore empty")
        taken += 1
        return unsafe (base + taken - 1).move()
    }
}
