/// The members of a ``JoinSet``: one reference to each member task, the one its join handle held,
/// and each task's ``RawTask/setIndex`` kept equal to its index here, so that a finished member is
/// found (and removed) in constant time.
///
/// ``releaseAll()`` releases every member as its handle would have been released: the task is
/// cancelled if it has not finished, and an output nobody took is released with it.
@usableFromInline
@safe
struct JoinSetMembers: ~Copyable {
    // SAFETY: `tasks` has room for `capacity` references, of which the first `count` are
    // initialized, each one reference owned by the list (taken over from a join handle by
    // `append`, handed to the caller by `remove(at:)`, released by `releaseAll`), so every task in
    // `0..<count` is alive. The owner calls `releaseAll` once, as the list's last use, which frees
    // the storage; noncopyable, the list has one owner.
    @usableFromInline var tasks: UnsafeMutablePointer<Unmanaged<RawTask>>
    @usableFromInline var capacity = 0
    /// The number of members.
    @usableFromInline var count = 0

    @usableFromInline init() { unsafe tasks = .allocate(capacity: 0) }

    /// Releases every member as its handle would have been released, and the storage: the set's
    /// `deinit` calls it, once, as the list's last use.
    func releaseAll() {
        for index in 0..<count {
            let task = unsafe tasks[index]
            unsafe task._withUnsafeGuaranteedRef { task in
                task.leaveSet()
                task.handleGone()
            }
            unsafe task.release()
        }
        unsafe tasks.deallocate()
    }

    /// The member at `index` (in `0..<count`), without a reference of its own.
    @inlinable
    subscript(index: Int) -> Unmanaged<RawTask> { unsafe tasks[index] }

    /// Adds `task`, taking over the reference the caller passes, at index `count` (the caller has
    /// set the task's ``RawTask/setIndex`` to it).
    @inlinable
    mutating func append(_ task: Unmanaged<RawTask>) {
        if count == capacity { grow() }
        unsafe (tasks + count).initialize(to: task)
        count += 1
    }

    /// Removes the member at `index` (in `0..<count`) and hands its reference to the caller; the
    /// last member takes its place.
    @inlinable
    mutating func remove(at index: Int) -> Unmanaged<RawTask> {
        let task = unsafe tasks[index]
        count -= 1
        if index != count {
            let moved = unsafe tasks[count]
            unsafe tasks[index] = moved
            unsafe moved._withUnsafeGuaranteedRef { unsafe $0.setIndex = index }
        }
        return unsafe task
    }

    @usableFromInline
    mutating func grow() {
        let newCapacity = max(4, capacity * 2)
        let newTasks = UnsafeMutablePointer<Unmanaged<RawTask>>.allocate(capacity: newCapacity)
        unsafe newTasks.moveInitialize(from: tasks, count: count)
        unsafe tasks.deallocate()
        unsafe tasks = unsafe newTasks
        capacity = newCapacity
    }
}
