#if canImport(Glibc)
import Glibc
#endif

// QuiesceBench: Quiesce side by side with raw liburing (C, same package) and Swift concurrency.
//   QuiesceBench [--smoke] [--out DIR] [--reps N] [--swift-version TEXT] [--only NAME] [--pair NAME]
// Full runs print the table and write DIR/latest.{json,md,svg}; --smoke runs a few thousand
// iterations of everything, judges nothing and writes only when --out is given.

var config = Config()
var outDir: String? = nil
var swiftVersion: String? = nil
var pairName: String? = nil  // development: one figure, both sides, --reps times, ratio printed (nop1, nop32, nop256, nop1cpu, nop32cpu, cancel, linktimeout, pipe, spawn, handoff, echo1, echo50, echo50x16, echo50plain; kv, kvalways, kvcpu, kvalloc, rawsetups: see below)
var only: String? = nil  // profiling: run one Quiesce side alone (spawn, handoff, nop1, nop32, cancel, pipe, echo1, echo50)
var onlyCount: Int? = nil  // --count N: the NOP total of --only nop1/nop32/rawnop1/rawnop32 (instruction counts by difference)
var onlyPort: UInt16? = nil  // --port N: where --only echoserver/echoservercomposed/rawechoserver listen (default: a free port) and --only loadgen connects
var nopInstructionsOnly = false  // --nop-instructions: print the NOP instruction counts (valgrind) and stop
var echoInstructionsOnly = false  // --echo-instructions: print the echo instruction counts (valgrind) and stop
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--smoke": config = .smokeConfig
    case "--out": outDir = arguments.popFirst()
    case "--reps":
        guard let text = arguments.popFirst(), let n = Int(text), n > 0 else { fail("--reps needs a positive number") }
        config.repetitions = n
    case "--swift-version": swiftVersion = arguments.popFirst()
    case "--only": only = arguments.popFirst()
    case "--pair": pairName = arguments.popFirst()
    case "--count":
        guard let text = arguments.popFirst(), let n = Int(text), n > 0 else { fail("--count needs a positive number") }
        onlyCount = n
    case "--port":
        guard let text = arguments.popFirst(), let n = UInt16(text) else { fail("--port needs a port number") }
        onlyPort = n
    case "--nop-instructions": nopInstructionsOnly = true
    case "--echo-instructions": echoInstructionsOnly = true
    default: fail("unknown argument \(argument); usage: QuiesceBench [--smoke] [--out DIR] [--reps N] [--swift-version TEXT] [--only NAME] [--pair NAME]")
    }
}

var report = Report(machine: .current(swiftVersion: swiftVersion), repetitions: config.repetitions, smoke: config.smoke)
let swiftRef = "Swift concurrency"
let raw = "raw liburing (C)"
/// The NOP and echo references use the fastest setup (``RingSetup/best``); cancel and pipe keep flags 0.
let rawBest = raw + ", " + RingSetup.best.flagNames
let rawBestEcho = raw + ", " + RingSetup.best.description
var spawn = Figure(id: "spawn", title: "Spawn + complete + join, empty task", unit: "ns/task", higherIsBetter: false,
                   referenceName: swiftRef + " (discarding task group)", minRatio: 30, targetText: "≥ 30× faster")
var handoff = Figure(id: "handoff", title: "Task hand-off ping-pong", unit: "ns/hand-off", higherIsBetter: false,
                     referenceName: swiftRef + " (AsyncStream)", minRatio: 30, targetText: "≥ 30× faster")
var nops = [
    Figure(id: "nop_1", title: "NOP, 1 in flight", unit: "ops/s", higherIsBetter: true, referenceName: rawBest, minRatio: 0.85, targetText: "≥ 0.85×"),
    Figure(id: "nop_32", title: "NOP, 32 in flight", unit: "ops/s", higherIsBetter: true, referenceName: rawBest, minRatio: 0.5, targetText: "≥ 0.5×"),
    Figure(id: "nop_256", title: "NOP, 256 in flight", unit: "ops/s", higherIsBetter: true, referenceName: rawBest, minRatio: nil, targetText: "—"),
]
var cancel = Figure(id: "cancel_1024", title: "Arm + cancel + reap, K=\(config.cancelK) pipe reads", unit: "ns/op", higherIsBetter: false,
                    referenceName: raw, minRatio: 1 / 1.5, targetText: "time ≤ 1.5× raw")
var pipe50 = Figure(id: "pipe_rtt_p50", title: "Pipe round trip (64 B), p50", unit: "ns", higherIsBetter: false, referenceName: raw, minRatio: nil, targetText: "—")
var pipe99 = Figure(id: "pipe_rtt_p99", title: "Pipe round trip (64 B), p99", unit: "ns", higherIsBetter: false, referenceName: raw, minRatio: nil, targetText: "—")
var echo: [[Figure]] = [1, 50].map { c in [
    Figure(id: "echo_\(c)_rate", title: "TCP echo 64 B, \(c) conn, throughput", unit: "msgs/s", higherIsBetter: true, referenceName: rawBestEcho,
           minRatio: c == 1 ? 0.95 : 1.0, targetText: c == 1 ? "≥ 0.95×" : "≥ 1.0×"),
    Figure(id: "echo_\(c)_p50", title: "TCP echo 64 B, \(c) conn, p50", unit: "ns", higherIsBetter: false, referenceName: rawBestEcho, minRatio: nil, targetText: "—"),
    Figure(id: "echo_\(c)_p99", title: "TCP echo 64 B, \(c) conn, p99", unit: "ns", higherIsBetter: false, referenceName: rawBestEcho, minRatio: nil, targetText: "—"),
] }
var echoPipelined = Figure(id: "echo_50x16_rate", title: "TCP echo 64 B, 50 conn × 16 pipelined, throughput", unit: "msgs/s", higherIsBetter: true,
                           referenceName: rawBestEcho, minRatio: 1.0, targetText: "≥ 1.0×")
var echoPlain = Figure(id: "echo_50_rate_flags0", title: "TCP echo 64 B, 50 conn, throughput (flags-0 C loop)", unit: "msgs/s", higherIsBetter: true,
                       referenceName: raw + ", " + RingSetup.plain.description, minRatio: nil, targetText: "—")
var linkTimeout = Figure(id: "link_timeout", title: "Read with a deadline that expires (1 µs)", unit: "ns/op", higherIsBetter: false,
                         referenceName: "timeout(...) + cancel (Quiesce)", minRatio: nil, targetText: "—")
var echoComposed = Figure(id: "echo_composed", title: "TCP echo 64 B, 50 conn, composed connection", unit: "msgs/s", higherIsBetter: true,
                          referenceName: "hand-written connection (Quiesce)", minRatio: 0.95, targetText: "≥ 0.95×")
/// Pairs of runs per repetition for the composed-echo figures (see where they are measured).
let composedPairsPerRep = config.smoke ? 1 : 5
var echoComposedCPU = Figure(id: "echo_composed_cpu", title: "TCP echo 64 B, 50 conn, composed connection, server CPU per message", unit: "ns/msg",
                             higherIsBetter: false, referenceName: "hand-written connection (Quiesce)", minRatio: nil, targetText: "—")
var spawnJoinSet = Figure(id: "spawn_joinset", title: "Spawn + complete + join through a JoinSet", unit: "ns/task", higherIsBetter: false,
                          referenceName: "single join handles (Quiesce)", minRatio: 0.9, targetText: "≥ 0.9×")
var allocEchoComposed = Figure(id: "allocs_echo_composed", title: "Heap allocations per echoed message, composed connection (steady state)", unit: "allocs/msg",
                               higherIsBetter: false, referenceName: nil, minRatio: nil, targetText: "0", maxValue: 0)
var multishotEcho = MultishotEchoBench.Figures(config)
var allocNop = Figure(id: "allocs_nop", title: "Heap allocations per NOP (steady state)", unit: "allocs/op", higherIsBetter: false,
                      referenceName: nil, minRatio: nil, targetText: "0", maxValue: 0)
var allocRead = Figure(id: "allocs_pipe_read", title: "Heap allocations per 64 B pipe read (steady state)", unit: "allocs/op", higherIsBetter: false,
                       referenceName: nil, minRatio: nil, targetText: "0", maxValue: 0)
var allocSpawn = Figure(id: "allocs_spawn", title: "Heap allocations per spawned task (steady state)", unit: "allocs/task", higherIsBetter: false,
                        referenceName: nil, minRatio: nil, targetText: "0", maxValue: 0)
var allocKVGet = Figure(id: "allocs_kv_get", title: "Heap allocations per KV GET of an existing key (steady state)", unit: "allocs/req",
                        higherIsBetter: false, referenceName: nil, minRatio: nil, targetText: "0", maxValue: 0)
var allocKVSet = Figure(id: "allocs_kv_set", title: "Heap allocations per KV SET of an existing key (steady state)", unit: "allocs/req",
                        higherIsBetter: false, referenceName: nil, minRatio: nil, targetText: "0", maxValue: 0)

var udpEcho = UDPEchoBench.figures()

/// Runs the Quiesce side and the reference back to back, alternating which goes first.
func pair(_ rep: Int, _ quiesce: () -> Void, _ reference: () -> Void) {
    if rep % 2 == 0 { quiesce(); reference(); settle() } else { reference(); settle(); quiesce() }
}

/// Lets the machine go quiet after a reference run. Swift concurrency's worker threads keep spinning
/// for a while after a task group ends, and on a machine with few cores they slow down whatever runs
/// next. Each side is measured on a quiet machine.
func settle() { usleep(300_000) }

func log(_ text: String) {
    let line = text + "\n"
    _ = unsafe write(2, line, line.utf8.count)
}

if let pairName {
    // Both sides of one figure, back to back, --reps times: for checking a change without the whole run.
    let measure: (() -> Double, () -> Double, Bool)  // (quiesce, reference, higher is better)
    switch pairName {
    case "nop1": measure = ({ NopBench.quiesce(config, inFlight: 1, total: config.nopsAt1) }, { NopBench.raw(config, setup: .best, inFlight: 1, total: config.nopsAt1) }, true)
    case "nop32": measure = ({ NopBench.quiesce(config, inFlight: 32, total: config.nopsBatched) }, { NopBench.raw(config, setup: .best, inFlight: 32, total: config.nopsBatched) }, true)
    case "nop256": measure = ({ NopBench.quiesce(config, inFlight: 256, total: config.nopsBatched) }, { NopBench.raw(config, setup: .best, inFlight: 256, total: config.nopsBatched) }, true)
    case "nop1cpu", "nop32cpu":
        // The thread's CPU time (user + system) per NOP on each side, lower is better: less disturbed
        // by the machine's other load than the rate.
        let inFlight = pairName == "nop1cpu" ? 1 : 32, total = inFlight == 1 ? config.nopsAt1 : config.nopsBatched
        measure = ({ NopBench.cpuNanosPerNop(total) { _ = NopBench.quiesce(config, inFlight: inFlight, total: total) } },
                   { NopBench.cpuNanosPerNop(total) { _ = NopBench.raw(config, setup: .best, inFlight: inFlight, total: total) } }, false)
    case "cancel": measure = ({ CancelBench.quiesce(config) }, { CancelBench.raw(config) }, false)
    case "linktimeout": measure = ({ LinkTimeoutBench.run(config, linked: true) }, { LinkTimeoutBench.run(config, linked: false) }, false)
    case "udpecho", "udpechocpu":
        // Throughput, or the server thread's CPU time per echoed datagram (lower is better); both
        // sides run in the first closure, in alternating order.
        var rep = 0
        var last: (quiesce: UDPEchoResult, reference: UDPEchoResult)? = nil
        let cpu = pairName == "udpechocpu"
        measure = ({ last = UDPEchoBench.bothSides(config, rep: rep); rep += 1
                     return cpu ? last!.quiesce.serverNanosPerDatagram : last!.quiesce.datagramsPerSecond },
                   { cpu ? last!.reference.serverNanosPerDatagram : last!.reference.datagramsPerSecond }, !cpu)
    case "udpechoalloc":
        for _ in 0..<config.repetitions { print("udpechoalloc: \(Format.fixed(UDPEchoBench.allocationsPerDatagram(config), 3)) allocations per datagram") }
        exit(0)
    case "pipe": measure = ({ PipeLatencyBench.quiesce(config).p50 }, { PipeLatencyBench.raw(config).p50 }, false)
    case "spawn": measure = ({ SpawnBench.quiesce(config) }, { SpawnBench.swiftConcurrency(config) }, false)
    case "spawnjoinset": measure = ({ SpawnBench.joinSet(config) }, { SpawnBench.quiesce(config) }, false)
    case "echocomposed":
        measure = ({ EchoBench.quiesce(config, connections: 50, messages: config.echoMessagesPerConnection50, composed: true).messagesPerSecond },
                   { EchoBench.quiesce(config, connections: 50, messages: config.echoMessagesPerConnection50).messagesPerSecond }, true)
    case "echo50cpu", "echo50x16cpu":
        // Server CPU time per message, the example against the raw C loop: time, lower is better.
        let depth = pairName == "echo50x16cpu" ? 16 : 1
        let messages = depth == 16 ? config.echoMessagesPipelined : config.echoMessagesPerConnection50
        var last: (quiesce: Double, reference: Double) = (0, 0)
        measure = ({ last = EchoBench.exampleCPUPerMessage(config, example: EchoBench.examplePath() ?? "QuiesceEcho", messages: messages, depth: depth)
                     return last.quiesce }, { last.reference }, false)
    case "echocomposedcpu":
        // Server thread CPU time per message: composed connection against the hand-written one.
        measure = ({ EchoBench.serverCPUPerMessage(config, composed: true) }, { EchoBench.serverCPUPerMessage(config, composed: false) }, false)
    case "handoff": measure = ({ HandoffBench.quiesce(config) }, { HandoffBench.swiftConcurrency(config) }, false)
    case "echomultishot", "echomultishotsimple":
        // The example with --multishot-recv against the multishot C loop (or the simple one).
        let messages = config.echoMessagesPerConnection50, path = EchoBench.examplePath() ?? "QuiesceEcho"
        measure = ({ MultishotEchoBench.example(path, connections: 50, messages: messages).messagesPerSecond },
                   { (pairName == "echomultishot" ? MultishotEchoBench.raw(config, connections: 50, messages: messages)
                      : EchoBench.raw(config, connections: 50, messages: messages)).messagesPerSecond }, true)
    case "echomultishotcpu":
        // Server CPU time per message, both sides: time, lower is better.
        let path = EchoBench.examplePath() ?? "QuiesceEcho"
        var last: (quiesce: Double, reference: Double) = (0, 0)
        measure = ({ last = MultishotEchoBench.cpuPerMessage(config, example: path); return last.quiesce }, { last.reference }, false)
    case "echomultishotmemory":
        for _ in 0..<config.repetitions { multishotEcho.measure(rep: 0, config, example: EchoBench.examplePath(), counting: AllocBench.countingWorks()) }
        exit(0)
    case "echo1", "echo50", "echo50x16", "echo50plain":
        let connections = pairName == "echo1" ? 1 : 50
        let depth = pairName == "echo50x16" ? 16 : 1
        let messages = connections == 1 ? config.echoMessages1 : depth == 16 ? config.echoMessagesPipelined : config.echoMessagesPerConnection50
        let setup = pairName == "echo50plain" ? RingSetup.plain : .best
        let path = EchoBench.examplePath() ?? "QuiesceEcho"
        measure = ({ EchoBench.example(path, connections: connections, messages: messages, depth: depth).messagesPerSecond },
                   { EchoBench.raw(config, setup: setup, connections: connections, messages: messages, depth: depth).messagesPerSecond }, true)
    case "kv", "kvalways":
        // Every KV figure (kvalways: those with appendfsync always), --reps times: both servers,
        // medians and ratios.
        let found = KVBench.Tools.find()
        guard let tools = found.tools else { fail("KV figures need \(found.missing)") }
        let only: KVBench.Persistence? = pairName == "kvalways" ? .always : nil
        var figures = KVBench.figures(config, redisVersion: tools.redisVersion, only: only)
        for rep in 0..<config.repetitions { KVBench.measure(rep: rep, config, tools, only: only, into: &figures) }
        for f in figures {
            print("\(f.id): quiesce \(Format.human(f.quiesce.median)) ±\(Format.fixed(f.quiesce.spreadPercent, 0))%, redis \(Format.human(f.reference.median)) ±\(Format.fixed(f.reference.spreadPercent, 0))%, ratio \(Format.ratio(f.ratio ?? 0)) (median of \(config.repetitions))")
        }
        exit(0)
    case "kvcpu":
        // Server CPU time per request, both servers (lower is better): ratio = redis-server's / ours.
        let found = KVBench.Tools.find()
        guard let tools = found.tools else { fail("KV figures need \(found.missing)") }
        var samples: [String: (quiesce: Sample, reference: Sample)] = [:]
        var order: [String] = []
        for rep in 0..<config.repetitions {
            for r in KVBench.cpuPerRequest(rep: rep, config, tools) {
                if samples[r.id] == nil { samples[r.id] = (Sample(), Sample()); order.append(r.id) }
                samples[r.id]!.quiesce.add(r.quiesce)
                samples[r.id]!.reference.add(r.reference)
            }
        }
        for id in order {
            let s = samples[id]!
            print("\(id) server CPU per request: quiesce \(Format.fixed(s.quiesce.median, 0)) ns ±\(Format.fixed(s.quiesce.spreadPercent, 0))%, redis \(Format.fixed(s.reference.median, 0)) ns ±\(Format.fixed(s.reference.spreadPercent, 0))%, ratio \(Format.ratio(s.reference.median / Swift.max(s.quiesce.median, 1))) (median of \(config.repetitions))")
        }
        exit(0)
    case "kvalloc":
        for _ in 0..<config.repetitions {
            let a = KVAllocBench.perRequest(config)
            print("kvalloc: \(Format.fixed(a.get, 3)) allocations per GET, \(Format.fixed(a.set, 3)) per SET")
        }
        exit(0)
    case "rawsetups":
        RingSetup.compareCandidates(config)
        exit(0)
    default: fail("unknown --pair \(pairName)")
    }
    var ours: [Double] = [], theirs: [Double] = [], ratios: [Double] = []
    for _ in 0..<config.repetitions {
        let q = measure.0(), r = measure.1()
        settle()
        ours.append(q); theirs.append(r); ratios.append(measure.2 ? q / r : r / q)
    }
    let q = Sample(values: ours), r = Sample(values: theirs), x = Sample(values: ratios)
    print("\(pairName): quiesce \(Format.human(q.median)) ±\(Format.fixed(q.spreadPercent, 0))%, reference \(Format.human(r.median)) ±\(Format.fixed(r.spreadPercent, 0))%, ratio \(Format.ratio(x.median)) (\(Format.ratio(x.min))–\(Format.ratio(x.max))) (median of \(config.repetitions))")
    exit(0)
}

if let only {
    // For `valgrind --tool=callgrind`: one Quiesce workload, nothing else, no report.
    switch only {
    case "spawn": _ = SpawnBench.quiesce(config)
    case "handoff": _ = HandoffBench.quiesce(config)
    case "nop1": _ = NopBench.quiesce(config, inFlight: 1, total: onlyCount ?? config.nopsAt1)
    case "nop32": _ = NopBench.quiesce(config, inFlight: 32, total: onlyCount ?? config.nopsBatched)
    case "cancel": _ = CancelBench.quiesce(config)
    case "pipe": _ = PipeLatencyBench.quiesce(config)
    case "udpecho": _ = UDPEchoBench.quiesce(config, datagramsPerClient: config.udpEchoDatagramsPerClient)
    case "rawudpecho": _ = UDPEchoBench.raw(config, datagramsPerClient: config.udpEchoDatagramsPerClient)
    case "rawpipe": _ = PipeLatencyBench.raw(config)
    case "rawnop1": _ = NopBench.raw(config, setup: .best, inFlight: 1, total: onlyCount ?? config.nopsAt1)
    case "rawnop32": _ = NopBench.raw(config, setup: .best, inFlight: 32, total: onlyCount ?? config.nopsBatched)
    case "echo1": _ = EchoBench.quiesce(config, connections: 1, messages: config.echoMessages1)
    case "echo50": _ = EchoBench.quiesce(config, connections: 50, messages: config.echoMessagesPerConnection50)
    case "echomultishot": _ = MultishotEchoBench.quiesce(config, connections: 50, messages: config.echoMessagesPerConnection50)
    case "rawechomultishot": _ = MultishotEchoBench.raw(config, connections: 50, messages: config.echoMessagesPerConnection50)
    case "echoserver", "echoservercomposed", "rawechoserver":
        // The server alone until 50 connections have closed; the load comes from another process
        // (`--only loadgen`, or the harness counting instructions), so a profiler sees one thread.
        EchoBench.serve(config, port: onlyPort ?? 0, connections: 50, composed: only == "echoservercomposed", raw: only == "rawechoserver")
    case "loadgen":
        // 50 connections, --count messages each (default the echo_50 count), against --port.
        guard let port = onlyPort else { fail("--only loadgen needs --port") }
        let r = EchoBench.load(port: port, connections: 50, messages: onlyCount ?? config.echoMessagesPerConnection50, depth: 1) {}
        print("loadgen: \(Format.human(r.messagesPerSecond)) msgs/s")
    case "example1": _ = EchoBench.example(EchoBench.examplePath() ?? "QuiesceEcho", connections: 1, messages: config.echoMessages1)
    default: fail("unknown --only \(only)")
    }
    exit(0)
}

if nopInstructionsOnly {
    switch NopInstructions.measure() {
    case .failure(let unavailable): fail("NOP instruction counts: \(unavailable.reason)")
    case .success(let counts):
        print("Instructions per NOP (\(NopInstructions.method)); raw C ring: \(RingSetup.best.flagNames)")
        print("  1 in flight:  Quiesce \(Format.fixed(counts.quiesce1, 1)), raw C \(Format.fixed(counts.raw1, 1)), ratio (raw/Quiesce) \(Format.ratio(counts.raw1 / counts.quiesce1))")
        print("  32 in flight: Quiesce \(Format.fixed(counts.quiesce32, 1)), raw C \(Format.fixed(counts.raw32, 1)), ratio (raw/Quiesce) \(Format.ratio(counts.raw32 / counts.quiesce32))")
    }
    exit(0)
}

if echoInstructionsOnly {
    switch EchoInstructions.measure() {
    case .failure(let unavailable): fail("echo instruction counts: \(unavailable.reason)")
    case .success(let counts):
        print("Instructions per echoed message (\(EchoInstructions.method))")
        print("  composed \(Format.fixed(counts.composed, 1)), hand-written \(Format.fixed(counts.handWritten, 1)), ratio (hand-written/composed) \(Format.ratio(counts.handWritten / counts.composed))")
        print("  composed \(Format.fixed(counts.composed, 1)), raw C \(Format.fixed(counts.raw, 1)) (\(RingSetup.best.description)), ratio (raw/composed) \(Format.ratio(counts.raw / counts.composed))")
    }
    exit(0)
}

let counting = AllocBench.countingWorks()
if !counting { report.notes.append("Allocation counting is unavailable (malloc interposition saw nothing): allocation rows are empty.") }

// The ring setup flags of Quiesce's side: what the library passed to liburing for an executor made
// here (the examples make theirs with the same library code).
let quiesceRing: String = {
    _ = makeExecutor(entries: config.entries)
    return RingSetup.lastLibraryFlags() ?? "not seen by the harness's liburing probe"
}()

// The KV figures run when redis-server, redis-benchmark and QuiesceKV are there (scripts/bench.sh
// installs the first two, except in smoke mode).
let kvTools = KVBench.Tools.find()
var kvFigures = kvTools.tools.map { KVBench.figures(config, redisVersion: $0.redisVersion) } ?? []
if kvTools.tools == nil { log("KV figures skipped: missing \(kvTools.missing)") }

// The echo server measured: the QuiesceEcho example when it was built next to this binary, else the
// equivalent in-process EchoServer.
let echoExample = EchoBench.examplePath()

for rep in 0..<config.repetitions {
    log("repetition \(rep + 1)/\(config.repetitions)")
    pair(rep, { spawn.quiesce.add(SpawnBench.quiesce(config)) }, { spawn.reference.add(SpawnBench.swiftConcurrency(config)) })
    log("  spawn: \(Format.human(spawn.quiesce.values.last!)) vs \(Format.human(spawn.reference.values.last!)) ns/task")
    pair(rep, { handoff.quiesce.add(HandoffBench.quiesce(config)) }, { handoff.reference.add(HandoffBench.swiftConcurrency(config)) })
    log("  hand-off: \(Format.human(handoff.quiesce.values.last!)) vs \(Format.human(handoff.reference.values.last!)) ns")
    for (i, inFlight) in [1, 32, 256].enumerated() {
        let total = inFlight == 1 ? config.nopsAt1 : config.nopsBatched
        pair(rep, { nops[i].quiesce.add(NopBench.quiesce(config, inFlight: inFlight, total: total)) },
             { nops[i].reference.add(NopBench.raw(config, setup: .best, inFlight: inFlight, total: total)) })
        log("  nop@\(inFlight): \(Format.human(nops[i].quiesce.values.last!)) vs \(Format.human(nops[i].reference.values.last!)) ops/s")
    }
    pair(rep, { cancel.quiesce.add(CancelBench.quiesce(config)) }, { cancel.reference.add(CancelBench.raw(config)) })
    log("  cancel: \(Format.human(cancel.quiesce.values.last!)) vs \(Format.human(cancel.reference.values.last!)) ns/op")
    pair(rep, { linkTimeout.quiesce.add(LinkTimeoutBench.run(config, linked: true)) },
         { linkTimeout.reference.add(LinkTimeoutBench.run(config, linked: false)) })
    log("  link timeout: \(Format.human(linkTimeout.quiesce.values.last!)) vs \(Format.human(linkTimeout.reference.values.last!)) ns/op")
    pair(rep, {
        let p = PipeLatencyBench.quiesce(config)
        pipe50.quiesce.add(p.p50); pipe99.quiesce.add(p.p99)
    }, {
        let p = PipeLatencyBench.raw(config)
        pipe50.reference.add(p.p50); pipe99.reference.add(p.p99)
    })
    log("  pipe rtt p50: \(Format.human(pipe50.quiesce.values.last!)) vs \(Format.human(pipe50.reference.values.last!)) ns")
    for (i, connections) in [1, 50].enumerated() {
        let messages = connections == 1 ? config.echoMessages1 : config.echoMessagesPerConnection50
        pair(rep, {
            let r = echoExample.map { EchoBench.example($0, connections: connections, messages: messages) }
                ?? EchoBench.quiesce(config, connections: connections, messages: messages)
            echo[i][0].quiesce.add(r.messagesPerSecond); echo[i][1].quiesce.add(r.latency.p50); echo[i][2].quiesce.add(r.latency.p99)
            if connections == 50 { echoPlain.quiesce.add(r.messagesPerSecond) }
        }, {
            let r = EchoBench.raw(config, connections: connections, messages: messages)
            echo[i][0].reference.add(r.messagesPerSecond); echo[i][1].reference.add(r.latency.p50); echo[i][2].reference.add(r.latency.p99)
            // The same-configuration loop, right after the best one: the row beside echo_50_rate.
            if connections == 50 {
                echoPlain.reference.add(EchoBench.raw(config, setup: .plain, connections: connections, messages: messages).messagesPerSecond)
            }
        })
        log("  echo×\(connections): \(Format.human(echo[i][0].quiesce.values.last!)) vs \(Format.human(echo[i][0].reference.values.last!)) msgs/s")
    }
    pair(rep, {
        echoPipelined.quiesce.add((echoExample.map { EchoBench.example($0, connections: 50, messages: config.echoMessagesPipelined, depth: 16) }
            ?? EchoBench.quiesce(config, connections: 50, messages: config.echoMessagesPipelined, depth: 16)).messagesPerSecond)
    }, {
        echoPipelined.reference.add(EchoBench.raw(config, connections: 50, messages: config.echoMessagesPipelined, depth: 16).messagesPerSecond)
    })
    log("  echo×50×16: \(Format.human(echoPipelined.quiesce.values.last!)) vs \(Format.human(echoPipelined.reference.values.last!)) msgs/s")
    pair(rep, { spawnJoinSet.quiesce.add(SpawnBench.joinSet(config)) }, { spawnJoinSet.reference.add(SpawnBench.quiesce(config)) })
    log("  spawn via JoinSet: \(Format.human(spawnJoinSet.quiesce.values.last!)) vs \(Format.human(spawnJoinSet.reference.values.last!)) ns/task")
    // Two servers of one library differ by a few per cent, less than one pair's noise on a shared
    // machine: this figure takes `composedPairsPerRep` pairs per repetition, in alternating order.
    for k in 0..<composedPairsPerRep {
        pair(rep * composedPairsPerRep + k, {
            let run = EchoBench.measured(config, composed: true)
            echoComposed.quiesce.add(run.rate)
            echoComposedCPU.quiesce.add(run.cpuPerMessage)
        }, {
            let run = EchoBench.measured(config, composed: false)
            echoComposed.reference.add(run.rate)
            echoComposedCPU.reference.add(run.cpuPerMessage)
        })
    }
    log("  echo composed×50: \(Format.human(echoComposed.quiesce.values.last!)) vs \(Format.human(echoComposed.reference.values.last!)) msgs/s")
    UDPEchoBench.measure(rep: rep, config, into: &udpEcho.rate)
    if counting { udpEcho.allocations.quiesce.add(UDPEchoBench.allocationsPerDatagram(config)) }
    if counting {
        allocEchoComposed.quiesce.add(EchoBench.allocationsPerMessage(config, composed: true))
        allocNop.quiesce.add(AllocBench.perOp(config, kind: 0))
        allocRead.quiesce.add(AllocBench.perOp(config, kind: 1))
        allocSpawn.quiesce.add(AllocBench.perSpawn(config))
        let kv = KVAllocBench.perRequest(config)
        allocKVGet.quiesce.add(kv.get)
        allocKVSet.quiesce.add(kv.set)
        log("  allocs: nop \(allocNop.quiesce.values.last!), read \(allocRead.quiesce.values.last!), spawn \(allocSpawn.quiesce.values.last!), kv get \(kv.get), kv set \(kv.set)")
    }
    multishotEcho.measure(rep: rep, config, example: echoExample, counting: counting)
    if let tools = kvTools.tools {
        KVBench.measure(rep: rep, config, tools, into: &kvFigures)
        log("  kv: " + kvFigures.map { "\($0.id) \(Format.ratio(($0.quiesce.values.last ?? 0) / Swift.max($0.reference.values.last ?? 1, 1)))" }.joined(separator: ", "))
    }
}

report.figures = [spawn, spawnJoinSet, handoff] + nops + [cancel, linkTimeout, pipe50, pipe99] + echo[0] + echo[1] + [echoPipelined, echoPlain, echoComposed, echoComposedCPU]
// Instructions per NOP (valgrind), in full runs when valgrind is on PATH; never in smoke mode.
if !config.smoke {
    switch NopInstructions.measure() {
    case .success(let counts):
        var figures = [1, 32].map { inFlight in
            Figure(id: "nop_\(inFlight)_instructions", title: "NOP, \(inFlight) in flight, user-space instructions", unit: "instr/op",
                   higherIsBetter: false, referenceName: rawBest, minRatio: nil, targetText: "—")
        }
        figures[0].quiesce.add(counts.quiesce1)
        figures[0].reference.add(counts.raw1)
        figures[1].quiesce.add(counts.quiesce32)
        figures[1].reference.add(counts.raw32)
        report.figures += figures
        report.notes.append("NOP instructions: " + NopInstructions.method + " (scripts/instructions.sh nop, `make nop-instructions`).")
    case .failure(let unavailable):
        report.notes.append("NOP instruction counts skipped: \(unavailable.reason).")
    }
    switch EchoInstructions.measure() {
    case .success(let counts):
        var figure = Figure(id: "echo_composed_instructions", title: "TCP echo 64 B, 50 conn, composed connection, user-space instructions",
                            unit: "instr/msg", higherIsBetter: false, referenceName: "hand-written connection", minRatio: nil, targetText: "—")
        figure.quiesce.add(counts.composed)
        figure.reference.add(counts.handWritten)
        var againstC = Figure(id: "echo_50_instructions", title: "TCP echo 64 B, 50 conn, user-space instructions (composed connection, as QuiesceEcho)",
                              unit: "instr/msg", higherIsBetter: false, referenceName: rawBestEcho, minRatio: nil, targetText: "—")
        againstC.quiesce.add(counts.composed)
        againstC.reference.add(counts.raw)
        report.figures += [figure, againstC]
        report.notes.append("Echo instructions: " + EchoInstructions.method + " (`make echo-instructions`).")
    case .failure(let unavailable):
        report.notes.append("Echo instruction counts skipped: \(unavailable.reason).")
    }
}
report.figures += multishotEcho.all
report.figures += kvFigures
if counting { report.figures += [allocNop, allocRead, allocSpawn, allocEchoComposed, allocKVGet, allocKVSet] }
report.figures += [udpEcho.rate] + (counting ? [udpEcho.allocations] : [])
let loadText = "The load generator is a C thread in the harness (epoll, TCP_NODELAY; each connection sends 1 or 16 64-byte messages in one write and waits for all of them to come back before sending the next)."
if echoExample != nil {
    report.notes.append("Echo: the Quiesce side is the QuiesceEcho example (Sources/QuiesceEcho), run as a child process; the raw C liburing echo loop runs on the harness's main thread. " + loadText)
} else {
    report.notes.append("Echo: QuiesceEcho was not built next to the harness, so the Quiesce side is the equivalent in-process EchoServer (Benchmarks/QuiesceBench/EchoServer.swift: accept loop + one task per connection) on the executor; the raw C liburing echo loop runs on the same thread. " + loadText)
}
report.notes.append("Ring setup flags. Quiesce: \(quiesceRing) (what the library passed to liburing for an executor made in the harness; the QuiesceEcho and QuiesceKV examples set up theirs through the same library code). Raw C NOP and echo references: \(RingSetup.best.flagNames), the echo with one multishot accept: the setup with the least CPU time per operation that `--pair rawsetups` found among flags 0, COOP_TASKRUN (with and without TASKRUN_FLAG), SINGLE_ISSUER (with and without COOP_TASKRUN) and SINGLE_ISSUER|DEFER_TASKRUN (with and without TASKRUN_FLAG); the \"flags-0 C loop\" row uses \(RingSetup.plain.description). Raw C cancel and pipe references: flags 0.")
report.notes.append("Composed echo: the in-process EchoServer with each connection the QuiesceEcho example's composed `echo(_:)` (Sources/QuiesceEchoCore/Echo.swift) against the same server with the hand-written EchoConnection (Benchmarks/QuiesceBench/EchoServer.swift), same load; \(composedPairsPerRep) pairs per repetition, so its ratio is the median of \(composedPairsPerRep * config.repetitions) pairs.")
report.notes.append(multishotEcho.note(example: echoExample))
report.notes.append("Raw C loops use liburing directly with the same ring size, batch sizes and message sizes; they are the physical limit of this machine.")
report.notes.append(UDPEchoBench.note)
if let tools = kvTools.tools {
    report.notes.append("KV: redis-benchmark (\(tools.redisBenchmark)) -c 50 with -n \(config.kvRequests) per test at -P 1 and \(config.kvRequestsPipelined) at -P 16 (appendfsync always: \(config.kvRequestsAlways) and \(config.kvRequestsAlwaysPipelined)), against the QuiesceKV example (a child process; `--aof FILE --appendfsync always` for the always rows) and redis-server \(tools.redisVersion) (`--save '' --appendonly no`, or `--appendonly yes --appendfsync always`), each on its own temporary directory and free port; within a repetition the two run one after the other, in alternating order. Ratio = QuiesceKV requests per second / redis-server's.")
} else {
    report.notes.append("KV figures skipped: missing \(kvTools.missing) (scripts/bench.sh installs redis-server and redis-tools, except in smoke mode).")
}
report.notes.append("Allocations are counted by interposing malloc/calloc/realloc/posix_memalign/aligned_alloc in the process (forwarding to glibc's __libc_* functions), only inside the measured steady-state window. The KV rows run the QuiesceKV server's library (QuiesceKVCore) on an executor in the harness, 50 connections with one request in flight each; each is the difference of two runs with different request counts, per extra request.")

let markdown = MarkdownWriter.render(report)
print(markdown)
if let outDir {
    _ = unsafe mkdir(outDir, 0o755)
    writeFile(outDir + "/latest.json", JSONWriter.render(report))
    writeFile(outDir + "/latest.md", markdown)
    writeFile(outDir + "/latest.svg", SVGWriter.render(report))
    log("wrote \(outDir)/latest.{json,md,svg}")
}
