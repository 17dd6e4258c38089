/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transmit: the application's datagram allocation and commit, per-port TX queues flushed on a
 * full burst or the drain timer, and the bounded retry of frames the NIC did not take.
 */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dp_int.h"

struct rte_mbuf *
dp_frame_alloc(struct dp_worker *w, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);

	if (m == NULL || rte_pktmbuf_append(m, (uint16_t)len) == NULL) {
		rte_pktmbuf_free(m);
		dp_cnt_inc(&w->cnt, DP_CNT_DROP_NO_MBUF);
		return NULL;
	}
	return m;
}

/*
 * Hand a port's queued frames to the NIC. After rte_eth_tx_burst() returns n, frames [n, count)
 * are still ours: they stay queued for the next iteration, up to DP_TX_RETRY_MAX times, then
 * are freed and counted.
 */
static unsigned
txq_flush(struct dp_worker *w, unsigned port)
{
	struct dp_txq *q = &w->txq[port];
	uint32_t len[DP_TX_BUF];
	uint64_t bytes = 0;
	uint16_t sent;

	/* Lengths first: a sent mbuf belongs to the driver and may already be freed. */
	for (unsigned i = 0; i < q->n; i++)
		len[i] = q->m[i]->pkt_len;
	/* A port whose link is down takes nothing: the frames wait and are retried as below. */
	sent = 0;
	if (dp_memif_enter(w, &w->ports[port])) {
		sent = rte_eth_tx_burst(w->ports[port].port_id, (uint16_t)w->id, q->m, q->n);
		dp_memif_leave(w, &w->ports[port]);
	}
	for (unsigned i = 0; i < sent; i++)
		bytes += len[i];
	dp_cnt_add(&w->cnt, DP_CNT_TX_PKTS, sent);
	dp_cnt_add(&w->cnt, DP_CNT_TX_BYTES, bytes);
	if (sent == q->n) {
		q->n = 0;
		q->retries = 0;
		return sent;
	}
	q->n = (uint16_t)(q->n - sent);
	memmove(q->m, q->m + sent, q->n * sizeof(q->m[0]));
	dp_cnt_inc(&w->cnt, DP_CNT_TX_RETRIES);
	if (++q->retries > DP_TX_RETRY_MAX) {
		rte_pktmbuf_free_bulk(q->m, q->n);
		dp_cnt_add(&w->cnt, DP_CNT_DROP_TX_FULL, q->n);
		q->n = 0;
		q->retries = 0;
	}
	return sent;
}

int
dp_txq_put(struct dp_worker *w, unsigned port, struct rte_mbuf *m)
{
	struct dp_txq *q = &w->txq[port];

	if (q->n == DP_TX_BUF) {
		txq_flush(w, port);
		if (q->n == DP_TX_BUF) {
			rte_pktmbuf_free(m);
			dp_cnt_inc(&w->cnt, DP_CNT_DROP_TX_FULL);
			return DP_ERR_NOBUF;
		}
	}
	if (q->n == 0)
		q->first_ns = w->now_ns;
	q->m[q->n++] = m;
	if (q->n >= DP_BURST)
		txq_flush(w, port);
	return 0;
}

unsigned
dp_txq_drain(struct dp_worker *w, bool force)
{
	unsigned sent = 0;

	for (unsigned p = 0; p < w->nb_ports; p++) {
		struct dp_txq *q = &w->txq[p];

		if (q->n == 0)
			continue;
		if (force || q->retries > 0 || q->n >= DP_BURST ||
		    w->now_ns - q->first_ns >= w->drain_ns)
			sent += txq_flush(w, p);
	}
	return sent;
}

void
dp_tx_flush(struct dp_worker *w)
{
	dp_txq_drain(w, true);
}

/* Drop every queued frame (shutdown). */
void
dp_tx_reset(struct dp_worker *w)
{
	dp_tx_abort(w);
	for (unsigned p = 0; p < w->nb_ports; p++) {
		rte_pktmbuf_free_bulk(w->txq[p].m, w->txq[p].n);
		w->txq[p].n = 0;
	}
}

/* Index of the port a path leaves on, or -1 when the path cannot be used there. */
static int
path_port(const struct dp_worker *w, const struct dp_path *path)
{
	uint8_t family = path->local.family;

	if (family != path->remote.family || (family != DP_AF_INET && family != DP_AF_INET6))
		return -1;
	for (unsigned p = 0; p < w->nb_ports; p++) {
		const struct dp_iface *ifc = &w->ports[p].ifc;

		if (w->ports[p].port_id != path->port_id)
			continue;
		if ((family == DP_AF_INET && !ifc->has_ip4) ||
		    (family == DP_AF_INET6 && !ifc->has_ip6))
			return -1;
		return (int)p;
	}
	return -1;
}

size_t
dp_tx_payload_max(const struct dp_worker *w, const struct dp_path *path)
{
	int p = path_port(w, path);
	size_t hdrs;

	if (p < 0)
		return 0;
	hdrs = (path->local.family == DP_AF_INET ? DP_IPV4_HLEN : DP_IPV6_HLEN) + DP_UDP_HLEN;
	return w->ports[p].ifc.mtu - hdrs;
}

unsigned
dp_tx_alloc_burst(struct dp_worker *w, const struct dp_path *path, size_t max_payload,
		  uint8_t **bufs, unsigned n)
{
	unsigned i = 0;
	int p;

	dp_check_owner(w);
	dp_tx_abort(w);
	p = path_port(w, path);
	if (p < 0 || max_payload > dp_tx_payload_max(w, path) || n > DP_TX_ALLOC_MAX) {
		dp_cnt_inc(&w->cnt, DP_CNT_DROP_TX_INVALID);
		return 0;
	}
	if (n == 0)
		return 0;
	if (rte_pktmbuf_alloc_bulk(w->pool, w->tx_m, n) == 0)
		i = n;
	else /* all or nothing: take what is left, one at a time */
		while (i < n && (w->tx_m[i] = rte_pktmbuf_alloc(w->pool)) != NULL)
			i++;
	if (i == 0) {
		dp_cnt_inc(&w->cnt, DP_CNT_DROP_NO_MBUF);
		return 0;
	}
	w->tx_n = i;
	w->tx_max = max_payload;
	w->tx_port = (unsigned)p;
	w->tx_path = *path;
	/* The payload starts after the default headroom, which holds every header we prepend. */
	for (unsigned k = 0; k < i; k++)
		bufs[k] = rte_pktmbuf_mtod(w->tx_m[k], uint8_t *);
	return i;
}

uint8_t *
dp_tx_alloc(struct dp_worker *w, const struct dp_path *path, size_t max_payload)
{
	uint8_t *buf;

	return dp_tx_alloc_burst(w, path, max_payload, &buf, 1) == 1 ? buf : NULL;
}

void
dp_tx_abort(struct dp_worker *w)
{
	if (w->tx_n > 0)
		rte_pktmbuf_free_bulk(w->tx_m, w->tx_n);
	w->tx_n = 0;
}

int
dp_tx_copy(struct dp_worker *w, const struct dp_path *path, const void *data, size_t len)
{
	uint8_t *buf = dp_tx_alloc(w, path, len);

	if (buf == NULL)
		return DP_ERR_NOMEM;
	memcpy(buf, data, len);
	return dp_tx_commit(w, len);
}

/* Mark the checksums the NIC computes (rte_mbuf_core.h "TX offload" rules). */
static void
set_offload(struct rte_mbuf *m, uint8_t family, unsigned offload)
{
	if (offload == 0)
		return;
	m->l2_len = DP_ETH_HLEN;
	m->l3_len = family == DP_AF_INET ? DP_IPV4_HLEN : DP_IPV6_HLEN;
	m->ol_flags |= family == DP_AF_INET ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6;
	if (family == DP_AF_INET && (offload & DP_TX_IP_CSUM) != 0)
		m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
	if ((offload & DP_TX_UDP_CSUM) != 0)
		m->ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM;
}

/* The next hop toward ip on port p: ip itself when on-link, else the gateway, or NULL. */
static const uint8_t *
next_hop(const struct dp_port *p, uint8_t family, const uint8_t *ip)
{
	if (dp_iface_on_link(&p->ifc, family, ip))
		return ip;
	if (!(family == DP_AF_INET ? p->ifc.has_gw4 : p->ifc.has_gw6))
		return NULL;
	return family == DP_AF_INET ? p->ifc.gw4 : p->ifc.gw6;
}

bool
dp_path_resolved(const struct dp_worker *w, const struct dp_path *path)
{
	int p = path_port(w, path);
	const uint8_t *hop;

	if (p < 0)
		return false;
	hop = next_hop(&w->ports[p], path->local.family, path->remote.ip);
	return hop != NULL && dp_neigh_known(w, (unsigned)p, path->local.family, hop);
}

/* Headers in front of m's len payload bytes, then queued on the allocation's port. */
static int
commit_one(struct dp_worker *w, struct rte_mbuf *m, size_t len)
{
	static const uint8_t unresolved[DP_ETH_ALEN];
	const struct dp_path *path = &w->tx_path;
	const struct dp_port *p = &w->ports[w->tx_port];
	uint8_t family = path->local.family;
	const uint8_t *hop = path->remote.ip;
	uint8_t *frame;

	if (len > w->tx_max) {
		rte_pktmbuf_free(m);
		dp_cnt_inc(&w->cnt, DP_CNT_DROP_TX_INVALID);
		return DP_ERR_TOOBIG;
	}
	hop = next_hop(p, family, hop);
	if (hop == NULL) {
		rte_pktmbuf_free(m);
		dp_cnt_inc(&w->cnt, DP_CNT_DROP_NO_ROUTE);
		return DP_ERR_NOROUTE;
	}
	rte_pktmbuf_append(m, (uint16_t)len);
	frame = (uint8_t *)rte_pktmbuf_prepend(m,
					       family == DP_AF_INET ? DP_UDP4_HDRS : DP_UDP6_HDRS);
	dp_udp_write_hdrs(frame, p->ifc.mac, unresolved, path, len, p->tx_offload);
	set_offload(m, family, p->tx_offload);
	dp_cnt_inc(&w->cnt, DP_CNT_TX_DATAGRAMS);
	return dp_neigh_send(w, w->tx_port, family, hop, m);
}

int
dp_tx_commit(struct dp_worker *w, size_t len)
{
	unsigned have = w->tx_n;

	dp_check_owner(w);
	if (have == 0)
		return DP_ERR_STATE;
	w->tx_n = 0;
	if (have > 1) /* an allocation of a burst: the others go back */
		rte_pktmbuf_free_bulk(w->tx_m + 1, have - 1);
	return commit_one(w, w->tx_m[0], len);
}

unsigned
dp_tx_commit_burst(struct dp_worker *w, const size_t *lens, unsigned n)
{
	unsigned i, ok = 0, have = w->tx_n;

	dp_check_owner(w);
	w->tx_n = 0; /* consumed below, whatever happens */
	if (n > have)
		n = have;
	for (i = 0; i < n; i++)
		if (commit_one(w, w->tx_m[i], lens[i]) == 0)
			ok++;
	if (n < have)
		rte_pktmbuf_free_bulk(w->tx_m + n, have - n);
	return ok;
}
