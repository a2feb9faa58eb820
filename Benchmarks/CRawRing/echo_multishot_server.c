// A liburing echo server that receives with multishot recv from a provided-buffer ring: one
// multishot accept takes the `conns` connections, and each connection has one multishot receive
// (IORING_RECV_MULTISHOT, IOSQE_BUFFER_SELECT) that stays armed while the kernel picks buffers from
// the ring shared by every connection. Each filled buffer is sent back from where it lies (no copy)
// and returned to the ring once its last byte is sent. A connection sends one buffer at a time, in
// the order the buffers arrived (a FIFO linked through `next`), so the bytes go back in order.
// Accepted sockets get TCP_NODELAY, as the Quiesce example's do.
//
// The receive ends on its own when the ring runs dry (-ENOBUFS): the connection waits on the
// starved list and is re-armed after buffers come back, never in a spin. A receive ending with data
// (no IORING_CQE_F_MORE) is re-armed at once; one ending with 0 or an error closes the connection
// once its queued buffers are sent.
#include <stdlib.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "common.h"

enum { OP_ACCEPT = 1, OP_RECV, OP_SEND };
enum { NONE = 0xffffffffu, GROUP = 0 };

typedef struct {
    int fd;
    unsigned head, tail;  // buffers received and not yet sent back, oldest first; NONE when empty
    unsigned sent;        // bytes of the head buffer sent so far
    unsigned next_starved;
    unsigned char receiving, sending, closing, starved;
} conn_t;

typedef struct {
    struct io_uring ring;
    struct io_uring_buf_ring *br;
    char *bufs;
    unsigned nbufs, bufsize;
    unsigned *next, *len;  // per buffer: the next one in its connection's FIFO, the bytes it holds
    conn_t *c;
    unsigned returned;     // buffers added back to the ring in this batch, not yet published
    unsigned starved;      // connections whose receive ended with -ENOBUFS, linked through next_starved
    unsigned closed;       // connections closed so far
} server_t;

static inline uint64_t tag(unsigned op, unsigned idx) { return ((uint64_t)op << 32) | idx; }

static void arm_accept(server_t *s, int listen_fd) {
    struct io_uring_sqe *sqe = crr_sqe(&s->ring);
    io_uring_prep_multishot_accept(sqe, listen_fd, NULL, NULL, 0);
    io_uring_sqe_set_data64(sqe, tag(OP_ACCEPT, 0));
}

static void arm_recv(server_t *s, unsigned idx) {
    struct io_uring_sqe *sqe = crr_sqe(&s->ring);
    io_uring_prep_recv_multishot(sqe, s->c[idx].fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = GROUP;
    io_uring_sqe_set_data64(sqe, tag(OP_RECV, idx));
    s->c[idx].receiving = 1;
}

// Sends what is left of the connection's oldest buffer.
static void send_head(server_t *s, unsigned idx) {
    conn_t *k = &s->c[idx];
    struct io_uring_sqe *sqe = crr_sqe(&s->ring);
    io_uring_prep_send(sqe, k->fd, s->bufs + (size_t)k->head * s->bufsize + k->sent, s->len[k->head] - k->sent, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, tag(OP_SEND, idx));
    k->sending = 1;
}

// Gives buffer `bid` back to the ring; published by `publish` at the end of the batch.
static void give_back(server_t *s, unsigned bid) {
    io_uring_buf_ring_add(s->br, s->bufs + (size_t)bid * s->bufsize, s->bufsize, (unsigned short)bid,
                          io_uring_buf_ring_mask(s->nbufs), (int)s->returned++);
}

// Closes the connection once nothing of it is in flight or queued.
static void close_if_done(server_t *s, unsigned idx) {
    conn_t *k = &s->c[idx];
    if (!k->closing || k->receiving || k->sending || k->starved || k->head != NONE || k->fd < 0) return;
    close(k->fd);
    k->fd = -1;
    s->closed++;
}

// Publishes the buffers given back in this batch and re-arms the receives that ran dry.
static void publish(server_t *s) {
    if (s->returned == 0) return;
    io_uring_buf_ring_advance(s->br, (int)s->returned);
    s->returned = 0;
    while (s->starved != NONE) {
        unsigned idx = s->starved;
        s->starved = s->c[idx].next_starved;
        s->c[idx].starved = 0;
        if (s->c[idx].closing) close_if_done(s, idx);
        else arm_recv(s, idx);
    }
}

int crr_echo_multishot_server(unsigned entries, unsigned flags, int listen_fd, unsigned conns, unsigned nbufs, unsigned bufsize) {
    if (nbufs == 0 || nbufs > 32768 || (nbufs & (nbufs - 1)) != 0) return -EINVAL;
    server_t s = { .nbufs = nbufs, .bufsize = bufsize, .starved = NONE };
    int rc = io_uring_queue_init(entries, &s.ring, flags);
    if (rc < 0) return rc;
    void *br = NULL;
    if (posix_memalign(&br, 4096, nbufs * sizeof(struct io_uring_buf)) != 0) { io_uring_queue_exit(&s.ring); return -ENOMEM; }
    s.br = br;
    s.bufs = malloc((size_t)nbufs * bufsize);
    s.next = malloc(nbufs * sizeof(unsigned));
    s.len = malloc(nbufs * sizeof(unsigned));
    s.c = calloc(conns, sizeof(conn_t));
    if (!s.bufs || !s.next || !s.len || !s.c) { rc = -ENOMEM; goto out; }
    struct io_uring_buf_reg reg = { .ring_addr = (unsigned long)br, .ring_entries = nbufs, .bgid = GROUP };
    if ((rc = io_uring_register_buf_ring(&s.ring, &reg, 0)) < 0) goto out;
    io_uring_buf_ring_init(s.br);
    for (unsigned b = 0; b < nbufs; b++) give_back(&s, b);
    io_uring_buf_ring_advance(s.br, (int)s.returned);
    s.returned = 0;

    unsigned accepted = 0;
    arm_accept(&s, listen_fd);
    struct io_uring_cqe *cqes[256];
    while (s.closed < conns) {
        // Enters with IORING_ENTER_GETEVENTS, which is also where a DEFER_TASKRUN ring runs its
        // deferred completions.
        int r = io_uring_submit_and_wait(&s.ring, 1);
        if (r < 0 && r != -EINTR) { rc = r; break; }
        unsigned n = io_uring_peek_batch_cqe(&s.ring, cqes, 256);
        for (unsigned i = 0; i < n; i++) {
            unsigned op = (unsigned)(cqes[i]->user_data >> 32), idx = (unsigned)cqes[i]->user_data;
            int res = cqes[i]->res;
            unsigned cflags = cqes[i]->flags;
            conn_t *k = &s.c[idx];
            switch (op) {
            case OP_ACCEPT:
                if (res < 0) { rc = res; goto out; }
                if (accepted == conns) { close(res); break; }  // not one of the load generator's
                int one = 1;
                setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                s.c[accepted] = (conn_t){ .fd = res, .head = NONE, .tail = NONE, .next_starved = NONE };
                arm_recv(&s, accepted);
                // The multishot accept stays armed while its completions say IORING_CQE_F_MORE (the
                // ring's exit cancels it).
                if (++accepted < conns && !(cflags & IORING_CQE_F_MORE)) arm_accept(&s, listen_fd);
                break;
            case OP_RECV:
                if (res > 0 && (cflags & IORING_CQE_F_BUFFER)) {
                    unsigned bid = cflags >> IORING_CQE_BUFFER_SHIFT;
                    s.len[bid] = (unsigned)res;
                    s.next[bid] = NONE;
                    if (k->head == NONE) k->head = bid; else s.next[k->tail] = bid;
                    k->tail = bid;
                    if (!k->sending) { k->sent = 0; send_head(&s, idx); }
                }
                if (cflags & IORING_CQE_F_MORE) break;
                k->receiving = 0;
                if (res == -ENOBUFS) {
                    k->starved = 1;
                    k->next_starved = s.starved;
                    s.starved = idx;
                } else if (res > 0) {
                    arm_recv(&s, idx);  // ended on its own with data: armed again
                } else {
                    k->closing = 1;     // the peer closed, or an error
                    close_if_done(&s, idx);
                }
                break;
            case OP_SEND:
                k->sending = 0;
                if (res <= 0) {
                    // The peer is gone: stop receiving (the receive then ends with 0) and drop the queue.
                    shutdown(k->fd, SHUT_RDWR);
                    k->closing = 1;
                    for (unsigned b = k->head; b != NONE; b = s.next[b]) give_back(&s, b);
                    k->head = k->tail = NONE;
                    close_if_done(&s, idx);
                    break;
                }
                k->sent += (unsigned)res;
                if (k->sent < s.len[k->head]) { send_head(&s, idx); break; }
                unsigned done = k->head;
                k->head = s.next[done];
                if (k->head == NONE) k->tail = NONE;
                give_back(&s, done);
                k->sent = 0;
                if (k->head != NONE) send_head(&s, idx);
                else close_if_done(&s, idx);
                break;
            }
        }
        io_uring_cq_advance(&s.ring, n);
        publish(&s);
    }
out:
    io_uring_queue_exit(&s.ring);  // cancels the receives and the accept still armed
    free(br); free(s.bufs); free(s.next); free(s.len); free(s.c);
    return rc;
}
