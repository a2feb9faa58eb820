#if canImport(Glibc)
import Glibc
#endif
import CRawRing

/// 8. The example KV server (QuiesceKV, a child process) against redis-server, both driven by
/// redis-benchmark with 50 connections, SET / GET / INCR at pipeline depths 1 and 16, without
/// persistence and with an AOF fsynced before each reply (`appendfsync always`); also SET and GET of
/// 4096-byte values at depth 16 (reported, no target). Both servers run
/// in every repetition, one after the other in alternating order, each on its own temporary
/// directory and free port.
enum KVBench {
    /// What the KV figures need, found next to the harness and in PATH.
    struct Tools {
        let quiesceKV: String
        let redisServer: String
        let redisBenchmark: String
        /// redis-server's version ("7.0.15"), for the report.
        let redisVersion: String

        /// The tools, or why the KV figures cannot run.
        static func find() -> (tools: Tools?, missing: String) {
            var missing: [String] = []
            let kv = siblingExecutable("QuiesceKV")
            if kv == nil { missing.append("QuiesceKV (not built next to the harness)") }
            let server = findInPath("redis-server"), benchmark = findInPath("redis-benchmark")
            if server == nil { missing.append("redis-server (Debian: redis-server)") }
            if benchmark == nil { missing.append("redis-benchmark (Debian: redis-tools)") }
            guard let kv, let server, let benchmark else { return (nil, missing.joined(separator: ", ")) }
            return (Tools(quiesceKV: kv, redisServer: server, redisBenchmark: benchmark, redisVersion: version(of: server)), "")
        }

        /// "7.0.15" from `redis-server --version` ("Redis server v=7.0.15 sha=…"), or "?".
        private static func version(of server: String) -> String {
            let child = ChildProcess([server, "--version"])
            let text = child.readAll()
            child.stop(signal: 0)
            guard let v = text.split(separator: " ").first(where: { $0.hasPrefix("v=") }) else { return "?" }
            return String(v.dropFirst(2))
        }
    }

    /// Whether writes are persisted: not at all, or appended to an AOF fsynced before each reply.
    enum Persistence { case off, always }

    /// One redis-benchmark invocation per server: its tests, pipeline depth and requests per test.
    struct Workload {
        let persistence: Persistence
        let tests: [String]
        let pipeline: Int
        let requests: Int
        /// Bytes per SET value (redis-benchmark's `-d`; its default is 3).
        var valueSize = 3

        /// The figure id of `test` ("kv_set_p16", "kv_set_always_p1", "kv_get_d4096_p16").
        func figureID(_ test: String) -> String {
            "kv_\(test)" + (persistence == .always ? "_always" : "") + (valueSize == 3 ? "" : "_d\(valueSize)")
                + "_p\(pipeline)"
        }
    }

    /// Every workload of one repetition, in the order they run.
    static func workloads(_ config: Config) -> [Workload] {
        [
            Workload(persistence: .off, tests: ["set", "get", "incr"], pipeline: 1, requests: config.kvRequests),
            Workload(persistence: .off, tests: ["set", "get", "incr"], pipeline: 16, requests: config.kvRequestsPipelined),
            Workload(persistence: .always, tests: ["set"], pipeline: 1, requests: config.kvRequestsAlways),
            Workload(persistence: .always, tests: ["set"], pipeline: 16, requests: config.kvRequestsAlwaysPipelined),
            // Large values (issue 17 point 7: replies leave from the buffer they are queued in).
            Workload(persistence: .off, tests: ["set", "get"], pipeline: 16, requests: Swift.max(1, config.kvRequestsPipelined / 5),
                     valueSize: 4096),
        ]
    }

    /// The KV figures, one per test of every workload (of `only` that persistence, when given),
    /// with their references named.
    static func figures(_ config: Config, redisVersion: String, only: Persistence? = nil) -> [Figure] {
        workloads(config).filter { only == nil || $0.persistence == only }.flatMap { w in
            w.tests.map { test in
                let persistence = w.persistence == .off
                    ? "no persistence"
                    : "AOF, appendfsync always"
                let reference = w.persistence == .off
                    ? "redis-server \(redisVersion), --save '' --appendonly no"
                    : "redis-server \(redisVersion), --appendonly yes --appendfsync always"
                if w.valueSize != 3 {
                    return Figure(id: w.figureID(test), title: "KV \(test.uppercased()), -c 50 -P \(w.pipeline), \(w.valueSize)-byte values, \(persistence)",
                                  unit: "req/s", higherIsBetter: true, referenceName: reference, minRatio: nil, targetText: "reported")
                }
                return Figure(id: w.figureID(test), title: "KV \(test.uppercased()), -c 50 -P \(w.pipeline), \(persistence)",
                              unit: "req/s", higherIsBetter: true, referenceName: reference, minRatio: 1.0, targetText: "≥ 1.0×")
            }
        }
    }

    /// A server under test: its process, port and temporary directory.
    struct Server {
        let child: ChildProcess
        let port: UInt16
        let directory: String
        let name: String

        /// Stops the server with SIGTERM, insists on exit status 0, removes its directory.
        func stop() {
            let status = child.stop()
            _ = unsafe crr_remove_tree(directory)
            if status != 0 { fail("\(name) exited with status \(status) after SIGTERM") }
        }
    }

    /// QuiesceKV on a free port (it picks one and says which), its AOF (if any) in a new directory.
    /// Flags in the environment variable `QUIESCEKV_FLAGS` (separated by spaces, such as
    /// `--multishot-recv`) are passed too, to measure a server option side by side.
    static func startQuiesceKV(_ tools: Tools, _ persistence: Persistence) -> Server {
        let directory = makeTemporaryDirectory("quiescekv")
        var arguments = [tools.quiesceKV, "--port", "0"]
        if let flags = unsafe getenv("QUIESCEKV_FLAGS").map({ unsafe String(cString: $0) }) {
            arguments += flags.split(separator: " ").map(String.init)
        }
        if persistence == .always { arguments += ["--aof", directory + "/appendonly.aof", "--appendfsync", "always"] }
        let child = ChildProcess(arguments)
        while let line = child.readLine() {
            guard line.hasPrefix("QuiesceKV listening on "), let colon = line.lastIndex(of: ":"),
                  let port = UInt16(line[line.index(after: colon)...]) else { continue }
            return Server(child: child, port: port, directory: directory, name: "QuiesceKV")
        }
        let status = child.stop(signal: SIGKILL)
        fail("QuiesceKV did not say where it listens (exit status \(status))")
    }

    /// redis-server on a free loopback port and a new directory, persistence as asked.
    static func startRedis(_ tools: Tools, _ persistence: Persistence) -> Server {
        let directory = makeTemporaryDirectory("redis")
        let port = crr_free_port()
        if port < 0 { fail("no free port: errno \(-port)") }
        var arguments = [tools.redisServer, "--port", String(port), "--bind", "127.0.0.1", "--dir", directory,
                         "--daemonize", "no", "--loglevel", "warning", "--save", ""]
        arguments += persistence == .off ? ["--appendonly", "no"] : ["--appendonly", "yes", "--appendfsync", "always"]
        let child = ChildProcess(arguments)
        let ready = crr_wait_for_port(UInt16(port), 10_000)
        if ready < 0 {
            let status = child.stop(signal: SIGKILL)
            fail("redis-server did not accept on port \(port) (exit status \(status))")
        }
        return Server(child: child, port: UInt16(port), directory: directory, name: "redis-server")
    }

    /// Runs redis-benchmark once against `port`: requests per second of each test, by lower-case
    /// test name.
    static func benchmark(_ tools: Tools, port: UInt16, _ w: Workload) -> [String: Double] {
        let child = ChildProcess([tools.redisBenchmark, "-h", "127.0.0.1", "-p", String(port), "-c", "50",
                                  "-n", String(w.requests), "-P", String(w.pipeline), "-d", String(w.valueSize),
                                  "-t", w.tests.joined(separator: ","), "--csv"])
        let output = child.readAll()
        let status = child.stop(signal: 0)
        var rates: [String: Double] = [:]
        // --csv: a header, then one row per test: "SET","71174.38","0.622",…
        for line in output.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let fields = line.split(separator: ",").map { $0.filter { $0 != "\"" } }
            if fields.count >= 2, let rate = Double(fields[1]) { rates[fields[0].lowercased()] = rate }
        }
        guard status == 0, w.tests.allSatisfy({ rates[$0] != nil }) else {
            fail("\(child.command) exited with status \(status) without every rate:\n\(output)")
        }
        return rates
    }

    /// One repetition of every workload (of `only` that persistence, when given): both servers, the
    /// one going first alternating with `rep`; each rate is added to its figure in `figures`
    /// (Quiesce side and reference).
    static func measure(rep: Int, _ config: Config, _ tools: Tools, only: Persistence? = nil, into figures: inout [Figure]) {
        for persistence in [Persistence.off, .always] where only == nil || persistence == only {
            let quiesce = startQuiesceKV(tools, persistence), redis = startRedis(tools, persistence)
            for w in workloads(config) where w.persistence == persistence {
                var ours: [String: Double] = [:], theirs: [String: Double] = [:]
                if rep % 2 == 0 {
                    ours = benchmark(tools, port: quiesce.port, w); theirs = benchmark(tools, port: redis.port, w)
                } else {
                    theirs = benchmark(tools, port: redis.port, w); ours = benchmark(tools, port: quiesce.port, w)
                }
                for test in w.tests {
                    guard let i = figures.firstIndex(where: { $0.id == w.figureID(test) }) else { continue }
                    figures[i].quiesce.add(ours[test]!)
                    figures[i].reference.add(theirs[test]!)
                }
            }
            quiesce.stop()
            redis.stop()
        }
    }
}

extension KVBench {
    /// Server CPU time per request, both servers, for telling them apart on a busy machine (where
    /// requests per second follow whatever else runs): for each of SET, GET and INCR at depth 1
    /// and 16 (no persistence), one redis-benchmark run per server, and the user + system time the
    /// server's process took during it (/proc/PID/stat, clock ticks) divided by its requests. Both
    /// servers run in every repetition, in alternating order; returns ns per request by figure id
    /// ("kv_get_p16"), Quiesce side and reference.
    static func cpuPerRequest(rep: Int, _ config: Config, _ tools: Tools) -> [(id: String, quiesce: Double, reference: Double)] {
        let quiesce = startQuiesceKV(tools, .off), redis = startRedis(tools, .off)
        defer { quiesce.stop(); redis.stop() }
        var results: [(id: String, quiesce: Double, reference: Double)] = []
        for (pipeline, requests) in [(1, config.kvRequests), (16, config.kvRequestsPipelined)] {
            for test in ["set", "get", "incr"] {
                let w = Workload(persistence: .off, tests: [test], pipeline: pipeline, requests: requests)
                func cpu(_ server: Server) -> Double {
                    let before = cpuNanoseconds(server.child.pid)
                    _ = benchmark(tools, port: server.port, w)
                    return (cpuNanoseconds(server.child.pid) - before) / Double(requests)
                }
                var ours = 0.0, theirs = 0.0
                if rep % 2 == 0 { ours = cpu(quiesce); theirs = cpu(redis) } else { theirs = cpu(redis); ours = cpu(quiesce) }
                results.append((w.figureID(test), ours, theirs))
            }
        }
        return results
    }

    /// The user + system CPU time process `pid` has taken, in ns (/proc/PID/stat fields 14 and 15,
    /// in clock ticks).
    static func cpuNanoseconds(_ pid: Int32) -> Double {
        guard let text = readFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else {
            fail("cannot read /proc/\(pid)/stat")
        }
        // After the command name: state (field 3), ppid, …, utime (14), stime (15).
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            fail("unexpected /proc/\(pid)/stat: \(text)")
        }
        return (user + system) * 1e9 / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
