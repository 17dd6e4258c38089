/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One worker with the EAL on ring ports: ARP and NDP answers, UDP datagrams up to the handler
 * and replies down to the wire with correct headers and checksums, next-hop resolution and its
 * bounds, TX batching, retries and drops, robustness on net_null, DPDK telemetry.
 * Time is simulated: every poll is given its now_ns.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <rte_lcore.h>

#include "../../dataplane/dp_int.h"
#include "dp_eal.h"

TestSuite(dp_eal, .timeout = 60);

#define T0 (UINT64_C(5) * 1000000000)

struct app {
	unsigned n;
	struct dp_path path;
	uint8_t payload[64];
	size_t len;
	bool echo;	  /* answer each datagram with the same bytes */
	uint8_t echo_ecn; /* ECN codepoint of the answer */
	int commit_rc;
	/* Payloads kept past on_datagram, checked at end_burst. */
	const uint8_t *held[DP_BURST];
	unsigned nheld, ends, intact;
};

static void
on_datagram(void *ctx, struct dp_worker *w, const uint8_t *payload, size_t len,
	    const struct dp_path *path, uint64_t now_ns)
{
	struct app *a = ctx;
	struct dp_path back = *path;
	uint8_t *out;

	(void)now_ns;
	a->n++;
	if (a->nheld < DP_BURST)
		a->held[a->nheld++] = payload;
	a->path = *path;
	a->len = len < sizeof(a->payload) ? len : sizeof(a->payload);
	memcpy(a->payload, payload, a->len);
	if (!a->echo)
		return;
	back.ecn = a->echo_ecn;
	out = dp_tx_alloc(w, &back, len);
	cr_assert(not(eq(ptr, out, NULL)));
	memcpy(out, payload, len);
	a->commit_rc = dp_tx_commit(w, len);
}

static void
end_burst(void *ctx, struct dp_worker *w, uint64_t now_ns)
{
	struct app *a = ctx;

	(void)w;
	(void)now_ns;
	a->ends++;
	for (unsigned i = 0; i < a->nheld; i++)
		a->intact += memcmp(a->held[i], PAYLOAD, strlen(PAYLOAD)) == 0;
	a->nheld = 0;
}

struct fixture {
	struct tport t;
	struct dp *dp;
	struct dp_worker *w;
	struct app app;
	uint8_t mac[6]; /* the port's */
	uint64_t now;
};

static void
setup(struct fixture *fx, const char *name, unsigned tx_slots)
{
	struct dp_handler h = {.on_datagram = on_datagram, .end_burst = end_burst};
	struct dp_opts o;

	memset(fx, 0, sizeof(*fx));
	eal_up(name, "0", NULL);
	tport_new(&fx->t, 1, tx_slots);
	opts_one_port(&o, fx->t.id);
	cr_assert(eq(int, dp_new(&fx->dp, &o), 0));
	cr_assert(eq(u32, dp_worker_count(fx->dp), 1));
	fx->w = dp_worker_get(fx->dp, 0);
	cr_assert(eq(int, dp_worker_set_handler(fx->w, &h, &fx->app), 0));
	memcpy(fx->mac, dp_iface_get(fx->dp, 0)->mac, 6);
	fx->now = T0;
}

static void
teardown(struct fixture *fx)
{
	tport_drain_tx(&fx->t);
	dp_free(fx->dp);
	tport_free(&fx->t);
	eal_down();
}

/* Inject a fixture frame (our MAC patched) and run one iteration. */
static void
rx_frame(struct fixture *fx, const char *hex)
{
	struct frame f;

	frame_us(&f, hex, fx->mac);
	inject(&fx->t, 0, &f);
	dp_worker_poll(fx->w, fx->now);
}

/* Let the drain timer pass, so that queued frames leave. */
static void
drain(struct fixture *fx)
{
	fx->now += 200 * T_US;
	dp_worker_poll(fx->w, fx->now);
}

/* Exactly one frame left, equal to the fixture. */
static void
expect_tx(struct fixture *fx, const char *hex)
{
	struct frame got[4], want;

	frame_us(&want, hex, fx->mac);
	cr_assert(eq(u32, collect(&fx->t, 0, got, 4), 1));
	cr_assert(eq(sz, got[0].len, want.len));
	cr_assert(eq(int, memcmp(got[0].b, want.b, want.len), 0));
}

HB_TEST(dp_eal, arp_request_answered_with_our_mac)
{
	struct fixture fx;

	setup(&fx, "arp", 256);
	rx_frame(&fx, RX_ARP_REQ);
	/* The poll drained RX (a short burst): nothing would join the answer, it leaves now. */
	cr_assert(eq(sz, tx_pending(&fx.t, 0), 1));
	expect_tx(&fx, TX_ARP_REPLY);
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_ARP_REPLIED), 1));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_NEIGH_LEARNED), 1));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_RX_PKTS), 1));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_TX_PKTS), 1));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_TX_BYTES), DP_ARP_FRAME_LEN));
	teardown(&fx);
}

HB_TEST(dp_eal, neighbor_solicitation_answered)
{
	struct fixture fx;

	setup(&fx, "ndp", 256);
	rx_frame(&fx, RX_NS);
	drain(&fx);
	expect_tx(&fx, TX_NA);
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_NDP_REPLIED), 1));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_NEIGH_LEARNED), 1));
	teardown(&fx);
}

HB_TEST(dp_eal, udp4_datagram_up_and_reply_down)
{
	struct fixture fx;
	struct dp_path want;

	setup(&fx, "udp4", 256);
	fx.app.echo = true;
	fx.app.echo_ecn = 1;
	/* The peer's ARP request teaches us its MAC first. */
	rx_frame(&fx, RX_ARP_REQ);
	drain(&fx);
	expect_tx(&fx, TX_ARP_REPLY);
	rx_frame(&fx, RX_UDP4);
	cr_assert(eq(u32, fx.app.n, 1));
	path_us_peer(&want, DP_AF_INET, fx.t.id);
	want.ecn = 2;
	cr_assert(eq(int, memcmp(&fx.app.path, &want, sizeof(want)), 0));
	cr_assert(eq(sz, fx.app.len, strlen(PAYLOAD)));
	cr_assert(eq(int, memcmp(fx.app.payload, PAYLOAD, fx.app.len), 0));
	cr_assert(eq(int, fx.app.commit_rc, 0));
	drain(&fx);
	/* Headers and checksums byte-for-byte as the independently built frame. */
	expect_tx(&fx, TX_UDP4);
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_RX_DATAGRAMS), 1));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_TX_DATAGRAMS), 1));
	cr_assert(eq(u64, dp_counters_drops(dp_worker_counters(fx.w)), 0));
	teardown(&fx);
}

/* RX_UDP4 (to port 443) asking the reflector for want bytes: payload bytes 1..2, no checksum. */
static void
rx_echo(struct fixture *fx, uint16_t want)
{
	struct frame f;

	frame_us(&f, RX_UDP4, fx->mac);
	f.b[40] = f.b[41] = 0; /* IPv4: no UDP checksum (RFC 768) */
	f.b[43] = (uint8_t)(want >> 8);
	f.b[44] = (uint8_t)want;
	inject(&fx->t, 0, &f);
	dp_worker_poll(fx->w, fx->now);
	drain(fx);
}

/*
 * --echo-port (dp_opts.echo_port, bench/compare.sh's Retry link floor): a datagram to it is
 * answered by the dataplane, never the application, with the first bytes of its payload as
 * many as its bytes 1..2 ask and never more than it carried; asking for 0 is a counted drop.
 */
HB_TEST(dp_eal, echo_port_answers_without_the_application)
{
	struct dp_handler h = {.on_datagram = on_datagram, .end_burst = end_burst};
	static const uint16_t wants[] = {5, 0xffff};
	struct fixture fx;
	struct frame got[4];
	struct dp_opts o;

	memset(&fx, 0, sizeof(fx));
	eal_up("echo", "0", NULL);
	tport_new(&fx.t, 1, 256);
	opts_one_port(&o, fx.t.id);
	o.udp_port = 4433;
	o.echo_port = US_PORT;
	cr_assert(eq(int, dp_new(&fx.dp, &o), 0));
	fx.w = dp_worker_get(fx.dp, 0);
	cr_assert(eq(int, dp_worker_set_handler(fx.w, &h, &fx.app), 0));
	memcpy(fx.mac, dp_iface_get(fx.dp, 0)->mac, 6);
	fx.now = T0;
	rx_frame(&fx, RX_ARP_REQ); /* the peer's MAC */
	drain(&fx);
	cr_assert(eq(u32, collect(&fx.t, 0, got, 4), 1));
	for (unsigned i = 0; i < 2; i++) {
		size_t n = wants[i] < strlen(PAYLOAD) ? wants[i] : strlen(PAYLOAD);

		rx_echo(&fx, wants[i]);
		cr_assert(eq(u32, collect(&fx.t, 0, got, 4), 1));
		cr_assert(eq(sz, got[0].len, 42 + n));
		/* 443 -> 50000, the request's first n bytes (its bytes 1..2 included). */
		cr_assert(eq(u8, got[0].b[34], 0x01));
		cr_assert(eq(u8, got[0].b[35], 0xbb));
		cr_assert(eq(u8, got[0].b[36], 0xc3));
		cr_assert(eq(u8, got[0].b[37], 0x50));
		cr_assert(eq(u8, got[0].b[42], (uint8_t)PAYLOAD[0]));
		cr_assert(eq(u8, got[0].b[43], (uint8_t)(wants[i] >> 8)));
		cr_assert(eq(int, memcmp(got[0].b + 45, PAYLOAD + 3, n - 3), 0));
		cr_assert(eq(u64, cnt(fx.w, DP_CNT_ECHOED), i + 1));
	}
	rx_echo(&fx, 0);
	cr_assert(eq(u32, collect(&fx.t, 0, got, 4), 0));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_DROP_ECHO), 1));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_ECHOED), 2));
	/* Nothing reached the application. */
	cr_assert(eq(u32, fx.app.n, 0));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_RX_DATAGRAMS), 0));
	teardown(&fx);
}

/* Datagrams of one burst stay readable until end_burst, which runs once for the burst. */
HB_TEST(dp_eal, burst_payloads_held_until_end_burst)
{
	struct fixture fx;
	struct frame f;

	setup(&fx, "endburst", 256);
	rx_frame(&fx, RX_ARP_REQ);
	drain(&fx);
	tport_drain_tx(&fx.t);
	cr_assert(eq(u32, fx.app.ends, 1)); /* the ARP request's burst */
	frame_us(&f, RX_UDP4, fx.mac);
	for (unsigned i = 0; i < 3; i++)
		inject(&fx.t, 0, &f);
	dp_worker_poll(fx.w, fx.now);
	cr_assert(eq(u32, fx.app.n, 3));
	cr_assert(eq(u32, fx.app.ends, 2));
	cr_assert(eq(u32, fx.app.intact, 3));
	teardown(&fx);
}

HB_TEST(dp_eal, udp6_datagram_up_and_reply_down)
{
	struct fixture fx;
	struct dp_path want;

	setup(&fx, "udp6", 256);
	fx.app.echo = true;
	fx.app.echo_ecn = 2;
	rx_frame(&fx, RX_NS);
	drain(&fx);
	expect_tx(&fx, TX_NA);
	rx_frame(&fx, RX_UDP6);
	cr_assert(eq(u32, fx.app.n, 1));
	path_us_peer(&want, DP_AF_INET6, fx.t.id);
	want.ecn = 1;
	cr_assert(eq(int, memcmp(&fx.app.path, &want, sizeof(want)), 0));
	drain(&fx);
	expect_tx(&fx, TX_UDP6);
	teardown(&fx);
}

HB_TEST(dp_eal, reply_waits_for_arp_resolution)
{
	struct fixture fx;
	struct frame reply;
	char hex[256];

	setup(&fx, "resolve", 256);
	fx.app.echo = true;
	fx.app.echo_ecn = 1;
	rx_frame(&fx, RX_UDP4);
	cr_assert(eq(int, fx.app.commit_rc, 0));
	drain(&fx);
	/* Unknown peer: an ARP request leaves, the datagram waits. */
	expect_tx(&fx, TX_ARP_REQ);
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_ARP_REQUESTED), 1));
	/* The peer's ARP reply (our TX_ARP_REPLY with the roles swapped) releases it. */
	snprintf(hex, sizeof(hex), "%s %s 0806 0001 0800 06 04 0002 %s %s %s %s", US_MAC, PEER_MAC,
		 PEER_MAC, PEER_IP4, US_MAC, US_IP4);
	frame_us(&reply, hex, fx.mac);
	inject(&fx.t, 0, &reply);
	dp_worker_poll(fx.w, fx.now);
	drain(&fx);
	expect_tx(&fx, TX_UDP4);
	teardown(&fx);
}

HB_TEST(dp_eal, resolution_bounded_and_given_up)
{
	struct fixture fx;
	struct dp_path p;
	struct frame got[8];

	setup(&fx, "unresolved", 256);
	path_us_peer(&p, DP_AF_INET, fx.t.id);
	/* Five datagrams for a silent peer: four wait, the fifth is a counted drop. */
	dp_worker_poll(fx.w, fx.now);
	for (unsigned i = 0; i < 5; i++) {
		uint8_t *out = dp_tx_alloc(fx.w, &p, 100);

		cr_assert(not(eq(ptr, out, NULL)));
		memset(out, (int)i, 100);
		cr_assert(eq(int, dp_tx_commit(fx.w, 100), i < 4 ? 0 : DP_ERR_NOBUF));
	}
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_DROP_NEIGH_QUEUE), 1));
	/* dp_tx_copy(): the same queue (full), and a payload the path cannot take. */
	{
		static const uint8_t data[100];

		cr_assert(eq(int, dp_tx_copy(fx.w, &p, data, sizeof(data)), DP_ERR_NOBUF));
		cr_assert(eq(u64, cnt(fx.w, DP_CNT_DROP_NEIGH_QUEUE), 2));
		cr_assert(eq(int, dp_tx_copy(fx.w, &p, data, dp_tx_payload_max(fx.w, &p) + 1),
			     DP_ERR_NOMEM));
		cr_assert(eq(u64, cnt(fx.w, DP_CNT_DROP_TX_INVALID), 1));
	}
	/* Requests are repeated each second, three in all, then the waiting frames go. */
	for (unsigned s = 1; s <= 4; s++) {
		fx.now += 1000 * T_MS + T_MS;
		dp_worker_poll(fx.w, fx.now);
		drain(&fx);
	}
	cr_assert(eq(u32, collect(&fx.t, 0, got, 8), 3));
	for (unsigned i = 0; i < 3; i++) {
		struct frame want;

		frame_us(&want, TX_ARP_REQ, fx.mac);
		cr_assert(eq(int, memcmp(got[i].b, want.b, want.len), 0));
	}
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_DROP_NEIGH_FAILED), 4));
	teardown(&fx);
}

HB_TEST(dp_eal, off_link_goes_to_gateway_or_fails)
{
	struct fixture fx;
	struct dp_path p;
	struct frame got[2];
	uint8_t gw[4], *out;

	setup(&fx, "gateway", 256);
	dp_worker_poll(fx.w, fx.now);
	path_us_peer(&p, DP_AF_INET, fx.t.id);
	p.remote.ip[1] = 19; /* 198.19.0.2: off our /24 */
	out = dp_tx_alloc(fx.w, &p, 10);
	cr_assert(not(eq(ptr, out, NULL)));
	cr_assert(eq(int, dp_tx_commit(fx.w, 10), 0));
	drain(&fx);
	cr_assert(eq(u32, collect(&fx.t, 0, got, 2), 1));
	hex_bytes("c61200fe", gw, 4);
	cr_assert(eq(int, memcmp(got[0].b + 38, gw, 4), 0)); /* ARP target: the gateway */
	/* No IPv6 gateway: an off-link IPv6 peer has no route. */
	path_us_peer(&p, DP_AF_INET6, fx.t.id);
	p.remote.ip[3] = 9;
	out = dp_tx_alloc(fx.w, &p, 10);
	cr_assert(not(eq(ptr, out, NULL)));
	cr_assert(eq(int, dp_tx_commit(fx.w, 10), DP_ERR_NOROUTE));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_DROP_NO_ROUTE), 1));
	teardown(&fx);
}

HB_TEST(dp_eal, tx_api_misuse)
{
	struct fixture fx;
	struct dp_path p;

	setup(&fx, "txapi", 256);
	path_us_peer(&p, DP_AF_INET, fx.t.id);
	cr_assert(eq(sz, dp_tx_payload_max(fx.w, &p), 1500 - 28));
	cr_assert(eq(int, dp_tx_commit(fx.w, 1), DP_ERR_STATE));
	cr_assert(eq(ptr, dp_tx_alloc(fx.w, &p, 1473), NULL));
	cr_assert(not(eq(ptr, dp_tx_alloc(fx.w, &p, 100), NULL)));
	cr_assert(eq(int, dp_tx_commit(fx.w, 101), DP_ERR_TOOBIG));
	p.port_id = 99;
	cr_assert(eq(sz, dp_tx_payload_max(fx.w, &p), 0));
	cr_assert(eq(ptr, dp_tx_alloc(fx.w, &p, 10), NULL));
	path_us_peer(&p, DP_AF_INET6, fx.t.id);
	cr_assert(eq(sz, dp_tx_payload_max(fx.w, &p), 1500 - 48));
	cr_assert(not(eq(ptr, dp_tx_alloc(fx.w, &p, 10), NULL)));
	dp_tx_abort(fx.w);
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_DROP_TX_INVALID), 3));
	teardown(&fx);
}

/* Send n datagrams to the (known) peer. */
static void
send_n(struct fixture *fx, unsigned n)
{
	struct dp_path p;

	path_us_peer(&p, DP_AF_INET, fx->t.id);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *out = dp_tx_alloc(fx->w, &p, 50);

		cr_assert(not(eq(ptr, out, NULL)));
		memset(out, 0x5a, 50);
		cr_assert(eq(int, dp_tx_commit(fx->w, 50), 0));
	}
}

/* n datagrams (no echo) waiting on RX queue 0. */
static void
inject_udp(struct fixture *fx, unsigned n)
{
	struct frame f;

	frame_us(&f, RX_UDP4, fx->mac);
	for (unsigned i = 0; i < n; i++)
		inject(&fx->t, 0, &f);
}

HB_TEST(dp_eal, tx_batches_until_full_or_drained)
{
	struct fixture fx;
	struct frame got[DP_BURST];

	setup(&fx, "batch", 256);
	rx_frame(&fx, RX_ARP_REQ);
	cr_assert(eq(u32, collect(&fx.t, 0, got, DP_BURST), 1));
	/* While full RX bursts come in, more output may join: a partial burst waits... */
	inject_udp(&fx, 2 * DP_BURST + 1);
	send_n(&fx, 3);
	fx.now += 50 * T_US;
	dp_worker_poll(fx.w, fx.now);
	cr_assert(eq(sz, tx_pending(&fx.t, 0), 0)); /* younger than the drain time */
	/* ... up to the drain time, */
	fx.now += 50 * T_US;
	dp_worker_poll(fx.w, fx.now);
	cr_assert(eq(sz, tx_pending(&fx.t, 0), 3));
	cr_assert(eq(u32, collect(&fx.t, 0, got, DP_BURST), 3));
	/* ... or until a poll drains RX (a short burst): then it leaves at once. */
	send_n(&fx, 2);
	fx.now += T_US;
	dp_worker_poll(fx.w, fx.now);
	cr_assert(eq(sz, tx_pending(&fx.t, 0), 2));
	cr_assert(eq(u32, collect(&fx.t, 0, got, DP_BURST), 2));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_RX_PKTS), 2 * DP_BURST + 2));
	/* A full burst leaves at once. */
	send_n(&fx, DP_BURST);
	cr_assert(eq(sz, tx_pending(&fx.t, 0), DP_BURST));
	cr_assert(eq(u32, collect(&fx.t, 0, got, DP_BURST), DP_BURST));
	teardown(&fx);
}

HB_TEST(dp_eal, worker_clock_is_the_injected_time_outside_the_run_loop)
{
	struct fixture fx;

	/* Driven by dp_worker_poll() alone (simulated time), the clock a pacer reads inside an
	 * iteration is that iteration's time, whatever the TSC says. */
	setup(&fx, "clock", 256);
	fx.now += 5 * T_MS;
	dp_worker_poll(fx.w, fx.now);
	cr_assert(eq(u64, dp_worker_clock(fx.w), fx.now));
	fx.now += T_US;
	dp_worker_poll(fx.w, fx.now);
	cr_assert(eq(u64, dp_worker_clock(fx.w), fx.now));
	teardown(&fx);
}

HB_TEST(dp_eal, tx_alloc_burst_commits_a_prefix)
{
	static const size_t lens[3] = {50, 41, 30};
	struct fixture fx;
	struct frame got[DP_BURST];
	struct dp_path p;
	uint8_t *bufs[DP_TX_ALLOC_MAX + 1];

	setup(&fx, "txburst", 256);
	rx_frame(&fx, RX_ARP_REQ);
	drain(&fx);
	cr_assert(eq(u32, collect(&fx.t, 0, got, DP_BURST), 1));
	path_us_peer(&p, DP_AF_INET, fx.t.id);
	cr_assert(eq(u32, dp_tx_alloc_burst(fx.w, &p, 100, bufs, DP_TX_ALLOC_MAX + 1), 0));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_DROP_TX_INVALID), 1));
	/* Five buffers, three datagrams: each its own payload, the other two released. */
	cr_assert(eq(u32, dp_tx_alloc_burst(fx.w, &p, 100, bufs, 5), 5));
	for (unsigned i = 0; i < 5; i++)
		memset(bufs[i], 0x10 + (int)i, 100);
	cr_assert(eq(u32, dp_tx_commit_burst(fx.w, lens, 3), 3));
	drain(&fx);
	cr_assert(eq(u32, collect(&fx.t, 0, got, DP_BURST), 3));
	for (unsigned i = 0; i < 3; i++) {
		cr_assert(eq(sz, got[i].len, DP_UDP4_HDRS + lens[i]));
		cr_assert(eq(u8, got[i].b[DP_UDP4_HDRS], 0x10 + i));
		cr_assert(eq(u8, got[i].b[got[i].len - 1], 0x10 + i));
	}
	/* Nothing committed twice, and what was not used went back: many more rounds than
	 * the pool has mbufs go through. */
	cr_assert(eq(u32, dp_tx_commit_burst(fx.w, lens, 1), 0));
	for (unsigned r = 0; r < 4096; r++) {
		cr_assert(eq(u32, dp_tx_alloc_burst(fx.w, &p, 100, bufs, DP_TX_ALLOC_MAX),
			     DP_TX_ALLOC_MAX));
		cr_assert(eq(int, dp_tx_commit(fx.w, 20), 0));
		drain(&fx);
		cr_assert(eq(u32, collect(&fx.t, 0, got, DP_BURST), 1));
	}
	teardown(&fx);
}

HB_TEST(dp_eal, tx_partial_bursts_retried_then_dropped)
{
	struct fixture fx;
	struct frame got[DP_BURST];

	/* A TX ring of 16 slots takes 15 frames. */
	setup(&fx, "txfull", 16);
	rx_frame(&fx, RX_ARP_REQ);
	drain(&fx);
	cr_assert(eq(u32, collect(&fx.t, 0, got, DP_BURST), 1));
	send_n(&fx, 20);
	drain(&fx);
	cr_assert(eq(sz, tx_pending(&fx.t, 0), 15));
	/* The other five stay ours, retried on each iteration, then dropped and counted. */
	for (unsigned i = 0; i < 10; i++)
		drain(&fx);
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_DROP_TX_FULL), 5));
	cr_assert(ge(u64, cnt(fx.w, DP_CNT_TX_RETRIES), 8));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_TX_PKTS), 16));
	/* Room again: sending works. */
	cr_assert(eq(u32, collect(&fx.t, 0, got, DP_BURST), 15));
	send_n(&fx, 2);
	drain(&fx);
	cr_assert(eq(sz, tx_pending(&fx.t, 0), 2));
	teardown(&fx);
}

HB_TEST(dp_eal, bad_frames_counted_never_delivered)
{
	struct fixture fx;
	struct frame f;
	struct rte_mbuf *a, *b;

	setup(&fx, "bad", 256);
	frame_us(&f, RX_UDP4, fx.mac);
	f.b[50] ^= 1; /* UDP checksum */
	inject(&fx.t, 0, &f);
	f.len = 30; /* truncated */
	inject(&fx.t, 0, &f);
	/* Two segments. */
	a = rte_pktmbuf_alloc(fx.t.mp);
	b = rte_pktmbuf_alloc(fx.t.mp);
	cr_assert(not(eq(ptr, rte_pktmbuf_append(a, 20), NULL)));
	cr_assert(not(eq(ptr, rte_pktmbuf_append(b, 20), NULL)));
	cr_assert(eq(int, rte_pktmbuf_chain(a, b), 0));
	cr_assert(eq(int, rte_ring_enqueue(fx.t.rx[0], a), 0));
	dp_worker_poll(fx.w, fx.now);
	cr_assert(eq(u32, fx.app.n, 0));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_DROP_UDP_CSUM), 1));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_DROP_TRUNCATED), 1));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_DROP_MULTISEG), 1));
	cr_assert(eq(u64, cnt(fx.w, DP_CNT_RX_PKTS), 3));
	/* Every received mbuf went back to the pool. */
	cr_assert(eq(u32, rte_mempool_in_use_count(fx.t.mp), 0));
	teardown(&fx);
}

HB_TEST(dp_eal, net_ring_vdev_loopback)
{
	/* The --vdev=net_ring0 port: its rings loop TX back to RX, so our reply is read from
	 * the same ring the request was put on. */
	struct dp_handler h = {.on_datagram = on_datagram};
	struct app app = {0};
	struct dp_opts o;
	struct dp *dp;
	struct rte_ring *r;
	struct rte_mempool *mp;
	struct rte_mbuf *m;
	struct frame f, want;
	uint16_t port;
	const uint8_t *mac;

	eal_up("vdev", "0", NULL);
	cr_assert(eq(int, rte_eth_dev_get_port_by_name("net_ring0", &port), 0));
	opts_one_port(&o, port);
	cr_assert(eq(int, dp_new(&dp, &o), 0));
	cr_assert(eq(int, dp_worker_set_handler(dp_worker_get(dp, 0), &h, &app), 0));
	mac = dp_iface_get(dp, 0)->mac;
	r = rte_ring_lookup("ETH_RXTX0_net_ring0");
	cr_assert(not(eq(ptr, r, NULL)));
	mp = rte_pktmbuf_pool_create("vdev_mp", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	cr_assert(not(eq(ptr, mp, NULL)));
	frame_us(&f, RX_ARP_REQ, mac);
	m = rte_pktmbuf_alloc(mp);
	memcpy(rte_pktmbuf_append(m, (uint16_t)f.len), f.b, f.len);
	cr_assert(eq(int, rte_ring_enqueue(r, m), 0));
	/* One poll: the reply leaves in it (RX drained), and a second would read it back. */
	dp_worker_poll(dp_worker_get(dp, 0), T0);
	cr_assert(eq(int, rte_ring_dequeue(r, (void **)&m), 0));
	frame_us(&want, TX_ARP_REPLY, mac);
	cr_assert(eq(u32, m->pkt_len, want.len));
	cr_assert(eq(int, memcmp(rte_pktmbuf_mtod(m, void *), want.b, want.len), 0));
	rte_pktmbuf_free(m);
	dp_free(dp);
	rte_mempool_free(mp);
	eal_down();
}

/*
 * Start the EAL with one extra --vdev (VDEV), make a one-port dataplane on the port NAME and
 * poll its worker 20 times (simulated time). @return the worker; *dp to free.
 */
static struct dp_worker *
vdev_poll20(const char *test, const char *vdev, const char *name, struct app *app, struct dp **dp)
{
	static const struct dp_handler h = {.on_datagram = on_datagram};
	const char *const extra[] = {vdev, NULL};
	struct dp_opts o;
	struct dp_worker *w;
	uint16_t port;

	eal_up(test, "0", extra);
	cr_assert(eq(int, rte_eth_dev_get_port_by_name(name, &port), 0));
	opts_one_port(&o, port);
	cr_assert(eq(int, dp_new(dp, &o), 0));
	w = dp_worker_get(*dp, 0);
	cr_assert(eq(int, dp_worker_set_handler(w, &h, app), 0));
	for (unsigned i = 0; i < 20; i++)
		dp_worker_poll(w, T0 + i * T_MS);
	return w;
}

HB_TEST(dp_eal, net_null_garbage_is_counted)
{
	struct app app = {0};
	struct dp *dp;
	struct dp_worker *w = vdev_poll20("null", "--vdev=net_null0", "net_null0", &app, &dp);

	/* net_null makes up frames: each one received is a counted drop. */
	cr_assert(gt(u64, cnt(w, DP_CNT_RX_PKTS), 0));
	cr_assert(eq(u64, dp_counters_drops(dp_worker_counters(w)), cnt(w, DP_CNT_RX_PKTS)));
	cr_assert(eq(u32, app.n, 0));
	/* Only net_memif ports are gated on their link. */
	cr_assert(eq(u64, cnt(w, DP_CNT_LINK_DOWN), 0));
	dp_free(dp);
	eal_down();
}

/*
 * A net_memif port with no peer has its link down: the worker must not enter the driver's
 * bursts then (DPDK 22.11 memif_disconnect() unmaps the peer's regions under a running burst;
 * README, Known limitations), and says so in link_down_polls, once per poll.
 */
HB_TEST(dp_eal, memif_link_down_skips_bursts)
{
	char vdev[128];
	struct app app = {0};
	struct dp *dp;
	struct dp_worker *w;

	snprintf(vdev, sizeof(vdev), "--vdev=net_memif0,role=server,socket=/tmp/hbdp_memif_%d.sock",
		 (int)getpid());
	w = vdev_poll20("memif", vdev, "net_memif0", &app, &dp);
	cr_assert(eq(u64, cnt(w, DP_CNT_LINK_DOWN), 20));
	cr_assert(eq(u64, cnt(w, DP_CNT_RX_PKTS), 0));
	dp_free(dp);
	eal_down();
}

/*
 * The memif teardown guard (dataplane/memif_guard.c, README, Known limitations) works only if
 * the driver's munmap() calls reach the executable's munmap(): the global lookup the dlopen()ed
 * driver gets must land in this executable, not in libc, in plain and AddressSanitizer builds
 * alike (the integration suite runs the sanitized server over net_memif).
 */
HB_TEST(dp_eal, memif_guard_munmap_is_the_executables)
{
	void *f = dlsym(RTLD_DEFAULT, "munmap");
	Dl_info got, self;
	void *page;

	cr_assert(not(eq(ptr, f, NULL)));
	cr_assert(not(eq(int, dladdr(f, &got), 0)));
	cr_assert(not(eq(int, dladdr((void *)vdev_poll20, &self), 0)));
	cr_assert(eq(ptr, got.dli_fbase, self.dli_fbase), "munmap() resolves to %s, not %s",
		  got.dli_fname, self.dli_fname);
	/* It still unmaps (no dataplane: nothing to wait for). */
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert(not(eq(ptr, page, MAP_FAILED)));
	cr_assert(eq(int, ((int (*)(void *, size_t))f)(page, 4096), 0));
}

struct quiesce_arg {
	int started, done;
};

static void *
quiesce_thread(void *arg)
{
	struct quiesce_arg *q = arg;

	__atomic_store_n(&q->started, 1, __ATOMIC_RELEASE);
	dp_memif_quiesce();
	__atomic_store_n(&q->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * What munmap() does first when the memif driver calls it: wait while a worker is inside a
 * burst (memif_seq odd, as dp_memif_enter() leaves it), return once it has left; a worker
 * outside a burst is not waited for.
 */
HB_TEST(dp_eal, memif_guard_waits_for_a_burst_in_progress)
{
	char vdev[128];
	struct app app = {0};
	struct quiesce_arg q = {0};
	struct dp *dp;
	struct dp_worker *w;
	pthread_t t;

	snprintf(vdev, sizeof(vdev),
		 "--vdev=net_memif0,role=server,socket=/tmp/hbdp_memifq_%d.sock", (int)getpid());
	w = vdev_poll20("memifq", vdev, "net_memif0", &app, &dp);
	/* Outside a burst after every poll. */
	cr_assert(eq(u32, __atomic_load_n(&w->memif_seq, __ATOMIC_ACQUIRE) & 1, 0));
	cr_assert(eq(int, pthread_create(&t, NULL, quiesce_thread, &q), 0));
	cr_assert(eq(int, pthread_join(t, NULL), 0));
	cr_assert(eq(int, q.done, 1));

	/* A burst begun: the guard must not return until it ends. */
	__atomic_store_n(&w->memif_seq, w->memif_seq + 1, __ATOMIC_SEQ_CST);
	q = (struct quiesce_arg){0};
	cr_assert(eq(int, pthread_create(&t, NULL, quiesce_thread, &q), 0));
	while (!__atomic_load_n(&q.started, __ATOMIC_ACQUIRE))
		sched_yield();
	for (unsigned i = 0; i < 20; i++) {
		usleep(5000);
		cr_assert(eq(int, __atomic_load_n(&q.done, __ATOMIC_ACQUIRE), 0),
			  "the guard returned while a burst was in progress");
	}
	__atomic_store_n(&w->memif_seq, w->memif_seq + 1, __ATOMIC_RELEASE);
	cr_assert(eq(int, pthread_join(t, NULL), 0));
	cr_assert(eq(int, q.done, 1));
	dp_free(dp);
	eal_down();
}

/* One request to the telemetry socket, the reply in buf. */
static size_t
telemetry_query(const char *cmd, char *buf, size_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	ssize_t n;

	cr_assert(ge(int, fd, 0));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dpdk_telemetry.v2",
		 rte_eal_get_runtime_dir());
	cr_assert(eq(int, connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0));
	n = read(fd, buf, len - 1); /* the greeting */
	cr_assert(gt(int, (int)n, 0));
	cr_assert(eq(int, (int)write(fd, cmd, strlen(cmd)), (int)strlen(cmd)));
	n = read(fd, buf, len - 1);
	cr_assert(gt(int, (int)n, 0));
	buf[n] = '\0';
	close(fd);
	return (size_t)n;
}

HB_TEST(dp_eal, telemetry_reports_counters)
{
	struct fixture fx;
	char reply[8192];
	struct dp_counters sum;

	setup(&fx, "telemetry", 256);
	rx_frame(&fx, RX_ARP_REQ);
	rx_frame(&fx, RX_ARP_REQ);
	dp_stats(fx.dp, &sum);
	cr_assert(eq(u64, sum.v[DP_CNT_RX_PKTS], 2));
	telemetry_query("/hayabusa/stats", reply, sizeof(reply));
	cr_assert(not(eq(ptr, strstr(reply, "\"rx_pkts\":2"), NULL)), "%s", reply);
	cr_assert(not(eq(ptr, strstr(reply, "\"arp_replied\":2"), NULL)), "%s", reply);
	telemetry_query("/hayabusa/stats,0", reply, sizeof(reply));
	cr_assert(not(eq(ptr, strstr(reply, "\"rx_pkts\":2"), NULL)), "%s", reply);
	telemetry_query("/hayabusa/stats,7", reply, sizeof(reply));
	cr_assert(eq(ptr, strstr(reply, "rx_pkts"), NULL), "%s", reply);
	teardown(&fx);
}

HB_TEST(dp_eal, new_rejects_bad_ports)
{
	struct dp_opts o;
	struct dp *dp = NULL;

	eal_up("badport", "0", NULL);
	opts_one_port(&o, 77);
	cr_assert(eq(int, dp_new(&dp, &o), DP_ERR_INVAL));
	cr_assert(eq(ptr, dp, NULL));
	o.nb_ports = 0;
	cr_assert(eq(int, dp_new(&dp, &o), DP_ERR_INVAL));
	cr_assert(eq(int, dp_new(NULL, &o), DP_ERR_INVAL));
	eal_down();
}
