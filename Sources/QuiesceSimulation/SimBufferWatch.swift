import Quiesce

/// Watches ``IOBuffer`` allocations and frees for the simulation: a buffer freed while an operation
/// the kernel holds points into it is a use-after-free in the making, and buffers still allocated at
/// the end of a run are leaks.
///
/// The library has the buffer hook in debug builds only (release builds never read it), so in a
/// release build watching does nothing and ``liveBufferCount`` stays 0.
extension SimBackend {
    /// Starts observing every ``IOBuffer`` of the process (one simulation at a time; tests are serial).
    /// The process keeps this simulation until ``stopWatchingBuffers()``.
    public func watchBuffers() {
        #if DEBUG
        unsafe IOBuffer.observer = self
        unsafe liveBuffers.removeAll()
        #endif
    }

    /// Stops observing, if this simulation is the observer.
    public func stopWatchingBuffers() {
        #if DEBUG
        if unsafe IOBuffer.observer === self { unsafe IOBuffer.observer = nil }
        #endif
    }

    /// Buffers allocated since ``watchBuffers()`` and not freed yet (0 in release builds).
    public var liveBufferCount: Int { unsafe liveBuffers.count }
}

#if DEBUG
extension SimBackend: IOBufferObserver {
    package func bufferAllocated(_ base: UnsafeMutableRawPointer, capacity: Int) {
        unsafe liveBuffers.insert(base)
    }

    package func bufferFreed(_ base: UnsafeMutableRawPointer, capacity: Int) {
        // SAFETY: addresses are only compared, never dereferenced.
        unsafe liveBuffers.remove(base)
        let start = UInt(bitPattern: base), end = start + UInt(max(capacity, 1))
        for unsafe (userData, region) in unsafe inFlight {
            guard let region = unsafe region ?? nil, let regionBase = region.baseAddress else { continue }
            let address = UInt(bitPattern: regionBase)
            if address >= start && address < end || (region.count > 0 && address < start && address + UInt(region.count) > start) {
                violation(unsafe "buffer \(base) freed while operation \(OpToken.decode(userData).token) is in flight")
                freedRegions.insert(userData)  // the simulated kernel must not touch it: report, don't corrupt
            }
        }
        unsafe checkLentRegions(freedFrom: start, to: end, base: base)
    }
}
#endif
