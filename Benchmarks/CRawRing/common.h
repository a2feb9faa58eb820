#ifndef CRR_COMMON_H
#define CRR_COMMON_H
#include <liburing.h>
#include <errno.h>
#include "include/CRawRing.h"

// Gets an SQE, submitting what is queued when the submission queue is full.
static inline struct io_uring_sqe *crr_sqe(struct io_uring *ring) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) {
        io_uring_submit(ring);
        sqe = io_uring_get_sqe(ring);
    }
    return sqe;
}
#endif
