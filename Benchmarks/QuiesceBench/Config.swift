/// How much work each benchmark does: full runs are long enough for stable medians; smoke runs
/// (inside `make test`) do a few thousand iterations so the harness cannot rot.
struct Config {
    var smoke = false
    var repetitions = 5
    var spawnTasks = 200_000
    var spawnBatch = 1_000
    var handoffs = 200_000
    var nopsAt1 = 300_000
    var nopsBatched = 2_000_000
    var cancelK = 1_024
    var cancelIterations = 40
    var pipeRoundTrips = 100_000
    var echoMessages1 = 40_000
    var echoMessagesPerConnection50 = 2_000
    /// Messages per connection with 50 connections × 16 pipelined.
    var echoMessagesPipelined = 16_000
    var allocOps = 20_000
    /// redis-benchmark requests per test: -P 1, -P 16, and SET with appendfsync always at -P 1 and -P 16.
    var kvRequests = 100_000
    var kvRequestsPipelined = 1_000_000
    var kvRequestsAlways = 20_000
    var kvRequestsAlwaysPipelined = 200_000
    /// Requests per connection (50 connections) in the longer of the two KV allocation runs.
    var kvAllocRequests = 2_000
    /// Reads with an expiring deadline, per side of the link-timeout figure.
    var linkTimeoutIterations = 20_000
    /// Ring size used by both sides (the cancel benchmark uses 2×K so all 2K completions fit).
    var entries: UInt32 = 256

    static let smokeConfig = Config(
        smoke: true, repetitions: 1, spawnTasks: 4_000, spawnBatch: 500, handoffs: 4_000, nopsAt1: 4_000,
        nopsBatched: 8_000, cancelK: 1_024, cancelIterations: 2, pipeRoundTrips: 2_000, echoMessages1: 2_000,
        echoMessagesPerConnection50: 40, echoMessagesPipelined: 160, allocOps: 2_000, kvRequests: 2_000,
        kvRequestsPipelined: 20_000, kvRequestsAlways: 1_000, kvRequestsAlwaysPipelined: 10_000, kvAllocRequests: 200,
        linkTimeoutIterations: 200)
}
