/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hayabusa-bench hostile mode (issue #8): a peer that completes a handshake and then
 * misbehaves, one case per row of shared/bad-input.md that the server must handle on the wire,
 * plus the CVE classes of its last section. The client conn (quic/, client role) writes the bad
 * frames itself through quic_conn_inject_frames_for_test(): real, protected 1-RTT packets whose
 * payload is exactly the frames of the case.
 *
 * A case ends with the CONNECTION_CLOSE the server sent (its transport error code), or with
 * "silent" when the server closed nothing within H_WAIT_NS and the connection still works; the
 * exit status is 0 only when that matches the case's expected result (table below).
 *
 * Flood cases may withhold the server's datagrams while they attack (we send no ACK, so the
 * server's congestion window and its queues of frames to send cannot drain: the starving of
 * CVE-2023-49295 and CVE-2024-22189); the newest H_HELD_MAX are delivered once the flood ends.
 * Every loop is bounded in count and in time (H_FLOOD_NS, H_WAIT_NS, H_HS_NS, H_WAIT_FLOOD).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quic/error.h>
#include <quic/h3.h>
#include <quic/pkt_type.h>
#include <quic/varint.h>

#include "gen_int.h"

#define H_SILENT     UINT64_MAX /* expected: no CONNECTION_CLOSE, the connection still works */
#define H_HELD_MAX   256
#define H_HS_NS	     (5000ull * 1000 * 1000) /* handshake bound */
#define H_FLOOD_NS   (1000ull * 1000 * 1000) /* flood bound */
#define H_WAIT_NS    (1000ull * 1000 * 1000) /* for the server's answer after one packet */
#define H_WAIT_FLOOD (1500ull * 1000 * 1000) /* ... after a flood (its backlog drains first) */
#define H_TAIL_NS    (100ull * 1000 * 1000)  /* withholding goes on this long after a flood */
#define H_FRAMES_MAX 32
#define H_PER_CALL   16 /* injected packets or raw datagrams per collect_tx call */
/*
 * Flood packets: fewer than the sent-packet records our own conn keeps (it closes itself with
 * INTERNAL_ERROR when a flood the server never acknowledges exhausts them).
 */
#define H_FLOOD_PKTS 960

enum h_kind {
	H_ONE = 0,  /* one packet with frames[] */
	H_FLOOD,    /* count packets, each built by build() */
	H_GARBAGE,  /* count random UDP datagrams, no connection */
	H_INITIALS, /* count first Initials of fresh connections, each with its own DCID */
};

typedef size_t (*h_build_fn)(uint8_t *buf, size_t cap, uint32_t i);

struct h_case {
	const char *name;
	const char *row; /* shared/bad-input.md */
	const char *rfc;
	uint64_t expect; /* RFC 9000 §20.1 code, or H_SILENT */
	enum h_kind kind;
	bool withhold;	/* hold the server's datagrams (no ACKs) while attacking */
	uint32_t count; /* floods: packets; raw: datagrams */
	h_build_fn build;
	uint8_t len;
	uint8_t frames[H_FRAMES_MAX];
};

/* ---- Flood packets ---- */

static size_t
put_varint(uint8_t *buf, size_t cap, size_t at, uint64_t v)
{
	int n = quic_varint_encode(buf + at, cap - at, v);

	return n > 0 ? at + (size_t)n : cap + 1;
}

/* C28: PATH_CHALLENGE frames (RFC 9000 §19.17), 8 bytes of data each, all distinct. */
static size_t
build_path_challenge(uint8_t *buf, size_t cap, uint32_t i)
{
	size_t at = 0;

	for (uint32_t k = 0; k < 20 && at + 9 <= cap; k++) {
		uint64_t d = (uint64_t)i * 20 + k;

		buf[at++] = 0x1a;
		for (int b = 0; b < 8; b++)
			buf[at++] = (uint8_t)(d >> (8 * b));
	}
	return at;
}

/*
 * C27: NEW_CONNECTION_ID (RFC 9000 §19.15) with Retire Prior To equal to its own sequence
 * number, so every frame retires all CIDs before it: the server owes one RETIRE_CONNECTION_ID
 * per frame. Sequence numbers from 1000 on never collide with the CIDs our conn issued (C23);
 * the CIDs are 8 bytes like ours (QUIC_CONN_CLIENT_CID_LEN), so the client still parses the
 * server's short headers once it switches to them.
 */
static size_t
build_ncid(uint8_t *buf, size_t cap, uint32_t i)
{
	size_t at = 0;

	for (uint32_t k = 0; k < 7; k++) {
		uint64_t seq = 1000 + (uint64_t)i * 7 + k;

		buf[at++] = 0x18;
		at = put_varint(buf, cap, at, seq);
		at = put_varint(buf, cap, at, seq);
		if (at + 1 + 8 + 16 > cap)
			return 0;
		buf[at++] = 8;
		for (int b = 0; b < 8 + 16; b++)
			buf[at++] = (uint8_t)(seq * 31 + (uint64_t)b * 7 + 0x5a);
	}
	return at;
}

/*
 * C35: 1-byte STREAM frames (RFC 9000 §19.8) on stream 0 at scattered odd offsets below
 * 64 KiB, each leaving a hole before it: the picoquic #2137 / quinn GHSA-4w2j-m93h-cj5j class.
 */
static size_t
build_fragments(uint8_t *buf, size_t cap, uint32_t i)
{
	size_t at = 0;

	for (uint32_t k = 0; k < 28; k++) {
		uint64_t off = 1 + ((uint64_t)(i * 28 + k) * 2 * 4099) % 64000;

		if (at + 8 > cap)
			break;
		buf[at++] = 0x0e; /* STREAM with OFF and LEN */
		buf[at++] = 0x00;
		at = put_varint(buf, cap, at, off | 1);
		buf[at++] = 1;
		buf[at++] = (uint8_t)k;
	}
	return at;
}

/* ---- The cases ---- */

/* One case a line or two, as in the table of bad-input.md. */
/* clang-format off */
#define TOKEN16 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, \
		0x11, 0x11, 0x11
#define CID8	0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8
#define ONE(n, r, s, e, ...)                                                                     \
	{.name = n, .row = r, .rfc = s, .expect = e, .kind = H_ONE,                               \
	 .len = sizeof((uint8_t[]){__VA_ARGS__}), .frames = {__VA_ARGS__}}

static const struct h_case cases[] = {
	{.name = "empty-packet", .row = "C1", .rfc = "RFC 9000 §12.4", .kind = H_ONE,
	 .expect = QUIC_PROTOCOL_VIOLATION, .len = 0},
	ONE("unknown-frame", "C2", "RFC 9000 §12.4", QUIC_FRAME_ENCODING_ERROR, 0x20),
	ONE("truncated-varint", "C4", "RFC 9000 §12.4", QUIC_FRAME_ENCODING_ERROR, 0x02, 0x80),
	ONE("ack-underflow", "C5", "RFC 9000 §19.3.1", QUIC_FRAME_ENCODING_ERROR, 0x02, 0x05, 0x00,
	    0x00, 0x0a),
	/* ACK of packet 1,000,000, never sent (quiche CVE-2025-4821) */
	ONE("ack-unsent", "C6", "RFC 9000 §13.1, §21.4", QUIC_PROTOCOL_VIOLATION, 0x02, 0x80, 0x0f,
	    0x42, 0x40, 0x00, 0x00, 0x00),
	/* STREAM 0 at offset 100,000,000 (h3spec) */
	ONE("flow-control", "C7", "RFC 9000 §4.1, §19.8", QUIC_FLOW_CONTROL_ERROR, 0x0e, 0x00, 0x85,
	    0xf5, 0xe1, 0x00, 0x01, 'x'),
	/* STREAM at offset 2^62 - 1 with 1 byte */
	ONE("offset-max", "C8", "RFC 9000 §19.8", QUIC_FRAME_ENCODING_ERROR, 0x0e, 0x00, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'x'),
	/* stream 1,000,000,000 (h3spec; .NET CVE-2023-38178) */
	ONE("stream-limit", "C9", "RFC 9000 §4.6, §19.11", QUIC_STREAM_LIMIT_ERROR, 0x0a, 0xbb, 0x9a,
	    0xca, 0x00, 0x01, 'x'),
	/* STREAM on stream 3: the server's own unidirectional stream */
	ONE("stream-send-only", "C10", "RFC 9000 §19.8", QUIC_STREAM_STATE_ERROR, 0x0a, 0x03, 0x01,
	    'x'),
	ONE("reset-send-only", "C11", "RFC 9000 §19.4", QUIC_STREAM_STATE_ERROR, 0x04, 0x03, 0x00,
	    0x00),
	/* STOP_SENDING on stream 2: ours, unidirectional, so receive-only for the server */
	ONE("stop-recv-only", "C12", "RFC 9000 §19.5", QUIC_STREAM_STATE_ERROR, 0x05, 0x02, 0x00),
	ONE("max-stream-data-recv-only", "C13", "RFC 9000 §19.10", QUIC_STREAM_STATE_ERROR, 0x11,
	    0x02, 0x44, 0x00),
	ONE("stream-data-blocked-send-only", "C14", "RFC 9000 §19.13", QUIC_STREAM_STATE_ERROR, 0x15,
	    0x03, 0x00),
	ONE("max-streams-2^60", "C15", "RFC 9000 §19.11", QUIC_FRAME_ENCODING_ERROR, 0x12, 0xd0,
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01),
	/* §19.14 allows STREAM_LIMIT_ERROR or FRAME_ENCODING_ERROR: the decoder refuses it */
	ONE("streams-blocked-2^60", "C16", "RFC 9000 §19.14", QUIC_FRAME_ENCODING_ERROR, 0x16, 0xd0,
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01),
	/* stream 8 ends at 4, then at 2 */
	ONE("final-size", "C17", "RFC 9000 §4.5", QUIC_FINAL_SIZE_ERROR, 0x0f, 0x08, 0x00, 0x04, 'a',
	    'b', 'c', 'd', 0x0f, 0x08, 0x00, 0x02, 'a', 'b'),
	ONE("max-data-decrease", "C19", "RFC 9000 §4.1, §19.9", H_SILENT, 0x10, 0x00),
	ONE("ncid-zero-len", "C20", "RFC 9000 §19.15", QUIC_FRAME_ENCODING_ERROR, 0x18, 0x01, 0x00,
	    0x00, TOKEN16),
	ONE("ncid-rpt-above-seq", "C21", "RFC 9000 §19.15", QUIC_FRAME_ENCODING_ERROR, 0x18, 0x01,
	    0x02, 0x08, CID8, TOKEN16),
	ONE("retire-unissued", "C25", "RFC 9000 §19.16", QUIC_PROTOCOL_VIOLATION, 0x19, 0x43, 0xe8),
	ONE("handshake-done", "B19", "RFC 9000 §19.20", QUIC_PROTOCOL_VIOLATION, 0x1e),
	ONE("new-token", "B20", "RFC 9000 §19.7", QUIC_PROTOCOL_VIOLATION, 0x07, 0x01, 0xaa),
	/* 1-RTT CRYPTO at offset 1,000,000 (quiche CVE-2024-1765, picoquic #1745) */
	ONE("crypto-beyond-buffer", "B13", "RFC 9000 §7.5", QUIC_CRYPTO_BUFFER_EXCEEDED, 0x06, 0x80,
	    0x0f, 0x42, 0x40, 0x01, 0x16),
	{.name = "path-challenge-flood", .row = "C28", .rfc = "RFC 9000 §8.2.2", .expect = H_SILENT,
	 .kind = H_FLOOD, .withhold = true, .count = H_FLOOD_PKTS, .build = build_path_challenge},
	{.name = "ncid-retire-flood", .row = "C27", .rfc = "RFC 9000 §5.1.2",
	 .expect = QUIC_CONNECTION_ID_LIMIT_ERROR, .kind = H_FLOOD, .withhold = true, .count = 200,
	 .build = build_ncid},
	{.name = "stream-fragments", .row = "C35", .rfc = "RFC 9000 §21.7", .expect = H_SILENT,
	 .kind = H_FLOOD, .count = H_FLOOD_PKTS, .build = build_fragments},
	{.name = "garbage", .row = "A15", .rfc = "RFC 9000 §21", .expect = H_SILENT,
	 .kind = H_GARBAGE, .count = 200000},
	{.name = "initial-dcid-flood", .row = "A17", .rfc = "RFC 9000 §7.2, §21", .expect = H_SILENT,
	 .kind = H_INITIALS, .count = 300},
};
/* clang-format on */

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

enum h_phase {
	HP_START = 0,
	HP_HANDSHAKE,
	HP_ATTACK,
	HP_WAIT,
};

struct gen_hostile {
	const struct h_case *hc;
	struct quic_conn *qc;
	enum h_phase phase;
	bool begun;
	bool hs_done;
	uint64_t t_begin, t_phase;
	uint64_t t_end;	    /* when the last attack packet went out */
	uint32_t sent;	    /* attack packets or datagrams written */
	uint64_t rx;	    /* datagrams received */
	uint64_t rx_ping;   /* ... when our PING after the attack went out */
	uint64_t held_lost; /* withheld datagrams overwritten by newer ones */
	uint32_t held_head, held_n;
	uint16_t held_len[H_HELD_MAX];
	uint8_t held[H_HELD_MAX][GEN_DGRAM_MAX];
};

bool
bench_gen_hostile_known(const char *name)
{
	for (size_t i = 0; i < N_CASES; i++)
		if (strcmp(cases[i].name, name) == 0)
			return true;
	return false;
}

/* ---- Output and the end of the run ---- */

static void
fmt_code(char *buf, size_t cap, uint64_t code)
{
	if (code == H_SILENT)
		snprintf(buf, cap, "silent drop");
	else
		snprintf(buf, cap, "CONNECTION_CLOSE 0x%02llx", (unsigned long long)code);
}

static void
h_finish(struct bench_gen_worker *gw, uint64_t now_ns, bool ok, const char *got)
{
	struct gen_hostile *h = gw->hostile;
	char want[48];

	fmt_code(want, sizeof(want), h->hc->expect);
	printf("hostile %s (bad-input %s, %s): expected %s, got %s: %s\n", h->hc->name, h->hc->row,
	       h->hc->rfc, want, got, ok ? "PASS" : "FAIL");
	printf("hostile %s: %u attack packets or datagrams sent, %llu received, %llu withheld "
	       "ones dropped\n",
	       h->hc->name, h->sent, (unsigned long long)h->rx, (unsigned long long)h->held_lost);
	fflush(stdout);
	if (!ok)
		gen_cnt_add(gw, GEN_CNT_FAIL_VERIFY, 1);
	gen_cnt_add(gw, GEN_CNT_FAIL_UNFINISHED, (uint64_t)-1); /* the verdict came: see setup */
	if (h->qc != NULL) {
		quic_conn_free(h->qc);
		h->qc = NULL;
		gen_cnt_add(gw, GEN_CNT_CONNS_CLOSED, 1);
	}
	gw->finished = true;
	gw->g->end_ns = now_ns;
	/* Release pairs with the acquire load of the control thread in gen_main.c. */
	__atomic_store_n(&gw->g->done, 1, __ATOMIC_RELEASE);
}

/* The connection ended: compare how with what the case expects. */
static void
h_closed(struct bench_gen_worker *gw, uint64_t now_ns)
{
	struct gen_hostile *h = gw->hostile;
	struct quic_conn_close_info ci;
	char got[96];

	memset(&ci, 0, sizeof(ci));
	quic_conn_close_info(h->qc, &ci);
	if (ci.remote && !ci.app) {
		fmt_code(got, sizeof(got), ci.error_code);
		h_finish(gw, now_ns, ci.error_code == h->hc->expect, got);
		return;
	}
	snprintf(got, sizeof(got), "%s close 0x%llx%s%s", ci.remote ? "peer application" : "local",
		 (unsigned long long)ci.error_code, ci.idle ? " (idle timeout)" : "",
		 ci.stateless_reset ? " (stateless reset)" : "");
	h_finish(gw, now_ns, false, got);
}

/* ---- The connection ---- */

static void
h_flush(struct bench_gen_worker *gw, uint64_t now_ns, uint32_t *written)
{
	struct gen_hostile *h = gw->hostile;
	struct quic_path qp;
	struct dp_path dp = gw->base;
	size_t off;
	int n, i;

	for (int rounds = 0; rounds < 8; rounds++) {
		n = quic_conn_write(h->qc, gw->txbuf, sizeof(gw->txbuf), GEN_DGRAM_MAX - 28,
				    gw->txlens, GEN_TX_BURST, &qp, now_ns);
		if (n <= 0)
			return;
		if (written != NULL)
			(*written)++;
		dp.local.port = qp.local.port;
		for (i = 0, off = 0; i < n; off += gw->txlens[i], i++)
			gen_send(gw, &dp, gw->txbuf + off, gw->txlens[i]);
		if (n < GEN_TX_BURST)
			return;
	}
}

/* Timers, events (the server's streams are read and discarded), output. */
static void
h_service(struct bench_gen_worker *gw, uint64_t now_ns)
{
	struct gen_hostile *h = gw->hostile;
	struct quic_event ev;
	uint8_t sink[512];
	bool fin;

	if (quic_conn_next_timeout(h->qc) <= now_ns)
		quic_conn_handle_timeout(h->qc, now_ns);
	for (int i = 0; i < 256 && quic_conn_poll_event(h->qc, &ev); i++) {
		if (ev.type == QUIC_EV_HANDSHAKE_DONE && !h->hs_done) {
			h->hs_done = true;
			gen_cnt_add(gw, GEN_CNT_HANDSHAKES, 1);
		}
		for (int k = 0;
		     k < 64 && ev.type == QUIC_EV_STREAM_READABLE &&
		     quic_conn_stream_read(h->qc, ev.stream_id, sink, sizeof(sink), &fin, NULL) > 0;
		     k++)
			;
	}
	h_flush(gw, now_ns, NULL);
}

static int
h_connect(struct bench_gen_worker *gw, struct quic_conn **qc, uint16_t lport, uint64_t now_ns)
{
	struct quic_path qp;

	memset(&qp, 0, sizeof(qp));
	qp.local.family = gw->base.local.family;
	memcpy(qp.local.ip, gw->base.local.ip, sizeof(qp.local.ip));
	qp.local.port = lport;
	qp.remote = gw->o->server;
	if (quic_conn_new_client(qc, &gw->qcfg, &qp, now_ns) != 0) {
		*qc = NULL;
		gen_cnt_add(gw, GEN_CNT_FAIL_SETUP, 1);
		return -1;
	}
	gen_cnt_add(gw, GEN_CNT_CONNS_STARTED, 1);
	return 0;
}

/*
 * Deliver the withheld datagrams, newest first (a reordering the network may do as well). The
 * newest carries the server's verdict: after a NEW_CONNECTION_ID flood (C27) the older ones
 * hold the server's RETIRE_CONNECTION_ID of sequence numbers that only our injected frames
 * issued, which our conn, a strict client, would close on (RFC 9000 §19.16) before reading the
 * CONNECTION_CLOSE behind them.
 */
static void
h_release(struct bench_gen_worker *gw, uint64_t now_ns)
{
	struct gen_hostile *h = gw->hostile;
	struct quic_path qp;

	memset(&qp, 0, sizeof(qp));
	qp.local.family = qp.remote.family = gw->base.local.family;
	qp.local.port = gw->o->lport_base;
	memcpy(qp.local.ip, gw->base.local.ip, sizeof(qp.local.ip));
	qp.remote = gw->o->server;
	for (uint32_t i = 1; i <= h->held_n; i++) {
		uint32_t k = (h->held_head + H_HELD_MAX - i) % H_HELD_MAX;

		quic_conn_recv(h->qc, h->held[k], h->held_len[k], &qp, now_ns);
	}
	h->held_n = 0;
	h_service(gw, now_ns);
}

/* ---- Attacks ---- */

static void
h_enter(struct gen_hostile *h, enum h_phase p, uint64_t now_ns)
{
	h->phase = p;
	h->t_phase = now_ns;
}

/*
 * The attack is over: keep withholding for H_TAIL_NS, so that the server's answers to the last
 * packets are held too, then deliver what was held and wait for the verdict. A silent case
 * also sends a PING (RFC 9000 §19.2): the server must still answer it, and the exchange keeps
 * the connection from idling out during the wait.
 */
static void
h_attack_end(struct bench_gen_worker *gw, uint64_t now_ns)
{
	struct gen_hostile *h = gw->hostile;
	static const uint8_t ping[] = {0x01};

	if (h->t_end == 0)
		h->t_end = now_ns;
	if (h->hc->withhold && now_ns - h->t_end < H_TAIL_NS)
		return;
	h_enter(h, HP_WAIT, now_ns);
	h_release(gw, now_ns);
	if (h->hc->expect == H_SILENT && quic_conn_state(h->qc) == QUIC_CONN_ESTABLISHED &&
	    quic_conn_inject_frames_for_test(h->qc, QUIC_PKT_1RTT, ping, sizeof(ping)) == 0) {
		h_flush(gw, now_ns, NULL);
		h->rx_ping = h->rx;
	}
}

/* H_ONE and H_FLOOD: injected 1-RTT packets, H_PER_CALL at most per call. */
static void
h_attack_conn(struct bench_gen_worker *gw, uint64_t now_ns)
{
	struct gen_hostile *h = gw->hostile;
	const struct h_case *hc = h->hc;
	uint8_t fr[QUIC_CONN_INJECT_MAX];
	size_t len;

	for (int k = 0; k < H_PER_CALL; k++) {
		bool over = hc->kind == H_ONE
				    ? h->sent >= 1
				    : h->sent >= hc->count || now_ns - h->t_phase > H_FLOOD_NS;

		if (over || quic_conn_state(h->qc) != QUIC_CONN_ESTABLISHED) {
			h_attack_end(gw, now_ns);
			return;
		}
		if (hc->kind == H_ONE) {
			len = hc->len;
			memcpy(fr, hc->frames, len);
		} else {
			len = hc->build(fr, sizeof(fr), h->sent);
		}
		if (quic_conn_inject_frames_for_test(h->qc, QUIC_PKT_1RTT, fr, len) != 0) {
			h_finish(gw, now_ns, false, "frames not injected");
			return;
		}
		h_flush(gw, now_ns, &h->sent);
	}
}

/* A15: random bytes, 1 to 1472 of them, to the server's port. */
static void
h_garbage(struct bench_gen_worker *gw)
{
	struct gen_hostile *h = gw->hostile;
	uint8_t *buf = gw->scratch;
	size_t len = 1 + bench_gen_rand(&gw->rng) % 1472;
	struct dp_path dp = gw->base;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t r = bench_gen_rand(&gw->rng);

		memcpy(buf + i, &r, len - i < 8 ? len - i : 8);
	}
	dp.local.port = gw->o->lport_base;
	gen_send(gw, &dp, buf, len);
	h->sent++;
}

/*
 * A17: the first Initial of a fresh connection, each with its own client-chosen DCID, from
 * one of 1024 local ports; the connection is dropped at once (the server keeps only what it
 * decides to keep: with --retry, nothing).
 */
static void
h_initial(struct bench_gen_worker *gw, uint64_t now_ns)
{
	struct gen_hostile *h = gw->hostile;
	uint16_t lport = (uint16_t)(gw->o->lport_base + 1 + h->sent % 1024);
	struct quic_conn *qc = NULL;
	struct quic_path qp;
	struct dp_path dp = gw->base;
	int n;

	h->sent++;
	if (h_connect(gw, &qc, lport, now_ns) != 0)
		return;
	n = quic_conn_write(qc, gw->txbuf, sizeof(gw->txbuf), GEN_DGRAM_MAX - 28, gw->txlens, 1,
			    &qp, now_ns);
	dp.local.port = lport;
	if (n > 0)
		gen_send(gw, &dp, gw->txbuf, gw->txlens[0]);
	quic_conn_free(qc);
	gen_cnt_add(gw, GEN_CNT_CONNS_CLOSED, 1);
}

static void
h_attack(struct bench_gen_worker *gw, uint64_t now_ns)
{
	struct gen_hostile *h = gw->hostile;

	if (h->hc->kind == H_ONE || h->hc->kind == H_FLOOD) {
		h_attack_conn(gw, now_ns);
		return;
	}
	for (int k = 0; k < H_PER_CALL; k++) {
		if (h->sent >= h->hc->count || now_ns - h->t_phase > H_FLOOD_NS) {
			h_enter(h, HP_WAIT, now_ns);
			return;
		}
		if (h->hc->kind == H_GARBAGE)
			h_garbage(gw);
		else
			h_initial(gw, now_ns);
	}
}

/* After the attack: the server's CONNECTION_CLOSE, or silence and a connection that works. */
static void
h_wait(struct bench_gen_worker *gw, uint64_t now_ns)
{
	struct gen_hostile *h = gw->hostile;
	bool raw = h->hc->kind == H_GARBAGE || h->hc->kind == H_INITIALS;
	char got[64];

	if (raw) {
		/* No connection: only the answers still on the wire are waited for. */
		if (now_ns - h->t_phase >= GEN_RAW_DRAIN_NS)
			h_finish(gw, now_ns, h->sent > 0, "silent drop");
		return;
	}
	h_service(gw, now_ns);
	if (quic_conn_state(h->qc) != QUIC_CONN_ESTABLISHED) {
		h_closed(gw, now_ns);
		return;
	}
	if (now_ns - h->t_phase < (h->hc->kind == H_FLOOD ? H_WAIT_FLOOD : H_WAIT_NS))
		return;
	/* Silent, and the server answered (at least with an ACK) after our PING. */
	if (h->rx > h->rx_ping)
		fmt_code(got, sizeof(got), H_SILENT);
	else
		snprintf(got, sizeof(got), "no close, but no answer to a PING either");
	/* Still established after the wait: close it ourselves, H3_NO_ERROR (RFC 9114 §8.1). */
	quic_conn_close(h->qc, gw->o->alpn == GEN_ALPN_H3 ? QUIC_H3_NO_ERROR : 0,
			"hostile case over", now_ns);
	h_flush(gw, now_ns, NULL);
	h_finish(gw, now_ns, h->hc->expect == H_SILENT && h->rx > h->rx_ping, got);
}

/* ---- Dataplane callbacks ---- */

static void
h_collect_tx(void *ctx, struct dp_worker *w, uint64_t now_ns)
{
	struct bench_gen_worker *gw = ctx;
	struct gen_hostile *h = gw->hostile;
	bool raw = h->hc->kind == H_GARBAGE || h->hc->kind == H_INITIALS;

	(void)w;
	if (gw->finished || !gen_link_ready(gw, now_ns))
		return;
	if (!h->begun) {
		h->begun = true;
		gw->begun = true;
		h->t_begin = now_ns + gw->o->start_delay_ms * 1000000ull;
		gw->g->start_ns = h->t_begin;
	}
	if (now_ns < h->t_begin)
		return; /* --start-delay */
	switch (h->phase) {
	case HP_START:
		if (raw) {
			h_enter(h, HP_ATTACK, now_ns);
		} else if (h_connect(gw, &h->qc, gw->o->lport_base, now_ns) == 0) {
			h_enter(h, HP_HANDSHAKE, now_ns);
			h_service(gw, now_ns);
		} else {
			h_finish(gw, now_ns, false, "no connection (setup)");
		}
		break;
	case HP_HANDSHAKE:
		h_service(gw, now_ns);
		if (h->hs_done && quic_conn_state(h->qc) == QUIC_CONN_ESTABLISHED)
			h_enter(h, HP_ATTACK, now_ns);
		else if (quic_conn_state(h->qc) != QUIC_CONN_HANDSHAKE ||
			 now_ns - h->t_phase > H_HS_NS)
			h_finish(gw, now_ns, false, "handshake failed");
		break;
	case HP_ATTACK:
		if (h->qc != NULL)
			h_service(gw, now_ns);
		h_attack(gw, now_ns);
		break;
	case HP_WAIT:
		h_wait(gw, now_ns);
		break;
	}
}

static void
h_hold(struct gen_hostile *h, const uint8_t *p, size_t len)
{
	if (len > GEN_DGRAM_MAX)
		return;
	memcpy(h->held[h->held_head], p, len);
	h->held_len[h->held_head] = (uint16_t)len;
	h->held_head = (h->held_head + 1) % H_HELD_MAX;
	if (h->held_n < H_HELD_MAX)
		h->held_n++;
	else
		h->held_lost++; /* the oldest was overwritten */
}

static void
h_on_datagram(void *ctx, struct dp_worker *w, const uint8_t *p, size_t len,
	      const struct dp_path *path, uint64_t now_ns)
{
	struct bench_gen_worker *gw = ctx;
	struct gen_hostile *h = gw->hostile;
	struct quic_path qp;

	(void)w;
	gen_cnt_add(gw, GEN_CNT_PKTS_RX, 1);
	gen_cnt_add(gw, GEN_CNT_BYTES_RX, len);
	h->rx++;
	gen_classify_rx(gw, p, len);
	if (h->qc == NULL || gw->finished || path->local.port != gw->o->lport_base) {
		gen_cnt_add(gw, GEN_CNT_DROP_UNKNOWN, 1);
		return;
	}
	if (h->phase == HP_ATTACK && h->hc->withhold) {
		h_hold(h, p, len);
		return;
	}
	gen_path_to_quic(path, &qp);
	quic_conn_recv(h->qc, p, len, &qp, now_ns);
	if (h->phase != HP_ATTACK)
		h_service(gw, now_ns);
}

int
gen_hostile_setup(struct bench_gen_worker *gw, struct dp_handler *hd)
{
	const struct h_case *hc = NULL;

	for (size_t i = 0; i < N_CASES; i++)
		if (gw->o->hostile_case != NULL && strcmp(cases[i].name, gw->o->hostile_case) == 0)
			hc = &cases[i];
	if (hc == NULL)
		return QUIC_ERR_INVAL;
	gw->hostile = calloc(1, sizeof(*gw->hostile));
	if (gw->hostile == NULL)
		return QUIC_ERR_NOMEM;
	gw->hostile->hc = hc;
	/* No verdict yet: a run the time bound ends first (no link, say) must not exit 0. */
	gen_cnt_add(gw, GEN_CNT_FAIL_UNFINISHED, 1);
	hd->on_datagram = h_on_datagram;
	hd->collect_tx = h_collect_tx;
	return 0;
}

void
gen_hostile_free(struct bench_gen_worker *gw)
{
	if (gw->hostile == NULL)
		return;
	quic_conn_free(gw->hostile->qc);
	free(gw->hostile);
	gw->hostile = NULL;
}
