/// An array of droppable parts drops them all at once (join): ready when every element is.
extension Array: AsyncDroppable where Element: AsyncDroppable {
    /// Drives every element's drop readiness; ready when all are.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        var ready = true
        for index in indices where !partDropReady(&self[index], &cx) {
            ready = false
        }
        return ready ? .ready(()) : .pending
    }
}

/// An array whose elements are dropped one after another, in order, on request.
///
/// Keeps a cursor: an element that stays pending keeps its place, and the ones before it are not
/// polled again (no restart from the beginning).
public struct InOrder<Element: AsyncDroppable>: AsyncDroppable {
    /// The elements, dropped front to back.
    public var elements: [Element]
    /// How many elements have completed their drop.
    public private(set) var cursor = 0

    /// Wraps `elements`, to be dropped in order.
    public init(_ elements: [Element]) { self.elements = elements }

    /// Drops the element at the cursor; moves on when it is ready; `.ready` after the last.
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        while cursor < elements.count {
            guard partDropReady(&elements[cursor], &cx) else { return .pending }
            cursor += 1
        }
        return .ready(())
    }
}
