/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ACK generation (RFC 9000 §13.2): duplicates, the bounded range table, the immediate-ACK
 * rules and the max_ack_delay timer, the ACK Delay field, ECN counts (§13.4.1) and forgetting
 * ranges once our ACK was acknowledged (§13.2.4). Written frames are read back with the
 * frame decoder.
 */
#include <string.h>

#include <quic/ackgen.h>
#include <quic/error.h>
#include <quic/frame.h>

#include "hb_test.h"

TestSuite(ackgen);

#define US   UINT64_C(1000)
#define MS   UINT64_C(1000000)
#define MAD  (25 * MS)
#define APP  QUIC_PN_SPACE_APP
#define INIT QUIC_PN_SPACE_INITIAL
#define HS   QUIC_PN_SPACE_HANDSHAKE

/* An ACK frame written by quic_ackgen_write() and decoded again. */
struct wack {
	uint8_t buf[1024];
	struct quic_frame f;
	struct quic_ack_range ranges[QUIC_ACKGEN_MAX_RANGES];
	size_t n;
	uint64_t largest;
};

static void
write_ack(struct quic_ackgen *ag, enum quic_pn_space space, uint64_t now, struct wack *o)
{
	struct crypto_wr w;
	struct crypto_rd r;
	struct quic_ack_iter it;

	crypto_wr_init(&w, o->buf, sizeof(o->buf));
	cr_assert(eq(int, quic_ackgen_write(ag, space, &w, now, &o->largest), 0));
	crypto_rd_init(&r, o->buf, crypto_wr_len(&w));
	cr_assert(eq(int, quic_frame_decode(&r, &o->f), 0));
	cr_assert(eq(sz, crypto_rd_left(&r), 0));
	cr_assert(eq(u64, o->f.ack.largest, o->largest));
	quic_ack_iter_init(&it, &o->f.ack);
	o->n = 0;
	while (o->n < QUIC_ACKGEN_MAX_RANGES && quic_ack_range_next(&it, &o->ranges[o->n]))
		o->n++;
}

static void
recv_pkt(struct quic_ackgen *ag, enum quic_pn_space space, uint64_t pn, uint64_t now)
{
	cr_assert(quic_ackgen_on_received(ag, space, pn, true, QUIC_ECN_NOT_ECT, now), "pn %llu",
		  (unsigned long long)pn);
}

static void
ag_init(struct quic_ackgen *ag)
{
	cr_assert(eq(int, quic_ackgen_init(ag, MAD, 3), 0));
}

HB_TEST(ackgen, init_checks)
{
	struct quic_ackgen ag;

	cr_assert(eq(int, quic_ackgen_init(&ag, MAD, 21), QUIC_ERR_INVAL));
	/* RFC 9000 §18.2: max_ack_delay of 2^14 ms or more is invalid. */
	cr_assert(eq(int, quic_ackgen_init(&ag, 16384 * MS, 3), QUIC_ERR_INVAL));
	cr_assert(eq(int, quic_ackgen_init(&ag, 16383 * MS, 20), 0));
	cr_assert(eq(u64, quic_ackgen_largest(&ag, APP), UINT64_MAX));
	cr_assert(eq(u64, quic_ackgen_timer(&ag), QUIC_TIMER_NONE));
	cr_assert(not(quic_ackgen_has_new(&ag, APP)));
	quic_ackgen_fini(&ag);
}

/* §13.2.2: an ACK after the second ack-eliciting packet; before it, max_ack_delay. */
HB_TEST(ackgen, every_second_packet)
{
	struct quic_ackgen ag;
	struct wack a;

	ag_init(&ag);
	recv_pkt(&ag, APP, 0, 0);
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, APP), MAD));
	cr_assert(not(quic_ackgen_ack_due(&ag, APP, MAD - 1)));
	cr_assert(quic_ackgen_ack_due(&ag, APP, MAD));
	recv_pkt(&ag, APP, 1, MS);
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, APP), MS));
	cr_assert(quic_ackgen_ack_due(&ag, APP, MS));
	write_ack(&ag, APP, MS, &a);
	cr_assert(eq(u64, a.f.type, QUIC_FRAME_ACK));
	cr_assert(eq(u64, a.largest, 1));
	cr_assert(eq(u64, a.f.ack.ack_delay, 0));
	cr_assert(eq(sz, a.n, 1));
	cr_assert(eq(u64, a.ranges[0].smallest, 0));
	/* Written: nothing due, nothing new. */
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, APP), QUIC_TIMER_NONE));
	cr_assert(not(quic_ackgen_has_new(&ag, APP)));
	cr_assert(eq(u64, quic_ackgen_largest(&ag, APP), 1));
	quic_ackgen_fini(&ag);
}

HB_TEST(ackgen, duplicates_refused)
{
	struct quic_ackgen ag;

	ag_init(&ag);
	recv_pkt(&ag, APP, 5, 0);
	cr_assert(quic_ackgen_is_duplicate(&ag, APP, 5));
	cr_assert(not(quic_ackgen_is_duplicate(&ag, APP, 4)));
	cr_assert(not(quic_ackgen_on_received(&ag, APP, 5, true, QUIC_ECN_NOT_ECT, MS)));
	/* A duplicate neither counts toward the second-packet rule nor moves the timer. */
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, APP), MAD));
	cr_assert(eq(u32, ag.app.unacked_ack_eliciting, 1));
	/* Spaces are separate; a number past 2^62 - 1 is never accepted. */
	cr_assert(not(quic_ackgen_is_duplicate(&ag, HS, 5)));
	cr_assert(not(quic_ackgen_on_received(&ag, APP, QUIC_VARINT_MAX + 1, true, QUIC_ECN_NOT_ECT,
					      MS)));
	cr_assert(not(quic_ackgen_on_received(&ag, (enum quic_pn_space)3, 0, true, QUIC_ECN_NOT_ECT,
					      MS)));
	quic_ackgen_fini(&ag);
}

/* §13.2.1: ack-eliciting Initial and Handshake packets are acknowledged immediately. */
HB_TEST(ackgen, initial_and_handshake_immediate)
{
	struct quic_ackgen ag;
	struct wack a;

	ag_init(&ag);
	recv_pkt(&ag, INIT, 0, 7 * MS);
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, INIT), 7 * MS));
	recv_pkt(&ag, HS, 0, 8 * MS);
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, HS), 8 * MS));
	recv_pkt(&ag, APP, 0, 1 * MS);
	cr_assert(eq(u64, quic_ackgen_timer(&ag), 7 * MS));
	/* Initial ACKs carry ACK Delay 0; Handshake ACKs the measured delay. */
	write_ack(&ag, INIT, 20 * MS, &a);
	cr_assert(eq(u64, a.f.ack.ack_delay, 0));
	write_ack(&ag, HS, 20 * MS, &a);
	cr_assert(eq(u64, a.f.ack.ack_delay, (12000 >> 3)));
	cr_assert(eq(u64, quic_ackgen_timer(&ag), 1 * MS + MAD));
	quic_ackgen_fini(&ag);
}

/* §13.2.1: a packet that is not ack-eliciting arms nothing, but is acknowledged later. */
HB_TEST(ackgen, non_eliciting_no_timer)
{
	struct quic_ackgen ag;
	struct wack a;

	ag_init(&ag);
	cr_assert(quic_ackgen_on_received(&ag, APP, 0, false, QUIC_ECN_NOT_ECT, 0));
	cr_assert(quic_ackgen_on_received(&ag, APP, 1, false, QUIC_ECN_NOT_ECT, 0));
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, APP), QUIC_TIMER_NONE));
	cr_assert(quic_ackgen_has_new(&ag, APP));
	write_ack(&ag, APP, MS, &a);
	cr_assert(eq(u64, a.largest, 1));
	cr_assert(eq(u64, a.ranges[0].smallest, 0));
	quic_ackgen_fini(&ag);
}

/* §13.2.1: out of order or after a gap, acknowledge at once. */
HB_TEST(ackgen, out_of_order_immediate)
{
	struct quic_ackgen ag;
	struct wack a;

	ag_init(&ag);
	recv_pkt(&ag, APP, 0, 0);
	write_ack(&ag, APP, MS, &a);
	/* 2 after 0: packet 1 missing in between. */
	recv_pkt(&ag, APP, 2, 30 * MS);
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, APP), 30 * MS));
	write_ack(&ag, APP, 30 * MS, &a);
	cr_assert(eq(sz, a.n, 2));
	/* 1 below the largest ack-eliciting packet. */
	recv_pkt(&ag, APP, 1, 40 * MS);
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, APP), 40 * MS));
	write_ack(&ag, APP, 40 * MS, &a);
	cr_assert(eq(sz, a.n, 1));
	cr_assert(eq(u64, a.ranges[0].smallest, 0));
	cr_assert(eq(u64, a.ranges[0].largest, 2));
	/* 3 in order again: the delayed timer. */
	recv_pkt(&ag, APP, 3, 50 * MS);
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, APP), 50 * MS + MAD));
	/* A gap filled only by a non-eliciting packet is no gap. */
	cr_assert(quic_ackgen_on_received(&ag, APP, 4, false, QUIC_ECN_NOT_ECT, 51 * MS));
	write_ack(&ag, APP, 52 * MS, &a);
	recv_pkt(&ag, APP, 5, 60 * MS);
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, APP), 60 * MS + MAD));
	quic_ackgen_fini(&ag);
}

/* §13.2.1: CE-marked packets at once; §13.4.1 counts in an ACK_ECN frame. */
HB_TEST(ackgen, ecn_counts_and_ce)
{
	struct quic_ackgen ag;
	struct wack a;

	ag_init(&ag);
	cr_assert(quic_ackgen_on_received(&ag, APP, 0, true, QUIC_ECN_ECT0, 0));
	cr_assert(quic_ackgen_on_received(&ag, APP, 1, false, QUIC_ECN_ECT1, 0));
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, APP), MAD));
	cr_assert(quic_ackgen_on_received(&ag, APP, 2, true, QUIC_ECN_CE, MS));
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, APP), MS));
	/* A duplicate is not counted again (§13.4.1). */
	cr_assert(not(quic_ackgen_on_received(&ag, APP, 2, true, QUIC_ECN_CE, MS)));
	write_ack(&ag, APP, MS, &a);
	cr_assert(eq(u64, a.f.type, QUIC_FRAME_ACK_ECN));
	cr_assert(eq(u64, a.f.ack.ect0, 1));
	cr_assert(eq(u64, a.f.ack.ect1, 1));
	cr_assert(eq(u64, a.f.ack.ce, 1));
	/* Another space without marks writes a plain ACK. */
	recv_pkt(&ag, HS, 0, MS);
	write_ack(&ag, HS, MS, &a);
	cr_assert(eq(u64, a.f.type, QUIC_FRAME_ACK));
	quic_ackgen_fini(&ag);
}

HB_TEST(ackgen, ranges_merge)
{
	struct quic_ackgen ag;
	struct wack a;

	ag_init(&ag);
	recv_pkt(&ag, APP, 1, 0);
	recv_pkt(&ag, APP, 3, 0);
	recv_pkt(&ag, APP, 7, 0);
	cr_assert(eq(u32, quic_ackgen_ranges(&ag, APP), 3));
	recv_pkt(&ag, APP, 2, 0);
	recv_pkt(&ag, APP, 6, 0);
	recv_pkt(&ag, APP, 0, 0);
	write_ack(&ag, APP, 0, &a);
	cr_assert(eq(sz, a.n, 2));
	cr_assert(eq(u64, a.ranges[0].smallest, 6));
	cr_assert(eq(u64, a.ranges[0].largest, 7));
	cr_assert(eq(u64, a.ranges[1].smallest, 0));
	cr_assert(eq(u64, a.ranges[1].largest, 3));
	recv_pkt(&ag, APP, 4, 0);
	recv_pkt(&ag, APP, 5, 0);
	cr_assert(eq(u32, quic_ackgen_ranges(&ag, APP), 1));
	write_ack(&ag, APP, 0, &a);
	cr_assert(eq(u64, a.f.ack.first_range, 7));
	cr_assert(eq(u64, a.f.ack.range_count, 0));
	quic_ackgen_fini(&ag);
}

/* §13.2.3: at most QUIC_ACKGEN_MAX_RANGES ranges; the oldest goes, and stays refused. */
HB_TEST(ackgen, range_cap_drops_oldest)
{
	struct quic_ackgen ag;
	struct wack a;

	ag_init(&ag);
	/* The handshake spaces are gone: the Application space has the whole table. */
	quic_ackgen_discard(&ag, INIT);
	quic_ackgen_discard(&ag, HS);
	recv_pkt(&ag, APP, 5, 0);
	for (uint64_t pn = 10; pn <= 70; pn += 2)
		recv_pkt(&ag, APP, pn, 0);
	cr_assert(eq(u32, quic_ackgen_ranges(&ag, APP), QUIC_ACKGEN_MAX_RANGES));
	/* Below every range with the table full: cannot be tracked, so refused. */
	cr_assert(not(quic_ackgen_is_duplicate(&ag, APP, 2)));
	cr_assert(not(quic_ackgen_on_received(&ag, APP, 2, true, QUIC_ECN_NOT_ECT, 0)));
	/* A new highest range drops [5, 5]: 5 and everything below are now refused. */
	recv_pkt(&ag, APP, 72, 0);
	cr_assert(eq(u32, quic_ackgen_ranges(&ag, APP), QUIC_ACKGEN_MAX_RANGES));
	cr_assert(quic_ackgen_is_duplicate(&ag, APP, 5));
	cr_assert(quic_ackgen_is_duplicate(&ag, APP, 3));
	cr_assert(eq(u64, quic_ackgen_ranges_dropped(&ag), 1));
	cr_assert(not(quic_ackgen_is_duplicate(&ag, APP, 7)));
	write_ack(&ag, APP, 0, &a);
	cr_assert(eq(sz, a.n, QUIC_ACKGEN_MAX_RANGES));
	cr_assert(eq(u64, a.ranges[QUIC_ACKGEN_MAX_RANGES - 1].smallest, 10));
	/* Filling a gap frees a slot; a gap-making number inside takes it. */
	recv_pkt(&ag, APP, 11, 0);
	cr_assert(eq(u32, quic_ackgen_ranges(&ag, APP), QUIC_ACKGEN_MAX_RANGES - 1));
	recv_pkt(&ag, APP, 7, 0);
	cr_assert(eq(u32, quic_ackgen_ranges(&ag, APP), QUIC_ACKGEN_MAX_RANGES));
	quic_ackgen_fini(&ag);
}

/* §13.2.5: ACK Delay in microseconds, scaled down by our ack_delay_exponent. */
HB_TEST(ackgen, ack_delay_field)
{
	struct quic_ackgen ag;
	struct wack a;

	ag_init(&ag);
	recv_pkt(&ag, APP, 0, MS);
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, APP), MS + MAD));
	write_ack(&ag, APP, MS + MAD, &a);
	cr_assert(eq(u64, a.f.ack.ack_delay, 25000 >> 3));
	quic_ackgen_fini(&ag);
	cr_assert(eq(int, quic_ackgen_init(&ag, MAD, 0), 0));
	recv_pkt(&ag, APP, 0, MS);
	recv_pkt(&ag, APP, 1, 2 * MS); /* the delay runs from the largest */
	write_ack(&ag, APP, 2 * MS + 1234 * US, &a);
	cr_assert(eq(u64, a.f.ack.ack_delay, 1234));
	quic_ackgen_fini(&ag);
}

/* §13.2.4: once our ACK was acknowledged, its ranges are forgotten and refused after. */
HB_TEST(ackgen, forget_after_ack_of_ack)
{
	struct quic_ackgen ag;
	struct wack a;

	ag_init(&ag);
	for (uint64_t pn = 0; pn < 10; pn++)
		if (pn != 5)
			recv_pkt(&ag, APP, pn, 0);
	write_ack(&ag, APP, 0, &a);
	cr_assert(eq(u64, a.largest, 9));
	cr_assert(eq(sz, a.n, 2));
	for (uint64_t pn = 10; pn < 13; pn++)
		recv_pkt(&ag, APP, pn, MS);
	quic_ackgen_on_ack_of_ack(&ag, APP, a.largest);
	/* Never received, but at or below the acknowledged ACK: refused now (§13.2.3). */
	cr_assert(quic_ackgen_is_duplicate(&ag, APP, 5));
	cr_assert(quic_ackgen_is_duplicate(&ag, APP, 9));
	write_ack(&ag, APP, MS, &a);
	cr_assert(eq(u64, a.largest, 12));
	cr_assert(eq(u64, a.f.ack.first_range, 2));
	cr_assert(eq(u64, a.f.ack.range_count, 0));
	/* A value above anything received is not ours: ignored. */
	quic_ackgen_on_ack_of_ack(&ag, APP, 100);
	cr_assert(not(quic_ackgen_is_duplicate(&ag, APP, 13)));
	/* Everything acknowledged back: nothing left to send, nothing due. */
	recv_pkt(&ag, APP, 13, 2 * MS);
	quic_ackgen_on_ack_of_ack(&ag, APP, 13);
	cr_assert(not(quic_ackgen_has_new(&ag, APP)));
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, APP), QUIC_TIMER_NONE));
	{
		uint8_t buf[64];
		struct crypto_wr w;

		crypto_wr_init(&w, buf, sizeof(buf));
		cr_assert(eq(int, quic_ackgen_write(&ag, APP, &w, 3 * MS, NULL), QUIC_ERR_INVAL));
	}
	/* The largest is kept for packet number decoding. */
	cr_assert(eq(u64, quic_ackgen_largest(&ag, APP), 13));
	recv_pkt(&ag, APP, 14, 3 * MS);
	quic_ackgen_fini(&ag);
}

HB_TEST(ackgen, write_needs_room)
{
	struct quic_ackgen ag;
	uint8_t buf[2];
	struct crypto_wr w;

	ag_init(&ag);
	recv_pkt(&ag, INIT, 1000, 0);
	crypto_wr_init(&w, buf, sizeof(buf));
	cr_assert(eq(int, quic_ackgen_write(&ag, INIT, &w, 0, NULL), QUIC_ERR_BUFFER));
	cr_assert(eq(sz, crypto_wr_len(&w), 0));
	/* Still due. */
	cr_assert(quic_ackgen_ack_due(&ag, INIT, 0));
	cr_assert(quic_ackgen_has_new(&ag, INIT));
	quic_ackgen_fini(&ag);
}

HB_TEST(ackgen, discarded_space)
{
	struct quic_ackgen ag;
	uint8_t buf[64];
	struct crypto_wr w;

	ag_init(&ag);
	recv_pkt(&ag, INIT, 0, 0);
	recv_pkt(&ag, APP, 0, 0);
	quic_ackgen_discard(&ag, INIT);
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, INIT), QUIC_TIMER_NONE));
	cr_assert(eq(u64, quic_ackgen_timer(&ag), MAD));
	cr_assert(not(quic_ackgen_on_received(&ag, INIT, 1, true, QUIC_ECN_NOT_ECT, 0)));
	cr_assert(quic_ackgen_is_duplicate(&ag, INIT, 1));
	cr_assert(not(quic_ackgen_has_new(&ag, INIT)));
	crypto_wr_init(&w, buf, sizeof(buf));
	cr_assert(eq(int, quic_ackgen_write(&ag, INIT, &w, 0, NULL), QUIC_ERR_INVAL));
	quic_ackgen_fini(&ag);
}

/* Receive every other number from first, n of them: n ranges of one number each. */
static void
recv_gaps(struct quic_ackgen *ag, enum quic_pn_space space, uint64_t first, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		recv_pkt(ag, space, first + 2 * i, 0);
}

/* The ACK frame of space holds n ranges, one number each, the highest first + 2 * (n - 1). */
static void
check_gaps(struct quic_ackgen *ag, enum quic_pn_space space, uint64_t first, unsigned n)
{
	struct wack a;

	write_ack(ag, space, 0, &a);
	cr_assert(eq(sz, a.n, n));
	for (unsigned i = 0; i < n; i++) {
		cr_assert(eq(u64, a.ranges[i].largest, first + 2 * (n - 1 - i)));
		cr_assert(eq(u64, a.ranges[i].smallest, first + 2 * (n - 1 - i)));
	}
}

/*
 * Initial and Handshake hold QUIC_ACKGEN_HS_RANGES each (RFC 9000 §13.2.3): one more drops
 * the oldest, counted; the Application space is not limited by them. Once both are discarded
 * (RFC 9001 §4.9) their storage is freed and they record nothing.
 */
HB_TEST(ackgen, handshake_spaces_bounded_then_freed)
{
	struct quic_ackgen ag;

	ag_init(&ag);
	cr_assert(eq(sz, quic_ackgen_mem_bytes(&ag), sizeof(struct quic_ackgen_hs)));
	recv_gaps(&ag, INIT, 1000, QUIC_ACKGEN_HS_RANGES + 1);
	recv_gaps(&ag, HS, 2000, QUIC_ACKGEN_HS_RANGES + 1);
	recv_gaps(&ag, APP, 0, QUIC_ACKGEN_MAX_RANGES);
	check_gaps(&ag, INIT, 1002, QUIC_ACKGEN_HS_RANGES);
	check_gaps(&ag, HS, 2002, QUIC_ACKGEN_HS_RANGES);
	check_gaps(&ag, APP, 0, QUIC_ACKGEN_MAX_RANGES);
	cr_assert(eq(u64, quic_ackgen_ranges_dropped(&ag), 2));
	cr_assert(quic_ackgen_is_duplicate(&ag, INIT, 1000));
	cr_assert(not(quic_ackgen_is_duplicate(&ag, INIT, 1001)));

	quic_ackgen_discard(&ag, INIT);
	/* Handshake's ranges are untouched by Initial going. */
	check_gaps(&ag, HS, 2002, QUIC_ACKGEN_HS_RANGES);
	cr_assert(eq(u32, quic_ackgen_ranges(&ag, INIT), 0));
	cr_assert(ag.hs != NULL);
	quic_ackgen_discard(&ag, HS);
	cr_assert(ag.hs == NULL);
	cr_assert(eq(sz, quic_ackgen_mem_bytes(&ag),
		     QUIC_ACKGEN_MAX_RANGES * sizeof(struct quic_ack_range)));
	cr_assert(not(quic_ackgen_on_received(&ag, HS, 5000, true, QUIC_ECN_NOT_ECT, 0)));
	cr_assert(quic_ackgen_is_duplicate(&ag, HS, 5000));
	cr_assert(eq(u64, quic_ackgen_largest(&ag, HS), UINT64_MAX));
	cr_assert(eq(u64, quic_ackgen_deadline(&ag, INIT), QUIC_TIMER_NONE));
	quic_ackgen_discard(&ag, HS); /* again: nothing to do */
	check_gaps(&ag, APP, 0, QUIC_ACKGEN_MAX_RANGES);
	quic_ackgen_fini(&ag);
}

/*
 * The Application space keeps QUIC_ACKGEN_INLINE_RANGES ranges without an allocation (issue
 * #6); a further gap moves them to a heap array of QUIC_ACKGEN_MAX_RANGES, losing none; once
 * our ACK is acknowledged (RFC 9000 §13.2.4) and half of the inline ones or fewer are left,
 * the array is freed, and a later burst of gaps spills again.
 */
HB_TEST(ackgen, app_ranges_spill_to_heap_and_back)
{
	const size_t spill = QUIC_ACKGEN_MAX_RANGES * sizeof(struct quic_ack_range);
	struct quic_ackgen ag;
	struct wack a;

	ag_init(&ag);
	quic_ackgen_discard(&ag, INIT);
	quic_ackgen_discard(&ag, HS);
	recv_gaps(&ag, APP, 0, QUIC_ACKGEN_INLINE_RANGES);
	cr_assert(eq(sz, quic_ackgen_mem_bytes(&ag), 0));
	recv_pkt(&ag, APP, 2 * QUIC_ACKGEN_INLINE_RANGES, 0);
	cr_assert(eq(sz, quic_ackgen_mem_bytes(&ag), spill));
	cr_assert(eq(u64, quic_ackgen_ranges_dropped(&ag), 0));
	check_gaps(&ag, APP, 0, QUIC_ACKGEN_INLINE_RANGES + 1);

	/* Filling gaps from the top merges ranges; still spilled above half the inline ones. */
	for (unsigned g = 0; g < QUIC_ACKGEN_INLINE_RANGES / 2; g++)
		recv_pkt(&ag, APP, 2 * QUIC_ACKGEN_INLINE_RANGES - 1 - 2 * g, 0);
	cr_assert(eq(u32, quic_ackgen_ranges(&ag, APP), QUIC_ACKGEN_INLINE_RANGES / 2 + 1));
	cr_assert(eq(sz, quic_ackgen_mem_bytes(&ag), spill));
	/* The ACK of the ACK for pn 0 drops the lowest range: back inline, ranges intact. */
	quic_ackgen_on_ack_of_ack(&ag, APP, 0);
	cr_assert(eq(u32, quic_ackgen_ranges(&ag, APP), QUIC_ACKGEN_INLINE_RANGES / 2));
	cr_assert(eq(sz, quic_ackgen_mem_bytes(&ag), 0));
	write_ack(&ag, APP, 0, &a);
	cr_assert(eq(sz, a.n, QUIC_ACKGEN_INLINE_RANGES / 2));
	cr_assert(eq(u64, a.largest, 2 * QUIC_ACKGEN_INLINE_RANGES));
	cr_assert(eq(u64, a.ranges[a.n - 1].smallest, 2));
	cr_assert(quic_ackgen_is_duplicate(&ag, APP, 0));
	cr_assert(not(quic_ackgen_is_duplicate(&ag, APP, 1)));
	cr_assert(not(quic_ackgen_is_duplicate(&ag, APP, 3)));

	/* Spills again, and the whole table's bound holds: the oldest range goes, counted. */
	recv_gaps(&ag, APP, 100, QUIC_ACKGEN_MAX_RANGES - QUIC_ACKGEN_INLINE_RANGES / 2);
	cr_assert(eq(u32, quic_ackgen_ranges(&ag, APP), QUIC_ACKGEN_MAX_RANGES));
	cr_assert(eq(sz, quic_ackgen_mem_bytes(&ag), spill));
	cr_assert(eq(u64, quic_ackgen_ranges_dropped(&ag), 0));
	recv_pkt(&ag, APP, 1000, 0);
	cr_assert(eq(u32, quic_ackgen_ranges(&ag, APP), QUIC_ACKGEN_MAX_RANGES));
	cr_assert(eq(u64, quic_ackgen_ranges_dropped(&ag), 1));
	/* Discarding the space (or fini) frees the array. */
	quic_ackgen_discard(&ag, APP);
	cr_assert(eq(sz, quic_ackgen_mem_bytes(&ag), 0));
	cr_assert(quic_ackgen_is_duplicate(&ag, APP, 2000));
	quic_ackgen_fini(&ag);
}

/* A spilled table is freed by quic_ackgen_fini() (the leak check of HB_TEST). */
HB_TEST(ackgen, fini_frees_spilled_ranges)
{
	struct quic_ackgen ag;

	ag_init(&ag);
	recv_gaps(&ag, APP, 0, QUIC_ACKGEN_INLINE_RANGES + 1);
	cr_assert(eq(sz, quic_ackgen_mem_bytes(&ag),
		     sizeof(struct quic_ackgen_hs) +
			     QUIC_ACKGEN_MAX_RANGES * sizeof(struct quic_ack_range)));
	quic_ackgen_fini(&ag);
	cr_assert(eq(sz, quic_ackgen_mem_bytes(&ag), 0));
	quic_ackgen_fini(&ag); /* twice is harmless */
}
