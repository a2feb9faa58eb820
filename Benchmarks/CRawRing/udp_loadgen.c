// Closed-loop UDP load generator on its own thread: each client socket (connected to the server)
// has one datagram in flight; its echo, recognised by the client's sequence number in the first 4
// bytes, sends the next. A datagram whose echo does not come back within `resend_ms` is sent again
// (a datagram dropped by a full queue never stalls its client; a late echo of the earlier copy is
// ignored). When every client is done, or nothing came back for 5 s, the generator stops the
// server with an empty datagram, sent again every 100 ms until it is echoed (50 times at most), so
// a lost datagram can never leave either side waiting forever.
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include "include/CRawRing.h"
#include "include/CRawRingUDP.h"

struct crr_udp_loadgen {
    pthread_t thread;
    crr_udp_load load;
    int stop_fd;  // the socket that sends the stop, made before the thread starts
    int error;
    int64_t elapsed;
    uint64_t echoed, resent;
};

typedef struct { int fd; uint32_t seq; unsigned done; int waiting; uint64_t at; } ug_client;

static int open_client(uint16_t port) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { int e = -errno; close(fd); return e; }
    return fd;
}

// Sends the client's current datagram. A full queue or a refusal (an earlier datagram's ICMP
// error) counts as a loss: the resend sweep sends it again.
static int send_current(ug_client *k, char *out, unsigned size, uint64_t now) {
    memcpy(out, &k->seq, sizeof k->seq);
    k->at = now;
    k->waiting = 1;
    for (;;) {
        ssize_t w = send(k->fd, out, size, 0);
        if (w >= 0) return 0;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == ENOBUFS || errno == ECONNREFUSED) return 0;
        return -errno;
    }
}

// Sends the empty stop datagram until it is echoed, 50 times at most.
static void stop_server(int fd) {
    char in[64];
    for (int attempt = 0; attempt < 50; attempt++) {
        if (send(fd, in, 0, 0) < 0 && errno != EAGAIN && errno != ENOBUFS && errno != EINTR && errno != ECONNREFUSED) return;
        uint64_t until = crr_now_ns() + 100000000ull;
        for (uint64_t now = crr_now_ns(); now < until; now = crr_now_ns()) {
            struct pollfd p = { .fd = fd, .events = POLLIN };
            int ms = (int)((until - now) / 1000000) + 1;
            if (poll(&p, 1, ms) <= 0) continue;
            ssize_t r = recv(fd, in, sizeof in, 0);
            if (r == 0) return;  // the stop's echo
        }
    }
}

static void *ug_run(void *arg) {
    crr_udp_loadgen *lg = arg;
    const crr_udp_load *L = &lg->load;
    ug_client *c = calloc(L->clients, sizeof(ug_client));
    char *out = calloc(1, L->size);
    char in[65536];
    int ep = epoll_create1(EPOLL_CLOEXEC);
    unsigned opened = 0;
    if (!c || !out || ep < 0) { lg->error = -ENOMEM; goto out; }
    memset(out, 'x', L->size);
    for (; opened < L->clients; opened++) {
        int fd = open_client(L->port);
        if (fd < 0) { lg->error = fd; goto out; }
        c[opened].fd = fd;
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = opened };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    uint64_t resend_ns = (uint64_t)L->resend_ms * 1000000ull;
    uint64_t t0 = crr_now_ns(), last_progress = t0, last_sweep = t0;
    for (unsigned i = 0; i < L->clients; i++)
        if ((lg->error = send_current(&c[i], out, L->size, t0))) goto out;
    uint64_t total = (uint64_t)L->clients * L->msgs;
    struct epoll_event evs[64];
    while (lg->echoed < total) {
        int n = epoll_wait(ep, evs, 64, (int)L->resend_ms);
        if (n < 0 && errno != EINTR) { lg->error = -errno; goto out; }
        uint64_t now = crr_now_ns();
        for (int e = 0; e < n; e++) {
            ug_client *k = &c[evs[e].data.u32];
            for (;;) {
                ssize_t r = recv(k->fd, in, sizeof in, 0);
                if (r < 0) {
                    if (errno == EINTR) continue;
                    if (errno == EAGAIN || errno == ECONNREFUSED) break;
                    lg->error = -errno; goto out;
                }
                uint32_t seq;
                if ((size_t)r != L->size || !k->waiting) continue;
                memcpy(&seq, in, sizeof seq);
                if (seq != k->seq) continue;  // a late echo of a datagram sent again
                k->waiting = 0;
                lg->echoed++;
                last_progress = now;
                if (++k->done < L->msgs) {
                    k->seq++;
                    if ((lg->error = send_current(k, out, L->size, now))) goto out;
                }
            }
        }
        if (now - last_sweep >= resend_ns) {
            last_sweep = now;
            for (unsigned i = 0; i < L->clients; i++) {
                if (c[i].waiting && now - c[i].at >= resend_ns) {
                    lg->resent++;
                    if ((lg->error = send_current(&c[i], out, L->size, now))) goto out;
                }
            }
            if (now - last_progress > 5000000000ull) { lg->error = -ETIMEDOUT; goto out; }
        }
    }
    lg->elapsed = (int64_t)(crr_now_ns() - t0);
out:
    for (unsigned i = 0; i < opened; i++) close(c[i].fd);
    if (ep >= 0) close(ep);
    free(c); free(out);
    stop_server(lg->stop_fd);
    return NULL;
}

crr_udp_loadgen *crr_udp_loadgen_start(const crr_udp_load *load) {
    if (load->clients == 0 || load->msgs == 0 || load->size < 4 || load->size > 65507 || load->resend_ms == 0) return NULL;
    crr_udp_loadgen *lg = calloc(1, sizeof *lg);
    if (!lg) return NULL;
    lg->load = *load;
    lg->stop_fd = open_client(load->port);
    if (lg->stop_fd < 0) { free(lg); return NULL; }
    if (pthread_create(&lg->thread, NULL, ug_run, lg) != 0) { close(lg->stop_fd); free(lg); return NULL; }
    return lg;
}

int crr_udp_loadgen_join(crr_udp_loadgen *lg, int64_t *elapsed_ns, uint64_t *echoed, uint64_t *resent) {
    pthread_join(lg->thread, NULL);
    *elapsed_ns = lg->elapsed;
    *echoed = lg->echoed;
    *resent = lg->resent;
    int rc = lg->error;
    close(lg->stop_fd);
    free(lg);
    return rc;
}
