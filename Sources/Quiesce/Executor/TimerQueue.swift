/// Deadlines of sleeping futures: a binary heap of (deadline, timer) over a table of timers with
/// generations. Cancelling a timer frees its entry at once; its heap node is skipped when it
/// surfaces. Once grown to its working size it allocates nothing.
struct TimerQueue {
    struct ID: Equatable { let index: Int32; let generation: UInt32 }

    private struct Entry { var deadline: UInt64; var generation: UInt32; var waker: Waker?; var nextFree: Int32 }
    private struct Node { var deadline: UInt64; var index: Int32; var generation: UInt32 }

    private var entries: [Entry] = []
    private var freeHead: Int32 = -1
    private var heap: [Node] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func insert(deadline: UInt64, waker: Waker) -> ID {
        let index: Int32
        if freeHead >= 0 {
            index = freeHead
            freeHead = entries[Int(index)].nextFree
        } else {
            index = Int32(entries.count)
            entries.append(Entry(deadline: 0, generation: 0, waker: nil, nextFree: -1))
        }
        entries[Int(index)].deadline = deadline
        entries[Int(index)].waker = waker
        let generation = entries[Int(index)].generation
        heap.append(Node(deadline: deadline, index: index, generation: generation))
        siftUp(heap.count - 1)
        count += 1
        if heap.count > 64 && heap.count > 4 * count { compact() }
        return ID(index: index, generation: generation)
    }

    /// Replaces the waker of a live timer (a sleep polled from another task).
    mutating func updateWaker(_ id: ID, _ waker: Waker) {
        guard isLive(id) else { return }
        if !(entries[Int(id.index)].waker?.willWake(waker) ?? false) { entries[Int(id.index)].waker = waker }
    }

    func isLive(_ id: ID) -> Bool {
        Int(id.index) < entries.count && entries[Int(id.index)].generation == id.generation
            && entries[Int(id.index)].waker != nil
    }

    mutating func remove(_ id: ID) {
        guard isLive(id) else { return }
        free(Int(id.index))
    }

    private mutating func free(_ index: Int) {
        entries[index].generation &+= 1
        entries[index].waker = nil
        entries[index].nextFree = freeHead
        freeHead = Int32(index)
        count -= 1
    }

    /// The earliest live deadline.
    mutating func nextDeadline() -> UInt64? {
        // No live timer: nothing to look for (stale nodes go at the next compaction or firing).
        // Checked here, it spares an executor without timers a call on every turn that parks.
        guard count > 0 else { return nil }
        dropStaleTop()
        return heap.first?.deadline
    }

    /// Wakes (and frees) every timer whose deadline is at or before `now`. Returns how many.
    mutating func fire(now: UInt64) -> Int {
        var fired = 0
        while true {
            dropStaleTop()
            guard let top = heap.first, top.deadline <= now else { return fired }
            popTop()
            let waker = entries[Int(top.index)].waker
            free(Int(top.index))
            waker?.wake()
            fired += 1
        }
    }

    private mutating func dropStaleTop() {
        while let top = heap.first, entries[Int(top.index)].generation != top.generation
            || entries[Int(top.index)].waker == nil {
            popTop()
        }
    }

    private mutating func compact() {
        heap.removeAll { entries[Int($0.index)].generation != $0.generation || entries[Int($0.index)].waker == nil }
        for i in stride(from: heap.count / 2, through: 0, by: -1) { siftDown(i) }
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].deadline < heap[parent].deadline else { return }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let left = 2 * i + 1, right = left + 1
            var smallest = i
            if left < heap.count && heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count && heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == i { return }
            heap.swapAt(i, smallest)
            i = smallest
        }
    }
}

/// A timer armed on an executor (``Executor/armTimer(_:deadline:waker:)``): what a sleeping future
/// keeps to re-arm or cancel it, without reaching into the timer queue.
struct TimerHandle: Equatable {
    let id: TimerQueue.ID
}
