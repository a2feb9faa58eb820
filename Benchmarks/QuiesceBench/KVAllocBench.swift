#if canImport(Glibc)
import Glibc
#endif
import CRawRing
import Quiesce
import QuiesceKVCore

/// One load the KV allocation count puts on the server: a request repeated, the reply's length.
struct KVLoad {
    let request: [UInt8]
    let replyLength: UInt32
    /// Requests per connection.
    let messages: Int

    /// `SET key xyz` in RESP: the key exists after the first one; answered `+OK`.
    static func set(_ messages: Int) -> KVLoad {
        KVLoad(request: Array("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$3\r\nxyz\r\n".utf8), replyLength: 5, messages: messages)
    }

    /// `GET key` in RESP, answered `$3 xyz` once a SET has run.
    static func get(_ messages: Int) -> KVLoad {
        KVLoad(request: Array("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n".utf8), replyLength: 9, messages: messages)
    }
}

/// Counts on the executor's thread: runs each load in turn (the C generator on its own thread,
/// 50 connections, one request in flight each), counting heap allocations in the whole process
/// from just before the generator starts until it has finished, then asks the server to shut
/// down. The generator tells it is done by writing 8 bytes to a pipe that `makeWait`'s operation
/// reads.
@safe
struct KVAllocPhases<Wait: Future & ~Copyable>: Future, ~Copyable {
    // SAFETY: `generator` is the running load generator of the current phase, from its start
    // until this poll has joined and freed it (exactly once, after it wrote the pipe); nil otherwise.
    let server: KVServer
    let loads: [KVLoad]
    let counts: CountBox
    /// The pipe's writing end, for the generator.
    let doneWrite: Int32
    /// A read of the pipe's reading end: ready once the generator has written.
    let makeWait: () -> Wait
    var index = 0
    var generator: OpaquePointer? = nil
    var before: UInt64 = 0
    var wait: Wait? = nil

    init(server: KVServer, loads: [KVLoad], counts: CountBox, doneWrite: Int32, makeWait: @escaping () -> Wait) {
        self.server = server; self.loads = loads; self.counts = counts
        self.doneWrite = doneWrite; self.makeWait = makeWait
    }

    mutating func poll(_ cx: inout Context) -> Poll<Void> {
        while true {
            if wait == nil {
                guard index < loads.count else {
                    server.requestShutdown()
                    return .ready(())
                }
                let load = loads[index]
                crr_alloc_counting(1)
                before = crr_alloc_count()
                // SAFETY: the request's bytes are copied by crr_loadgen_start before it returns.
                unsafe generator = unsafe load.request.withUnsafeBytes { bytes in
                    var spec = unsafe crr_load(port: server.port, conns: 50, msgs: UInt32(load.messages), depth: 1,
                                               request: bytes.baseAddress, request_len: UInt32(bytes.count),
                                               reply_len: load.replyLength, done_fd: doneWrite)
                    return unsafe crr_loadgen_start(&spec)
                }
                if unsafe generator == nil { fail("cannot start the KV load generator") }
                wait = .some(makeWait())
            }
            guard wait!.poll(&cx).isReady else { return .pending }
            wait = nil
            var elapsed: Int64 = 0
            var messages: UInt64 = 0
            var latencies: UnsafePointer<UInt64>? = nil
            // SAFETY: the generator has written the eventfd as its last act: the join returns at
            // once, and it is freed exactly once, here.
            let rc = unsafe crr_loadgen_join(generator, &elapsed, &messages, &latencies)
            // Read and stop before the count is stored: storing it must not fall in the window.
            let counted = crr_alloc_count() - before
            crr_alloc_counting(0)
            counts.values.append(counted)
            unsafe crr_loadgen_free(generator)
            unsafe generator = nil
            if rc < 0 { fail("KV load generator: errno \(-rc)") }
            index += 1
        }
    }

    mutating func pollDropReady(_ cx: inout Context) -> Poll<Void> {
        wait == nil ? .ready(()) : wait!.pollDropReady(&cx)
    }
}

/// Allocation counts, one per load, filled on the executor's thread (its capacity reserved up
/// front, so that storing a count allocates nothing).
final class CountBox { var values: [UInt64] = [] }

/// 9. Heap allocations per KV request in steady state (GET and SET of an existing key): the
/// QuiesceKV server (its library, QuiesceKVCore) runs on an executor in this process, where the
/// harness's allocation counter sees it. Two runs of each command that differ only in their
/// request count: what a connection costs once cancels out.
enum KVAllocBench {
    static func perRequest(_ config: Config) -> (get: Double, set: Double) {
        let few = Swift.max(1, config.kvAllocRequests / 4), many = config.kvAllocRequests
        let loads: [KVLoad] = [.set(few), .get(few), .set(few), .set(many), .get(few), .get(many)]
        var serverConfig = ServerConfig()
        serverConfig.port = 0
        let server: KVServer
        do { server = try KVServer(config: serverConfig) } catch { fail("KV server: \(error)") }
        let done = makePipe()
        defer { close(done.read); close(done.write) }
        let counts = CountBox()
        counts.values.reserveCapacity(loads.count)
        let executor = makeExecutor(entries: config.entries)
        let phases = KVAllocPhases(server: server, loads: loads, counts: counts, doneWrite: done.write,
                                   makeWait: { IO.read(done.read, into: IOBuffer(capacity: 8)) })
        executor.spawn(phases, name: "kv-alloc").detach()
        do {
            let report = try server.run(on: executor)
            if !report.isClean { fail("KV server: \(report)") }
        } catch { fail("KV server: \(error)") }
        let c = counts.values.map { Double($0) }
        let perRequest = Double((many - few) * 50)
        return (get: (c[5] - c[4]) / perRequest, set: (c[3] - c[2]) / perRequest)
    }
}
