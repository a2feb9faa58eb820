// A liburing UDP echo server: `lanes` recvmsg in flight on one socket, each lane's datagram sent
// back to its sender with sendmsg from the same buffer and header, then the lane receives again.
// An empty datagram (the load generator's stop) is echoed and ends the server.
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include "common.h"
#include "include/CRawRingUDP.h"

enum { OP_RECV = 1, OP_SEND };

typedef struct {
    struct msghdr header;
    struct iovec vector;
    struct sockaddr_storage peer;
    char *buf;
} lane_t;

static inline uint64_t tag(unsigned op, unsigned idx) { return ((uint64_t)op << 32) | idx; }

static void arm_recv(struct io_uring *ring, int fd, lane_t *l, unsigned idx, unsigned bufsize) {
    memset(&l->header, 0, sizeof l->header);
    l->vector.iov_base = l->buf;
    l->vector.iov_len = bufsize;
    l->header.msg_name = &l->peer;
    l->header.msg_namelen = sizeof l->peer;
    l->header.msg_iov = &l->vector;
    l->header.msg_iovlen = 1;
    struct io_uring_sqe *sqe = crr_sqe(ring);
    io_uring_prep_recvmsg(sqe, fd, &l->header, 0);
    io_uring_sqe_set_data64(sqe, tag(OP_RECV, idx));
}

int crr_udp_echo_server(unsigned entries, unsigned flags, int fd, unsigned lanes, unsigned bufsize) {
    if (lanes == 0 || bufsize == 0) return -EINVAL;
    struct io_uring ring;
    int rc = io_uring_queue_init(entries, &ring, flags);
    if (rc < 0) return rc;
    lane_t *l = calloc(lanes, sizeof(lane_t));
    char *bufs = malloc((size_t)lanes * bufsize);
    if (!l || !bufs) { rc = -ENOMEM; goto out; }
    for (unsigned i = 0; i < lanes; i++) {
        l[i].buf = bufs + (size_t)i * bufsize;
        arm_recv(&ring, fd, &l[i], i, bufsize);
    }
    int stop_lane = -1, stopped = 0;
    struct io_uring_cqe *cqes[256];
    while (!stopped) {
        // Enters with IORING_ENTER_GETEVENTS, which is also where a DEFER_TASKRUN ring runs its
        // deferred completions.
        int s = io_uring_submit_and_wait(&ring, 1);
        if (s < 0 && s != -EINTR) { rc = s; break; }
        unsigned n = io_uring_peek_batch_cqe(&ring, cqes, 256);
        for (unsigned i = 0; i < n; i++) {
            unsigned op = (unsigned)(cqes[i]->user_data >> 32), idx = (unsigned)cqes[i]->user_data;
            int res = cqes[i]->res;
            lane_t *k = &l[idx];
            struct io_uring_sqe *sqe;
            switch (op) {
            case OP_RECV:
                if (res < 0) { rc = res; goto out; }
                if (res == 0 && stop_lane < 0) stop_lane = (int)idx;
                // The kernel set msg_namelen to the sender's address length: the header now names
                // the sender and, with the vector cut to the datagram, is the reply's header.
                k->vector.iov_len = (size_t)res;
                k->header.msg_flags = 0;
                sqe = crr_sqe(&ring);
                io_uring_prep_sendmsg(sqe, fd, &k->header, 0);
                io_uring_sqe_set_data64(sqe, tag(OP_SEND, idx));
                break;
            case OP_SEND:
                if (res < 0) { rc = res; goto out; }
                if ((int)idx == stop_lane) stopped = 1;
                else arm_recv(&ring, fd, k, idx, bufsize);
                break;
            }
        }
        io_uring_cq_advance(&ring, n);
    }
out:
    // The ring's exit cancels the receives still in flight before the lanes' memory is freed.
    io_uring_queue_exit(&ring);
    free(l); free(bufs);
    return rc;
}
