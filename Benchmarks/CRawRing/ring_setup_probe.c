// Records the setup flags of every ring this process creates through liburing, so the report can
// say which flags the Quiesce library's ring used without reaching into it. Symbols defined in the
// executable take precedence over liburing's for every caller in the process (the library's shim
// included); each forwards to liburing's own entry point, found once with dlsym(RTLD_NEXT).
// io_uring_queue_init is liburing's io_uring_queue_init_params with only the flags set.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <liburing.h>
#include "include/CRawRing.h"

typedef int (*init_params_fn)(unsigned, struct io_uring *, struct io_uring_params *);

static atomic_uint last_flags;
static atomic_int seen;

int io_uring_queue_init_params(unsigned entries, struct io_uring *ring, struct io_uring_params *p) {
    static init_params_fn real;
    if (!real) real = (init_params_fn)dlsym(RTLD_NEXT, "io_uring_queue_init_params");
    if (!real) return -ENOSYS;
    atomic_store(&last_flags, p->flags);
    atomic_store(&seen, 1);
    return real(entries, ring, p);
}

int io_uring_queue_init(unsigned entries, struct io_uring *ring, unsigned flags) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = flags;
    return io_uring_queue_init_params(entries, ring, &p);
}

int crr_last_ring_flags(unsigned *flags) {
    if (!atomic_load(&seen)) return 0;
    *flags = atomic_load(&last_flags);
    return 1;
}
