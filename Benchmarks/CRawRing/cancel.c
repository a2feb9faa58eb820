// Arm k reads on an empty pipe, cancel each by its user data, reap all 2k completions.
#include <stdlib.h>
#include "common.h"

int64_t crr_arm_cancel(unsigned entries, unsigned k, int fd) {
    struct io_uring ring;
    int rc = io_uring_queue_init(entries, &ring, 0);
    if (rc < 0) return rc;
    char *buffers = malloc((size_t)k * 64);
    if (!buffers) { io_uring_queue_exit(&ring); return -ENOMEM; }
    uint64_t t0 = crr_now_ns();
    for (unsigned i = 0; i < k; i++) {
        struct io_uring_sqe *sqe = crr_sqe(&ring);
        io_uring_prep_read(sqe, fd, buffers + (size_t)i * 64, 64, (uint64_t)-1);
        io_uring_sqe_set_data64(sqe, i);
    }
    io_uring_submit(&ring);
    for (unsigned i = 0; i < k; i++) {
        struct io_uring_sqe *sqe = crr_sqe(&ring);
        io_uring_prep_cancel64(sqe, i, 0);
        io_uring_sqe_set_data64(sqe, (1ull << 63) | i);
    }
    unsigned reaped = 0;
    while (reaped < 2 * k) {
        rc = io_uring_submit_and_wait(&ring, 1);
        if (rc < 0 && rc != -EINTR) break;
        unsigned head, n = 0;
        struct io_uring_cqe *cqe;
        io_uring_for_each_cqe(&ring, head, cqe) n++;
        io_uring_cq_advance(&ring, n);
        reaped += n;
    }
    int64_t elapsed = (int64_t)(crr_now_ns() - t0);
    io_uring_queue_exit(&ring);
    free(buffers);
    return reaped == 2 * k ? elapsed : (rc < 0 ? rc : -EIO);
}
