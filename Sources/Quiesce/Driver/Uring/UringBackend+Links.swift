import CQuiesceUring

extension UringBackend {
    /// Copies two linked entries into the ring, one right behind the other, or neither: flushes
    /// the queue once when it has no room for both.
    public func prepareLinked(_ first: UnsafePointer<SubmissionEntry>, userData firstUserData: UInt64,
                              _ second: UnsafePointer<SubmissionEntry>, userData secondUserData: UInt64) -> Bool {
        // SAFETY: both entries come from free slots of the open ring, taken only once room for two
        // is known; the memory the entries point to is the driver's, valid until their completions
        // are reaped (the ``IOBackend`` contract).
        guard isOpen else { return false }
        if unsafe cqu_sq_space_left(ring) < 2 { _ = unsafe cqu_submit(ring) }
        guard unsafe cqu_sq_space_left(ring) >= 2,
              let a = unsafe cqu_get_sqe(ring), let b = unsafe cqu_get_sqe(ring) else { return false }
        unsafe a.pointee = first.pointee
        unsafe a.pointee.user_data = firstUserData
        unsafe b.pointee = second.pointee
        unsafe b.pointee.user_data = secondUserData
        return true
    }
}
