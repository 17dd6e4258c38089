/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Byte-exact transfers over a pair (pair.h): the client opens streams (opening more as the
 * server's MAX_STREAMS allows), sends a deterministic pattern on each and ends it; the server
 * answers on every bidirectional stream with its own pattern, concurrently. Both sides check
 * every byte and the end of every stream as they read.
 */
#ifndef HB_TEST_XFER_H
#define HB_TEST_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pair.h"

struct xfer_stream {
	uint64_t id;
	bool open;
	uint64_t c_sent; /* client bytes queued */
	bool c_fin_sent;
	uint64_t s_rcvd; /* server bytes read and checked */
	bool s_fin_rcvd;
	uint64_t s_sent;
	bool s_fin_sent;
	bool s_started;
	uint64_t c_rcvd;
	bool c_fin_rcvd;
};

struct xfer {
	size_t n;		/* streams */
	uint64_t up;		/* client bytes per stream */
	uint64_t down;		/* server bytes per stream (bidirectional streams only) */
	bool uni;		/* client streams are unidirectional: no answer */
	bool early;		/* the client opens and writes before the handshake (0-RTT) */
	size_t opened;		/* streams opened so far */
	struct xfer_stream *st; /* by stream index (id >> 2) */
	uint64_t mismatches;	/* bytes that differed from the pattern */
	uint64_t bad_events;	/* reads that failed, data past the end, unknown streams */
	uint64_t open_blocked;	/* quic_conn_stream_open() refused by the peer's limit */
};

void xfer_init(struct xfer *x, size_t n, uint64_t up, uint64_t down, bool uni);
void xfer_free(struct xfer *x);
/* Hook for pair.on_step: application I/O of both sides. */
void xfer_step(struct pair *p, void *arg);
/* Whether every stream was carried whole both ways. */
bool xfer_done(struct pair *p, void *arg);
/* The pattern byte of stream index i at offset off, direction up (client to server) or not. */
uint8_t xfer_byte(uint64_t i, uint64_t off, bool up);

#endif /* HB_TEST_XFER_H */
