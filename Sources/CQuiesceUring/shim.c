// One plain C function per liburing call; see the header for why. No logic belongs here.
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "CQuiesceUring.h"
int cqu_queue_init(unsigned entries, struct io_uring *ring, unsigned flags) { return io_uring_queue_init(entries, ring, flags); }
void cqu_queue_exit(struct io_uring *ring) { io_uring_queue_exit(ring); }
struct io_uring_sqe *cqu_get_sqe(struct io_uring *ring) { return io_uring_get_sqe(ring); }
unsigned cqu_sq_ready(struct io_uring *ring) { return io_uring_sq_ready(ring); }
int cqu_submit(struct io_uring *ring) { return io_uring_submit(ring); }
int cqu_submit_and_wait(struct io_uring *ring, unsigned wait_nr) { return io_uring_submit_and_wait(ring, wait_nr); }
int cqu_submit_and_wait_timeout(struct io_uring *ring, struct io_uring_cqe **cqe, unsigned wait_nr,
                                struct __kernel_timespec *ts) { return io_uring_submit_and_wait_timeout(ring, cqe, wait_nr, ts, NULL); }
unsigned cqu_peek_batch_cqe(struct io_uring *ring, struct io_uring_cqe **cqes, unsigned count) { return io_uring_peek_batch_cqe(ring, cqes, count); }
void cqu_cq_advance(struct io_uring *ring, unsigned nr) { io_uring_cq_advance(ring, nr); }
int cqu_cq_has_overflow(struct io_uring *ring) { return io_uring_cq_has_overflow(ring); }
int cqu_get_events(struct io_uring *ring) { return io_uring_get_events(ring); }
int cqu_ring_fd(struct io_uring *ring) { return ring->ring_fd; }
unsigned cqu_features(struct io_uring *ring) { return ring->features; }
void cqu_sqe_set_data64(struct io_uring_sqe *sqe, uint64_t data) { io_uring_sqe_set_data64(sqe, data); }
void cqu_prep_nop(struct io_uring_sqe *sqe) { io_uring_prep_nop(sqe); }
void cqu_prep_read(struct io_uring_sqe *sqe, int fd, void *buf, unsigned nbytes, uint64_t offset) { io_uring_prep_read(sqe, fd, buf, nbytes, offset); }
void cqu_prep_write(struct io_uring_sqe *sqe, int fd, const void *buf, unsigned nbytes, uint64_t offset) { io_uring_prep_write(sqe, fd, buf, nbytes, offset); }
void cqu_prep_recv(struct io_uring_sqe *sqe, int sockfd, void *buf, size_t len, int flags) { io_uring_prep_recv(sqe, sockfd, buf, len, flags); }
void cqu_prep_send(struct io_uring_sqe *sqe, int sockfd, const void *buf, size_t len, int flags) { io_uring_prep_send(sqe, sockfd, buf, len, flags); }
void cqu_prep_accept(struct io_uring_sqe *sqe, int fd, struct sockaddr *addr, socklen_t *addrlen, int flags) { io_uring_prep_accept(sqe, fd, addr, addrlen, flags); }
void cqu_prep_connect(struct io_uring_sqe *sqe, int fd, const struct sockaddr *addr, socklen_t addrlen) { io_uring_prep_connect(sqe, fd, addr, addrlen); }
void cqu_prep_openat(struct io_uring_sqe *sqe, int dfd, const char *path, int flags, unsigned mode) { io_uring_prep_openat(sqe, dfd, path, flags, mode); }
void cqu_prep_close(struct io_uring_sqe *sqe, int fd) { io_uring_prep_close(sqe, fd); }
void cqu_prep_fsync(struct io_uring_sqe *sqe, int fd, unsigned fsync_flags) { io_uring_prep_fsync(sqe, fd, fsync_flags); }
void cqu_prep_timeout(struct io_uring_sqe *sqe, struct __kernel_timespec *ts, unsigned count, unsigned flags) { io_uring_prep_timeout(sqe, ts, count, flags); }
void cqu_prep_poll_add(struct io_uring_sqe *sqe, int fd, unsigned poll_mask) { io_uring_prep_poll_add(sqe, fd, poll_mask); }
void cqu_prep_cancel64(struct io_uring_sqe *sqe, uint64_t user_data, int flags) { io_uring_prep_cancel64(sqe, user_data, flags); }
void cqu_prep_cancel_fd(struct io_uring_sqe *sqe, int fd, unsigned flags) { io_uring_prep_cancel_fd(sqe, fd, flags); }
size_t cqu_ring_size(void) { return sizeof(struct io_uring); }
const char *cqu_strerrorname_np(int errnum) { return strerrorname_np(errnum); }
const char *cqu_strerrordesc_np(int errnum) { return strerrordesc_np(errnum); }
int cqu_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }
int cqu_fputs_stderr(const char *text) { return fputs(text, stderr); }
