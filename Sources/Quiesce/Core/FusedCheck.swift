/// Debug-build check of rule 3 of the drop contract: after `.ready`, `pollDropReady` answers `.ready`.
///
/// Called where a drop completes (tasks, ``AsyncDrop``). In release builds it compiles to nothing.
@inlinable
func checkFusedAfterReady<T: AsyncDroppable & ~Copyable>(_ value: inout T, _ cx: inout Context) {
    #if DEBUG
    if !value.pollDropReady(&cx).isReady {
        cx.report(Diagnostic(.notFused,
            "pollDropReady of \(typeName(T.self)) returned .pending after it had returned .ready; wrap it in Fused or keep a drop flag"))
    }
    #endif
}

/// The unqualified name of a type, noncopyable ones included, for diagnostics.
@usableFromInline
func typeName<T: ~Copyable>(_ type: T.Type) -> String {
    let metatype: any ~Copyable.Type = type
    // Metatypes of noncopyable types are not `Any.Type` yet; the name lookup only reads the metadata.
    return _typeName(unsafeBitCast(metatype, to: Any.Type.self), qualified: false)
}
