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
var pairName: String? = nil  // development: one figure, both sides, --reps times, ratio printed (nop1, nop32, nop256, cancel, pipe, spawn, handoff, echo1, echo50)
var only: String? = nil  // profiling: run one Quiesce side alone (spawn, handoff, nop1, nop32, cancel, pipe, echo1, echo50)
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
    default: fail("unknown argument \(argument); usage: QuiesceBench [--smoke] [--out DIR] [--reps N] [--swift-version TEXT] [--only NAME] [--pair NAME]")
    }
}

var report = Report(machine: .current(swiftVersion: swiftVersion), repetitions: config.repetitions, smoke: config.smoke)
let swiftRef = "Swift concurrency"
let raw = "raw liburing (C)"
var spawn = Figure(id: "spawn", title: "Spawn + complete + join, empty task", unit: "ns/task", higherIsBetter: false,
                   referenceName: swiftRef + " (discarding task group)", minRatio: 30, targetText: "≥ 30× faster")
var handoff = Figure(id: "handoff", title: "Task hand-off ping-pong", unit: "ns/hand-off", higherIsBetter: false,
                     referenceName: swiftRef + " (AsyncStream)", minRatio: 30, targetText: "≥ 30× faster")
var nops = [
    Figure(id: "nop_1", title: "NOP, 1 in flight", unit: "ops/s", higherIsBetter: true, referenceName: raw, minRatio: 0.9, targetText: "≥ 0.9×"),
    Figure(id: "nop_32", title: "NOP, 32 in flight", unit: "ops/s", higherIsBetter: true, referenceName: raw, minRatio: 0.7, targetText: "≥ 0.7×"),
    Figure(id: "nop_256", title: "NOP, 256 in flight", unit: "ops/s", higherIsBetter: true, referenceName: raw, minRatio: nil, targetText: "—"),
]
var cancel = Figure(id: "cancel_1024", title: "Arm + cancel + reap, K=\(config.cancelK) pipe reads", unit: "ns/op", higherIsBetter: false,
                    referenceName: raw, minRatio: 1 / 1.5, targetText: "time ≤ 1.5× raw")
var pipe50 = Figure(id: "pipe_rtt_p50", title: "Pipe round trip (64 B), p50", unit: "ns", higherIsBetter: false, referenceName: raw, minRatio: nil, targetText: "—")
var pipe99 = Figure(id: "pipe_rtt_p99", title: "Pipe round trip (64 B), p99", unit: "ns", higherIsBetter: false, referenceName: raw, minRatio: nil, targetText: "—")
var echo: [[Figure]] = [1, 50].map { c in [
    Figure(id: "echo_\(c)_rate", title: "TCP echo 64 B, \(c) conn, throughput", unit: "msgs/s", higherIsBetter: true, referenceName: raw, minRatio: 0.95, targetText: "≥ 0.95×"),
    Figure(id: "echo_\(c)_p50", title: "TCP echo 64 B, \(c) conn, p50", unit: "ns", higherIsBetter: false, referenceName: raw, minRatio: nil, targetText: "—"),
    Figure(id: "echo_\(c)_p99", title: "TCP echo 64 B, \(c) conn, p99", unit: "ns", higherIsBetter: false, referenceName: raw, minRatio: nil, targetText: "—"),
] }
var echoComposed = Figure(id: "echo_composed", title: "TCP echo 64 B, 50 conn, composed connection", unit: "msgs/s", higherIsBetter: true,
                          referenceName: "hand-written connection (Quiesce)", minRatio: 0.95, targetText: "≥ 0.95×")
var spawnJoinSet = Figure(id: "spawn_joinset", title: "Spawn + complete + join through a JoinSet", unit: "ns/task", higherIsBetter: false,
                          referenceName: "single join handles (Quiesce)", minRatio: 0.9, targetText: "≥ 0.9×")
var allocEchoComposed = Figure(id: "allocs_echo_composed", title: "Heap allocations per echoed message, composed connection (steady state)", unit: "allocs/msg",
                               higherIsBetter: false, referenceName: nil, minRatio: nil, targetText: "0", maxValue: 0)
var allocNop = Figure(id: "allocs_nop", title: "Heap allocations per NOP (steady state)", unit: "allocs/op", higherIsBetter: false,
                      referenceName: nil, minRatio: nil, targetText: "0", maxValue: 0)
var allocRead = Figure(id: "allocs_pipe_read", title: "Heap allocations per 64 B pipe read (steady state)", unit: "allocs/op", higherIsBetter: false,
                       referenceName: nil, minRatio: nil, targetText: "0", maxValue: 0)
var allocSpawn = Figure(id: "allocs_spawn", title: "Heap allocations per spawned task (steady state)", unit: "allocs/task", higherIsBetter: false,
                        referenceName: nil, minRatio: nil, targetText: "0", maxValue: 0)

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
    case "nop1": measure = ({ NopBench.quiesce(config, inFlight: 1, total: config.nopsAt1) }, { NopBench.raw(config, inFlight: 1, total: config.nopsAt1) }, true)
    case "nop32": measure = ({ NopBench.quiesce(config, inFlight: 32, total: config.nopsBatched) }, { NopBench.raw(config, inFlight: 32, total: config.nopsBatched) }, true)
    case "nop256": measure = ({ NopBench.quiesce(config, inFlight: 256, total: config.nopsBatched) }, { NopBench.raw(config, inFlight: 256, total: config.nopsBatched) }, true)
    case "cancel": measure = ({ CancelBench.quiesce(config) }, { CancelBench.raw(config) }, false)
    case "pipe": measure = ({ PipeLatencyBench.quiesce(config).p50 }, { PipeLatencyBench.raw(config).p50 }, false)
    case "spawn": measure = ({ SpawnBench.quiesce(config) }, { SpawnBench.swiftConcurrency(config) }, false)
    case "spawnjoinset": measure = ({ SpawnBench.joinSet(config) }, { SpawnBench.quiesce(config) }, false)
    case "echocomposed":
        measure = ({ EchoBench.quiesce(config, connections: 50, messages: config.echoMessagesPerConnection50, composed: true).messagesPerSecond },
                   { EchoBench.quiesce(config, connections: 50, messages: config.echoMessagesPerConnection50).messagesPerSecond }, true)
    case "handoff": measure = ({ HandoffBench.quiesce(config) }, { HandoffBench.swiftConcurrency(config) }, false)
    case "echo1", "echo50":
        let connections = pairName == "echo1" ? 1 : 50
        let messages = connections == 1 ? config.echoMessages1 : config.echoMessagesPerConnection50
        let path = EchoBench.examplePath() ?? "QuiesceEcho"
        measure = ({ EchoBench.example(path, connections: connections, messages: messages).messagesPerSecond },
                   { EchoBench.raw(config, connections: connections, messages: messages).messagesPerSecond }, true)
    default: fail("unknown --pair \(pairName)")
    }
    var ours: [Double] = [], theirs: [Double] = [], ratios: [Double] = []
    for _ in 0..<config.repetitions {
        let q = measure.0(), r = measure.1()
        settle()
        ours.append(q); theirs.append(r); ratios.append(measure.2 ? q / r : r / q)
    }
    print("\(pairName): quiesce \(Format.human(Stats.median(ours))), reference \(Format.human(Stats.median(theirs))), ratio \(Format.ratio(Stats.median(ratios))) (median of \(config.repetitions))")
    exit(0)
}

if let only {
    // For `valgrind --tool=callgrind`: one Quiesce workload, nothing else, no report.
    switch only {
    case "spawn": _ = SpawnBench.quiesce(config)
    case "handoff": _ = HandoffBench.quiesce(config)
    case "nop1": _ = NopBench.quiesce(config, inFlight: 1, total: config.nopsAt1)
    case "nop32": _ = NopBench.quiesce(config, inFlight: 32, total: config.nopsBatched)
    case "cancel": _ = CancelBench.quiesce(config)
    case "pipe": _ = PipeLatencyBench.quiesce(config)
    case "rawpipe": _ = PipeLatencyBench.raw(config)
    case "rawnop1": _ = NopBench.raw(config, inFlight: 1, total: config.nopsAt1)
    case "rawnop32": _ = NopBench.raw(config, inFlight: 32, total: config.nopsBatched)
    case "echo1": _ = EchoBench.quiesce(config, connections: 1, messages: config.echoMessages1)
    case "echo50": _ = EchoBench.quiesce(config, connections: 50, messages: config.echoMessagesPerConnection50)
    case "example1": _ = EchoBench.example(EchoBench.examplePath() ?? "QuiesceEcho", connections: 1, messages: config.echoMessages1)
    default: fail("unknown --only \(only)")
    }
    exit(0)
}

let counting = AllocBench.countingWorks()
if !counting { report.notes.append("Allocation counting is unavailable (malloc interposition saw nothing): allocation rows are empty.") }

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
             { nops[i].reference.add(NopBench.raw(config, inFlight: inFlight, total: total)) })
        log("  nop@\(inFlight): \(Format.human(nops[i].quiesce.values.last!)) vs \(Format.human(nops[i].reference.values.last!)) ops/s")
    }
    pair(rep, { cancel.quiesce.add(CancelBench.quiesce(config)) }, { cancel.reference.add(CancelBench.raw(config)) })
    log("  cancel: \(Format.human(cancel.quiesce.values.last!)) vs \(Format.human(cancel.reference.values.last!)) ns/op")
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
        }, {
            let r = EchoBench.raw(config, connections: connections, messages: messages)
            echo[i][0].reference.add(r.messagesPerSecond); echo[i][1].reference.add(r.latency.p50); echo[i][2].reference.add(r.latency.p99)
        })
        log("  echo×\(connections): \(Format.human(echo[i][0].quiesce.values.last!)) vs \(Format.human(echo[i][0].reference.values.last!)) msgs/s")
    }
    pair(rep, { spawnJoinSet.quiesce.add(SpawnBench.joinSet(config)) }, { spawnJoinSet.reference.add(SpawnBench.quiesce(config)) })
    log("  spawn via JoinSet: \(Format.human(spawnJoinSet.quiesce.values.last!)) vs \(Format.human(spawnJoinSet.reference.values.last!)) ns/task")
    pair(rep, {
        echoComposed.quiesce.add(EchoBench.quiesce(config, connections: 50, messages: config.echoMessagesPerConnection50, composed: true).messagesPerSecond)
    }, {
        echoComposed.reference.add(EchoBench.quiesce(config, connections: 50, messages: config.echoMessagesPerConnection50).messagesPerSecond)
    })
    log("  echo composed×50: \(Format.human(echoComposed.quiesce.values.last!)) vs \(Format.human(echoComposed.reference.values.last!)) msgs/s")
    if counting {
        allocEchoComposed.quiesce.add(EchoBench.allocationsPerMessage(config, composed: true))
        allocNop.quiesce.add(AllocBench.perOp(config, kind: 0))
        allocRead.quiesce.add(AllocBench.perOp(config, kind: 1))
        allocSpawn.quiesce.add(AllocBench.perSpawn(config))
        log("  allocs: nop \(allocNop.quiesce.values.last!), read \(allocRead.quiesce.values.last!), spawn \(allocSpawn.quiesce.values.last!)")
    }
}

report.figures = [spawn, spawnJoinSet, handoff] + nops + [cancel, pipe50, pipe99] + echo[0] + echo[1] + [echoComposed]
if counting { report.figures += [allocNop, allocRead, allocSpawn, allocEchoComposed] }
if echoExample != nil {
    report.notes.append("Echo: the Quiesce side is the QuiesceEcho example (Sources/QuiesceEcho), run as a child process; the raw C liburing echo loop runs on the harness's main thread. The load generator is a C thread in the harness (epoll, TCP_NODELAY, one 64-byte message in flight per connection).")
} else {
    report.notes.append("Echo: QuiesceEcho was not built next to the harness, so the Quiesce side is the equivalent in-process EchoServer (Benchmarks/QuiesceBench/EchoServer.swift: accept loop + one task per connection) on the executor; the raw C liburing echo loop runs on the same thread. The load generator is a C thread (epoll, TCP_NODELAY, one 64-byte message in flight per connection).")
}
report.notes.append("Raw C loops use liburing directly with the same ring size, batch sizes and message sizes; they are the physical limit of this machine.")
report.notes.append("Allocations are counted by interposing malloc/calloc/realloc/posix_memalign/aligned_alloc in the process (forwarding to glibc's __libc_* functions), only inside the measured steady-state window.")

let markdown = MarkdownWriter.render(report)
print(markdown)
if let outDir {
    _ = unsafe mkdir(outDir, 0o755)
    writeFile(outDir + "/latest.json", JSONWriter.render(report))
    writeFile(outDir + "/latest.md", markdown)
    writeFile(outDir + "/latest.svg", SVGWriter.render(report))
    log("wrote \(outDir)/latest.{json,md,svg}")
}
