/// Names one operation in the driver: a slot and that slot's generation.
///
/// The generation changes every time a slot is reused, so a token (or a completion) from an earlier
/// use can never touch a later operation. The `user_data` of a submission is the token's bits.
public struct OpToken: Hashable, Sendable, CustomStringConvertible {
    /// The slot's index.
    public let index: UInt32
    /// The slot's generation when this operation was submitted (31 bits).
    public let generation: UInt32

    static let cancelBit: UInt64 = 1 << 63

    init(index: UInt32, generation: UInt32) {
        self.index = index
        self.generation = generation & 0x7FFF_FFFF
    }

    /// The operation's `user_data`: generation in the high half, slot in the low half.
    public var userData: UInt64 { UInt64(generation) << 32 | UInt64(index) }

    /// The `user_data` of the cancel request that targets this operation.
    var cancelUserData: UInt64 { userData | OpToken.cancelBit }

    /// Decodes a `user_data`; `isCancel` tells whether it tagged a cancel request.
    package static func decode(_ userData: UInt64) -> (token: OpToken, isCancel: Bool) {
        let isCancel = userData & cancelBit != 0
        let bits = userData & ~cancelBit
        return (OpToken(index: UInt32(truncatingIfNeeded: bits), generation: UInt32(truncatingIfNeeded: bits >> 32)), isCancel)
    }

    /// `slot#generation`.
    public var description: String { "op \(index)#\(generation)" }
}
