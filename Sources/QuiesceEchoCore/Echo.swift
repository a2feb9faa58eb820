import Quiesce

// The echo protocol of the QuiesceEcho example, composed from combinators: a library of its own so
// the example, the benchmark (figure echo_composed) and the tests run the same code.

/// One turn of an echo loop: go on with the buffer, or stop.
public typealias EchoStep = LoopStep<IOBuffer, Void>

/// The composed connection's type, spelled out once.
public typealias ComposedEcho = Using<Socket, Loop<IOBuffer, Void, Then<RecvOp, Int32, Either<Ready<EchoStep>, Map<WriteAll, Void, EchoStep>>>>>

/// An echo connection on `socket`, ready to spawn: it echoes until the peer closes. The loop's state
/// is the buffer: it moves into each operation and comes back with the result. Dropping the
/// connection cancels the recv or send in flight, then closes the socket (``using(_:_:)`` drops its
/// body before its resource).
public func echo(_ socket: consuming Socket) -> ComposedEcho {
    using(socket) { socket in
        loop(IOBuffer(capacity: 16 * 1024)) { [fd = socket.raw] buffer in
            IO.recv(fd, into: buffer).then(carrying: fd) { fd, got in
                if case .success(let n) = got.result, n > 0 {
                    return Either<Ready<EchoStep>, _>.second(WriteAll.send(fd, got.buffer).map(carrying: ()) { _, sent -> EchoStep in
                        guard case .success = sent.result else { return .done(()) }
                        var buffer = sent.buffer
                        buffer.clear()
                        return .next(buffer)
                    })
                }
                return .first(ready(.done(())))
            }
        }
    }
}
