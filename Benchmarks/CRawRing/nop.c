// NOPs with a fixed number in flight: prepare, submit-and-wait for one, reap every completion that
// arrived and prepare a new NOP for each. The same batching the executor does.
#include "common.h"

int64_t crr_nop(unsigned entries, unsigned inflight, uint64_t total) {
    struct io_uring ring;
    int rc = io_uring_queue_init(entries, &ring, 0);
    if (rc < 0) return rc;
    uint64_t started = 0, done = 0;
    uint64_t t0 = crr_now_ns();
    for (unsigned i = 0; i < inflight && started < total; i++, started++) {
        struct io_uring_sqe *sqe = crr_sqe(&ring);
        io_uring_prep_nop(sqe);
        io_uring_sqe_set_data64(sqe, started);
    }
    struct io_uring_cqe *cqes[256];
    while (done < total) {
        rc = io_uring_submit_and_wait(&ring, 1);
        if (rc < 0 && rc != -EINTR) { io_uring_queue_exit(&ring); return rc; }
        unsigned n;
        while ((n = io_uring_peek_batch_cqe(&ring, cqes, 256)) > 0) {
            io_uring_cq_advance(&ring, n);
            done += n;
            for (unsigned i = 0; i < n && started < total; i++, started++) {
                struct io_uring_sqe *sqe = crr_sqe(&ring);
                io_uring_prep_nop(sqe);
                io_uring_sqe_set_data64(sqe, started);
            }
        }
    }
    int64_t elapsed = (int64_t)(crr_now_ns() - t0);
    io_uring_queue_exit(&ring);
    return elapsed;
}
