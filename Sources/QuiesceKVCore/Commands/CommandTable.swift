/// One command: its name, arity (negative: at least that many), flags and key positions as
/// `COMMAND` reports them, and its implementation.
public struct CommandSpec: Sendable {
    /// The lowercase name.
    public let name: String
    /// Exact argument count including the name, or `-n` for at least `n`.
    public let arity: Int
    /// Redis flags (`write`, `readonly`, `fast`...).
    public let flags: [String]
    /// Position of the first key (0: no key).
    public let firstKey: Int
    /// Position of the last key (-1: the last argument).
    public let lastKey: Int
    /// Step between keys.
    public let keyStep: Int
    /// Runs the command: appends the reply to `reply`, returns the effect.
    public let run: @Sendable (KVEngine, [[UInt8]], inout ClientSession, inout [UInt8]) -> CommandEffect

    func accepts(_ count: Int) -> Bool { arity >= 0 ? count == arity : count >= -arity }
}

/// The commands the server knows, looked up by case-insensitive name.
public enum CommandTable {
    /// Every command, by lowercase name.
    public static let commands: [String: CommandSpec] = {
        var table: [String: CommandSpec] = [:]
        for spec in KeyCommands.all + ServerCommands.all { table[spec.name] = spec }
        return table
    }()

    /// The spec for `name` (any case).
    public static func lookup(_ name: [UInt8]) -> CommandSpec? {
        commands[String(decoding: name, as: UTF8.self).lowercased()]
    }

    /// Runs `args` (the name first) against `engine`: unknown commands and wrong arities get Redis'
    /// error replies.
    public static func execute(_ args: [[UInt8]], engine: KVEngine, session: inout ClientSession,
                               reply: inout [UInt8]) -> CommandEffect {
        guard let first = args.first else { return .none }
        guard let spec = lookup(first) else {
            var message = "ERR unknown command '\(printable(first))', with args beginning with: "
            for arg in args.dropFirst().prefix(16) { message += "'\(printable(arg))' " }
            RESPEncoder.error(message, into: &reply)
            return .none
        }
        session.lastCommand = spec.name
        guard spec.accepts(args.count) else {
            RESPEncoder.error("ERR wrong number of arguments for '\(spec.name)' command", into: &reply)
            return .none
        }
        if let failure = engine.aof?.failure, spec.flags.contains("write") {
            // As Redis: once the AOF cannot be written, writes are refused rather than lost.
            RESPEncoder.error("MISCONF Errors writing to the AOF file: \(failure)", into: &reply)
            return .none
        }
        return spec.run(engine, args, &session, &reply)
    }

    /// `bytes` as text for an error message: at most 128 bytes, control bytes as `?`.
    static func printable(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix(128).map { $0 < 32 || $0 == 127 ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
    }
}
