// Fixed arities 1…6, because Swift 6.3 does not accept `inout` value packs at a call site
// (`f(&a, &b)` into `repeat inout each T`).

/// Drop glue: how a value made of droppable parts gets its drop readiness from its parts.
///
/// Debug builds check each part's fusedness where it answers `.ready` and report a part that does
/// not stay ready, by its type (``Diagnostic/Kind/notFused``).
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
    /// Drops 1 part; pending while it is.
    /// Stateless: every part's drop readiness is fused, so parts already done answer `.ready` again.
    @inlinable
    public static func sequence<A: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A
    ) -> Poll<Void> {
        guard partDropReady(&a, &cx) else { return .pending }
        return .ready(())
    }

    /// Drives the drop readiness of 1 part; ready when it is.
    @inlinable
    public static func join<A: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A
    ) -> Poll<Void> {
        var ready = true
        ready = partDropReady(&a, &cx) && ready
        return ready ? .ready(()) : .pending
    }

    /// Drops 2 parts one after another, in the order given; stops at the first pending part.
    /// Stateless: every part's drop readiness is fused, so parts already done answer `.ready` again.
    @inlinable
    public static func sequence<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B
    ) -> Poll<Void> {
        guard partDropReady(&a, &cx) else { return .pending }
        guard partDropReady(&b, &cx) else { return .pending }
        return .ready(())
    }

    /// Drives the drop readiness of 2 parts at once; ready when all are.
    @inlinable
    public static func join<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B
    ) -> Poll<Void> {
        var ready = true
        ready = partDropReady(&a, &cx) && ready
        ready = partDropReady(&b, &cx) && ready
        return ready ? .ready(()) : .pending
    }

    /// Drops 3 parts one after another, in the order given; stops at the first pending part.
    /// Stateless: every part's drop readiness is fused, so parts already done answer `.ready` again.
    @inlinable
    public static func sequence<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable, C: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B, _ c: inout C
    ) -> Poll<Void> {
        guard partDropReady(&a, &cx) else { return .pending }
        guard partDropReady(&b, &cx) else { return .pending }
        guard partDropReady(&c, &cx) else { return .pending }
        return .ready(())
    }

    /// Drives the drop readiness of 3 parts at once; ready when all are.
    @inlinable
    public static func join<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable, C: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B, _ c: inout C
    ) -> Poll<Void> {
        var ready = true
        ready = partDropReady(&a, &cx) && ready
        ready = partDropReady(&b, &cx) && ready
        ready = partDropReady(&c, &cx) && ready
        return ready ? .ready(()) : .pending
    }

    /// Drops 4 parts one after another, in the order given; stops at the first pending part.
    /// Stateless: every part's drop readiness is fused, so parts already done answer `.ready` again.
    @inlinable
    public static func sequence<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable, C: AsyncDroppable & ~Copyable, D: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B, _ c: inout C, _ d: inout D
    ) -> Poll<Void> {
        guard partDropReady(&a, &cx) else { return .pending }
        guard partDropReady(&b, &cx) else { return .pending }
        guard partDropReady(&c, &cx) else { return .pending }
        guard partDropReady(&d, &cx) else { return .pending }
        return .ready(())
    }

    /// Drives the drop readiness of 4 parts at once; ready when all are.
    @inlinable
    public static func join<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable, C: AsyncDroppable & ~Copyable, D: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B, _ c: inout C, _ d: inout D
    ) -> Poll<Void> {
        var ready = true
        ready = partDropReady(&a, &cx) && ready
        ready = partDropReady(&b, &cx) && ready
        ready = partDropReady(&c, &cx) && ready
        ready = partDropReady(&d, &cx) && ready
        return ready ? .ready(()) : .pending
    }

    /// Drops 5 parts one after another, in the order given; stops at the first pending part.
    /// Stateless: every part's drop readiness is fused, so parts already done answer `.ready` again.
    @inlinable
    public static func sequence<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable, C: AsyncDroppable & ~Copyable, D: AsyncDroppable & ~Copyable, E: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B, _ c: inout C, _ d: inout D, _ e: inout E
    ) -> Poll<Void> {
        guard partDropReady(&a, &cx) else { return .pending }
        guard partDropReady(&b, &cx) else { return .pending }
        guard partDropReady(&c, &cx) else { return .pending }
        guard partDropReady(&d, &cx) else { return .pending }
        guard partDropReady(&e, &cx) else { return .pending }
        return .ready(())
    }

    /// Drives the drop readiness of 5 parts at once; ready when all are.
    @inlinable
    public static func join<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable, C: AsyncDroppable & ~Copyable, D: AsyncDroppable & ~Copyable, E: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B, _ c: inout C, _ d: inout D, _ e: inout E
    ) -> Poll<Void> {
        var ready = true
        ready = partDropReady(&a, &cx) && ready
        ready = partDropReady(&b, &cx) && ready
        ready = partDropReady(&c, &cx) && ready
        ready = partDropReady(&d, &cx) && ready
        ready = partDropReady(&e, &cx) && ready
        return ready ? .ready(()) : .pending
    }

    /// Drops 6 parts one after another, in the order given; stops at the first pending part.
    /// Stateless: every part's drop readiness is fused, so parts already done answer `.ready` again.
    @inlinable
    public static func sequence<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable, C: AsyncDroppable & ~Copyable, D: AsyncDroppable & ~Copyable, E: AsyncDroppable & ~Copyable, F: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B, _ c: inout C, _ d: inout D, _ e: inout E, _ f: inout F
    ) -> Poll<Void> {
        guard partDropReady(&a, &cx) else { return .pending }
        guard partDropReady(&b, &cx) else { return .pending }
        guard partDropReady(&c, &cx) else { return .pending }
        guard partDropReady(&d, &cx) else { return .pending }
        guard partDropReady(&e, &cx) else { return .pending }
        guard partDropReady(&f, &cx) else { return .pending }
        return .ready(())
    }

    /// Drives the drop readiness of 6 parts at once; ready when all are.
    @inlinable
    public static func join<A: AsyncDroppable & ~Copyable, B: AsyncDroppable & ~Copyable, C: AsyncDroppable & ~Copyable, D: AsyncDroppable & ~Copyable, E: AsyncDroppable & ~Copyable, F: AsyncDroppable & ~Copyable>(
        _ cx: inout Context, _ a: inout A, _ b: inout B, _ c: inout C, _ d: inout D, _ e: inout E, _ f: inout F
    ) -> Poll<Void> {
        var ready = true
        ready = partDropReady(&a, &cx) && ready
        ready = partDropReady(&b, &cx) && ready
        ready = partDropReady(&c, &cx) && ready
        ready = partDropReady(&d, &cx) && ready
        ready = partDropReady(&e, &cx) && ready
        ready = partDropReady(&f, &cx) && ready
        return ready ? .ready(()) : .pending
    }
}
