/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL fixtures of the dataplane suites. Each test starts DPDK itself (--no-huge, a file prefix
 * unique to the test and process, no shared config, no PCI) and cleans it up at the end, so
 * tests are independent processes that never touch hugepages or a NIC. A test port is the ring
 * PMD over rings the test owns (rte_eth_from_rings()): the test enqueues frames on a queue's
 * RX ring and dequeues what the dataplane sent from its TX ring.
 */
#ifndef HB_DP_EAL_H
#define HB_DP_EAL_H

#include <stdio.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <crypto/crypto.h>
#include <dataplane/dp.h>
#include <quic/cid.h>

#include "dp_test.h"

#define EAL_ARGS_MAX 16
#define TPORT_QUEUES 2
#define T_MS	     UINT64_C(1000000)
#define T_US	     UINT64_C(1000)

/* Start the EAL on lcores ("0" or "0-1"), with optional extra arguments (NULL-terminated). */
static inline void
eal_up(const char *test, const char *lcores, const char *const *extra)
{
	static char buf[EAL_ARGS_MAX][96];
	char *argv[EAL_ARGS_MAX];
	const char *fixed[] = {"dp_test",
			       "--no-huge",
			       "-m",
			       "128",
			       "--no-pci",
			       "--no-shconf",
			       "--vdev=net_ring0",
			       "--log-level=lib.eal:warning",
			       "-l",
			       lcores};
	int n = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++, n++)
		snprintf(buf[n], sizeof(buf[n]), "%s", fixed[i]);
	snprintf(buf[n++], sizeof(buf[0]), "--file-prefix=hbdp_%s_%d", test, (int)getpid());
	for (; extra != NULL && *extra != NULL; extra++, n++)
		snprintf(buf[n], sizeof(buf[n]), "%s", *extra);
	for (int i = 0; i < n; i++)
		argv[i] = buf[i];
	cr_assert(eq(int, rte_eal_init(n, argv), n - 1), "rte_eal_init failed");
}

static inline void
eal_down(void)
{
	cr_assert(eq(int, rte_eal_cleanup(), 0));
}

struct tport {
	uint16_t id;
	unsigned nq;
	struct rte_ring *rx[TPORT_QUEUES];
	struct rte_ring *tx[TPORT_QUEUES];
	struct rte_mempool *mp; /* frames the test injects */
};

/* A ring port with nq queues; TX rings hold tx_slots - 1 frames. */
static inline void
tport_new(struct tport *t, unsigned nq, unsigned tx_slots)
{
	char name[32];
	int id;

	memset(t, 0, sizeof(*t));
	t->nq = nq;
	t->mp = rte_pktmbuf_pool_create("tport_mp", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	cr_assert(not(eq(ptr, t->mp, NULL)));
	for (unsigned q = 0; q < nq; q++) {
		snprintf(name, sizeof(name), "tport_rx%u", q);
		t->rx[q] = rte_ring_create(name, 512, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "tport_tx%u", q);
		t->tx[q] = rte_ring_create(name, tx_slots, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		cr_assert(not(eq(ptr, t->rx[q], NULL)));
		cr_assert(not(eq(ptr, t->tx[q], NULL)));
	}
	id = rte_eth_from_rings("tport", t->rx, nq, t->tx, nq, 0);
	cr_assert(ge(int, id, 0));
	t->id = (uint16_t)id;
}

/*
 * Free what the dataplane sent and nobody collected. Its mbufs come from the dataplane's pools,
 * so this runs before dp_free().
 */
static inline void
tport_drain_tx(struct tport *t)
{
	struct rte_mbuf *m;

	for (unsigned q = 0; q < t->nq; q++) {
		while (rte_ring_dequeue(t->tx[q], (void **)&m) == 0)
			rte_pktmbuf_free(m);
	}
}

/* Free frames not received, the rings and the test's pool (after dp_free()). */
static inline void
tport_free(struct tport *t)
{
	struct rte_mbuf *m;

	for (unsigned q = 0; q < t->nq; q++) {
		cr_assert(eq(u32, rte_ring_count(t->tx[q]), 0), "tport_drain_tx() first");
		while (rte_ring_dequeue(t->rx[q], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(t->rx[q]);
		rte_ring_free(t->tx[q]);
	}
	rte_mempool_free(t->mp);
}

/* End a steering test: dataplane, the workers' decoders and crypto contexts, port, EAL. */
static inline void
steer_down(struct tport *t, struct dp *dp, struct quic_lb *const *lb,
	   struct crypto_ctx *const *cc, unsigned n)
{
	tport_drain_tx(t);
	dp_free(dp);
	for (unsigned i = 0; i < n; i++) {
		quic_lb_free(lb[i]);
		crypto_ctx_free(cc[i]);
	}
	tport_free(t);
	eal_down();
}

/*
 * A fixture frame with our MAC replaced by the port's (the ring PMD's address cannot be set).
 * Our MAC appears in the fixtures only as whole byte-aligned fields.
 */
static inline void
frame_us(struct frame *f, const char *hex, const uint8_t mac[6])
{
	uint8_t us[6];

	frame_hex(f, hex);
	hex_bytes(US_MAC, us, 6);
	for (size_t i = 0; i + 6 <= f->len; i++) {
		if (memcmp(f->b + i, us, 6) == 0)
			memcpy(f->b + i, mac, 6);
	}
	/* An NS/NA carries our MAC in an option, under its ICMPv6 checksum: redo it. */
	if (f->len > 58 && f->b[12] == 0x86 && f->b[13] == 0xdd && f->b[20] == 58) {
		uint16_t c = dp_l4_csum(DP_AF_INET6, f->b + 22, f->b + 38, 58, f->b + 54,
					f->len - 54, 2);

		f->b[56] = (uint8_t)(c >> 8);
		f->b[57] = (uint8_t)c;
	}
}

/* Put a frame on queue q's RX ring, as the NIC would deliver it. */
static inline void
inject(struct tport *t, unsigned q, const struct frame *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t->mp);
	char *p;

	cr_assert(not(eq(ptr, m, NULL)));
	p = rte_pktmbuf_append(m, (uint16_t)f->len);
	cr_assert(not(eq(ptr, p, NULL)));
	memcpy(p, f->b, f->len);
	cr_assert(eq(int, rte_ring_enqueue(t->rx[q], m), 0));
}

/* Take up to max frames the dataplane sent on queue q. */
static inline unsigned
collect(struct tport *t, unsigned q, struct frame *out, unsigned max)
{
	unsigned n = 0;
	struct rte_mbuf *m;

	while (n < max && rte_ring_dequeue(t->tx[q], (void **)&m) == 0) {
		cr_assert(eq(u16, m->nb_segs, 1));
		cr_assert(le(u32, m->pkt_len, FRAME_MAX));
		memset(out[n].b, 0, sizeof(out[n].b));
		memcpy(out[n].b, rte_pktmbuf_mtod(m, void *), m->pkt_len);
		out[n].len = m->pkt_len;
		rte_pktmbuf_free(m);
		n++;
	}
	return n;
}

static inline size_t
tx_pending(struct tport *t, unsigned q)
{
	return rte_ring_count(t->tx[q]);
}

/* Options for one port: 198.18.0.1/24 via .254, 2001:2::1/64, UDP 443, small rings. */
static inline void
opts_one_port(struct dp_opts *o, uint16_t port_id)
{
	struct dp_iface ifc;

	iface_us(&ifc);
	dp_opts_default(o);
	o->nb_ports = 1;
	o->port[0].port_id = port_id;
	o->port[0].has_ip4 = true;
	memcpy(o->port[0].ip4, ifc.ip4, 4);
	o->port[0].prefix4 = 24;
	o->port[0].has_gw4 = true;
	memcpy(o->port[0].gw4, ifc.gw4, 4);
	o->port[0].has_ip6 = true;
	memcpy(o->port[0].ip6, ifc.ip6, 16);
	o->port[0].prefix6 = 64;
	o->rxd = 128;
	o->txd = 128;
	o->ring_size = 64;
}

static inline uint64_t
cnt(const struct dp_worker *w, enum dp_cnt i)
{
	return dp_cnt_read(dp_worker_counters(w), i);
}

#endif /* HB_DP_EAL_H */
