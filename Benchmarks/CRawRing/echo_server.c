// A liburing echo server: accepts until `conns` connections have been accepted (one accept at a
// time, or one multishot accept that stays armed), and per connection recv -> send (all of it) ->
// recv, until the peer closes. Accepted sockets get TCP_NODELAY, as the Quiesce example's do.
#include <stdlib.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "common.h"

enum { OP_ACCEPT = 1, OP_RECV, OP_SEND };

typedef struct { int fd; unsigned len, sent; char *buf; } conn_t;

static inline uint64_t tag(unsigned op, unsigned idx) { return ((uint64_t)op << 32) | idx; }

static void arm_accept(struct io_uring *ring, int listen_fd, int multishot) {
    struct io_uring_sqe *sqe = crr_sqe(ring);
    if (multishot) io_uring_prep_multishot_accept(sqe, listen_fd, NULL, NULL, 0);
    else io_uring_prep_accept(sqe, listen_fd, NULL, NULL, 0);
    io_uring_sqe_set_data64(sqe, tag(OP_ACCEPT, 0));
}

int crr_echo_server(unsigned entries, unsigned flags, int multishot_accept, int listen_fd, unsigned conns, unsigned bufsize) {
    struct io_uring ring;
    int rc = io_uring_queue_init(entries, &ring, flags);
    if (rc < 0) return rc;
    conn_t *c = calloc(conns, sizeof(conn_t));
    char *bufs = malloc((size_t)conns * bufsize);
    unsigned accepted = 0, closed = 0;
    struct io_uring_sqe *sqe;
    arm_accept(&ring, listen_fd, multishot_accept);
    struct io_uring_cqe *cqes[256];
    rc = 0;
    while (closed < conns) {
        // Enters with IORING_ENTER_GETEVENTS, which is also where a DEFER_TASKRUN ring runs its
        // deferred completions.
        int s = io_uring_submit_and_wait(&ring, 1);
        if (s < 0 && s != -EINTR) { rc = s; break; }
        unsigned n = io_uring_peek_batch_cqe(&ring, cqes, 256);
        for (unsigned i = 0; i < n; i++) {
            unsigned op = (unsigned)(cqes[i]->user_data >> 32), idx = (unsigned)cqes[i]->user_data;
            int res = cqes[i]->res;
            conn_t *k = &c[idx];
            switch (op) {
            case OP_ACCEPT:
                if (res < 0) { rc = res; goto out; }
                if (accepted == conns) { close(res); break; }  // not one of the load generator's
                int one = 1;
                setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                k = &c[accepted];
                k->fd = res; k->buf = bufs + (size_t)accepted * bufsize;
                sqe = crr_sqe(&ring);
                io_uring_prep_recv(sqe, k->fd, k->buf, bufsize, 0);
                io_uring_sqe_set_data64(sqe, tag(OP_RECV, accepted));
                // A multishot accept stays armed while its completions say IORING_CQE_F_MORE (the
                // ring's exit cancels it); a single accept is re-armed for the next connection.
                if (++accepted < conns && (!multishot_accept || !(cqes[i]->flags & IORING_CQE_F_MORE)))
                    arm_accept(&ring, listen_fd, multishot_accept);
                break;
            case OP_RECV:
                if (res <= 0) { close(k->fd); closed++; break; }
                k->len = (unsigned)res; k->sent = 0;
                sqe = crr_sqe(&ring);
                io_uring_prep_send(sqe, k->fd, k->buf, k->len, MSG_NOSIGNAL);
                io_uring_sqe_set_data64(sqe, tag(OP_SEND, idx));
                break;
            case OP_SEND:
                if (res < 0) { close(k->fd); closed++; break; }
                k->sent += (unsigned)res;
                sqe = crr_sqe(&ring);
                if (k->sent < k->len) {
                    io_uring_prep_send(sqe, k->fd, k->buf + k->sent, k->len - k->sent, MSG_NOSIGNAL);
                    io_uring_sqe_set_data64(sqe, tag(OP_SEND, idx));
                } else {
                    io_uring_prep_recv(sqe, k->fd, k->buf, bufsize, 0);
                    io_uring_sqe_set_data64(sqe, tag(OP_RECV, idx));
                }
                break;
            }
        }
        io_uring_cq_advance(&ring, n);
    }
out:
    io_uring_queue_exit(&ring);
    free(c); free(bufs);
    return rc;
}
