// The UDP echo figure's C side: a raw liburing UDP echo server (the reference) and a closed-loop
// UDP load generator that both servers face.
#ifndef CRAWRING_UDP_H
#define CRAWRING_UDP_H

#include <stdint.h>

/// A liburing UDP echo server on the bound datagram socket `fd`, on a ring of `entries` set up with
/// `flags` (IORING_SETUP_*): `lanes` receives in flight at once, each a recvmsg into its own
/// `bufsize` buffer with room for the sender's address, then a sendmsg of the datagram back to that
/// address, then the next recvmsg. An empty datagram is the load generator's stop: it is echoed,
/// and the server returns once that echo is sent. Returns 0 or a negative errno.
int crr_udp_echo_server(unsigned entries, unsigned flags, int fd, unsigned lanes, unsigned bufsize);

/// What the UDP load generator sends.
typedef struct {
    /// The server, on 127.0.0.1.
    uint16_t port;
    /// Client sockets, each with one datagram in flight at a time.
    unsigned clients;
    /// Datagrams each client has echoed before it is done.
    unsigned msgs;
    /// A datagram's size (at least 4: it starts with the client's sequence number).
    unsigned size;
    /// A datagram whose echo has not come back after this long is sent again (counted as resent;
    /// a late echo of it is then ignored, by its sequence number).
    unsigned resend_ms;
} crr_udp_load;

/// A closed-loop UDP load generator on its own thread (epoll, non-blocking connected sockets).
typedef struct crr_udp_loadgen crr_udp_loadgen;

/// Starts the generator; NULL when the load is malformed or its sockets or thread cannot be made.
crr_udp_loadgen *crr_udp_loadgen_start(const crr_udp_load *load);

/// Waits for the generator and frees it. The generator ends when every client is done, or fails
/// when no echo at all arrives for 5 s; either way it then sends the server its stop (an empty
/// datagram, sent again every 100 ms until echoed, 50 times at most). Fills the elapsed ns of the
/// measured part, the datagrams echoed and the datagrams sent again. Returns 0, or a negative
/// errno when the generator failed.
int crr_udp_loadgen_join(crr_udp_loadgen *lg, int64_t *elapsed_ns, uint64_t *echoed, uint64_t *resent);

#endif
