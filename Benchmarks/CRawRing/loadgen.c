// Closed-loop TCP load generator on its own thread: every connection has one 64-byte message in
// flight; when it has come back whole, its latency is recorded and the next one is sent.
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include "include/CRawRing.h"

struct crr_loadgen {
    pthread_t thread;
    uint16_t port;
    unsigned conns, msgs, size;
    int error;
    int64_t elapsed;
    uint64_t messages;
    uint64_t *latencies;
};

typedef struct { int fd; unsigned got, sent; uint64_t at; } lg_conn;

static int send_all(int fd, const char *p, unsigned n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) { if (errno == EINTR) continue; return -errno; }
        p += w; n -= (unsigned)w;
    }
    return 0;
}

static void *lg_run(void *arg) {
    crr_loadgen *lg = arg;
    lg_conn *c = calloc(lg->conns, sizeof(lg_conn));
    char *out = malloc(lg->size), in[65536];
    memset(out, 'x', lg->size);
    int ep = epoll_create1(0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(lg->port) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned opened = 0;
    for (; opened < lg->conns; opened++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { lg->error = -errno; if (fd >= 0) close(fd); goto out; }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c[opened].fd = fd;
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = opened };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    uint64_t t0 = crr_now_ns();
    for (unsigned i = 0; i < lg->conns; i++) {
        c[i].at = crr_now_ns();
        if ((lg->error = send_all(c[i].fd, out, lg->size))) goto out;
    }
    uint64_t total = (uint64_t)lg->conns * lg->msgs;
    struct epoll_event evs[64];
    while (lg->messages < total) {
        int n = epoll_wait(ep, evs, 64, 5000);
        if (n < 0) { if (errno == EINTR) continue; lg->error = -errno; goto out; }
        if (n == 0) { lg->error = -ETIMEDOUT; goto out; }
        for (int e = 0; e < n; e++) {
            lg_conn *k = &c[evs[e].data.u32];
            ssize_t r = recv(k->fd, in, sizeof in, 0);
            if (r <= 0) { if (r < 0 && errno == EINTR) continue; lg->error = r == 0 ? -ECONNRESET : -errno; goto out; }
            k->got += (unsigned)r;
            while (k->got >= lg->size) {
                k->got -= lg->size;
                uint64_t now = crr_now_ns();
                lg->latencies[lg->messages++] = now - k->at;
                k->sent++;
                if (k->sent < lg->msgs) {
                    k->at = now;
                    if ((lg->error = send_all(k->fd, out, lg->size))) goto out;
                }
            }
        }
    }
    lg->elapsed = (int64_t)(crr_now_ns() - t0);
out:
    for (unsigned i = 0; i < opened; i++) close(c[i].fd);
    close(ep);
    free(c); free(out);
    return NULL;
}

crr_loadgen *crr_loadgen_start(uint16_t port, unsigned conns, unsigned msgs, unsigned size) {
    crr_loadgen *lg = calloc(1, sizeof *lg);
    if (!lg) return NULL;
    lg->port = port; lg->conns = conns; lg->msgs = msgs; lg->size = size;
    lg->latencies = malloc(sizeof(uint64_t) * (size_t)conns * msgs);
    if (!lg->latencies || pthread_create(&lg->thread, NULL, lg_run, lg) != 0) {
        free(lg->latencies); free(lg);
        return NULL;
    }
    return lg;
}

int crr_loadgen_join(crr_loadgen *lg, int64_t *elapsed_ns, uint64_t *messages, const uint64_t **latencies) {
    pthread_join(lg->thread, NULL);
    *elapsed_ns = lg->elapsed;
    *messages = lg->messages;
    *latencies = lg->latencies;
    return lg->error;
}

void crr_loadgen_free(crr_loadgen *lg) {
    free(lg->latencies);
    free(lg);
}
