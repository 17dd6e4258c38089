/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Congestion control: the generic part of RFC 9002 Appendix B (bytes in flight, recovery
 * period, application-limited rule), NewReno (RFC 9002 §7.3), CUBIC (RFC 9438) and the pacer
 * of RFC 9002 §7.7. No clock, no allocation, no libm.
 */
#include <string.h>

#include <quic/cc.h>
#include <quic/error.h>

#define NS_PER_SEC 1e9

/* Clamps that keep the pacer's integer products below 2^63. */
#define PACER_MAX_SRTT	(UINT64_C(1) << 36) /* ~69 s */
#define PACER_MAX_BYTES (UINT64_C(1) << 24)
#define PACER_MAX_CWND	(UINT64_C(1) << 56)

uint64_t
quic_cc_initial_window(uint64_t max_datagram_size)
{
	uint64_t cap = 2 * max_datagram_size > 14720 ? 2 * max_datagram_size : 14720;
	uint64_t ten = 10 * max_datagram_size;

	return ten < cap ? ten : cap;
}

uint64_t
quic_cc_min_window(uint64_t max_datagram_size)
{
	return 2 * max_datagram_size;
}

const struct quic_cc_ops *
quic_cc_find(const char *name)
{
	if (name == NULL || strcmp(name, quic_cc_newreno.name) == 0)
		return &quic_cc_newreno;
	if (strcmp(name, quic_cc_cubic.name) == 0)
		return &quic_cc_cubic;
	return NULL;
}

int
quic_cc_init(struct quic_cc *cc, const char *name, uint64_t max_datagram_size)
{
	const struct quic_cc_ops *ops = quic_cc_find(name);

	if (ops == NULL || max_datagram_size < QUIC_CC_MIN_DATAGRAM)
		return QUIC_ERR_INVAL;
	memset(cc, 0, sizeof(*cc));
	cc->ops = ops;
	cc->max_datagram_size = max_datagram_size;
	cc->cwnd = quic_cc_initial_window(max_datagram_size);
	cc->ssthresh = UINT64_MAX;
	ops->init(cc);
	return 0;
}

void
quic_cc_on_sent(struct quic_cc *cc, uint64_t bytes)
{
	cc->bytes_in_flight += bytes;
}

void
quic_cc_on_removed(struct quic_cc *cc, uint64_t bytes)
{
	/* Saturating: a caller's bookkeeping error must not wrap into a huge flight. */
	cc->bytes_in_flight = bytes > cc->bytes_in_flight ? 0 : cc->bytes_in_flight - bytes;
}

void
quic_cc_on_acked(struct quic_cc *cc, uint64_t bytes, uint64_t time_sent, uint64_t now,
		 uint64_t srtt)
{
	quic_cc_on_removed(cc, bytes);
	/* RFC 9002 §7.8: an underutilized window does not grow. */
	if (cc->app_limited)
		return;
	/* RFC 9002 §7.3.2: no growth for packets sent before the recovery period began. */
	if (quic_cc_in_recovery(cc, time_sent))
		return;
	cc->ops->on_acked(cc, bytes, now, srtt);
}

void
quic_cc_on_congestion_event(struct quic_cc *cc, uint64_t time_sent, uint64_t now)
{
	/* RFC 9002 §7.3.2: one reduction per recovery period. */
	if (quic_cc_in_recovery(cc, time_sent))
		return;
	cc->in_recovery_period = true;
	cc->recovery_start = now;
	cc->congestion_events++;
	cc->ops->on_congestion_event(cc, now);
}

void
quic_cc_on_persistent_congestion(struct quic_cc *cc, uint64_t now)
{
	cc->ops->on_persistent_congestion(cc, now);
	/* RFC 9002 §B.8: congestion_recovery_start_time = 0 ends the recovery period. */
	cc->in_recovery_period = false;
	cc->persistent_congestions++;
}

void
quic_cc_set_app_limited(struct quic_cc *cc, bool limited)
{
	if (limited != cc->app_limited && cc->ops->on_app_limited != NULL)
		cc->ops->on_app_limited(cc, limited);
	cc->app_limited = limited;
}

/* ---- NewReno, RFC 9002 §7.3 and §B.5-§B.8 ---- */

static void
newreno_init(struct quic_cc *cc)
{
	cc->ca_acked = 0;
}

static void
newreno_on_acked(struct quic_cc *cc, uint64_t bytes, uint64_t now, uint64_t srtt)
{
	(void)now;
	(void)srtt;
	if (cc->cwnd < cc->ssthresh) {
		/* §7.3.1 slow start: grow by the bytes acknowledged. */
		cc->cwnd += bytes;
		return;
	}
	/*
	 * §7.3.3 congestion avoidance: at most one datagram per window acknowledged. Byte
	 * counting (RFC 3465 §2.1) instead of mds * bytes / cwnd, whose integer quotient would
	 * round small acknowledgments down to nothing.
	 */
	cc->ca_acked += bytes;
	if (cc->ca_acked >= cc->cwnd) {
		cc->ca_acked -= cc->cwnd;
		cc->cwnd += cc->max_datagram_size;
	}
}

static void
newreno_on_congestion_event(struct quic_cc *cc, uint64_t now)
{
	uint64_t min = quic_cc_min_window(cc->max_datagram_size);

	(void)now;
	/* §B.6: kLossReductionFactor = 0.5, window floored at kMinimumWindow. */
	cc->ssthresh = cc->cwnd / 2;
	cc->cwnd = cc->ssthresh > min ? cc->ssthresh : min;
	cc->ca_acked = 0;
}

static void
newreno_on_persistent_congestion(struct quic_cc *cc, uint64_t now)
{
	(void)now;
	cc->cwnd = quic_cc_min_window(cc->max_datagram_size);
	cc->ca_acked = 0;
}

const struct quic_cc_ops quic_cc_newreno = {
	.name = "newreno",
	.init = newreno_init,
	.on_acked = newreno_on_acked,
	.on_congestion_event = newreno_on_congestion_event,
	.on_persistent_congestion = newreno_on_persistent_congestion,
};

/* ---- CUBIC, RFC 9438 ---- */

double
quic_cbrt(double x)
{
	double y = 1.0;
	int guard = 0;

	/* Also rejects NaN; +inf is refused as x - x is NaN. */
	if (!(x > 0.0) || x - x != 0.0)
		return 0.0;
	/* Start within a factor of two of the root, then Newton converges quadratically. */
	while (y * y * y * 8.0 <= x && guard++ < 400)
		y *= 2.0;
	while (y * y * y > x && guard++ < 800)
		y *= 0.5;
	for (int i = 0; i < 16; i++)
		y = (2.0 * y + x / (y * y)) / 3.0;
	return y;
}

double
quic_cubic_k(double w_max_bytes, double cwnd_epoch_bytes, uint64_t max_datagram_size)
{
	double mss = (double)max_datagram_size;

	if (w_max_bytes <= cwnd_epoch_bytes)
		return 0.0;
	/* Figure 2, windows in segments. */
	return quic_cbrt((w_max_bytes - cwnd_epoch_bytes) / mss / QUIC_CUBIC_C);
}

double
quic_cubic_window(const struct quic_cc *cc, double t)
{
	const struct quic_cc_cubic *c = &cc->u.cubic;
	double d = t - c->k;

	/* Figure 1 scaled to bytes: C is in segments per second cubed. */
	return QUIC_CUBIC_C * (double)cc->max_datagram_size * d * d * d + c->w_max;
}

static void
cubic_init(struct quic_cc *cc)
{
	memset(&cc->u.cubic, 0, sizeof(cc->u.cubic));
	cc->u.cubic.fast_convergence = true;
}

/* Start a congestion avoidance stage (RFC 9438 §4.2; §4.8 after a timeout). */
static void
cubic_start_epoch(struct quic_cc *cc, uint64_t now)
{
	struct quic_cc_cubic *c = &cc->u.cubic;

	c->in_epoch = true;
	c->t_epoch = now;
	c->cwnd = (double)cc->cwnd;
	c->cwnd_epoch = c->cwnd;
	c->w_est = c->cwnd;
	if (c->after_timeout || c->w_max <= c->cwnd_epoch) {
		c->w_max = c->cwnd_epoch;
		c->k = 0.0;
		c->after_timeout = false;
		return;
	}
	c->k = quic_cubic_k(c->w_max, c->cwnd_epoch, cc->max_datagram_size);
}

/* Target window one RTT ahead, bounded to [cwnd, 1.5 cwnd] (RFC 9438 §4.2). */
static double
cubic_target(const struct quic_cc *cc, double t, double rtt)
{
	const struct quic_cc_cubic *c = &cc->u.cubic;
	double target = quic_cubic_window(cc, t + rtt);

	if (target < c->cwnd)
		return c->cwnd;
	if (target > 1.5 * c->cwnd)
		return 1.5 * c->cwnd;
	return target;
}

static void
cubic_on_acked(struct quic_cc *cc, uint64_t bytes, uint64_t now, uint64_t srtt)
{
	struct quic_cc_cubic *c = &cc->u.cubic;
	double mss = (double)cc->max_datagram_size;
	double t, alpha;

	if (cc->cwnd < cc->ssthresh) {
		/* RFC 9438 §4.10: standard slow start. */
		cc->cwnd += bytes;
		return;
	}
	if (!c->in_epoch)
		cubic_start_epoch(cc, now);
	t = (double)(now - c->t_epoch) / NS_PER_SEC;
	/* §4.3 Figures 4 and 5: alpha_cubic until W_est reaches cwnd_prior, then 1. */
	alpha = c->w_est >= c->cwnd_prior ? 1.0
					  : 3.0 * (1.0 - QUIC_CUBIC_BETA) / (1.0 + QUIC_CUBIC_BETA);
	c->w_est += alpha * (double)bytes * mss / c->cwnd;
	if (quic_cubic_window(cc, t) < c->w_est) {
		/* Reno-friendly region: follow W_est. */
		if (c->w_est > c->cwnd)
			c->cwnd = c->w_est;
	} else {
		/* §4.4 concave and §4.5 convex regions. */
		double target = cubic_target(cc, t, (double)srtt / NS_PER_SEC);

		c->cwnd += (target - c->cwnd) * (double)bytes / c->cwnd;
	}
	cc->cwnd = (uint64_t)c->cwnd;
}

static void
cubic_on_congestion_event(struct quic_cc *cc, uint64_t now)
{
	struct quic_cc_cubic *c = &cc->u.cubic;
	double cwnd = (double)cc->cwnd;
	double min = (double)quic_cc_min_window(cc->max_datagram_size);
	double ssthresh = cwnd * QUIC_CUBIC_BETA;

	(void)now;
	c->cwnd_prior = cwnd;
	/* §4.7 fast convergence: release bandwidth when the window keeps shrinking. */
	if (c->fast_convergence && cwnd < c->w_max)
		c->w_max = cwnd * (1.0 + QUIC_CUBIC_BETA) / 2.0;
	else
		c->w_max = cwnd;
	/* §4.6: ssthresh = cwnd * beta (cwnd in place of flight size), at least 2 segments. */
	if (ssthresh < min)
		ssthresh = min;
	/* Rounded: 0.7 has no exact binary form, and truncation would lose a byte. */
	cc->ssthresh = (uint64_t)(ssthresh + 0.5);
	cc->cwnd = cc->ssthresh;
	c->in_epoch = false;
}

static void
cubic_on_persistent_congestion(struct quic_cc *cc, uint64_t now)
{
	struct quic_cc_cubic *c = &cc->u.cubic;

	(void)now;
	/* RFC 9002 §7.6.2 minimum window; RFC 9438 §4.8: the next stage starts with K = 0. */
	cc->cwnd = quic_cc_min_window(cc->max_datagram_size);
	c->in_epoch = false;
	c->after_timeout = true;
}

/*
 * RFC 9438 §5.8: time spent application-limited must not count in t, or W_cubic(t) would
 * leap once the limit lifts. A new stage starts from the current window instead, with K
 * recomputed against the same W_max.
 */
static void
cubic_on_app_limited(struct quic_cc *cc, bool limited)
{
	if (!limited)
		cc->u.cubic.in_epoch = false;
}

const struct quic_cc_ops quic_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.on_acked = cubic_on_acked,
	.on_congestion_event = cubic_on_congestion_event,
	.on_persistent_congestion = cubic_on_persistent_congestion,
	.on_app_limited = cubic_on_app_limited,
};

/* ---- Pacer, RFC 9002 §7.7 ---- */

static uint64_t
clamp_u64(uint64_t v, uint64_t max)
{
	return v > max ? max : v;
}

/* Time to earn bytes at N * cwnd / srtt with N = 5/4, rounded up so the bytes are there. */
static uint64_t
pacer_wait(uint64_t cwnd, uint64_t srtt, uint64_t bytes)
{
	uint64_t num = clamp_u64(srtt, PACER_MAX_SRTT) * clamp_u64(bytes, PACER_MAX_BYTES) * 4;
	uint64_t den = clamp_u64(cwnd, PACER_MAX_CWND) * 5;

	return (num + den - 1) / den;
}

uint64_t
quic_pacer_interval(uint64_t cwnd, uint64_t srtt, uint64_t bytes)
{
	uint64_t den = clamp_u64(cwnd, PACER_MAX_CWND) * 5;

	if (cwnd == 0 || srtt == 0)
		return 0;
	return clamp_u64(srtt, PACER_MAX_SRTT) * clamp_u64(bytes, PACER_MAX_BYTES) * 4 / den;
}

void
quic_pacer_init(struct quic_pacer *p, uint64_t burst)
{
	p->burst = clamp_u64(burst, PACER_MAX_BYTES);
	p->tokens = p->burst;
	p->last = 0;
	p->started = false;
}

/* Tokens in the bucket at now. */
static uint64_t
pacer_tokens(const struct quic_pacer *p, uint64_t cwnd, uint64_t srtt, uint64_t now)
{
	uint64_t elapsed, fill, gain;

	if (!p->started || cwnd == 0 || srtt == 0 || p->tokens >= p->burst)
		return p->burst;
	elapsed = now > p->last ? now - p->last : 0;
	fill = pacer_wait(cwnd, srtt, p->burst - p->tokens);
	if (elapsed >= fill)
		return p->burst;
	/* elapsed < fill bounds this product below 2^63 (see the clamps above). */
	gain = elapsed * clamp_u64(cwnd, PACER_MAX_CWND) * 5 /
	       (clamp_u64(srtt, PACER_MAX_SRTT) * 4);
	return clamp_u64(p->tokens + gain, p->burst);
}

uint64_t
quic_pacer_next_send_time(const struct quic_pacer *p, uint64_t cwnd, uint64_t srtt, uint64_t bytes,
			  bool ack_only, uint64_t now)
{
	uint64_t need = clamp_u64(bytes, p->burst);
	uint64_t have;

	/* RFC 9002 §7.7: ACK-only packets are not paced. */
	if (ack_only || cwnd == 0 || srtt == 0)
		return now;
	have = pacer_tokens(p, cwnd, srtt, now);
	if (have >= need)
		return now;
	return now + pacer_wait(cwnd, srtt, need - have);
}

void
quic_pacer_on_sent(struct quic_pacer *p, uint64_t cwnd, uint64_t srtt, uint64_t bytes,
		   bool ack_only, uint64_t now)
{
	uint64_t have;

	if (ack_only)
		return;
	have = pacer_tokens(p, cwnd, srtt, now);
	p->tokens = have > bytes ? have - bytes : 0;
	p->last = now;
	p->started = true;
}
