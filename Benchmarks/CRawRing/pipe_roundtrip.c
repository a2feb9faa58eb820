// Pipe round trips on one ring, two state machines like the two Quiesce tasks:
// pinger: write A -> read B (until `size` bytes) -> record latency -> write A ...
// echoer: read A (until `size` bytes) -> write B -> read A ...
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include "common.h"

enum { PING_WRITE = 1, PING_READ, ECHO_READ, ECHO_WRITE };

int64_t crr_pipe_roundtrip(unsigned entries, unsigned size, uint64_t count, uint64_t *latencies) {
    int a[2], b[2];
    if (pipe(a) || pipe(b)) return -errno;
    struct io_uring ring;
    int rc = io_uring_queue_init(entries, &ring, 0);
    if (rc < 0) return rc;
    char *pingOut = calloc(1, size), *pingIn = malloc(size), *echoBuf = malloc(size);
    memset(pingOut, 'p', size);
    unsigned pingGot = 0, echoGot = 0;
    uint64_t done = 0, sentAt = 0;
    uint64_t t0 = crr_now_ns();
    struct io_uring_sqe *sqe = crr_sqe(&ring);
    sentAt = crr_now_ns();
    io_uring_prep_write(sqe, a[1], pingOut, size, (uint64_t)-1);
    io_uring_sqe_set_data64(sqe, PING_WRITE);
    sqe = crr_sqe(&ring);
    io_uring_prep_read(sqe, a[0], echoBuf, size, (uint64_t)-1);
    io_uring_sqe_set_data64(sqe, ECHO_READ);
    struct io_uring_cqe *cqes[16];
    while (done < count) {
        rc = io_uring_submit_and_wait(&ring, 1);
        if (rc < 0 && rc != -EINTR) break;
        unsigned n = io_uring_peek_batch_cqe(&ring, cqes, 16);
        for (unsigned i = 0; i < n; i++) {
            uint64_t tag = cqes[i]->user_data;
            int res = cqes[i]->res;
            if (res < 0) { rc = res; goto out; }
            switch (tag) {
            case PING_WRITE:
                pingGot = 0;
                sqe = crr_sqe(&ring);
                io_uring_prep_read(sqe, b[0], pingIn, size, (uint64_t)-1);
                io_uring_sqe_set_data64(sqe, PING_READ);
                break;
            case PING_READ:
                pingGot += res;
                sqe = crr_sqe(&ring);
                if (pingGot < size) {
                    io_uring_prep_read(sqe, b[0], pingIn + pingGot, size - pingGot, (uint64_t)-1);
                    io_uring_sqe_set_data64(sqe, PING_READ);
                } else {
                    uint64_t now = crr_now_ns();
                    latencies[done++] = now - sentAt;
                    sentAt = now;
                    io_uring_prep_write(sqe, a[1], pingOut, size, (uint64_t)-1);
                    io_uring_sqe_set_data64(sqe, PING_WRITE);
                }
                break;
            case ECHO_READ:
                echoGot += res;
                sqe = crr_sqe(&ring);
                if (echoGot < size) {
                    io_uring_prep_read(sqe, a[0], echoBuf + echoGot, size - echoGot, (uint64_t)-1);
                    io_uring_sqe_set_data64(sqe, ECHO_READ);
                } else {
                    echoGot = 0;
                    io_uring_prep_write(sqe, b[1], echoBuf, size, (uint64_t)-1);
                    io_uring_sqe_set_data64(sqe, ECHO_WRITE);
                }
                break;
            case ECHO_WRITE:
                sqe = crr_sqe(&ring);
                io_uring_prep_read(sqe, a[0], echoBuf, size, (uint64_t)-1);
                io_uring_sqe_set_data64(sqe, ECHO_READ);
                break;
            }
        }
        io_uring_cq_advance(&ring, n);
    }
    rc = 0;
out:;
    int64_t elapsed = (int64_t)(crr_now_ns() - t0);
    io_uring_queue_exit(&ring);  // the echoer's last read is still armed: exiting the ring ends it
    close(a[0]); close(a[1]); close(b[0]); close(b[1]);
    free(pingOut); free(pingIn); free(echoBuf);
    return rc < 0 ? rc : elapsed;
}
