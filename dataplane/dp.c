/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Set-up and teardown: one worker per EAL lcore, each with a mempool and a steering ring on
 * its lcore's socket and one RX and one TX queue on every port; RSS over UDP 4-tuples and
 * checksum offloads where a port offers them; DPDK telemetry of the counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include "dp_int.h"

#define DP_LOG(level, fmt, ...) RTE_LOG(level, USER1, "dataplane: " fmt "\n", ##__VA_ARGS__)

#define POOL_CACHE 256u
#define NAME_LEN   32
#define RSS_WANT                                                                                   \
	(RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_IPV4 |          \
	 RTE_ETH_RSS_IPV6)
#define RX_CSUM (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM)

/*
 * DPDK 22.11's telemetry callbacks take no context argument, so the one dataplane that
 * answers /hayabusa/stats is found through this file-local pointer. The lock is held by the
 * telemetry thread while it reads counters and by dp_new()/dp_free() while they set or clear
 * the pointer, so a reply never reads a freed dataplane. Workers never touch either.
 */
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dp *tel_dp;   /* guarded by tel_lock */
static bool tel_registered; /* guarded by tel_lock */

static unsigned
pool_size(const struct dp *dp)
{
	const struct dp_opts *o = &dp->opts;
	unsigned n;

	if (o->mbufs != 0)
		return o->mbufs;
	/*
	 * A worker's mbufs sit in its RX rings, its TX rings and queues, other workers' steering
	 * rings, the neighbour queues, one burst in flight, and the per-lcore caches.
	 */
	n = dp->nb_ports * (o->rxd + o->txd + DP_TX_BUF) + (dp->nb_workers - 1) * o->ring_size +
	    DP_NEIGH_PENDING_TOTAL + DP_BURST * (dp->nb_ports + 2) +
	    dp->nb_workers * POOL_CACHE * 3 / 2 + 256;
	return rte_align32pow2(n + 1) - 1; /* 2^k - 1 suits the mempool's ring */
}

/* Pool, ring and state of worker i on lcore. */
static int
worker_new(struct dp *dp, unsigned i, unsigned lcore)
{
	int socket = (int)rte_lcore_to_socket_id(lcore);
	unsigned n = pool_size(dp), cache = RTE_MIN(POOL_CACHE, n / 4);
	uint16_t room =
		(uint16_t)(RTE_PKTMBUF_HEADROOM + RTE_MAX((unsigned)RTE_MBUF_DEFAULT_DATAROOM,
							  dp->opts.mtu + DP_ETH_HLEN + 4u));
	char name[NAME_LEN];
	struct dp_worker *w;

	snprintf(name, sizeof(name), "dp%08x_mp%u", (unsigned)(uintptr_t)dp, i);
	dp->pools[i] = rte_pktmbuf_pool_create(name, n, cache, 0, room, socket);
	snprintf(name, sizeof(name), "dp%08x_rg%u", (unsigned)(uintptr_t)dp, i);
	dp->rings[i] = rte_ring_create(name, dp->opts.ring_size, socket, RING_F_SC_DEQ);
	w = rte_zmalloc_socket("dp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
	dp->w[i] = w;
	if (dp->pools[i] == NULL || dp->rings[i] == NULL || w == NULL) {
		DP_LOG(ERR, "worker %u: no memory for %u mbufs or its ring: %s", i, n,
		       rte_strerror(rte_errno));
		return DP_ERR_NOMEM;
	}
	w->steer = rte_zmalloc_socket("dp_steer", dp->nb_workers * sizeof(w->steer[0]),
				      RTE_CACHE_LINE_SIZE, socket);
	if (w->steer == NULL)
		return DP_ERR_NOMEM;
	w->dp = dp;
	w->id = i;
	w->lcore = lcore;
	w->nb_workers = dp->nb_workers;
	w->nb_ports = dp->nb_ports;
	w->ports = dp->port;
	w->ring = dp->rings[i];
	w->rings = dp->rings;
	w->pool = dp->pools[i];
	w->drain_ns = (uint64_t)dp->opts.tx_drain_us * 1000;
	w->busy_poll = dp->opts.poll == DP_POLL_BUSY;
	dp_timer_wheel_init(&w->timers, 0, DP_TIMER_SHIFT_DEFAULT);
	dp_neigh_init(w);
	return 0;
}

static int
workers_new(struct dp *dp)
{
	unsigned W = dp->nb_workers, lcore = rte_get_main_lcore();

	dp->w = rte_zmalloc("dp_workers", W * sizeof(dp->w[0]), 0);
	dp->rings = rte_zmalloc("dp_rings", W * sizeof(dp->rings[0]), 0);
	dp->pools = rte_zmalloc("dp_pools", W * sizeof(dp->pools[0]), 0);
	if (dp->w == NULL || dp->rings == NULL || dp->pools == NULL)
		return DP_ERR_NOMEM;
	/* Worker 0 on the main lcore, then the others in EAL order. */
	for (unsigned i = 0; i < W; i++) {
		int r = worker_new(dp, i, lcore);

		if (r != 0)
			return r;
		lcore = rte_get_next_lcore(lcore, 1, 0);
	}
	return 0;
}

/* RSS, checksum offloads and MTU, each reduced to what the port offers (and logged). */
static void
port_conf(struct dp *dp, struct dp_port *p, const struct rte_eth_dev_info *info,
	  struct rte_eth_conf *conf)
{
	uint64_t rss = RSS_WANT & info->flow_type_rss_offloads;

	if (dp->nb_workers > 1 && rss == 0) {
		DP_LOG(WARNING, "port %u has no RSS: queues 1.. get only what the port sends there",
		       p->port_id);
	} else if (dp->nb_workers > 1) {
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_hf = rss;
		if (rss != RSS_WANT)
			DP_LOG(NOTICE,
			       "port %u: RSS hash types reduced from %#" PRIx64 " to %#" PRIx64,
			       p->port_id, (uint64_t)RSS_WANT, rss);
	}
	if ((info->rx_offload_capa & RX_CSUM) == RX_CSUM) {
		conf->rxmode.offloads |= RX_CSUM;
		p->rx_csum = true;
	}
	if ((info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0) {
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
		p->tx_offload |= DP_TX_IP_CSUM;
	}
	if ((info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0) {
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
		p->tx_offload |= DP_TX_UDP_CSUM;
	}
	p->ifc.mtu = (uint16_t)RTE_MIN(dp->opts.mtu, info->max_mtu);
	if (p->ifc.mtu != dp->opts.mtu)
		DP_LOG(NOTICE, "port %u: MTU reduced to %u", p->port_id, p->ifc.mtu);
	conf->rxmode.mtu = p->ifc.mtu;
}

static void
iface_fill(struct dp *dp, struct dp_port *p, const struct dp_port_opts *po)
{
	struct dp_iface *ifc = &p->ifc;
	struct rte_ether_addr mac;

	rte_eth_macaddr_get(p->port_id, &mac);
	memcpy(ifc->mac, mac.addr_bytes, DP_ETH_ALEN);
	ifc->has_ip4 = po->has_ip4;
	ifc->has_gw4 = po->has_gw4;
	ifc->has_ip6 = po->has_ip6;
	ifc->has_gw6 = po->has_gw6;
	ifc->prefix4 = po->prefix4;
	ifc->prefix6 = po->prefix6;
	memcpy(ifc->ip4, po->ip4, 4);
	memcpy(ifc->gw4, po->gw4, 4);
	memcpy(ifc->ip6, po->ip6, 16);
	memcpy(ifc->gw6, po->gw6, 16);
	ifc->udp_port = dp->opts.udp_port;
	ifc->echo_port = dp->opts.echo_port;
}

static int
queues_setup(struct dp *dp, struct dp_port *p, const struct rte_eth_dev_info *info,
	     const struct rte_eth_conf *conf)
{
	uint16_t rxd = dp->opts.rxd, txd = dp->opts.txd;
	struct rte_eth_rxconf rxc = info->default_rxconf;
	struct rte_eth_txconf txc = info->default_txconf;
	int r;

	r = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &rxd, &txd);
	if (r != 0)
		return r;
	rxc.offloads = conf->rxmode.offloads;
	txc.offloads = conf->txmode.offloads;
	for (unsigned i = 0; i < dp->nb_workers && r == 0; i++) {
		int socket = (int)rte_lcore_to_socket_id(dp->w[i]->lcore);

		r = rte_eth_rx_queue_setup(p->port_id, (uint16_t)i, rxd, (unsigned)socket, &rxc,
					   dp->pools[i]);
		if (r == 0)
			r = rte_eth_tx_queue_setup(p->port_id, (uint16_t)i, txd, (unsigned)socket,
						   &txc);
	}
	return r;
}

static int
port_setup(struct dp *dp, unsigned i)
{
	const struct dp_port_opts *po = &dp->opts.port[i];
	struct dp_port *p = &dp->port[i];
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t W = (uint16_t)dp->nb_workers;
	int r;

	p->port_id = po->port_id;
	if (!rte_eth_dev_is_valid_port(p->port_id) || rte_eth_dev_info_get(p->port_id, &info)) {
		DP_LOG(ERR, "port %u does not exist", p->port_id);
		return DP_ERR_INVAL;
	}
	if (info.max_rx_queues < W || info.max_tx_queues < W) {
		DP_LOG(ERR, "port %u has %u RX / %u TX queues, %u workers need one each",
		       p->port_id, info.max_rx_queues, info.max_tx_queues, W);
		return DP_ERR_INVAL;
	}
	port_conf(dp, p, &info, &conf);
	p->link_gated = info.driver_name != NULL && strcmp(info.driver_name, "net_memif") == 0;
	r = rte_eth_dev_configure(p->port_id, W, W, &conf);
	if (r == 0) {
		dp->ports_configured[i] = true;
		r = queues_setup(dp, p, &info, &conf);
	}
	if (r != 0) {
		DP_LOG(ERR, "port %u: configuration refused: %s", p->port_id, rte_strerror(-r));
		return DP_ERR_PORT;
	}
	iface_fill(dp, p, po);
	/* Neighbor Solicitations arrive on solicited-node multicast groups; best effort. */
	(void)rte_eth_allmulticast_enable(p->port_id);
	return 0;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_counters c = {0};
	int r = 0;

	(void)cmd;
	pthread_mutex_lock(&tel_lock);
	if (tel_dp == NULL) {
		r = -ENODEV;
	} else if (params != NULL && *params != '\0') {
		char *end;
		unsigned long i = strtoul(params, &end, 10);

		if (*end != '\0' || i >= tel_dp->nb_workers)
			r = -EINVAL;
		else
			dp_counters_accumulate(&c, &tel_dp->w[i]->cnt);
	} else {
		dp_stats(tel_dp, &c);
	}
	pthread_mutex_unlock(&tel_lock);
	if (r != 0)
		return r;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < DP_CNT_MAX; i++)
		rte_tel_data_add_dict_u64(d, dp_cnt_name(i), c.v[i]);
	return 0;
}

static void
tel_publish(struct dp *dp)
{
	pthread_mutex_lock(&tel_lock);
	if (!tel_registered)
		tel_registered = rte_telemetry_register_cmd(
					 "/hayabusa/stats", tel_stats,
					 "Dataplane counters, summed or of one worker. Parameters: "
					 "int worker (optional)") == 0;
	if (tel_dp == NULL)
		tel_dp = dp;
	pthread_mutex_unlock(&tel_lock);
}

static void
tel_withdraw(struct dp *dp)
{
	pthread_mutex_lock(&tel_lock);
	if (tel_dp == dp)
		tel_dp = NULL;
	pthread_mutex_unlock(&tel_lock);
}

int
dp_new(struct dp **out, const struct dp_opts *opts)
{
	struct dp *dp;
	int r = 0;

	if (out == NULL || opts == NULL || opts->nb_ports == 0 || opts->nb_ports > DP_MAX_PORTS ||
	    rte_lcore_count() == 0)
		return DP_ERR_INVAL;
	*out = NULL;
	dp = rte_zmalloc("dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	if (dp == NULL)
		return DP_ERR_NOMEM;
	dp->opts = *opts;
	dp->nb_workers = rte_lcore_count();
	dp->nb_ports = opts->nb_ports;
	dp->tsc0 = rte_rdtsc();
	dp->ns_mult = (UINT64_C(1000000000) << 32) / rte_get_tsc_hz();
	r = workers_new(dp);
	for (unsigned i = 0; r == 0 && i < dp->nb_ports; i++)
		r = port_setup(dp, i);
	for (unsigned i = 0; r == 0 && i < dp->nb_ports; i++) {
		r = rte_eth_dev_start(dp->port[i].port_id);
		dp->ports_started[i] = r == 0;
		if (r != 0) {
			DP_LOG(ERR, "port %u: start failed: %s", dp->port[i].port_id,
			       rte_strerror(-r));
			r = DP_ERR_PORT;
		}
	}
	if (r != 0) {
		dp_free(dp);
		return r;
	}
	dp_memif_guard_set(dp);
	tel_publish(dp);
	*out = dp;
	return 0;
}

static void
worker_free(struct dp_worker *w)
{
	dp_tx_reset(w);
	dp_neigh_fini(w);
	for (unsigned t = 0; t < w->nb_workers; t++) {
		rte_pktmbuf_free_bulk(w->steer[t].m, w->steer[t].n);
		w->steer[t].n = 0;
	}
}

/* Free whatever waits in a steering ring (other pools' mbufs included). */
static void
ring_drain(struct rte_ring *r)
{
	struct rte_mbuf *m[DP_BURST];
	unsigned n;

	while ((n = rte_ring_dequeue_burst(r, (void **)m, DP_BURST, NULL)) > 0)
		rte_pktmbuf_free_bulk(m, n);
}

void
dp_free(struct dp *dp)
{
	if (dp == NULL)
		return;
	tel_withdraw(dp);
	dp_memif_guard_set(NULL);
	dp_flow_free(dp);
	for (unsigned i = 0; dp->w != NULL && i < dp->nb_workers; i++) {
		if (dp->w[i] != NULL && dp->w[i]->steer != NULL)
			worker_free(dp->w[i]);
	}
	for (unsigned i = 0; dp->rings != NULL && i < dp->nb_workers; i++) {
		if (dp->rings[i] != NULL)
			ring_drain(dp->rings[i]);
	}
	/* Closing releases the RX queues' mbufs, so it comes before the pools go. */
	for (unsigned i = 0; i < dp->nb_ports; i++) {
		if (dp->ports_started[i])
			(void)rte_eth_dev_stop(dp->port[i].port_id);
		if (dp->ports_configured[i])
			(void)rte_eth_dev_close(dp->port[i].port_id);
	}
	for (unsigned i = 0; i < dp->nb_workers; i++) {
		if (dp->w != NULL && dp->w[i] != NULL)
			rte_free(dp->w[i]->steer);
		if (dp->w != NULL)
			rte_free(dp->w[i]);
		if (dp->rings != NULL)
			rte_ring_free(dp->rings[i]);
		if (dp->pools != NULL)
			rte_mempool_free(dp->pools[i]);
	}
	rte_free(dp->w);
	rte_free(dp->rings);
	rte_free(dp->pools);
	rte_free(dp);
}
