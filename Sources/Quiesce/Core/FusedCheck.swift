/// Debug-build check of rule 3 of the drop contract: after `.ready`, `pollDropReady` answers `.ready`.
///
/// Called wherever a drop answers `.ready` to the code driving it: tasks, ``AsyncDrop``, and every
/// glue site (``DropGlue``, ``Select``, ``Timeout``, arrays, ``InOrder``, ``DropArray``). The value is
/// asked once more at once; an answer other than `.ready` is reported as
/// ``Diagnostic/Kind/notFused``, naming the value's type. The second call is made with the context
/// marked, so glue nested inside the value does not check again while being checked (one extra call
/// per level, not one per path). In release builds it compiles to nothing.
@inlinable
func checkFusedAfterReady<T: AsyncDroppable & ~Copyable>(_ value: inout T, _ cx: inout Context) {
    #if DEBUG
    guard !cx.isCheckingFusedness else { return }
    cx.isCheckingFusedness = true
    let readyAgain = value.pollDropReady(&cx).isReady
    cx.isCheckingFusedness = false
    if !readyAgain {
        cx.report(Diagnostic(.notFused,
            "pollDropReady of \(typeName(T.self)) returned .pending after it had returned .ready; wrap it in Fused or keep a drop flag"))
    }
    #endif
}

/// Drives one part's drop readiness at a glue site: `true` once it is ready (checked for fusedness in
/// debug builds, see ``checkFusedAfterReady(_:_:)``).
@inlinable
func partDropReady<T: AsyncDroppable & ~Copyable>(_ part: inout T, _ cx: inout Context) -> Bool {
    guard part.pollDropReady(&cx).isReady else { return false }
    checkFusedAfterReady(&part, &cx)
    return true
}

/// The unqualified name of a type, noncopyable ones included, for diagnostics.
@usableFromInline
func typeName<T: ~Copyable>(_ type: T.Type) -> String {
    let metatype: any ~Copyable.Type = type
    // SAFETY: metatypes of noncopyable types are not `Any.Type` yet; the bit cast only relabels the
    // metadata pointer, and the name lookup only reads the metadata.
    return unsafe _typeName(unsafeBitCast(metatype, to: Any.Type.self), qualified: false)
}
