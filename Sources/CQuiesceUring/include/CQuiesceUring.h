// Thin wrappers over liburing: one function per liburing call the Swift side needs, no logic, so
// every decision is made in Swift. They are `static inline`, as liburing's own prep helpers are:
// the hot path pays no call for them. The few C library calls Swift cannot reach are plain
// functions in shim.c, at the end.
#ifndef CQUIESCE_URING_H
#define CQUIESCE_URING_H

#include <stdint.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/eventfd.h>
// liburing's submission-entry getter is a plain `static inline` function: declared
// `always_inline` before its definition so that it is inlined into the Swift caller like the
// wrappers below (left to the optimizer, it stays a call: the Swift and C attributes differ).
struct io_uring;
struct io_uring_sqe;
static inline __attribute__((always_inline)) struct io_uring_sqe *_io_uring_get_sqe(struct io_uring *ring);
static inline __attribute__((always_inline)) struct io_uring_sqe *io_uring_get_sqe(struct io_uring *ring);
#include <liburing.h>

// Every wrapper is inlined into its Swift caller, whatever attributes the Swift and C sides were
// compiled with (a plain `static inline` function is kept out of line when they differ).
#define CQU_INLINE static inline __attribute__((always_inline))

// The ring.
CQU_INLINE int cqu_queue_init_params(unsigned entries, struct io_uring *ring, struct io_uring_params *p) { return io_uring_queue_init_params(entries, ring, p); }
CQU_INLINE void cqu_queue_exit(struct io_uring *ring) { io_uring_queue_exit(ring); }
CQU_INLINE struct io_uring_sqe *cqu_get_sqe(struct io_uring *ring) { return io_uring_get_sqe(ring); }
CQU_INLINE unsigned cqu_sq_ready(struct io_uring *ring) { return io_uring_sq_ready(ring); }
CQU_INLINE unsigned cqu_sq_space_left(struct io_uring *ring) { return io_uring_sq_space_left(ring); }
CQU_INLINE int cqu_submit(struct io_uring *ring) { return io_uring_submit(ring); }
CQU_INLINE int cqu_submit_and_wait(struct io_uring *ring, unsigned wait_nr) { return io_uring_submit_and_wait(ring, wait_nr); }
CQU_INLINE int cqu_submit_and_wait_timeout(struct io_uring *ring, struct io_uring_cqe **cqe, unsigned wait_nr,
                                              struct __kernel_timespec *ts) { return io_uring_submit_and_wait_timeout(ring, cqe, wait_nr, ts, NULL); }
CQU_INLINE int cqu_submit_and_get_events(struct io_uring *ring) { return io_uring_submit_and_get_events(ring); }
/// Completions ready to be read (io_uring_cq_ready: an acquire load of the tail, so they are written).
CQU_INLINE unsigned cqu_cq_ready(struct io_uring *ring) { return io_uring_cq_ready(ring); }
/// The ready completion `i` places past the head, read in place (the one io_uring_for_each_cqe visits `i`-th).
CQU_INLINE struct io_uring_cqe *cqu_cqe_at(struct io_uring *ring, unsigned i) {
    return &ring->cq.cqes[io_uring_cqe_index(ring, *ring->cq.khead + i, ring->cq.ring_mask)];
}
CQU_INLINE void cqu_cq_advance(struct io_uring *ring, unsigned nr) { io_uring_cq_advance(ring, nr); }
CQU_INLINE int cqu_cq_has_overflow(struct io_uring *ring) { return io_uring_cq_has_overflow(ring); }
CQU_INLINE int cqu_get_events(struct io_uring *ring) { return io_uring_get_events(ring); }
CQU_INLINE int cqu_ring_fd(struct io_uring *ring) { return ring->ring_fd; }
CQU_INLINE unsigned cqu_features(struct io_uring *ring) { return ring->features; }
CQU_INLINE unsigned cqu_setup_flags(struct io_uring *ring) { return ring->flags; }
/// The submission ring's flags word the kernel updates (IORING_SQ_NEED_WAKEUP, IORING_SQ_CQ_OVERFLOW, IORING_SQ_TASKRUN).
CQU_INLINE unsigned cqu_sq_flags(struct io_uring *ring) { return IO_URING_READ_ONCE(*ring->sq.kflags); }
/// Size of `struct io_uring`, so Swift can allocate one without knowing its layout.
CQU_INLINE size_t cqu_ring_size(void) { return sizeof(struct io_uring); }

// Registered resources.
CQU_INLINE int cqu_register_buf_ring(struct io_uring *ring, struct io_uring_buf_reg *reg) { return io_uring_register_buf_ring(ring, reg, 0); }
CQU_INLINE int cqu_unregister_buf_ring(struct io_uring *ring, int bgid) { return io_uring_unregister_buf_ring(ring, bgid); }
CQU_INLINE void cqu_buf_ring_init(struct io_uring_buf_ring *br) { io_uring_buf_ring_init(br); }
CQU_INLINE void cqu_buf_ring_add(struct io_uring_buf_ring *br, void *addr, unsigned len, unsigned short bid, int mask, int offset) { io_uring_buf_ring_add(br, addr, len, bid, mask, offset); }
CQU_INLINE void cqu_buf_ring_advance(struct io_uring_buf_ring *br, int count) { io_uring_buf_ring_advance(br, count); }
CQU_INLINE int cqu_buf_ring_mask(unsigned entries) { return io_uring_buf_ring_mask(entries); }
CQU_INLINE int cqu_register_files(struct io_uring *ring, const int *files, unsigned nr) { return io_uring_register_files(ring, files, nr); }
CQU_INLINE int cqu_unregister_files(struct io_uring *ring) { return io_uring_unregister_files(ring); }
CQU_INLINE int cqu_register_buffers(struct io_uring *ring, const struct iovec *iovecs, unsigned nr) { return io_uring_register_buffers(ring, iovecs, nr); }
CQU_INLINE int cqu_unregister_buffers(struct io_uring *ring) { return io_uring_unregister_buffers(ring); }

// Submission entries.
CQU_INLINE void cqu_sqe_set_data64(struct io_uring_sqe *sqe, uint64_t data) { io_uring_sqe_set_data64(sqe, data); }
CQU_INLINE void cqu_sqe_set_flags(struct io_uring_sqe *sqe, unsigned flags) { io_uring_sqe_set_flags(sqe, flags); }
CQU_INLINE void cqu_prep_nop(struct io_uring_sqe *sqe) { io_uring_prep_nop(sqe); }
CQU_INLINE void cqu_prep_read(struct io_uring_sqe *sqe, int fd, void *buf, unsigned nbytes, uint64_t offset) { io_uring_prep_read(sqe, fd, buf, nbytes, offset); }
CQU_INLINE void cqu_prep_write(struct io_uring_sqe *sqe, int fd, const void *buf, unsigned nbytes, uint64_t offset) { io_uring_prep_write(sqe, fd, buf, nbytes, offset); }
CQU_INLINE void cqu_prep_readv(struct io_uring_sqe *sqe, int fd, const struct iovec *iovecs, unsigned nr, uint64_t offset) { io_uring_prep_readv(sqe, fd, iovecs, nr, offset); }
CQU_INLINE void cqu_prep_writev(struct io_uring_sqe *sqe, int fd, const struct iovec *iovecs, unsigned nr, uint64_t offset) { io_uring_prep_writev(sqe, fd, iovecs, nr, offset); }
CQU_INLINE void cqu_prep_read_fixed(struct io_uring_sqe *sqe, int fd, void *buf, unsigned nbytes, uint64_t offset, int buf_index) { io_uring_prep_read_fixed(sqe, fd, buf, nbytes, offset, buf_index); }
CQU_INLINE void cqu_prep_write_fixed(struct io_uring_sqe *sqe, int fd, const void *buf, unsigned nbytes, uint64_t offset, int buf_index) { io_uring_prep_write_fixed(sqe, fd, buf, nbytes, offset, buf_index); }
CQU_INLINE void cqu_prep_recv(struct io_uring_sqe *sqe, int sockfd, void *buf, size_t len, int flags) { io_uring_prep_recv(sqe, sockfd, buf, len, flags); }
CQU_INLINE void cqu_prep_recv_multishot(struct io_uring_sqe *sqe, int sockfd, int flags) { io_uring_prep_recv_multishot(sqe, sockfd, NULL, 0, flags); }
CQU_INLINE void cqu_prep_send(struct io_uring_sqe *sqe, int sockfd, const void *buf, size_t len, int flags) { io_uring_prep_send(sqe, sockfd, buf, len, flags); }
CQU_INLINE void cqu_prep_send_zc(struct io_uring_sqe *sqe, int sockfd, const void *buf, size_t len, int flags, unsigned zc_flags) { io_uring_prep_send_zc(sqe, sockfd, buf, len, flags, zc_flags); }
CQU_INLINE void cqu_prep_recvmsg(struct io_uring_sqe *sqe, int fd, struct msghdr *msg, unsigned flags) { io_uring_prep_recvmsg(sqe, fd, msg, flags); }
CQU_INLINE void cqu_prep_sendmsg(struct io_uring_sqe *sqe, int fd, const struct msghdr *msg, unsigned flags) { io_uring_prep_sendmsg(sqe, fd, msg, flags); }
CQU_INLINE void cqu_prep_accept(struct io_uring_sqe *sqe, int fd, struct sockaddr *addr, socklen_t *addrlen, int flags) { io_uring_prep_accept(sqe, fd, addr, addrlen, flags); }
CQU_INLINE void cqu_prep_multishot_accept(struct io_uring_sqe *sqe, int fd, int flags) { io_uring_prep_multishot_accept(sqe, fd, NULL, NULL, flags); }
CQU_INLINE void cqu_prep_connect(struct io_uring_sqe *sqe, int fd, const struct sockaddr *addr, socklen_t addrlen) { io_uring_prep_connect(sqe, fd, addr, addrlen); }
CQU_INLINE void cqu_prep_shutdown(struct io_uring_sqe *sqe, int fd, int how) { io_uring_prep_shutdown(sqe, fd, how); }
CQU_INLINE void cqu_prep_openat(struct io_uring_sqe *sqe, int dfd, const char *path, int flags, unsigned mode) { io_uring_prep_openat(sqe, dfd, path, flags, mode); }
CQU_INLINE void cqu_prep_close(struct io_uring_sqe *sqe, int fd) { io_uring_prep_close(sqe, fd); }
CQU_INLINE void cqu_prep_fsync(struct io_uring_sqe *sqe, int fd, unsigned fsync_flags) { io_uring_prep_fsync(sqe, fd, fsync_flags); }
CQU_INLINE void cqu_prep_statx(struct io_uring_sqe *sqe, int dfd, const char *path, int flags, unsigned mask, struct statx *statxbuf) { io_uring_prep_statx(sqe, dfd, path, flags, mask, statxbuf); }
CQU_INLINE void cqu_prep_unlinkat(struct io_uring_sqe *sqe, int dfd, const char *path, int flags) { io_uring_prep_unlinkat(sqe, dfd, path, flags); }
CQU_INLINE void cqu_prep_renameat(struct io_uring_sqe *sqe, int olddfd, const char *oldpath, int newdfd, const char *newpath, unsigned flags) { io_uring_prep_renameat(sqe, olddfd, oldpath, newdfd, newpath, flags); }
CQU_INLINE void cqu_prep_mkdirat(struct io_uring_sqe *sqe, int dfd, const char *path, unsigned mode) { io_uring_prep_mkdirat(sqe, dfd, path, mode); }
CQU_INLINE void cqu_prep_timeout(struct io_uring_sqe *sqe, struct __kernel_timespec *ts, unsigned count, unsigned flags) { io_uring_prep_timeout(sqe, ts, count, flags); }
CQU_INLINE void cqu_prep_link_timeout(struct io_uring_sqe *sqe, struct __kernel_timespec *ts, unsigned flags) { io_uring_prep_link_timeout(sqe, ts, flags); }
CQU_INLINE void cqu_prep_poll_add(struct io_uring_sqe *sqe, int fd, unsigned poll_mask) { io_uring_prep_poll_add(sqe, fd, poll_mask); }
CQU_INLINE void cqu_prep_cancel64(struct io_uring_sqe *sqe, uint64_t user_data, int flags) { io_uring_prep_cancel64(sqe, user_data, flags); }
CQU_INLINE void cqu_prep_cancel_fd(struct io_uring_sqe *sqe, int fd, unsigned flags) { io_uring_prep_cancel_fd(sqe, fd, flags); }

// The C library's GNU extensions, which Swift's Glibc module does not expose (it is built without
// _GNU_SOURCE), and standard error, which Swift 6 cannot read as a global: one call each.
const char *cqu_strerrorname_np(int errnum);
const char *cqu_strerrordesc_np(int errnum);
int cqu_pipe2(int fds[2], int flags);
int cqu_fputs_stderr(const char *text);

#endif
