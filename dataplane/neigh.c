/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour resolution for IPv4 (ARP, RFC 826) and IPv6 (NDP, RFC 4861 §7.2), one table per
 * worker. The table is a fixed array: a key (port, family, address) hashes with SipHash under
 * a per-worker random key to a window of DP_NEIGH_PROBE slots; when the window is full the
 * oldest entry there is evicted. Frames wait for an unresolved next hop DP_NEIGH_PENDING at a
 * time per address and DP_NEIGH_PENDING_TOTAL per worker, so a peer that never answers costs
 * bounded memory; entry timers run on the worker's timer wheel.
 */
#include <string.h>

#include <rte_mbuf.h>
#include <rte_random.h>

#include "dp_int.h"

static void
make_key(struct dp_neigh_key *k, unsigned port, uint8_t family, const uint8_t *ip)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->ip, ip, family == DP_AF_INET ? 4 : 16);
	k->family = family;
	k->port = (uint8_t)port;
}

static unsigned
bucket(const struct dp_neigh_table *t, const struct dp_neigh_key *k)
{
	return (unsigned)dp_siphash24(t->hash_key, k, sizeof(*k)) & (DP_NEIGH_SIZE - 1);
}

/* Index of k's entry in t, or -1. */
static int
find(const struct dp_neigh_table *t, const struct dp_neigh_key *k)
{
	unsigned b = bucket(t, k);

	for (unsigned i = 0; i < DP_NEIGH_PROBE; i++) {
		unsigned j = (b + i) & (DP_NEIGH_SIZE - 1);

		if (t->e[j].state != NEIGH_FREE && memcmp(&t->e[j].key, k, sizeof(*k)) == 0)
			return (int)j;
	}
	return -1;
}

/* find(), trying the entry found last first: a gateway or a single peer then costs no hash. */
static struct dp_neigh *
lookup(struct dp_neigh_table *t, const struct dp_neigh_key *k)
{
	struct dp_neigh *e = &t->e[t->last];
	int i;

	if (e->state != NEIGH_FREE && memcmp(&e->key, k, sizeof(*k)) == 0)
		return e;
	i = find(t, k);
	if (i < 0)
		return NULL;
	t->last = (unsigned)i;
	return &t->e[i];
}

static void
drop_pending(struct dp_worker *w, struct dp_neigh *e)
{
	if (e->npending == 0)
		return;
	rte_pktmbuf_free_bulk(e->pending, e->npending);
	dp_cnt_add(&w->cnt, DP_CNT_DROP_NEIGH_FAILED, e->npending);
	w->neigh.npending -= e->npending;
	e->npending = 0;
}

static void
release(struct dp_worker *w, struct dp_neigh *e)
{
	drop_pending(w, e);
	dp_timer_cancel(&w->timers, &e->timer);
	e->state = NEIGH_FREE;
}

/* Ask for e's MAC: ARP request to broadcast, or NS to the solicited-node group. */
static void
solicit(struct dp_worker *w, const struct dp_neigh *e)
{
	static const uint8_t zero_mac[DP_ETH_ALEN];
	const struct dp_iface *ifc = &w->ports[e->key.port].ifc;
	bool v4 = e->key.family == DP_AF_INET;
	struct rte_mbuf *m = dp_frame_alloc(w, v4 ? DP_ARP_FRAME_LEN : DP_NDP_FRAME_LEN);

	if (m == NULL)
		return;
	if (v4) {
		dp_arp_write(rte_pktmbuf_mtod(m, uint8_t *), DP_ARP_OP_REQUEST, ifc->mac, ifc->ip4,
			     zero_mac, e->key.ip);
		dp_cnt_inc(&w->cnt, DP_CNT_ARP_REQUESTED);
	} else {
		dp_ndp_write_ns(rte_pktmbuf_mtod(m, uint8_t *), ifc->mac, ifc->ip6, e->key.ip);
		dp_cnt_inc(&w->cnt, DP_CNT_NDP_SOLICITED);
	}
	dp_txq_put(w, e->key.port, m);
}

/* Entry timer: retry or give up (INCOMPLETE), refresh (REACHABLE), forget (STALE). */
static void
neigh_timeout(struct dp_timer *t, void *arg, uint64_t now_ns)
{
	struct dp_worker *w = arg;
	struct dp_neigh *e = container_of(t, struct dp_neigh, timer);

	switch (e->state) {
	case NEIGH_INCOMPLETE:
		if (e->tries >= DP_NEIGH_TRIES) {
			release(w, e);
			return;
		}
		e->tries++;
		solicit(w, e);
		dp_timer_arm(&w->timers, &e->timer, now_ns + DP_NEIGH_RETRY_NS);
		return;
	case NEIGH_REACHABLE:
		e->state = NEIGH_STALE;
		solicit(w, e);
		dp_timer_arm(&w->timers, &e->timer, now_ns + DP_NEIGH_STALE_NS);
		return;
	default:
		release(w, e);
		return;
	}
}

/* A slot for k: a free one in its window, else the window's oldest entry, evicted. */
static struct dp_neigh *
insert(struct dp_worker *w, const struct dp_neigh_key *k)
{
	struct dp_neigh_table *t = &w->neigh;
	unsigned b = bucket(t, k);
	struct dp_neigh *victim = NULL;

	for (unsigned i = 0; i < DP_NEIGH_PROBE; i++) {
		struct dp_neigh *e = &t->e[(b + i) & (DP_NEIGH_SIZE - 1)];

		if (e->state == NEIGH_FREE) {
			victim = e;
			break;
		}
		if (victim == NULL || e->updated_ns < victim->updated_ns)
			victim = e;
	}
	if (victim->state != NEIGH_FREE)
		release(w, victim);
	victim->key = *k;
	victim->tries = 0;
	victim->npending = 0;
	victim->updated_ns = w->now_ns;
	dp_timer_init(&victim->timer, neigh_timeout, w);
	return victim;
}

void
dp_neigh_init(struct dp_worker *w)
{
	uint64_t r0 = rte_rand(), r1 = rte_rand();

	memset(&w->neigh, 0, sizeof(w->neigh));
	memcpy(w->neigh.hash_key, &r0, 8);
	memcpy(w->neigh.hash_key + 8, &r1, 8);
}

void
dp_neigh_fini(struct dp_worker *w)
{
	for (unsigned i = 0; i < DP_NEIGH_SIZE; i++) {
		if (w->neigh.e[i].state != NEIGH_FREE)
			release(w, &w->neigh.e[i]);
	}
}

/* Fill the destination MAC of every waiting frame and queue it. */
static void
flush_pending(struct dp_worker *w, struct dp_neigh *e)
{
	for (unsigned i = 0; i < e->npending; i++) {
		struct rte_mbuf *m = e->pending[i];

		memcpy(rte_pktmbuf_mtod(m, uint8_t *), e->mac, DP_ETH_ALEN);
		dp_txq_put(w, e->key.port, m);
	}
	w->neigh.npending -= e->npending;
	e->npending = 0;
}

void
dp_neigh_learn(struct dp_worker *w, unsigned port, uint8_t family, const uint8_t *ip,
	       const uint8_t mac[DP_ETH_ALEN], bool create)
{
	struct dp_neigh_key k;
	struct dp_neigh *e;

	make_key(&k, port, family, ip);
	e = lookup(&w->neigh, &k);
	if (e == NULL) {
		if (!create)
			return;
		e = insert(w, &k);
	}
	memcpy(e->mac, mac, DP_ETH_ALEN);
	e->state = NEIGH_REACHABLE;
	e->tries = 0;
	e->updated_ns = w->now_ns;
	dp_timer_arm(&w->timers, &e->timer, w->now_ns + DP_NEIGH_REACHABLE_NS);
	dp_cnt_inc(&w->cnt, DP_CNT_NEIGH_LEARNED);
	flush_pending(w, e);
}

bool
dp_neigh_known(const struct dp_worker *w, unsigned port, uint8_t family, const uint8_t *ip)
{
	struct dp_neigh_key k;
	int i;

	make_key(&k, port, family, ip);
	i = find(&w->neigh, &k);
	return i >= 0 && w->neigh.e[i].state != NEIGH_INCOMPLETE;
}

int
dp_neigh_send(struct dp_worker *w, unsigned port, uint8_t family, const uint8_t *ip,
	      struct rte_mbuf *m)
{
	struct dp_neigh_key k;
	struct dp_neigh *e;

	make_key(&k, port, family, ip);
	e = lookup(&w->neigh, &k);
	if (e != NULL && e->state != NEIGH_INCOMPLETE) {
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), e->mac, DP_ETH_ALEN);
		return dp_txq_put(w, port, m);
	}
	if (e == NULL) {
		e = insert(w, &k);
		e->state = NEIGH_INCOMPLETE;
		e->tries = 1;
		solicit(w, e);
		dp_timer_arm(&w->timers, &e->timer, w->now_ns + DP_NEIGH_RETRY_NS);
	}
	if (e->npending == DP_NEIGH_PENDING || w->neigh.npending >= DP_NEIGH_PENDING_TOTAL) {
		rte_pktmbuf_free(m);
		dp_cnt_inc(&w->cnt, DP_CNT_DROP_NEIGH_QUEUE);
		return DP_ERR_NOBUF;
	}
	e->pending[e->npending++] = m;
	w->neigh.npending++;
	return 0;
}
