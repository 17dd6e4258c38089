/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive: parse each frame of a burst, answer and learn ARP/NDP, steer QUIC datagrams to the
 * worker their connection ID names (design.md "Data flow" step 3), deliver ours, and free the
 * burst in bulk.
 */
#include <string.h>

#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include <quic/cid.h>

#include "dp_int.h"

#define QUIC_LONG_HDR	    0x80
#define QUIC_LONG_DCID_OFF  6 /* flags, version (4), DCID length (RFC 9000 §17.2) */
#define QUIC_SHORT_DCID_OFF 1 /* flags (RFC 9000 §17.3) */

static inline bool
is_zero4(const uint8_t *ip)
{
	return ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] == 0;
}

/*
 * The worker a QUIC datagram belongs to. Only the DCID is read: at byte 1 of a short header,
 * or at byte 6 of a long header whose DCID length is our CID length. A DCID that does not
 * decode to our server ID and a valid worker keeps the datagram here: that is the case of
 * Initials and 0-RTT with a client-chosen DCID, which RSS keeps on one queue per 4-tuple.
 */
static unsigned
steer_target(struct dp_worker *w, const uint8_t *p, size_t len)
{
	struct quic_lb_route r;
	const uint8_t *dcid;

	/* One worker has nowhere to steer to: no QUIC-LB decode (an AES block) per datagram. */
	if (w->lb == NULL || w->nb_workers == 1 || len == 0)
		return w->id;
	if ((p[0] & QUIC_LONG_HDR) != 0) {
		if (len < QUIC_LONG_DCID_OFF + w->cid_len ||
		    p[QUIC_LONG_DCID_OFF - 1] != w->cid_len)
			return w->id;
		dcid = p + QUIC_LONG_DCID_OFF;
	} else {
		if (len < QUIC_SHORT_DCID_OFF + w->cid_len)
			return w->id;
		dcid = p + QUIC_SHORT_DCID_OFF;
	}
	if (quic_lb_decode(w->lb, dcid, w->cid_len, &r) != 0 || r.server_id_len != w->sid_len ||
	    memcmp(r.server_id, w->sid, w->sid_len) != 0 || r.worker >= w->nb_workers) {
		dp_cnt_inc(&w->cnt, DP_CNT_STEER_FOREIGN);
		return w->id;
	}
	return r.worker;
}

/* Enqueue one worker's buffered hand-offs as a burst; a full ring is a counted drop. */
static void
steer_flush_one(struct dp_worker *w, unsigned t)
{
	struct dp_steer_buf *b = &w->steer[t];
	unsigned sent;

	if (b->n == 0)
		return;
	/* Multi-producer enqueue: any worker may feed this ring; only worker t dequeues. */
	sent = rte_ring_enqueue_burst(w->rings[t], (void **)b->m, b->n, NULL);
	dp_cnt_add(&w->cnt, DP_CNT_STEER_OUT, sent);
	if (sent < b->n) {
		rte_pktmbuf_free_bulk(b->m + sent, b->n - sent);
		dp_cnt_add(&w->cnt, DP_CNT_DROP_RING_FULL, b->n - sent);
	}
	b->n = 0;
}

/* Hand m (consumed) to worker t, in the next burst for its ring. */
static void
steer_put(struct dp_worker *w, unsigned t, struct rte_mbuf *m)
{
	struct dp_steer_buf *b = &w->steer[t];

	b->m[b->n++] = m;
	if (b->n == DP_BURST)
		steer_flush_one(w, t);
}

/* Give every other worker a reference to an ARP/NDP frame (borrowed), to learn from. */
static void
share(struct dp_worker *w, struct rte_mbuf *m)
{
	if (w->nb_workers < 2)
		return;
	rte_mbuf_refcnt_update(m, (int16_t)(w->nb_workers - 1));
	for (unsigned t = 0; t < w->nb_workers; t++) {
		if (t != w->id)
			steer_put(w, t, m);
	}
	dp_cnt_add(&w->cnt, DP_CNT_NEIGH_SHARED, w->nb_workers - 1);
}

static void
answer_arp(struct dp_worker *w, unsigned port, const struct dp_rx_info *in)
{
	const struct dp_iface *ifc = &w->ports[port].ifc;
	struct rte_mbuf *m = dp_frame_alloc(w, DP_ARP_FRAME_LEN);

	if (m == NULL)
		return;
	dp_arp_write(rte_pktmbuf_mtod(m, uint8_t *), DP_ARP_OP_REPLY, ifc->mac, ifc->ip4,
		     in->lladdr, in->sender_ip);
	dp_cnt_inc(&w->cnt, DP_CNT_ARP_REPLIED);
	dp_txq_put(w, port, m);
}

/* RFC 4861 §7.2.4: a solicited NA, unicast to the solicitation's source. */
static void
answer_ns(struct dp_worker *w, unsigned port, const struct dp_rx_info *in)
{
	const struct dp_iface *ifc = &w->ports[port].ifc;
	struct rte_mbuf *m = dp_frame_alloc(w, DP_NDP_FRAME_LEN);

	if (m == NULL)
		return;
	dp_ndp_write_na(rte_pktmbuf_mtod(m, uint8_t *), ifc->mac, ifc->ip6,
			in->has_lladdr ? in->lladdr : in->eth_src, in->sender_ip,
			DP_NA_SOLICITED | DP_NA_OVERRIDE);
	dp_cnt_inc(&w->cnt, DP_CNT_NDP_REPLIED);
	dp_txq_put(w, port, m);
}

/*
 * ARP and NDP: learn (RFC 826 merge: update a known sender, create it when we are the target;
 * RFC 4861 §7.2.3 and §7.2.5: an NS creates its source, an NA updates only), and answer what
 * came from the NIC (a frame shared by another worker was answered there).
 */
static void
on_neigh(struct dp_worker *w, unsigned port, const struct dp_rx_info *in, bool from_ring)
{
	switch (in->kind) {
	case DP_PKT_ARP:
		if (!is_zero4(in->sender_ip))
			dp_neigh_learn(w, port, DP_AF_INET, in->sender_ip, in->lladdr,
				       in->target_is_us);
		if (!from_ring && in->arp_op == DP_ARP_OP_REQUEST && in->target_is_us)
			answer_arp(w, port, in);
		break;
	case DP_PKT_NS:
		if (in->has_lladdr)
			dp_neigh_learn(w, port, DP_AF_INET6, in->sender_ip, in->lladdr, true);
		if (!from_ring)
			answer_ns(w, port, in);
		break;
	default: /* DP_PKT_NA */
		if (in->has_lladdr)
			dp_neigh_learn(w, port, DP_AF_INET6, in->target_ip, in->lladdr, false);
		break;
	}
}

/* Checksum verdicts to trust: the NIC's when it gives them, ours on a steered frame. */
static unsigned
csum_flags(const struct dp_port *p, const struct rte_mbuf *m, bool from_ring)
{
	unsigned f = 0;

	if (!p->rx_csum && !from_ring)
		return 0;
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		f |= DP_RX_IP_CSUM_GOOD;
	else if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		f |= DP_RX_IP_CSUM_BAD;
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		f |= DP_RX_L4_CSUM_GOOD;
	else if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		f |= DP_RX_L4_CSUM_BAD;
	return f;
}

/*
 * A datagram to the link-floor reflector (dp_opts.echo_port): answered by this worker with the
 * first bytes of its payload, as many as its bytes 1..2 ask (never more than it carried), no
 * QUIC and no steering. A failed answer is a TX drop the dataplane counted already.
 */
static void
echo(struct dp_worker *w, const struct dp_port *p, const uint8_t *payload, struct dp_rx_info *in)
{
	size_t n = dp_echo_len(payload, in->payload_len);

	if (n == 0) {
		dp_cnt_inc(&w->cnt, DP_CNT_DROP_ECHO);
		return;
	}
	in->path.port_id = p->port_id;
	if (dp_tx_copy(w, &in->path, payload, n) == 0)
		dp_cnt_inc(&w->cnt, DP_CNT_ECHOED);
}

/* A verified datagram: hand it to its worker (consumed) or deliver it here (borrowed). */
static bool
on_udp(struct dp_worker *w, const struct dp_port *p, struct rte_mbuf *m, struct dp_rx_info *in,
       bool from_ring)
{
	const uint8_t *payload = rte_pktmbuf_mtod_offset(m, const uint8_t *, in->payload_off);

	if (p->ifc.echo_port != 0 && in->path.local.port == p->ifc.echo_port) {
		echo(w, p, payload, in);
		return false;
	}
	if (!from_ring) {
		unsigned t = steer_target(w, payload, in->payload_len);

		if (t != w->id) {
			/* Verified here: the owner need not checksum it again. */
			m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
			m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
			steer_put(w, t, m);
			return true;
		}
	}
	if (w->h.on_datagram == NULL) {
		dp_cnt_inc(&w->cnt, DP_CNT_DROP_UDP_PORT);
		return false;
	}
	in->path.port_id = p->port_id;
	dp_cnt_inc(&w->cnt, DP_CNT_RX_DATAGRAMS);
	w->h.on_datagram(w->ctx, w, payload, in->payload_len, &in->path, w->now_ns);
	return false;
}

static unsigned
port_index(const struct dp_worker *w, uint16_t port_id)
{
	for (unsigned p = 0; p < w->nb_ports; p++) {
		if (w->ports[p].port_id == port_id)
			return p;
	}
	return 0;
}

/* One frame; returns true when m was handed on (not to be freed here). */
static bool
rx_one(struct dp_worker *w, unsigned port, struct rte_mbuf *m, bool from_ring)
{
	const struct dp_port *p;
	struct dp_rx_info in;
	int kind;

	if (from_ring) {
		dp_cnt_inc(&w->cnt, DP_CNT_STEER_IN);
		port = port_index(w, m->port);
	} else {
		dp_cnt_inc(&w->cnt, DP_CNT_RX_PKTS);
		dp_cnt_add(&w->cnt, DP_CNT_RX_BYTES, m->pkt_len);
		/* Not every PMD sets it; the worker it is steered to looks it up. */
		m->port = w->ports[port].port_id;
	}
	p = &w->ports[port];
	if (m->nb_segs != 1) {
		dp_cnt_inc(&w->cnt, DP_CNT_DROP_MULTISEG);
		return false;
	}
	kind = dp_rx_parse(&p->ifc, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
			   csum_flags(p, m, from_ring), &in, &w->cnt);
	if (kind == DP_PKT_DROP)
		return false;
	if (kind == DP_PKT_UDP)
		return on_udp(w, p, m, &in, from_ring);
	on_neigh(w, port, &in, from_ring);
	if (!from_ring)
		share(w, m);
	return false;
}

unsigned
dp_rx_burst(struct dp_worker *w, unsigned port, struct rte_mbuf **pkts, unsigned n, bool from_ring)
{
	unsigned nfree = 0;

	for (unsigned i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (!rx_one(w, port, pkts[i], from_ring))
			w->free[nfree++] = pkts[i];
	}
	for (unsigned t = 0; t < w->nb_workers; t++)
		steer_flush_one(w, t);
	if (w->h.end_burst != NULL)
		w->h.end_burst(w->ctx, w, w->now_ns);
	rte_pktmbuf_free_bulk(w->free, nfree);
	return n;
}
