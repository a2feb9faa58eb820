/// One stage of a composed future: polled to completion, then async-dropped, and only then is its
/// output handed on.
///
/// A future that completed may still have asynchronous cleanup (its drop contract holds after
/// `.ready` too), so a combinator never releases a finished stage before its drop is done. The
/// combinators (``Map``, ``Then``, ``Loop``, ``Finally``) keep their stages in this and so drop
/// exactly the live one.
///
/// Where the stage is lives in `phase`, a byte, and the stage reads its future in place by that
/// alone: asking a large noncopyable enum for its case copies or decodes the whole value, and a
/// stage is asked on every poll. The future lies in a ``StageSlot``, emptied with two byte stores.
@usableFromInline
struct Stage<F: Future & ~Copyable>: AsyncDroppable, ~Copyable {
    /// The future, until its drop is done: then it is released at once, before its output moves on.
    @usableFromInline var future: StageSlot<F>
    /// Its output, kept while its drop finishes.
    @usableFromInline var output: Optional<F.Output>
    /// Where the stage is.
    @usableFromInline var phase: StagePhase

    @inlinable
    init(_ future: consuming F) {
        self.future = .filled(future)
        self.output = nil
        self.phase = .running
    }

    /// Runs the future `make(argument)` returns in this stage, whose previous future is released
    /// (its drop done): the future is returned straight into the stage's storage where it can.
    @inlinable @inline(__always)
    mutating func start<Argument: ~Copyable>(building make: (consuming Argument) -> F, _ argument: consuming Argument) {
        assert(phase == .finished || phase == .vacated, "a stage started while its future is live")
        // SAFETY: a finished stage holds an empty slot and a vacated one a destroyed future: either
        // way nothing is left to destroy.
        unsafe StageSlot.fill(&future, building: { (_: Void, argument: consuming Argument) in make(argument) }, (), argument)
        phase = .running
    }

    /// Makes the bytes at `storage`, which hold no initialized stage (storage just vacated by
    /// another value), a running stage of the future `make(carried, argument)` returns, each part
    /// initialized where it lies.
    @inlinable @inline(__always)
    @unsafe
    static func initializeRunning<Carried, Argument: ~Copyable>(
        _ storage: UnsafeMutableRawPointer, building make: (Carried, consuming Argument) -> F,
        _ carried: Carried, _ argument: consuming Argument
    ) {
        unsafe storage.assumingMemoryBound(to: Self.self).pointee.initializeParts(building: make, carried, argument)
    }

    /// Initializes each part of `self`, whose bytes hold nothing initialized
    /// (``initializeRunning(_:building:_:_:)``).
    @inlinable @inline(__always)
    @unsafe
    mutating func initializeParts<Carried, Argument: ~Copyable>(
        building make: (Carried, consuming Argument) -> F, _ carried: Carried, _ argument: consuming Argument
    ) {
        // SAFETY: nothing in `self` is initialized, so each part is initialized without destroying
        // anything; the pointers live for the calls only, within the exclusive access to each part.
        unsafe StageSlot.fill(&future, building: make, carried, argument)
        unsafe withUnsafeMutablePointer(to: &output) { storage in unsafe storage.initialize(to: nil) }
        phase = .running
    }

    /// The future in place, with no check of the slot's case: the phase says it is there
    /// (``StagePhase/running`` or ``StagePhase/dropping``).
    @inlinable @inline(__always)
    mutating func withFuture<R: ~Copyable>(_ body: (inout F) -> R) -> R {
        assert(phase == .running || phase == .dropping, "a stage's future used while it is not live")
        // SAFETY: the phase says the slot holds the future. The pointer is used only within the
        // exclusive access to `future`.
        return unsafe withUnsafeMutablePointer(to: &future) { storage in
            unsafe body(&StageSlot.value(storage).pointee)
        }
    }

    /// Releases the future, whose drop is done, and marks the stage finished.
    @inlinable @inline(__always)
    mutating func releaseFuture() {
        assert(phase == .running || phase == .dropping, "a stage's future released while it is not live")
        // SAFETY: the phase says the slot holds the future: it is destroyed once, and the slot
        // made empty at once. The pointers are used only within the exclusive access to `future`.
        unsafe withUnsafeMutablePointer(to: &future) { storage in
            unsafe StageSlot.value(storage).deinitialize(count: 1)
            unsafe StageSlot.writeEmpty(storage)
        }
        phase = .finished
    }

    /// `.ready` with the output once the future has completed *and* its drop is done. Call only
    /// while the stage has a live future.
    @inlinable @inline(__always)
    mutating func poll(_ cx: inout Context) -> Poll<F.Output> { pollThenRelease(&cx, vacating: false) }

    /// ``poll(_:)`` for a caller that starts the next future at once: on `.ready` the future is
    /// destroyed and the stage left ``StagePhase/vacated``, its slot not made empty (the next
    /// future is built there at once). The caller must call ``start(building:_:)`` or ``settle()``
    /// before anything else uses or releases the stage.
    @inlinable @inline(__always)
    mutating func pollVacating(_ cx: inout Context) -> Poll<F.Output> { pollThenRelease(&cx, vacating: true) }

    /// Polls the live future and, once it has completed and its drop is done, releases it
    /// (``releaseFuture()``) or destroys it leaving the slot vacated (``vacate()``).
    @inlinable @inline(__always)
    mutating func pollThenRelease(_ cx: inout Context, vacating: Bool) -> Poll<F.Output> {
        if phase == .running {
            guard case .ready(let value) = withFuture({ $0.poll(&cx) }) else { return .pending }
            // A completed future's drop is most often done at once: then the output moves on
            // without being kept in the stage.
            guard withFuture({ partDropReady(&$0, &cx) }) else {
                output = consume value
                phase = .dropping
                return .pending
            }
            if vacating { vacate() } else { releaseFuture() }
            return .ready(value)
        }
        guard withFuture({ partDropReady(&$0, &cx) }) else { return .pending }
        if vacating { vacate() } else { releaseFuture() }
        return .ready(output.take()!)
    }

    /// Destroys the future, whose drop is done, and leaves the stage ``StagePhase/vacated``.
    @inlinable @inline(__always)
    mutating func vacate() {
        assert(phase == .running || phase == .dropping, "a stage's future vacated while it is not live")
        // SAFETY: the phase says the slot holds the future; it is destroyed once, and the phase
        // says so until `start` or `settle` makes the slot whole again.
        unsafe withUnsafeMutablePointer(to: &future) { storage in
            unsafe StageSlot.value(storage).deinitialize(count: 1)
        }
        phase = .vacated
    }

    /// Makes a vacated stage (``pollVacating(_:)``) a finished one: its slot is empty again.
    @inlinable
    mutating func settle() {
        assert(phase == .vacated, "only a vacated stage settles")
        // SAFETY: the slot holds a destroyed future: making it empty destroys nothing.
        unsafe withUnsafeMutablePointer(to: &future) { storage in unsafe StageSlot.writeEmpty(storage) }
        phase = .finished
    }

    /// Drives the future's drop (whether it completed or not); its output, if it had one, is
    /// released with it. Fused.
    @inlinable
    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        assert(phase != .vacated, "a vacated stage dropped before it was started or settled")
        guard phase != .finished else { return .ready(()) }
        guard withFuture({ partDropReady(&$0, &cx) }) else { return .pending }
        releaseFuture()
        output = nil
        return .ready(())
    }
}

/// Where a ``Stage`` is.
@usableFromInline
enum StagePhase: UInt8 {
    /// The future has not completed.
    case running
    /// The future completed (its output is kept) and its drop is under way.
    case dropping
    /// The future is released, after its drop.
    case finished
    /// The future is destroyed and its storage not yet whole: a next future is about to start
    /// (``Stage/pollVacating(_:)``). Never seen outside the poll that left it so.
    case vacated
}
