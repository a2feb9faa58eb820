// Raw liburing reference loops for the benchmark harness: the physical limit of this machine.
// Each loop does the same work as its Quiesce counterpart (same ring size, batch sizes, message
// sizes), with nothing in between the program and liburing. Not the library's shim: these call
// liburing directly and make their own decisions.
#ifndef CRAWRING_H
#define CRAWRING_H

#include <stdint.h>
#include <stddef.h>
#include "CRawRingUDP.h"  // the UDP echo figure's server and load generator

/// Monotonic clock, nanoseconds (the same clock the Swift side reads).
uint64_t crr_now_ns(void);

/// Keeps `inflight` NOPs in flight on a ring of `entries` set up with `flags` (IORING_SETUP_*) until
/// `total` have completed. Returns the elapsed nanoseconds, or a negative errno.
int64_t crr_nop_setup(unsigned entries, unsigned flags, unsigned inflight, uint64_t total);

/// `crr_nop_setup` with flags 0.
int64_t crr_nop(unsigned entries, unsigned inflight, uint64_t total);

/// Arms `k` reads (64 bytes each) on the empty pipe `fd`, submits them, then cancels each one by its
/// user data and reaps all 2k completions. Ring of `entries`. Returns elapsed ns or a negative errno.
int64_t crr_arm_cancel(unsigned entries, unsigned k, int fd);

/// Pipe round trips through one ring: a pinger writes `size` bytes to pipe A and reads them back
/// from pipe B; an echoer reads A and writes B. Stores each round trip's latency (ns) in
/// `latencies[0..<count]`. Returns elapsed ns or a negative errno.
int64_t crr_pipe_roundtrip(unsigned entries, unsigned size, uint64_t count, uint64_t *latencies);

/// A liburing echo server on a ring of `entries` set up with `flags` (IORING_SETUP_*): accepts
/// exactly `conns` connections on `listen_fd` (with one multishot accept when `multishot_accept` is
/// nonzero, else one accept per connection), echoes what each sends (recv into a `bufsize` buffer,
/// send it all back) and returns when all have closed. Returns 0 or a negative errno.
int crr_echo_server(unsigned entries, unsigned flags, int multishot_accept, int listen_fd, unsigned conns, unsigned bufsize);

/// A liburing echo server with multishot receive from a provided-buffer ring, on a ring of
/// `entries` set up with `flags` (IORING_SETUP_*): one multishot accept takes exactly `conns`
/// connections on `listen_fd`; each connection has one multishot receive picking buffers from a ring
/// of `nbufs` (a power of two) buffers of `bufsize` bytes shared by every connection, sends each
/// buffer back from where it lies and returns it to the ring once sent. Returns when all have closed:
/// 0 or a negative errno.
int crr_echo_multishot_server(unsigned entries, unsigned flags, int listen_fd, unsigned conns, unsigned nbufs, unsigned bufsize);

/// What a load generator sends and expects back.
typedef struct {
    /// The server, on 127.0.0.1.
    uint16_t port;
    /// Connections, each with its own messages.
    unsigned conns;
    /// Messages per connection.
    unsigned msgs;
    /// Messages a connection sends in one write before waiting for all their replies (1: one in
    /// flight; 16: pipelined as redis-benchmark -P 16 does).
    unsigned depth;
    /// One message's bytes (copied at start), or NULL for `request_len` bytes of 'x'.
    const void *request;
    unsigned request_len;
    /// How many bytes answer one message (an echo: `request_len`).
    unsigned reply_len;
    /// A descriptor (a pipe's or an eventfd) to which 8 bytes are written once when the generator
    /// has finished (or failed), or -1.
    int done_fd;
} crr_load;

/// A closed-loop TCP load generator on its own thread (epoll, TCP_NODELAY). Latencies of every
/// message are kept.
typedef struct crr_loadgen crr_loadgen;

/// Starts the generator; NULL when the load is empty or the thread cannot start.
crr_loadgen *crr_loadgen_start(const crr_load *load);

/// Waits for the generator. Fills elapsed ns, the number of messages echoed and their latencies
/// (valid until crr_loadgen_free). Returns 0, or a negative errno when the generator failed.
int crr_loadgen_join(crr_loadgen *lg, int64_t *elapsed_ns, uint64_t *messages, const uint64_t **latencies);

/// Frees the generator after join.
void crr_loadgen_free(crr_loadgen *lg);

/// Starts the echo server executable at `path` (with `--port 0`) as a child process and reads the
/// port from its "listening on HOST:PORT" line; `output_fd` keeps its standard output open.
/// Returns the pid, or a negative errno.
int crr_server_start(const char *path, uint16_t *port, int *output_fd);

/// Sends SIGTERM to the child, drains its output and waits: its exit status, or minus the signal
/// that ended it.
int crr_server_stop(int pid, int output_fd);

/// Runs `argv` (searched in PATH when it has no slash) as a child process, its standard output and
/// error going to a pipe whose reading end is stored in `output_fd`. Returns the pid or a negative
/// errno.
int crr_spawn(const char *const argv[], int *output_fd);

/// Reads one line (without its newline) from `fd` into `line`, byte by byte so nothing after it is
/// consumed. Returns its length, or -1 at the end of the output.
long crr_read_line(int fd, char *line, size_t capacity);

/// Reads `fd` to its end, keeping the first `capacity` - 1 bytes (NUL-terminated). Returns the
/// number kept.
long crr_read_all(int fd, char *text, size_t capacity);

/// Sends `signal` to the child (none when 0), drains its output until it closes, reaps it and
/// closes `output_fd`. Returns its exit status, or minus the signal that ended it.
int crr_child_stop(int pid, int signal, int output_fd);

/// A loopback TCP port that was free a moment ago, or a negative errno.
int crr_free_port(void);

/// Waits until 127.0.0.1:`port` accepts a connection: 0, or -ETIMEDOUT after `timeout_ms`.
int crr_wait_for_port(uint16_t port, unsigned timeout_ms);

/// Removes `path` and everything under it. 0 or a negative errno.
int crr_remove_tree(const char *path);

/// The IORING_SETUP_* flags of the last ring this process set up through liburing (every
/// io_uring_queue_init and io_uring_queue_init_params call is seen, the library's included).
/// Returns 0 when no ring has been set up yet.
int crr_last_ring_flags(unsigned *flags);

/// The setup flags liburing 2.3's headers know, for the report (kernel values, stable ABI).
enum {
    CRR_SETUP_COOP_TASKRUN = 1u << 8,
    CRR_SETUP_TASKRUN_FLAG = 1u << 9,
    CRR_SETUP_SINGLE_ISSUER = 1u << 12,
    CRR_SETUP_DEFER_TASKRUN = 1u << 13,
};

/// Heap allocation counting: malloc, calloc, realloc, posix_memalign, aligned_alloc and memalign
/// are interposed in this process and forward to glibc's __libc_* entry points. Counting happens
/// only while enabled.
void crr_alloc_counting(int enabled);
/// Allocation calls counted so far.
uint64_t crr_alloc_count(void);
/// glibc's mallinfo2().uordblks: bytes currently allocated (a cross-check of the counter).
uint64_t crr_heap_in_use(void);

#endif
