// QuiesceKV: a RESP (Redis protocol) key-value server on the Quiesce executor.
import Quiesce
import QuiesceKVCore
#if canImport(Glibc)
import Glibc
#endif

let usage = """
    usage: QuiesceKV [--port N] [--bind ADDR] [--max-clients N] [--idle-timeout SECONDS]
                     [--aof PATH] [--appendfsync always|everysec|no] [--multishot-recv]
      --port N            TCP port (default 6379; 0 picks a free one)
      --bind ADDR         numeric address to listen on (default 127.0.0.1)
      --max-clients N     connections served at once (default 10000; lowered to fit ulimit -n)
      --idle-timeout S    close clients idle for S seconds (default 0: never)
      --aof PATH          append-only file: replayed at start, every write appended
      --appendfsync P     always (ack after fsync, group commit) | everysec (default) | no
      --multishot-recv    receive through one multishot receive per connection from a shared
                          buffer ring (default: one receive per request)

    """

/// Writes straight to a descriptor: unbuffered, so a parent reading the port line sees it at once.
func emit(_ text: String, to fd: Int32 = 1) { KVServer.writeUnbuffered(text, to: fd) }

func fail(_ message: String) -> Never {
    emit("QuiesceKV: \(message)\n\(usage)", to: 2)
    exit(2)
}

func parseArguments(_ arguments: [String]) -> ServerConfig {
    var config = ServerConfig()
    var i = 0
    func value(_ flag: String) -> String {
        i += 1
        guard i < arguments.count else { fail("\(flag) needs a value") }
        return arguments[i]
    }
    while i < arguments.count {
        let flag = arguments[i]
        switch flag {
        case "--port":
            guard let port = UInt16(value(flag)) else { fail("--port takes a number from 0 to 65535") }
            config.port = port
        case "--bind":
            config.host = value(flag)
            guard SocketAddress(host: config.host, port: 0) != nil else { fail("--bind takes a numeric IPv4 or IPv6 address") }
        case "--max-clients":
            guard let n = Int(value(flag)), n > 0 else { fail("--max-clients takes a positive number") }
            config.maxClients = n
        case "--idle-timeout":
            guard let seconds = Double(value(flag)), seconds >= 0, seconds <= 1e9 else {
                fail("--idle-timeout takes seconds, from 0 (never) to 1e9")
            }
            config.idleTimeout = seconds
        case "--aof":
            config.aofPath = value(flag)
        case "--appendfsync":
            guard let policy = FsyncPolicy(rawValue: value(flag)) else { fail("--appendfsync takes always, everysec or no") }
            config.appendFsync = policy
        case "--multishot-recv":
            config.multishotReceive = true
        case "--help", "-h":
            emit(usage)
            exit(0)
        default:
            fail("unknown flag \(flag)")
        }
        i += 1
    }
    return config
}

let config = parseArguments(Array(CommandLine.arguments.dropFirst()))
// Before any other thread exists, so every thread inherits the mask and only sigwait sees them.
ShutdownSignals.block()
do {
    let executor = try Executor()
    let server = try KVServer(config: config)
    if server.replayed.records > 0 || server.replayed.truncatedBytes > 0 {
        emit("QuiesceKV: replayed \(server.replayed.records) AOF record(s)"
             + (server.replayed.truncatedBytes > 0 ? ", dropped an incomplete last record of \(server.replayed.truncatedBytes) byte(s)" : "") + "\n")
    }
    for notice in server.notices { emit("QuiesceKV: \(notice)\n") }
    ShutdownSignals.forward(to: server, through: try executor.remoteHandle())
    emit("QuiesceKV listening on \(config.host):\(server.port)\n")
    let report = try server.run(on: executor)
    guard report.isClean else {
        emit("QuiesceKV: \(report)\n", to: 2)
        exit(1)
    }
    emit("QuiesceKV: \(report)\n")
    exit(0)
} catch {
    emit("QuiesceKV: \(error)\n", to: 2)
    exit(1)
}
