// Raw liburing reference loops for the benchmark harness: the physical limit of this machine.
// Each loop does the same work as its Quiesce counterpart (same ring size, batch sizes, message
// sizes), with nothing in between the program and liburing. Not the library's shim: these call
// liburing directly and make their own decisions.
#ifndef CRAWRING_H
#define CRAWRING_H

#include <stdint.h>
#include <stddef.h>

/// Monotonic clock, nanoseconds (the same clock the Swift side reads).
uint64_t crr_now_ns(void);

/// Keeps `inflight` NOPs in flight on a ring of `entries` until `total` have completed.
/// Returns the elapsed nanoseconds, or a negative errno.
int64_t crr_nop(unsigned entries, unsigned inflight, uint64_t total);

/// Arms `k` reads (64 bytes each) on the empty pipe `fd`, submits them, then cancels each one by its
/// user data and reaps all 2k completions. Ring of `entries`. Returns elapsed ns or a negative errno.
int64_t crr_arm_cancel(unsigned entries, unsigned k, int fd);

/// Pipe round trips through one ring: a pinger writes `size` bytes to pipe A and reads them back
/// from pipe B; an echoer reads A and writes B. Stores each round trip's latency (ns) in
/// `latencies[0..<count]`. Returns elapsed ns or a negative errno.
int64_t crr_pipe_roundtrip(unsigned entries, unsigned size, uint64_t count, uint64_t *latencies);

/// A liburing echo server: accepts exactly `conns` connections on `listen_fd`, echoes what each
/// sends (recv into a `bufsize` buffer, send it all back) and returns when all have closed.
/// Returns 0 or a negative errno.
int crr_echo_server(unsigned entries, int listen_fd, unsigned conns, unsigned bufsize);

/// A closed-loop TCP load generator on its own thread (epoll, TCP_NODELAY): `conns` connections
/// to 127.0.0.1:`port`, each sends a `size`-byte message and waits for it to come back, `msgs`
/// times. Latencies of every message are kept.
typedef struct crr_loadgen crr_loadgen;

/// Starts the generator; NULL when the thread cannot start.
crr_loadgen *crr_loadgen_start(uint16_t port, unsigned conns, unsigned msgs, unsigned size);

/// Waits for the generator. Fills elapsed ns, the number of messages echoed and their latencies
/// (valid until crr_loadgen_free). Returns 0, or a negative errno when the generator failed.
int crr_loadgen_join(crr_loadgen *lg, int64_t *elapsed_ns, uint64_t *messages, const uint64_t **latencies);

/// Frees the generator after join.
void crr_loadgen_free(crr_loadgen *lg);

/// Heap allocation counting: malloc, calloc, realloc, posix_memalign, aligned_alloc and memalign
/// are interposed in this process and forward to glibc's __libc_* entry points. Counting happens
/// only while enabled.
void crr_alloc_counting(int enabled);
/// Allocation calls counted so far.
uint64_t crr_alloc_count(void);
/// glibc's mallinfo2().uordblks: bytes currently allocated (a cross-check of the counter).
uint64_t crr_heap_in_use(void);

#endif
