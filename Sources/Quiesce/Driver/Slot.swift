/// One operation's entry in the driver's table: what kind of operation it is, the buffer the kernel
/// uses, the result once it arrives, who to wake, and where the cancellation protocol stands.
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
    /// A completion with IORING_CQE_F_MORE was handed over (a multishot element, a zero-copy
    /// send's result).
    var deliveredMore = false
    /// A zero-copy send's notification arrived before its result, which is still to come.
    var notifiedEarly = false
    /// The kind reads its scratch memory back on completion (``OperationKind/settlesFromScratch``).
    var settles = false
    /// The provided-buffer ring the entry named, for giving back a buffer nobody took (for a
    /// fixed-buffer operation: the registered buffer's index, which shares the entry's field).
    var bufferGroup: UInt16 = 0
    /// The registrations the operation uses (``RegisteredTables/usesFiles``,
    /// ``RegisteredTables/usesBuffers``), which count it until the kernel is done with it.
    var registered: UInt8 = 0
    var cancelResult: Int32 = 0
    var result: Int32 = 0
    var flags: UInt32 = 0
    /// The operation's kind: its name, how to settle its completion and what to release.
    var kind: any OperationKind.Type = IO.Nop.self
    var buffer: IOBuffer? = nil
    /// Memory lent to the kernel beyond `buffer` (``OperationKind/lentMemory``): kept alive until the
    /// slot is freed, after the kernel is done with it.
    var lent: AnyObject? = nil
    var waker: HeldWaker = unsafe .none
    /// Completions of a multishot operation not taken yet (each with IORING_CQE_F_MORE); `nil` until
    /// the first one arrives.
    var more: RingBuffer<CompletionRecord>? = nil
    var nextFree: UInt32
    /// For the first operation of a linked pair waiting in the backlog: its partner's slot, which
    /// must be handed to the kernel right behind it (``Slot/none`` otherwise).
    var linkPartner: UInt32 = Slot.none

    init(nextFree: UInt32) { self.nextFree = nextFree }
}

/// One completion's result and flags, kept until its owner takes it.
struct CompletionRecord {
    var result: Int32
    var flags: UInt32
}
