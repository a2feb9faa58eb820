// Runs an echo server executable (the QuiesceEcho example) as a child process and finds its port
// from the "listening on HOST:PORT" line it prints.
#define _GNU_SOURCE
#include <spawn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include "include/CRawRing.h"

extern char **environ;

int crr_server_start(const char *path, uint16_t *port, int *output_fd) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return -errno;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    char *argv[] = { (char *)path, "--port", "0", NULL };
    pid_t pid;
    int rc = posix_spawn(&pid, path, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (rc != 0) { close(out[0]); return -rc; }
    // Read byte by byte up to the first newline, so nothing after it is consumed; the pipe stays
    // open until the server has exited (its last words must not meet a closed pipe: SIGPIPE).
    char line[256];
    size_t n = 0;
    while (n + 1 < sizeof line) {
        ssize_t r = read(out[0], line + n, 1);
        if (r <= 0 || line[n] == '\n') break;
        n++;
    }
    line[n] = 0;
    char *colon = strrchr(line, ':');
    if (strncmp(line, "listening on ", 13) != 0 || !colon) {
        kill(pid, SIGKILL); waitpid(pid, NULL, 0); close(out[0]);
        return -EPROTO;
    }
    *port = (uint16_t)atoi(colon + 1);
    *output_fd = out[0];
    return pid;
}

int crr_server_stop(int pid, int output_fd) {
    kill(pid, SIGTERM);
    int status = 0;
    char sink[512];
    while (read(output_fd, sink, sizeof sink) > 0) {}  // drain until the server exits and closes stdout
    int rc = waitpid(pid, &status, 0) < 0 ? -errno : (WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
    close(output_fd);
    return rc;
}
