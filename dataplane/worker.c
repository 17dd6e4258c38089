/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop: one clock read per iteration, RX bursts from every owned queue and the
 * steering ring, timers, the application's tick and TX collection, TX drain; and the idle
 * back-off that keeps a small machine usable (design.md "Idle").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include <quic/cid.h>

#include "dp_int.h"

#define DEFAULT_TICK_NS	  UINT64_C(1000000)
#define IDLE_SPIN	  64		/* empty iterations that only pause */
#define IDLE_SLEEP_MAX_US UINT64_C(128) /* longest back-off sleep */
#define IDLE_CAP	  (1u << 20)

unsigned
dp_worker_count(const struct dp *dp)
{
	return dp->nb_workers;
}

struct dp_worker *
dp_worker_get(struct dp *dp, unsigned i)
{
	return i < dp->nb_workers ? dp->w[i] : NULL;
}

unsigned
dp_worker_id(const struct dp_worker *w)
{
	return w->id;
}

unsigned
dp_worker_lcore(const struct dp_worker *w)
{
	return w->lcore;
}

struct dp_timer_wheel *
dp_worker_timers(struct dp_worker *w)
{
	return &w->timers;
}

const struct dp_counters *
dp_worker_counters(const struct dp_worker *w)
{
	return &w->cnt;
}

const struct dp_iface *
dp_iface_get(const struct dp *dp, unsigned i)
{
	return i < dp->nb_ports ? &dp->port[i].ifc : NULL;
}

int
dp_worker_set_handler(struct dp_worker *w, const struct dp_handler *h, void *ctx)
{
	if (w == NULL || h == NULL || h->on_datagram == NULL)
		return DP_ERR_INVAL;
	w->h = *h;
	if (w->h.tick_ns == 0)
		w->h.tick_ns = DEFAULT_TICK_NS;
	w->ctx = ctx;
	return 0;
}

int
dp_worker_set_steering(struct dp_worker *w, struct quic_lb *lb, const uint8_t *server_id,
		       size_t sid_len)
{
	if (w == NULL || lb == NULL || server_id == NULL || sid_len == 0 || sid_len > DP_SID_MAX)
		return DP_ERR_INVAL;
	w->lb = lb;
	w->cid_len = quic_lb_cid_len(lb);
	w->sid_len = (uint8_t)sid_len;
	memcpy(w->sid, server_id, sid_len);
	for (unsigned i = 0; i < w->nb_workers; i++) {
		if (w->dp->w[i]->lb == NULL)
			return 0;
	}
	/* The last worker's steering is in place: every rule can now be built. */
	dp_flow_setup(w->dp);
	return 0;
}

uint64_t
dp_now_ns(const struct dp *dp)
{
	uint64_t d = rte_rdtsc() - dp->tsc0;

	return (uint64_t)(((unsigned __int128)d * dp->ns_mult) >> 32);
}

uint64_t
dp_worker_clock(const struct dp_worker *w)
{
	uint64_t t;

	if (!w->live_clock)
		return w->now_ns;
	t = dp_now_ns(w->dp);
	return t > w->now_ns ? t : w->now_ns;
}

unsigned
dp_worker_poll(struct dp_worker *w, uint64_t now_ns)
{
	struct rte_mbuf *pkts[DP_BURST];
	unsigned work = 0, n;
	bool more = false;

	dp_check_owner(w);
	w->now_ns = now_ns;
	for (unsigned p = 0; p < w->nb_ports; p++) {
		if (!dp_memif_enter(w, &w->ports[p])) {
			dp_cnt_inc(&w->cnt, DP_CNT_LINK_DOWN);
			continue;
		}
		n = rte_eth_rx_burst(w->ports[p].port_id, (uint16_t)w->id, pkts, DP_BURST);
		dp_memif_leave(w, &w->ports[p]);
		more |= n == DP_BURST;
		if (n > 0)
			work += dp_rx_burst(w, p, pkts, n, false);
	}
	/* Single consumer: only this worker dequeues its ring. */
	n = rte_ring_sc_dequeue_burst(w->ring, (void **)pkts, DP_BURST, NULL);
	more |= n == DP_BURST;
	if (n > 0)
		work += dp_rx_burst(w, 0, pkts, n, true);
	dp_timer_wheel_run(&w->timers, now_ns);
	if (w->h.on_tick != NULL && now_ns >= w->next_tick_ns) {
		w->next_tick_ns = now_ns + w->h.tick_ns;
		w->h.on_tick(w->ctx, w, now_ns);
	}
	if (w->h.collect_tx != NULL)
		w->h.collect_tx(w->ctx, w, now_ns);
	/*
	 * Partial bursts wait for more only while more input waits (a full RX burst): once the
	 * queues are drained nothing adds to them before the drain timer, and holding them
	 * would delay every ACK and response by up to tx_drain_us, an RTT that the peer's
	 * congestion control and pacer (RFC 9002 §5, §7.7) then see as path delay.
	 */
	return work + dp_txq_drain(w, !more);
}

/* Nothing to do: pause a while, then sleep in growing steps, never past a due timer. */
static void
idle_backoff(struct dp_worker *w, uint64_t now_ns)
{
	uint64_t next = dp_timer_wheel_next_ns(&w->timers), us;

	if (w->idle < IDLE_CAP)
		w->idle++;
	if (w->idle < IDLE_SPIN) {
		rte_pause();
		return;
	}
	/* Nothing may wait for the drain timer while we sleep. */
	dp_tx_flush(w);
	us = UINT64_C(1) << RTE_MIN((w->idle - IDLE_SPIN) / 8, 7u);
	if (w->h.on_tick != NULL && w->next_tick_ns < next)
		next = w->next_tick_ns;
	if (next <= now_ns)
		return;
	us = RTE_MIN(us, RTE_MAX((next - now_ns) / 1000, UINT64_C(1)));
	us = RTE_MIN(us, IDLE_SLEEP_MAX_US);
	rte_delay_us_sleep((unsigned)us);
	dp_cnt_inc(&w->cnt, DP_CNT_IDLE_SLEEPS);
}

void
dp_worker_run(struct dp_worker *w)
{
	struct dp *dp = w->dp;

	w->live_clock = true;
	/* Acquire pairs with the release store in dp_stop(). */
	while (!__atomic_load_n(&dp->stop, __ATOMIC_ACQUIRE)) {
		uint64_t now = dp_now_ns(dp);

		if (dp_worker_poll(w, now) != 0 || w->busy_poll) {
			w->idle = 0;
			continue;
		}
		idle_backoff(w, now);
	}
	dp_tx_flush(w);
}

static int
lcore_main(void *arg)
{
	dp_worker_run(arg);
	return 0;
}

void
dp_owner_violation(const struct dp_worker *w, unsigned lcore)
{
	fprintf(stderr, "dataplane: worker %u (lcore %u) entered from lcore %d\n", w->id, w->lcore,
		lcore == LCORE_ID_ANY ? -1 : (int)lcore);
	abort();
}

void
dp_worker_assert_owner(const struct dp_worker *w)
{
	dp_check_owner(w);
}

int
dp_run(struct dp *dp)
{
	int rc = 0;

	if (rte_lcore_id() != rte_get_main_lcore())
		return DP_ERR_STATE;
	/* Before any launch: rte_eal_remote_launch() orders it before the workers' reads. */
	__atomic_store_n(&dp->running, 1, __ATOMIC_RELAXED);
	for (unsigned i = 1; i < dp->nb_workers; i++) {
		if (rte_eal_remote_launch(lcore_main, dp->w[i], dp->w[i]->lcore) != 0) {
			dp_stop(dp);
			rc = DP_ERR_EAL;
			break;
		}
	}
	if (rc == 0)
		dp_worker_run(dp->w[0]);
	rte_eal_mp_wait_lcore();
	__atomic_store_n(&dp->running, 0, __ATOMIC_RELAXED);
	return rc;
}

void
dp_stop(struct dp *dp)
{
	/* Release pairs with the acquire load in dp_worker_run(). */
	__atomic_store_n(&dp->stop, 1, __ATOMIC_RELEASE);
}

void
dp_stats(const struct dp *dp, struct dp_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < dp->nb_workers; i++)
		dp_counters_accumulate(out, &dp->w[i]->cnt);
}
