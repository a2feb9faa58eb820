/// One operation's entry in the driver's table: what was asked, the buffer the kernel uses, the
/// result once it arrives, who to wake, and where the cancellation protocol stands.
@safe
struct Slot: ~Copyable {
    // SAFETY: plain storage in the driver's slot table: only `DriverHandle` reads and writes it,
    // and it pairs every `waker` it stores with one hold and one let-go (see ``HeldWaker``).
    static let none = UInt32.max

    enum State: UInt8 { case free, backlog, inFlight, completed }
    // A plain byte (the cancel's result has its own field): compared on every completion.
    enum CancelState: UInt8 { case none, queued, submitted, done }

    var generation: UInt32 = 0
    var state: State = .free
    var orphaned = false
    var cancel: CancelState = .none
    var cancelResult: Int32 = 0
    var request: OpRequest = .nop
    var result: Int32 = 0
    var flags: UInt32 = 0
    var buffer: IOBuffer? = nil
    var waker: HeldWaker = unsafe .none
    var nextFree: UInt32

    init(nextFree: UInt32) { self.nextFree = nextFree }
}
