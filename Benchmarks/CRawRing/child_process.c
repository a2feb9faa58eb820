// Child processes for the service benchmarks (servers, redis-benchmark): spawn with the output in
// a pipe, read it line by line or to the end, stop and reap; plus a free loopback port, a wait
// for a port to accept, and removal of a temporary directory tree.
#define _GNU_SOURCE
#include <spawn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "include/CRawRing.h"

extern char **environ;

int crr_spawn(const char *const argv[], int *output_fd) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return -errno;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, out[1], 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &actions, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (rc != 0) { close(out[0]); return -rc; }
    *output_fd = out[0];
    return pid;
}

long crr_read_line(int fd, char *line, size_t capacity) {
    size_t n = 0;
    while (n + 1 < capacity) {
        ssize_t r = read(fd, line + n, 1);  // byte by byte: nothing after the newline is consumed
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        if (line[n] == '\n') { line[n] = 0; return (long)n; }
        n++;
    }
    line[n] = 0;
    return n > 0 ? (long)n : -1;
}

long crr_read_all(int fd, char *text, size_t capacity) {
    size_t n = 0;
    char sink[4096];
    while (1) {
        char *into = n + 1 < capacity ? text + n : sink;
        size_t room = n + 1 < capacity ? capacity - 1 - n : sizeof sink;
        ssize_t r = read(fd, into, room);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        if (into == text + n) n += (size_t)r;
    }
    text[n] = 0;
    return (long)n;
}

int crr_child_stop(int pid, int signal, int output_fd) {
    if (signal) kill(pid, signal);
    char sink[4096];
    while (read(output_fd, sink, sizeof sink) > 0) {}  // until the child exits and closes its output
    int status = 0;
    int rc;
    while ((rc = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {}
    close(output_fd);
    if (rc < 0) return -errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

int crr_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0 };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int rc = bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 && getsockname(fd, (struct sockaddr *)&addr, &len) == 0
        ? ntohs(addr.sin_port) : -errno;
    close(fd);
    return rc;
}

int crr_wait_for_port(uint16_t port, unsigned timeout_ms) {
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uint64_t deadline = crr_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    while (1) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return -errno;
        int ok = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
        close(fd);
        if (ok) return 0;
        if (crr_now_ns() > deadline) return -ETIMEDOUT;
        struct timespec pause = { .tv_sec = 0, .tv_nsec = 20000000 };
        nanosleep(&pause, NULL);
    }
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st; (void)type; (void)ftw;
    return remove(path) == 0 ? 0 : -1;
}

int crr_remove_tree(const char *path) {
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -errno;
}
