// One plain C function per liburing call; see the header for why. No logic belongs here.
#include "CQuiesceUring.h"

int cqu_queue_init(unsigned entries, struct io_uring *ring, unsigned flags) { return io_uring_queue_init(entries, ring, flags); }
int cqu_queue_init_params(unsigned entries, struct io_uring *ring, struct io_uring_params *params) { return io_uring_queue_init_params(entries, ring, params); }
void cqu_queue_exit(struct io_uring *ring) { io_uring_queue_exit(ring); }
unsigned cqu_sq_space_left(struct io_uring *ring) { return io_uring_sq_space_left(ring); }
int cqu_submit(struct io_uring *ring) { return io_uring_submit(ring); }
int cqu_submit_and_wait(struct io_uring *ring, unsigned wait_nr) { return io_uring_submit_and_wait(ring, wait_nr); }
int cqu_submit_and_wait_timeout(struct io_uring *ring, struct io_uring_cqe **cqe, unsigned wait_nr,
                                struct __kernel_timespec *ts) { return io_uring_submit_and_wait_timeout(ring, cqe, wait_nr, ts, NULL); }
int cqu_get_events(struct io_uring *ring) { return io_uring_get_events(ring); }
int cqu_ring_fd(struct io_uring *ring) { return ring->ring_fd; }
unsigned cqu_features(struct io_uring *ring) { return ring->features; }


size_t cqu_ring_size(void) { return sizeof(struct io_uring); }
