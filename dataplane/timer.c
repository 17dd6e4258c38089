/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hierarchical timer wheel. Level l holds timers whose expiry lies less than 64^(l+1) ticks
 * ahead, in the slot of tick bits [6l, 6l+6) of their expiry; a level-l slot is moved down
 * ("cascaded") when the clock reaches the first tick it covers, which is never after any of
 * its timers expire. Timers beyond the last level wait in an overflow list that is re-sorted
 * every 64^4 ticks.
 */
#include <dataplane/error.h>
#include <dataplane/timer.h>

#define SLOT_MASK      ((uint64_t)DP_TIMER_SLOTS - 1)
#define WHERE_OVERFLOW ((uint16_t)(DP_TIMER_LEVELS * DP_TIMER_SLOTS))
#define LEVEL_SPAN(l)  ((uint64_t)1 << (DP_TIMER_SLOT_BITS * (l)))
#define OVERFLOW_SPAN  LEVEL_SPAN(DP_TIMER_LEVELS)
#define SHIFT_MAX      40

int
dp_timer_wheel_init(struct dp_timer_wheel *tw, uint64_t now_ns, unsigned shift)
{
	if (tw == NULL || shift > SHIFT_MAX)
		return DP_ERR_INVAL;
	*tw = (struct dp_timer_wheel){0};
	tw->hint = UINT64_MAX;
	tw->shift = shift;
	tw->cur = now_ns >> shift;
	return 0;
}

void
dp_timer_init(struct dp_timer *t, dp_timer_fn fn, void *arg)
{
	*t = (struct dp_timer){.fn = fn, .arg = arg};
}

static void
list_push(struct dp_timer **head, struct dp_timer *t)
{
	t->next = *head;
	if (t->next != NULL)
		t->next->pprev = &t->next;
	*head = t;
	t->pprev = head;
}

static void
list_unlink(struct dp_timer *t)
{
	*t->pprev = t->next;
	if (t->next != NULL)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
}

/* Put an armed-to-be timer in the level and slot its distance from tw->cur calls for. */
static void
place(struct dp_timer_wheel *tw, struct dp_timer *t)
{
	uint64_t tick = t->expire_tick < tw->cur ? tw->cur : t->expire_tick;
	uint64_t delta = tick - tw->cur;
	unsigned l;

	for (l = 0; l < DP_TIMER_LEVELS; l++) {
		if (delta < LEVEL_SPAN(l + 1))
			break;
	}
	if (l == DP_TIMER_LEVELS) {
		t->where = WHERE_OVERFLOW;
		list_push(&tw->overflow, t);
		return;
	}
	unsigned s = (unsigned)((tick >> (DP_TIMER_SLOT_BITS * l)) & SLOT_MASK);

	t->where = (uint16_t)(l * DP_TIMER_SLOTS + s);
	list_push(&tw->slot[l][s], t);
	tw->occupied[l] |= UINT64_C(1) << s;
}

void
dp_timer_arm(struct dp_timer_wheel *tw, struct dp_timer *t, uint64_t expire_ns)
{
	uint64_t mask = ((uint64_t)1 << tw->shift) - 1;

	dp_timer_cancel(tw, t);
	/* Round up, so that a timer never fires before expire_ns. */
	t->expire_tick = (expire_ns >> tw->shift) + ((expire_ns & mask) != 0);
	place(tw, t);
	tw->count++;
	if (t->expire_tick < tw->hint)
		tw->hint = t->expire_tick;
}

void
dp_timer_cancel(struct dp_timer_wheel *tw, struct dp_timer *t)
{
	if (t->pprev == NULL)
		return;
	list_unlink(t);
	tw->count--;
	if (t->where == WHERE_OVERFLOW)
		return;
	unsigned l = t->where / DP_TIMER_SLOTS;
	unsigned s = t->where % DP_TIMER_SLOTS;

	if (tw->slot[l][s] == NULL)
		tw->occupied[l] &= ~(UINT64_C(1) << s);
}

/* Rotate right: bit i of the result is bit (i + r) mod 64 of v. */
static inline uint64_t
rotr64(uint64_t v, unsigned r)
{
	r &= 63;
	return r == 0 ? v : (v >> r) | (v << (64 - r));
}

/* First tick >= cur at which level l (l >= 1; DP_TIMER_LEVELS: overflow) has work. */
static uint64_t
level_next_tick(const struct dp_timer_wheel *tw, unsigned l)
{
	uint64_t span = LEVEL_SPAN(l);
	uint64_t t0 = (tw->cur + span - 1) & ~(span - 1); /* first boundary of the level */

	if (l == DP_TIMER_LEVELS)
		return tw->overflow != NULL ? t0 : UINT64_MAX;
	if (tw->occupied[l] == 0)
		return UINT64_MAX;
	unsigned idx0 = (unsigned)((t0 >> (DP_TIMER_SLOT_BITS * l)) & SLOT_MASK);
	unsigned dist = (unsigned)__builtin_ctzll(rotr64(tw->occupied[l], idx0));

	return t0 + dist * span;
}

/* First tick >= cur with a timer to fire or a slot to cascade; UINT64_MAX when empty. */
static uint64_t
next_tick(const struct dp_timer_wheel *tw)
{
	uint64_t best = UINT64_MAX;

	if (tw->count == 0)
		return best;
	if (tw->occupied[0] != 0) {
		unsigned idx0 = (unsigned)(tw->cur & SLOT_MASK);

		best = tw->cur + (unsigned)__builtin_ctzll(rotr64(tw->occupied[0], idx0));
	}
	for (unsigned l = 1; l <= DP_TIMER_LEVELS; l++) {
		uint64_t t = level_next_tick(tw, l);

		if (t < best)
			best = t;
	}
	return best;
}

/* Detach a list into a local head, so that callbacks may unlink its members safely. */
static struct dp_timer *
detach(struct dp_timer **head)
{
	struct dp_timer *first = *head;

	*head = NULL;
	return first;
}

/* Re-place every timer of a list (their distance from cur has shrunk). */
static void
cascade(struct dp_timer_wheel *tw, struct dp_timer *list)
{
	while (list != NULL) {
		struct dp_timer *t = list;

		list = t->next;
		t->next = NULL;
		place(tw, t);
	}
}

/* Move down every higher-level slot whose first tick is tw->cur, highest level first. */
static void
cascade_at_cur(struct dp_timer_wheel *tw)
{
	if ((tw->cur & (OVERFLOW_SPAN - 1)) == 0)
		cascade(tw, detach(&tw->overflow));
	for (unsigned l = DP_TIMER_LEVELS - 1; l >= 1; l--) {
		if ((tw->cur & (LEVEL_SPAN(l) - 1)) != 0)
			continue;
		unsigned s = (unsigned)((tw->cur >> (DP_TIMER_SLOT_BITS * l)) & SLOT_MASK);

		tw->occupied[l] &= ~(UINT64_C(1) << s);
		cascade(tw, detach(&tw->slot[l][s]));
	}
}

/* Fire the level-0 slot of tw->cur, then advance cur past it. */
static unsigned
fire_cur(struct dp_timer_wheel *tw, uint64_t now_ns)
{
	unsigned s = (unsigned)(tw->cur & SLOT_MASK);
	struct dp_timer *local = detach(&tw->slot[0][s]);
	unsigned fired = 0;

	tw->occupied[0] &= ~(UINT64_C(1) << s);
	if (local != NULL)
		local->pprev = &local;
	tw->cur++;
	while (local != NULL) {
		struct dp_timer *t = local;

		list_unlink(t);
		tw->count--;
		t->fn(t, t->arg, now_ns);
		fired++;
	}
	return fired;
}

unsigned
dp_timer_wheel_run(struct dp_timer_wheel *tw, uint64_t now_ns)
{
	uint64_t target = now_ns >> tw->shift;
	unsigned fired = 0;

	/*
	 * Nothing is due before the hint. Cascades of higher-level slots may be owed by then;
	 * they are made late, below, in tick order (cur steps through them) and before any of
	 * their timers fires, since a slot's first tick precedes its timers' expiries.
	 */
	if (target < tw->hint)
		return 0;
	for (;;) {
		uint64_t t = next_tick(tw);

		if (t > target)
			break;
		tw->cur = t;
		cascade_at_cur(tw);
		fired += fire_cur(tw, now_ns);
	}
	if (tw->cur <= target)
		tw->cur = target + 1;
	tw->hint = next_tick(tw);
	return fired;
}

uint64_t
dp_timer_wheel_next_ns(const struct dp_timer_wheel *tw)
{
	uint64_t t = next_tick(tw);

	if (t == UINT64_MAX || t > (UINT64_MAX >> tw->shift))
		return UINT64_MAX;
	return t << tw->shift;
}
