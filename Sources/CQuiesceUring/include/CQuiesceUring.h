// Thin wrappers over liburing: one function per liburing call the Swift side needs, no logic.
// Calls that enter the kernel or are exported by liburing.so are plain functions in shim.c. The
// per-operation ones (get an SQE, prepare it, tag it, read and advance the completion queue) are `static
// inline` here, so the Swift optimizer inlines them into the driver: as out-of-line calls they were
// a measurable share of a NOP's instructions. Every decision is made in Swift.
#ifndef CQUIESCE_URING_H
#define CQUIESCE_URING_H

#include <stdint.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/eventfd.h>
#include <liburing.h>

int cqu_queue_init(unsigned entries, struct io_uring *ring, unsigned flags);
int cqu_queue_init_params(unsigned entries, struct io_uring *ring, struct io_uring_params *params);
void cqu_queue_exit(struct io_uring *ring);
static inline __attribute__((always_inline)) struct io_uring_sqe *cqu_get_sqe(struct io_uring *ring) { return io_uring_get_sqe(ring); }
unsigned cqu_sq_space_left(struct io_uring *ring);
static inline __attribute__((always_inline)) unsigned cqu_sq_ready(struct io_uring *ring) { return io_uring_sq_ready(ring); }
int cqu_submit(struct io_uring *ring);
int cqu_submit_and_wait(struct io_uring *ring, unsigned wait_nr);
int cqu_submit_and_wait_timeout(struct io_uring *ring, struct io_uring_cqe **cqe, unsigned wait_nr,
                                struct __kernel_timespec *ts);
// liburing's io_uring_for_each_cqe macro, in two pieces Swift can call: the queue's head, and the
// entry at a position (io_uring_cqe_index). Reaping a batch then reads the ring in place.
static inline __attribute__((always_inline)) unsigned cqu_cq_head(struct io_uring *ring) { return *ring->cq.khead; }
static inline __attribute__((always_inline)) struct io_uring_cqe *cqu_cqe_at(struct io_uring *ring, unsigned head) { return &ring->cq.cqes[io_uring_cqe_index(ring, head, ring->cq.ring_mask)]; }
static inline __attribute__((always_inline)) void cqu_cq_advance(struct io_uring *ring, unsigned nr) { io_uring_cq_advance(ring, nr); }
static inline __attribute__((always_inline)) int cqu_cq_has_overflow(struct io_uring *ring) { return io_uring_cq_has_overflow(ring); }
static inline __attribute__((always_inline)) unsigned cqu_cq_ready(struct io_uring *ring) { return io_uring_cq_ready(ring); }
int cqu_get_events(struct io_uring *ring);
int cqu_ring_fd(struct io_uring *ring);
unsigned cqu_features(struct io_uring *ring);

static inline __attribute__((always_inline)) void cqu_sqe_set_data64(struct io_uring_sqe *sqe, uint64_t data) { io_uring_sqe_set_data64(sqe, data); }
static inline __attribute__((always_inline)) void cqu_sqe_set_flags(struct io_uring_sqe *sqe, unsigned flags) { io_uring_sqe_set_flags(sqe, flags); }
static inline __attribute__((always_inline)) void cqu_prep_nop(struct io_uring_sqe *sqe) { io_uring_prep_nop(sqe); }
static inline __attribute__((always_inline)) void cqu_prep_read(struct io_uring_sqe *sqe, int fd, void *buf, unsigned nbytes, uint64_t offset) { io_uring_prep_read(sqe, fd, buf, nbytes, offset); }
static inline __attribute__((always_inline)) void cqu_prep_write(struct io_uring_sqe *sqe, int fd, const void *buf, unsigned nbytes, uint64_t offset) { io_uring_prep_write(sqe, fd, buf, nbytes, offset); }
static inline __attribute__((always_inline)) void cqu_prep_recv(struct io_uring_sqe *sqe, int sockfd, void *buf, size_t len, int flags) { io_uring_prep_recv(sqe, sockfd, buf, len, flags); }
static inline __attribute__((always_inline)) void cqu_prep_send(struct io_uring_sqe *sqe, int sockfd, const void *buf, size_t len, int flags) { io_uring_prep_send(sqe, sockfd, buf, len, flags); }
static inline __attribute__((always_inline)) void cqu_prep_accept(struct io_uring_sqe *sqe, int fd, struct sockaddr *addr, socklen_t *addrlen, int flags) { io_uring_prep_accept(sqe, fd, addr, addrlen, flags); }
static inline __attribute__((always_inline)) void cqu_prep_connect(struct io_uring_sqe *sqe, int fd, const struct sockaddr *addr, socklen_t addrlen) { io_uring_prep_connect(sqe, fd, addr, addrlen); }
static inline __attribute__((always_inline)) void cqu_prep_openat(struct io_uring_sqe *sqe, int dfd, const char *path, int flags, unsigned mode) { io_uring_prep_openat(sqe, dfd, path, flags, mode); }
static inline __attribute__((always_inline)) void cqu_prep_close(struct io_uring_sqe *sqe, int fd) { io_uring_prep_close(sqe, fd); }
static inline __attribute__((always_inline)) void cqu_prep_fsync(struct io_uring_sqe *sqe, int fd, unsigned fsync_flags) { io_uring_prep_fsync(sqe, fd, fsync_flags); }
static inline __attribute__((always_inline)) void cqu_prep_timeout(struct io_uring_sqe *sqe, struct __kernel_timespec *ts, unsigned count, unsigned flags) { io_uring_prep_timeout(sqe, ts, count, flags); }
static inline __attribute__((always_inline)) void cqu_prep_poll_add(struct io_uring_sqe *sqe, int fd, unsigned poll_mask) { io_uring_prep_poll_add(sqe, fd, poll_mask); }
static inline __attribute__((always_inline)) void cqu_prep_cancel64(struct io_uring_sqe *sqe, uint64_t user_data, int flags) { io_uring_prep_cancel64(sqe, user_data, flags); }
static inline __attribute__((always_inline)) void cqu_prep_cancel_fd(struct io_uring_sqe *sqe, int fd, unsigned flags) { io_uring_prep_cancel_fd(sqe, fd, flags); }

/// Size of `struct io_uring`, so Swift can allocate one without knowing its layout.
size_t cqu_ring_size(void);

#endif
