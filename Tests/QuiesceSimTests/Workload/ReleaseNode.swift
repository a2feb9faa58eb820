@testable import Quiesce

/// A leaf that releases the run's registered buffers or file table while other leaves may still
/// use them: asynchronously (ready once it is unregistered, after the last operation that uses it)
/// or synchronously (the driver unregisters it at that operation's completion). Later fixed
/// operations find no buffer to lend; operations on the table's files fail with EBADF. Dropped
/// before its async release is over, it leaves the rest to the driver (a synchronous release).
final class ReleaseNode: Node {
    enum Resource { case buffers, files }

    let resource: Resource
    let async: Bool
    let shared: SharedResources

    init(_ resource: Resource, async: Bool, shared: SharedResources, ledger: Ledger, owners: [Int]) {
        self.resource = resource
        self.async = async
        self.shared = shared
        super.init(ledger: ledger, owners: owners)
    }

    private var name: String { resource == .buffers ? "buffers" : "files" }

    /// The async release began (the resource was polled for its drop).
    var releasing = false

    override func poll(_ cx: inout Context) -> Poll<Void> {
        let users: Int?
        switch resource {
        case .buffers: users = shared.buffers?.operationsInFlight
        case .files: users = shared.files?.operationsInFlight
        }
        guard let users else { return .ready(()) }  // released already
        if !releasing && users > 0 { ledger.exercised("release.\(name).inUse") }
        if async {
            releasing = true
            let ready: Bool
            switch resource {
            case .buffers: ready = shared.buffers.pollDropReady(&cx).isReady
            case .files: ready = shared.files.pollDropReady(&cx).isReady
            }
            guard ready else { return .pending }
        }
        switch resource {
        case .buffers: shared.buffers = nil
        case .files: shared.files = nil
        }
        releasing = false
        ledger.exercised("release.\(name).\(async ? "async" : "sync")")
        return .ready(())
    }

    override func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        // A release under way goes on without this node: the driver unregisters at the last use.
        if releasing {
            switch resource {
            case .buffers: shared.buffers = nil
            case .files: shared.files = nil
            }
        }
        return .ready(())
    }
}
