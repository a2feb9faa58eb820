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
    public let run: @Sendable (KVEngine, RESPArguments, inout ClientSession, inout [UInt8]) -> CommandEffect
    /// Whether `flags` holds `write`: the command changes the keyspace.
    public let isWrite: Bool

    /// A command named `name` (lowercase) run by `run`.
    public init(name: String, arity: Int, flags: [String], firstKey: Int, lastKey: Int, keyStep: Int,
                run: @escaping @Sendable (KVEngine, RESPArguments, inout ClientSession, inout [UInt8]) -> CommandEffect) {
        self.name = name
        self.arity = arity
        self.flags = flags
        self.firstKey = firstKey
        self.lastKey = lastKey
        self.keyStep = keyStep
        self.run = run
        isWrite = flags.contains("write")
    }

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

    // Every command's lowercase name packed into a word (``packedName(_:)``), and the command at
    // the same position of `packedSpecs`: a lookup compares words instead of building a string.
    private static let packedNames: [UInt64] = packedSpecs.map { packedName(Array($0.name.utf8)[...])! }
    private static let packedSpecs: [CommandSpec] = commands.values.sorted { $0.name < $1.name }

    // The ASCII-lowercased bytes of `name` in a word, first byte lowest; `nil` when longer than
    // 8 bytes (no command's name is) or holding a zero byte (none does).
    private static func packedName(_ name: ArraySlice<UInt8>) -> UInt64? {
        guard name.count <= 8 else { return nil }
        return name.withUnsafeBytes { bytes in
            var word: UInt64 = 0
            var shift: UInt64 = 0
            for byte in bytes {
                guard byte != 0 else { return nil }
                let lower = byte &- 65 < 26 ? byte | 0x20 : byte
                word |= UInt64(lower) << shift
                shift += 8
            }
            return word
        }
    }

    /// The spec for `name` (any case).
    public static func lookup(_ name: ArraySlice<UInt8>) -> CommandSpec? {
        position(of: name).map { packedSpecs[$0] }
    }

    // Where the command named `name` (any case) is in `packedSpecs`.
    private static func position(of name: ArraySlice<UInt8>) -> Int? {
        guard let word = packedName(name) else { return nil }
        return packedNames.firstIndex(of: word)
    }

    /// The spec for `name` (any case).
    public static func lookup(_ name: [UInt8]) -> CommandSpec? { lookup(name[...]) }

    /// Runs `args` (the name first) against `engine`: unknown commands and wrong arities get Redis'
    /// error replies.
    public static func execute(_ args: RESPArguments, engine: KVEngine, session: inout ClientSession,
                               reply: inout [UInt8]) -> CommandEffect {
        guard let first = args.first else { return .none }
        guard let index = position(of: first) else {
            var message = "ERR unknown command '\(printable(first))', with args beginning with: "
            for arg in args.dropFirst().prefix(16) { message += "'\(printable(arg))' " }
            RESPEncoder.error(message, into: &reply)
            return .none
        }
        // Fields are read in place: copying the whole spec would retain each of its references.
        session.lastCommand = packedSpecs[index].name
        guard packedSpecs[index].accepts(args.count) else {
            RESPEncoder.error("ERR wrong number of arguments for '\(packedSpecs[index].name)' command", into: &reply)
            return .none
        }
        if packedSpecs[index].isWrite, let failure = engine.aof?.failure {
            // As Redis: once the AOF cannot be written, writes are refused rather than lost.
            RESPEncoder.error("MISCONF Errors writing to the AOF file: \(failure)", into: &reply)
            return .none
        }
        return packedSpecs[index].run(engine, args, &session, &reply)
    }

    /// `bytes` as text for an error message: at most 128 bytes, control bytes as `?`.
    static func printable(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix(128).map { $0 < 32 || $0 == 127 ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
    }
}
