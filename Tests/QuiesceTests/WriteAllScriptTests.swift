import Testing
import Glibc
@testable import Quiesce

/// A ``WriteAll`` of `text` to descriptor 7 and the results the kernel gives its pieces, one by one:
/// the request each piece must make, and how it must end.
struct WriteAllScript: Sendable, CustomTestStringConvertible {
    enum Target: Sendable { case write(offset: UInt64), send }
    enum Outcome: Sendable { case wrote(Int), failed(errno: Int32) }

    var name: String
    var target: Target
    var text: String
    /// Per piece: the request it must submit and the result the kernel completes it with.
    var pieces: [(request: SubmittedEntry, result: Int32)]
    var outcome: Outcome
    /// Bytes written when it ends.
    var written: Int

    var testDescription: String { name }

    func make() -> WriteAll {
        switch target {
        case .write(let offset): WriteAll(7, IOBuffer(string: text), offset: offset)
        case .send: WriteAll.send(7, IOBuffer(string: text))
        }
    }
}

/// WriteAll loops on short writes until every byte is out, from where each piece stopped, and stops
/// at the first error or at a piece that took nothing, handing the buffer back whole.
struct WriteAllScriptTests {
    static let nosignal = Int32(MSG_NOSIGNAL)
    static let scripts: [WriteAllScript] = [
        WriteAllScript(name: "a short write is continued from where it stopped", target: .write(offset: .max),
                       text: "hello, world",
                       pieces: [(.write(fd: 7, length: 12), 5), (.write(fd: 7, length: 7), 7)],
                       outcome: .wrote(12), written: 12),
        WriteAllScript(name: "positional writes advance the offset", target: .write(offset: 100), text: "abcdef",
                       pieces: [(.write(fd: 7, offset: 100, length: 6), 2), (.write(fd: 7, offset: 102, length: 4), 4)],
                       outcome: .wrote(6), written: 6),
        WriteAllScript(name: "an error stops the loop", target: .send, text: "abcdef",
                       pieces: [(.send(fd: 7, flags: nosignal, length: 6), 3), (.send(fd: 7, flags: nosignal, length: 3), -EPIPE)],
                       outcome: .failed(errno: EPIPE), written: 3),
        WriteAllScript(name: "zero bytes taken is an error, not a spin", target: .write(offset: .max), text: "x",
                       pieces: [(.write(fd: 7, length: 1), 0)],
                       outcome: .failed(errno: EIO), written: 0),
    ]

    @Test(arguments: scripts)
    func writeAllFollowsTheKernelsResults(_ script: WriteAllScript) throws {
        let backend = ScriptedBackend()
        let executor = Executor(backend: backend)
        var write = script.make()
        for (index, piece) in script.pieces.enumerated() {
            #expect(!pollOnce(&write, on: executor), "piece \(index) is in flight")
            try executor.driver.turn(waitNanos: 0)
            #expect(backend.submitted.last?.request == piece.request, "piece \(index)")
            backend.completions = [(backend.operation(index), piece.result)]
            try executor.driver.turn(waitNanos: 0)
        }
        var cx = Context(waker: .noop, executor: executor)
        guard case .ready(let done) = write.poll(&cx) else {
            Issue.record("not done after \(script.pieces.count) pieces")
            return
        }
        switch script.outcome {
        case .wrote(let total): #expect((try? done.result.get()) == total, "\(done.result)")
        case .failed(let code): #expect(errnoOf(done.result) == code)
        }
        let text = done.buffer.string
        #expect(text == script.text, "the buffer comes back whole")
        #expect(write.written == script.written, "how far it got")
        #expect(write.pieces == script.pieces.count)
        #expect(backend.submitted.filter { $0.request != nil }.count == script.pieces.count, "no piece more")
    }
}
