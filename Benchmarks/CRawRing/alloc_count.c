// Counts heap allocations by interposing the allocator entry points: symbols defined in the
// executable take precedence over glibc's for every library in the process (libswiftCore
// included). Each forwards to glibc's exported __libc_* implementation, so no dlsym (which may
// itself allocate) is needed. Counting is off unless enabled, so other benchmarks are untouched
// apart from one relaxed load.
#define _GNU_SOURCE
#include <stddef.h>
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include "include/CRawRing.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static atomic_int counting;
static atomic_ullong count;

static inline void note(void) {
    if (atomic_load_explicit(&counting, memory_order_relaxed))
        atomic_fetch_add_explicit(&count, 1, memory_order_relaxed);
}

void *malloc(size_t n) { note(); return __libc_malloc(n); }
void *calloc(size_t n, size_t m) { note(); return __libc_calloc(n, m); }
void *realloc(void *p, size_t n) { note(); return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t a, size_t n) { note(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { note(); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    note();
    if (a < sizeof(void *) || (a & (a - 1)) != 0) return EINVAL;
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void crr_alloc_counting(int enabled) { atomic_store(&counting, enabled); }
uint64_t crr_alloc_count(void) { return atomic_load(&count); }
uint64_t crr_heap_in_use(void) { return (uint64_t)mallinfo2().uordblks; }
