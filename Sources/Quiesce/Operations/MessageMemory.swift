#if canImport(Glibc)
import Glibc
#endif

/// The memory of one message operation that the kernel reads and writes beside the data: a
/// `msghdr`, the `iovec` it names, and room for an address.
///
/// A received message's address and flags are read back after the completion, when the driver's
/// slot (and its scratch memory) belongs to another operation already: so a receive keeps this in
/// its own allocation, lent to the slot (``OperationKind/lentMemory``) while in flight. A socket
/// that receives again and again lends the same few from its ``Pool``.
@usableFromInline
@safe
final class MessageMemory {
    // SAFETY: `layout` is the start of `storage`'s bytes (heap memory, 64-byte aligned, at least a
    // `Layout` long), initialized as a `Layout` by `init`; the bytes live, unmoved, as long as
    // `storage`, so for the object's life, which the operation and, while in flight, the driver's
    // slot extend. The header's pointers name the layout's own fields and the lent data region.
    @safe
    struct Layout {
        // SAFETY: plain C values; the pointers in them are only set by `fill` and only handed to
        // the kernel, never dereferenced in Swift.
        var header = unsafe msghdr()
        var vector = unsafe iovec()
        var address = sockaddr_storage()
    }

    /// The bytes behind `layout`: an ``IOBuffer``, so that the simulated driver's buffer watch sees
    /// them freed if they ever were while the kernel may write there.
    private let storage: IOBuffer
    let layout: UnsafeMutablePointer<Layout>

    init() {
        storage = IOBuffer(capacity: MemoryLayout<Layout>.size)
        unsafe layout = unsafe storage.spareRegion.baseAddress!.initializeMemory(as: Layout.self, repeating: Layout(), count: 1)
    }

    /// Fills the header for receiving one message into `region`, with room for the sender's
    /// address; returns it.
    func prepareReceive(into region: UnsafeMutableRawBufferPointer?) -> UnsafeMutablePointer<msghdr> {
        unsafe MessageMemory.fill(layout, region: region, address: .room)
    }

    /// What a header's address is.
    enum Address {
        /// Room for the sender's address, which the kernel fills (a receive).
        case room
        /// The destination (a send to an address).
        case destination(SocketAddress)
        /// None (a send on a connected socket).
        case none
    }

    /// The layout in a slot's scratch memory (a send's), its bytes as the last operation left
    /// them: ``fill(_:region:address:)`` sets every field the kernel reads.
    static func layout(in scratch: OpScratch) -> UnsafeMutablePointer<Layout> {
        // SAFETY: the scratch memory is `OpScratch.size` bytes at `OpScratch.alignment`, stable
        // while the operation is in flight, and holds only trivial values: a `Layout` (plain C
        // values) fits (checked here) and may be bound over whatever was there.
        precondition(MemoryLayout<Layout>.size <= OpScratch.size && MemoryLayout<Layout>.alignment <= OpScratch.alignment,
                     "a message layout does not fit in an operation's scratch memory")
        return unsafe scratch.base.bindMemory(to: Layout.self, capacity: 1)
    }

    /// Fills `layout` (wherever it lives: a receive's own allocation, a send's scratch memory) for
    /// one message over `region` (`nil`: none) with `address`; returns its header. Every header
    /// and vector field is set; of the address room, only a destination's own bytes are written
    /// (the header names exactly those).
    static func fill(_ layout: UnsafeMutablePointer<Layout>, region: UnsafeMutableRawBufferPointer?,
                     address: Address) -> UnsafeMutablePointer<msghdr> {
        // SAFETY: every pointer stored is to a field of `*layout` or into `region`, which the
        // caller keeps valid until the completion; a destination's bytes are at most its
        // `storage` long, smaller than the room they are copied into.
        let header = unsafe layout.pointer(to: \.header)!
        let vector = unsafe layout.pointer(to: \.vector)!
        let name = unsafe UnsafeMutableRawPointer(layout.pointer(to: \.address)!)
        unsafe vector.pointee = iovec(iov_base: region?.baseAddress, iov_len: region?.count ?? 0)
        var nameLength: socklen_t = 0
        switch address {
        case .room:
            nameLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        case .destination(let destination):
            nameLength = min(destination.length, socklen_t(MemoryLayout.size(ofValue: destination.storage)))
            unsafe withUnsafeBytes(of: destination.storage) { unsafe name.copyMemory(from: $0.baseAddress!, byteCount: Int(nameLength)) }
        case .none:
            break
        }
        unsafe header.pointee = msghdr(msg_name: nameLength > 0 ? name : nil, msg_namelen: nameLength, msg_iov: vector,
                                       msg_iovlen: 1, msg_control: nil, msg_controllen: 0, msg_flags: 0)
        return unsafe header
    }

    /// The address the kernel wrote (a receive's sender); `nil` when it wrote none.
    var receivedAddress: SocketAddress? {
        // SAFETY: the bytes read lie inside the layout's address room (the length is clamped to
        // it), which lives as long as this object.
        let length = unsafe layout.pointee.header.msg_namelen
        guard length > 0 else { return nil }
        let address = unsafe UnsafeRawPointer(layout.pointer(to: \.address)!)
        return unsafe SocketAddress(bytes: UnsafeRawBufferPointer(start: address,
                                                                  count: Int(min(length, socklen_t(MemoryLayout<sockaddr_storage>.size)))))
    }

    /// `true` when the kernel cut the message to fit (MSG_TRUNC in the header's flags).
    var wasTruncated: Bool { unsafe layout.pointee.header.msg_flags & Int32(MSG_TRUNC) != 0 }
}

extension MessageMemory {
    /// The message memory a socket lends its receives: a few ``MessageMemory`` objects, each lent
    /// again once nothing but the pool holds it, so that a socket's receives in steady state
    /// allocate nothing.
    ///
    /// A memory the kernel may still write is never lent twice: while a receive is in flight its
    /// driver slot holds a strong reference to the memory (``OperationKind/lentMemory``), also when
    /// the receive was dropped synchronously, and the operation holds one until it is dropped. Only
    /// a memory that no slot and no operation references (the pool's reference is the only one) is
    /// lent again. All of it runs on the executor's thread, which owns the socket.
    @usableFromInline
    @safe
    final class Pool {
        // SAFETY: `kept` is allocated by `init` for `capacity` memories and freed by `deinit`; its
        // first `keptCount` are initialized, the rest not. The fields are touched on the
        // executor's thread only (the socket's), never by overlapping accesses, so their dynamic
        // exclusivity checks are left out.
        /// The memories kept for reuse, at most ``capacity``.
        @exclusivity(unchecked) private var kept: UnsafeMutablePointer<MessageMemory>
        @exclusivity(unchecked) private var keptCount = 0
        /// Where the next search for a free memory starts: the one after the last lent.
        @exclusivity(unchecked) private var next = 0

        /// How many memories a pool keeps: as many receives on one socket at once allocate nothing.
        static let capacity = 16

        /// An empty pool; memories are made as receives first need them.
        init() { unsafe kept = .allocate(capacity: Pool.capacity) }

        deinit {
            unsafe kept.deinitialize(count: unsafe keptCount)
            unsafe kept.deallocate()
        }

        /// A memory no operation and no slot holds: a kept one when one is free, else a new one
        /// (kept too while the pool has room).
        func lend() -> MessageMemory {
            let count = unsafe keptCount
            var i = unsafe next
            for _ in 0..<count {
                if i == count { i = 0 }
                if unsafe isKnownUniquelyReferenced(&kept[i]) {
                    unsafe next = i + 1
                    return unsafe kept[i]
                }
                i += 1
            }
            let fresh = MessageMemory()
            if count < Pool.capacity {
                unsafe (kept + count).initialize(to: fresh)
                unsafe keptCount += 1
            }
            return fresh
        }
    }
}
