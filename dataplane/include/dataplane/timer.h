/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker hierarchical timer wheel (design.md "Timers").
 *
 * Four levels of 64 slots over ticks of 2^shift nanoseconds, plus an overflow list for
 * timers further away than 64^4 ticks. Timers are intrusive (embedded in the object they
 * belong to), so arming and cancelling allocate nothing and cost O(1); a timer moves down one
 * level at a time as its slot comes up. Time is injected: dp_timer_wheel_run() is given now_ns
 * (the worker reads its clock once per loop iteration), so tests run in simulated time.
 *
 * A timer never fires before its expiry: expiry is rounded up to the next tick, and fires in the
 * first run whose now_ns has reached that tick (so at most one tick plus one loop iteration
 * late). Runs skip empty stretches through per-level occupancy bitmaps, so a long pause of
 * the clock costs a few steps per occupied slot, not one per tick.
 *
 * Thread-safety: none. A wheel and its timers belong to one worker.
 */
#ifndef HB_DATAPLANE_TIMER_H
#define HB_DATAPLANE_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DP_TIMER_LEVELS	   4
#define DP_TIMER_SLOT_BITS 6
#define DP_TIMER_SLOTS	   (1u << DP_TIMER_SLOT_BITS)
/* Default tick: 2^16 ns (65.5 µs); level 0 then spans 4.2 ms and the wheel 18 minutes. */
#define DP_TIMER_SHIFT_DEFAULT 16

struct dp_timer;

/*
 * Expiry callback. The timer is already disarmed when it runs, so the callback may re-arm it,
 * arm or cancel any other timer of the same wheel, or free the object holding it.
 */
typedef void (*dp_timer_fn)(struct dp_timer *t, void *arg, uint64_t now_ns);

/* A timer; fields are private to timer.c. Initialise with dp_timer_init() before first use. */
struct dp_timer {
	struct dp_timer *next;
	struct dp_timer **pprev; /* NULL while not armed */
	uint64_t expire_tick;
	dp_timer_fn fn;
	void *arg;
	uint16_t where; /* level * DP_TIMER_SLOTS + slot, or the overflow list */
};

struct dp_timer_wheel {
	struct dp_timer *slot[DP_TIMER_LEVELS][DP_TIMER_SLOTS];
	uint64_t occupied[DP_TIMER_LEVELS]; /* bit i: slot i holds a timer */
	struct dp_timer *overflow;	    /* beyond 64^4 ticks */
	uint64_t cur;			    /* first tick not yet processed */
	unsigned shift;			    /* tick = 2^shift ns */
	size_t count;			    /* armed timers */
	/* No tick before this one has a timer to fire (a lower bound; UINT64_MAX: none):
	 * dp_timer_wheel_run() returns at once before it, as a busy loop calls it every turn. */
	uint64_t hint;
};

/*
 * Start an empty wheel at now_ns.
 * @param shift  tick = 2^shift ns, 0..40 (DP_TIMER_SHIFT_DEFAULT for connection timers)
 * @return 0, DP_ERR_INVAL (NULL wheel, shift above 40)
 */
int dp_timer_wheel_init(struct dp_timer_wheel *tw, uint64_t now_ns, unsigned shift);

/* Prepare a timer (not armed). */
void dp_timer_init(struct dp_timer *t, dp_timer_fn fn, void *arg);

/*
 * Arm t to fire at expire_ns (re-arms it if armed). An expiry in the past fires in the next run.
 * O(1), nothing allocated.
 */
void dp_timer_arm(struct dp_timer_wheel *tw, struct dp_timer *t, uint64_t expire_ns);

/* Disarm t; no effect if it is not armed. O(1). */
void dp_timer_cancel(struct dp_timer_wheel *tw, struct dp_timer *t);

static inline bool
dp_timer_armed(const struct dp_timer *t)
{
	return t->pprev != NULL;
}

/*
 * Fire every timer whose expiry tick is at or before now_ns, in expiry order (timers of the
 * same tick in no particular order). Timers armed by callbacks for an expiry at or before
 * now_ns fire within this same run.
 * @return the number of callbacks run
 */
unsigned dp_timer_wheel_run(struct dp_timer_wheel *tw, uint64_t now_ns);

/*
 * Earliest time at which dp_timer_wheel_run() may have work to do (a timer expiring, or a slot
 * to move down a level), or UINT64_MAX when no timer is armed. An idle worker may sleep until
 * then without making a timer late.
 */
uint64_t dp_timer_wheel_next_ns(const struct dp_timer_wheel *tw);

/* Number of armed timers. */
static inline size_t
dp_timer_wheel_count(const struct dp_timer_wheel *tw)
{
	return tw->count;
}

#ifdef __cplusplus
}
#endif

#endif /* HB_DATAPLANE_TIMER_H */
