/* SPDX-License-Identifier: BSD-3-Clause */
/* The per-worker timer wheel (design.md "Timers"): ordering, cancel, overflow, long pauses. */
#include <string.h>

#include <dataplane/error.h>
#include <dataplane/timer.h>

#include "hb_test.h"

TestSuite(dp_timer);

#define TICK_SHIFT 16
#define TICK	   (UINT64_C(1) << TICK_SHIFT)
#define MAX_FIRED  2048

struct log {
	unsigned n;
	unsigned id[MAX_FIRED];
	uint64_t at[MAX_FIRED];
};

struct ttimer {
	struct dp_timer t;
	struct log *log;
	unsigned id;
	uint64_t expire;
	unsigned fired;
};

static void
record(struct dp_timer *t, void *arg, uint64_t now_ns)
{
	struct ttimer *tt = arg;

	(void)t;
	cr_assert(lt(u32, tt->log->n, MAX_FIRED));
	tt->log->id[tt->log->n] = tt->id;
	tt->log->at[tt->log->n] = now_ns;
	tt->log->n++;
	tt->fired++;
}

static void
tt_arm(struct dp_timer_wheel *tw, struct ttimer *tt, struct log *log, unsigned id, uint64_t at)
{
	tt->log = log;
	tt->id = id;
	tt->expire = at;
	tt->fired = 0;
	dp_timer_init(&tt->t, record, tt);
	dp_timer_arm(tw, &tt->t, at);
	cr_assert(dp_timer_armed(&tt->t));
}

HB_TEST(dp_timer, init_rejects_bad_shift)
{
	struct dp_timer_wheel tw;

	cr_assert(eq(int, dp_timer_wheel_init(&tw, 0, 41), DP_ERR_INVAL));
	cr_assert(eq(int, dp_timer_wheel_init(NULL, 0, 16), DP_ERR_INVAL));
	cr_assert(eq(int, dp_timer_wheel_init(&tw, 12345, 16), 0));
	cr_assert(eq(sz, dp_timer_wheel_count(&tw), 0));
	cr_assert(eq(u64, dp_timer_wheel_next_ns(&tw), UINT64_MAX));
	cr_assert(eq(u32, dp_timer_wheel_run(&tw, UINT64_C(1) << 50), 0));
}

static uint64_t
ceil_tick(uint64_t ns)
{
	return (ns + TICK - 1) >> TICK_SHIFT;
}

/*
 * After a run at now: every timer due by now's tick has fired exactly once, none before its
 * expiry, and none that is not yet due.
 */
static void
check_after_run(const struct ttimer *tt, unsigned n, uint64_t now)
{
	for (unsigned i = 0; i < n; i++) {
		bool due = (now >> TICK_SHIFT) >= ceil_tick(tt[i].expire);

		cr_assert(eq(u32, tt[i].fired, due ? 1 : 0), "timer %u (due %llu) at %llu", i,
			  (unsigned long long)tt[i].expire, (unsigned long long)now);
	}
}

HB_TEST(dp_timer, fires_in_expiry_order_never_early)
{
	/* One per level and the overflow list, armed out of order. */
	static const uint64_t at[] = {
		5 * TICK + 1,
		3 * TICK,
		70 * TICK,
		4000 * TICK,
		300000 * TICK,
		(UINT64_C(1) << 25) * TICK,
		1,
		64 * TICK,
		4096 * TICK,
		262144 * TICK,
	};
	enum { N = sizeof(at) / sizeof(at[0]) };
	struct dp_timer_wheel tw;
	struct ttimer tt[N];
	struct log log = {0};
	uint64_t now = 0;

	cr_assert(eq(int, dp_timer_wheel_init(&tw, 0, TICK_SHIFT), 0));
	for (unsigned i = 0; i < N; i++)
		tt_arm(&tw, &tt[i], &log, i, at[i]);
	cr_assert(eq(sz, dp_timer_wheel_count(&tw), N));
	/* Irregular steps, small then growing: each timer fires in the first run it is due. */
	while (log.n < N) {
		now += now < 100 * TICK ? TICK / 3 : now / 7;
		dp_timer_wheel_run(&tw, now);
		check_after_run(tt, N, now);
	}
	for (unsigned k = 0; k < N; k++) {
		const struct ttimer *t = &tt[log.id[k]];

		cr_assert(ge(u64, log.at[k], t->expire), "timer %u fired early", t->id);
		if (k > 0)
			cr_assert(ge(u64, t->expire, tt[log.id[k - 1]].expire));
		cr_assert(not(dp_timer_armed(&t->t)));
	}
	cr_assert(eq(sz, dp_timer_wheel_count(&tw), 0));
	cr_assert(eq(u64, dp_timer_wheel_next_ns(&tw), UINT64_MAX));
}

/* A small deterministic generator (xorshift64), so that the test is repeatable. */
static uint64_t
xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A random distance below 2^maxbits, of a random number of bits (all scales alike). */
static uint64_t
rand_delta(uint64_t *s, unsigned maxbits)
{
	unsigned bits = (unsigned)(xs(s) % maxbits);

	return xs(s) & ((UINT64_C(1) << bits) - 1);
}

static uint64_t
earliest(const struct ttimer *tt, unsigned n)
{
	uint64_t best = UINT64_MAX;

	for (unsigned i = 0; i < n; i++) {
		if (tt[i].fired == 0 && ceil_tick(tt[i].expire) * TICK < best)
			best = ceil_tick(tt[i].expire) * TICK;
	}
	return best;
}

HB_TEST(dp_timer, many_random_timers_fire_once_on_time)
{
	enum { N = 1000 };
	static struct ttimer tt[N];
	static struct log log;
	struct dp_timer_wheel tw;
	uint64_t seed = 0x9e3779b97f4a7c15u, now = 777 * TICK + 5;

	memset(&log, 0, sizeof(log));
	cr_assert(eq(int, dp_timer_wheel_init(&tw, now, TICK_SHIFT), 0));
	for (unsigned i = 0; i < N; i++) {
		/* Expiries from the past to beyond the last level (2^24 ticks and more). */
		uint64_t delta = rand_delta(&seed, 46);

		tt_arm(&tw, &tt[i], &log, i, i % 50 == 0 ? now - 10 : now + delta);
	}
	while (log.n < N) {
		uint64_t step = xs(&seed) % (TICK << (xs(&seed) % 26));

		now += step + 1;
		/* next_ns never passes the earliest pending expiry: an idle sleep stays safe. */
		cr_assert(le(u64, dp_timer_wheel_next_ns(&tw), earliest(tt, N)));
		dp_timer_wheel_run(&tw, now);
		check_after_run(tt, N, now);
	}
	cr_assert(eq(sz, dp_timer_wheel_count(&tw), 0));
}

/*
 * Timers armed between runs, while the wheel has run nothing for a long while (runs before the
 * earliest expiry return at once, and the wheel's clock stays behind): each still fires once,
 * on the run that reaches its expiry, never earlier.
 */
HB_TEST(dp_timer, armed_while_runs_skip_fire_on_time)
{
	enum { N = 1000 };
	static struct ttimer tt[N];
	static struct log log;
	struct dp_timer_wheel tw;
	uint64_t seed = 0x2545f4914f6cdd1du, now = 12345 * TICK + 7;
	unsigned armed = 0;

	memset(&log, 0, sizeof(log));
	cr_assert(eq(int, dp_timer_wheel_init(&tw, now, TICK_SHIFT), 0));
	/* One far timer first: every run before it has nothing to do. */
	tt_arm(&tw, &tt[armed], &log, armed, now + (TICK << 22));
	armed++;
	while (log.n < N) {
		now += 1 + xs(&seed) % (TICK << (xs(&seed) % 14));
		for (unsigned k = xs(&seed) % 3; k > 0 && armed < N; k--, armed++) {
			uint64_t delta = rand_delta(&seed, 30);

			tt_arm(&tw, &tt[armed], &log, armed,
			       armed % 40 == 0 ? now - 3 : now + delta);
		}
		dp_timer_wheel_run(&tw, now);
		check_after_run(tt, armed, now);
	}
	cr_assert(eq(sz, dp_timer_wheel_count(&tw), 0));
}

HB_TEST(dp_timer, cancel_and_rearm)
{
	struct dp_timer_wheel tw;
	struct ttimer a, b, c;
	struct log log = {0};

	cr_assert(eq(int, dp_timer_wheel_init(&tw, 0, TICK_SHIFT), 0));
	tt_arm(&tw, &a, &log, 1, 10 * TICK);
	tt_arm(&tw, &b, &log, 2, 10 * TICK); /* same slot as a */
	tt_arm(&tw, &c, &log, 3, 5000 * TICK);
	dp_timer_cancel(&tw, &b.t);
	cr_assert(not(dp_timer_armed(&b.t)));
	dp_timer_cancel(&tw, &b.t); /* cancelling twice is harmless */
	cr_assert(eq(sz, dp_timer_wheel_count(&tw), 2));
	/* Re-arming moves c from level 1 to level 0. */
	dp_timer_arm(&tw, &c.t, 20 * TICK);
	c.expire = 20 * TICK;
	cr_assert(eq(sz, dp_timer_wheel_count(&tw), 2));
	cr_assert(eq(u32, dp_timer_wheel_run(&tw, 30 * TICK), 2));
	cr_assert(eq(u32, log.n, 2));
	cr_assert(eq(u32, log.id[0], 1));
	cr_assert(eq(u32, log.id[1], 3));
	cr_assert(eq(u32, b.fired, 0));
	/* Cancelled in its slot's neighbour level, nothing is left to fire. */
	tt_arm(&tw, &b, &log, 2, 1000000 * TICK);
	dp_timer_cancel(&tw, &b.t);
	cr_assert(eq(u32, dp_timer_wheel_run(&tw, 2000000 * TICK), 0));
	cr_assert(eq(u64, dp_timer_wheel_next_ns(&tw), UINT64_MAX));
}

HB_TEST(dp_timer, far_future_overflow)
{
	struct dp_timer_wheel tw;
	struct ttimer near, hour, day;
	struct log log = {0};
	const uint64_t H = UINT64_C(3600000000000);

	cr_assert(eq(int, dp_timer_wheel_init(&tw, 0, TICK_SHIFT), 0));
	/* 64^4 ticks of 65.5 µs are about 18 minutes: an hour and a day wait in overflow. */
	tt_arm(&tw, &day, &log, 3, 24 * H);
	tt_arm(&tw, &hour, &log, 2, H);
	tt_arm(&tw, &near, &log, 1, 2 * TICK);
	cr_assert(eq(u32, dp_timer_wheel_run(&tw, H - 1), 1));
	cr_assert(eq(u32, hour.fired, 0));
	cr_assert(eq(u32, dp_timer_wheel_run(&tw, H + TICK), 1));
	cr_assert(eq(u32, hour.fired, 1));
	cr_assert(eq(u32, day.fired, 0));
	cr_assert(le(u64, dp_timer_wheel_next_ns(&tw), 24 * H));
	cr_assert(eq(u32, dp_timer_wheel_run(&tw, 24 * H - TICK), 0));
	cr_assert(eq(u32, dp_timer_wheel_run(&tw, 24 * H + TICK), 1));
	cr_assert(eq(u32, log.n, 3));
}

struct chain {
	struct dp_timer t;
	struct dp_timer_wheel *tw;
	struct dp_timer *victim;
	unsigned fired;
	uint64_t period;
	unsigned limit;
};

/* Re-arms itself (periodic) and cancels a victim due in the same tick. */
static void
chain_fn(struct dp_timer *t, void *arg, uint64_t now_ns)
{
	struct chain *c = arg;

	c->fired++;
	if (c->victim != NULL) {
		dp_timer_cancel(c->tw, c->victim);
		c->victim = NULL;
	}
	if (c->fired < c->limit)
		dp_timer_arm(c->tw, t, now_ns + c->period);
}

static void
never(struct dp_timer *t, void *arg, uint64_t now_ns)
{
	(void)t;
	(void)now_ns;
	*(unsigned *)arg += 1;
}

HB_TEST(dp_timer, callbacks_rearm_and_cancel)
{
	struct dp_timer_wheel tw;
	struct chain c = {.tw = &tw, .period = 3 * TICK, .limit = 5};
	struct dp_timer victim;
	unsigned victim_fired = 0;

	cr_assert(eq(int, dp_timer_wheel_init(&tw, 0, TICK_SHIFT), 0));
	dp_timer_init(&c.t, chain_fn, &c);
	dp_timer_init(&victim, never, &victim_fired);
	dp_timer_arm(&tw, &victim, 4 * TICK);
	dp_timer_arm(&tw, &c.t, 4 * TICK);
	c.victim = &victim;
	/* Both are due in the same tick; whichever runs first, the victim must not fire after
	 * being cancelled, and the periodic timer fires once per period. */
	dp_timer_wheel_run(&tw, 4 * TICK);
	cr_assert(eq(u32, c.fired, 1));
	cr_assert(le(u32, victim_fired, 1));
	cr_assert(not(dp_timer_armed(&victim)));
	for (uint64_t now = 5 * TICK; now < 100 * TICK; now += TICK)
		dp_timer_wheel_run(&tw, now);
	cr_assert(eq(u32, c.fired, 5));
	cr_assert(eq(sz, dp_timer_wheel_count(&tw), 0));
}

HB_TEST(dp_timer, past_expiry_fires_next_run)
{
	struct dp_timer_wheel tw;
	struct ttimer a;
	struct log log = {0};

	cr_assert(eq(int, dp_timer_wheel_init(&tw, 100 * TICK, TICK_SHIFT), 0));
	tt_arm(&tw, &a, &log, 1, 3);
	cr_assert(le(u64, dp_timer_wheel_next_ns(&tw), 100 * TICK));
	cr_assert(eq(u32, dp_timer_wheel_run(&tw, 100 * TICK), 1));
	cr_assert(eq(u32, a.fired, 1));
}
