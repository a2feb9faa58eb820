/// What else a task needs to know about its future's type: reached through an existential metatype
/// in ``RawTask``, so the task class itself has no generic parameter and can be recycled across
/// types. (Polling is not here: it goes through the task's ``TaskPoller``.)
@usableFromInline
protocol TaskOps {
    /// Runs the synchronous destructor of the future at `block`.
    static func destroyFuture(_ block: UnsafeMutableRawPointer)
    /// Destroys the `Output?` at `slot`, leaving it uninitialized.
    static func destroyOutput(_ slot: UnsafeMutableRawPointer)
    /// The future's type name, for diagnostics.
    static var typeName: String { get }
}

/// ``TaskOps`` for futures of type `F`, whose output type is passed too (`Output == F.Output`): as
/// a generic argument its metadata is at hand, where `F.Output` would be looked up at every poll.
///
/// ``run(_:_:)`` is inlinable: the task's poller (``RawTask/poller``) is formed at the spawn site, so
/// where `F` is known the poll is specialized for it, down through generic combinator types. The
/// other operations run unspecialized (through the witness table); they touch `F` only through a
/// typed pointer, so only `F`'s metadata, already in hand, is needed (an `F?` or `F.Output?` value
/// would instantiate `Optional` metadata through the runtime's cache at every call).
@usableFromInline
enum TaskOpsFor<F: Future & ~Copyable, Output: ~Copyable>: TaskOps where F.Output == Output {
    @inlinable
    static func run(_ task: RawTask, _ cx: inout Context) {
        // SAFETY: `task` was made for `F` (its `ops` is this type), so its block holds an `F` at
        // offset 0 while `futureIsLive` and an `Output?` at `layout.outputOffset`. A task is polled
        // only while its future is live, and the future is moved out exactly once, here, after its
        // async drop.
        let future = unsafe task.block.assumingMemoryBound(to: F.self)
        if unsafe task.phase == .running {
            if unsafe task.cancelRequested {
                unsafe task.phase = .dropping
            } else {
                let output = unsafe task.outputSlot(Output.self)
                guard unsafe future.pointee._pollForExecutor(&cx, into: &output.pointee) else { return }
                unsafe task.completed = true
                unsafe task.hasOutput = true
                // A finished future is still async-dropped before its output is delivered.
                unsafe task.phase = .dropping
            }
        }
        guard unsafe task.phase == .dropping else { return }
        guard unsafe future.pointee.pollDropReady(&cx).isReady else { return }
        #if DEBUG  // the check is empty in release builds, but unspecialized here its call would remain
        unsafe checkFusedAfterReady(&future.pointee, &cx)
        #endif
        // The synchronous destructor runs here, exactly once (called directly: `releaseFuture`
        // would dispatch through `ops` again).
        unsafe task.futureIsLive = false
        if unsafe !task.layout.futureIsTrivial { unsafe destroyFuture(task.block) }
        task.finish()
    }

    // Out of line: inlined, its stack temporary for `F` would lengthen every poll's prologue.
    @usableFromInline @inline(never)
    static func destroyFuture(_ block: UnsafeMutableRawPointer) {
        // SAFETY: called once per live future, with the block of a task made for `F`.
        _ = unsafe block.assumingMemoryBound(to: F.self).move()  // inlined: `deinitialize(count:)` goes through swift_arrayDestroy
    }

    @usableFromInline
    static func destroyOutput(_ slot: UnsafeMutableRawPointer) {
        // SAFETY: called once per untaken output, with the output slot of a task made for `F`.
        unsafe UnsafeMutablePointer<Output?>(OpaquePointer(slot)).deinitialize(count: 1)
    }

    @usableFromInline
    static var typeName: String { Quiesce.typeName(F.self) }
}
