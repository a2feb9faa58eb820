// The C library calls Swift cannot reach (see the header); the liburing wrappers are inline there.
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "CQuiesceUring.h"
const char *cqu_strerrorname_np(int errnum) { return strerrorname_np(errnum); }
const char *cqu_strerrordesc_np(int errnum) { return strerrordesc_np(errnum); }
int cqu_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }
int cqu_fputs_stderr(const char *text) { return fputs(text, stderr); }
