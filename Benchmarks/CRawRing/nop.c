// NOPs with a fixed number in flight: prepare, submit-and-wait for one, reap every completion that
// arrived and prepare a new NOP for each. The same batching the executor does.
#include "common.h"

int64_t crr_nop_setup(unsigned entries, unsigned flags, unsigned inflight, uint64_t total) {
    struct io_uring ring;
    int rc = io_uring_queue_init(entries, &ring, flags);
    if (rc < 0) return rc;
    uint64_t started = 0, done = 0;
    uint64_t t0 = crr_now_ns();
    for (unsigned i = 0; i < inflight && started < total; i++, started++) {
        struct io_uring_sqe *sqe = crr_sqe(&ring);
        io_uring_prep_nop(sqe);
        io_uring_sqe_set_data64(sqe, started);
    }
    while (done < total) {
        // Enters with IORING_ENTER_GETEVENTS, which is also where a DEFER_TASKRUN ring runs its
        // deferred completions.
        rc = io_uring_submit_and_wait(&ring, 1);
        if (rc < 0 && rc != -EINTR) { io_uring_queue_exit(&ring); return rc; }
        // Every completion that arrived, read in place (as the executor's reap does).
        unsigned head, n = 0;
        struct io_uring_cqe *cqe;
        io_uring_for_each_cqe(&ring, head, cqe) {
            n++;
            if (started < total) {
                struct io_uring_sqe *sqe = crr_sqe(&ring);
                io_uring_prep_nop(sqe);
                io_uring_sqe_set_data64(sqe, started++);
            }
        }
        io_uring_cq_advance(&ring, n);
        done += n;
    }
    int64_t elapsed = (int64_t)(crr_now_ns() - t0);
    io_uring_queue_exit(&ring);
    return elapsed;
}

int64_t crr_nop(unsigned entries, unsigned inflight, uint64_t total) { return crr_nop_setup(entries, 0, inflight, total); }
