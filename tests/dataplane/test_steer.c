/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection-ID steering between two workers (design.md "Data flow" step 3), EAL on lcores
 * 0-1 and a two-queue ring port: a datagram whose DCID names worker 1 reaches worker 1's
 * on_datagram through its ring whichever queue received it; client-chosen and foreign DCIDs
 * stay where they arrived; a full ring is a counted drop; ARP learnt on one worker reaches
 * the other; and dp_run() drives both workers on their own lcores.
 */
#include <string.h>

#include <crypto/crypto.h>
#include <quic/cid.h>

#include "dp_eal.h"

TestSuite(dp_steer, .timeout = 60);

#define T0	  (UINT64_C(5) * 1000000000)
#define CID_LEN	  16
#define SID_LEN	  3
#define NONCE_LEN 12
#define DGRAM_MAX 64

static const uint8_t server_id[SID_LEN] = {0x12, 0x34, 0x56};

struct app {
	struct dp *dp;
	unsigned n;
	unsigned worker; /* where the last datagram was delivered */
	struct dp_path path;
	uint8_t payload[DGRAM_MAX];
	size_t len;
	bool stop_on_datagram;
};

static void
on_datagram(void *ctx, struct dp_worker *w, const uint8_t *payload, size_t len,
	    const struct dp_path *path, uint64_t now_ns)
{
	struct app *a = ctx;

	(void)now_ns;
	a->n++;
	a->worker = dp_worker_id(w);
	a->path = *path;
	a->len = len < sizeof(a->payload) ? len : sizeof(a->payload);
	memcpy(a->payload, payload, a->len);
	if (a->stop_on_datagram)
		dp_stop(a->dp);
}

struct fixture {
	struct tport t;
	struct dp *dp;
	struct dp_worker *w[2];
	struct app app[2];
	struct crypto_ctx *cc[2];
	struct quic_lb *lb[2];
	uint8_t mac[6];
	uint64_t now;
};

static void
lb_config(struct quic_lb_config *cfg, const uint8_t *sid)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->config_id = 1;
	cfg->server_id_len = SID_LEN;
	memcpy(cfg->server_id, sid, SID_LEN);
	cfg->nonce_len = NONCE_LEN;
	cfg->cid_len = CID_LEN;
	cfg->has_key = true;
	for (unsigned i = 0; i < QUIC_LB_KEY_LEN; i++)
		cfg->key[i] = (uint8_t)(0xa0 + i);
}

static void
setup(struct fixture *fx, const char *name, uint32_t ring_size)
{
	struct dp_handler h = {.on_datagram = on_datagram};
	struct quic_lb_config cfg;
	struct dp_opts o;

	memset(fx, 0, sizeof(*fx));
	eal_up(name, "0-1", NULL);
	tport_new(&fx->t, 2, 256);
	opts_one_port(&o, fx->t.id);
	o.ring_size = ring_size;
	cr_assert(eq(int, dp_new(&fx->dp, &o), 0));
	cr_assert(eq(u32, dp_worker_count(fx->dp), 2));
	lb_config(&cfg, server_id);
	for (unsigned i = 0; i < 2; i++) {
		fx->w[i] = dp_worker_get(fx->dp, i);
		fx->app[i].dp = fx->dp;
		cr_assert(eq(int, dp_worker_set_handler(fx->w[i], &h, &fx->app[i]), 0));
		/* Each worker its own decoder: a quic_lb is not shared between threads. */
		cr_assert(eq(int, crypto_ctx_new(&fx->cc[i], CRYPTO_ENGINE_AUTO), 0));
		cr_assert(eq(int, quic_lb_new(&fx->lb[i], &cfg, fx->cc[i]), 0));
		cr_assert(eq(int, dp_worker_set_steering(fx->w[i], fx->lb[i], server_id, SID_LEN),
			     0));
	}
	cr_assert(eq(u32, dp_worker_lcore(fx->w[0]), rte_get_main_lcore()));
	memcpy(fx->mac, dp_iface_get(fx->dp, 0)->mac, 6);
	fx->now = T0;
}

static void
teardown(struct fixture *fx)
{
	steer_down(&fx->t, fx->dp, fx->lb, fx->cc, 2);
}

/* A CID of ours naming worker (QUIC-LB: worker id in the first nonce byte), through lb. */
static void
cid_for(struct quic_lb *lb, uint8_t worker, struct quic_cid *cid)
{
	uint8_t nonce[NONCE_LEN];

	for (unsigned i = 0; i < NONCE_LEN; i++)
		nonce[i] = (uint8_t)(0x70 + i);
	nonce[0] = worker;
	cr_assert(eq(int, quic_lb_encode_nonce(lb, nonce, NULL, cid), 0));
	cr_assert(eq(u8, cid->len, CID_LEN));
}

/* A short header packet (RFC 9000 §17.3): flags, DCID, then opaque bytes. */
static size_t
short_pkt(uint8_t *p, const struct quic_cid *dcid)
{
	p[0] = 0x41;
	memcpy(p + 1, dcid->data, dcid->len);
	memset(p + 1 + dcid->len, 0xee, 20);
	return 1 + dcid->len + 20;
}

/* A long header packet (RFC 9000 §17.2): flags, version 1, DCID length and DCID, SCID. */
static size_t
long_pkt(uint8_t *p, const uint8_t *dcid, uint8_t dcid_len)
{
	size_t n = 0;

	p[n++] = 0xc0; /* Initial */
	p[n++] = 0;
	p[n++] = 0;
	p[n++] = 0;
	p[n++] = 1;
	p[n++] = dcid_len;
	memcpy(p + n, dcid, dcid_len);
	n += dcid_len;
	p[n++] = 4; /* SCID */
	memset(p + n, 0x33, 24);
	return n + 24;
}

/* The peer's datagram carrying payload, as a frame for our port. */
static void
peer_frame(const struct fixture *fx, struct frame *f, const uint8_t *payload, size_t len)
{
	uint8_t peer_mac[6];
	struct dp_path p;
	struct dp_addr t;

	hex_bytes(PEER_MAC, peer_mac, 6);
	path_us_peer(&p, DP_AF_INET, 0);
	t = p.local; /* seen from the peer: local and remote swap */
	p.local = p.remote;
	p.remote = t;
	memset(f->b, 0, sizeof(f->b));
	memcpy(f->b + DP_UDP4_HDRS, payload, len);
	f->len = dp_udp_write_hdrs(f->b, peer_mac, fx->mac, &p, len, 0) + len;
}

static void
inject_dgram(struct fixture *fx, unsigned q, const uint8_t *payload, size_t len)
{
	struct frame f;

	peer_frame(fx, &f, payload, len);
	inject(&fx->t, q, &f);
}

HB_TEST(dp_steer, short_header_reaches_the_worker_its_cid_names)
{
	struct fixture fx;
	struct quic_cid cid;
	uint8_t pkt[DGRAM_MAX];
	size_t len;
	struct dp_path want;

	setup(&fx, "short", 64);
	cid_for(fx.lb[0], 1, &cid);
	len = short_pkt(pkt, &cid);
	inject_dgram(&fx, 0, pkt, len); /* RSS put it on worker 0's queue */
	dp_worker_poll(fx.w[0], fx.now);
	cr_assert(eq(u32, fx.app[0].n, 0));
	cr_assert(eq(u64, cnt(fx.w[0], DP_CNT_STEER_OUT), 1));
	dp_worker_poll(fx.w[1], fx.now);
	cr_assert(eq(u32, fx.app[1].n, 1));
	cr_assert(eq(u32, fx.app[1].worker, 1));
	cr_assert(eq(sz, fx.app[1].len, len));
	cr_assert(eq(int, memcmp(fx.app[1].payload, pkt, len), 0));
	path_us_peer(&want, DP_AF_INET, fx.t.id);
	cr_assert(eq(int, memcmp(&fx.app[1].path, &want, sizeof(want)), 0));
	cr_assert(eq(u64, cnt(fx.w[1], DP_CNT_STEER_IN), 1));
	cr_assert(eq(u64, cnt(fx.w[1], DP_CNT_RX_DATAGRAMS), 1));
	/* Worker 1's own CID arriving on its own queue stays there. */
	inject_dgram(&fx, 1, pkt, len);
	dp_worker_poll(fx.w[1], fx.now);
	cr_assert(eq(u32, fx.app[1].n, 2));
	cr_assert(eq(u64, cnt(fx.w[1], DP_CNT_STEER_OUT), 0));
	teardown(&fx);
}

HB_TEST(dp_steer, long_headers_server_cid_steered_client_cid_stays)
{
	struct fixture fx;
	struct quic_cid cid;
	uint8_t pkt[DGRAM_MAX], client_dcid[CID_LEN];
	size_t len;

	setup(&fx, "long", 64);
	/* A long header with our CID (after Retry, or Handshake packets) goes to its worker. */
	cid_for(fx.lb[0], 1, &cid);
	len = long_pkt(pkt, cid.data, cid.len);
	inject_dgram(&fx, 0, pkt, len);
	dp_worker_poll(fx.w[0], fx.now);
	dp_worker_poll(fx.w[1], fx.now);
	cr_assert(eq(u32, fx.app[0].n, 0));
	cr_assert(eq(u32, fx.app[1].n, 1));
	/* An Initial with the client's 8-byte DCID stays on the queue's worker. */
	memset(client_dcid, 0x5c, sizeof(client_dcid));
	len = long_pkt(pkt, client_dcid, 8);
	inject_dgram(&fx, 0, pkt, len);
	dp_worker_poll(fx.w[0], fx.now);
	cr_assert(eq(u32, fx.app[0].n, 1));
	/* Truncated before the end of the DCID: stays (the transport rejects it). */
	len = long_pkt(pkt, cid.data, cid.len);
	inject_dgram(&fx, 0, pkt, 6 + CID_LEN - 1);
	inject_dgram(&fx, 0, pkt, 5);
	dp_worker_poll(fx.w[0], fx.now);
	cr_assert(eq(u32, fx.app[0].n, 3));
	cr_assert(eq(u64, cnt(fx.w[0], DP_CNT_STEER_OUT), 1));
	teardown(&fx);
}

HB_TEST(dp_steer, foreign_cids_stay_and_are_counted)
{
	struct fixture fx;
	struct quic_lb_config cfg;
	struct quic_lb *other;
	struct quic_cid cid;
	uint8_t pkt[DGRAM_MAX], other_sid[SID_LEN] = {0x99, 0x99, 0x99};
	size_t len;

	setup(&fx, "foreign", 64);
	/* Another server's CID (same key, another server ID) decodes, but not to us. */
	lb_config(&cfg, other_sid);
	cr_assert(eq(int, quic_lb_new(&other, &cfg, fx.cc[0]), 0));
	cid_for(other, 1, &cid);
	len = short_pkt(pkt, &cid);
	inject_dgram(&fx, 0, pkt, len);
	/* A CID of ours naming a worker we do not have. */
	cid_for(fx.lb[0], 7, &cid);
	len = short_pkt(pkt, &cid);
	inject_dgram(&fx, 0, pkt, len);
	/* Config rotation bits of no configuration (0b111). */
	pkt[1] = 0xe0 | (CID_LEN - 1);
	inject_dgram(&fx, 0, pkt, len);
	dp_worker_poll(fx.w[0], fx.now);
	cr_assert(eq(u32, fx.app[0].n, 3));
	cr_assert(eq(u64, cnt(fx.w[0], DP_CNT_STEER_FOREIGN), 3));
	cr_assert(eq(u64, cnt(fx.w[0], DP_CNT_STEER_OUT), 0));
	quic_lb_free(other);
	teardown(&fx);
}

HB_TEST(dp_steer, full_ring_is_a_counted_drop)
{
	struct fixture fx;
	struct quic_cid cid;
	uint8_t pkt[DGRAM_MAX];
	size_t len;

	/* A 64-slot ring holds 63 datagrams. */
	setup(&fx, "ringfull", 64);
	cid_for(fx.lb[0], 1, &cid);
	len = short_pkt(pkt, &cid);
	for (unsigned i = 0; i < 100; i++)
		inject_dgram(&fx, 0, pkt, len);
	for (unsigned i = 0; i < 4; i++)
		dp_worker_poll(fx.w[0], fx.now);
	cr_assert(eq(u64, cnt(fx.w[0], DP_CNT_RX_PKTS), 100));
	cr_assert(eq(u64, cnt(fx.w[0], DP_CNT_STEER_OUT), 63));
	cr_assert(eq(u64, cnt(fx.w[0], DP_CNT_DROP_RING_FULL), 37));
	for (unsigned i = 0; i < 3; i++)
		dp_worker_poll(fx.w[1], fx.now);
	cr_assert(eq(u32, fx.app[1].n, 63));
	cr_assert(eq(u64, cnt(fx.w[1], DP_CNT_STEER_IN), 63));
	/* Every mbuf is back in its pool. */
	cr_assert(eq(u32, rte_mempool_in_use_count(fx.t.mp), 0));
	teardown(&fx);
}

HB_TEST(dp_steer, arp_learnt_on_one_worker_reaches_the_other)
{
	struct fixture fx;
	struct dp_path p;
	struct frame got[4], reply, want;
	char hex[256];
	uint8_t *out;

	setup(&fx, "arpshare", 64);
	dp_worker_poll(fx.w[1], fx.now);
	/* Worker 1 sends to the unknown peer: its ARP request leaves on queue 1. */
	path_us_peer(&p, DP_AF_INET, fx.t.id);
	p.ecn = 1;
	out = dp_tx_alloc(fx.w[1], &p, strlen(PAYLOAD));
	cr_assert(not(eq(ptr, out, NULL)));
	memcpy(out, PAYLOAD, strlen(PAYLOAD));
	cr_assert(eq(int, dp_tx_commit(fx.w[1], strlen(PAYLOAD)), 0));
	dp_tx_flush(fx.w[1]);
	cr_assert(eq(u32, collect(&fx.t, 1, got, 4), 1));
	frame_us(&want, TX_ARP_REQ, fx.mac);
	cr_assert(eq(int, memcmp(got[0].b, want.b, want.len), 0));
	/* The reply lands on queue 0 (ARP is not hashed by RSS); worker 0 shares it. */
	snprintf(hex, sizeof(hex), "%s %s 0806 0001 0800 06 04 0002 %s %s %s %s", US_MAC, PEER_MAC,
		 PEER_MAC, PEER_IP4, US_MAC, US_IP4);
	frame_us(&reply, hex, fx.mac);
	inject(&fx.t, 0, &reply);
	dp_worker_poll(fx.w[0], fx.now);
	cr_assert(eq(u64, cnt(fx.w[0], DP_CNT_NEIGH_SHARED), 1));
	dp_worker_poll(fx.w[1], fx.now);
	dp_tx_flush(fx.w[1]);
	cr_assert(eq(u64, cnt(fx.w[1], DP_CNT_NEIGH_LEARNED), 1));
	cr_assert(eq(u32, collect(&fx.t, 1, got, 4), 1));
	frame_us(&want, TX_UDP4, fx.mac);
	cr_assert(eq(sz, got[0].len, want.len));
	cr_assert(eq(int, memcmp(got[0].b, want.b, want.len), 0));
	cr_assert(eq(u32, collect(&fx.t, 0, got, 4), 0)); /* no answer to a reply */
	cr_assert(eq(u32, rte_mempool_in_use_count(fx.t.mp), 0));
	teardown(&fx);
}

HB_TEST(dp_steer, run_on_two_lcores_until_stopped)
{
	struct fixture fx;
	struct quic_cid cid;
	uint8_t pkt[DGRAM_MAX];
	size_t len;

	setup(&fx, "run", 64);
	/* Worker 1, on its own lcore, stops everything when the datagram reaches it. */
	fx.app[1].stop_on_datagram = true;
	cid_for(fx.lb[0], 1, &cid);
	len = short_pkt(pkt, &cid);
	inject_dgram(&fx, 0, pkt, len);
	cr_assert(eq(int, dp_run(fx.dp), 0));
	cr_assert(eq(u32, fx.app[1].n, 1));
	cr_assert(eq(u32, fx.app[0].n, 0));
	cr_assert(eq(u64, cnt(fx.w[0], DP_CNT_STEER_OUT), 1));
	teardown(&fx);
}

HB_TEST(dp_steer, rss_port_with_two_queues)
{
	/* net_null offers RSS: two workers get a queue each, hashed over UDP 4-tuples. */
	static const char *const extra[] = {"--vdev=net_null0", NULL};
	struct dp_handler h = {.on_datagram = on_datagram};
	struct app app = {0};
	struct dp_opts o;
	struct dp *dp;
	uint16_t port;

	eal_up("rss", "0-1", extra);
	cr_assert(eq(int, rte_eth_dev_get_port_by_name("net_null0", &port), 0));
	opts_one_port(&o, port);
	cr_assert(eq(int, dp_new(&dp, &o), 0));
	for (unsigned i = 0; i < 2; i++) {
		struct dp_worker *w = dp_worker_get(dp, i);

		cr_assert(eq(int, dp_worker_set_handler(w, &h, &app), 0));
		dp_worker_poll(w, T0);
		cr_assert(gt(u64, cnt(w, DP_CNT_RX_PKTS), 0));
		cr_assert(
			eq(u64, dp_counters_drops(dp_worker_counters(w)), cnt(w, DP_CNT_RX_PKTS)));
	}
	cr_assert(eq(u32, app.n, 0));
	dp_free(dp);
	eal_down();
}
