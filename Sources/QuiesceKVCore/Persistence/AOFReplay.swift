#if canImport(Glibc)
import Glibc
#endif

/// Why the AOF could not be loaded.
public struct AOFError: Error, CustomStringConvertible, Equatable {
    /// A readable account, naming the file and the offset.
    public var description: String
}

/// Loads an AOF into an engine at start-up: every record is run again, in order.
///
/// Every record must be a RESP array of bulk strings (what ``AppendOnlyFile`` writes). Only a record
/// cut short at the end of the file (the server died mid-write) is dropped, and the file truncated
/// to the last complete record, like Redis' `aof-load-truncated yes`. Anything else that is not such
/// a record — an inline command line, garbage, a malformed record, wherever it is — is corruption:
/// the load fails naming the byte offset where that record starts, and the file is left as it is,
/// since replaying past it (or cutting it off) would give a keyspace that never existed.
public enum AOFReplay {
    /// What a replay did.
    public struct Outcome: Equatable, Sendable {
        /// Records run.
        public var records: Int
        /// Bytes dropped from an incomplete last record (0 when the file ended cleanly).
        public var truncatedBytes: Int
    }

    /// Replays the file at `path` (a missing file is an empty one) into `engine`.
    public static func replay(path: String, into engine: KVEngine) throws(AOFError) -> Outcome {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return Outcome(records: 0, truncatedBytes: 0) }
            throw AOFError(description: "cannot open AOF \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var parser = RESPParser(limits: RESPLimits(maxBulkLength: .max / 4, maxMultibulkCount: .max / 4,
                                                   maxInlineLength: 1024 * 1024, maxRequestBytes: .max / 4),
                                mode: .records)
        var session = engine.newSession(peer: "aof")
        var reply: [UInt8] = []
        var records = 0
        var total = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        let savedAOF = engine.aof
        engine.aof = nil  // replayed records are already in the file
        defer { engine.aof = savedAOF }
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AOFError(description: "cannot read AOF \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            total += n
            parser.feed(chunk[0..<n])
            while true {
                switch parser.next() {
                case .incomplete:
                    break
                case .protocolError(let message):
                    throw AOFError(description: "AOF \(path) is corrupt at byte \(parser.consumed): the record there is not RESP (\(message)); the file is left unchanged")
                case .command(let args):
                    records += 1
                    reply.removeAll(keepingCapacity: true)
                    _ = engine.execute(args, session: &session, reply: &reply)
                    if reply.first == UInt8(ascii: "-") {
                        throw AOFError(description: "AOF \(path) record \(records) failed: \(String(decoding: reply.dropFirst().dropLast(2), as: UTF8.self))")
                    }
                    continue
                }
                break
            }
        }
        // The records parser refuses any byte no record can have, so an unfinished tail is the start
        // of a well-formed record: torn by a crash mid-write.
        let truncated = total - parser.consumed
        if truncated > 0 {
            guard truncate(path, off_t(parser.consumed)) == 0 else {
                throw AOFError(description: "cannot truncate the incomplete end of AOF \(path): \(String(cString: strerror(errno)))")
            }
        }
        return Outcome(records: records, truncatedBytes: truncated)
    }

    /// Opens (creating if needed) the AOF for appending. A file it creates has its directory
    /// fsynced before it is used, so the new file's directory entry survives a power loss (a record
    /// acknowledged as durable must not vanish with the file that holds it).
    public static func openForAppend(path: String) throws(AOFError) -> Int32 {
        try openForAppend(path: path, syncDirectory: { fsync($0) })
    }

    /// ``openForAppend(path:)`` with the directory's fsync given (tests observe it).
    static func openForAppend(path: String, syncDirectory: (Int32) -> Int32) throws(AOFError) -> Int32 {
        while true {
            let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
            if fd >= 0 { return fd }
            guard errno == ENOENT else { throw openError(path) }
            // Exclusive: the one that creates the file is the one that makes its entry durable.
            let created = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if created < 0 {
                if errno == EEXIST { continue }
                throw openError(path)
            }
            do throws(AOFError) {
                try fsyncDirectory(holding: path, using: syncDirectory)
            } catch {
                // Removed (it is empty and ours), so the next start creates it again and retries.
                close(created)
                unlink(path)
                throw error
            }
            return created
        }
    }

    private static func openError(_ path: String) -> AOFError {
        AOFError(description: "cannot open AOF \(path) for writing: \(String(cString: strerror(errno)))")
    }

    // Fsyncs the directory that holds `path`. A file system that cannot fsync a directory at all
    // (EINVAL, EBADF) is not an error, as in Redis' `fsyncFileDir`.
    private static func fsyncDirectory(holding path: String, using sync: (Int32) -> Int32) throws(AOFError) {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw AOFError(description: "cannot open the directory \(directory) of AOF \(path) to fsync it: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        if sync(fd) != 0 && errno != EINVAL && errno != EBADF {
            throw AOFError(description: "cannot fsync the directory \(directory) of the new AOF \(path): \(String(cString: strerror(errno)))")
        }
    }
}
