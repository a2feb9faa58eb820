/// The body of a ``Scope``: a future whose every poll is lent the scope's spawner.
///
/// The spawner is borrowed for the length of one poll only; being noncopyable and non-escaping, it
/// cannot be kept, so children can only be spawned from inside the scope, and none outlives it.
public protocol ScopeBody: AsyncDroppable, ~Copyable {
    /// What the scope produces.
    associatedtype Output: ~Copyable

    /// Makes progress, spawning children through `scope` as needed.
    mutating func poll(_ cx: inout Context, _ scope: borrowing ScopeSpawner) -> Poll<Output>
}

/// Spawns children into the ``Scope`` whose body is being polled.
public struct ScopeSpawner: ~Copyable, ~Escapable {
    @usableFromInline let state: ScopeState
    // SAFETY: the spawner is lent for one poll of the scope's body, which runs on this executor, so
    // the executor is alive whenever the spawner is (non-escaping, the spawner cannot be kept).
    @usableFromInline unowned(unsafe) let executor: Executor

    @_lifetime(immortal)
    init(state: ScopeState, executor: Executor) {
        self.state = state
        unsafe self.executor = executor
    }

    /// Spawns `future` as a child of the scope. The scope completes only after the child has; if the
    /// scope is cancelled or async-dropped, the child is cancelled and its async drop awaited.
    /// Dropping (or detaching) the returned handle does not release the child from the scope.
    ///
    /// Inlinable, like ``Executor/spawn(_:name:)``: the child's poller is formed where `F` is known.
    @inlinable
    public func spawn<F: Future & ~Copyable>(_ future: consuming F, name: String? = nil) -> JoinHandle<F.Output> {
        let task = unsafe executor.makeTask(future, name: name)
        state.adopt(task)
        return JoinHandle(task)
    }

    /// Children spawned so far that have not finished.
    public var liveChildren: Int { state.children.lazy.filter { unsafe $0.phase != .finished }.count }
}

@usableFromInline
final class ScopeState {
    var children: [RawTask] = []

    /// Adds a child the scope waits for.
    @usableFromInline
    func adopt(_ child: RawTask) { children.append(child) }

    /// Drops finished children from the list; `true` when none is left. Registers `waker` with the rest.
    func waitForChildren(_ waker: Waker, cancel: Bool) -> Bool {
        children.removeAll { unsafe $0.phase == .finished }
        for child in children {
            if cancel { child.requestCancel() }
            unsafe child.scopeWaker = waker
        }
        return children.isEmpty
    }
}

/// Structured concurrency: a future that completes only when its body *and every child spawned in
/// it* have completed. Cancelling or async-dropping the scope drops the body, cancels the children
/// and waits for their async drops.
///
/// ```swift
/// struct FanOut: ScopeBody {
///     var started = false
///     mutating func poll(_ cx: inout Context, _ scope: borrowing ScopeSpawner) -> Poll<Void> {
///         if !started { started = true; for i in 0..<3 { scope.spawn(Work(i)).detach() } }
///         return .ready(())          // the scope itself still waits for the three children
///     }
/// }
/// try executor.blockOn(Scope(FanOut()))
/// ```
public struct Scope<Body: ScopeBody & ~Copyable>: Future, ~Copyable {
    private enum Phase { case running, waitingForChildren, done }

    private var body: Body
    private let state = ScopeState()
    private var output: Body.Output?
    private var phase = Phase.running

    /// A scope around `body`.
    public init(_ body: consuming Body) { self.body = body }

    deinit {
        // Released without its async drop: the children are cancelled and the executor finishes
        // their async drops in the background (memory safety never depends on the async drop).
        for child in state.children where unsafe child.phase != .finished { child.requestCancel() }
    }

    /// Ready with the body's output once the body and all children have completed.
    public mutating func poll(_ cx: inout Context) -> Poll<Body.Output> {
        if phase == .running {
            guard let executor = cx.executor else {
                preconditionFailure("Scope polled outside an executor: children need one to run on")
            }
            let spawner = ScopeSpawner(state: state, executor: executor)
            switch body.poll(&cx, spawner) {
            case .pending: return .pending
            case .ready(let value):
                output = consume value
                phase = .waitingForChildren
            }
        }
        guard state.waitForChildren(cx.waker, cancel: false) else { return .pending }
        phase = .done
        return .ready(output.take()!)
    }

    /// Drops the body, cancels every child, and is ready once all their async drops have completed.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        let bodyReady = partDropReady(&body, &cx)
        let childrenReady = state.waitForChildren(cx.waker, cancel: true)
        return bodyReady && childrenReady ? .ready(()) : .pending
    }

    /// Children of this scope that have not finished.
    public var liveChildren: Int { state.children.lazy.filter { unsafe $0.phase != .finished }.count }
}
