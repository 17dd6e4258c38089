/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ending connections (RFC 9000 §10): CONNECTION_CLOSE of both kinds, the closing and draining
 * states (§10.2), the idle timeout (§10.1), stateless resets sent and detected (§10.3), and
 * the error code a frame handler's failure closes with (§11, §20.1), pinned for rows of
 * shared/bad-input.md sections B and C by feeding the server real protected packets.
 */
#include <string.h>

#include <quic/conn.h>
#include <quic/packet.h>

#include "hb_test.h"
#include "pair.h"

TestSuite(transport_close);

#define BUDGET (60000 * PAIR_MS)

static bool
both_closed(struct pair *p, void *arg)
{
	(void)arg;
	return quic_conn_is_closed(p->cli) && p->srv != NULL && quic_conn_is_closed(p->srv);
}

static bool
srv_closing(struct pair *p, void *arg)
{
	(void)arg;
	return p->srv != NULL && quic_conn_state(p->srv) >= QUIC_CONN_CLOSING &&
	       quic_conn_state(p->cli) >= QUIC_CONN_CLOSING;
}

static void
setup(struct pair *p, uint64_t delay_ms)
{
	struct pair_opts o;

	pair_opts_default(&o, delay_ms);
	pair_init(p, &o);
	cr_assert(pair_handshake(p, BUDGET));
	pair_drain_events(p->cli);
	pair_drain_events(p->srv);
}

/* Whether c reported QUIC_EV_CLOSED with code. */
static bool
saw_closed(struct quic_conn *c, uint64_t code)
{
	struct quic_event ev;
	bool seen = false;

	while (quic_conn_poll_event(c, &ev))
		seen |= ev.type == QUIC_EV_CLOSED && ev.error_code == code;
	return seen;
}

/* RFC 9000 §10.2: the closer is closing, the peer draining, both gone after 3 PTO. */
HB_TEST(transport_close, application_close)
{
	struct pair p;
	struct quic_conn_close_info ci, si;
	uint64_t t0, sent_draining;

	setup(&p, 10);
	t0 = p.now;
	cr_assert(eq(int, quic_conn_close(p.cli, 0x42, "bye", p.now), 0));
	cr_assert(eq(int, quic_conn_close(p.cli, 0x43, NULL, p.now), QUIC_ERR_STREAM_STATE));
	cr_assert(eq(int, quic_conn_state(p.cli), QUIC_CONN_CLOSING));
	cr_assert(pair_run(&p, srv_closing, NULL, BUDGET));
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_DRAINING));
	cr_assert(quic_conn_close_info(p.cli, &ci));
	cr_assert(quic_conn_close_info(p.srv, &si));
	cr_assert(ci.app);
	cr_assert(not(ci.remote));
	cr_assert(eq(u64, ci.error_code, 0x42));
	cr_assert(si.app);
	cr_assert(si.remote);
	cr_assert(eq(u64, si.error_code, 0x42));
	cr_assert(saw_closed(p.cli, 0x42));
	cr_assert(saw_closed(p.srv, 0x42));
	/* RFC 9000 §10.2.2: nothing leaves a draining endpoint. */
	sent_draining = p.dir[PAIR_S2C].offered;
	cr_assert(pair_run(&p, both_closed, NULL, BUDGET));
	cr_assert(eq(u64, p.dir[PAIR_S2C].offered, sent_draining));
	cr_assert(ge(u64, p.now - t0, 3 * 20 * PAIR_MS));
	cr_assert(eq(u64, quic_conn_next_timeout(p.cli), UINT64_MAX));
	pair_free(&p);
}

/* RFC 9000 §10.2.3: an application close before 1-RTT keys is a transport APPLICATION_ERROR. */
HB_TEST(transport_close, application_close_during_handshake)
{
	struct pair_opts o;
	struct pair p;
	struct quic_conn_close_info ci;

	pair_opts_default(&o, 10);
	pair_init(&p, &o);
	cr_assert(eq(int, quic_conn_close(p.cli, 0x42, "early", p.now), 0));
	pair_step(&p);
	cr_assert(not(eq(ptr, p.srv, NULL)));
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_DRAINING));
	cr_assert(quic_conn_close_info(p.srv, &ci));
	cr_assert(not(ci.app));
	cr_assert(eq(u64, ci.error_code, QUIC_APPLICATION_ERROR));
	pair_free(&p);
}

/* RFC 9000 §10.2.1: a closing endpoint answers packets with CONNECTION_CLOSE again. */
static bool
drop_first_close(void *arg, uint8_t *data, size_t *len, uint64_t index)
{
	uint64_t *first = arg;

	(void)data;
	(void)len;
	return index != *first;
}

HB_TEST(transport_close, closing_repeats_close)
{
	struct pair p;
	uint64_t first;
	uint8_t d[] = {0x01}; /* PING */

	setup(&p, 10);
	first = p.dir[PAIR_C2S].index;
	p.dir[PAIR_C2S].filter = drop_first_close;
	p.dir[PAIR_C2S].filter_arg = &first;
	cr_assert(eq(int, quic_conn_close(p.cli, 7, NULL, p.now), 0));
	/* The server, unaware, sends something; the client's answer is a new CONNECTION_CLOSE. */
	cr_assert(eq(int, quic_conn_inject_frames_for_test(p.srv, QUIC_PKT_1RTT, d, 1), 0));
	cr_assert(pair_run(&p, srv_closing, NULL, BUDGET));
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_DRAINING));
	cr_assert(ge(u64, p.dir[PAIR_C2S].offered, first + 2));
	pair_free(&p);
}

static void
idle_1s(void *arg, struct quic_conn_config *cli, struct quic_conn_config *srv)
{
	uint64_t *ms = arg;

	quic_tparams_set_int(&cli->tparams, QUIC_TP_MAX_IDLE_TIMEOUT, ms[0]);
	quic_tparams_set_int(&srv->tparams, QUIC_TP_MAX_IDLE_TIMEOUT, ms[1]);
}

static void
run_idle(uint64_t cli_ms, uint64_t srv_ms, uint64_t want_min_ns, uint64_t want_max_ns)
{
	struct pair_opts o;
	struct pair p;
	struct quic_conn_close_info ci, si;
	uint64_t ms[2] = {cli_ms, srv_ms}, t0;

	pair_opts_default(&o, 10);
	o.tweak = idle_1s;
	o.tweak_arg = ms;
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	t0 = p.now;
	cr_assert(pair_run(&p, both_closed, NULL, 100000 * PAIR_MS));
	cr_assert(quic_conn_close_info(p.cli, &ci));
	cr_assert(quic_conn_close_info(p.srv, &si));
	cr_assert(ci.idle);
	cr_assert(si.idle);
	cr_assert(ge(u64, p.now - t0, want_min_ns));
	cr_assert(le(u64, p.now - t0, want_max_ns));
	pair_free(&p);
}

/* RFC 9000 §10.1: the smaller of the two idle timeouts, silently. */
HB_TEST(transport_close, idle_timeout)
{
	run_idle(1000, 5000, 1000 * PAIR_MS, 1100 * PAIR_MS);
	run_idle(0, 2000, 2000 * PAIR_MS, 2100 * PAIR_MS);
}

/* RFC 9000 §10.1: never less than three PTOs. */
HB_TEST(transport_close, idle_timeout_at_least_3_pto)
{
	run_idle(10, 10, 3 * 20 * PAIR_MS, 1000 * PAIR_MS);
}

static const uint8_t reset_key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void
with_reset_key(void *arg, struct quic_conn_config *cli, struct quic_conn_config *srv)
{
	(void)arg;
	(void)cli;
	srv->reset_key = reset_key;
	srv->reset_key_len = sizeof(reset_key);
}

/* RFC 9000 §10.3: size rules of the Stateless Reset we send. */
HB_TEST(transport_close, stateless_reset_size)
{
	uint8_t token[QUIC_RESET_TOKEN_LEN] = {0xaa}, buf[1500];
	size_t len = 0, trig;

	for (trig = 0; trig <= QUIC_STATELESS_RESET_MIN_LEN; trig++)
		cr_assert(eq(
			int,
			quic_stateless_reset_write(buf, sizeof(buf), trig, 1500, token, NULL, &len),
			QUIC_ERR_INVAL));
	for (trig = QUIC_STATELESS_RESET_MIN_LEN + 1; trig < 1400; trig += 37) {
		cr_assert(eq(
			int,
			quic_stateless_reset_write(buf, sizeof(buf), trig, 1200, token, NULL, &len),
			0));
		cr_assert(lt(sz, len, trig));
		cr_assert(ge(sz, len, QUIC_STATELESS_RESET_MIN_LEN));
		cr_assert(le(sz, len, 1200));
		cr_assert(eq(u8, buf[0] & 0xc0, 0x40));
		cr_assert(
			eq(int, memcmp(buf + len - QUIC_RESET_TOKEN_LEN, token, sizeof(token)), 0));
	}
	cr_assert(eq(int, quic_stateless_reset_write(buf, 10, 100, 1200, token, NULL, &len),
		     QUIC_ERR_BUFFER));
}

/* RFC 9000 §10.3.1: the server lost its state; its reset ends the client's connection. */
HB_TEST(transport_close, stateless_reset_detected)
{
	struct pair_opts o;
	struct pair p;
	struct quic_conn_close_info ci;
	const struct quic_cid *dcid;
	uint8_t token[QUIC_RESET_TOKEN_LEN], buf[1500];
	size_t len = 0;

	pair_opts_default(&o, 10);
	o.tweak = with_reset_key;
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	dcid = quic_conn_dcid(p.cli);
	cr_assert(eq(
		int,
		quic_reset_token(p.ctx, reset_key, sizeof(reset_key), dcid->data, dcid->len, token),
		0));
	/* A datagram of garbage that only looks like a reset for another token: ignored. */
	cr_assert(eq(int,
		     quic_stateless_reset_write(buf, sizeof(buf), 60, 60, reset_key, NULL, &len),
		     0));
	cr_assert(eq(int, quic_conn_recv(p.cli, buf, len, &p.cpath, p.now), 0));
	cr_assert(eq(int, quic_conn_state(p.cli), QUIC_CONN_ESTABLISHED));
	/* The real one. */
	cr_assert(eq(int, quic_stateless_reset_write(buf, sizeof(buf), 60, 60, token, NULL, &len),
		     0));
	cr_assert(eq(int, quic_conn_recv(p.cli, buf, len, &p.cpath, p.now), 0));
	cr_assert(eq(int, quic_conn_state(p.cli), QUIC_CONN_DRAINING));
	cr_assert(quic_conn_close_info(p.cli, &ci));
	cr_assert(ci.stateless_reset);
	pair_free(&p);
}

/* ---- error codes of frame handlers (bad-input B and C) ---- */

struct bad {
	const char *row;
	enum quic_pkt_type pkt;
	const char *hex; /* the packet payload */
	uint64_t code;	 /* CONNECTION_CLOSE error code */
	uint64_t frame;	 /* its Frame Type field */
};

static const struct bad bads[] = {
	/* C1, RFC 9000 §12.4: a packet with no frames. */
	{"C1", QUIC_PKT_1RTT, "", QUIC_PROTOCOL_VIOLATION, 0},
	/* C2, §12.4: unknown frame type 0x20. */
	{"C2", QUIC_PKT_1RTT, "20", QUIC_FRAME_ENCODING_ERROR, 0x20},
	/* C4, §12.4: truncated varint in a frame. */
	{"C4", QUIC_PKT_1RTT, "10 80 00", QUIC_FRAME_ENCODING_ERROR, 0x10},
	/* B19, §19.20: HANDSHAKE_DONE sent to a server. */
	{"B19", QUIC_PKT_1RTT, "1e", QUIC_PROTOCOL_VIOLATION, 0x1e},
	/* B20, §19.7: NEW_TOKEN sent to a server. */
	{"B20", QUIC_PKT_1RTT, "07 04 01 02 03 04", QUIC_PROTOCOL_VIOLATION, 0x07},
	/* C6, §13.1: ACK of packet 1000000, never sent. */
	{"C6", QUIC_PKT_1RTT, "02 80 0f 42 40 00 00 00", QUIC_PROTOCOL_VIOLATION, 0x02},
	/* C7, §4.1: STREAM data at offset 100000000, far past the window. */
	{"C7", QUIC_PKT_1RTT, "0e 00 85 f5 e1 00 01 58", QUIC_FLOW_CONTROL_ERROR, 0x0e},
	/* C9, §4.6: client bidi stream 4000 (index 1000) beyond MAX_STREAMS 100. */
	{"C9", QUIC_PKT_1RTT, "0a 4f a0 01 58", QUIC_STREAM_LIMIT_ERROR, 0x0a},
	/* C10, §19.8: STREAM on stream 3, the server's own unidirectional stream. */
	{"C10", QUIC_PKT_1RTT, "0a 03 01 58", QUIC_STREAM_STATE_ERROR, 0x0a},
	/* C15, §19.11: MAX_STREAMS of 2^60 + 1. */
	{"C15", QUIC_PKT_1RTT, "12 d0 00 00 00 00 00 00 01", QUIC_FRAME_ENCODING_ERROR, 0x12},
	/* C20, §19.15: NEW_CONNECTION_ID with a zero-length CID. */
	{"C20", QUIC_PKT_1RTT, "18 01 00 00 00112233445566778899aabbccddeeff",
	 QUIC_FRAME_ENCODING_ERROR, 0x18},
	/* C22, §5.1.1: four more CIDs than our active_connection_id_limit of 4 allows. */
	{"C22", QUIC_PKT_1RTT,
	 "18 0a 00 08 0a0a0a0a0a0a0a0a aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
	 "18 0b 00 08 0b0b0b0b0b0b0b0b aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
	 "18 0c 00 08 0c0c0c0c0c0c0c0c aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
	 "18 0d 00 08 0d0d0d0d0d0d0d0d aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ",
	 QUIC_CONNECTION_ID_LIMIT_ERROR, 0x18},
	/* C25, §19.16: RETIRE_CONNECTION_ID of sequence 100, never issued. */
	{"C25", QUIC_PKT_1RTT, "19 40 64", QUIC_PROTOCOL_VIOLATION, 0x19},
	/* B17, §17.2.4, §12.4: PATH_CHALLENGE in a Handshake packet. */
	{"B17", QUIC_PKT_HANDSHAKE, "1a 01 02 03 04 05 06 07 08", QUIC_PROTOCOL_VIOLATION, 0x1a},
	/* B18, §12.4: STREAM in a Handshake packet. */
	{"B18", QUIC_PKT_HANDSHAKE, "0a 00 01 58", QUIC_PROTOCOL_VIOLATION, 0x0a},
	/* B13, §7.5: CRYPTO data 1 MiB ahead: beyond what is buffered. */
	{"B13", QUIC_PKT_HANDSHAKE, "06 80 10 00 00 04 61 62 63 64", QUIC_CRYPTO_BUFFER_EXCEEDED,
	 0x06},
	/* B12, RFC 9001 §4.1.3: Initial CRYPTO data at offset 3000, before the ClientHello:
	 * still unconsumed when the ClientHello gives the server its Handshake keys. */
	{"B12", QUIC_PKT_INITIAL, "06 4b b8 04 61 62 63 64", QUIC_PROTOCOL_VIOLATION, 0x06},
	/* B11/B18 in Initial: NEW_CONNECTION_ID is not allowed there either. */
	{"B18i", QUIC_PKT_INITIAL, "18 01 00 08 0102030405060708 00112233445566778899aabbccddeeff",
	 QUIC_PROTOCOL_VIOLATION, 0x18},
};

static void
run_bad(const struct bad *b)
{
	struct pair_opts o;
	struct pair p;
	struct quic_conn_close_info si, ci;
	uint8_t payload[QUIC_CONN_INJECT_MAX];
	size_t n = hb_hex(b->hex, payload, sizeof(payload));

	cr_assert(b->hex[0] == '\0' || n > 0, "%s: bad hex", b->row);
	pair_opts_default(&o, 10);
	pair_init(&p, &o);
	if (b->pkt == QUIC_PKT_1RTT) {
		cr_assert(pair_handshake(&p, BUDGET));
	}
	cr_assert(eq(int, quic_conn_inject_frames_for_test(p.cli, b->pkt, payload, n), 0));
	cr_assert(pair_run(&p, srv_closing, NULL, BUDGET), "%s: no close", b->row);
	cr_assert(quic_conn_close_info(p.srv, &si));
	cr_assert(not(si.remote), "%s", b->row);
	cr_assert(not(si.app), "%s", b->row);
	cr_assert(eq(u64, si.error_code, b->code), "%s", b->row);
	cr_assert(eq(u64, si.frame_type, b->frame), "%s", b->row);
	/* The client got the CONNECTION_CLOSE: draining with the same code. */
	cr_assert(eq(int, quic_conn_state(p.cli), QUIC_CONN_DRAINING), "%s", b->row);
	cr_assert(quic_conn_close_info(p.cli, &ci));
	cr_assert(ci.remote, "%s", b->row);
	cr_assert(eq(u64, ci.error_code, b->code), "%s", b->row);
	cr_assert(eq(u64, p.amp_violations, 0));
	pair_free(&p);
}

HB_TEST(transport_close, bad_frames_pin_error_codes)
{
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		run_bad(&bads[i]);
}

/* C19, RFC 9000 §4.1, §4.6: limits that do not grow are ignored, not errors. */
HB_TEST(transport_close, non_increasing_limits_ignored)
{
	struct pair p;
	uint8_t f[32];
	size_t n = hb_hex("10 01  11 00 01  12 01  13 01  01", f, sizeof(f));

	setup(&p, 10);
	cr_assert(eq(int, quic_conn_inject_frames_for_test(p.cli, QUIC_PKT_1RTT, f, n), 0));
	pair_step(&p);
	pair_step(&p);
	pair_step(&p);
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_ESTABLISHED));
	cr_assert(eq(int, quic_conn_state(p.cli), QUIC_CONN_ESTABLISHED));
	pair_free(&p);
}

/* A 1-RTT packet from the client carrying one STREAM frame (stream 0, OFF and LEN bits). */
static void
send_stream_bytes(struct pair *p, uint64_t off, size_t len)
{
	uint8_t f[QUIC_CONN_INJECT_MAX];
	size_t n = 0;

	f[n++] = 0x0e;
	f[n++] = 0x00;
	f[n++] = (uint8_t)(0x40 | (off >> 8)); /* 2-byte varints (RFC 9000 §16) */
	f[n++] = (uint8_t)off;
	f[n++] = (uint8_t)(0x40 | (len >> 8));
	f[n++] = (uint8_t)len;
	for (size_t i = 0; i < len; i++)
		f[n++] = (uint8_t)(off + i);
	cr_assert(eq(int, quic_conn_inject_frames_for_test(p->cli, QUIC_PKT_1RTT, f, n), 0));
	pair_run_for(p, 30 * PAIR_MS);
}

/*
 * C35, RFC 9000 §21.7: more out-of-order fragments than a stream keeps. The packet that would
 * open one gap too many is dropped unacknowledged (as if lost), the connection stays up, and
 * the data filling the gaps in order is still taken: nothing stalls, memory stays bounded.
 */
HB_TEST(transport_close, too_many_fragments_dropped_not_fatal)
{
	struct quic_conn_stats before, after;
	uint8_t buf[512];
	uint64_t reset_err = 0;
	bool fin = false;
	struct pair p;
	int n;

	setup(&p, 10);
	quic_conn_stats(p.srv, &before);
	/* 1-byte islands at 2, 4, ..., 400: far more than the gap cap of one stream. */
	for (uint64_t off = 2; off <= 400; off += 2)
		send_stream_bytes(&p, off, 1);
	quic_conn_stats(p.srv, &after);
	cr_assert(gt(u64, after.pkts_dropped, before.pkts_dropped));
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_ESTABLISHED));
	/* In-order data from offset 0 is taken whatever the islands. */
	send_stream_bytes(&p, 0, 200);
	send_stream_bytes(&p, 200, 202);
	n = quic_conn_stream_read(p.srv, 0, buf, sizeof(buf), &fin, &reset_err);
	cr_assert(eq(int, n, 402));
	for (int i = 0; i < n; i++)
		cr_assert(eq(u8, buf[i], (uint8_t)i));
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_ESTABLISHED));
	cr_assert(eq(int, quic_conn_state(p.cli), QUIC_CONN_ESTABLISHED));
	pair_free(&p);
}
