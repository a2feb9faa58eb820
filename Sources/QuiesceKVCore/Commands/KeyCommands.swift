/// The keyspace commands: GET, SET, DEL, EXISTS, INCR.
///
/// Writes are logged to the AOF in an idempotent form (`SET key value [PXAT ms]`): replaying a
/// record twice, or after its expiry, gives the same keyspace.
enum KeyCommands {
    static let all: [CommandSpec] = [
        CommandSpec(name: "get", arity: 2, flags: ["readonly", "fast"], firstKey: 1, lastKey: 1, keyStep: 1, run: get),
        CommandSpec(name: "set", arity: -3, flags: ["write", "denyoom"], firstKey: 1, lastKey: 1, keyStep: 1, run: set),
        CommandSpec(name: "del", arity: -2, flags: ["write"], firstKey: 1, lastKey: -1, keyStep: 1, run: del),
        CommandSpec(name: "exists", arity: -2, flags: ["readonly", "fast"], firstKey: 1, lastKey: -1, keyStep: 1, run: exists),
        CommandSpec(name: "incr", arity: 2, flags: ["write", "denyoom", "fast"], firstKey: 1, lastKey: 1, keyStep: 1, run: incr),
    ]

    static let setName = Array("SET".utf8)
    static let delName = Array("DEL".utf8)
    static let pxatName = Array("PXAT".utf8)

    static func get(_ engine: KVEngine, _ args: RESPArguments, _ session: inout ClientSession, _ reply: inout [UInt8]) -> CommandEffect {
        if let value = engine.store.get(args[1]) { RESPEncoder.bulk(value, into: &reply) } else { RESPEncoder.null(into: &reply) }
        return .none
    }

    /// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]
    static func set(_ engine: KVEngine, _ args: RESPArguments, _ session: inout ClientSession, _ reply: inout [UInt8]) -> CommandEffect {
        var nx = false, xx = false, returnOld = false, keepTTL = false
        var expiresAt: Int64?
        var i = 3
        while i < args.count {
            let option = String(decoding: args[i], as: UTF8.self).uppercased()
            switch option {
            case "NX" where !xx: nx = true
            case "XX" where !nx: xx = true
            case "GET": returnOld = true
            case "KEEPTTL" where expiresAt == nil: keepTTL = true
            case "EX", "PX", "EXAT", "PXAT":
                guard expiresAt == nil, !keepTTL, i + 1 < args.count else { return syntaxError(&reply) }
                i += 1
                guard let amount = Int64(String(decoding: args[i], as: UTF8.self)) else {
                    RESPEncoder.error("ERR value is not an integer or out of range", into: &reply)
                    return .none
                }
                let scale: Int64 = option == "EX" || option == "EXAT" ? 1000 : 1
                let (ms, overflow) = amount.multipliedReportingOverflow(by: scale)
                let relative = option == "EX" || option == "PX"
                let (absolute, overflow2) = relative ? ms.addingReportingOverflow(engine.store.clock()) : (ms, false)
                guard amount > 0, !overflow, !overflow2 else {
                    RESPEncoder.error("ERR invalid expire time in 'set' command", into: &reply)
                    return .none
                }
                expiresAt = absolute
            default:
                return syntaxError(&reply)
            }
            i += 1
        }
        let key = args[1]
        let value = args[2]
        if nx || xx || returnOld || keepTTL {
            // Only the options read the old entry (a plain SET looks the key up once, to store).
            let old = engine.store.entry(key)
            if returnOld {
                if let old { RESPEncoder.bulk(old.value, into: &reply) } else { RESPEncoder.null(into: &reply) }
            }
            if (nx && old != nil) || (xx && old == nil) {
                if !returnOld { RESPEncoder.null(into: &reply) }
                return .none
            }
            if keepTTL { expiresAt = old?.expiresAt }
        }
        engine.store.set(key, value, expiresAt: expiresAt)
        if !returnOld { RESPEncoder.simple("OK", into: &reply) }
        return engine.logSet(key, value, expiresAt: expiresAt)
    }

    static func del(_ engine: KVEngine, _ args: RESPArguments, _ session: inout ClientSession, _ reply: inout [UInt8]) -> CommandEffect {
        var removed: [[UInt8]] = [delName]
        for key in args.dropFirst() where engine.store.delete(key) { removed.append(Array(key)) }
        RESPEncoder.integer(removed.count - 1, into: &reply)
        return removed.count > 1 ? engine.log(removed) : .none
    }

    static func exists(_ engine: KVEngine, _ args: RESPArguments, _ session: inout ClientSession, _ reply: inout [UInt8]) -> CommandEffect {
        var count = 0
        for key in args.dropFirst() where engine.store.exists(key) { count += 1 }
        RESPEncoder.integer(count, into: &reply)
        return .none
    }

    static func incr(_ engine: KVEngine, _ args: RESPArguments, _ session: inout ClientSession, _ reply: inout [UInt8]) -> CommandEffect {
        let key = args[1]
        // The reply `:<digits>\r\n` holds the new value's digits: the stored value and the AOF
        // record take them from there. A live entry is read and rewritten where it lies.
        let replyStart = reply.count
        let updated = engine.store.updateLive(key) { entry -> IncrOutcome in
            guard let current = strictInteger(entry.value.span) else {
                return .notInteger
            }
            let (next, overflow) = current.addingReportingOverflow(1)
            guard !overflow else { return .overflow }
            RESPEncoder.integer(next, into: &reply)
            entry.replace(with: integerDigits(reply, from: replyStart), expiresAt: entry.expiresAt)  // INCR keeps the TTL
            return .stored(expiresAt: entry.expiresAt)
        }
        switch updated {
        case .notInteger:
            RESPEncoder.error("ERR value is not an integer or out of range", into: &reply)
            return .none
        case .overflow:
            RESPEncoder.error("ERR increment or decrement would overflow", into: &reply)
            return .none
        case .stored(let expiresAt):
            guard engine.aof != nil else { return .none }
            return engine.logSet(key, integerDigits(reply, from: replyStart), expiresAt: expiresAt)
        case nil:
            RESPEncoder.integer(1, into: &reply)
            let digits = integerDigits(reply, from: replyStart)
            engine.store.set(key, digits)
            return engine.logSet(key, digits, expiresAt: nil)
        }
    }

    // The digits of the integer reply `:<digits>\r\n` that starts at `start` in `reply`.
    @inline(__always)
    private static func integerDigits(_ reply: [UInt8], from start: Int) -> ArraySlice<UInt8> {
        reply[(start + 1)..<(reply.count - 2)]
    }

    // What INCR made of a live entry.
    enum IncrOutcome {
        case notInteger, overflow
        case stored(expiresAt: Int64?)
    }

    /// A decimal integer as Redis accepts it for INCR: optional '-', no '+', no leading zeros, no spaces.
    static func strictInteger(_ bytes: Span<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 20 else { return nil }
        if bytes.count == 1 && bytes[0] == UInt8(ascii: "0") { return 0 }
        var i = 0
        let negative = bytes[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        guard i < bytes.count, bytes[i] != UInt8(ascii: "0") else { return nil }
        // Accumulated negatively, so Int.min is reached without overflow.
        var value = 0
        while i < bytes.count {
            let digit = bytes[i] &- UInt8(ascii: "0")
            guard digit <= 9 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.subtractingReportingOverflow(Int(digit))
            guard !o1 && !o2 else { return nil }
            value = sum
            i += 1
        }
        if negative { return value }
        return value == Int.min ? nil : -value
    }

    static func syntaxError(_ reply: inout [UInt8]) -> CommandEffect {
        RESPEncoder.error("ERR syntax error", into: &reply)
        return .none
    }
}
