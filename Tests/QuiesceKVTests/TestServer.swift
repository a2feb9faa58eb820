import Foundation
import Quiesce
#if canImport(Glibc)
import Glibc
#endif
@testable import QuiesceKVCore

/// A server running in-process on its own thread with its own executor, on an ephemeral port.
final class TestServer: @unchecked Sendable {
    let port: UInt16
    private let remote: RemoteHandle
    private let server: UnsafeServer
    private let done = DispatchSemaphore(value: 0)
    private let outcome: Outcome
    private(set) var error: String?

    /// How the server's shutdown ended, once ``stop(timeout:)`` has returned `true`.
    var shutdownReport: ShutdownReport? { outcome.report }

    final class Outcome: @unchecked Sendable { var report: ShutdownReport? }

    struct UnsafeServer: @unchecked Sendable { let value: KVServer }

    /// `configure` adjusts the configuration; `prepare` runs on the server's thread once the server
    /// and its executor exist, before it starts serving (to install test seams and handlers).
    init(configure: (inout ServerConfig) -> Void = { _ in },
         prepare: @escaping @Sendable (KVServer, Executor) -> Void = { _, _ in }) throws {
        var config = ServerConfig()
        config.port = 0
        config.flushTimeout = 1_000_000_000
        configure(&config)
        let ready = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable {
            var port: UInt16 = 0
            var remote: RemoteHandle?
            var server: KVServer?
            var error: String?
        }
        let box = Box()
        let outcome = Outcome()
        let finished = done
        let frozen = config
        let thread = Thread {
            do {
                let executor = try Executor()
                let server = try KVServer(config: frozen)
                prepare(server, executor)
                box.server = server
                box.port = server.port
                box.remote = try executor.remoteHandle()
                ready.signal()
                outcome.report = try server.run(on: executor)
            } catch {
                box.error = "\(error)"
                ready.signal()
            }
            finished.signal()
        }
        thread.start()
        ready.wait()
        guard let remote = box.remote, let server = box.server else {
            throw TestError("server did not start: \(box.error ?? "?")")
        }
        self.port = box.port
        self.outcome = outcome
        self.remote = remote
        self.server = UnsafeServer(value: server)
    }

    /// Runs `body` on the server's executor thread and returns its result.
    func onServer<T: Sendable>(_ body: @escaping @Sendable (KVServer) -> T) -> T {
        let result = ResultBox<T>()
        let semaphore = DispatchSemaphore(value: 0)
        let server = self.server
        remote.execute { _ in
            result.value = body(server.value)
            semaphore.signal()
        }
        semaphore.wait()
        return result.value!
    }

    /// Polls `condition` on the server thread until it holds (true) or 5 seconds pass (false).
    func waitUntil(_ condition: @escaping @Sendable (KVServer) -> Bool) -> Bool {
        for _ in 0..<500 {
            if onServer(condition) { return true }
            usleep(10_000)
        }
        return false
    }

    /// Requests a graceful shutdown and waits (bounded) for the server's loop to return.
    func stop(timeout: Double = 10) -> Bool {
        let server = self.server
        remote.execute { _ in server.value.requestShutdown() }
        return done.wait(timeout: .now() + timeout) == .success
    }
}

/// The built QuiesceKV executable, run as a child process.
final class ServerProcess {
    let process = Process()
    let port: UInt16
    /// What the server printed before the line that names its port.
    private(set) var startupLines: [String] = []
    private let output = Pipe()

    static var binary: URL {
        // The test bundle sits next to the package's executables in the build directory.
        // (On Linux the bundle URL may be the build directory itself.)
        let bundle = Bundle(for: ServerProcess.self).bundleURL
        let candidates = [bundle.appendingPathComponent("QuiesceKV"),
                          bundle.deletingLastPathComponent().appendingPathComponent("QuiesceKV")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[1]
    }

    /// Starts the server with `arguments`. `limits` (shell commands such as `ulimit -n 64`) run in
    /// a shell that then execs the server, so they apply to it alone.
    init(arguments: [String], limits: String? = nil) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw TestError("QuiesceKV is not built at \(Self.binary.path): run swift build first")
        }
        if let limits {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "\(limits) && exec \"$0\" \"$@\"", Self.binary.path, "--port", "0"] + arguments
        } else {
            process.executableURL = Self.binary
            process.arguments = ["--port", "0"] + arguments
        }
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        // The first line names the port.
        var line: [UInt8] = []
        let handle = output.fileHandleForReading
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let data = handle.readData(ofLength: 1)
            if data.isEmpty { break }
            if data[0] == 10 {
                let text = String(decoding: line, as: UTF8.self)
                if text.hasPrefix("QuiesceKV listening on "), let port = text.split(separator: ":").last.flatMap({ UInt16($0) }) {
                    self.port = port
                    return
                }
                startupLines.append(text)
                line = []
            } else {
                line.append(data[0])
            }
        }
        process.terminate()
        throw TestError("QuiesceKV did not report its port")
    }

    /// Sends `signal` and waits (bounded) for the exit status.
    func signalAndWait(_ signal: Int32, timeout: Double = 15) -> Int32? {
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }
}

/// A fresh temporary path for an AOF.
func temporaryAOFPath(_ name: String = #function) -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "quiesce-kv-\(getpid())-\(safe)-\(UInt32.random(in: 0...UInt32.max)).aof"
    unlink(path)
    return path
}

/// `commands` encoded as RESP arrays, one after another (requests, or AOF records).
func encodeCommands(_ commands: [[String]]) -> [UInt8] {
    var bytes: [UInt8] = []
    for command in commands { RESPEncoder.command(command.map { Array($0.utf8) }, into: &bytes) }
    return bytes
}

/// Carries a value back from the server thread.
final class ResultBox<T>: @unchecked Sendable {
    var value: T?
    init() {}
}
