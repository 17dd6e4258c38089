/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loss detection and RTT estimation (RFC 9002 §5-§7, Appendix A) in simulated time: RTT
 * samples against hand-computed values, packet- and time-threshold loss, PTO backoff and
 * per-space rules, the persistent congestion example of §7.6.3, space discard, ECN
 * validation (RFC 9000 §13.4.2), and ACKs of packet numbers never sent or skipped
 * (RFC 9000 §13.1, §21.4; shared/bad-input.md C6, CVE-2025-4820/4821).
 */
#include <stdlib.h>
#include <string.h>

#include <quic/error.h>
#include <quic/frame.h>
#include <quic/recovery.h>

#include "hb_test.h"

TestSuite(recovery);

#define US     UINT64_C(1000)
#define MS     UINT64_C(1000000)
#define SEC    UINT64_C(1000000000)
#define SZ     1200
#define COOKIE UINT64_C(0xC0000)
#define EV_MAX 64
#define APP    QUIC_PN_SPACE_APP
#define INIT   QUIC_PN_SPACE_INITIAL
#define HS     QUIC_PN_SPACE_HANDSHAKE

struct ev {
	enum quic_pn_space space;
	uint64_t pn;
	enum quic_pkt_fate fate;
};

/* What the callback saw: the first EV_MAX events in order, and counts of all. */
struct evlog {
	struct ev ev[EV_MAX];
	size_t n;
	size_t count[3];
};

static void
log_pkt(void *ctx, enum quic_pn_space space, uint64_t pn, uint64_t cookie, enum quic_pkt_fate fate)
{
	struct evlog *log = ctx;

	cr_assert(eq(u64, cookie, COOKIE + pn));
	if (log->n < EV_MAX)
		log->ev[log->n] = (struct ev){space, pn, fate};
	log->n++;
	log->count[fate]++;
}

/* A server-side config with the log, no PN skipping and no ECN unless a test asks. */
static void
cfg_init(struct quic_recovery_config *cfg, struct evlog *log)
{
	memset(log, 0, sizeof(*log));
	quic_recovery_config_default(cfg);
	cfg->is_server = true;
	cfg->skip_pn = false;
	cfg->ecn = false;
	cfg->on_pkt = log_pkt;
	cfg->ctx = log;
}

static struct quic_recovery *
rec_new(const struct quic_recovery_config *cfg)
{
	struct quic_recovery *r = NULL;

	cr_assert(eq(int, quic_recovery_new(&r, cfg), 0));
	return r;
}

/* Send one packet of SZ bytes at now; returns its packet number. */
static uint64_t
send_pkt(struct quic_recovery *r, enum quic_pn_space space, bool ack_eliciting, uint64_t now)
{
	uint64_t pn = quic_recovery_next_pn(r, space);

	cr_assert(eq(int,
		     quic_recovery_on_packet_sent(r, space, pn, SZ, ack_eliciting, ack_eliciting,
						  now, COOKIE + pn),
		     0));
	return pn;
}

/* An ACK frame as the decoder hands it over (its ranges borrow buf). */
struct ackf {
	uint8_t buf[512];
	struct quic_frame f;
};

static void
ack_make(struct ackf *a, const struct quic_ack_range *ranges, size_t n, uint64_t delay,
	 const struct quic_ack_ecn *ecn)
{
	struct crypto_wr w;
	struct crypto_rd rd;
	size_t written;

	crypto_wr_init(&w, a->buf, sizeof(a->buf));
	cr_assert(eq(int, quic_frame_encode_ack(&w, ranges, n, delay, ecn, &written), 0));
	cr_assert(eq(sz, written, n));
	crypto_rd_init(&rd, a->buf, crypto_wr_len(&w));
	cr_assert(eq(int, quic_frame_decode(&rd, &a->f), 0));
}

/* Deliver an ACK of [lo, hi] with the encoded ACK Delay field delay. */
static int
ack_range(struct quic_recovery *r, enum quic_pn_space space, uint64_t lo, uint64_t hi,
	  uint64_t delay, uint64_t now)
{
	struct quic_ack_range range = {lo, hi};
	struct ackf a;

	ack_make(&a, &range, 1, delay, NULL);
	return quic_recovery_on_ack_received(r, space, &a.f, now);
}

/* ---- RTT, RFC 9002 §5 ---- */

HB_TEST(recovery, rtt_estimator_hand_computed)
{
	struct quic_rtt rtt;

	quic_rtt_init(&rtt, QUIC_K_INITIAL_RTT_NS);
	cr_assert(eq(u64, rtt.smoothed, 333 * MS));
	cr_assert(eq(u64, rtt.var, 166500 * US));
	/* PTO before any sample: 333 + 4 * 166.5 = 999 ms (RFC 9002 §6.2.2: about 1 s). */
	cr_assert(eq(u64, quic_rtt_pto_base(&rtt), 999 * MS));
	/* §5.3 first sample: smoothed = latest, rttvar = latest / 2, min = latest. */
	quic_rtt_update(&rtt, 100 * MS, 30 * MS, 25 * MS, true, 5 * SEC);
	cr_assert(eq(u64, rtt.smoothed, 100 * MS));
	cr_assert(eq(u64, rtt.var, 50 * MS));
	cr_assert(eq(u64, rtt.min, 100 * MS));
	cr_assert(eq(u64, rtt.first_sample_time, 5 * SEC));
	/* ack_delay 40 ms capped to max_ack_delay 25 ms: adjusted = 180 - 25 = 155 ms.
	 * rttvar = 3/4 * 50 + 1/4 * |100 - 155| = 51.25; smoothed = 7/8 * 100 + 1/8 * 155. */
	quic_rtt_update(&rtt, 180 * MS, 40 * MS, 25 * MS, true, 6 * SEC);
	cr_assert(eq(u64, rtt.latest, 180 * MS));
	cr_assert(eq(u64, rtt.var, 51250 * US));
	cr_assert(eq(u64, rtt.smoothed, 106875 * US));
	cr_assert(eq(u64, rtt.min, 100 * MS));
	/* latest 90 < min_rtt + ack_delay: no adjustment, and min_rtt drops to 90.
	 * rttvar = 3/4 * 51.25 + 1/4 * 16.875; smoothed = 7/8 * 106.875 + 1/8 * 90. */
	quic_rtt_update(&rtt, 90 * MS, 10 * MS, 25 * MS, true, 7 * SEC);
	cr_assert(eq(u64, rtt.min, 90 * MS));
	cr_assert(eq(u64, rtt.var, 42656250));
	cr_assert(eq(u64, rtt.smoothed, 104765625));
	/* smoothed + max(4 * rttvar, 1 ms) */
	cr_assert(eq(u64, quic_rtt_pto_base(&rtt), 104765625 + 4 * 42656250));
}

HB_TEST(recovery, rtt_ack_delay_uncapped_before_confirmation)
{
	struct quic_rtt rtt;

	/* §5.3: before confirmation, ack_delay is not limited to max_ack_delay. */
	quic_rtt_init(&rtt, QUIC_K_INITIAL_RTT_NS);
	quic_rtt_update(&rtt, 100 * MS, 0, 25 * MS, false, 0);
	quic_rtt_update(&rtt, 180 * MS, 40 * MS, 25 * MS, false, 1);
	/* adjusted = 140: smoothed = (700 + 140) / 8, rttvar = (150 + 40) / 4 */
	cr_assert(eq(u64, rtt.smoothed, 105 * MS));
	cr_assert(eq(u64, rtt.var, 47500 * US));
	/* A tiny RTT never goes below the 1 ms granularity in the PTO. */
	quic_rtt_init(&rtt, 10 * US);
	cr_assert(eq(u64, quic_rtt_pto_base(&rtt), 10 * US + QUIC_K_GRANULARITY_NS));
}

/* RFC 9002 §5.1: samples only for a newly acknowledged largest that is ack-eliciting. */
HB_TEST(recovery, rtt_samples_from_acks)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;
	const struct quic_rtt *rtt;

	cfg_init(&cfg, &log);
	r = rec_new(&cfg);
	rtt = quic_recovery_rtt(r);
	send_pkt(r, APP, true, 0);
	cr_assert(eq(int, ack_range(r, APP, 0, 0, 0, 50 * MS), 0));
	cr_assert(eq(u64, rtt->latest, 50 * MS));
	cr_assert(eq(u64, rtt->smoothed, 50 * MS));
	cr_assert(eq(u64, rtt->var, 25 * MS));
	send_pkt(r, APP, true, 100 * MS); /* 1 */
	send_pkt(r, APP, true, 110 * MS); /* 2 */
	cr_assert(eq(int, ack_range(r, APP, 1, 1, 0, 200 * MS), 0));
	cr_assert(eq(u64, rtt->latest, 100 * MS));
	cr_assert(eq(u64, rtt->var, 31250 * US));
	cr_assert(eq(u64, rtt->smoothed, 56250 * US));
	/* Nothing newly acknowledged: no sample, no change. */
	cr_assert(eq(int, ack_range(r, APP, 0, 1, 0, 250 * MS), 0));
	cr_assert(eq(u64, rtt->latest, 100 * MS));
	/* Only a non-ack-eliciting packet newly acknowledged: no sample. Packet 2 is then
	 * 290 ms old, past 9/8 * 100 ms: lost by time. */
	send_pkt(r, APP, false, 300 * MS); /* 3 */
	cr_assert(eq(int, ack_range(r, APP, 3, 3, 0, 400 * MS), 0));
	cr_assert(eq(u64, rtt->latest, 100 * MS));
	cr_assert(eq(sz, log.count[QUIC_PKT_LOST], 1));
	cr_assert(eq(u64, log.ev[2].pn, 2));
	cr_assert(eq(int, log.ev[2].fate, QUIC_PKT_LOST));
	/* ACK Delay 2500 << 3 us = 20 ms is subtracted: adjusted 80 ms (§5.3). */
	send_pkt(r, APP, true, 500 * MS); /* 4 */
	cr_assert(eq(int, ack_range(r, APP, 4, 4, 2500, 600 * MS), 0));
	cr_assert(eq(u64, rtt->latest, 100 * MS));
	cr_assert(eq(u64, rtt->var, 29375 * US));
	cr_assert(eq(u64, rtt->smoothed, 59218750));
	cr_assert(eq(sz, log.count[QUIC_PKT_ACKED], 4));
	quic_recovery_free(r);
}

/* RFC 9002 §5.3: the ACK Delay of Initial packets may be ignored, and is. */
HB_TEST(recovery, initial_ack_delay_ignored)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;

	cfg_init(&cfg, &log);
	r = rec_new(&cfg);
	send_pkt(r, INIT, true, 0);
	cr_assert(eq(int, ack_range(r, INIT, 0, 0, 0, 100 * MS), 0));
	send_pkt(r, INIT, true, 200 * MS);
	/* 12500 << 3 us = 100 ms would make it a 100 ms sample; ignored: 200 ms. */
	cr_assert(eq(int, ack_range(r, INIT, 1, 1, 12500, 400 * MS), 0));
	cr_assert(eq(u64, quic_recovery_rtt(r)->smoothed, 112500 * US));
	/* The same in the Handshake space is subtracted. */
	send_pkt(r, HS, true, 500 * MS);
	cr_assert(eq(int, ack_range(r, HS, 0, 0, 12500, 700 * MS), 0));
	cr_assert(eq(u64, quic_recovery_rtt(r)->smoothed, (7 * 112500 * US + 100 * MS) / 8));
	quic_recovery_free(r);
}

/* ---- Loss detection, RFC 9002 §6.1 ---- */

/* §6.1.1: kPacketThreshold = 3; the rest waits on the time threshold timer. */
HB_TEST(recovery, loss_by_packet_threshold)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;
	struct quic_timeout to;
	const uint64_t delay = (10 * MS - 4 * US) * 9 / 8; /* 9/8 of the RTT sample */

	cfg_init(&cfg, &log);
	r = rec_new(&cfg);
	for (uint64_t i = 0; i < 5; i++)
		send_pkt(r, APP, true, i * US);
	cr_assert(eq(u64, quic_recovery_bytes_in_flight(r), 5 * SZ));
	cr_assert(eq(int, ack_range(r, APP, 4, 4, 0, 10 * MS), 0));
	/* 0 and 1 are three or more below 4; 2 and 3 are not, and not old enough. */
	cr_assert(eq(sz, log.n, 3));
	cr_assert(eq(u64, log.ev[0].pn, 0));
	cr_assert(eq(int, log.ev[0].fate, QUIC_PKT_LOST));
	cr_assert(eq(u64, log.ev[1].pn, 1));
	cr_assert(eq(int, log.ev[1].fate, QUIC_PKT_LOST));
	cr_assert(eq(u64, log.ev[2].pn, 4));
	cr_assert(eq(int, log.ev[2].fate, QUIC_PKT_ACKED));
	cr_assert(eq(u64, quic_recovery_bytes_in_flight(r), 2 * SZ));
	/* One congestion event: 12000 / 2, no growth for packets sent before it. */
	cr_assert(eq(u64, quic_recovery_cc(r)->cwnd, 6000));
	/* The timer is the time threshold of packet 2. */
	cr_assert(eq(u64, quic_recovery_timer(r), 2 * US + delay));
	quic_recovery_on_timeout(r, 2 * US + delay - 1, &to);
	cr_assert(eq(int, to.kind, QUIC_TIMEOUT_NONE));
	quic_recovery_on_timeout(r, 2 * US + delay, &to);
	cr_assert(eq(int, to.kind, QUIC_TIMEOUT_LOSS));
	cr_assert(eq(int, to.space, APP));
	cr_assert(eq(sz, log.n, 4));
	cr_assert(eq(u64, log.ev[3].pn, 2));
	cr_assert(eq(u64, quic_recovery_timer(r), 3 * US + delay));
	quic_recovery_on_timeout(r, 3 * US + delay, &to);
	cr_assert(eq(int, to.kind, QUIC_TIMEOUT_LOSS));
	cr_assert(eq(u64, log.ev[4].pn, 3));
	/* Nothing left in flight at a server: no timer. */
	cr_assert(eq(u64, quic_recovery_timer(r), QUIC_TIMER_NONE));
	cr_assert(eq(u64, quic_recovery_bytes_in_flight(r), 0));
	cr_assert(eq(u64, quic_recovery_cc(r)->cwnd, 6000));
	quic_recovery_free(r);
}

/* §6.1.2: kTimeThreshold = 9/8 of max(smoothed_rtt, latest_rtt). */
HB_TEST(recovery, loss_by_time_threshold)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;
	struct quic_timeout to;

	cfg_init(&cfg, &log);
	r = rec_new(&cfg);
	send_pkt(r, APP, true, 0);
	send_pkt(r, APP, true, 30 * MS);
	/* Sample 50 ms: packets sent before 80 - 56.25 = 23.75 ms are lost. */
	cr_assert(eq(int, ack_range(r, APP, 1, 1, 0, 80 * MS), 0));
	cr_assert(eq(sz, log.count[QUIC_PKT_LOST], 1));
	cr_assert(eq(u64, log.ev[0].pn, 0));
	quic_recovery_free(r);

	/* Not yet old enough: a timer at send time + 9/8 * 30 ms. */
	cfg_init(&cfg, &log);
	r = rec_new(&cfg);
	send_pkt(r, APP, true, 0);
	send_pkt(r, APP, true, 1 * MS);
	cr_assert(eq(int, ack_range(r, APP, 1, 1, 0, 31 * MS), 0));
	cr_assert(eq(sz, log.count[QUIC_PKT_LOST], 0));
	cr_assert(eq(u64, quic_recovery_timer(r), 33750 * US));
	quic_recovery_on_timeout(r, 33750 * US, &to);
	cr_assert(eq(int, to.kind, QUIC_TIMEOUT_LOSS));
	cr_assert(eq(sz, log.count[QUIC_PKT_LOST], 1));
	cr_assert(eq(u64, log.ev[1].pn, 0));
	quic_recovery_free(r);
}

/* ---- PTO, RFC 9002 §6.2 ---- */

/* §6.2.1: the period doubles on every expiry and resets on an acknowledgment. */
HB_TEST(recovery, pto_backoff)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;
	struct quic_timeout to;
	uint64_t want = 999 * MS;

	cfg_init(&cfg, &log);
	r = rec_new(&cfg);
	cr_assert(eq(u64, quic_recovery_timer(r), QUIC_TIMER_NONE));
	send_pkt(r, INIT, true, 0);
	/* Initial and Handshake PTOs leave max_ack_delay out. */
	cr_assert(eq(u64, quic_recovery_pto_period(r, INIT), 999 * MS));
	cr_assert(eq(u64, quic_recovery_pto_period(r, APP), 1024 * MS));
	cr_assert(eq(u64, quic_recovery_timer(r), want));
	quic_recovery_on_timeout(r, want - 1, &to);
	cr_assert(eq(int, to.kind, QUIC_TIMEOUT_NONE));
	for (unsigned i = 1; i <= 4; i++) {
		quic_recovery_on_timeout(r, want, &to);
		cr_assert(eq(int, to.kind, QUIC_TIMEOUT_PTO));
		cr_assert(eq(int, to.space, INIT));
		cr_assert(eq(u32, to.probes, 2));
		cr_assert(not(to.anti_deadlock));
		cr_assert(eq(u32, quic_recovery_pto_count(r), i));
		/* The packet was sent at 0: deadlines at 999 * (2^i) ms. */
		want = 999 * MS << i;
		cr_assert(eq(u64, quic_recovery_timer(r), want));
	}
	/* A PTO never declares loss (§6.2). */
	cr_assert(eq(sz, log.n, 0));
	cr_assert(eq(int, ack_range(r, INIT, 0, 0, 0, 16 * SEC), 0));
	cr_assert(eq(u32, quic_recovery_pto_count(r), 0));
	cr_assert(eq(u64, quic_recovery_timer(r), QUIC_TIMER_NONE));
	quic_recovery_free(r);
}

/* §6.2.1: no Application PTO before confirmation; the earliest space wins otherwise. */
HB_TEST(recovery, pto_space_rules)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;
	struct quic_timeout to;

	cfg_init(&cfg, &log);
	r = rec_new(&cfg);
	send_pkt(r, APP, true, 0);
	cr_assert(eq(u64, quic_recovery_timer(r), QUIC_TIMER_NONE));
	quic_recovery_set_handshake_confirmed(r, 10 * MS);
	/* Application PTO includes max_ack_delay (25 ms). */
	cr_assert(eq(u64, quic_recovery_timer(r), 1024 * MS));
	quic_recovery_free(r);

	cfg_init(&cfg, &log);
	r = rec_new(&cfg);
	send_pkt(r, HS, true, 50 * MS);
	send_pkt(r, INIT, true, 100 * MS);
	send_pkt(r, APP, true, 0);
	cr_assert(eq(u64, quic_recovery_timer(r), 1049 * MS));
	quic_recovery_on_timeout(r, 1049 * MS, &to);
	cr_assert(eq(int, to.kind, QUIC_TIMEOUT_PTO));
	cr_assert(eq(int, to.space, HS));
	/* The backoff applies to every space: next at 50 + 2 * 999 ms, Initial after it. */
	cr_assert(eq(u64, quic_recovery_timer(r), 2048 * MS));
	quic_recovery_on_timeout(r, 2048 * MS, &to);
	cr_assert(eq(int, to.space, HS));
	cr_assert(eq(u64, quic_recovery_timer(r), 50 * MS + 4 * 999 * MS));
	quic_recovery_free(r);
}

/* §6.2.1: a client not sure of its address validation keeps its backoff on Initial ACKs. */
HB_TEST(recovery, client_backoff_kept_until_handshake_ack)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;
	struct quic_timeout to;

	cfg_init(&cfg, &log);
	cfg.is_server = false;
	r = rec_new(&cfg);
	send_pkt(r, INIT, true, 0);
	send_pkt(r, INIT, true, 0);
	quic_recovery_on_timeout(r, 999 * MS, &to);
	cr_assert(eq(int, to.kind, QUIC_TIMEOUT_PTO));
	cr_assert(eq(int, ack_range(r, INIT, 0, 0, 0, SEC), 0));
	cr_assert(eq(u32, quic_recovery_pto_count(r), 1));
	send_pkt(r, HS, true, SEC);
	cr_assert(eq(int, ack_range(r, HS, 0, 0, 0, 1100 * MS), 0));
	cr_assert(eq(u32, quic_recovery_pto_count(r), 0));
	quic_recovery_free(r);
}

/* §6.2.2.1: a client arms an anti-deadlock PTO with nothing in flight until validated. */
HB_TEST(recovery, client_anti_deadlock)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;
	struct quic_timeout to;

	cfg_init(&cfg, &log);
	cfg.is_server = false;
	r = rec_new(&cfg);
	send_pkt(r, INIT, true, 0);
	cr_assert(eq(int, ack_range(r, INIT, 0, 0, 0, 100 * MS), 0));
	/* RTT 100 ms: PTO 100 + 4 * 50 = 300 ms, from now. */
	cr_assert(eq(u64, quic_recovery_timer(r), 400 * MS));
	quic_recovery_on_timeout(r, 400 * MS, &to);
	cr_assert(eq(int, to.kind, QUIC_TIMEOUT_PTO));
	cr_assert(to.anti_deadlock);
	cr_assert(eq(u32, to.probes, 1));
	cr_assert(eq(int, to.space, INIT));
	cr_assert(eq(u64, quic_recovery_timer(r), 1000 * MS));
	/* With Handshake keys the probe is a Handshake packet. */
	quic_recovery_set_handshake_keys(r, 500 * MS);
	cr_assert(eq(u64, quic_recovery_timer(r), 1100 * MS));
	quic_recovery_on_timeout(r, 1100 * MS, &to);
	cr_assert(to.anti_deadlock);
	cr_assert(eq(int, to.space, HS));
	/* A Handshake ACK proves the address validated: no timer with nothing in flight. */
	send_pkt(r, HS, true, 1100 * MS);
	cr_assert(eq(int, ack_range(r, HS, 0, 0, 0, 1200 * MS), 0));
	cr_assert(eq(u64, quic_recovery_timer(r), QUIC_TIMER_NONE));
	quic_recovery_free(r);
}

/* §6.2.2.1 and §A.6: no PTO at the amplification limit; a due one runs when unblocked. */
HB_TEST(recovery, server_amplification_limit)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;
	struct quic_timeout to;

	cfg_init(&cfg, &log);
	r = rec_new(&cfg);
	send_pkt(r, INIT, true, 0);
	cr_assert(eq(u64, quic_recovery_timer(r), 999 * MS));
	quic_recovery_set_amplification_blocked(r, true, 10 * MS);
	cr_assert(eq(u64, quic_recovery_timer(r), QUIC_TIMER_NONE));
	quic_recovery_on_timeout(r, 2 * SEC, &to);
	cr_assert(eq(int, to.kind, QUIC_TIMEOUT_NONE));
	quic_recovery_set_amplification_blocked(r, false, 2 * SEC);
	cr_assert(le(u64, quic_recovery_timer(r), 2 * SEC));
	quic_recovery_on_timeout(r, 2 * SEC, &to);
	cr_assert(eq(int, to.kind, QUIC_TIMEOUT_PTO));
	quic_recovery_free(r);
}

/* ---- Persistent congestion, RFC 9002 §7.6 ---- */

/*
 * Path with smoothed_rtt 200 ms, rttvar below 1/4 ms and max_ack_delay 1799 ms, so that
 * smoothed_rtt + max(4 * rttvar, kGranularity) + max_ack_delay = 2 s: the "2" of the
 * example in §7.6.3, with 1 s as its time unit.
 */
static struct quic_recovery *
pc_path(struct quic_recovery_config *cfg, struct evlog *log)
{
	struct quic_recovery *r;

	cfg_init(cfg, log);
	cfg->max_ack_delay_ns = 1799 * MS;
	r = rec_new(cfg);
	for (uint64_t i = 0; i < 40; i++) {
		uint64_t pn = send_pkt(r, APP, true, i * SEC);

		cr_assert(eq(int, ack_range(r, APP, pn, pn, 0, i * SEC + 200 * MS), 0));
	}
	quic_recovery_set_handshake_confirmed(r, 40 * SEC);
	cr_assert(eq(u64, quic_recovery_rtt(r)->smoothed, 200 * MS));
	cr_assert(lt(u64, 4 * quic_recovery_rtt(r)->var, QUIC_K_GRANULARITY_NS));
	/* (smoothed + max(4 * rttvar, 1 ms) + max_ack_delay) * 3 = 2 s * 3 */
	cr_assert(eq(u64, quic_recovery_pc_duration(r), 6 * SEC));
	return r;
}

/* The table of RFC 9002 §7.6.3, at base time B; ack_of_5 adds an ACK between the losses. */
static void
pc_example(struct quic_recovery *r, bool ack_of_5)
{
	const uint64_t B = 100 * SEC;
	const uint64_t p1 = quic_recovery_next_pn(r, APP);
	static const uint64_t at[] = {0, 1000, 2000, 3000, 4000, 5000, 6000, 8000, 12000};

	for (int i = 0; i < 2; i++)
		send_pkt(r, APP, true, B + at[i] * MS);
	/* #1 acknowledged at t = 1.2 with ACK Delay 1 s (125000 << 3 us): sample 200 ms. */
	cr_assert(eq(int, ack_range(r, APP, p1, p1, 125000, B + 1200 * MS), 0));
	for (int i = 2; i < 9; i++) {
		send_pkt(r, APP, true, B + at[i] * MS);
		if (ack_of_5 && i == 5)
			/* #5 acknowledged at 5.5 with ACK Delay 1.3 s: sample 200 ms. */
			cr_assert(eq(int, ack_range(r, APP, p1 + 4, p1 + 4, 162500, B + 5500 * MS),
				     0));
	}
	/* #9 acknowledged at t = 12.2: #2 to #8 lost. */
	cr_assert(eq(int, ack_range(r, APP, p1 + 8, p1 + 8, 0, B + 12200 * MS), 0));
	cr_assert(eq(u64, quic_recovery_rtt(r)->smoothed, 200 * MS));
}

HB_TEST(recovery, persistent_congestion_rfc9002_example)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r = pc_path(&cfg, &log);

	log.n = 0;
	log.count[QUIC_PKT_LOST] = 0;
	pc_example(r, false);
	/* Lost from 1 s to 8 s, 7 > 6 with nothing acknowledged in between. */
	cr_assert(eq(sz, log.count[QUIC_PKT_LOST], 7));
	cr_assert(eq(u64, quic_recovery_cc(r)->persistent_congestions, 1));
	/* kMinimumWindow; then #9, acknowledged after the losses (§A.7 order) and sent after
	 * the recovery period that persistent congestion cleared (§B.8), restarts slow start. */
	cr_assert(eq(u64, quic_recovery_cc(r)->cwnd, 2 * SZ + SZ));
	/* The congestion event halved the 61200-byte window grown by 41 acknowledgments. */
	cr_assert(eq(u64, quic_recovery_cc(r)->ssthresh, 30600));
	cr_assert(eq(u64, quic_recovery_bytes_in_flight(r), 0));
	quic_recovery_free(r);
}

HB_TEST(recovery, persistent_congestion_broken_by_an_ack)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r = pc_path(&cfg, &log);

	log.count[QUIC_PKT_LOST] = 0;
	pc_example(r, true);
	/* #2-#4 (2 s apart) and #6-#8 (3 s apart): neither run exceeds 6 s. */
	cr_assert(eq(sz, log.count[QUIC_PKT_LOST], 6));
	cr_assert(eq(u64, quic_recovery_cc(r)->persistent_congestions, 0));
	cr_assert(gt(u64, quic_recovery_cc(r)->cwnd, 2 * SZ));
	quic_recovery_free(r);
}

/* ---- Invalid ACKs: RFC 9000 §13.1, §21.4 ---- */

/* shared/bad-input.md C6, CVE-2025-4821: an ACK of a packet number never sent. */
HB_TEST(recovery, ack_of_never_sent_pn)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;
	struct quic_frame ping = {.type = QUIC_FRAME_PING};

	cfg_init(&cfg, &log);
	r = rec_new(&cfg);
	/* Nothing sent in the space at all. */
	cr_assert(eq(int, ack_range(r, HS, 0, 0, 0, MS), QUIC_ERR_PROTOCOL));
	for (int i = 0; i < 3; i++)
		send_pkt(r, APP, true, 0);
	cr_assert(eq(int, ack_range(r, APP, 0, 3, 0, MS), QUIC_ERR_PROTOCOL));
	cr_assert(eq(int, ack_range(r, APP, 1000, 1000, 0, MS), QUIC_ERR_PROTOCOL));
	cr_assert(eq(u64, quic_err_to_transport(QUIC_ERR_PROTOCOL), QUIC_PROTOCOL_VIOLATION));
	/* Refused ACKs change nothing. */
	cr_assert(eq(sz, log.n, 0));
	cr_assert(eq(sz, quic_recovery_outstanding(r, APP), 3));
	cr_assert(eq(u64, quic_recovery_largest_acked(r, APP), UINT64_MAX));
	cr_assert(eq(int, quic_recovery_on_ack_received(r, APP, &ping, MS), QUIC_ERR_INVAL));
	cr_assert(eq(int, ack_range(r, APP, 0, 2, 0, MS), 0));
	cr_assert(eq(sz, log.count[QUIC_PKT_ACKED], 3));
	quic_recovery_free(r);
}

/* Send until the recovery skips a number; returns the skipped one. */
static uint64_t
send_until_skip(struct quic_recovery *r, uint64_t now)
{
	for (int i = 0; i < 100; i++) {
		uint64_t pn = send_pkt(r, APP, true, now);

		if (quic_recovery_next_pn(r, APP) != pn + 1)
			return pn + 1;
	}
	cr_fatal("no packet number skipped in 100 packets");
	return 0;
}

/* RFC 9000 §21.4, CVE-2025-4820: an ACK covering a skipped number is an optimistic ACK. */
HB_TEST(recovery, ack_of_skipped_pn)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;
	struct quic_ack_range ranges[3];
	struct ackf a;
	uint64_t skipped, last;

	cfg_init(&cfg, &log);
	cfg.skip_pn = true;
	cfg.skip_seed = 42;
	r = rec_new(&cfg);
	skipped = send_until_skip(r, 0);
	cr_assert(ge(u64, skipped, 8));
	last = send_pkt(r, APP, true, 0);
	cr_assert(eq(u64, last, skipped + 1));
	/* The skipped number inside one range, or as a range of its own. */
	cr_assert(eq(int, ack_range(r, APP, 0, last, 0, MS), QUIC_ERR_PROTOCOL));
	ranges[0] = (struct quic_ack_range){last, last};
	ranges[1] = (struct quic_ack_range){skipped - 1, skipped - 1};
	ranges[2] = (struct quic_ack_range){0, 1};
	ack_make(&a, ranges, 3, 0, NULL);
	cr_assert(eq(int, quic_recovery_on_ack_received(r, APP, &a.f, MS), 0));
	cr_assert(eq(int, ack_range(r, APP, skipped, skipped, 0, MS), QUIC_ERR_PROTOCOL));
	cr_assert(eq(sz, log.count[QUIC_PKT_ACKED], 4));
	/* Every other sent number acknowledged around it: fine. */
	ranges[0] = (struct quic_ack_range){skipped + 1, last};
	ranges[1] = (struct quic_ack_range){0, skipped - 1};
	ack_make(&a, ranges, 2, 0, NULL);
	cr_assert(eq(int, quic_recovery_on_ack_received(r, APP, &a.f, 2 * MS), 0));
	cr_assert(eq(sz, quic_recovery_outstanding(r, APP), 0));
	quic_recovery_free(r);
}

/* Skips follow the seed and come about once per window (16 packets at the initial window). */
HB_TEST(recovery, skip_spacing_and_seed)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *a, *b;
	uint64_t sa[32], sb[32];
	bool differ = false;

	cfg_init(&cfg, &log);
	cfg.skip_pn = true;
	cfg.skip_seed = 1;
	a = rec_new(&cfg);
	b = rec_new(&cfg);
	for (int i = 0; i < 32; i++) {
		sa[i] = send_until_skip(a, 0);
		sb[i] = send_until_skip(b, 0);
		cr_assert(eq(u64, sa[i], sb[i]));
		if (i == 0) {
			cr_assert(ge(u64, sa[0], 8));
			cr_assert(le(u64, sa[0], 23));
		} else {
			cr_assert(ge(u64, sa[i] - sa[i - 1], 9));
			cr_assert(le(u64, sa[i] - sa[i - 1], 24));
		}
	}
	quic_recovery_free(b);
	cfg.skip_seed = 2;
	b = rec_new(&cfg);
	for (int i = 0; i < 32; i++)
		differ |= send_until_skip(b, 0) != sa[i];
	cr_assert(differ);
	quic_recovery_free(a);
	quic_recovery_free(b);
}

/* An ACK with 10,000 ranges is processed in one bounded pass (the decoder's iterator). */
HB_TEST(recovery, ack_with_10000_ranges)
{
	enum { NR = 10000 };
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;
	struct quic_ack_range *ranges = malloc(NR * sizeof(*ranges));
	uint8_t *buf = malloc(64 * 1024);
	struct crypto_wr w;
	struct crypto_rd rd;
	struct quic_frame f;
	size_t written;
	uint64_t now = 0;

	cr_assert(not(ranges == NULL || buf == NULL));
	cfg_init(&cfg, &log);
	r = rec_new(&cfg);
	/* 20,000 packets sent and acknowledged in batches that fit the 1024 records. */
	for (int b = 0; b < 20; b++) {
		for (int i = 0; i < 1000; i++)
			send_pkt(r, APP, true, now);
		now += 10 * MS;
		cr_assert(eq(int, ack_range(r, APP, b * 1000, b * 1000 + 999, 0, now), 0));
	}
	for (int i = 0; i < 1000; i++)
		send_pkt(r, APP, true, now);
	/* Every even number from 20998 down to 1000: 10,000 single-packet ranges. */
	for (int i = 0; i < NR; i++)
		ranges[i] = (struct quic_ack_range){20998 - 2 * i, 20998 - 2 * i};
	crypto_wr_init(&w, buf, 64 * 1024);
	cr_assert(eq(int, quic_frame_encode_ack(&w, ranges, NR, 0, NULL, &written), 0));
	cr_assert(eq(sz, written, NR));
	crypto_rd_init(&rd, buf, crypto_wr_len(&w));
	cr_assert(eq(int, quic_frame_decode(&rd, &f), 0));
	cr_assert(eq(u64, f.ack.range_count, NR - 1));
	memset(&log, 0, sizeof(log));
	cr_assert(eq(int, quic_recovery_on_ack_received(r, APP, &f, now + 10 * MS), 0));
	/* The 500 even numbers still outstanding; odd ones 3 below an acknowledged one lost. */
	cr_assert(eq(sz, log.count[QUIC_PKT_ACKED], 500));
	cr_assert(eq(sz, log.count[QUIC_PKT_LOST], 498));
	cr_assert(eq(sz, quic_recovery_outstanding(r, APP), 2));
	free(ranges);
	free(buf);
	quic_recovery_free(r);
}

/*
 * An ACK with several ranges against a ring that wrapped (records 700..1399 of 1024 slots):
 * each range finds its newest record (a binary search) and marks exactly its packets; the
 * gaps below the largest minus 3 are lost (RFC 9002 §6.1.1), the newest 49 stay outstanding.
 */
HB_TEST(recovery, ack_ranges_across_ring_wrap)
{
	static const struct quic_ack_range ranges[] = {{1300, 1350}, {1000, 1100}, {705, 720}};
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;
	struct ackf a;
	uint64_t now = 0;

	cfg_init(&cfg, &log);
	r = rec_new(&cfg);
	for (int i = 0; i < 700; i++)
		send_pkt(r, APP, true, now);
	now += 10 * MS;
	cr_assert(eq(int, ack_range(r, APP, 0, 699, 0, now), 0));
	for (int i = 0; i < 700; i++)
		send_pkt(r, APP, true, now);
	memset(&log, 0, sizeof(log));
	ack_make(&a, ranges, 3, 0, NULL);
	cr_assert(eq(int, quic_recovery_on_ack_received(r, APP, &a.f, now + 10 * MS), 0));
	cr_assert(eq(sz, log.count[QUIC_PKT_ACKED], 51 + 101 + 16));
	cr_assert(eq(sz, log.count[QUIC_PKT_LOST], 5 + 279 + 199));
	cr_assert(eq(sz, quic_recovery_outstanding(r, APP), 49));
	/* Losses are reported first, oldest first: 700..704, then 721... */
	cr_assert(eq(u64, log.ev[0].pn, 700));
	cr_assert(eq(int, log.ev[5].fate, QUIC_PKT_LOST));
	cr_assert(eq(u64, log.ev[5].pn, 721));
	quic_recovery_free(r);
}

/* ---- Sending rules ---- */

HB_TEST(recovery, sent_packet_checks)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;

	cfg_init(&cfg, &log);
	r = rec_new(&cfg);
	cr_assert(eq(int, quic_recovery_on_packet_sent(r, APP, 1, SZ, true, true, 0, 0),
		     QUIC_ERR_INVAL));
	/* Ack-eliciting implies in flight. */
	cr_assert(eq(int, quic_recovery_on_packet_sent(r, APP, 0, SZ, true, false, 0, 0),
		     QUIC_ERR_INVAL));
	cr_assert(
		eq(int,
		   quic_recovery_on_packet_sent(r, (enum quic_pn_space)3, 0, SZ, true, true, 0, 0),
		   QUIC_ERR_INVAL));
	cr_assert(eq(u64, quic_recovery_next_pn(r, APP), 0));
	cfg.sent_cap = 4;
	cr_assert(eq(int, quic_recovery_new(&r, &cfg), QUIC_ERR_INVAL));
	cfg.sent_cap = 1024;
	cfg.cc_algo = "bbr";
	cr_assert(eq(int, quic_recovery_new(&r, &cfg), QUIC_ERR_INVAL));
	cfg.cc_algo = "cubic";
	cfg.on_pkt = NULL;
	cr_assert(eq(int, quic_recovery_new(&r, &cfg), QUIC_ERR_INVAL));
	cr_assert(eq(sz, quic_recovery_size(&cfg), 0));
	quic_recovery_free(r);
}

/* In caller memory (a per-worker pool): the same behaviour, nothing to free. */
HB_TEST(recovery, init_in_place)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r = NULL;
	uint64_t *mem;
	size_t need;

	cfg_init(&cfg, &log);
	cfg.cc_algo = "cubic";
	cfg.sent_cap = 16;
	cfg.sent_cap_handshake = 8;
	need = quic_recovery_size(&cfg);
	cr_assert(gt(sz, need, 0));
	mem = malloc(need);
	cr_assert(not(mem == NULL));
	cr_assert(eq(int, quic_recovery_init(mem, need - 1, &cfg, &r), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_recovery_init(mem, need, &cfg, &r), 0));
	cr_assert(eq(int, strcmp(quic_recovery_cc(r)->ops->name, "cubic"), 0));
	send_pkt(r, APP, true, 0);
	cr_assert(eq(int, ack_range(r, APP, 0, 0, 0, 10 * MS), 0));
	cr_assert(eq(sz, log.count[QUIC_PKT_ACKED], 1));
	quic_recovery_fini(r);
	free(mem);
}

/* The record ring is the hard limit on packets in flight; ACK-only packets make way. */
HB_TEST(recovery, ring_full_can_send)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;

	cfg_init(&cfg, &log);
	cfg.sent_cap = 8;
	r = rec_new(&cfg);
	for (int i = 0; i < 8; i++) {
		cr_assert(quic_recovery_can_send(r, APP));
		send_pkt(r, APP, true, 0);
	}
	cr_assert(not(quic_recovery_can_send(r, APP)));
	cr_assert(eq(int, quic_recovery_on_packet_sent(r, APP, 8, SZ, true, true, 0, COOKIE + 8),
		     QUIC_ERR_BUFFER));
	/* 7 acknowledged, 0 to 4 lost by the packet threshold: room again. */
	cr_assert(eq(int, ack_range(r, APP, 7, 7, 0, MS), 0));
	cr_assert(quic_recovery_can_send(r, APP));
	cr_assert(eq(sz, quic_recovery_outstanding(r, APP), 2));
	quic_recovery_free(r);

	cfg_init(&cfg, &log);
	cfg.sent_cap = 8;
	r = rec_new(&cfg);
	for (int i = 0; i < 8; i++)
		send_pkt(r, APP, false, 0);
	/* Only ACK-only packets: the oldest is forgotten to make room. */
	cr_assert(quic_recovery_can_send(r, APP));
	send_pkt(r, APP, false, 0);
	cr_assert(eq(sz, log.n, 1));
	cr_assert(eq(u64, log.ev[0].pn, 0));
	cr_assert(eq(int, log.ev[0].fate, QUIC_PKT_LOST));
	cr_assert(eq(sz, quic_recovery_outstanding(r, APP), 8));
	cr_assert(eq(u64, quic_recovery_bytes_in_flight(r), 0));
	quic_recovery_free(r);
}

/*
 * The Initial and Handshake spaces are freed once both are discarded (issue #6): the memory
 * figure drops, and those spaces then read as discarded and empty while the Application space
 * goes on (sent, acknowledged, timed).
 */
HB_TEST(recovery, handshake_spaces_freed_when_both_discarded)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;
	size_t m0, m1, m2;

	cfg_init(&cfg, &log);
	r = rec_new(&cfg);
	/* Nothing sent in the handshake spaces: no ring block to tell their own bytes from. */
	send_pkt(r, APP, true, 0);
	m0 = quic_recovery_mem_bytes(r);
	cr_assert(eq(int, quic_recovery_discard_space(r, INIT, SEC), 0));
	m1 = quic_recovery_mem_bytes(r);
	cr_assert(eq(int, quic_recovery_discard_space(r, HS, SEC), 0));
	m2 = quic_recovery_mem_bytes(r);
	cr_log_info("recovery: %zu B, Initial discarded %zu B, both %zu B\n", m0, m1, m2);
	cr_assert(eq(sz, m1, m0));	 /* the Handshake space is still there, and so both */
	cr_assert(lt(sz, m2 + 200, m1)); /* two spaces of loss state go at once */
	for (int s = INIT; s <= HS; s++) {
		cr_assert(not(quic_recovery_can_send(r, (enum quic_pn_space)s)));
		cr_assert(eq(sz, quic_recovery_outstanding(r, (enum quic_pn_space)s), 0));
		cr_assert(eq(int,
			     quic_recovery_on_packet_sent(r, (enum quic_pn_space)s, 1, SZ, true,
							  true, SEC, 0),
			     QUIC_ERR_INVAL));
		cr_assert(
			eq(int, ack_range(r, (enum quic_pn_space)s, 0, 0, 0, SEC), QUIC_ERR_INVAL));
		cr_assert(eq(int, quic_recovery_discard_space(r, (enum quic_pn_space)s, SEC), 0));
	}
	cr_assert(eq(sz, log.count[QUIC_PKT_DISCARDED], 0));
	cr_assert(eq(int, ack_range(r, APP, 0, 0, 0, SEC), 0));
	cr_assert(eq(u64, quic_recovery_bytes_in_flight(r), 0));
	quic_recovery_trim(r, 100 * SEC);
	cr_assert(eq(u64, quic_recovery_trim_time(r), QUIC_TIMER_NONE));
	quic_recovery_free(r);
}

/* RFC 9002 §6.4 and §B.9: discarded spaces leave bytes in flight, nothing leaks. */
HB_TEST(recovery, discard_space)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;
	struct quic_timeout to;

	cfg_init(&cfg, &log);
	r = rec_new(&cfg);
	send_pkt(r, INIT, true, 0);
	send_pkt(r, INIT, true, 0);
	send_pkt(r, INIT, false, 0); /* ACK-only: not in flight */
	send_pkt(r, HS, true, 0);
	send_pkt(r, APP, true, 0);
	cr_assert(eq(u64, quic_recovery_bytes_in_flight(r), 4 * SZ));
	quic_recovery_on_timeout(r, 999 * MS, &to);
	cr_assert(eq(u32, quic_recovery_pto_count(r), 1));
	cr_assert(eq(int, quic_recovery_discard_space(r, INIT, SEC), 0));
	cr_assert(eq(sz, log.count[QUIC_PKT_DISCARDED], 3));
	cr_assert(eq(u64, quic_recovery_bytes_in_flight(r), 2 * SZ));
	cr_assert(eq(u32, quic_recovery_pto_count(r), 0));
	/* The Handshake packet's PTO is next. */
	cr_assert(eq(u64, quic_recovery_timer(r), 999 * MS));
	cr_assert(not(quic_recovery_can_send(r, INIT)));
	cr_assert(eq(int, quic_recovery_on_packet_sent(r, INIT, 3, SZ, true, true, SEC, 0),
		     QUIC_ERR_INVAL));
	cr_assert(eq(int, ack_range(r, INIT, 0, 0, 0, SEC), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_recovery_discard_space(r, INIT, SEC), 0));
	cr_assert(eq(int, quic_recovery_discard_space(r, HS, SEC), 0));
	cr_assert(eq(u64, quic_recovery_bytes_in_flight(r), SZ));
	cr_assert(eq(int, quic_recovery_discard_space(r, APP, SEC), QUIC_ERR_INVAL));
	/* Only Application data left, handshake not confirmed: no timer at a server. */
	cr_assert(eq(u64, quic_recovery_timer(r), QUIC_TIMER_NONE));
	cr_assert(eq(int, ack_range(r, APP, 0, 0, 0, SEC), 0));
	cr_assert(eq(u64, quic_recovery_bytes_in_flight(r), 0));
	cr_assert(eq(sz, log.count[QUIC_PKT_DISCARDED], 4));
	quic_recovery_free(r);
}

/* ---- ECN, RFC 9000 §13.4.2 and RFC 9002 §7.1, §B.7 ---- */

static void
ack_ecn(struct quic_recovery *r, uint64_t lo, uint64_t hi, uint64_t ect0, uint64_t ect1,
	uint64_t ce, uint64_t now)
{
	struct quic_ack_range range = {lo, hi};
	struct quic_ack_ecn ecn = {ect0, ect1, ce};
	struct ackf a;

	ack_make(&a, &range, 1, 0, &ecn);
	cr_assert(eq(int, quic_recovery_on_ack_received(r, APP, &a.f, now), 0));
}

HB_TEST(recovery, ecn_ce_is_a_congestion_event)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;

	cfg_init(&cfg, &log);
	cfg.ecn = true;
	r = rec_new(&cfg);
	/* Testing: the first ten packets carry ECT(0), then marking pauses. */
	for (int i = 0; i < 10; i++) {
		cr_assert(eq(int, quic_recovery_ecn_codepoint(r), QUIC_ECN_ECT0));
		send_pkt(r, APP, true, 0);
	}
	cr_assert(eq(int, quic_recovery_ecn_codepoint(r), QUIC_ECN_NOT_ECT));
	/* Nine arrived ECT(0), one CE: valid, and a congestion event. */
	ack_ecn(r, 0, 9, 9, 0, 1, 100 * MS);
	cr_assert(quic_recovery_ecn_capable(r));
	cr_assert(eq(int, quic_recovery_ecn_codepoint(r), QUIC_ECN_ECT0));
	cr_assert(eq(u64, quic_recovery_cc(r)->congestion_events, 1));
	cr_assert(eq(u64, quic_recovery_cc(r)->cwnd, 6000));
	/* The same CE count again is no new event. */
	send_pkt(r, APP, true, 200 * MS);
	ack_ecn(r, 10, 10, 10, 0, 1, 300 * MS);
	cr_assert(eq(u64, quic_recovery_cc(r)->congestion_events, 1));
	cr_assert(quic_recovery_ecn_capable(r));
	quic_recovery_free(r);
}

HB_TEST(recovery, ecn_validation_failures)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;

	/* Marked packets acknowledged without ECN counts: bleached. */
	cfg_init(&cfg, &log);
	cfg.ecn = true;
	r = rec_new(&cfg);
	for (int i = 0; i < 3; i++)
		send_pkt(r, APP, true, 0);
	cr_assert(eq(int, ack_range(r, APP, 0, 2, 0, MS), 0));
	cr_assert(quic_recovery_ecn_failed(r));
	cr_assert(eq(int, quic_recovery_ecn_codepoint(r), QUIC_ECN_NOT_ECT));
	quic_recovery_free(r);

	/* Fewer ECT(0) + CE than marked packets newly acknowledged: remarked. */
	cfg_init(&cfg, &log);
	cfg.ecn = true;
	r = rec_new(&cfg);
	for (int i = 0; i < 3; i++)
		send_pkt(r, APP, true, 0);
	ack_ecn(r, 0, 2, 1, 0, 0, MS);
	cr_assert(quic_recovery_ecn_failed(r));
	quic_recovery_free(r);

	/* ECT(1) never sent; and a CE count after failure is ignored. */
	cfg_init(&cfg, &log);
	cfg.ecn = true;
	r = rec_new(&cfg);
	for (int i = 0; i < 3; i++)
		send_pkt(r, APP, true, 0);
	ack_ecn(r, 0, 2, 2, 1, 1, MS);
	cr_assert(quic_recovery_ecn_failed(r));
	cr_assert(eq(u64, quic_recovery_cc(r)->congestion_events, 0));
	quic_recovery_free(r);
}

/* §7.7: in-flight packets are paced after the burst; ACK-only packets never are. */
HB_TEST(recovery, pacing_time)
{
	struct quic_recovery_config cfg;
	struct evlog log;
	struct quic_recovery *r;

	cfg_init(&cfg, &log);
	r = rec_new(&cfg);
	for (int i = 0; i < 10; i++) {
		cr_assert(eq(u64, quic_recovery_pacing_time(r, SZ, false, 0), 0));
		send_pkt(r, APP, true, 0);
	}
	/* smoothed 333 ms, cwnd 12000: 333 ms * 1200 / 12000 / 1.25 = 26.64 ms. */
	cr_assert(eq(u64, quic_recovery_pacing_time(r, SZ, false, 0), 26640 * US));
	cr_assert(eq(u64, quic_recovery_pacing_time(r, 50, true, 0), 0));
	cr_assert(eq(u64, quic_recovery_cwnd_available(r), 0));
	quic_recovery_free(r);
}
