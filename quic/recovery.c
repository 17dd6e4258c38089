/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loss detection and RTT estimation, RFC 9002 §5-§7 following the pseudocode of Appendix A
 * and B; ECN validation (RFC 9000 §13.4.2); packet-number skipping (RFC 9000 §21.4).
 *
 * Sent packets of a space sit in a ring in packet-number order, from the oldest packet still
 * outstanding to the newest. The ring's storage is a struct quic_parray: blocks come from the
 * worker's pool as the ring fills and go back as its oldest records leave them, so an idle
 * connection holds no record at all, while the configured capacity stays the hard limit.
 * Acknowledged and lost records stay in place until the oldest outstanding packet moves past them:
 * persistent congestion (§7.6.2) needs to know whether a packet sent between two lost ones was
 * acknowledged, and those are exactly the records between them in the ring. An ACK frame is merged
 * against the ring from the top, range by range, so it costs its range count plus the ring size at
 * most.
 */
#include <stdlib.h>
#include <string.h>

#include <quic/error.h>
#include <quic/recovery.h>

#define PN_NONE UINT64_MAX

/* Record flags. */
#define REC_ACK_ELICITING 0x01u
#define REC_IN_FLIGHT	  0x02u
#define REC_ECT0	  0x04u
#define REC_ACKED	  0x08u
#define REC_LOST	  0x10u
#define REC_NEW		  0x20u /* acknowledged by the ACK frame being processed */
#define REC_DONE	  (REC_ACKED | REC_LOST)

#define MAX_SENT_CAP (UINT32_C(1) << 20)
#define MIN_SENT_CAP 8
/* RFC 9000 §13.4.2: mark the first ten packets of a path while testing ECN. */
#define ECN_TESTING_PACKETS 10
/* Bounds on the average distance between skipped packet numbers, in packets. */
#define SKIP_SPAN_MIN 16
#define SKIP_SPAN_MAX 1024

struct sent_rec {
	uint64_t pn;
	uint64_t time_sent;
	uint64_t cookie;
	uint32_t size;
	uint32_t flags;
};

struct space_state {
	struct quic_parray ring;
	uint32_t cap;
	uint32_t head;	/* physical index of the oldest record */
	uint32_t count; /* records from head on, done ones included */
	uint32_t outstanding;
	uint32_t in_flight; /* outstanding records counted in bytes in flight */
	uint32_t ack_eliciting_in_flight;
	uint64_t next_pn;
	uint64_t largest_sent;		  /* PN_NONE before the first packet */
	uint64_t largest_acked;		  /* PN_NONE before the first ACK */
	uint64_t largest_acked_time_sent; /* send time of largest_acked */
	uint64_t last_ack_eliciting_time;
	uint64_t loss_time; /* QUIC_TIMER_NONE when unset */
	uint64_t ect0_sent;
	struct quic_ack_ecn peer_ecn; /* counts of the last ACK_ECN frame processed */
	bool discarded;
};

enum ecn_state {
	ECN_OFF,     /* disabled by configuration */
	ECN_TESTING, /* marking the first packets */
	ECN_UNKNOWN, /* testing done, no marking until validated */
	ECN_CAPABLE,
	ECN_FAILED,
};

struct quic_recovery {
	struct space_state app_sp;
	/* Initial and Handshake, apart: freed once both are discarded (RFC 9001 §4.9), 304 bytes
	 * an established connection no longer carries (issue #6). NULL: both gone. */
	struct space_state *hs_sp;
	struct quic_rtt rtt;
	struct quic_cc cc;
	struct quic_pacer pacer;
	quic_recovery_pkt_fn on_pkt;
	void *ctx;
	uint64_t max_ack_delay;
	uint8_t ack_delay_exp;
	unsigned pto_count;
	uint64_t timer;
	bool is_server;
	bool handshake_confirmed;
	bool has_handshake_keys;
	bool handshake_acked; /* a client received an ACK in a Handshake packet */
	bool peer_validated;
	bool amp_blocked;
	/* RFC 9000 §21.4 */
	bool skip_pn;
	uint64_t rng;
	uint64_t next_skip;
	uint64_t skipped[QUIC_RECOVERY_MAX_SKIPPED]; /* ascending, oldest at skipped_head */
	uint32_t skipped_head;
	uint32_t skipped_count;
	/* RFC 9000 §13.4.2 */
	enum ecn_state ecn;
	uint64_t ecn_marked_sent;
	uint64_t ecn_marked_acked;
	uint64_t ecn_marked_lost;
};

/* What a discarded space reads as once its storage is freed: empty, nothing to time. */
static const struct space_state space_gone = {
	.next_pn = PN_NONE,
	.largest_sent = PN_NONE,
	.largest_acked = PN_NONE,
	.loss_time = QUIC_TIMER_NONE,
	.discarded = true,
};

static const struct space_state *
sp_get(const struct quic_recovery *r, int s)
{
	if (s == QUIC_PN_SPACE_APP)
		return &r->app_sp;
	return r->hs_sp != NULL ? &r->hs_sp[s] : &space_gone;
}

/* A space to change; NULL once its storage is gone (it is discarded: nothing may change). */
static struct space_state *
sp_mut(struct quic_recovery *r, int s)
{
	if (s == QUIC_PN_SPACE_APP)
		return &r->app_sp;
	return r->hs_sp != NULL ? &r->hs_sp[s] : NULL;
}

/* What one ACK frame newly acknowledged: ring positions lo..hi hold the REC_NEW records. */
struct ack_scan {
	uint32_t lo;
	uint32_t hi;
	uint32_t n_new;
	uint64_t ect0_new;
	const struct sent_rec *largest; /* the frame's largest, when newly acknowledged */
	bool ack_eliciting;
};

/* A run of lost ack-eliciting packets with no acknowledged packet between them (§7.6.2). */
struct pc_run {
	uint64_t start;
	uint64_t end;
	uint64_t duration;
	bool open;
	bool established;
};

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t
sat_sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static uint64_t
sat_mul(uint64_t a, uint64_t b)
{
	return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

static uint64_t
max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static struct sent_rec *
rec_at(const struct space_state *sp, uint32_t i)
{
	uint32_t p = sp->head + i; /* head, i < cap: no division needed (hot in ACK scans) */

	return quic_parray_at(&sp->ring, p >= sp->cap ? p - sp->cap : p);
}

static bool
valid_space(enum quic_pn_space space)
{
	return (unsigned)space < QUIC_PN_SPACE_COUNT;
}

/* ---- RTT, RFC 9002 §5 ---- */

void
quic_rtt_init(struct quic_rtt *rtt, uint64_t initial_rtt)
{
	memset(rtt, 0, sizeof(*rtt));
	rtt->smoothed = initial_rtt;
	rtt->var = initial_rtt / 2;
}

void
quic_rtt_update(struct quic_rtt *rtt, uint64_t latest_rtt, uint64_t ack_delay,
		uint64_t max_ack_delay, bool handshake_confirmed, uint64_t now)
{
	uint64_t adjusted = latest_rtt;
	uint64_t diff;

	rtt->latest = latest_rtt;
	if (!rtt->has_sample) {
		/* §5.3: the first sample resets the estimator. */
		rtt->min = latest_rtt;
		rtt->smoothed = latest_rtt;
		rtt->var = latest_rtt / 2;
		rtt->first_sample_time = now;
		rtt->has_sample = true;
		return;
	}
	/* §5.2: min_rtt ignores the acknowledgment delay. */
	if (latest_rtt < rtt->min)
		rtt->min = latest_rtt;
	if (handshake_confirmed && ack_delay > max_ack_delay)
		ack_delay = max_ack_delay;
	/* §5.3: subtract the delay only if the result stays at or above min_rtt. */
	if (latest_rtt >= sat_add(rtt->min, ack_delay))
		adjusted = latest_rtt - ack_delay;
	/* §A.7 UpdateRtt order (RFC 6298 §2.3): rttvar from the previous smoothed_rtt. */
	diff = rtt->smoothed > adjusted ? rtt->smoothed - adjusted : adjusted - rtt->smoothed;
	rtt->var = (3 * rtt->var + diff) / 4;
	rtt->smoothed = (7 * rtt->smoothed + adjusted) / 8;
}

uint64_t
quic_rtt_pto_base(const struct quic_rtt *rtt)
{
	return sat_add(rtt->smoothed, max_u64(sat_mul(rtt->var, 4), QUIC_K_GRANULARITY_NS));
}

/* ---- Creation ---- */

void
quic_recovery_config_default(struct quic_recovery_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cc_algo = "newreno";
	cfg->max_datagram_size = QUIC_CC_MIN_DATAGRAM;
	cfg->sent_cap = 1024;
	cfg->sent_cap_handshake = 64;
	cfg->initial_rtt_ns = QUIC_K_INITIAL_RTT_NS;
	cfg->max_ack_delay_ns = QUIC_DEFAULT_MAX_ACK_DELAY_NS;
	cfg->ack_delay_exponent = QUIC_DEFAULT_ACK_DELAY_EXP;
	cfg->skip_pn = true;
	cfg->ecn = true;
}

static bool
config_valid(const struct quic_recovery_config *cfg)
{
	return cfg->on_pkt != NULL && quic_cc_find(cfg->cc_algo) != NULL &&
	       cfg->max_datagram_size >= QUIC_CC_MIN_DATAGRAM &&
	       cfg->max_datagram_size <= UINT16_MAX && cfg->sent_cap >= MIN_SENT_CAP &&
	       cfg->sent_cap <= MAX_SENT_CAP && cfg->sent_cap_handshake >= MIN_SENT_CAP &&
	       cfg->sent_cap_handshake <= MAX_SENT_CAP && cfg->initial_rtt_ns > 0 &&
	       cfg->ack_delay_exponent <= 20;
}

/* xorshift64*: cheap, deterministic for a seed, good enough to hide skip positions. */
static uint64_t
next_random(struct quic_recovery *r)
{
	uint64_t x = r->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->rng = x;
	return x * UINT64_C(0x2545F4914F6CDD1D);
}

/*
 * Choose the next packet number to skip. The average distance follows the congestion window
 * in packets, so an optimistic ACK covering a window's worth of packets it did not receive
 * likely covers a skipped number (the CWND-aware skipping of the CVE-2025-4820 fix).
 */
static void
schedule_skip(struct quic_recovery *r)
{
	uint64_t span = r->cc.cwnd / r->cc.max_datagram_size;

	if (span < SKIP_SPAN_MIN)
		span = SKIP_SPAN_MIN;
	if (span > SKIP_SPAN_MAX)
		span = SKIP_SPAN_MAX;
	r->next_skip = r->app_sp.next_pn + span / 2 + next_random(r) % span;
}

static void
space_init(struct space_state *sp, struct quic_pool *pool, uint32_t cap)
{
	memset(sp, 0, sizeof(*sp));
	(void)quic_parray_init(&sp->ring, pool, sizeof(struct sent_rec), cap);
	sp->cap = cap;
	sp->largest_sent = PN_NONE;
	sp->largest_acked = PN_NONE;
	sp->loss_time = QUIC_TIMER_NONE;
}

size_t
quic_recovery_size(const struct quic_recovery_config *cfg)
{
	return config_valid(cfg) ? sizeof(struct quic_recovery) : 0;
}

int
quic_recovery_init(void *mem, size_t len, const struct quic_recovery_config *cfg,
		   struct quic_recovery **out)
{
	size_t need = quic_recovery_size(cfg);
	struct quic_recovery *r = mem;
	uint32_t hs = cfg->sent_cap_handshake;

	if (need == 0 || mem == NULL || len < need)
		return QUIC_ERR_INVAL;
	memset(r, 0, need);
	r->hs_sp = calloc(2, sizeof(*r->hs_sp));
	if (r->hs_sp == NULL)
		return QUIC_ERR_NOMEM;
	space_init(&r->hs_sp[QUIC_PN_SPACE_INITIAL], cfg->pool, hs);
	space_init(&r->hs_sp[QUIC_PN_SPACE_HANDSHAKE], cfg->pool, hs);
	space_init(&r->app_sp, cfg->pool, cfg->sent_cap);
	quic_rtt_init(&r->rtt, cfg->initial_rtt_ns);
	(void)quic_cc_init(&r->cc, cfg->cc_algo, cfg->max_datagram_size);
	quic_pacer_init(&r->pacer, cfg->pacing_burst != 0 ? cfg->pacing_burst : r->cc.cwnd);
	r->on_pkt = cfg->on_pkt;
	r->ctx = cfg->ctx;
	r->max_ack_delay = cfg->max_ack_delay_ns;
	r->ack_delay_exp = cfg->ack_delay_exponent;
	r->timer = QUIC_TIMER_NONE;
	r->is_server = cfg->is_server;
	r->skip_pn = cfg->skip_pn;
	r->rng = cfg->skip_seed != 0 ? cfg->skip_seed : UINT64_C(0x9E3779B97F4A7C15);
	r->next_skip = PN_NONE;
	if (r->skip_pn)
		schedule_skip(r);
	r->ecn = cfg->ecn ? ECN_TESTING : ECN_OFF;
	*out = r;
	return 0;
}

int
quic_recovery_new(struct quic_recovery **out, const struct quic_recovery_config *cfg)
{
	size_t need = quic_recovery_size(cfg);
	void *mem;
	int rc;

	if (need == 0)
		return QUIC_ERR_INVAL;
	mem = calloc(1, need);
	if (mem == NULL)
		return QUIC_ERR_NOMEM;
	rc = quic_recovery_init(mem, need, cfg, out);
	if (rc != 0)
		free(mem);
	return rc;
}

void
quic_recovery_fini(struct quic_recovery *r)
{
	if (r == NULL)
		return;
	quic_parray_clear(&r->app_sp.ring);
	for (int s = 0; r->hs_sp != NULL && s < QUIC_PN_SPACE_APP; s++)
		quic_parray_clear(&r->hs_sp[s].ring);
	free(r->hs_sp);
	r->hs_sp = NULL;
}

void
quic_recovery_free(struct quic_recovery *r)
{
	quic_recovery_fini(r);
	free(r);
}

size_t
quic_recovery_mem_bytes(const struct quic_recovery *r)
{
	size_t n = sizeof(*r) + (r->hs_sp != NULL ? 2 * sizeof(*r->hs_sp) : 0);

	for (int s = 0; s < QUIC_PN_SPACE_COUNT; s++)
		n += quic_parray_bytes(&sp_get(r, s)->ring);
	return n;
}

/* ---- Timer, RFC 9002 §A.8 ---- */

static bool
peer_completed_address_validation(const struct quic_recovery *r)
{
	/* Servers treat the client's address as validated implicitly (§A.8). */
	return r->is_server || r->handshake_acked || r->handshake_confirmed || r->peer_validated;
}

static bool
ack_eliciting_in_flight(const struct quic_recovery *r)
{
	for (int s = 0; s < QUIC_PN_SPACE_COUNT; s++)
		if (sp_get(r, s)->ack_eliciting_in_flight > 0)
			return true;
	return false;
}

/*
 * Whether a PTO can be armed for what is in flight. A client's 0-RTT packets (Application
 * space) get no PTO before the handshake is confirmed (§6.2.1), so with nothing else in flight
 * the anti-deadlock PTO of §6.2.2.1 applies: without it, a client whose 0-RTT fills the
 * congestion window could never send its Finished.
 */
static bool
pto_in_flight(const struct quic_recovery *r)
{
	if (r->is_server || r->handshake_confirmed)
		return ack_eliciting_in_flight(r);
	return sp_get(r, QUIC_PN_SPACE_INITIAL)->ack_eliciting_in_flight > 0 ||
	       sp_get(r, QUIC_PN_SPACE_HANDSHAKE)->ack_eliciting_in_flight > 0;
}

/* GetLossTimeAndSpace: earliest time-threshold deadline, or QUIC_TIMER_NONE. */
static uint64_t
loss_time_and_space(const struct quic_recovery *r, enum quic_pn_space *space)
{
	uint64_t t = QUIC_TIMER_NONE;

	*space = QUIC_PN_SPACE_INITIAL;
	for (int s = 0; s < QUIC_PN_SPACE_COUNT; s++) {
		if (sp_get(r, s)->loss_time < t) {
			t = sp_get(r, s)->loss_time;
			*space = (enum quic_pn_space)s;
		}
	}
	return t;
}

/* GetPtoTimeAndSpace, with saturating arithmetic for large backoffs. */
static uint64_t
pto_time_and_space(const struct quic_recovery *r, uint64_t now, enum quic_pn_space *space)
{
	uint64_t backoff = r->pto_count >= 62 ? UINT64_MAX : UINT64_C(1) << r->pto_count;
	uint64_t duration = sat_mul(quic_rtt_pto_base(&r->rtt), backoff);
	uint64_t best = QUIC_TIMER_NONE;

	/* §6.2.2.1: the client's anti-deadlock PTO runs from now. */
	if (!pto_in_flight(r)) {
		*space = r->has_handshake_keys ? QUIC_PN_SPACE_HANDSHAKE : QUIC_PN_SPACE_INITIAL;
		return sat_add(now, duration);
	}
	*space = QUIC_PN_SPACE_INITIAL;
	for (int s = 0; s < QUIC_PN_SPACE_COUNT; s++) {
		const struct space_state *sp = sp_get(r, s);
		uint64_t d = duration;
		uint64_t t;

		if (sp->ack_eliciting_in_flight == 0)
			continue;
		if (s == QUIC_PN_SPACE_APP) {
			/* §6.2.1: no Application PTO before the handshake is confirmed. */
			if (!r->handshake_confirmed)
				break;
			d = sat_add(d, sat_mul(r->max_ack_delay, backoff));
		}
		t = sat_add(sp->last_ack_eliciting_time, d);
		if (t < best) {
			best = t;
			*space = (enum quic_pn_space)s;
		}
	}
	return best;
}

static void
set_timer(struct quic_recovery *r, uint64_t now)
{
	enum quic_pn_space space;
	uint64_t t = loss_time_and_space(r, &space);

	if (t != QUIC_TIMER_NONE) {
		r->timer = t;
		return;
	}
	/* §6.2.2.1: a server blocked by the amplification limit arms nothing. */
	if (r->is_server && r->amp_blocked) {
		r->timer = QUIC_TIMER_NONE;
		return;
	}
	if (!ack_eliciting_in_flight(r) && peer_completed_address_validation(r)) {
		r->timer = QUIC_TIMER_NONE;
		return;
	}
	r->timer = pto_time_and_space(r, now, &space);
}

uint64_t
quic_recovery_timer(const struct quic_recovery *r)
{
	return r->timer;
}

/* ---- Sending, RFC 9002 §A.5 ---- */

uint64_t
quic_recovery_next_pn(const struct quic_recovery *r, enum quic_pn_space space)
{
	return valid_space(space) ? sp_get(r, space)->next_pn : PN_NONE;
}

static void
report(struct quic_recovery *r, enum quic_pn_space space, const struct sent_rec *rec,
       enum quic_pkt_fate fate)
{
	r->on_pkt(r->ctx, space, rec->pn, rec->cookie, fate);
}

/* Whether ring position p (physical) holds a live record. */
static bool
live_at(const struct space_state *sp, uint32_t p)
{
	uint32_t rel = (p + sp->cap - sp->head) % sp->cap;

	return rel < sp->count;
}

/*
 * Give back the blocks of positions [from, to) that no live record uses any more. Two arcs of
 * the ring meet exactly when one holds the other's start: a block is unused when it does not
 * hold the head and the live window does not hold its first position.
 */
static void
release_blocks(struct space_state *sp, uint32_t from, uint32_t to)
{
	uint32_t per = sp->ring.per_block;

	for (uint32_t b = from / per; b * per < to; b++) {
		uint32_t first = b * per;

		if (sp->count > 0 &&
		    (live_at(sp, first) || (sp->head >= first && sp->head < first + per)))
			continue;
		quic_parray_put_block(&sp->ring, b);
	}
}

/*
 * Drop acknowledged and lost records from the front of the ring, and give back the blocks
 * they leave empty (all of them once nothing is tracked).
 */
static void
pop_done(struct space_state *sp)
{
	uint32_t old = sp->head;

	while (sp->count > 0 && (rec_at(sp, 0)->flags & REC_DONE) != 0) {
		sp->head = (sp->head + 1) % sp->cap;
		sp->count--;
	}
	if (sp->count == 0) {
		quic_parray_clear(&sp->ring);
		sp->head = 0;
	} else if (sp->head / sp->ring.per_block != old / sp->ring.per_block) {
		if (sp->head > old)
			release_blocks(sp, old, sp->head);
		else {
			release_blocks(sp, old, sp->cap);
			release_blocks(sp, 0, sp->head);
		}
	}
}

/*
 * A full ring whose oldest packet carried only ACK frames makes room by forgetting it
 * (reported LOST): a peer owes no acknowledgment for it, so it could otherwise block the ring
 * of an endpoint that only receives (RFC 9000 §13.2.4).
 */
static bool
evict_ack_only(struct quic_recovery *r, enum quic_pn_space space)
{
	struct space_state *sp = sp_mut(r, space); /* not discarded: see the callers */
	struct sent_rec *rec;

	if (sp->count == 0)
		return false;
	rec = rec_at(sp, 0);
	if ((rec->flags & (REC_IN_FLIGHT | REC_DONE)) != 0)
		return false;
	rec->flags |= REC_LOST;
	sp->outstanding--;
	report(r, space, rec, QUIC_PKT_LOST);
	pop_done(sp);
	return sp->count < sp->cap;
}

bool
quic_recovery_can_send(const struct quic_recovery *r, enum quic_pn_space space)
{
	const struct space_state *sp;

	if (!valid_space(space))
		return false;
	sp = sp_get(r, space);
	if (sp->discarded)
		return false;
	if (sp->count == sp->cap && (rec_at(sp, 0)->flags & (REC_IN_FLIGHT | REC_DONE)) != 0)
		return false;
	/* The record's block may have to come from the pool (shared by the worker). */
	return quic_parray_available(&sp->ring, (sp->head + sp->count) % sp->cap);
}

static void
remember_skip(struct quic_recovery *r, uint64_t pn)
{
	if (r->skipped_count == QUIC_RECOVERY_MAX_SKIPPED) {
		r->skipped_head = (r->skipped_head + 1) % QUIC_RECOVERY_MAX_SKIPPED;
		r->skipped_count--;
	}
	r->skipped[(r->skipped_head + r->skipped_count) % QUIC_RECOVERY_MAX_SKIPPED] = pn;
	r->skipped_count++;
}

static void
advance_pn(struct quic_recovery *r, enum quic_pn_space space, uint64_t pn)
{
	struct space_state *sp = sp_mut(r, space); /* not discarded: see the callers */

	sp->next_pn = pn + 1;
	if (space != QUIC_PN_SPACE_APP || !r->skip_pn || sp->next_pn != r->next_skip)
		return;
	remember_skip(r, sp->next_pn);
	sp->next_pn++;
	schedule_skip(r);
}

static void
ecn_on_sent(struct quic_recovery *r, struct space_state *sp, struct sent_rec *rec)
{
	if (r->ecn != ECN_TESTING && r->ecn != ECN_CAPABLE)
		return;
	rec->flags |= REC_ECT0;
	sp->ect0_sent++;
	r->ecn_marked_sent++;
	if (r->ecn == ECN_TESTING && r->ecn_marked_sent >= ECN_TESTING_PACKETS)
		r->ecn = ECN_UNKNOWN;
}

int
quic_recovery_on_packet_sent(struct quic_recovery *r, enum quic_pn_space space, uint64_t pn,
			     size_t size, bool ack_eliciting, bool in_flight, uint64_t now,
			     uint64_t cookie)
{
	struct space_state *sp;
	struct sent_rec *rec;

	if (!valid_space(space))
		return QUIC_ERR_INVAL;
	sp = sp_mut(r, space);
	if (sp == NULL || sp->discarded || pn != sp->next_pn || (ack_eliciting && !in_flight) ||
	    size > UINT32_MAX)
		return QUIC_ERR_INVAL;
	if (sp->count == sp->cap && !evict_ack_only(r, space))
		return QUIC_ERR_BUFFER;
	rec = quic_parray_get(&sp->ring, (sp->head + sp->count) % sp->cap);
	if (rec == NULL)
		return QUIC_ERR_NOMEM;
	sp->count++;
	sp->outstanding++;
	if (in_flight)
		sp->in_flight++;
	rec->pn = pn;
	rec->time_sent = now;
	rec->cookie = cookie;
	rec->size = (uint32_t)size;
	rec->flags = (ack_eliciting ? REC_ACK_ELICITING : 0) | (in_flight ? REC_IN_FLIGHT : 0);
	ecn_on_sent(r, sp, rec);
	sp->largest_sent = pn;
	if (in_flight) {
		if (ack_eliciting) {
			sp->last_ack_eliciting_time = now;
			sp->ack_eliciting_in_flight++;
		}
		quic_cc_on_sent(&r->cc, size);
		quic_pacer_on_sent(&r->pacer, r->cc.cwnd, r->rtt.smoothed, size, false, now);
		set_timer(r, now);
	}
	advance_pn(r, space, pn);
	return 0;
}

/* ---- ACK validation: RFC 9000 §13.1 and §21.4; shared/bad-input.md C6 ---- */

static uint64_t
skipped_at(const struct quic_recovery *r, uint32_t i)
{
	return r->skipped[(r->skipped_head + i) % QUIC_RECOVERY_MAX_SKIPPED];
}

/*
 * Refuse an ACK of a packet number never sent: above the largest sent, or skipped. Ranges
 * come highest first and skipped numbers are kept ascending, so one merge pass suffices.
 */
static int
validate_ack(const struct quic_recovery *r, enum quic_pn_space space,
	     const struct quic_frame_ack *ack)
{
	const struct space_state *sp = sp_get(r, space);
	struct quic_ack_iter it;
	struct quic_ack_range range;
	uint32_t j = r->skipped_count;

	if (sp->largest_sent == PN_NONE || ack->largest > sp->largest_sent)
		return QUIC_ERR_PROTOCOL;
	if (space != QUIC_PN_SPACE_APP || j == 0)
		return 0;
	quic_ack_iter_init(&it, ack);
	while (j > 0 && quic_ack_range_next(&it, &range)) {
		while (j > 0 && skipped_at(r, j - 1) > range.largest)
			j--;
		if (j > 0 && skipped_at(r, j - 1) >= range.smallest)
			return QUIC_ERR_PROTOCOL;
	}
	return 0;
}

/* ---- ACK processing, RFC 9002 §A.7 ---- */

static void
mark_acked(struct space_state *sp, struct sent_rec *rec, uint32_t i, uint64_t largest,
	   struct ack_scan *scan)
{
	rec->flags |= REC_ACKED | REC_NEW;
	sp->outstanding--;
	if ((rec->flags & REC_IN_FLIGHT) != 0)
		sp->in_flight--;
	if ((rec->flags & REC_ACK_ELICITING) != 0) {
		sp->ack_eliciting_in_flight--;
		scan->ack_eliciting = true;
	}
	if ((rec->flags & REC_ECT0) != 0)
		scan->ect0_new++;
	if (rec->pn == largest)
		scan->largest = rec;
	if (scan->n_new == 0 || i > scan->hi)
		scan->hi = i;
	scan->lo = i;
	scan->n_new++;
}

/*
 * How many of the first n records have pn <= pn_max. Packet numbers ascend along the ring
 * (RFC 9000 §12.3), so a binary search: a linear walk down from the newest record cost
 * O(packets in flight) per ACK frame, quadratic over a window of bulk data.
 */
static uint32_t
count_upto(const struct space_state *sp, uint64_t pn_max, uint32_t n)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (rec_at(sp, mid)->pn <= pn_max)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * DetectAndRemoveAckedPackets: walk the ranges (descending) against the ring from its newest
 * record down, marking outstanding packets inside a range as newly acknowledged. Packets
 * already declared lost stay lost: their frames were already queued again.
 */
static void
scan_acked(struct space_state *sp, const struct quic_frame_ack *ack, struct ack_scan *scan)
{
	struct quic_ack_iter it;
	struct quic_ack_range range;
	uint32_t j = sp->count;

	memset(scan, 0, sizeof(*scan));
	quic_ack_iter_init(&it, ack);
	while (j > 0 && quic_ack_range_next(&it, &range)) {
		j = count_upto(sp, range.largest, j);
		for (; j > 0 && rec_at(sp, j - 1)->pn >= range.smallest; j--) {
			struct sent_rec *rec = rec_at(sp, j - 1);

			if ((rec->flags & REC_DONE) == 0)
				mark_acked(sp, rec, j - 1, ack->largest, scan);
		}
	}
}

/* The ACK Delay field in ns (RFC 9000 §19.3), saturating; ignored for Initial (§5.3). */
static uint64_t
decode_ack_delay(const struct quic_recovery *r, enum quic_pn_space space, uint64_t field)
{
	uint64_t us;

	if (space == QUIC_PN_SPACE_INITIAL)
		return 0;
	us = field > (UINT64_MAX >> r->ack_delay_exp) ? UINT64_MAX : field << r->ack_delay_exp;
	return sat_mul(us, 1000);
}

/* ---- ECN, RFC 9000 §13.4.2 and RFC 9002 §B.7 ---- */

static void
ecn_validate(struct quic_recovery *r, const struct space_state *sp, const struct quic_frame *f,
	     const struct ack_scan *scan)
{
	const struct quic_frame_ack *a = &f->ack;
	const struct quic_ack_ecn *p = &sp->peer_ecn;

	if (f->type != QUIC_FRAME_ACK_ECN) {
		/* Marked packets acknowledged without counts: the marks were bleached. */
		if (scan->ect0_new > 0)
			r->ecn = ECN_FAILED;
		return;
	}
	/* Counts never decrease; we never send ECT(1); ECT(0) cannot exceed what we marked. */
	if (a->ect0 < p->ect0 || a->ect1 < p->ect1 || a->ce < p->ce || a->ect1 > 0 ||
	    a->ect0 > sp->ect0_sent) {
		r->ecn = ECN_FAILED;
		return;
	}
	/* Each newly acknowledged ECT(0) packet shows up as ECT(0) or as CE. */
	if ((a->ect0 - p->ect0) + (a->ce - p->ce) < scan->ect0_new) {
		r->ecn = ECN_FAILED;
		return;
	}
	if (r->ecn == ECN_UNKNOWN && scan->ect0_new > 0)
		r->ecn = ECN_CAPABLE;
}

/*
 * Validate the counts of an ACK that raised the largest acknowledged, then treat a CE
 * increase as a congestion event for the largest acknowledged packet.
 */
static void
process_ecn(struct quic_recovery *r, enum quic_pn_space space, const struct quic_frame *f,
	    const struct ack_scan *scan, uint64_t now)
{
	struct space_state *sp = sp_mut(r, space); /* not discarded: see the callers */
	bool ce_up = f->type == QUIC_FRAME_ACK_ECN && f->ack.ce > sp->peer_ecn.ce;

	if (r->ecn == ECN_OFF)
		return;
	if (r->ecn != ECN_FAILED)
		ecn_validate(r, sp, f, scan);
	if (f->type == QUIC_FRAME_ACK_ECN) {
		sp->peer_ecn.ect0 = max_u64(sp->peer_ecn.ect0, f->ack.ect0);
		sp->peer_ecn.ect1 = max_u64(sp->peer_ecn.ect1, f->ack.ect1);
		sp->peer_ecn.ce = max_u64(sp->peer_ecn.ce, f->ack.ce);
	}
	if (ce_up && r->ecn != ECN_FAILED)
		quic_cc_on_congestion_event(&r->cc, scan->largest->time_sent, now);
}

/* All marked packets lost and none acknowledged once testing is over: ECN is blackholed. */
static void
ecn_check_blackhole(struct quic_recovery *r)
{
	if (r->ecn == ECN_UNKNOWN && r->ecn_marked_acked == 0 &&
	    r->ecn_marked_lost >= r->ecn_marked_sent)
		r->ecn = ECN_FAILED;
}

/* ---- Loss detection, RFC 9002 §6.1, §A.10, §B.8 and §7.6 ---- */

/* Whether another space has an acknowledged packet sent within (start, end). */
static bool
acked_in_other_space(const struct quic_recovery *r, enum quic_pn_space space, uint64_t start,
		     uint64_t end)
{
	for (int s = 0; s < QUIC_PN_SPACE_COUNT; s++) {
		const struct space_state *sp = sp_get(r, s);

		if (s == (int)space || sp->discarded || sp->largest_acked == PN_NONE)
			continue;
		if (sp->largest_acked_time_sent > start && sp->largest_acked_time_sent < end)
			return true;
	}
	return false;
}

static void
pc_close(const struct quic_recovery *r, enum quic_pn_space space, struct pc_run *run)
{
	if (run->open && run->end - run->start > run->duration &&
	    !acked_in_other_space(r, space, run->start, run->end))
		run->established = true;
	run->open = false;
}

static void
pc_add(const struct quic_recovery *r, struct pc_run *run, const struct sent_rec *rec)
{
	/* §7.6.2: ack-eliciting packets sent after the first RTT sample only. */
	if ((rec->flags & REC_ACK_ELICITING) == 0 || !r->rtt.has_sample ||
	    rec->time_sent <= r->rtt.first_sample_time)
		return;
	if (!run->open) {
		run->open = true;
		run->start = rec->time_sent;
	}
	run->end = rec->time_sent;
}

static void
declare_lost(struct quic_recovery *r, enum quic_pn_space space, struct sent_rec *rec)
{
	struct space_state *sp = sp_mut(r, space); /* not discarded: see the callers */

	rec->flags |= REC_LOST;
	sp->outstanding--;
	if ((rec->flags & REC_IN_FLIGHT) != 0)
		sp->in_flight--;
	if ((rec->flags & REC_ACK_ELICITING) != 0)
		sp->ack_eliciting_in_flight--;
	if ((rec->flags & REC_IN_FLIGHT) != 0)
		quic_cc_on_removed(&r->cc, rec->size);
	if ((rec->flags & REC_ECT0) != 0)
		r->ecn_marked_lost++;
	report(r, space, rec, QUIC_PKT_LOST);
}

/* max(kTimeThreshold * max(smoothed_rtt, latest_rtt), kGranularity) (§6.1.2). */
static uint64_t
loss_delay(const struct quic_recovery *r)
{
	uint64_t rtt = max_u64(r->rtt.latest, r->rtt.smoothed);
	uint64_t d = sat_mul(rtt, QUIC_K_TIME_THRESHOLD_NUM) / QUIC_K_TIME_THRESHOLD_DEN;

	return max_u64(d, QUIC_K_GRANULARITY_NS);
}

/* OnPacketsLost after the walk: one congestion event, then persistent congestion. */
static void
on_losses(struct quic_recovery *r, bool any_in_flight, uint64_t last_loss_time,
	  const struct pc_run *run, uint64_t now)
{
	if (any_in_flight)
		quic_cc_on_congestion_event(&r->cc, last_loss_time, now);
	if (run->established) {
		quic_cc_on_persistent_congestion(&r->cc, now);
		/* §5.2: restart min_rtt after persistent congestion. */
		r->rtt.min = r->rtt.latest;
	}
	ecn_check_blackhole(r);
}

/*
 * DetectAndRemoveLostPackets: packets at or below the largest acknowledged that are three
 * packets older or a time threshold older are lost; the earliest other deadline becomes the
 * space's loss_time.
 */
static void
detect_lost(struct quic_recovery *r, enum quic_pn_space space, uint64_t now)
{
	struct space_state *sp = sp_mut(r, space); /* not discarded: see the callers */
	uint64_t delay = loss_delay(r);
	bool time_ok = now >= delay; /* else nothing can be old enough */
	uint64_t lost_send_time = time_ok ? now - delay : 0;
	struct pc_run run = {.duration = quic_recovery_pc_duration(r)};
	uint64_t last_loss_time = 0;
	bool any_in_flight = false;

	sp->loss_time = QUIC_TIMER_NONE;
	if (sp->largest_acked == PN_NONE)
		return;
	for (uint32_t i = 0; i < sp->count; i++) {
		struct sent_rec *rec = rec_at(sp, i);

		if (rec->pn > sp->largest_acked)
			break;
		if ((rec->flags & REC_ACKED) != 0)
			pc_close(r, space, &run);
		if ((rec->flags & REC_DONE) != 0)
			continue;
		if ((time_ok && rec->time_sent <= lost_send_time) ||
		    sp->largest_acked >= rec->pn + QUIC_K_PACKET_THRESHOLD) {
			declare_lost(r, space, rec);
			if ((rec->flags & REC_IN_FLIGHT) != 0) {
				any_in_flight = true;
				last_loss_time = max_u64(last_loss_time, rec->time_sent);
			}
			pc_add(r, &run, rec);
		} else if (sat_add(rec->time_sent, delay) < sp->loss_time) {
			sp->loss_time = sat_add(rec->time_sent, delay);
		}
	}
	pc_close(r, space, &run);
	on_losses(r, any_in_flight, last_loss_time, &run, now);
}

/* OnPacketsAcked: report and credit the newly acknowledged packets, oldest first. */
static void
credit_acked(struct quic_recovery *r, enum quic_pn_space space, const struct ack_scan *scan,
	     uint64_t now)
{
	struct space_state *sp = sp_mut(r, space); /* not discarded: see the callers */

	for (uint32_t i = scan->lo; i <= scan->hi; i++) {
		struct sent_rec *rec = rec_at(sp, i);

		if ((rec->flags & REC_NEW) == 0)
			continue;
		rec->flags &= ~REC_NEW;
		if ((rec->flags & REC_ECT0) != 0)
			r->ecn_marked_acked++;
		if ((rec->flags & REC_IN_FLIGHT) != 0)
			quic_cc_on_acked(&r->cc, rec->size, rec->time_sent, now, r->rtt.smoothed);
		report(r, space, rec, QUIC_PKT_ACKED);
	}
}

int
quic_recovery_on_ack_received(struct quic_recovery *r, enum quic_pn_space space,
			      const struct quic_frame *f, uint64_t now)
{
	struct space_state *sp;
	struct ack_scan scan;
	bool raised, validated;
	int err;

	if (!valid_space(space) || (f->type != QUIC_FRAME_ACK && f->type != QUIC_FRAME_ACK_ECN))
		return QUIC_ERR_INVAL;
	sp = sp_mut(r, space);
	if (sp == NULL || sp->discarded)
		return QUIC_ERR_INVAL;
	err = validate_ack(r, space, &f->ack);
	if (err != 0)
		return err;
	raised = sp->largest_acked == PN_NONE || f->ack.largest > sp->largest_acked;
	if (raised)
		sp->largest_acked = f->ack.largest;
	validated = peer_completed_address_validation(r);
	if (space == QUIC_PN_SPACE_HANDSHAKE)
		r->handshake_acked = true;
	scan_acked(sp, &f->ack, &scan);
	if (scan.n_new == 0) {
		/* A client's first Handshake ACK may end its anti-deadlock timer (§A.8). */
		if (!validated && peer_completed_address_validation(r))
			set_timer(r, now);
		return 0;
	}
	if (scan.largest != NULL && scan.ack_eliciting)
		quic_rtt_update(&r->rtt, sat_sub(now, scan.largest->time_sent),
				decode_ack_delay(r, space, f->ack.ack_delay), r->max_ack_delay,
				r->handshake_confirmed, now);
	if (raised && scan.largest != NULL) {
		sp->largest_acked_time_sent = scan.largest->time_sent;
		process_ecn(r, space, f, &scan, now);
	}
	detect_lost(r, space, now);
	credit_acked(r, space, &scan, now);
	/* §6.2.1: a client unsure of its address validation keeps backing off. */
	if (peer_completed_address_validation(r))
		r->pto_count = 0;
	pop_done(sp);
	set_timer(r, now);
	return 0;
}

/* ---- Timeout, RFC 9002 §A.9 ---- */

void
quic_recovery_on_timeout(struct quic_recovery *r, uint64_t now, struct quic_timeout *out)
{
	enum quic_pn_space space;

	memset(out, 0, sizeof(*out));
	out->kind = QUIC_TIMEOUT_NONE;
	if (r->timer == QUIC_TIMER_NONE || now < r->timer)
		return;
	if (loss_time_and_space(r, &space) != QUIC_TIMER_NONE) {
		detect_lost(r, space, now);
		pop_done(sp_mut(r, space)); /* a loss time: not discarded */
		out->kind = QUIC_TIMEOUT_LOSS;
		out->space = space;
		set_timer(r, now);
		return;
	}
	if (!ack_eliciting_in_flight(r) && peer_completed_address_validation(r)) {
		/* Nothing to probe for: a stale deadline (§A.8 would not have armed it). */
		set_timer(r, now);
		return;
	}
	out->kind = QUIC_TIMEOUT_PTO;
	if (!pto_in_flight(r)) {
		/* §6.2.2.1 anti-deadlock: one Handshake packet or one padded Initial. */
		out->anti_deadlock = true;
		out->probes = 1;
		out->space =
			r->has_handshake_keys ? QUIC_PN_SPACE_HANDSHAKE : QUIC_PN_SPACE_INITIAL;
	} else {
		(void)pto_time_and_space(r, now, &space);
		out->space = space;
		out->probes = 2; /* §6.2.4: up to two, so one lost datagram costs no backoff */
	}
	r->pto_count++;
	set_timer(r, now);
}

/* ---- Discarding a space, RFC 9002 §6.4 and §A.11 ---- */

int
quic_recovery_discard_space(struct quic_recovery *r, enum quic_pn_space space, uint64_t now)
{
	struct space_state *sp;

	if (!valid_space(space) || space == QUIC_PN_SPACE_APP)
		return QUIC_ERR_INVAL;
	sp = sp_mut(r, space);
	if (sp == NULL || sp->discarded)
		return 0;
	for (uint32_t i = 0; i < sp->count; i++) {
		struct sent_rec *rec = rec_at(sp, i);

		if ((rec->flags & REC_DONE) != 0)
			continue;
		/* §B.9: unacknowledged packets leave bytes in flight. */
		if ((rec->flags & REC_IN_FLIGHT) != 0)
			quic_cc_on_removed(&r->cc, rec->size);
		report(r, space, rec, QUIC_PKT_DISCARDED);
	}
	sp->count = 0;
	sp->head = 0;
	quic_parray_clear(&sp->ring);
	sp->outstanding = 0;
	sp->in_flight = 0;
	sp->ack_eliciting_in_flight = 0;
	sp->loss_time = QUIC_TIMER_NONE;
	sp->discarded = true;
	if (r->hs_sp[QUIC_PN_SPACE_INITIAL].discarded &&
	    r->hs_sp[QUIC_PN_SPACE_HANDSHAKE].discarded) {
		free(r->hs_sp); /* both rings cleared above, when each was discarded */
		r->hs_sp = NULL;
	}
	r->pto_count = 0;
	set_timer(r, now);
	return 0;
}

/* ---- Connection events ---- */

void
quic_recovery_set_handshake_confirmed(struct quic_recovery *r, uint64_t now)
{
	r->handshake_confirmed = true;
	set_timer(r, now);
}

void
quic_recovery_set_handshake_keys(struct quic_recovery *r, uint64_t now)
{
	r->has_handshake_keys = true;
	set_timer(r, now);
}

void
quic_recovery_set_peer_validated(struct quic_recovery *r, uint64_t now)
{
	r->peer_validated = true;
	set_timer(r, now);
}

void
quic_recovery_set_amplification_blocked(struct quic_recovery *r, bool blocked, uint64_t now)
{
	r->amp_blocked = blocked;
	set_timer(r, now);
}

void
quic_recovery_set_peer_ack_delay(struct quic_recovery *r, uint64_t max_ack_delay_ns,
				 uint8_t ack_delay_exponent)
{
	r->max_ack_delay = max_ack_delay_ns;
	r->ack_delay_exp = ack_delay_exponent > 20 ? 20 : ack_delay_exponent;
}

void
quic_recovery_set_app_limited(struct quic_recovery *r, bool limited)
{
	quic_cc_set_app_limited(&r->cc, limited);
}

/* ---- Giving memory back when idle ---- */

/*
 * Records of ACK-only packets are all an idle space still holds: the peer owes them no
 * acknowledgment (RFC 9000 §13.2.1), so they may stay forever. Once nothing is in flight and
 * the newest record is three PTO periods old, an acknowledgment is no longer expected.
 */
static uint64_t
space_trim_time(const struct quic_recovery *r, int s)
{
	const struct space_state *sp = sp_get(r, s);

	if (sp->count == 0 || sp->in_flight > 0)
		return QUIC_TIMER_NONE;
	return sat_add(rec_at(sp, sp->count - 1)->time_sent,
		       sat_mul(quic_recovery_pto_period(r, (enum quic_pn_space)s), 3));
}

uint64_t
quic_recovery_trim_time(const struct quic_recovery *r)
{
	uint64_t t = QUIC_TIMER_NONE;

	for (int s = 0; s < QUIC_PN_SPACE_COUNT; s++)
		t = space_trim_time(r, s) < t ? space_trim_time(r, s) : t;
	return t;
}

void
quic_recovery_trim(struct quic_recovery *r, uint64_t now)
{
	for (int s = 0; s < QUIC_PN_SPACE_COUNT; s++) {
		struct space_state *sp = sp_mut(r, s);

		if (sp == NULL || now < space_trim_time(r, s))
			continue;
		for (uint32_t i = 0; i < sp->count; i++) {
			struct sent_rec *rec = rec_at(sp, i);

			if ((rec->flags & REC_DONE) != 0)
				continue;
			/* Reported LOST: an ACK frame is never sent again (RFC 9000 §13.3). */
			rec->flags |= REC_LOST;
			sp->outstanding--;
			report(r, (enum quic_pn_space)s, rec, QUIC_PKT_LOST);
		}
		pop_done(sp);
	}
}

size_t
quic_recovery_tracked(const struct quic_recovery *r, enum quic_pn_space space)
{
	return valid_space(space) ? sp_get(r, space)->count : 0;
}

size_t
quic_recovery_capacity(const struct quic_recovery *r, enum quic_pn_space space)
{
	return valid_space(space) ? sp_get(r, space)->cap : 0;
}

/* ---- Queries ---- */

uint64_t
quic_recovery_pacing_time(const struct quic_recovery *r, size_t bytes, bool ack_only, uint64_t now)
{
	return quic_pacer_next_send_time(&r->pacer, r->cc.cwnd, r->rtt.smoothed, bytes, ack_only,
					 now);
}

enum quic_ecn
quic_recovery_ecn_codepoint(const struct quic_recovery *r)
{
	return r->ecn == ECN_TESTING || r->ecn == ECN_CAPABLE ? QUIC_ECN_ECT0 : QUIC_ECN_NOT_ECT;
}

bool
quic_recovery_ecn_failed(const struct quic_recovery *r)
{
	return r->ecn == ECN_FAILED;
}

bool
quic_recovery_ecn_capable(const struct quic_recovery *r)
{
	return r->ecn == ECN_CAPABLE;
}

const struct quic_rtt *
quic_recovery_rtt(const struct quic_recovery *r)
{
	return &r->rtt;
}

const struct quic_cc *
quic_recovery_cc(const struct quic_recovery *r)
{
	return &r->cc;
}

uint64_t
quic_recovery_bytes_in_flight(const struct quic_recovery *r)
{
	return r->cc.bytes_in_flight;
}

uint64_t
quic_recovery_cwnd_available(const struct quic_recovery *r)
{
	return quic_cc_available(&r->cc);
}

unsigned
quic_recovery_pto_count(const struct quic_recovery *r)
{
	return r->pto_count;
}

size_t
quic_recovery_outstanding(const struct quic_recovery *r, enum quic_pn_space space)
{
	return valid_space(space) ? sp_get(r, space)->outstanding : 0;
}

uint64_t
quic_recovery_largest_acked(const struct quic_recovery *r, enum quic_pn_space space)
{
	return valid_space(space) ? sp_get(r, space)->largest_acked : PN_NONE;
}

uint64_t
quic_recovery_pto_period(const struct quic_recovery *r, enum quic_pn_space space)
{
	uint64_t base = quic_rtt_pto_base(&r->rtt);

	return space == QUIC_PN_SPACE_APP ? sat_add(base, r->max_ack_delay) : base;
}

uint64_t
quic_recovery_pc_duration(const struct quic_recovery *r)
{
	/* §7.6.1: max_ack_delay counts whatever the space. */
	return sat_mul(sat_add(quic_rtt_pto_base(&r->rtt), r->max_ack_delay),
		       QUIC_K_PERSISTENT_CONGESTION_THRESHOLD);
}
