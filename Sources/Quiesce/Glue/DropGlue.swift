// Fixed arities 1…6, because Swift 6.3 does not accept `inout` value packs at a call site
// (`f(&a, &b)` into `repeat inout each T`).

/// Drop glue: how a value made of droppable parts gets its drop readiness from its parts.
///
/// Order matches synchronous drop: a value's own cleanup first (outside-in), then its fields in
/// declaration order; the locals of a scope in reverse order of declaration. A user type composes
/// its drop in a few lines:
///
/// ```swift
/// struct Session: AsyncDroppable, ~Copyable {
///     var connection: Connection   // flushes on drop
///     var log: LogFile             // syncs on drop
///     mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
///         DropGlue.sequence(&cx, &connection, &log)
///     }
/// }
/// ```
public enum DropGlue {
    /// Drops 1 parts one after another, in the order given; stops at the first pending part.
    /// Stateless: every part's drop readiness is fused, so parts already done answer `.ready` again.
    @inlinable
    public static func sequence<A: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A
    ) -> Poll<Void> {
        guard a.pollDropReady(&cx).isReady else { return .pending }
        return .ready(())
    }

    /// Drives the drop readiness of 1 parts at once; ready when all are.
    @inlinable
    public static func join<A: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A
    ) -> Poll<Void> {
        var ready = true
        ready = a.pollDropReady(&cx).isReady && ready
        return ready ? .ready(()) : .pending
    }

    /// Drops 2 parts one after another, in the order given; stops at the first pending part.
    /// Stateless: every part's drop readiness is fused, so parts already done answer `.ready` again.
    @inlinable
    public static func sequence<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B
    ) -> Poll<Void> {
        guard a.pollDropReady(&cx).isReady else { return .pending }
        guard b.pollDropReady(&cx).isReady else { return .pending }
        return .ready(())
    }

    /// Drives the drop readiness of 2 parts at once; ready when all are.
    @inlinable
    public static func join<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B
    ) -> Poll<Void> {
        var ready = true
        ready = a.pollDropReady(&cx).isReady && ready
        ready = b.pollDropReady(&cx).isReady && ready
        return ready ? .ready(()) : .pending
    }

    /// Drops 3 parts one after another, in the order given; stops at the first pending part.
    /// Stateless: every part's drop readiness is fused, so parts already done answer `.ready` again.
    @inlinable
    public static func sequence<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable, C: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B, _ c: inout C
    ) -> Poll<Void> {
        guard a.pollDropReady(&cx).isReady else { return .pending }
        guard b.pollDropReady(&cx).isReady else { return .pending }
        guard c.pollDropReady(&cx).isReady else { return .pending }
        return .ready(())
    }

    /// Drives the drop readiness of 3 parts at once; ready when all are.
    @inlinable
    public static func join<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable, C: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B, _ c: inout C
    ) -> Poll<Void> {
        var ready = true
        ready = a.pollDropReady(&cx).isReady && ready
        ready = b.pollDropReady(&cx).isReady && ready
        ready = c.pollDropReady(&cx).isReady && ready
        return ready ? .ready(()) : .pending
    }

    /// Drops 4 parts one after another, in the order given; stops at the first pending part.
    /// Stateless: every part's drop readiness is fused, so parts already done answer `.ready` again.
    @inlinable
    public static func sequence<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable, C: AsyncDroppable & ~Copyable, D: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B, _ c: inout C, _ d: inout D
    ) -> Poll<Void> {
        guard a.pollDropReady(&cx).isReady else { return .pending }
        guard b.pollDropReady(&cx).isReady else { return .pending }
        guard c.pollDropReady(&cx).isReady else { return .pending }
        guard d.pollDropReady(&cx).isReady else { return .pending }
        return .ready(())
    }

    /// Drives the drop readiness of 4 parts at once; ready when all are.
    @inlinable
    public static func join<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable, C: AsyncDroppable & ~Copyable, D: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B, _ c: inout C, _ d: inout D
    ) -> Poll<Void> {
        var ready = true
        ready = a.pollDropReady(&cx).isReady && ready
        ready = b.pollDropReady(&cx).isReady && ready
        ready = c.pollDropReady(&cx).isReady && ready
        ready = d.pollDropReady(&cx).isReady && ready
        return ready ? .ready(()) : .pending
    }

    /// Drops 5 parts one after another, in the order given; stops at the first pending part.
    /// Stateless: every part's drop readiness is fused, so parts already done answer `.ready` again.
    @inlinable
    public static func sequence<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable, C: AsyncDroppable & ~Copyable, D: AsyncDroppable & ~Copyable, E: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B, _ c: inout C, _ d: inout D, _ e: inout E
    ) -> Poll<Void> {
        guard a.pollDropReady(&cx).isReady else { return .pending }
        guard b.pollDropReady(&cx).isReady else { return .pending }
        guard c.pollDropReady(&cx).isReady else { return .pending }
        guard d.pollDropReady(&cx).isReady else { return .pending }
        guard e.pollDropReady(&cx).isReady else { return .pending }
        return .ready(())
    }

    /// Drives the drop readiness of 5 parts at once; ready when all are.
    @inlinable
    public static func join<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable, C: AsyncDroppable & ~Copyable, D: AsyncDroppable & ~Copyable, E: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B, _ c: inout C, _ d: inout D, _ e: inout E
    ) -> Poll<Void> {
        var ready = true
        ready = a.pollDropReady(&cx).isReady && ready
        ready = b.pollDropReady(&cx).isReady && ready
        ready = c.pollDropReady(&cx).isReady && ready
        ready = d.pollDropReady(&cx).isReady && ready
        ready = e.pollDropReady(&cx).isReady && ready
        return ready ? .ready(()) : .pending
    }

    /// Drops 6 parts one after another, in the order given; stops at the first pending part.
    /// Stateless: every part's drop readiness is fused, so parts already done answer `.ready` again.
    @inlinable
    public static func sequence<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable, C: AsyncDroppable & ~Copyable, D: AsyncDroppable & ~Copyable, E: AsyncDroppable & ~Copyable, F: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B, _ c: inout C, _ d: inout D, _ e: inout E, _ f: inout F
    ) -> Poll<Void> {
        guard a.pollDropReady(&cx).isReady else { return .pending }
        guard b.pollDropReady(&cx).isReady else { return .pending }
        guard c.pollDropReady(&cx).isReady else { return .pending }
        guard d.pollDropReady(&cx).isReady else { return .pending }
        guard e.pollDropReady(&cx).isReady else { return .pending }
        guard f.pollDropReady(&cx).isReady else { return .pending }
        return .ready(())
    }

    /// Drives the drop readiness of 6 parts at once; ready when all are.
    @inlinable
    public static func join<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable, C: AsyncDroppable & ~Copyable, D: AsyncDroppable & ~Copyable, E: AsyncDroppable & ~Copyable, F: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B, _ c: inout C, _ d: inout D, _ e: inout E, _ f: inout F
    ) -> Poll<Void> {
        var ready = true
        ready = a.pollDropReady(&cx).isReady && ready
        ready = b.pollDropReady(&cx).isReady && ready
        ready = c.pollDropReady(&cx).isReady && ready
        ready = d.pollDropReady(&cx).isReady && ready
        ready = e.pollDropReady(&cx).isReady && ready
        ready = f.pollDropReady(&cx).isReady && ready
        return ready ? .ready(()) : .pending
    }
}
