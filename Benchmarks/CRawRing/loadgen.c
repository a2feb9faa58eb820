// Closed-loop TCP load generator on its own thread: every connection sends `depth` messages in one
// write and waits until all their replies have come back whole; each message's latency runs from
// that write to its own reply. Then the next `depth` go out, until `msgs` per connection are done.
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
    crr_load load;
    char *batch;  // `depth` copies of the request, back to back
    int error;
    int64_t elapsed;
    uint64_t messages;
    uint64_t *latencies;
};

typedef struct { int fd; unsigned got, sent, outstanding; uint64_t at; } lg_conn;

static int send_all(int fd, const char *p, unsigned n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) { if (errno == EINTR) continue; return -errno; }
        p += w; n -= (unsigned)w;
    }
    return 0;
}

// Sends the connection's next batch: `depth` requests, or what is left of its `msgs`.
static int send_batch(crr_loadgen *lg, lg_conn *k, uint64_t now) {
    unsigned left = lg->load.msgs - k->sent, n = left < lg->load.depth ? left : lg->load.depth;
    k->outstanding = n;
    k->at = now;
    return send_all(k->fd, lg->batch, n * lg->load.request_len);
}

static void *lg_run(void *arg) {
    crr_loadgen *lg = arg;
    const crr_load *L = &lg->load;
    lg_conn *c = calloc(L->conns, sizeof(lg_conn));
    char in[65536];
    int ep = epoll_create1(0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(L->port) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned opened = 0;
    for (; opened < L->conns; opened++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { lg->error = -errno; if (fd >= 0) close(fd); goto out; }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c[opened].fd = fd;
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = opened };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    uint64_t t0 = crr_now_ns();
    for (unsigned i = 0; i < L->conns; i++)
        if ((lg->error = send_batch(lg, &c[i], crr_now_ns()))) goto out;
    uint64_t total = (uint64_t)L->conns * L->msgs;
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
            uint64_t now = crr_now_ns();
            while (k->got >= L->reply_len && k->outstanding > 0) {
                k->got -= L->reply_len;
                lg->latencies[lg->messages++] = now - k->at;
                k->sent++;
                if (--k->outstanding == 0 && k->sent < L->msgs)
                    if ((lg->error = send_batch(lg, k, now))) goto out;
            }
        }
    }
    lg->elapsed = (int64_t)(crr_now_ns() - t0);
out:
    for (unsigned i = 0; i < opened; i++) close(c[i].fd);
    close(ep);
    free(c);
    if (L->done_fd >= 0) {
        uint64_t one = 1;
        while (write(L->done_fd, &one, sizeof one) < 0 && errno == EINTR) {}
    }
    return NULL;
}

crr_loadgen *crr_loadgen_start(const crr_load *load) {
    if (load->depth == 0 || load->request_len == 0 || load->reply_len == 0) return NULL;
    crr_loadgen *lg = calloc(1, sizeof *lg);
    if (!lg) return NULL;
    lg->load = *load;
    lg->batch = malloc((size_t)load->depth * load->request_len);
    lg->latencies = malloc(sizeof(uint64_t) * (size_t)load->conns * load->msgs);
    if (!lg->batch || !lg->latencies) goto fail;
    for (unsigned i = 0; i < load->depth; i++) {
        char *slot = lg->batch + (size_t)i * load->request_len;
        if (load->request) memcpy(slot, load->request, load->request_len);
        else memset(slot, 'x', load->request_len);
    }
    if (pthread_create(&lg->thread, NULL, lg_run, lg) != 0) goto fail;
    return lg;
fail:
    free(lg->batch); free(lg->latencies); free(lg);
    return NULL;
}

int crr_loadgen_join(crr_loadgen *lg, int64_t *elapsed_ns, uint64_t *messages, const uint64_t **latencies) {
    pthread_join(lg->thread, NULL);
    *elapsed_ns = lg->elapsed;
    *messages = lg->messages;
    *latencies = lg->latencies;
    return lg->error;
}

void crr_loadgen_free(crr_loadgen *lg) {
    free(lg->batch);
    free(lg->latencies);
    free(lg);
}
