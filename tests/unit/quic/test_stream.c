/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Streams: RFC 9000 §2.1 (IDs), §3 (state machines), §4 (flow control, final size, stream
 * limits), §19.4-§19.14 (frame rules), and the rows of shared/bad-input.md each pinned to its
 * error code: C7-C17, C19, C35.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <quic/error.h>
#include <quic/pool.h>
#include <quic/stream.h>

#include "hb_test.h"

TestSuite(stream);

#define KB 1024u
#define MB (1024u * KB)

/* IDs seen from a server: client-initiated are the peer's. */
#define C_BIDI(i) ((uint64_t)(i) << 2 | 0)
#define S_BIDI(i) ((uint64_t)(i) << 2 | 1)
#define C_UNI(i)  ((uint64_t)(i) << 2 | 2)
#define S_UNI(i)  ((uint64_t)(i) << 2 | 3)

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static void
params(struct quic_tparams *tp, uint64_t max_data, uint64_t stream_data, uint64_t bidi,
       uint64_t uni)
{
	memset(tp, 0, sizeof(*tp));
	tp->initial_max_data = max_data;
	tp->initial_max_stream_data_bidi_local = stream_data;
	tp->initial_max_stream_data_bidi_remote = stream_data;
	tp->initial_max_stream_data_uni = stream_data;
	tp->initial_max_streams_bidi = bidi;
	tp->initial_max_streams_uni = uni;
}

struct fx {
	struct quic_pool streams;
	struct quic_pool chunks;
	struct quic_streams ss;
};

/* A server's streams: both sides advertise max_data / stream_data and 100 bidi, 3 uni. */
static void
fx_setup_cfg(struct fx *fx, const struct quic_streams_config *cfg, uint64_t max_data,
	     uint64_t stream_data)
{
	struct quic_tparams local, peer;

	cr_assert(eq(int, quic_stream_pool_init(&fx->streams, 4096, 0), 0));
	cr_assert(eq(int, quic_chunk_pool_init(&fx->chunks, 1u << 16, 0), 0));
	params(&local, max_data, stream_data, 100, 3);
	params(&peer, max_data, stream_data, 100, 3);
	cr_assert(eq(int, quic_streams_init(&fx->ss, cfg, &local, &fx->streams, &fx->chunks), 0));
	quic_streams_set_peer_params(&fx->ss, &peer);
}

static void
fx_setup(struct fx *fx, uint64_t max_data, uint64_t stream_data)
{
	struct quic_streams_config cfg = {.is_server = true};

	fx_setup_cfg(fx, &cfg, max_data, stream_data);
}

static void
fx_teardown(struct fx *fx)
{
	quic_streams_fini(&fx->ss);
	cr_assert(eq(u32, fx->streams.in_use, 0), "streams leaked");
	cr_assert(eq(u32, fx->chunks.in_use, 0), "chunks leaked: %u", fx->chunks.in_use);
	quic_pool_fini(&fx->streams);
	quic_pool_fini(&fx->chunks);
}

static struct quic_frame
stream_frame(uint64_t id, uint64_t off, const uint8_t *data, size_t len, bool fin)
{
	struct quic_frame f = {0};

	f.type = QUIC_FRAME_STREAM | QUIC_STREAM_BIT_OFF | QUIC_STREAM_BIT_LEN |
		 (fin ? QUIC_STREAM_BIT_FIN : 0);
	f.stream.stream_id = id;
	f.stream.offset = off;
	f.stream.len = len;
	f.stream.data = data;
	return f;
}

static int
rx_stream(struct fx *fx, uint64_t id, uint64_t off, const uint8_t *data, size_t len, bool fin)
{
	struct quic_frame f = stream_frame(id, off, data, len, fin);

	return quic_streams_on_frame(&fx->ss, &f);
}

static int
rx_reset(struct fx *fx, uint64_t id, uint64_t error, uint64_t final_size)
{
	struct quic_frame f = {.type = QUIC_FRAME_RESET_STREAM};

	f.reset_stream = (struct quic_frame_reset_stream){id, error, final_size};
	return quic_streams_on_frame(&fx->ss, &f);
}

static int
rx_simple(struct fx *fx, uint64_t type, uint64_t id, uint64_t value)
{
	struct quic_frame f = {.type = type};

	switch (type) {
	case QUIC_FRAME_STOP_SENDING:
		f.stop_sending = (struct quic_frame_stop_sending){id, value};
		break;
	case QUIC_FRAME_MAX_STREAM_DATA:
		f.max_stream_data = (struct quic_frame_max_stream_data){id, value};
		break;
	case QUIC_FRAME_STREAM_DATA_BLOCKED:
		f.stream_data_blocked = (struct quic_frame_stream_data_blocked){id, value};
		break;
	case QUIC_FRAME_MAX_DATA:
		f.max_data.max = value;
		break;
	case QUIC_FRAME_MAX_STREAMS_BIDI:
	case QUIC_FRAME_MAX_STREAMS_UNI:
		f.max_streams.max = value;
		break;
	case QUIC_FRAME_DATA_BLOCKED:
		f.data_blocked.limit = value;
		break;
	default:
		f.streams_blocked.limit = value;
		break;
	}
	return quic_streams_on_frame(&fx->ss, &f);
}

/* Write every owed control frame into an array (marking each sent). */
static size_t
drain_ctrl(struct quic_streams *ss, uint64_t now, uint64_t srtt, struct quic_frame *out, size_t cap)
{
	size_t n = 0;
	struct quic_frame f;

	while (n < cap && quic_streams_ctrl_peek(ss, now, srtt, &f)) {
		quic_streams_ctrl_sent(ss, &f);
		out[n++] = f;
	}
	return n;
}

static struct quic_frame *
find_frame(struct quic_frame *fs, size_t n, uint64_t type)
{
	for (size_t i = 0; i < n; i++)
		if (fs[i].type == type)
			return &fs[i];
	return NULL;
}

static uint8_t zeros[256 * KB];

/* ---- stream IDs, §2.1 ---- */

HB_TEST(stream, id_arithmetic)
{
	/* §2.1 Table 1: 0x00 client bidi, 0x01 server bidi, 0x02 client uni, 0x03 server uni. */
	cr_assert(not(quic_stream_id_is_uni(0)));
	cr_assert(not(quic_stream_id_is_server(0)));
	cr_assert(quic_stream_id_is_server(1));
	cr_assert(quic_stream_id_is_uni(2));
	cr_assert(quic_stream_id_is_uni(3) && quic_stream_id_is_server(3));
	cr_assert(quic_stream_id_is_local(1, true));
	cr_assert(not(quic_stream_id_is_local(1, false)));
	cr_assert(quic_stream_id_is_local(4, false));
	cr_assert(eq(u64, quic_stream_id_index(15), 3));
	cr_assert(eq(u64, quic_stream_id_make(3, true, true), 15));
	cr_assert(eq(u64, quic_stream_id_make(3, false, false), 12));
	/* §4.6 example: a uni limit of 3 lets a server open 3, 7 and 11. */
	cr_assert(eq(u64, quic_stream_id_make(2, true, true), 11));
}

HB_TEST(stream, new_error_codes_map_to_transport_codes)
{
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_CRYPTO_BUFFER), 0x0d));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_FLOW_CONTROL), 0x03));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_STREAM_LIMIT), 0x04));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_STREAM_STATE), 0x05));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_FINAL_SIZE), 0x06));
	for (int e = QUIC_ERR_REASSEMBLY; e <= QUIC_ERR_CRYPTO_BUFFER; e++)
		cr_assert(ne(int, strcmp(quic_strerror(e), "unknown error"), 0), "code %d", e);
}

/* ---- bad input, each pinned to its code ---- */

/* C7: beyond stream or connection flow control → FLOW_CONTROL_ERROR (§4.1, §19.9, §19.10). */
HB_TEST(stream, c7_flow_control)
{
	struct fx fx;

	fx_setup(&fx, 10 * KB, 4 * KB);
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 4 * KB - 1, zeros, 1, false), 0));
	cr_assert(
		eq(int, rx_stream(&fx, C_BIDI(0), 4 * KB, zeros, 1, false), QUIC_ERR_FLOW_CONTROL));
	/* h3spec: STREAM at offset 100000000. */
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(1), 100000000, zeros, 1, false),
		     QUIC_ERR_FLOW_CONTROL));
	quic_streams_fini(&fx.ss);
	fx_teardown(&fx);

	/* Connection level: three streams of 4 KiB exceed 10 KiB. */
	fx_setup(&fx, 10 * KB, 4 * KB);
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 0, zeros, 4 * KB, false), 0));
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(1), 0, zeros, 4 * KB, false), 0));
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(2), 0, zeros, 2 * KB, false), 0));
	cr_assert(
		eq(int, rx_stream(&fx, C_BIDI(2), 2 * KB, zeros, 1, false), QUIC_ERR_FLOW_CONTROL));
	/* Retransmissions below the highest offset cost no new credit. */
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 0, zeros, 4 * KB, false), 0));
	/* A RESET_STREAM's final size counts the same way (§4.5). */
	cr_assert(eq(int, rx_reset(&fx, C_BIDI(3), 0, 1), QUIC_ERR_FLOW_CONTROL));
	fx_teardown(&fx);
}

/* C8: offset + length > 2^62 - 1 → FLOW_CONTROL_ERROR (§19.8 allows it or FRAME_ENCODING). */
HB_TEST(stream, c8_offset_past_2_62)
{
	struct fx fx;

	fx_setup(&fx, 10 * KB, 4 * KB);
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), QUIC_MAX_OFFSET, zeros, 1, false),
		     QUIC_ERR_FLOW_CONTROL));
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), QUIC_MAX_OFFSET - 1, zeros, 2, false),
		     QUIC_ERR_FLOW_CONTROL));
	fx_teardown(&fx);
}

/* C9: a peer stream ID beyond our limit → STREAM_LIMIT_ERROR (§4.6, §19.11). */
HB_TEST(stream, c9_stream_limit)
{
	struct fx fx;

	fx_setup(&fx, 10 * KB, 4 * KB);
	/* h3spec: stream 1000000000. */
	cr_assert(eq(int, rx_stream(&fx, 1000000000, 0, zeros, 1, false), QUIC_ERR_STREAM_LIMIT));
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(100), 0, zeros, 1, false), QUIC_ERR_STREAM_LIMIT));
	cr_assert(eq(int, rx_stream(&fx, C_UNI(3), 0, zeros, 1, false), QUIC_ERR_STREAM_LIMIT));
	cr_assert(eq(u32, fx.ss.count, 0));
	/* The last allowed ID opens it and every lower stream of its type (§3.2). */
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(99), 0, zeros, 1, false), 0));
	cr_assert(eq(u32, fx.ss.count, 100));
	cr_assert(not(eq(ptr, quic_streams_get(&fx.ss, C_BIDI(0)), NULL)));
	cr_assert(eq(int, quic_streams_get(&fx.ss, C_BIDI(42))->recv_state, QUIC_RECV_RECV));
	cr_assert(eq(int, rx_stream(&fx, C_UNI(2), 0, zeros, 1, false), 0));
	cr_assert(eq(u32, fx.ss.count, 103));
	/* Other frames that open streams are held to the limit too. */
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_STOP_SENDING, C_BIDI(100), 0),
		     QUIC_ERR_STREAM_LIMIT));
	cr_assert(eq(int, rx_reset(&fx, C_UNI(3), 0, 0), QUIC_ERR_STREAM_LIMIT));
	fx_teardown(&fx);
}

/* C10: STREAM on a send-only stream, or one of ours not yet opened → STREAM_STATE_ERROR. */
HB_TEST(stream, c10_stream_on_send_only_or_unopened)
{
	struct fx fx;
	struct quic_stream *s;

	fx_setup(&fx, 10 * KB, 4 * KB);
	cr_assert(eq(int, rx_stream(&fx, S_BIDI(0), 0, zeros, 1, false), QUIC_ERR_STREAM_STATE));
	cr_assert(eq(int, rx_stream(&fx, S_UNI(0), 0, zeros, 1, false), QUIC_ERR_STREAM_STATE));
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
	cr_assert(eq(u64, s->id, S_UNI(0)));
	/* Our uni stream, opened: still send-only. */
	cr_assert(eq(int, rx_stream(&fx, S_UNI(0), 0, zeros, 1, false), QUIC_ERR_STREAM_STATE));
	cr_assert(eq(int, quic_streams_open(&fx.ss, false, &s), 0));
	cr_assert(eq(int, rx_stream(&fx, S_BIDI(0), 0, zeros, 1, false), 0));
	cr_assert(eq(int, rx_stream(&fx, S_BIDI(1), 0, zeros, 1, false), QUIC_ERR_STREAM_STATE));
	fx_teardown(&fx);
}

/* C11: RESET_STREAM on a send-only stream → STREAM_STATE_ERROR (§19.4). */
HB_TEST(stream, c11_reset_on_send_only)
{
	struct fx fx;
	struct quic_stream *s;

	fx_setup(&fx, 10 * KB, 4 * KB);
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
	cr_assert(eq(int, rx_reset(&fx, S_UNI(0), 7, 0), QUIC_ERR_STREAM_STATE));
	cr_assert(eq(int, rx_reset(&fx, S_BIDI(0), 7, 0), QUIC_ERR_STREAM_STATE));
	fx_teardown(&fx);
}

/* C12: STOP_SENDING on a receive-only or not-yet-created local stream (§19.5). */
HB_TEST(stream, c12_stop_sending_state)
{
	struct fx fx;

	fx_setup(&fx, 10 * KB, 4 * KB);
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_STOP_SENDING, C_UNI(0), 1),
		     QUIC_ERR_STREAM_STATE));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_STOP_SENDING, S_BIDI(0), 1),
		     QUIC_ERR_STREAM_STATE));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_STOP_SENDING, S_UNI(0), 1),
		     QUIC_ERR_STREAM_STATE));
	/* On a peer bidi stream it opens the stream (§3.2) and resets our sending part. */
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_STOP_SENDING, C_BIDI(0), 9), 0));
	cr_assert(eq(int, quic_streams_get(&fx.ss, C_BIDI(0))->send_state, QUIC_SEND_RESET_SENT));
	fx_teardown(&fx);
}

/* C13: MAX_STREAM_DATA on a receive-only or not-yet-created local stream (§19.10). */
HB_TEST(stream, c13_max_stream_data_state)
{
	struct fx fx;

	fx_setup(&fx, 10 * KB, 4 * KB);
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_STREAM_DATA, C_UNI(0), 9000),
		     QUIC_ERR_STREAM_STATE));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_STREAM_DATA, S_BIDI(0), 9000),
		     QUIC_ERR_STREAM_STATE));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_STREAM_DATA, S_UNI(0), 9000),
		     QUIC_ERR_STREAM_STATE));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_STREAM_DATA, C_BIDI(0), 9000), 0));
	cr_assert(eq(u64, quic_streams_get(&fx.ss, C_BIDI(0))->tx_max, 9000));
	fx_teardown(&fx);
}

/* C14: STREAM_DATA_BLOCKED on a send-only stream (§19.13). */
HB_TEST(stream, c14_stream_data_blocked_on_send_only)
{
	struct fx fx;
	struct quic_stream *s;

	fx_setup(&fx, 10 * KB, 4 * KB);
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_STREAM_DATA_BLOCKED, S_UNI(0), 0),
		     QUIC_ERR_STREAM_STATE));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_STREAM_DATA_BLOCKED, S_BIDI(0), 0),
		     QUIC_ERR_STREAM_STATE));
	/* On a peer stream it is information, and opens it. */
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_STREAM_DATA_BLOCKED, C_UNI(1), 4 * KB), 0));
	cr_assert(eq(u32, fx.ss.count, 3));
	fx_teardown(&fx);
}

/* C15, C16: stream limits above 2^60 (§19.11, §19.14). */
HB_TEST(stream, c15_c16_limits_above_2_60)
{
	struct fx fx;
	const uint64_t too_big = (UINT64_C(1) << 60) + 1;

	fx_setup(&fx, 10 * KB, 4 * KB);
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_STREAMS_BIDI, 0, too_big),
		     QUIC_ERR_FRAME_ENCODING));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_STREAMS_UNI, 0, too_big),
		     QUIC_ERR_FRAME_ENCODING));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_STREAMS_BLOCKED_BIDI, 0, too_big),
		     QUIC_ERR_STREAM_LIMIT));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_STREAMS_BLOCKED_UNI, 0, too_big),
		     QUIC_ERR_STREAM_LIMIT));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_STREAMS_BIDI, 0, UINT64_C(1) << 60), 0));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_STREAMS_BLOCKED_UNI, 0, 3), 0));
	fx_teardown(&fx);
}

/* C17: final size changed, or data at/after it → FINAL_SIZE_ERROR (§4.5). */
HB_TEST(stream, c17_final_size)
{
	struct fx fx;

	fx_setup(&fx, 64 * KB, 16 * KB);
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 0, zeros, 100, true), 0));
	/* The same FIN again is fine. */
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 50, zeros, 50, true), 0));
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 100, zeros, 100, true), QUIC_ERR_FINAL_SIZE));
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 0, zeros, 50, true), QUIC_ERR_FINAL_SIZE));
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 100, zeros, 1, false), QUIC_ERR_FINAL_SIZE));
	cr_assert(eq(int, rx_reset(&fx, C_BIDI(0), 0, 101), QUIC_ERR_FINAL_SIZE));
	cr_assert(eq(int, rx_reset(&fx, C_BIDI(0), 0, 99), QUIC_ERR_FINAL_SIZE));
	cr_assert(eq(int, rx_reset(&fx, C_BIDI(0), 0, 100), 0));
	/* A FIN below data already received. */
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(1), 500, zeros, 10, false), 0));
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(1), 0, zeros, 200, true), QUIC_ERR_FINAL_SIZE));
	cr_assert(eq(int, rx_reset(&fx, C_BIDI(1), 0, 400), QUIC_ERR_FINAL_SIZE));
	/* A reset fixes the final size for later STREAM frames too. */
	cr_assert(eq(int, rx_reset(&fx, C_BIDI(2), 0, 300), 0));
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(2), 300, zeros, 1, false), QUIC_ERR_FINAL_SIZE));
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(2), 200, zeros, 100, true), 0));
	fx_teardown(&fx);
}

/* C18 through the stream layer: different bytes at a received offset (§2.2). */
HB_TEST(stream, c18_different_bytes)
{
	struct fx fx;
	uint8_t a[100], b[100];

	memset(a, 'a', sizeof(a));
	memcpy(b, a, sizeof(b));
	b[99] = 'b';
	fx_setup(&fx, 64 * KB, 16 * KB);
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 0, a, 100, false), 0));
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 0, b, 100, false), QUIC_ERR_PROTOCOL));
	fx_teardown(&fx);
}

/* C19: MAX_DATA / MAX_STREAM_DATA / MAX_STREAMS that do not increase are ignored (§4.1, §4.6). */
HB_TEST(stream, c19_non_increasing_limits_ignored)
{
	struct fx fx;
	struct quic_stream *s;
	unsigned lb = 1; /* server bidi */

	fx_setup(&fx, 10 * KB, 4 * KB);
	cr_assert(eq(int, quic_streams_open(&fx.ss, false, &s), 0));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_DATA, 0, 20 * KB), 0));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_DATA, 0, 15 * KB), 0));
	cr_assert(eq(u64, fx.ss.tx_max, 20 * KB));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_STREAM_DATA, s->id, 8 * KB), 0));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_STREAM_DATA, s->id, 1 * KB), 0));
	cr_assert(eq(u64, s->tx_max, 8 * KB));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_STREAMS_BIDI, 0, 200), 0));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_STREAMS_BIDI, 0, 150), 0));
	cr_assert(eq(u64, fx.ss.limit[lb], 200));
	fx_teardown(&fx);
}

/* C35: many fragments on one stream are a close at the cap, not unbounded memory. */
HB_TEST(stream, c35_fragments_capped)
{
	struct fx fx;
	int err = 0, n = 0;

	fx_setup(&fx, 16 * 1024 * KB, 4 * 1024 * KB);
	for (uint64_t off = 1; err == 0 && off < 4 * 1024 * KB; off += 3000, n++)
		err = rx_stream(&fx, C_BIDI(0), off, zeros, 1, false);
	cr_assert(eq(int, err, QUIC_ERR_REASSEMBLY));
	cr_assert(eq(int, n, QUIC_RBUF_GAPS_DEFAULT + 1));
	cr_assert(le(u32, fx.chunks.in_use, QUIC_RBUF_GAPS_DEFAULT + 4));
	fx_teardown(&fx);
}

/* ---- state machines, §3.1 and §3.2 ---- */

HB_TEST(stream, receive_states_data)
{
	struct fx fx;
	struct quic_stream *s;
	uint8_t buf[300];
	bool fin;

	fx_setup(&fx, 64 * KB, 16 * KB);
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 100, zeros, 100, false), 0));
	s = quic_streams_get(&fx.ss, C_BIDI(0));
	cr_assert(eq(int, s->recv_state, QUIC_RECV_RECV));
	cr_assert(eq(int, s->send_state, QUIC_SEND_READY));
	/* Nothing readable yet: not on the readable queue. */
	cr_assert(eq(ptr, quic_streams_next_readable(&fx.ss), NULL));
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 200, zeros, 50, true), 0));
	cr_assert(eq(int, s->recv_state, QUIC_RECV_SIZE_KNOWN));
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 0, zeros, 100, false), 0));
	cr_assert(eq(int, s->recv_state, QUIC_RECV_DATA_RECVD));
	cr_assert(eq(ptr, quic_streams_next_readable(&fx.ss), s));
	cr_assert(eq(ptr, quic_streams_next_readable(&fx.ss), NULL));
	cr_assert(eq(int, quic_stream_read(&fx.ss, s, buf, 100, &fin), 100));
	cr_assert(not(fin));
	cr_assert(eq(int, quic_stream_read(&fx.ss, s, buf, sizeof(buf), &fin), 150));
	cr_assert(fin);
	cr_assert(eq(int, s->recv_state, QUIC_RECV_DATA_READ));
	cr_assert(eq(int, quic_stream_read(&fx.ss, s, buf, sizeof(buf), &fin), 0));
	cr_assert(fin);
	/* A RESET_STREAM after everything was read changes nothing. */
	cr_assert(eq(int, rx_reset(&fx, C_BIDI(0), 5, 250), 0));
	cr_assert(eq(int, s->recv_state, QUIC_RECV_DATA_READ));
	fx_teardown(&fx);
}

HB_TEST(stream, receive_states_reset)
{
	struct fx fx;
	struct quic_stream *s;
	uint8_t buf[100];
	bool fin;

	fx_setup(&fx, 64 * KB, 16 * KB);
	cr_assert(eq(int, rx_stream(&fx, C_UNI(0), 0, zeros, 100, false), 0));
	s = quic_streams_get(&fx.ss, C_UNI(0));
	cr_assert(eq(int, s->send_state, QUIC_SEND_NONE));
	cr_assert(eq(int, rx_stream(&fx, C_UNI(0), 1000, zeros, 100, false), 0));
	cr_assert(eq(u64, fx.ss.rx_highest, 1100));
	cr_assert(eq(int, rx_reset(&fx, C_UNI(0), 0x1234, 3000), 0));
	cr_assert(eq(int, s->recv_state, QUIC_RECV_RESET_RECVD));
	cr_assert(eq(u64, s->rx_error, 0x1234));
	/* The final size counts toward the connection and its credit comes back (§4.5). */
	cr_assert(eq(u64, fx.ss.rx_highest, 3000));
	cr_assert(eq(u64, fx.ss.rx_released, 3000));
	cr_assert(eq(u32, quic_rbuf_chunks(&s->rx), 0));
	/* Late data is counted and dropped. */
	cr_assert(eq(int, rx_stream(&fx, C_UNI(0), 2000, zeros, 1000, true), 0));
	cr_assert(eq(ptr, quic_streams_next_readable(&fx.ss), s));
	cr_assert(eq(int, quic_stream_read(&fx.ss, s, buf, sizeof(buf), &fin),
		     QUIC_ERR_STREAM_STATE));
	cr_assert(eq(int, s->recv_state, QUIC_RECV_RESET_READ));
	/* Receive-only and terminal: closed, freed on collect. */
	cr_assert(ne(int, s->flags &QUIC_STREAM_F_CLOSED, 0));
	quic_streams_collect(&fx.ss);
	cr_assert(eq(ptr, quic_streams_get(&fx.ss, C_UNI(0)), NULL));
	cr_assert(eq(u32, fx.ss.count, 0));
	/* Frames for a closed stream are ignored. */
	cr_assert(eq(int, rx_stream(&fx, C_UNI(0), 0, zeros, 10, false), 0));
	cr_assert(eq(u32, fx.ss.count, 0));
	fx_teardown(&fx);
}

/* Our sending part: Ready → Send → Data Sent → Data Recvd (§3.1). */
HB_TEST(stream, send_states_data)
{
	struct fx fx;
	struct quic_stream *s;
	struct quic_stream_send p;

	fx_setup(&fx, 64 * KB, 16 * KB);
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
	cr_assert(eq(int, s->send_state, QUIC_SEND_READY));
	cr_assert(eq(int, s->recv_state, QUIC_RECV_NONE));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, zeros, 1000, true), 1000));
	cr_assert(eq(ptr, quic_streams_next_send(&fx.ss), s));
	cr_assert(quic_stream_send_peek(&fx.ss, s, 600, &p));
	cr_assert(not(p.fin));
	quic_stream_send_commit(&fx.ss, s, &p, 600, false);
	cr_assert(eq(int, s->send_state, QUIC_SEND_SEND));
	cr_assert(quic_stream_send_peek(&fx.ss, s, 600, &p));
	cr_assert(eq(u64, p.offset, 600));
	cr_assert(eq(sz, p.len, 400));
	cr_assert(p.fin);
	quic_stream_send_commit(&fx.ss, s, &p, 400, true);
	cr_assert(eq(int, s->send_state, QUIC_SEND_DATA_SENT));
	cr_assert(eq(ptr, quic_streams_next_send(&fx.ss), NULL));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, zeros, 1, false), QUIC_ERR_STREAM_STATE));
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, 600, 400, true), 0));
	cr_assert(eq(int, s->send_state, QUIC_SEND_DATA_SENT));
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, 0, 600, false), 0));
	cr_assert(eq(int, s->send_state, QUIC_SEND_DATA_RECVD));
	cr_assert(ne(int, s->flags &QUIC_STREAM_F_CLOSED, 0));
	cr_assert(eq(u32, fx.chunks.in_use, 0));
	/* A late loss report for a closed stream is ignored. */
	cr_assert(eq(int, quic_streams_on_stream_lost(&fx.ss, s->id, 0, 600, false), 0));
	quic_streams_collect(&fx.ss);
	cr_assert(eq(u32, fx.ss.count, 0));
	fx_teardown(&fx);
}

/* Reset paths: the application's reset, and a STOP_SENDING's (§3.1, §3.5). */
HB_TEST(stream, send_states_reset)
{
	struct fx fx;
	struct quic_stream *s;
	struct quic_stream_send p;
	struct quic_frame f[8];
	struct quic_frame *rs;
	size_t n;

	fx_setup(&fx, 64 * KB, 16 * KB);
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, zeros, 3000, false), 3000));
	cr_assert(quic_stream_send_peek(&fx.ss, s, 1000, &p));
	quic_stream_send_commit(&fx.ss, s, &p, 1000, false);
	cr_assert(eq(int, quic_stream_reset(&fx.ss, s, 77), 0));
	cr_assert(eq(int, s->send_state, QUIC_SEND_RESET_SENT));
	cr_assert(eq(u32, fx.chunks.in_use, 0));
	cr_assert(eq(ptr, quic_streams_next_send(&fx.ss), NULL));
	n = drain_ctrl(&fx.ss, 0, 0, f, 8);
	rs = find_frame(f, n, QUIC_FRAME_RESET_STREAM);
	cr_assert(not(eq(ptr, rs, NULL)));
	/* Final size: the credit consumed, i.e. the highest offset sent (§4.5). */
	cr_assert(eq(u64, rs->reset_stream.final_size, 1000));
	cr_assert(eq(u64, rs->reset_stream.error_code, 77));
	/* Lost: owed again; acknowledged: Reset Recvd, terminal. */
	quic_streams_on_ctrl_lost(&fx.ss, rs);
	cr_assert(eq(sz, drain_ctrl(&fx.ss, 0, 0, f, 8), 1));
	cr_assert(eq(u64, f[0].type, QUIC_FRAME_RESET_STREAM));
	/* Loss of data after the reset: nothing is retransmitted. */
	cr_assert(eq(int, quic_streams_on_stream_lost(&fx.ss, s->id, 0, 1000, false), 0));
	cr_assert(eq(ptr, quic_streams_next_send(&fx.ss), NULL));
	quic_streams_on_ctrl_acked(&fx.ss, &f[0]);
	cr_assert(eq(int, s->send_state, QUIC_SEND_RESET_RECVD));
	cr_assert(ne(int, s->flags &QUIC_STREAM_F_CLOSED, 0));
	quic_streams_collect(&fx.ss);

	/* STOP_SENDING on a peer bidi stream: we reset with the peer's code. */
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 0, zeros, 10, false), 0));
	s = quic_streams_get(&fx.ss, C_BIDI(0));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, zeros, 500, false), 500));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_STOP_SENDING, C_BIDI(0), 0x99), 0));
	cr_assert(eq(int, s->send_state, QUIC_SEND_RESET_SENT));
	cr_assert(eq(u64, s->tx_stop_error, 0x99));
	n = drain_ctrl(&fx.ss, 0, 0, f, 8);
	rs = find_frame(f, n, QUIC_FRAME_RESET_STREAM);
	cr_assert(not(eq(ptr, rs, NULL)));
	cr_assert(eq(u64, rs->reset_stream.error_code, 0x99));
	cr_assert(eq(u64, rs->reset_stream.final_size, 0));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, zeros, 1, false), QUIC_ERR_STREAM_STATE));
	fx_teardown(&fx);
}

/* Stopping reading (§3.5): STOP_SENDING owed, data still counted then dropped. */
HB_TEST(stream, stop_reading)
{
	struct fx fx;
	struct quic_stream *s;
	struct quic_frame f[8];
	uint8_t buf[10];
	bool fin;
	size_t n;

	fx_setup(&fx, 64 * KB, 16 * KB);
	cr_assert(eq(int, rx_stream(&fx, C_UNI(0), 0, zeros, 1000, false), 0));
	s = quic_streams_get(&fx.ss, C_UNI(0));
	cr_assert(eq(int, quic_stream_stop(&fx.ss, s, 0x10c), 0));
	n = drain_ctrl(&fx.ss, 0, 0, f, 8);
	cr_assert(not(eq(ptr, find_frame(f, n, QUIC_FRAME_STOP_SENDING), NULL)));
	cr_assert(
		eq(u64, find_frame(f, n, QUIC_FRAME_STOP_SENDING)->stop_sending.error_code, 0x10c));
	cr_assert(eq(u64, fx.ss.rx_released, 1000));
	cr_assert(eq(int, rx_stream(&fx, C_UNI(0), 1000, zeros, 1000, false), 0));
	cr_assert(eq(u64, fx.ss.rx_released, 2000));
	cr_assert(eq(u32, fx.chunks.in_use, 0));
	cr_assert(eq(int, quic_stream_read(&fx.ss, s, buf, sizeof(buf), &fin),
		     QUIC_ERR_STREAM_STATE));
	/* The peer's RESET_STREAM ends it: nothing left for the application to read. */
	cr_assert(eq(int, rx_reset(&fx, C_UNI(0), 0x10c, 2500), 0));
	cr_assert(eq(int, s->recv_state, QUIC_RECV_RESET_READ));
	cr_assert(ne(int, s->flags &QUIC_STREAM_F_CLOSED, 0));
	/* A lost STOP_SENDING is not resent once the stream is done. */
	quic_streams_on_ctrl_lost(&fx.ss, &f[0]);
	cr_assert(eq(sz, drain_ctrl(&fx.ss, 0, 0, f, 8), 0));
	quic_streams_collect(&fx.ss);
	fx_teardown(&fx);
}

/* ---- send buffer ---- */

/*
 * Retransmit everything lost, checking the order (lowest lost range first), the bytes, and the
 * FIN on the piece that ends the stream; @return the number of lost ranges fully resent.
 */
static size_t
resend_lost(struct fx *fx, struct quic_stream *s, const uint8_t *src, const uint64_t *want,
	    size_t nwant)
{
	struct quic_stream_send p;
	size_t k = 0;

	while (quic_stream_send_peek(&fx->ss, s, 1000, &p)) {
		cr_assert(p.retransmit);
		cr_assert(lt(sz, k, nwant));
		cr_assert(ge(u64, p.offset, want[k]));
		cr_assert(le(u64, p.offset + p.len, want[k] + 1000));
		cr_assert(eq(int, memcmp(p.data, src + p.offset, p.len), 0));
		if (p.offset + p.len == want[k] + 1000)
			k++;
		cr_assert(eq(int, p.fin, p.offset + p.len == 10000));
		quic_stream_send_commit(&fx->ss, s, &p, p.len, p.fin);
	}
	return k;
}

HB_TEST(stream, send_buffer_loss_and_retransmit_byte_exact)
{
	static const uint64_t lost[] = {1000, 5000, 9000};
	struct fx fx;
	struct quic_stream *s;
	struct quic_stream_send p;
	uint8_t src[10000];
	uint64_t seed = 5;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(rnd(&seed) >> 56);
	fx_setup(&fx, 64 * KB, 64 * KB);
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, src, sizeof(src), true), 10000));
	/* Frames of at most 1000 bytes (pieces also stop at 2 KiB chunk edges). */
	for (uint64_t off = 0; off < 10000;) {
		cr_assert(quic_stream_send_peek(&fx.ss, s, 1000, &p));
		cr_assert(eq(u64, p.offset, off));
		cr_assert(not(p.retransmit));
		cr_assert(eq(int, memcmp(p.data, src + off, p.len), 0));
		quic_stream_send_commit(&fx.ss, s, &p, p.len, p.fin);
		off += p.len;
	}
	cr_assert(ne(int, s->flags &QUIC_STREAM_F_FIN_SENT, 0));
	cr_assert(not(quic_stream_send_peek(&fx.ss, s, 1000, &p)));
	/* Lose [5000, 6000), [1000, 2000), then [9000, 10000) with the FIN; ack the rest. */
	cr_assert(eq(int, quic_streams_on_stream_lost(&fx.ss, s->id, 5000, 1000, false), 0));
	cr_assert(eq(int, quic_streams_on_stream_lost(&fx.ss, s->id, 1000, 1000, false), 0));
	cr_assert(eq(int, quic_streams_on_stream_lost(&fx.ss, s->id, 9000, 1000, true), 0));
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, 0, 1000, false), 0));
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, 2000, 3000, false), 0));
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, 6000, 3000, false), 0));
	cr_assert(eq(u64, s->tx_acked, 1000));
	cr_assert(eq(ptr, quic_streams_next_send(&fx.ss), s));
	cr_assert(eq(sz, resend_lost(&fx, s, src, lost, 3), 3));
	/* Acknowledgements free chunks as tx_acked passes them. */
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, 1000, 1000, false), 0));
	cr_assert(eq(u64, s->tx_acked, 5000));
	cr_assert(le(u32, s->tx_map.nchunks, 3));
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, 5000, 1000, false), 0));
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, 9000, 1000, true), 0));
	cr_assert(eq(int, s->send_state, QUIC_SEND_DATA_RECVD));
	cr_assert(eq(u32, fx.chunks.in_use, 0));
	quic_streams_collect(&fx.ss);
	fx_teardown(&fx);
}

/*
 * Writing in place (quic_stream_write_reserve/_commit): the room never crosses a chunk edge
 * nor the send limit, what is written there is what is sent, a commit past the room is
 * refused, the FIN rides on a commit, and nothing may be written after it.
 */
HB_TEST(stream, write_in_place)
{
	struct fx fx;
	struct quic_stream *s;
	struct quic_stream_send p;
	uint8_t src[5000], *buf;
	uint64_t seed = 9, off;
	size_t len;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(rnd(&seed) >> 56);
	fx_setup(&fx, 64 * KB, 64 * KB);
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, src, 100, false), 100));
	/* The rest of the first chunk, then whole chunks, then what is left. */
	for (off = 100; off < sizeof(src); off += len) {
		cr_assert(eq(int, quic_stream_write_reserve(&fx.ss, s, &buf, &len), 0));
		cr_assert(eq(sz, len, QUIC_CHUNK_SIZE - off % QUIC_CHUNK_SIZE));
		cr_assert(eq(int, quic_stream_write_commit(&fx.ss, s, len + 1, false),
			     QUIC_ERR_INVAL));
		if (len > sizeof(src) - off)
			len = sizeof(src) - off;
		memcpy(buf, src + off, len);
		cr_assert(eq(int, quic_stream_write_commit(&fx.ss, s, len, off + len == 5000),
			     (int)len));
	}
	cr_assert(eq(u64, s->tx_written, sizeof(src)));
	cr_assert(eq(int, quic_stream_write_reserve(&fx.ss, s, &buf, &len), QUIC_ERR_STREAM_STATE));
	cr_assert(eq(sz, len, 0));
	cr_assert(eq(int, quic_stream_write_commit(&fx.ss, s, 0, false), QUIC_ERR_STREAM_STATE));
	for (off = 0; off < sizeof(src); off += p.len) {
		cr_assert(quic_stream_send_peek(&fx.ss, s, 1200, &p));
		cr_assert(eq(u64, p.offset, off));
		cr_assert(eq(int, memcmp(p.data, src + off, p.len), 0));
		cr_assert(eq(int, p.fin, off + p.len == sizeof(src)));
		quic_stream_send_commit(&fx.ss, s, &p, p.len, p.fin);
	}
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, 0, sizeof(src), true), 0));
	cr_assert(eq(int, s->send_state, QUIC_SEND_DATA_RECVD));
	quic_streams_collect(&fx.ss);
	fx_teardown(&fx);
}

/*
 * A span peek goes on into the next chunk where the plain peek stops at the boundary: the two
 * pieces are the bytes written, FIN rides on the piece that ends the stream, and lost data
 * (retransmissions) stays in one chunk.
 */
HB_TEST(stream, send_peek_span_crosses_one_chunk_boundary)
{
	struct fx fx;
	struct quic_stream *s;
	struct quic_stream_send p, q;
	uint8_t pat[3000];
	size_t first = QUIC_CHUNK_SIZE - 1000;

	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 31 + 7);
	fx_setup(&fx, 64 * KB, 64 * KB);
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, pat, sizeof(pat), true), (int)sizeof(pat)));
	cr_assert(quic_stream_send_peek(&fx.ss, s, first, &p));
	quic_stream_send_commit(&fx.ss, s, &p, p.len, false);
	/* 1000 bytes to the boundary, then 400 in the next chunk. */
	cr_assert(quic_stream_send_peek(&fx.ss, s, 1400, &p));
	cr_assert(eq(sz, p.len, 1000));
	cr_assert(quic_stream_send_peek_span(&fx.ss, s, 1400, &q));
	cr_assert(eq(u64, q.offset, first));
	cr_assert(eq(sz, q.len, 1400));
	cr_assert(eq(sz, q.len1, 1000));
	cr_assert(q.data2 != NULL);
	cr_assert(eq(int, memcmp(q.data, pat + first, q.len1), 0));
	cr_assert(eq(int, memcmp(q.data2, pat + first + q.len1, q.len - q.len1), 0));
	cr_assert(not(q.fin));
	quic_stream_send_commit(&fx.ss, s, &q, q.len, false);
	/* The rest, in one chunk: no second piece, and it ends the stream. */
	cr_assert(quic_stream_send_peek_span(&fx.ss, s, 1400, &q));
	cr_assert(eq(sz, q.len, sizeof(pat) - first - 1400));
	cr_assert(eq(sz, q.len1, q.len));
	cr_assert(q.data2 == NULL);
	cr_assert(q.fin);
	quic_stream_send_commit(&fx.ss, s, &q, q.len, true);
	/* Lost across the boundary: retransmitted up to the chunk's end only. */
	cr_assert(eq(int, quic_streams_on_stream_lost(&fx.ss, s->id, first, 1400, false), 0));
	cr_assert(quic_stream_send_peek_span(&fx.ss, s, 1400, &q));
	cr_assert(q.retransmit);
	cr_assert(eq(sz, q.len, 1000));
	cr_assert(q.data2 == NULL);
	cr_assert(eq(int, memcmp(q.data, pat + first, q.len), 0));
	fx_teardown(&fx);
}

/* The room in place stops at the send buffer's limit; a full buffer gives none. */
HB_TEST(stream, write_in_place_limit)
{
	struct fx fx;
	struct quic_stream *s;
	uint8_t *buf;
	size_t len;
	int n;

	fx_setup(&fx, 64 * KB, 64 * KB);
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
	s->tx_buf = 3000; /* a small send buffer */
	cr_assert(eq(int, quic_stream_write_reserve(&fx.ss, s, &buf, &len), 0));
	cr_assert(eq(sz, len, QUIC_CHUNK_SIZE));
	memset(buf, 1, len);
	cr_assert(eq(int, quic_stream_write_commit(&fx.ss, s, len, false), (int)len));
	cr_assert(eq(int, quic_stream_write_reserve(&fx.ss, s, &buf, &len), 0));
	cr_assert(eq(sz, len, 3000 - QUIC_CHUNK_SIZE));
	memset(buf, 2, len);
	n = quic_stream_write_commit(&fx.ss, s, len, false);
	cr_assert(eq(int, n, (int)(3000 - QUIC_CHUNK_SIZE)));
	cr_assert(eq(int, quic_stream_write_reserve(&fx.ss, s, &buf, &len), 0));
	cr_assert(eq(sz, len, 0));
	cr_assert(eq(ptr, buf, NULL));
	/* An empty FIN on a full buffer is still taken. */
	cr_assert(eq(int, quic_stream_write_commit(&fx.ss, s, 0, true), 0));
	cr_assert(ne(int, s->flags &QUIC_STREAM_F_FIN, 0));
	quic_stream_reset(&fx.ss, s, 0);
	quic_streams_collect(&fx.ss);
	fx_teardown(&fx);
}

/*
 * A peer acknowledging every other packet makes more islands than the acknowledged-range set
 * holds: the overflow is sent again rather than forgotten, and the stream still completes.
 */
HB_TEST(stream, ack_islands_beyond_tracking_cap)
{
	static struct quic_stream_send sent[1024];
	struct fx fx;
	struct quic_stream *s;
	struct quic_stream_send p;
	size_t n = 0, resent = 0;

	fx_setup(&fx, 1024 * KB, 1024 * KB);
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, zeros, 250000, true), 250000));
	while (quic_stream_send_peek(&fx.ss, s, 1000, &p)) {
		cr_assert(lt(sz, n, 1024));
		quic_stream_send_commit(&fx.ss, s, &p, p.len, p.fin);
		sent[n++] = p;
	}
	cr_assert(gt(sz, n / 2, QUIC_RANGESET_MAX));
	for (size_t i = 1; i < n; i += 2)
		cr_assert(eq(int,
			     quic_streams_on_stream_acked(&fx.ss, s->id, sent[i].offset,
							  sent[i].len, sent[i].fin),
			     0));
	cr_assert(le(u16, s->tx_sacked.n, QUIC_RANGESET_MAX));
	for (size_t i = 0; i < n; i += 2)
		cr_assert(eq(int,
			     quic_streams_on_stream_acked(&fx.ss, s->id, sent[i].offset,
							  sent[i].len, sent[i].fin),
			     0));
	/* What could not be recorded goes out again and is acknowledged again. */
	while (quic_stream_send_peek(&fx.ss, s, 1000, &p)) {
		cr_assert(p.retransmit);
		quic_stream_send_commit(&fx.ss, s, &p, p.len, p.fin);
		cr_assert(eq(int,
			     quic_streams_on_stream_acked(&fx.ss, s->id, p.offset, p.len, p.fin),
			     0));
		resent++;
	}
	cr_assert(gt(sz, resent, 0));
	cr_assert(eq(int, s->send_state, QUIC_SEND_DATA_RECVD));
	cr_assert(eq(u32, fx.chunks.in_use, 0));
	fx_teardown(&fx);
}

/* A spurious loss (acknowledged afterwards) is not retransmitted; a lost bare FIN is. */
HB_TEST(stream, spurious_loss_and_bare_fin)
{
	struct fx fx;
	struct quic_stream *s;
	struct quic_stream_send p;

	fx_setup(&fx, 64 * KB, 64 * KB);
	cr_assert(eq(int, quic_streams_open(&fx.ss, false, &s), 0));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, zeros, 500, false), 500));
	cr_assert(quic_stream_send_peek(&fx.ss, s, 1000, &p));
	quic_stream_send_commit(&fx.ss, s, &p, p.len, false);
	cr_assert(eq(int, quic_streams_on_stream_lost(&fx.ss, s->id, 0, 500, false), 0));
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, 0, 500, false), 0));
	cr_assert(not(quic_stream_send_peek(&fx.ss, s, 1000, &p)));
	/* The FIN alone: no data, no credit needed. */
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, NULL, 0, true), 0));
	cr_assert(quic_stream_send_peek(&fx.ss, s, 1000, &p));
	cr_assert(p.fin);
	cr_assert(eq(sz, p.len, 0));
	cr_assert(eq(u64, p.offset, 500));
	quic_stream_send_commit(&fx.ss, s, &p, 0, true);
	cr_assert(eq(int, s->send_state, QUIC_SEND_DATA_SENT));
	cr_assert(not(quic_stream_send_peek(&fx.ss, s, 1000, &p)));
	cr_assert(eq(int, quic_streams_on_stream_lost(&fx.ss, s->id, 500, 0, true), 0));
	cr_assert(quic_stream_send_peek(&fx.ss, s, 1000, &p));
	cr_assert(p.fin);
	quic_stream_send_commit(&fx.ss, s, &p, 0, true);
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, 500, 0, true), 0));
	cr_assert(eq(int, s->send_state, QUIC_SEND_DATA_RECVD));
	fx_teardown(&fx);
}

HB_TEST(stream, send_buffer_limit)
{
	struct fx fx;
	struct quic_streams_config cfg = {
		.is_server = true, .send_buffer = 8 * KB, .send_buffer_max = 8 * KB};
	struct quic_stream *s;
	struct quic_stream_send p;

	fx_setup_cfg(&fx, &cfg, 64 * KB, 64 * KB);
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
	cr_assert(eq(u64, quic_stream_send_unsent(s), 0));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, zeros, 20 * KB, false), 8 * KB));
	cr_assert(eq(u64, quic_stream_send_room(&fx.ss, s), 0));
	cr_assert(eq(u64, quic_stream_send_unsent(s), 8 * KB));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, zeros, 1, false), 0));
	cr_assert(quic_stream_send_peek(&fx.ss, s, 4 * KB, &p));
	quic_stream_send_commit(&fx.ss, s, &p, p.len, false);
	/* Sending frees nothing; acknowledging does. What was sent is no longer unsent. */
	cr_assert(eq(u64, quic_stream_send_room(&fx.ss, s), 0));
	cr_assert(eq(u64, quic_stream_send_unsent(s), 8 * KB - p.len));
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, 0, p.len, false), 0));
	cr_assert(eq(u64, quic_stream_send_room(&fx.ss, s), p.len));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, zeros, 20 * KB, true), (int)p.len));
	cr_assert(eq(int, s->flags &QUIC_STREAM_F_FIN, 0)); /* not all accepted: no FIN */
	fx_teardown(&fx);
}

/*
 * Acknowledgments in order (a transfer without loss) free each chunk as soon as every byte of
 * it is acknowledged; one above a gap is held until the gap is filled, then both go at once.
 */
HB_TEST(stream, in_order_acks_free_chunks_at_once)
{
	struct fx fx;
	struct quic_stream *s;
	struct quic_stream_send p[8];
	uint32_t base, full;
	size_t n = 0;

	fx_setup(&fx, 64 * KB, 64 * KB);
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
	base = fx.chunks.in_use;
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, zeros, 8 * KB, false), 8 * KB));
	full = fx.chunks.in_use; /* the 4 data chunks and the map's own */
	cr_assert(ge(u32, full, base + 8 * KB / QUIC_CHUNK_SIZE));
	/* Pieces of 1 KiB: two per chunk. */
	while (n < 8 && quic_stream_send_peek(&fx.ss, s, 1 * KB, &p[n])) {
		cr_assert(eq(sz, p[n].len, 1 * KB));
		quic_stream_send_commit(&fx.ss, s, &p[n], p[n].len, false);
		n++;
	}
	cr_assert(eq(sz, n, 8));
	for (size_t i = 0; i < 3; i++) {
		uint64_t end = p[i].offset + p[i].len;

		cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, p[i].offset, p[i].len,
							       false),
			     0));
		cr_assert(eq(u64, s->tx_acked, end));
		cr_assert(eq(u32, fx.chunks.in_use, full - (uint32_t)(end / QUIC_CHUNK_SIZE)));
	}
	/* p[4] above the gap p[3]: recorded, nothing freed; then p[3] fills it. */
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, p[4].offset, p[4].len, false),
		     0));
	cr_assert(eq(u64, s->tx_acked, p[3].offset));
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, p[3].offset, p[3].len, false),
		     0));
	cr_assert(eq(u64, s->tx_acked, p[4].offset + p[4].len));
	cr_assert(eq(u32, fx.chunks.in_use,
		     full - (uint32_t)((p[4].offset + p[4].len) / QUIC_CHUNK_SIZE)));
	cr_assert(quic_rangeset_empty(&s->tx_sacked));
	for (size_t i = 5; i < n; i++)
		cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, p[i].offset, p[i].len,
							       false),
			     0));
	/* Every byte acknowledged: the send buffer holds no chunk any more. */
	cr_assert(eq(u64, s->tx_acked, 8 * KB));
	cr_assert(eq(u32, fx.chunks.in_use, base));
	fx_teardown(&fx);
}

/* Peek and send every byte of s from its tx_next on; each must match src at its offset. */
static uint64_t
send_all_check(struct fx *fx, struct quic_stream *s, const uint8_t *src)
{
	struct quic_stream_send p;
	uint64_t n = 0;

	while (quic_stream_send_peek(&fx->ss, s, 1200, &p)) {
		cr_assert(eq(int, memcmp(p.data, src + p.offset, p.len), 0), "at %" PRIu64,
			  p.offset);
		quic_stream_send_commit(&fx->ss, s, &p, p.len, p.fin);
		n += p.len;
	}
	return n;
}

/*
 * The send buffer grows with the peer's stream credit (beyond what it acknowledged), up to
 * send_buffer_max, so that one stream can fill the window the peer grants (RFC 9000 §4.1);
 * the bytes already buffered survive the growth, also when the chunk map goes two-level.
 */
HB_TEST(stream, send_buffer_grows_with_peer_credit)
{
	enum { MAXB = 1024 * KB, TOTAL = MAXB + 64 * KB };
	struct quic_streams_config cfg = {
		.is_server = true, .send_buffer = 8 * KB, .send_buffer_max = MAXB};
	static uint8_t src[TOTAL];
	uint64_t seed = 11;
	struct quic_stream *s;
	struct fx fx;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(rnd(&seed) >> 56);
	fx_setup_cfg(&fx, &cfg, 16 * MB, 16 * KB);
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
	/* The initial credit (16 KiB) already exceeds the 8 KiB floor. */
	cr_assert(eq(u64, quic_stream_send_room(&fx.ss, s), 16 * KB));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, src, TOTAL, false), 16 * KB));
	cr_assert(eq(u64, send_all_check(&fx, s, src), 16 * KB));
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, 0, 5000, false), 0));
	/* More credit: room for all of it beyond the acknowledged 5000 bytes, capped. */
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_STREAM_DATA, s->id, 600 * KB), 0));
	cr_assert(eq(u64, quic_stream_send_room(&fx.ss, s), 600 * KB - 16 * KB));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_STREAM_DATA, s->id, 4 * MB), 0));
	cr_assert(eq(u64, quic_stream_send_room(&fx.ss, s), MAXB - (16 * KB - 5000)));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, src + 16 * KB, TOTAL - 16 * KB, false),
		     (int)(MAXB - (16 * KB - 5000))));
	cr_assert(eq(u64, quic_stream_send_room(&fx.ss, s), 0));
	cr_assert(eq(u64, send_all_check(&fx, s, src), MAXB - (16 * KB - 5000)));
	/* Acknowledging frees room again; the buffer never shrinks below what it grew to. */
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, 5000, 64 * KB, false), 0));
	cr_assert(eq(u64, quic_stream_send_room(&fx.ss, s), 64 * KB));
	fx_teardown(&fx);
}

/* ---- flow control, §4.1-§4.2 ---- */

HB_TEST(stream, blocked_signals_once_per_limit)
{
	struct fx fx;
	struct quic_stream *s;
	struct quic_stream_send p;
	struct quic_frame f[8];
	size_t n;

	fx_setup(&fx, 64 * KB, 1000);
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, zeros, 5000, false), 5000));
	cr_assert(quic_stream_send_peek(&fx.ss, s, 5000, &p));
	cr_assert(eq(sz, p.len, 1000));
	quic_stream_send_commit(&fx.ss, s, &p, p.len, false);
	cr_assert(eq(ptr, quic_streams_next_send(&fx.ss), NULL));
	cr_assert(not(quic_stream_send_peek(&fx.ss, s, 5000, &p)));
	n = drain_ctrl(&fx.ss, 0, 0, f, 8);
	cr_assert(eq(sz, n, 1));
	cr_assert(eq(u64, f[0].type, QUIC_FRAME_STREAM_DATA_BLOCKED));
	cr_assert(eq(u64, f[0].stream_data_blocked.limit, 1000));
	/* Once per limit value. */
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, zeros, 10, false), 10));
	cr_assert(eq(sz, drain_ctrl(&fx.ss, 0, 0, f, 8), 0));
	/* Lost: owed again while still blocked at that limit. */
	{
		struct quic_frame lost = {.type = QUIC_FRAME_STREAM_DATA_BLOCKED};

		lost.stream_data_blocked = (struct quic_frame_stream_data_blocked){s->id, 1000};
		quic_streams_on_ctrl_lost(&fx.ss, &lost);
		cr_assert(eq(sz, drain_ctrl(&fx.ss, 0, 0, f, 8), 1));
	}
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_STREAM_DATA, s->id, 3000), 0));
	cr_assert(eq(ptr, quic_streams_next_send(&fx.ss), s));
	cr_assert(quic_stream_send_peek(&fx.ss, s, 5000, &p));
	cr_assert(eq(sz, p.len, 1048)); /* up to the chunk edge at 2048 */
	quic_stream_send_commit(&fx.ss, s, &p, p.len, false);
	cr_assert(quic_stream_send_peek(&fx.ss, s, 5000, &p));
	cr_assert(eq(sz, p.len, 952));
	quic_stream_send_commit(&fx.ss, s, &p, p.len, false);
	n = drain_ctrl(&fx.ss, 0, 0, f, 8);
	cr_assert(eq(sz, n, 1));
	cr_assert(eq(u64, f[0].stream_data_blocked.limit, 3000));
	/* A stale blocked signal is dropped once the limit moved. */
	quic_streams_on_ctrl_lost(&fx.ss, &f[0]);
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_STREAM_DATA, s->id, 9000), 0));
	cr_assert(eq(sz, drain_ctrl(&fx.ss, 0, 0, f, 8), 0));
	fx_teardown(&fx);
}

HB_TEST(stream, connection_blocked_and_streams_blocked)
{
	struct fx fx;
	struct quic_stream *a, *b, *s;
	struct quic_stream_send p;
	struct quic_frame f[8];
	size_t n;

	fx_setup(&fx, 3000, 64 * KB);
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &a), 0));
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &b), 0));
	cr_assert(eq(int, quic_stream_write(&fx.ss, a, zeros, 2000, false), 2000));
	cr_assert(eq(int, quic_stream_write(&fx.ss, b, zeros, 2000, false), 2000));
	for (int i = 0; i < 4 && (s = quic_streams_next_send(&fx.ss)) != NULL; i++) {
		cr_assert(quic_stream_send_peek(&fx.ss, s, 1000, &p));
		quic_stream_send_commit(&fx.ss, s, &p, p.len, false);
	}
	cr_assert(eq(u64, fx.ss.tx_sent, 3000));
	cr_assert(eq(ptr, quic_streams_next_send(&fx.ss), NULL));
	n = drain_ctrl(&fx.ss, 0, 0, f, 8);
	cr_assert(eq(sz, n, 1));
	cr_assert(eq(u64, f[0].type, QUIC_FRAME_DATA_BLOCKED));
	cr_assert(eq(u64, f[0].data_blocked.limit, 3000));
	cr_assert(eq(ptr, quic_streams_next_send(&fx.ss), NULL));
	cr_assert(eq(sz, drain_ctrl(&fx.ss, 0, 0, f, 8), 0));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_DATA, 0, 4000), 0));
	cr_assert(not(eq(ptr, quic_streams_next_send(&fx.ss), NULL)));

	/* Stream limit: 3 uni streams allowed; the fourth owes STREAMS_BLOCKED(3), once. */
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), QUIC_ERR_STREAM_LIMIT));
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), QUIC_ERR_STREAM_LIMIT));
	n = drain_ctrl(&fx.ss, 0, 0, f, 8);
	cr_assert(eq(sz, n, 1));
	cr_assert(eq(u64, f[0].type, QUIC_FRAME_STREAMS_BLOCKED_UNI));
	cr_assert(eq(u64, f[0].streams_blocked.limit, 3));
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), QUIC_ERR_STREAM_LIMIT));
	cr_assert(eq(sz, drain_ctrl(&fx.ss, 0, 0, f, 8), 0));
	cr_assert(eq(int, rx_simple(&fx, QUIC_FRAME_MAX_STREAMS_UNI, 0, 4), 0));
	cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
	cr_assert(eq(u64, s->id, S_UNI(3)));
	fx_teardown(&fx);
}

/* Window updates once the application read half a window (§4.2). */
HB_TEST(stream, window_updates_after_half_read)
{
	struct fx fx;
	struct quic_stream *s;
	struct quic_frame f[8];
	uint8_t buf[8 * KB];
	struct quic_frame *md, *msd;
	bool fin;
	size_t n;

	fx_setup(&fx, 32 * KB, 16 * KB);
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 0, zeros, 16 * KB, false), 0));
	cr_assert(eq(int,
		     quic_stream_read(&fx.ss, (s = quic_streams_get(&fx.ss, C_BIDI(0))), buf,
				      7 * KB, &fin),
		     7 * KB));
	cr_assert(eq(sz, drain_ctrl(&fx.ss, 0, 0, f, 8), 0));
	cr_assert(eq(int, quic_stream_read(&fx.ss, s, buf, 1 * KB, &fin), 1 * KB));
	n = drain_ctrl(&fx.ss, 0, 0, f, 8);
	msd = find_frame(f, n, QUIC_FRAME_MAX_STREAM_DATA);
	cr_assert(not(eq(ptr, msd, NULL)));
	cr_assert(eq(u64, msd->max_stream_data.max, 8 * KB + 16 * KB));
	cr_assert(eq(ptr, find_frame(f, n, QUIC_FRAME_MAX_DATA), NULL));
	cr_assert(eq(u64, s->rx_max, 24 * KB));
	/* The peer may now send up to 24 KiB on the stream. */
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 16 * KB, zeros, 8 * KB, false), 0));
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 24 * KB, zeros, 1, false),
		     QUIC_ERR_FLOW_CONTROL));
	/* Connection: 16 KiB of the 32 KiB window read → MAX_DATA 16 + 32 KiB. */
	cr_assert(eq(int, quic_stream_read(&fx.ss, s, buf, 8 * KB, &fin), 8 * KB));
	n = drain_ctrl(&fx.ss, 0, 0, f, 8);
	md = find_frame(f, n, QUIC_FRAME_MAX_DATA);
	cr_assert(not(eq(ptr, md, NULL)));
	cr_assert(eq(u64, md->max_data.max, 48 * KB));
	/* A lost update is resent with the same value while it is the latest. */
	quic_streams_on_ctrl_lost(&fx.ss, md);
	n = drain_ctrl(&fx.ss, 0, 0, f, 8);
	cr_assert(eq(sz, n, 1));
	cr_assert(eq(u64, f[0].max_data.max, 48 * KB));
	/* No MAX_STREAM_DATA once the final size is known (Size Known, §3.2). */
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 24 * KB, zeros, 0, true), 0));
	cr_assert(eq(int, quic_stream_read(&fx.ss, s, buf, sizeof(buf), &fin), 8 * KB));
	cr_assert(fin);
	n = drain_ctrl(&fx.ss, 0, 0, f, 8);
	cr_assert(eq(ptr, find_frame(f, n, QUIC_FRAME_MAX_STREAM_DATA), NULL));
	fx_teardown(&fx);
}

/*
 * Auto-tuning: a stream window doubles when half of it is consumed within 2 × srtt of the
 * previous update, up to its maximum; it stays put when consumption is slower.
 */
static const struct quic_streams_config tune_cfg = {
	.is_server = true, .stream_window_max = 256 * KB, .conn_window_max = 4096 * KB};
#define TUNE_SRTT 10000000u

/* The peer fills the window of stream id, the application reads it all, every step_ns. */
static void
fill_cycles(struct fx *fx, uint64_t id, uint64_t step_ns, int cycles, uint64_t *now)
{
	struct quic_stream *s;
	struct quic_frame f[8];
	uint64_t off = 0;
	static uint8_t buf[256 * KB];
	bool fin;

	cr_assert(eq(int, rx_stream(fx, id, 0, NULL, 0, false), 0));
	s = quic_streams_get(&fx->ss, id);
	for (int c = 0; c < cycles; c++) {
		uint64_t len = s->rx_max - off;
		size_t n;

		cr_assert(eq(int, rx_stream(fx, s->id, off, buf, len, false), 0));
		cr_assert(eq(int, quic_stream_read(&fx->ss, s, buf, sizeof(buf), &fin), (int)len));
		off += len;
		*now += step_ns;
		n = drain_ctrl(&fx->ss, *now, TUNE_SRTT, f, 8);
		cr_assert(not(eq(ptr, find_frame(f, n, QUIC_FRAME_MAX_STREAM_DATA), NULL)));
		cr_assert(eq(u64, s->rx_max, off + s->rx_window));
	}
}

static uint64_t
consume_cycles(uint64_t step_ns, int cycles)
{
	struct fx fx;
	uint64_t now = 1000000000, window;

	/* A connection window large enough that only the stream window limits the peer. */
	fx_setup_cfg(&fx, &tune_cfg, 1024 * KB, 16 * KB);
	fill_cycles(&fx, C_BIDI(0), step_ns, cycles, &now);
	window = quic_streams_get(&fx.ss, C_BIDI(0))->rx_window;
	/* The connection window stays at least 1.5 times the largest stream window. */
	cr_assert(ge(u64, fx.ss.rx_window, window + window / 2));
	fx_teardown(&fx);
	return window;
}

HB_TEST(stream, autotune_grows_under_fast_consumption)
{
	/* Half the window consumed every srtt / 2: 16 → 32 → 64 → 128 → 256 KiB, then capped. */
	cr_assert(eq(u64, consume_cycles(5000000, 3), 64 * KB));
	cr_assert(eq(u64, consume_cycles(5000000, 8), 256 * KB));
}

HB_TEST(stream, autotune_stays_put_when_slow)
{
	cr_assert(eq(u64, consume_cycles(30000000, 8), 16 * KB));
}

/*
 * A stream opened after auto-tuning grew one starts with the tuned window, and owes its first
 * MAX_STREAM_DATA at once (§4.2): the peer knows only the initial limit. Without tuning, a new
 * stream keeps the initial window and owes nothing.
 */
static void
check_inherited(uint64_t step_ns, uint64_t want_window)
{
	struct fx fx;
	struct quic_frame f[8], *msd;
	struct quic_stream *s;
	uint64_t now = 1000000000;
	size_t n;

	fx_setup_cfg(&fx, &tune_cfg, 1024 * KB, 16 * KB);
	fill_cycles(&fx, C_BIDI(0), step_ns, 3, &now);
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(1), 0, NULL, 0, false), 0));
	s = quic_streams_get(&fx.ss, C_BIDI(1));
	cr_assert(eq(u64, s->rx_window, want_window));
	n = drain_ctrl(&fx.ss, now, TUNE_SRTT, f, 8);
	msd = find_frame(f, n, QUIC_FRAME_MAX_STREAM_DATA);
	if (want_window == 16 * KB) {
		cr_assert(eq(ptr, msd, NULL));
	} else {
		cr_assert(not(eq(ptr, msd, NULL)));
		cr_assert(eq(u64, msd->max_stream_data.stream_id, C_BIDI(1)));
		cr_assert(eq(u64, msd->max_stream_data.max, want_window));
	}
	/* The peer may use exactly the window it was told of. */
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(1), want_window - 1, zeros, 1, false), 0));
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(1), want_window, zeros, 1, false),
		     QUIC_ERR_FLOW_CONTROL));
	fx_teardown(&fx);
}

HB_TEST(stream, new_stream_inherits_tuned_window)
{
	check_inherited(5000000, 64 * KB);
	check_inherited(30000000, 16 * KB);
}

/* MAX_STREAMS replenished as the peer's streams close (§4.6). */
HB_TEST(stream, max_streams_replenished)
{
	struct fx fx;
	struct quic_frame f[8];
	uint8_t buf[16];
	bool fin;
	size_t n;

	fx_setup(&fx, 64 * KB, 16 * KB);
	/* Three uni streams allowed: open, finish, and read all three. */
	for (int i = 0; i < 3; i++) {
		struct quic_stream *s;

		cr_assert(eq(int, rx_stream(&fx, C_UNI(i), 0, zeros, 10, true), 0));
		s = quic_streams_get(&fx.ss, C_UNI(i));
		cr_assert(eq(int, quic_stream_read(&fx.ss, s, buf, sizeof(buf), &fin), 10));
		cr_assert(fin);
		/* Closed until collected: stopping it now changes nothing. */
		cr_assert(eq(int, quic_stream_stop(&fx.ss, s, 1), 0));
	}
	cr_assert(eq(int, rx_stream(&fx, C_UNI(3), 0, zeros, 1, false), QUIC_ERR_STREAM_LIMIT));
	quic_streams_collect(&fx.ss);
	cr_assert(eq(u32, fx.ss.count, 0));
	n = drain_ctrl(&fx.ss, 0, 0, f, 8);
	cr_assert(not(eq(ptr, find_frame(f, n, QUIC_FRAME_MAX_STREAMS_UNI), NULL)));
	cr_assert(eq(u64, find_frame(f, n, QUIC_FRAME_MAX_STREAMS_UNI)->max_streams.max, 6));
	cr_assert(eq(int, rx_stream(&fx, C_UNI(5), 0, zeros, 1, false), 0));
	cr_assert(eq(int, rx_stream(&fx, C_UNI(6), 0, zeros, 1, false), QUIC_ERR_STREAM_LIMIT));
	fx_teardown(&fx);
}

/* ---- map, fairness, memory ---- */

/* AA-tree invariants (Andersson 1993); returns the subtree's depth. */
static unsigned
check_aa(const struct quic_stream *t, uint64_t lo, uint64_t hi, uint32_t *count)
{
	unsigned dl, dr;

	if (t == NULL)
		return 0;
	(*count)++;
	cr_assert(ge(u64, t->id, lo));
	cr_assert(lt(u64, t->id, hi));
	if (t->left == NULL && t->right == NULL)
		cr_assert(eq(u8, t->level, 1));
	if (t->left != NULL)
		cr_assert(eq(u8, t->left->level, t->level - 1));
	else
		cr_assert(eq(u8, t->level, 1));
	if (t->right != NULL) {
		cr_assert(le(u8, t->right->level, t->level));
		cr_assert(ge(u8, t->right->level, t->level - 1));
		if (t->right->right != NULL)
			cr_assert(lt(u8, t->right->right->level, t->level));
	}
	if (t->level > 1)
		cr_assert(t->left != NULL && t->right != NULL);
	dl = check_aa(t->left, lo, t->id, count);
	dr = check_aa(t->right, t->id + 1, hi, count);
	return 1 + (dl > dr ? dl : dr);
}

static void
assert_map_balanced(const struct quic_streams *ss)
{
	uint32_t count = 0;
	unsigned depth = check_aa(ss->root, 0, UINT64_MAX, &count), lg = 0;

	cr_assert(eq(u32, count, ss->count));
	/* Height <= 2 log2(n + 1), as for red-black trees. */
	while ((UINT64_C(1) << lg) <= count)
		lg++;
	cr_assert(le(u32, depth, 2 * lg), "depth %u for %u streams", depth, count);
}

HB_TEST(stream, map_stays_balanced)
{
	struct fx fx;
	struct quic_streams_config cfg = {.is_server = true};
	struct quic_tparams local, peer;
	uint64_t seed = 99;
	uint8_t buf[4];
	bool fin;

	cr_assert(eq(int, quic_stream_pool_init(&fx.streams, 4096, 0), 0));
	cr_assert(eq(int, quic_chunk_pool_init(&fx.chunks, 1u << 14, 0), 0));
	params(&local, 1u << 30, 1024, 2000, 2000);
	params(&peer, 1u << 30, 1024, 2000, 2000);
	cr_assert(eq(int, quic_streams_init(&fx.ss, &cfg, &local, &fx.streams, &fx.chunks), 0));
	quic_streams_set_peer_params(&fx.ss, &peer);
	/* Peer streams arrive in increasing ID order: the worst case for a plain tree. */
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(1499), 0, NULL, 0, false), 0));
	cr_assert(eq(int, rx_stream(&fx, C_UNI(999), 0, NULL, 0, false), 0));
	assert_map_balanced(&fx.ss);
	/* Close a scattered two thirds of them (FIN received and read; uni only). */
	for (int i = 0; i < 1000; i++) {
		uint64_t id = C_UNI(rnd(&seed) % 1000);
		struct quic_stream *s = quic_streams_get(&fx.ss, id);

		if (s == NULL || (s->flags & QUIC_STREAM_F_CLOSED))
			continue;
		cr_assert(eq(int, rx_stream(&fx, id, 0, zeros, 1, true), 0));
		cr_assert(eq(int, quic_stream_read(&fx.ss, s, buf, sizeof(buf), &fin), 1));
		if (i % 50 == 0) {
			quic_streams_collect(&fx.ss);
			assert_map_balanced(&fx.ss);
		}
	}
	quic_streams_collect(&fx.ss);
	assert_map_balanced(&fx.ss);
	for (int i = 0; i < 1500; i++)
		cr_assert(not(eq(ptr, quic_streams_get(&fx.ss, C_BIDI(i)), NULL)));
	fx_teardown(&fx);
}

/* 1,000 concurrent streams share the sender round robin: each gets one frame per turn. */
HB_TEST(stream, round_robin_fairness_1000_streams)
{
	struct fx fx;
	struct quic_streams_config cfg = {.is_server = true};
	struct quic_tparams local, peer;
	static uint32_t frames[1000];
	struct quic_stream_send p;

	cr_assert(eq(int, quic_stream_pool_init(&fx.streams, 2000, 0), 0));
	cr_assert(eq(int, quic_chunk_pool_init(&fx.chunks, 1u << 14, 0), 0));
	params(&local, 1u << 30, 1u << 20, 0, 0);
	params(&peer, 1u << 30, 1u << 20, 0, 1000);
	cr_assert(eq(int, quic_streams_init(&fx.ss, &cfg, &local, &fx.streams, &fx.chunks), 0));
	quic_streams_set_peer_params(&fx.ss, &peer);
	for (int i = 0; i < 1000; i++) {
		struct quic_stream *s;

		cr_assert(eq(int, quic_streams_open(&fx.ss, true, &s), 0));
		cr_assert(eq(int, quic_stream_write(&fx.ss, s, zeros, 4000, false), 4000));
	}
	memset(frames, 0, sizeof(frames));
	for (int turn = 0; turn < 30; turn++) {
		for (int k = 0; k < 1000; k++) {
			struct quic_stream *s = quic_streams_next_send(&fx.ss);
			uint64_t idx;

			cr_assert(not(eq(ptr, s, NULL)));
			idx = quic_stream_id_index(s->id);
			/* Every stream exactly once per turn. */
			cr_assert(eq(u32, frames[idx], (uint32_t)turn));
			cr_assert(quic_stream_send_peek(&fx.ss, s, 100, &p));
			quic_stream_send_commit(&fx.ss, s, &p, p.len, false);
			frames[idx]++;
		}
	}
	fx_teardown(&fx);
}

/* "≤ 8 KiB per idle connection without stream buffers": the stream state of one. */
HB_TEST(stream, idle_memory_small)
{
	struct fx fx;
	struct quic_stream *s;
	struct quic_stream_send p;
	size_t idle;

	fx_setup(&fx, 64 * KB, 16 * KB);
	idle = quic_streams_mem(&fx.ss);
	cr_assert(le(sz, idle, 1024), "%zu bytes", idle);
	cr_assert(le(sz, sizeof(struct quic_stream), 512), "%zu bytes", sizeof(struct quic_stream));
	/* A stream carrying a small request holds one chunk each way, no ring tables. */
	cr_assert(eq(int, rx_stream(&fx, C_BIDI(0), 0, zeros, 100, false), 0));
	s = quic_streams_get(&fx.ss, C_BIDI(0));
	cr_assert(eq(int, quic_stream_write(&fx.ss, s, zeros, 1000, true), 1000));
	cr_assert(eq(sz, quic_streams_mem(&fx.ss),
		     idle + sizeof(struct quic_stream) + 2 * QUIC_CHUNK_SIZE));
	cr_assert(quic_stream_send_peek(&fx.ss, s, 2000, &p));
	quic_stream_send_commit(&fx.ss, s, &p, p.len, p.fin);
	cr_assert(eq(int, quic_streams_on_stream_acked(&fx.ss, s->id, 0, 1000, true), 0));
	{
		uint8_t buf[100];
		bool fin;

		cr_assert(eq(int, quic_stream_read(&fx.ss, s, buf, sizeof(buf), &fin), 100));
	}
	cr_assert(eq(sz, quic_streams_mem(&fx.ss), idle + sizeof(struct quic_stream)));
	fx_teardown(&fx);
}

/* ---- an in-process pair over a lossy, reordering link ---- */

struct wire_frame {
	uint64_t id, off;
	size_t len;
	bool fin;
	uint8_t data[1200];
};

struct pair {
	struct quic_pool streams, chunks;
	struct quic_streams ss[2]; /* 0: client, 1: server */
	uint64_t seed;
	uint32_t loss_every; /* drop one frame in this many (0: none) */
	uint64_t sent;
};

static bool
drop(struct pair *pp)
{
	pp->sent++;
	return pp->loss_every != 0 && rnd(&pp->seed) % pp->loss_every == 0;
}

/* Control frames: delivered (and acknowledged) or lost at once. */
static void
pump_ctrl(struct pair *pp, int from, uint64_t now)
{
	struct quic_frame f;

	while (quic_streams_ctrl_peek(&pp->ss[from], now, 10000000, &f)) {
		quic_streams_ctrl_sent(&pp->ss[from], &f);
		if (drop(pp)) {
			quic_streams_on_ctrl_lost(&pp->ss[from], &f);
			continue;
		}
		cr_assert(eq(int, quic_streams_on_frame(&pp->ss[1 - from], &f), 0));
		quic_streams_on_ctrl_acked(&pp->ss[from], &f);
	}
}

/* Up to 32 STREAM frames, delivered in a shuffled order, each acknowledged or lost. */
static void
pump_data(struct pair *pp, int from)
{
	static struct wire_frame wf[32];
	struct quic_streams *ss = &pp->ss[from];
	struct quic_stream *s;
	size_t n = 0;

	while (n < 32 && (s = quic_streams_next_send(ss)) != NULL) {
		struct quic_stream_send p;

		cr_assert(quic_stream_send_peek(ss, s, sizeof(wf[0].data), &p));
		wf[n] = (struct wire_frame){
			.id = s->id, .off = p.offset, .len = p.len, .fin = p.fin};
		memcpy(wf[n].data, p.data, p.len);
		quic_stream_send_commit(ss, s, &p, p.len, p.fin);
		n++;
	}
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(rnd(&pp->seed) % i);
		struct wire_frame t = wf[i - 1];

		wf[i - 1] = wf[j];
		wf[j] = t;
	}
	for (size_t i = 0; i < n; i++) {
		struct quic_frame f =
			stream_frame(wf[i].id, wf[i].off, wf[i].data, wf[i].len, wf[i].fin);

		if (drop(pp)) {
			cr_assert(eq(int,
				     quic_streams_on_stream_lost(ss, wf[i].id, wf[i].off, wf[i].len,
								 wf[i].fin),
				     0));
			continue;
		}
		cr_assert(eq(int, quic_streams_on_frame(&pp->ss[1 - from], &f), 0));
		cr_assert(eq(
			int,
			quic_streams_on_stream_acked(ss, wf[i].id, wf[i].off, wf[i].len, wf[i].fin),
			0));
	}
}

/* Read whatever a side can; returns true once the stream's FIN was read. */
static bool
app_read(struct quic_streams *ss, uint8_t *dst, size_t *got, size_t cap)
{
	struct quic_stream *s;
	bool done = false;

	while ((s = quic_streams_next_readable(ss)) != NULL) {
		bool fin = false;
		int n;

		while ((n = quic_stream_read(ss, s, dst + *got, cap - *got, &fin)) > 0)
			*got += (size_t)n;
		cr_assert(ge(int, n, 0));
		done |= fin;
	}
	return done;
}

/* Both sides' transfer state. */
struct xfer {
	uint8_t *src[2]; /* 0: client → server, 1: server → client */
	uint8_t *got[2];
	size_t len[2], written[2], read[2];
	bool fin[2];
	struct quic_stream *s[2]; /* each side's end of stream 0, until collected */
};

static uint8_t *
random_bytes(size_t n, uint64_t *seed)
{
	uint8_t *p = malloc(n);

	cr_assert(not(eq(ptr, p, NULL)));
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd(seed) >> 56);
	return p;
}

/* One round: each side writes what its buffer takes, both pump, both read, both collect. */
static void
xfer_round(struct pair *pp, struct xfer *x, uint64_t now)
{
	if (x->s[1] == NULL && x->written[1] == 0)
		x->s[1] = quic_streams_get(&pp->ss[1], 0);
	for (int d = 0; d < 2; d++) {
		int k;

		if (x->s[d] == NULL || x->written[d] == x->len[d])
			continue;
		k = quic_stream_write(&pp->ss[d], x->s[d], x->src[d] + x->written[d],
				      x->len[d] - x->written[d], true);
		cr_assert(ge(int, k, 0));
		x->written[d] += (size_t)k;
	}
	for (int side = 0; side < 2; side++) {
		pump_ctrl(pp, side, now);
		pump_data(pp, side);
	}
	x->fin[0] |= app_read(&pp->ss[1], x->got[0], &x->read[0], x->len[0]);
	x->fin[1] |= app_read(&pp->ss[0], x->got[1], &x->read[1], x->len[1]);
	for (int side = 0; side < 2; side++) {
		quic_streams_collect(&pp->ss[side]);
		if (pp->ss[side].count == 0)
			x->s[side] = NULL;
	}
}

/*
 * A client opens stream 0 and sends 200 KiB; the server answers 300 KiB on it. Windows are
 * small (8 KiB per stream, 24 KiB per connection) so the transfer runs on many window
 * updates; frames are reordered, and lost per the seed, and must arrive byte-exact.
 */
static void
pair_transfer(uint32_t loss_every, uint64_t seed)
{
	struct quic_streams_config cfg[2] = {{.is_server = false, .stream_window_max = 64 * KB},
					     {.is_server = true, .stream_window_max = 64 * KB}};
	struct pair pp = {.seed = seed, .loss_every = loss_every};
	struct xfer x = {.len = {200 * KB, 300 * KB}};
	struct quic_tparams tp;
	uint64_t now = 0;
	int rounds;

	cr_assert(eq(int, quic_stream_pool_init(&pp.streams, 16, 0), 0));
	cr_assert(eq(int, quic_chunk_pool_init(&pp.chunks, 4096, 0), 0));
	params(&tp, 24 * KB, 8 * KB, 4, 4);
	for (int d = 0; d < 2; d++) {
		x.src[d] = random_bytes(x.len[d], &seed);
		x.got[d] = malloc(x.len[d]);
		cr_assert(eq(int,
			     quic_streams_init(&pp.ss[d], &cfg[d], &tp, &pp.streams, &pp.chunks),
			     0));
		quic_streams_set_peer_params(&pp.ss[d], &tp);
	}
	cr_assert(eq(int, quic_streams_open(&pp.ss[0], false, &x.s[0]), 0));
	for (rounds = 0; rounds < 20000; rounds++) {
		if (x.fin[0] && x.fin[1] && pp.ss[0].count == 0 && pp.ss[1].count == 0)
			break;
		now += 1000000;
		xfer_round(&pp, &x, now);
	}
	cr_assert(x.fin[0] && x.fin[1], "stuck after %d rounds (%zu/%zu up, %zu/%zu down)", rounds,
		  x.read[0], x.len[0], x.read[1], x.len[1]);
	for (int d = 0; d < 2; d++) {
		cr_assert(eq(sz, x.read[d], x.len[d]));
		cr_assert(eq(int, memcmp(x.got[d], x.src[d], x.len[d]), 0));
		/* Closed on both sides, every chunk back in the pool. */
		cr_assert(eq(u32, pp.ss[d].count, 0));
		quic_streams_fini(&pp.ss[d]);
		free(x.src[d]);
		free(x.got[d]);
	}
	cr_assert(eq(u32, pp.chunks.in_use, 0));
	quic_pool_fini(&pp.streams);
	quic_pool_fini(&pp.chunks);
}

HB_TEST(stream, pair_transfer_no_loss)
{
	pair_transfer(0, 1);
}

HB_TEST(stream, pair_transfer_with_loss_and_reordering)
{
	pair_transfer(7, 2);
	pair_transfer(3, 3);
}
