// Thin wrappers over liburing: one plain C function per liburing call the Swift side needs (and the
// few C library calls Swift cannot reach, at the end), no logic: every decision is made in Swift.
// Plain functions compiled in shim.c, never inlined into Swift, so the boundary stays a list of
// liburing calls.
#ifndef CQUIESCE_URING_H
#define CQUIESCE_URING_H

#include <stdint.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/eventfd.h>
#include <liburing.h>

int cqu_queue_init(unsigned entries, struct io_uring *ring, unsigned flags);
void cqu_queue_exit(struct io_uring *ring);
struct io_uring_sqe *cqu_get_sqe(struct io_uring *ring);
unsigned cqu_sq_ready(struct io_uring *ring);
int cqu_submit(struct io_uring *ring);
int cqu_submit_and_wait(struct io_uring *ring, unsigned wait_nr);
int cqu_submit_and_wait_timeout(struct io_uring *ring, struct io_uring_cqe **cqe, unsigned wait_nr,
                                struct __kernel_timespec *ts);
unsigned cqu_peek_batch_cqe(struct io_uring *ring, struct io_uring_cqe **cqes, unsigned count);
void cqu_cq_advance(struct io_uring *ring, unsigned nr);
int cqu_cq_has_overflow(struct io_uring *ring);
int cqu_get_events(struct io_uring *ring);
int cqu_ring_fd(struct io_uring *ring);
unsigned cqu_features(struct io_uring *ring);

void cqu_sqe_set_data64(struct io_uring_sqe *sqe, uint64_t data);
void cqu_prep_nop(struct io_uring_sqe *sqe);
void cqu_prep_read(struct io_uring_sqe *sqe, int fd, void *buf, unsigned nbytes, uint64_t offset);
void cqu_prep_write(struct io_uring_sqe *sqe, int fd, const void *buf, unsigned nbytes, uint64_t offset);
void cqu_prep_recv(struct io_uring_sqe *sqe, int sockfd, void *buf, size_t len, int flags);
void cqu_prep_send(struct io_uring_sqe *sqe, int sockfd, const void *buf, size_t len, int flags);
void cqu_prep_accept(struct io_uring_sqe *sqe, int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);
void cqu_prep_connect(struct io_uring_sqe *sqe, int fd, const struct sockaddr *addr, socklen_t addrlen);
void cqu_prep_openat(struct io_uring_sqe *sqe, int dfd, const char *path, int flags, unsigned mode);
void cqu_prep_close(struct io_uring_sqe *sqe, int fd);
void cqu_prep_fsync(struct io_uring_sqe *sqe, int fd, unsigned fsync_flags);
void cqu_prep_timeout(struct io_uring_sqe *sqe, struct __kernel_timespec *ts, unsigned count, unsigned flags);
void cqu_prep_poll_add(struct io_uring_sqe *sqe, int fd, unsigned poll_mask);
void cqu_prep_cancel64(struct io_uring_sqe *sqe, uint64_t user_data, int flags);
void cqu_prep_cancel_fd(struct io_uring_sqe *sqe, int fd, unsigned flags);

/// Size of `struct io_uring`, so Swift can allocate one without knowing its layout.
size_t cqu_ring_size(void);

// The C library's GNU extensions, which Swift's Glibc module does not expose (it is built without
// _GNU_SOURCE), and standard error, which Swift 6 cannot read as a global: one call each.
const char *cqu_strerrorname_np(int errnum);
const char *cqu_strerrordesc_np(int errnum);
int cqu_pipe2(int fds[2], int flags);
int cqu_fputs_stderr(const char *text);

#endif
