/// A wake target that can be held without a reference: each hold is a plain count, and the target's
/// owner, when it gives up its own reference, lets the target keep itself alive until the last hold
/// is let go.
///
/// The driver's slots hold the task that polled an operation this way (see `HeldWaker`): counting
/// a hold is a plain increment on the executor's thread, where a reference would be an atomic
/// read-modify-write pair. The driver sees only this interface, never the task behind it; the
/// executor's tasks are its one subclass (see ``RawTask`` for who owns a task when).
@usableFromInline
class CountedWakeTarget: WakeTarget {
    /// Holds taken and not let go yet. Touched on the executor's thread only.
    @exclusivity(unchecked) final var holds = 0
    /// The target keeps one reference on itself until `holds` drops to 0 (set by
    /// ``keepAliveWhileHeld()``).
    @exclusivity(unchecked) final var keptForHolds = false

    /// Counts one more hold.
    @inline(__always)
    final func hold() { unsafe holds &+= 1 }

    /// The owner is giving up the reference that kept the target alive: while holds remain, the
    /// target keeps itself alive until they are let go. A target kept this way is not uniquely
    /// referenced, so nothing that recycles uniquely referenced targets reuses it meanwhile.
    final func keepAliveWhileHeld() {
        // SAFETY: the reference taken here is released exactly once, by the `letGo` that brings
        // `holds` to 0 (`keptForHolds` marks it taken).
        guard unsafe holds > 0, unsafe !keptForHolds else { return }
        unsafe keptForHolds = true
        _ = unsafe Unmanaged.passRetained(self)
    }

    /// Lets one hold of `target` go; the last one releases the reference the target kept for them.
    @inline(__always)
    static func letGo(_ target: Unmanaged<CountedWakeTarget>) {
        // SAFETY: `target` is alive: the caller gives up one of its holds, and while a hold remains
        // the target is kept alive by its owner or by itself (``keepAliveWhileHeld()``). `holds` is
        // touched on the executor's thread only.
        let release = unsafe target._withUnsafeGuaranteedRef { t -> Bool in
            unsafe t.holds &-= 1
            guard unsafe t.holds == 0, unsafe t.keptForHolds else { return false }
            unsafe t.keptForHolds = false
            return true
        }
        if _slowPath(release) { unsafe target.release() }
    }
}
