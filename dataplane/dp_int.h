/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal state of the dataplane: struct dp, struct dp_worker, the neighbour table. */
#ifndef HB_DATAPLANE_DP_INT_H
#define HB_DATAPLANE_DP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <dataplane/dp.h>
#include <dataplane/hash.h>

struct rte_flow;

#define DP_TX_BUF	(2 * DP_BURST) /* frames a TX queue buffer holds */
#define DP_TX_RETRY_MAX 8	       /* iterations a partly sent burst is retried */
#define DP_SID_MAX	15

/* Neighbour table (ARP and NDP): per worker, bounded, keyed hash with a bounded probe window. */
#define DP_NEIGH_SIZE	       256 /* power of two */
#define DP_NEIGH_PROBE	       8   /* slots looked at per key; full window evicts the oldest */
#define DP_NEIGH_PENDING       4   /* frames waiting per unresolved address */
#define DP_NEIGH_PENDING_TOTAL 64  /* frames waiting per worker */
#define DP_NEIGH_TRIES	       3   /* requests sent before giving up */
#define DP_NEIGH_RETRY_NS      UINT64_C(1000000000)  /* between requests */
#define DP_NEIGH_REACHABLE_NS  UINT64_C(60000000000) /* then refreshed */
#define DP_NEIGH_STALE_NS      UINT64_C(3000000000)  /* refresh answer deadline */

enum neigh_state {
	NEIGH_FREE = 0,
	NEIGH_INCOMPLETE, /* request sent, frames may wait */
	NEIGH_REACHABLE,  /* MAC known */
	NEIGH_STALE,	  /* MAC known, refresh request sent; removed if unanswered */
};

struct dp_neigh_key {
	uint8_t ip[16];
	uint8_t family;
	uint8_t port; /* port index */
};

struct dp_neigh {
	struct dp_neigh_key key;
	uint8_t mac[DP_ETH_ALEN];
	uint8_t state;
	uint8_t tries;
	uint8_t npending;
	struct rte_mbuf *pending[DP_NEIGH_PENDING];
	uint64_t updated_ns;
	struct dp_timer timer;
};

struct dp_neigh_table {
	uint8_t hash_key[DP_SIPHASH_KEY_LEN];
	unsigned npending; /* frames waiting over all entries */
	unsigned last;	   /* the entry found last: most frames go to the one next hop */
	struct dp_neigh e[DP_NEIGH_SIZE];
};

/* One port as every worker sees it: immutable once dp_new() returns. */
struct dp_port {
	uint16_t port_id;
	unsigned tx_offload; /* DP_TX_* */
	bool rx_csum;	     /* the NIC reports checksum verdicts */
	bool link_gated;     /* net_memif: no burst while its link is down (dp_port_link_up()) */
	struct dp_iface ifc;
};

/*
 * Whether a worker may call the port's RX/TX burst functions now. Always true but for net_memif
 * ports, whose DPDK 22.11 driver tears a connection down on its interrupt thread (link down, the
 * CONNECTED flag cleared, the peer's regions unmapped) without waiting for a burst already past
 * its flag check: workers stay out of the driver while the link is down, and memif_guard.c makes
 * the unmapping wait for bursts in progress (README, Known limitations).
 */
static inline bool
dp_port_link_up(const struct dp_port *p)
{
	struct rte_eth_link link;

	if (!p->link_gated)
		return true;
	if (rte_eth_link_get_nowait(p->port_id, &link) != 0)
		return false;
	return link.link_status == RTE_ETH_LINK_UP;
}

/* Frames waiting for a TX burst on one port. */
struct dp_txq {
	uint16_t n;
	uint16_t retries;
	uint64_t first_ns; /* when the oldest frame was queued */
	struct rte_mbuf *m[DP_TX_BUF];
};

/* Datagrams waiting to be enqueued, as one burst, on another worker's ring. */
struct dp_steer_buf {
	uint16_t n;
	struct rte_mbuf *m[DP_BURST];
};

struct dp_worker {
	/* Read on every iteration. */
	struct dp *dp;
	unsigned id;
	unsigned lcore;
	unsigned nb_workers;
	unsigned nb_ports;
	const struct dp_port *ports;
	struct rte_ring *ring;	       /* ours: multi-producer, single-consumer */
	struct rte_ring *const *rings; /* every worker's, by id */
	struct rte_mempool *pool;
	struct dp_handler h;
	void *ctx;
	uint64_t now_ns;
	uint64_t next_tick_ns;
	uint64_t drain_ns;
	bool busy_poll;
	bool live_clock;    /* driven by dp_worker_run(): dp_worker_clock() reads the TSC */
	uint32_t memif_seq; /* odd inside a net_memif burst (memif_guard.c) */
	/* Steering (dp_worker_set_steering()). */
	struct quic_lb *lb;
	size_t cid_len;
	uint8_t sid_len;
	uint8_t sid[DP_SID_MAX];
	/* The allocation between dp_tx_alloc() (or _burst) and dp_tx_commit() (or _burst). */
	struct rte_mbuf *tx_m[DP_TX_ALLOC_MAX];
	unsigned tx_n;
	size_t tx_max;
	unsigned tx_port;
	struct dp_path tx_path;
	/* Idle back-off. */
	unsigned idle;
	/* Burst scratch: mbufs to free once the burst is done. */
	struct rte_mbuf *free[DP_BURST];
	struct dp_steer_buf *steer; /* nb_workers entries */
	struct dp_txq txq[DP_MAX_PORTS];
	struct dp_timer_wheel timers;
	struct dp_counters cnt;
	struct dp_neigh_table neigh;
} __rte_cache_aligned;

struct dp {
	struct dp_opts opts;
	unsigned nb_workers;
	unsigned nb_ports;
	struct dp_port port[DP_MAX_PORTS];
	struct dp_worker **w;
	struct rte_ring **rings;
	struct rte_mempool **pools;
	uint64_t tsc0;
	uint64_t ns_mult; /* ns = (tsc * ns_mult) >> 32 */
	bool ports_configured[DP_MAX_PORTS];
	bool ports_started[DP_MAX_PORTS];
	/* rte_flow rules by CID (flow.c): 2 per worker (IPv4, IPv6), NULL when not in use. */
	struct rte_flow **flows[DP_MAX_PORTS];
	bool flow_hw[DP_MAX_PORTS];
	/* Set by dp_stop() (release), read by every worker loop (acquire). */
	int stop;
	/* 1 while dp_run() runs the workers on their lcores (the thread-ownership check). */
	int running;
};

/*
 * Thread ownership (issue 8), in debug builds (NDEBUG unset): while dp_run() runs the workers,
 * a worker's fast path (dp_worker_poll() and the handler entries it calls, dp_tx_alloc(),
 * dp_tx_commit()) may only run on that worker's lcore: its connections, pools and crypto
 * context have no locks. Tests that poll workers themselves without dp_run() have no owner to
 * check. A violation prints the two lcores and aborts.
 */
void dp_owner_violation(const struct dp_worker *w, unsigned lcore);

/* memif_guard.c: the dataplane whose workers munmap() waits for (NULL: none). */
void dp_memif_guard_set(struct dp *dp);
/* Wait (bounded) until no worker is inside a memif burst begun before the call; what munmap()
 * does first when the memif driver calls it. */
void dp_memif_quiesce(void);

/*
 * Around every burst on a link-gated (net_memif) port: memif_seq is odd inside. The entering
 * store is sequentially consistent so that it is ordered before the driver's load of its
 * CONNECTED flag (pairs with the fence in dp_memif_quiesce()); @return false, and nothing
 * entered, while the port's link is down (dp_port_link_up()).
 */
static inline bool
dp_memif_enter(struct dp_worker *w, const struct dp_port *p)
{
	if (!p->link_gated)
		return true;
	__atomic_store_n(&w->memif_seq, w->memif_seq + 1, __ATOMIC_SEQ_CST);
	if (dp_port_link_up(p))
		return true;
	/* Release pairs with the acquire loads in dp_memif_quiesce(). */
	__atomic_store_n(&w->memif_seq, w->memif_seq + 1, __ATOMIC_RELEASE);
	return false;
}

static inline void
dp_memif_leave(struct dp_worker *w, const struct dp_port *p)
{
	/* Release pairs with the acquire loads in dp_memif_quiesce(). */
	if (p->link_gated)
		__atomic_store_n(&w->memif_seq, w->memif_seq + 1, __ATOMIC_RELEASE);
}

static inline void
dp_check_owner(const struct dp_worker *w)
{
#ifndef NDEBUG
	unsigned lcore = rte_lcore_id();

	if (unlikely(__atomic_load_n(&w->dp->running, __ATOMIC_RELAXED) != 0 && lcore != w->lcore))
		dp_owner_violation(w, lcore);
#else
	(void)w;
#endif
}

/* neigh.c */
void dp_neigh_init(struct dp_worker *w);
void dp_neigh_fini(struct dp_worker *w);
/* Learn a MAC: update an existing entry, or create one when create is set. */
void dp_neigh_learn(struct dp_worker *w, unsigned port, uint8_t family, const uint8_t *ip,
		    const uint8_t mac[DP_ETH_ALEN], bool create);
/*
 * Send a frame whose headers lack only the destination MAC, to next hop ip: at once when known,
 * else after resolution (consumes m). @return 0 or DP_ERR_NOBUF (counted drop)
 */
/* Whether the MAC of next hop ip is known (frames to it leave at once). */
bool dp_neigh_known(const struct dp_worker *w, unsigned port, uint8_t family, const uint8_t *ip);
int dp_neigh_send(struct dp_worker *w, unsigned port, uint8_t family, const uint8_t *ip,
		  struct rte_mbuf *m);

/* tx.c */
/* Queue a complete frame on a port's TX queue (consumes m). @return 0 or DP_ERR_NOBUF */
int dp_txq_put(struct dp_worker *w, unsigned port, struct rte_mbuf *m);
/* Flush the queues that are full, retrying, or older than the drain time. @return frames sent */
unsigned dp_txq_drain(struct dp_worker *w, bool force);
/* A fresh mbuf holding len bytes of frame to write, or NULL (counted drop_no_mbuf). */
struct rte_mbuf *dp_frame_alloc(struct dp_worker *w, size_t len);
void dp_tx_reset(struct dp_worker *w);

/* flow.c */
/*
 * Once every worker has its steering: put rte_flow rules by CID on each multi-queue port, or
 * log why not and keep software steering. Replaces rules set before. Control thread.
 */
void dp_flow_setup(struct dp *dp);
/* Destroy every rule (before the ports stop). */
void dp_flow_free(struct dp *dp);

/* rx.c */
unsigned dp_rx_burst(struct dp_worker *w, unsigned port, struct rte_mbuf **pkts, unsigned n,
		     bool from_ring);

#endif /* HB_DATAPLANE_DP_INT_H */
