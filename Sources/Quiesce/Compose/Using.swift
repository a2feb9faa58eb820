/// A future that owns a resource (a socket, a file) while its body runs, and drops it after the
/// body: its async drop drops the body first (cancelling what the body has in flight), then the
/// resource. Built by ``using(_:_:)``.
public struct Using<Resource: AsyncDroppable & ~Copyable, Body: Future & ~Copyable>: Future, ~Copyable {
    @usableFromInline var body: Body
    @usableFromInline var resource: Resource

    /// Runs `body` while owning `resource`.
    @inlinable
    public init(_ resource: consuming Resource, body: consuming Body) {
        self.resource = resource
        self.body = body
    }

    /// The body's output.
    @inlinable
    public mutating func poll(_ cx: inout Context) -> Poll<Body.Output> { body.poll(&cx) }

    /// Drops the body, then the resource.
    @inlinable
    public mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        DropGlue.sequence(&cx, &body, &resource)
    }
}

/// A future that owns `resource` while the future `body` builds from it (borrowed) runs, and drops
/// it after: a connection's socket closes once its protocol is done or dropped.
///
/// ```swift
/// let served = using(socket) { socket in serve(socket.raw) }  // the socket closes after serve
/// ```
@inlinable
public func using<Resource: AsyncDroppable & ~Copyable, Body: Future & ~Copyable>(
    _ resource: consuming Resource, _ body: (borrowing Resource) -> Body
) -> Using<Resource, Body> {
    let built = body(resource)
    return Using(resource, body: built)
}
