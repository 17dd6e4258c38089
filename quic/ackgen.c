/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ACK generation (RFC 9000 §13.2): received packet numbers as a short table of ranges per
 * space, the immediate-ACK rules and the max_ack_delay timer, ECN counts.
 */
#include <stdlib.h>
#include <string.h>

#include <quic/ackgen.h>
#include <quic/error.h>

#define PN_NONE UINT64_MAX
/* RFC 9000 §18.2: max_ack_delay values of 2^14 ms or more are invalid. */
#define MAX_ACK_DELAY_LIMIT_NS (UINT64_C(16384) * 1000000)

/* What a discarded handshake space reads as once its storage is freed. */
static const struct quic_ackgen_space space_gone = {
	.largest = PN_NONE,
	.largest_ack_eliciting = PN_NONE,
	.deadline = QUIC_TIMER_NONE,
	.discarded = true,
};

static bool
valid_space(enum quic_pn_space space)
{
	return (unsigned)space < QUIC_PN_SPACE_COUNT;
}

static const struct quic_ackgen_space *
sp_get(const struct quic_ackgen *ag, enum quic_pn_space space)
{
	if (space == QUIC_PN_SPACE_APP)
		return &ag->app;
	if (!valid_space(space) || ag->hs == NULL)
		return &space_gone;
	return &ag->hs->sp[space];
}

/* A space that may record packets: NULL when invalid or discarded. */
static struct quic_ackgen_space *
sp_mut(struct quic_ackgen *ag, enum quic_pn_space space)
{
	struct quic_ackgen_space *sp;

	if (space == QUIC_PN_SPACE_APP)
		sp = &ag->app;
	else if (valid_space(space) && ag->hs != NULL)
		sp = &ag->hs->sp[space];
	else
		return NULL;
	return sp->discarded ? NULL : sp;
}

static void
space_reset(struct quic_ackgen_space *sp, struct quic_ack_range *ranges, uint32_t cap)
{
	memset(sp, 0, sizeof(*sp));
	sp->ranges = ranges;
	sp->cap = cap;
	sp->largest = PN_NONE;
	sp->largest_ack_eliciting = PN_NONE;
	sp->deadline = QUIC_TIMER_NONE;
}

/* Give the Application space's heap array back, if it has one. */
static void
app_free_spill(struct quic_ackgen *ag)
{
	if (ag->app.ranges != ag->inl)
		free(ag->app.ranges);
	ag->app.ranges = ag->inl;
	ag->app.cap = QUIC_ACKGEN_INLINE_RANGES;
}

int
quic_ackgen_init(struct quic_ackgen *ag, uint64_t max_ack_delay_ns, uint8_t ack_delay_exponent)
{
	memset(ag, 0, sizeof(*ag));
	if (ack_delay_exponent > 20 || max_ack_delay_ns >= MAX_ACK_DELAY_LIMIT_NS)
		return QUIC_ERR_INVAL;
	space_reset(&ag->app, ag->inl, QUIC_ACKGEN_INLINE_RANGES);
	ag->max_ack_delay = max_ack_delay_ns;
	ag->ack_delay_exponent = ack_delay_exponent;
	ag->hs = malloc(sizeof(*ag->hs));
	if (ag->hs == NULL)
		return QUIC_ERR_NOMEM;
	for (int s = QUIC_PN_SPACE_INITIAL; s <= QUIC_PN_SPACE_HANDSHAKE; s++)
		space_reset(&ag->hs->sp[s], ag->hs->ranges[s], QUIC_ACKGEN_HS_RANGES);
	return 0;
}

void
quic_ackgen_fini(struct quic_ackgen *ag)
{
	free(ag->hs);
	ag->hs = NULL;
	app_free_spill(ag);
}

size_t
quic_ackgen_mem_bytes(const struct quic_ackgen *ag)
{
	size_t n = ag->hs != NULL ? sizeof(*ag->hs) : 0;

	if (ag->app.ranges != ag->inl)
		n += QUIC_ACKGEN_MAX_RANGES * sizeof(struct quic_ack_range);
	return n;
}

uint32_t
quic_ackgen_ranges(const struct quic_ackgen *ag, enum quic_pn_space space)
{
	return sp_get(ag, space)->n;
}

uint64_t
quic_ackgen_ranges_dropped(const struct quic_ackgen *ag)
{
	return ag->ranges_dropped;
}

static bool
space_has(const struct quic_ackgen_space *sp, uint64_t pn)
{
	if (pn < sp->floor)
		return true;
	for (size_t i = 0; i < sp->n && pn <= sp->ranges[i].largest; i++)
		if (pn >= sp->ranges[i].smallest)
			return true;
	return false;
}

bool
quic_ackgen_is_duplicate(const struct quic_ackgen *ag, enum quic_pn_space space, uint64_t pn)
{
	const struct quic_ackgen_space *sp = sp_get(ag, space);

	if (sp->discarded || pn > QUIC_VARINT_MAX)
		return true;
	return space_has(sp, pn);
}

static void
remove_range(struct quic_ackgen_space *sp, size_t i)
{
	memmove(&sp->ranges[i], &sp->ranges[i + 1], (sp->n - i - 1) * sizeof(sp->ranges[0]));
	sp->n--;
}

/*
 * Room for one more range in a full space: the Application space moves from its inline
 * ranges to a heap array of QUIC_ACKGEN_MAX_RANGES. @return false: the space stays full
 */
static bool
grow(struct quic_ackgen *ag, struct quic_ackgen_space *sp)
{
	struct quic_ack_range *r;

	if (sp != &ag->app || sp->ranges != ag->inl)
		return false;
	r = malloc(QUIC_ACKGEN_MAX_RANGES * sizeof(*r));
	if (r == NULL)
		return false; /* as with a full table: the oldest range goes (counted) */
	memcpy(r, sp->ranges, sp->n * sizeof(*r));
	sp->ranges = r;
	sp->cap = QUIC_ACKGEN_MAX_RANGES;
	return true;
}

/* Back to the inline ranges once few are live (half of them: no free/malloc ping-pong). */
static void
app_shrink(struct quic_ackgen *ag)
{
	struct quic_ackgen_space *sp = &ag->app;

	if (sp->ranges == ag->inl || sp->n > QUIC_ACKGEN_INLINE_RANGES / 2)
		return;
	memcpy(ag->inl, sp->ranges, sp->n * sizeof(ag->inl[0]));
	app_free_spill(ag);
}

/* A new single-number range at position i, dropping the oldest range when the space is full. */
static bool
insert_range(struct quic_ackgen *ag, struct quic_ackgen_space *sp, size_t i, uint64_t pn)
{
	if (sp->n == sp->cap && !grow(ag, sp)) {
		if (i == sp->n)
			return false; /* it would be the range dropped */
		sp->n--;
		sp->floor = sp->ranges[sp->n].largest + 1;
		ag->ranges_dropped++;
	}
	memmove(&sp->ranges[i + 1], &sp->ranges[i], (sp->n - i) * sizeof(sp->ranges[0]));
	sp->ranges[i].smallest = pn;
	sp->ranges[i].largest = pn;
	sp->n++;
	return true;
}

/* Add pn (not yet present) to the ranges, merging neighbours. */
static bool
add_pn(struct quic_ackgen *ag, struct quic_ackgen_space *sp, uint64_t pn)
{
	for (size_t i = 0; i < sp->n; i++) {
		struct quic_ack_range *r = &sp->ranges[i];

		if (pn > r->largest + 1)
			return insert_range(ag, sp, i, pn);
		if (pn == r->largest + 1) {
			/* The range above starts at least two higher, or it would have matched. */
			r->largest = pn;
			return true;
		}
		if (pn + 1 == r->smallest) {
			r->smallest = pn;
			if (i + 1 < sp->n && sp->ranges[i + 1].largest + 1 == pn) {
				r->smallest = sp->ranges[i + 1].smallest;
				remove_range(sp, i + 1);
			}
			return true;
		}
	}
	return insert_range(ag, sp, sp->n, pn);
}

/*
 * RFC 9000 §13.2.1: acknowledge at once an ack-eliciting packet that arrives below the
 * largest ack-eliciting one, or above it with packets missing in between.
 */
static bool
out_of_order(const struct quic_ackgen_space *sp, uint64_t pn)
{
	uint64_t prev = sp->largest_ack_eliciting;

	if (prev == PN_NONE)
		return false;
	if (pn < prev)
		return true;
	for (size_t i = 0; i < sp->n; i++) {
		const struct quic_ack_range *r = &sp->ranges[i];

		if (pn >= r->smallest && pn <= r->largest)
			return r->smallest > prev + 1 && r->smallest > sp->floor;
	}
	return true;
}

static void
count_ecn(struct quic_ackgen_space *sp, enum quic_ecn ecn)
{
	switch (ecn) {
	case QUIC_ECN_ECT0:
		sp->ecn.ect0++;
		break;
	case QUIC_ECN_ECT1:
		sp->ecn.ect1++;
		break;
	case QUIC_ECN_CE:
		sp->ecn.ce++;
		break;
	default:
		return;
	}
	sp->ecn_seen = true;
}

/* Arm the ACK deadline for an ack-eliciting packet arriving at now. */
static void
arm_deadline(struct quic_ackgen *ag, enum quic_pn_space space, uint64_t pn, enum quic_ecn ecn,
	     uint64_t now)
{
	struct quic_ackgen_space *sp = sp_mut(ag, space);
	bool immediate;

	sp->unacked_ack_eliciting++;
	/* §13.2.1: Initial and Handshake at once; CE-marked at once; §13.2.2 every second. */
	immediate = space != QUIC_PN_SPACE_APP || ecn == QUIC_ECN_CE ||
		    sp->unacked_ack_eliciting >= QUIC_ACKGEN_PACKET_THRESHOLD ||
		    out_of_order(sp, pn);
	if (sp->largest_ack_eliciting == PN_NONE || pn > sp->largest_ack_eliciting)
		sp->largest_ack_eliciting = pn;
	if (immediate) {
		if (now < sp->deadline)
			sp->deadline = now;
	} else if (sp->deadline == QUIC_TIMER_NONE) {
		sp->deadline = now + ag->max_ack_delay;
	}
}

bool
quic_ackgen_on_received(struct quic_ackgen *ag, enum quic_pn_space space, uint64_t pn,
			bool ack_eliciting, enum quic_ecn ecn, uint64_t now)
{
	struct quic_ackgen_space *sp;

	if (quic_ackgen_is_duplicate(ag, space, pn))
		return false;
	sp = sp_mut(ag, space);
	if (!add_pn(ag, sp, pn))
		return false;
	app_shrink(ag); /* a merge may have made the spilled ranges few again */
	count_ecn(sp, ecn);
	if (sp->largest == PN_NONE || pn > sp->largest) {
		sp->largest = pn;
		sp->largest_time = now;
	}
	sp->pending = true;
	if (ack_eliciting)
		arm_deadline(ag, space, pn, ecn, now);
	return true;
}

uint64_t
quic_ackgen_deadline(const struct quic_ackgen *ag, enum quic_pn_space space)
{
	return sp_get(ag, space)->deadline; /* QUIC_TIMER_NONE once discarded */
}

uint64_t
quic_ackgen_timer(const struct quic_ackgen *ag)
{
	uint64_t t = QUIC_TIMER_NONE;

	for (int s = 0; s < QUIC_PN_SPACE_COUNT; s++) {
		uint64_t d = quic_ackgen_deadline(ag, (enum quic_pn_space)s);

		if (d < t)
			t = d;
	}
	return t;
}

bool
quic_ackgen_ack_due(const struct quic_ackgen *ag, enum quic_pn_space space, uint64_t now)
{
	return quic_ackgen_deadline(ag, space) <= now;
}

bool
quic_ackgen_has_new(const struct quic_ackgen *ag, enum quic_pn_space space)
{
	const struct quic_ackgen_space *sp = sp_get(ag, space);

	return !sp->discarded && sp->pending && sp->n > 0;
}

uint64_t
quic_ackgen_largest(const struct quic_ackgen *ag, enum quic_pn_space space)
{
	return sp_get(ag, space)->largest;
}

/* ACK Delay field (RFC 9000 §13.2.5, §19.3): microseconds scaled down by our exponent. */
static uint64_t
ack_delay_field(const struct quic_ackgen *ag, enum quic_pn_space space, uint64_t now)
{
	const struct quic_ackgen_space *sp = sp_get(ag, space);
	uint64_t delay_us;

	if (space == QUIC_PN_SPACE_INITIAL || now <= sp->largest_time)
		return 0;
	delay_us = (now - sp->largest_time) / 1000;
	return (delay_us >> ag->ack_delay_exponent) & QUIC_VARINT_MAX;
}

int
quic_ackgen_write(struct quic_ackgen *ag, enum quic_pn_space space, struct crypto_wr *w,
		  uint64_t now, uint64_t *largest_acked)
{
	struct quic_ackgen_space *sp;
	size_t written;
	int err;

	sp = sp_mut(ag, space);
	if (sp == NULL || sp->n == 0)
		return QUIC_ERR_INVAL;
	err = quic_frame_encode_ack(w, sp->ranges, sp->n, ack_delay_field(ag, space, now),
				    sp->ecn_seen ? &sp->ecn : NULL, &written);
	if (err != 0)
		return err;
	if (largest_acked != NULL)
		*largest_acked = sp->ranges[0].largest;
	sp->pending = false;
	sp->unacked_ack_eliciting = 0;
	sp->deadline = QUIC_TIMER_NONE;
	return 0;
}

void
quic_ackgen_on_ack_of_ack(struct quic_ackgen *ag, enum quic_pn_space space, uint64_t largest_acked)
{
	struct quic_ackgen_space *sp = sp_mut(ag, space);

	if (sp == NULL || largest_acked > QUIC_VARINT_MAX)
		return;
	/* Only what we acknowledged can be acknowledged back; ignore anything else. */
	if (sp->largest == PN_NONE || largest_acked > sp->largest)
		return;
	while (sp->n > 0 && sp->ranges[sp->n - 1].largest <= largest_acked)
		sp->n--;
	if (sp->n > 0 && sp->ranges[sp->n - 1].smallest <= largest_acked)
		sp->ranges[sp->n - 1].smallest = largest_acked + 1;
	if (largest_acked + 1 > sp->floor)
		sp->floor = largest_acked + 1;
	if (sp->n == 0) {
		/* Everything was acknowledged back: nothing is owed any more. */
		sp->pending = false;
		sp->unacked_ack_eliciting = 0;
		sp->deadline = QUIC_TIMER_NONE;
	}
	app_shrink(ag);
}

void
quic_ackgen_discard(struct quic_ackgen *ag, enum quic_pn_space space)
{
	struct quic_ackgen_space *sp = sp_mut(ag, space);

	if (sp == NULL)
		return;
	if (space == QUIC_PN_SPACE_APP) {
		app_free_spill(ag);
		space_reset(sp, ag->inl, QUIC_ACKGEN_INLINE_RANGES);
		sp->discarded = true;
		return;
	}
	/* A discarded handshake space records nothing; both gone, their storage goes. */
	space_reset(sp, NULL, 0);
	sp->discarded = true;
	if (ag->hs->sp[QUIC_PN_SPACE_INITIAL].discarded &&
	    ag->hs->sp[QUIC_PN_SPACE_HANDSHAKE].discarded) {
		free(ag->hs);
		ag->hs = NULL;
	}
}
