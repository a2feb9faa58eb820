import Quiesce

/// A fixed-capacity store of join handles. Handles are noncopyable, so they cannot live in an
/// `Array`; this keeps them in one allocation made up front (none per handle).
struct HandleStore<Output>: ~Copyable {
    private let base: UnsafeMutablePointer<JoinHandle<Output>>
    let capacity: Int
    private(set) var count = 0
    private var joined = 0

    init(capacity: Int) {
        base = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    deinit {
        (base + joined).deinitialize(count: count - joined)
        base.deallocate()
    }

    mutating func append(_ handle: consuming JoinHandle<Output>) {
        precondition(count < capacity, "HandleStore full")
        (base + count).initialize(to: handle)
        count += 1
    }

    /// Cancels every task not yet joined.
    func cancelAll() {
        for i in joined..<count { (base + i).pointee.cancel() }
    }

    /// Waits for every handle in order; when all have resolved the store is empty again.
    /// Returns how many resolved as cancelled.
    mutating func joinAll(_ cx: inout Context) -> Poll<Void> {
        while joined < count {
            switch (base + joined).pointee.poll(&cx) {
            case .pending: return .pending
            case .ready: break
            }
            (base + joined).deinitialize(count: 1)
            joined += 1
        }
        count = 0
        joined = 0
        return .ready(())
    }
}
