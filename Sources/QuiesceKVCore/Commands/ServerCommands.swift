#if canImport(Glibc)
import Glibc
#endif

/// Connection and server commands: PING, ECHO, DBSIZE, FLUSHALL, QUIT, SELECT, INFO, and the parts
/// of COMMAND, CONFIG and CLIENT that `redis-cli` and `redis-benchmark` use.
enum ServerCommands {
    static let all: [CommandSpec] = [
        CommandSpec(name: "ping", arity: -1, flags: ["fast", "stale"], firstKey: 0, lastKey: 0, keyStep: 0, run: ping),
        CommandSpec(name: "echo", arity: 2, flags: ["fast"], firstKey: 0, lastKey: 0, keyStep: 0, run: echo),
        CommandSpec(name: "dbsize", arity: 1, flags: ["readonly", "fast"], firstKey: 0, lastKey: 0, keyStep: 0, run: dbsize),
        CommandSpec(name: "flushall", arity: -1, flags: ["write"], firstKey: 0, lastKey: 0, keyStep: 0, run: flushall),
        CommandSpec(name: "quit", arity: -1, flags: ["fast", "allow_busy"], firstKey: 0, lastKey: 0, keyStep: 0, run: quit),
        CommandSpec(name: "select", arity: 2, flags: ["fast"], firstKey: 0, lastKey: 0, keyStep: 0, run: select),
        CommandSpec(name: "info", arity: -1, flags: ["stale"], firstKey: 0, lastKey: 0, keyStep: 0, run: info),
        CommandSpec(name: "command", arity: -1, flags: ["stale"], firstKey: 0, lastKey: 0, keyStep: 0, run: command),
        CommandSpec(name: "config", arity: -2, flags: ["admin"], firstKey: 0, lastKey: 0, keyStep: 0, run: config),
        CommandSpec(name: "client", arity: -2, flags: ["admin"], firstKey: 0, lastKey: 0, keyStep: 0, run: client),
    ]

    static let flushallName = Array("FLUSHALL".utf8)

    static func ping(_ engine: KVEngine, _ args: RESPArguments, _ session: inout ClientSession, _ reply: inout [UInt8]) -> CommandEffect {
        switch args.count {
        case 1: RESPEncoder.simple("PONG", into: &reply)
        case 2: RESPEncoder.bulk(args[1], into: &reply)
        default: RESPEncoder.error("ERR wrong number of arguments for 'ping' command", into: &reply)
        }
        return .none
    }

    static func echo(_ engine: KVEngine, _ args: RESPArguments, _ session: inout ClientSession, _ reply: inout [UInt8]) -> CommandEffect {
        RESPEncoder.bulk(args[1], into: &reply)
        return .none
    }

    static func dbsize(_ engine: KVEngine, _ args: RESPArguments, _ session: inout ClientSession, _ reply: inout [UInt8]) -> CommandEffect {
        RESPEncoder.integer(engine.store.count, into: &reply)
        return .none
    }

    static func flushall(_ engine: KVEngine, _ args: RESPArguments, _ session: inout ClientSession, _ reply: inout [UInt8]) -> CommandEffect {
        guard args.count == 1 || (args.count == 2 && ["ASYNC", "SYNC"].contains(upper(args[1]))) else {
            RESPEncoder.error("ERR syntax error", into: &reply)
            return .none
        }
        engine.store.removeAll()
        RESPEncoder.simple("OK", into: &reply)
        return engine.log([flushallName])
    }

    static func quit(_ engine: KVEngine, _ args: RESPArguments, _ session: inout ClientSession, _ reply: inout [UInt8]) -> CommandEffect {
        RESPEncoder.simple("OK", into: &reply)
        return .close
    }

    static func select(_ engine: KVEngine, _ args: RESPArguments, _ session: inout ClientSession, _ reply: inout [UInt8]) -> CommandEffect {
        // One database, as with Redis Cluster: only 0 exists.
        if args[1].elementsEqual([UInt8(ascii: "0")]) { RESPEncoder.simple("OK", into: &reply) } else { RESPEncoder.error("ERR DB index is out of range", into: &reply) }
        return .none
    }

    static func info(_ engine: KVEngine, _ args: RESPArguments, _ session: inout ClientSession, _ reply: inout [UInt8]) -> CommandEffect {
        let aofEnabled = engine.aof != nil ? 1 : 0
        let text = """
            # Server\r
            redis_version:7.0.0\r
            redis_mode:standalone\r
            server_name:quiesce-kv\r
            process_id:\(getpid())\r
            \r
            # Clients\r
            connected_clients:\(engine.connectedClients)\r
            \r
            # Persistence\r
            aof_enabled:\(aofEnabled)\r
            \r
            # Stats\r
            total_commands_processed:\(engine.commandsProcessed)\r
            \r
            # Keyspace\r
            db0:keys=\(engine.store.count),expires=\(engine.store.volatileCount)\r

            """
        RESPEncoder.bulk(string: text, into: &reply)
        return .none
    }

    // COMMAND, COMMAND COUNT, COMMAND INFO name..., COMMAND DOCS [name...], COMMAND LIST.
    static func command(_ engine: KVEngine, _ args: RESPArguments, _ session: inout ClientSession, _ reply: inout [UInt8]) -> CommandEffect {
        let specs = CommandTable.commands.values.sorted { $0.name < $1.name }
        guard args.count > 1 else {
            RESPEncoder.arrayHeader(specs.count, into: &reply)
            for spec in specs { describe(spec, into: &reply) }
            return .none
        }
        switch upper(args[1]) {
        case "COUNT":
            RESPEncoder.integer(specs.count, into: &reply)
        case "INFO":
            RESPEncoder.arrayHeader(args.count - 2, into: &reply)
            for name in args.dropFirst(2) {
                if let spec = CommandTable.lookup(name) { describe(spec, into: &reply) } else { RESPEncoder.arrayHeader(-1, into: &reply) }
            }
        case "DOCS":
            // No documentation to give: an empty map tells redis-cli to use its built-in help.
            RESPEncoder.arrayHeader(0, into: &reply)
        case "LIST":
            RESPEncoder.arrayHeader(specs.count, into: &reply)
            for spec in specs { RESPEncoder.bulk(string: spec.name, into: &reply) }
        default:
            RESPEncoder.error("ERR unknown subcommand '\(CommandTable.printable(args[1]))'. Try COMMAND HELP.", into: &reply)
        }
        return .none
    }

    // Redis 7's command info: name, arity, flags, first key, last key, step, ACL categories, tips,
    // key specs, subcommands.
    static func describe(_ spec: CommandSpec, into reply: inout [UInt8]) {
        RESPEncoder.arrayHeader(10, into: &reply)
        RESPEncoder.bulk(string: spec.name, into: &reply)
        RESPEncoder.integer(spec.arity, into: &reply)
        RESPEncoder.arrayHeader(spec.flags.count, into: &reply)
        for flag in spec.flags { RESPEncoder.simple(string: flag, into: &reply) }
        RESPEncoder.integer(spec.firstKey, into: &reply)
        RESPEncoder.integer(spec.lastKey, into: &reply)
        RESPEncoder.integer(spec.keyStep, into: &reply)
        for _ in 0..<4 { RESPEncoder.arrayHeader(0, into: &reply) }
    }

    // CONFIG GET pattern... (glob patterns), CONFIG RESETSTAT; CONFIG SET is refused.
    static func config(_ engine: KVEngine, _ args: RESPArguments, _ session: inout ClientSession, _ reply: inout [UInt8]) -> CommandEffect {
        switch upper(args[1]) {
        case "GET" where args.count >= 3:
            var matches: [(name: String, value: String)] = []
            for (name, value) in engine.settings {
                let hit = args.dropFirst(2).contains { pattern in
                    fnmatch(String(decoding: pattern, as: UTF8.self).lowercased(), name, 0) == 0
                }
                if hit { matches.append((name, value)) }
            }
            RESPEncoder.arrayHeader(matches.count * 2, into: &reply)
            for (name, value) in matches {
                RESPEncoder.bulk(string: name, into: &reply)
                RESPEncoder.bulk(string: value, into: &reply)
            }
        case "RESETSTAT" where args.count == 2:
            RESPEncoder.simple("OK", into: &reply)
        case "SET":
            RESPEncoder.error("ERR CONFIG SET is not supported by this server", into: &reply)
        default:
            RESPEncoder.error("ERR unknown subcommand or wrong number of arguments for '\(CommandTable.printable(args[1]))'", into: &reply)
        }
        return .none
    }

    // CLIENT ID | SETNAME name | GETNAME | INFO | LIST | SETINFO attr value.
    static func client(_ engine: KVEngine, _ args: RESPArguments, _ session: inout ClientSession, _ reply: inout [UInt8]) -> CommandEffect {
        switch (upper(args[1]), args.count) {
        case ("ID", 2):
            RESPEncoder.integer(Int(session.id), into: &reply)
        case ("SETNAME", 3):
            // Redis refuses spaces and newlines: CLIENT LIST would become ambiguous.
            guard !args[2].contains(where: { $0 <= 32 || $0 >= 127 }) else {
                RESPEncoder.error("ERR Client names cannot contain spaces, newlines or special characters.", into: &reply)
                return .none
            }
            session.name = String(decoding: args[2], as: UTF8.self)
            RESPEncoder.simple("OK", into: &reply)
        case ("GETNAME", 2):
            if session.name.isEmpty { RESPEncoder.null(into: &reply) } else { RESPEncoder.bulk(string: session.name, into: &reply) }
        case ("INFO", 2):
            RESPEncoder.bulk(string: describe(session, now: engine.store.clock()) + "\n", into: &reply)
        case ("LIST", _):
            RESPEncoder.bulk(string: describe(session, now: engine.store.clock()) + "\n", into: &reply)
        case ("SETINFO", 4):
            RESPEncoder.simple("OK", into: &reply)
        default:
            RESPEncoder.error("ERR unknown subcommand or wrong number of arguments for '\(CommandTable.printable(args[1]))'", into: &reply)
        }
        return .none
    }

    static func describe(_ session: ClientSession, now: Int64) -> String {
        "id=\(session.id) addr=\(session.peer) laddr=\(session.local) fd=\(session.fd) name=\(session.name) "
            + "age=\(max(0, now - session.connectedAt) / 1000) idle=0 flags=N db=0 cmd=\(session.lastCommand)"
    }

    static func upper(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self).uppercased() }
}
