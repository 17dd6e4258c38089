/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Non-productive traffic (RFC 9000 §21.9, shared/bad-input.md C34): a client that floods the
 * server with frames that change nothing — duplicate STREAM data, empty CRYPTO, repeated
 * RESET_STREAM and STOP_SENDING, limits that do not grow or grow by a byte, stale or repeated
 * *_BLOCKED, PING-only packets — is closed with PROTOCOL_VIOLATION after a bounded number;
 * the same within the budget is fine, time pays the budget back, and lossy transfers with
 * reordering and duplication never come near it.
 */
#include <string.h>

#include <quic/conn.h>
#include <quic/rbuf.h>
#include <quic/stream.h>

#include "hb_test.h"
#include "pair.h"
#include "xfer.h"

TestSuite(transport_glitch);

#define BUDGET (60000 * PAIR_MS)
/* The server's glitch budget in the flood tests: small, so that they run fast. */
#define SMALL 20u
/* Frames per injected packet. */
#define PER_PKT 6u
/* Packets injected at most before a flood must have closed the connection. */
#define MAX_PKTS 64u

static void
small_budget(void *arg, struct quic_conn_config *cli, struct quic_conn_config *srv)
{
	(void)arg;
	(void)cli;
	srv->glitch_budget = SMALL;
}

static void
setup(struct pair *p, uint32_t budget)
{
	struct pair_opts o;

	pair_opts_default(&o, 10);
	if (budget != 0)
		o.tweak = small_budget;
	pair_init(p, &o);
	cr_assert(pair_handshake(p, BUDGET));
	pair_drain_events(p->cli);
	pair_drain_events(p->srv);
}

static uint64_t
glitches(const struct quic_conn *c)
{
	struct quic_conn_stats st;

	quic_conn_stats(c, &st);
	return st.glitches;
}

/* Put frame[0..len) n times into buf. @return the length */
static size_t
repeat(uint8_t *buf, const uint8_t *frame, size_t len, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		memcpy(buf + i * len, frame, len);
	return n * len;
}

/*
 * Glitches time gave back to the server since start_ns (QUIC_CONN_GLITCH_REFILL_S), at most:
 * what a flood may take beyond the budget.
 */
static uint64_t
refilled(const struct pair *p, uint64_t start_ns, uint32_t budget)
{
	return (p->now - start_ns) / PAIR_MS * budget / (QUIC_CONN_GLITCH_REFILL_S * 1000u);
}

/* Glitches counted between before and now: the budget, one more, and what time gave back. */
static void
assert_glitch_count(const struct pair *p, uint64_t before, uint64_t start_ns, const char *what)
{
	uint64_t n = glitches(p->srv) - before;

	cr_assert(ge(u64, n, SMALL + 1), "%s", what);
	cr_assert(le(u64, n, SMALL + 1 + refilled(p, start_ns, SMALL)), "%s", what);
}

/* One 1-RTT packet of frames from the client, delivered and answered. */
static void
inject(struct pair *p, const uint8_t *frames, size_t len)
{
	cr_assert(eq(int, quic_conn_inject_frames_for_test(p->cli, QUIC_PKT_1RTT, frames, len), 0));
	pair_run_for(p, 30 * PAIR_MS);
}

/* The server closed itself with PROTOCOL_VIOLATION naming frame_type; the client heard it. */
static void
assert_glitch_close(struct pair *p, uint64_t frame_type, const char *what)
{
	struct quic_conn_close_info si, ci;

	cr_assert(quic_conn_close_info(p->srv, &si), "%s: not closed", what);
	cr_assert(not(si.remote), "%s", what);
	cr_assert(not(si.app), "%s", what);
	cr_assert(eq(u64, si.error_code, QUIC_PROTOCOL_VIOLATION), "%s", what);
	cr_assert(eq(u64, si.frame_type, frame_type), "%s", what);
	pair_run_for(p, 100 * PAIR_MS);
	cr_assert(quic_conn_close_info(p->cli, &ci), "%s", what);
	cr_assert(ci.remote, "%s", what);
	cr_assert(eq(u64, ci.error_code, QUIC_PROTOCOL_VIOLATION), "%s", what);
}

enum prep {
	PREP_NONE,
	PREP_OPEN_BIDI,	 /* the client opens stream 0 (the server's answers name it) */
	PREP_CLOSED_UNI, /* stream 2 carried "abcd" and its end, read whole: closed and freed */
};

struct flood {
	const char *what;
	const char *hex;     /* one frame */
	uint64_t type;	     /* its type, named in the CONNECTION_CLOSE */
	unsigned productive; /* leading frames of the first packet that do change something */
	enum prep prep;	     /* what the client does first */
};

/*
 * Client streams: 0 (bidirectional). The server advertises 1 MiB for MAX_DATA, 256 KiB per
 * stream and 100 streams of each type (quic_conn_config_default()); the client the same.
 */
static const struct flood floods[] = {
	/* STREAM 0, offset 0, "abcd": new once, then duplicates. */
	{"duplicate STREAM", "0a 00 04 61626364", 0x0a, 1},
	/* CRYPTO of no bytes at offset 0 of the 1-RTT level: nothing new. */
	{"empty CRYPTO", "06 00 00", 0x06, 0},
	/* STREAM 0 of no bytes at offset 2024, no FIN: opens the stream once, then nothing. */
	{"empty STREAM", "0e 00 47 e8 00", 0x0e, 1},
	/* RESET_STREAM 0: resets once, then repeats. */
	{"repeated RESET_STREAM", "04 00 00 00", 0x04, 1},
	/* STOP_SENDING 0: resets our sending once, then repeats. */
	{"repeated STOP_SENDING", "05 00 00", 0x05, 1, PREP_OPEN_BIDI},
	/* MAX_DATA 0: below the 1 MiB we already have. */
	{"MAX_DATA not increasing", "10 00", 0x10, 0},
	/* MAX_STREAM_DATA 4 (opens the stream once), 0: not increasing. */
	{"MAX_STREAM_DATA not increasing", "11 04 00", 0x11, 1},
	/* MAX_STREAMS bidi 1: below 100. */
	{"MAX_STREAMS not increasing", "12 01", 0x12, 0},
	/* DATA_BLOCKED 0: stale, the server advertised more. */
	{"stale DATA_BLOCKED", "14 00", 0x14, 0},
	/* DATA_BLOCKED 1 MiB (the server's limit): informative once, then repeats. */
	{"repeated DATA_BLOCKED", "14 80 10 00 00", 0x14, 1},
	/* STREAMS_BLOCKED bidi 1: stale. */
	{"stale STREAMS_BLOCKED", "16 01", 0x16, 0},
	/* Frames for stream 2, closed: STREAM, RESET_STREAM, STREAM_DATA_BLOCKED. */
	{"STREAM on a closed stream", "0a 02 04 61626364", 0x0a, 0, PREP_CLOSED_UNI},
	{"RESET_STREAM on a closed stream", "04 02 00 04", 0x04, 0, PREP_CLOSED_UNI},
	{"STREAM_DATA_BLOCKED on a closed stream", "15 02 04", 0x15, 0, PREP_CLOSED_UNI},
};

static void
prepare(struct pair *p, enum prep prep)
{
	uint8_t buf[16];
	uint64_t id;
	bool fin = false;

	if (prep == PREP_NONE)
		return;
	cr_assert(eq(int, quic_conn_stream_open(p->cli, prep == PREP_CLOSED_UNI, &id), 0));
	cr_assert(eq(u64, id, prep == PREP_CLOSED_UNI ? 2 : 0));
	if (prep != PREP_CLOSED_UNI)
		return;
	cr_assert(eq(int, quic_conn_stream_write(p->cli, id, (const uint8_t *)"abcd", 4, true), 4));
	pair_run_for(p, 50 * PAIR_MS);
	cr_assert(eq(int, quic_conn_stream_read(p->srv, id, buf, sizeof(buf), &fin, NULL), 4));
	cr_assert(fin);
	pair_run_for(p, 50 * PAIR_MS);
	pair_drain_events(p->srv);
	/* Gone: the server no longer knows it. */
	cr_assert(lt(int, quic_conn_stream_read(p->srv, id, buf, sizeof(buf), &fin, NULL), 0));
}

static void
run_flood(const struct flood *fl)
{
	struct pair p;
	uint8_t frame[32], buf[QUIC_CONN_INJECT_MAX];
	size_t n = hb_hex(fl->hex, frame, sizeof(frame)), len;
	uint64_t before, start, pkts = 0;

	cr_assert(gt(sz, n, 0), "%s: bad hex", fl->what);
	setup(&p, SMALL);
	prepare(&p, fl->prep);
	before = glitches(p.srv);
	start = p.now;
	len = repeat(buf, frame, n, PER_PKT);
	while (quic_conn_state(p.srv) < QUIC_CONN_CLOSING && pkts < MAX_PKTS) {
		inject(&p, buf, len);
		pkts++;
	}
	assert_glitch_close(&p, fl->type, fl->what);
	/* Closed at the first glitch past the budget, not before, not much later. */
	assert_glitch_count(&p, before, start, fl->what);
	cr_assert(le(u64, pkts * PER_PKT,
		     SMALL + 1 + refilled(&p, start, SMALL) + fl->productive + PER_PKT),
		  "%s", fl->what);
	cr_assert(gt(u64, pkts * PER_PKT, SMALL), "%s", fl->what);
	pair_free(&p);
}

/* Every kind of the table, each on a fresh connection. */
HB_TEST(transport_glitch, floods_close_with_protocol_violation)
{
	const struct flood *fl;

	for (fl = floods; fl < floods + sizeof(floods) / sizeof(floods[0]); fl++)
		run_flood(fl);
}

/* Each MAX_DATA raises the limit by one byte: applied, but counted (§21.9 "small increments"). */
HB_TEST(transport_glitch, tiny_max_data_increments)
{
	struct pair p;
	uint8_t buf[QUIC_CONN_INJECT_MAX];
	uint64_t max = 1024 * 1024, before, start, pkts = 0;
	unsigned i;

	setup(&p, SMALL);
	before = glitches(p.srv);
	start = p.now;
	while (quic_conn_state(p.srv) < QUIC_CONN_CLOSING && pkts < MAX_PKTS) {
		for (i = 0; i < PER_PKT; i++) {
			max++;
			buf[5 * i] = 0x10; /* MAX_DATA, 4-byte varint */
			buf[5 * i + 1] = (uint8_t)(0x80 | (max >> 24));
			buf[5 * i + 2] = (uint8_t)(max >> 16);
			buf[5 * i + 3] = (uint8_t)(max >> 8);
			buf[5 * i + 4] = (uint8_t)max;
		}
		inject(&p, buf, 5 * PER_PKT);
		pkts++;
	}
	assert_glitch_close(&p, 0x10, "tiny MAX_DATA");
	assert_glitch_count(&p, before, start, "tiny MAX_DATA");
	pair_free(&p);
}

/* Packets of only PING (keep-alives at a rate are fine; a flood is not). */
HB_TEST(transport_glitch, ping_only_packets)
{
	struct pair p;
	uint8_t ping[] = {0x01};
	uint64_t before, start, pkts = 0;

	setup(&p, SMALL);
	before = glitches(p.srv);
	start = p.now;
	while (quic_conn_state(p.srv) < QUIC_CONN_CLOSING && pkts < MAX_PKTS) {
		inject(&p, ping, sizeof(ping));
		pkts++;
	}
	cr_assert(ge(u64, pkts, SMALL + 1));
	cr_assert(le(u64, pkts, SMALL + 1 + refilled(&p, start, SMALL)));
	assert_glitch_close(&p, 0x01, "PING-only");
	assert_glitch_count(&p, before, start, "PING-only");
	pair_free(&p);
}

/* Within the budget nothing happens; time pays it back (QUIC_CONN_GLITCH_REFILL_S). */
HB_TEST(transport_glitch, within_budget_and_refilled_by_time)
{
	struct pair p;
	uint8_t frame[] = {0x10, 0x00}, buf[QUIC_CONN_INJECT_MAX];
	size_t len = repeat(buf, frame, sizeof(frame), SMALL / 2);
	uint64_t before;
	int round;

	setup(&p, SMALL);
	before = glitches(p.srv);
	for (round = 0; round < 3; round++) {
		/* A whole budget, in two packets: at the edge, still open. */
		inject(&p, buf, len);
		inject(&p, buf, len);
		cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_ESTABLISHED));
		pair_run_for(&p, (uint64_t)QUIC_CONN_GLITCH_REFILL_S * 1000 * PAIR_MS);
	}
	cr_assert(eq(u64, glitches(p.srv) - before, 3 * SMALL));
	/* Without the pause, one budget and one more is too much. */
	inject(&p, buf, len);
	inject(&p, buf, len);
	inject(&p, buf, 2);
	assert_glitch_close(&p, 0x10, "after refills");
	pair_free(&p);
}

/* The default budget: a long flood closes, after QUIC_CONN_GLITCH_BUDGET_DEFAULT glitches. */
HB_TEST(transport_glitch, default_budget)
{
	struct pair p;
	uint8_t frame[] = {0x12, 0x01}, buf[QUIC_CONN_INJECT_MAX];
	size_t len = repeat(buf, frame, sizeof(frame), 100);
	uint64_t before, pkts = 0;

	setup(&p, 0);
	before = glitches(p.srv);
	/* 100 per packet, 3 ms apart: time pays back less than one per packet. */
	while (quic_conn_state(p.srv) < QUIC_CONN_CLOSING && pkts < 40) {
		cr_assert(eq(int, quic_conn_inject_frames_for_test(p.cli, QUIC_PKT_1RTT, buf, len),
			     0));
		pair_run_for(&p, 3 * PAIR_MS);
		pkts++;
	}
	pair_run_for(&p, 50 * PAIR_MS);
	assert_glitch_close(&p, 0x12, "default budget");
	cr_assert(ge(u64, glitches(p.srv) - before, QUIC_CONN_GLITCH_BUDGET_DEFAULT + 1));
	cr_assert(le(u64, pkts * 100, 2 * QUIC_CONN_GLITCH_BUDGET_DEFAULT));
	pair_free(&p);
}

/*
 * Legitimate traffic: 30 % loss both ways with reordering and duplication, default budget.
 * Retransmissions do repeat data (counted), but delivered data pays them back.
 */
HB_TEST(transport_glitch, lossy_transfer_never_trips)
{
	struct pair_opts o;
	struct pair p;
	struct xfer x;
	struct quic_conn_stats cs, ss;
	int d;

	pair_opts_default(&o, 10);
	for (d = 0; d < 2; d++) {
		o.link[d].loss_permille = 300;
		o.link[d].dup_mask = UINT64_C(0x0101010101010101);
		o.link[d].reorder_mask = UINT64_C(0x1010101010101010);
		o.link[d].reorder_ns = 15 * PAIR_MS;
	}
	pair_init(&p, &o);
	xfer_init(&x, 20, 256 * 1024, 256 * 1024, false);
	p.on_step = xfer_step;
	p.step_arg = &x;
	cr_assert(pair_run(&p, xfer_done, &x, 600000 * PAIR_MS));
	cr_assert(eq(u64, x.mismatches, 0));
	cr_assert(eq(int, quic_conn_state(p.cli), QUIC_CONN_ESTABLISHED));
	cr_assert(eq(int, quic_conn_state(p.srv), QUIC_CONN_ESTABLISHED));
	quic_conn_stats(p.cli, &cs);
	quic_conn_stats(p.srv, &ss);
	cr_log_info("glitches: client %lu, server %lu", (unsigned long)cs.glitches,
		    (unsigned long)ss.glitches);
	cr_assert(gt(u64, p.dir[PAIR_C2S].duplicated + p.dir[PAIR_S2C].duplicated, 0));
	/* Retransmissions were seen as repeats, and paid back by the data delivered. */
	cr_assert(gt(u64, cs.glitches + ss.glitches, 0));
	xfer_free(&x);
	pair_free(&p);
}

/* quic_rbuf_covers(): what a duplicate is, at the byte. */
HB_TEST(transport_glitch, rbuf_covers)
{
	struct quic_pool pool;
	struct quic_rbuf rb;
	uint8_t data[300];

	memset(data, 'x', sizeof(data));
	cr_assert(eq(int, quic_chunk_pool_init(&pool, 16, 0), 0));
	cr_assert(eq(int, quic_rbuf_init(&rb, &pool, 64 * 1024, 8, NULL), 0));
	cr_assert(quic_rbuf_covers(&rb, 0, 0));
	cr_assert(not(quic_rbuf_covers(&rb, 0, 1)));
	cr_assert(eq(int, quic_rbuf_write(&rb, 0, data, 100), 0));
	cr_assert(eq(int, quic_rbuf_write(&rb, 200, data, 50), 0));
	cr_assert(quic_rbuf_covers(&rb, 0, 100));
	cr_assert(quic_rbuf_covers(&rb, 50, 50));
	cr_assert(not(quic_rbuf_covers(&rb, 50, 51)));
	cr_assert(quic_rbuf_covers(&rb, 200, 50));
	cr_assert(quic_rbuf_covers(&rb, 210, 10));
	cr_assert(not(quic_rbuf_covers(&rb, 199, 10)));
	cr_assert(not(quic_rbuf_covers(&rb, 240, 11)));
	cr_assert(quic_rbuf_covers(&rb, 150, 0)); /* no bytes: nothing new */
	cr_assert(not(quic_rbuf_covers(&rb, 100, 150)));
	quic_rbuf_fini(&rb);
	quic_pool_fini(&pool);
}
