/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_flow steering by connection ID (dataplane/flow.c, issue 5): the RAW item's offsets and
 * masks for a QUIC-LB layout (no EAL), and, on ring ports that offer no rte_flow, the fallback:
 * logged once per port, dp_port_flow_steering() false, and software steering through the
 * worker rings still delivering a DCID to the worker it names. With a QUIC-LB key the worker
 * byte is ciphertext and the log says so.
 */
#include <string.h>

#include <crypto/crypto.h>
#include <dataplane/flow.h>
#include <quic/cid.h>

#include "dp_eal.h"

TestSuite(dp_flow, .timeout = 60);

#define T0	  (UINT64_C(5) * 1000000000)
#define CID_LEN	  16
#define SID_LEN	  3
#define NONCE_LEN 12
#define LOG_MAX	  4096

static const uint8_t server_id[SID_LEN] = {0x12, 0x34, 0x56};

/* Clear (key NULL) or encrypted QUIC-LB decoder; cc stays NULL without a key. */
static void
lb_make(struct quic_lb **lb, struct crypto_ctx **cc, bool key)
{
	struct quic_lb_config cfg = {.config_id = 1, .server_id_len = SID_LEN,
				     .nonce_len = NONCE_LEN, .cid_len = CID_LEN, .has_key = key};

	memcpy(cfg.server_id, server_id, SID_LEN);
	for (unsigned i = 0; i < QUIC_LB_KEY_LEN; i++)
		cfg.key[i] = (uint8_t)(0xa0 + i);
	*cc = NULL;
	if (key)
		cr_assert(eq(int, crypto_ctx_new(cc, CRYPTO_ENGINE_AUTO), 0));
	cr_assert(eq(int, quic_lb_new(lb, &cfg, *cc), 0));
}

/* A short header packet (RFC 9000 §17.3) to worker through lb; returns its length. */
static size_t
short_pkt(struct quic_lb *lb, uint8_t worker, uint8_t *p)
{
	uint8_t nonce[NONCE_LEN];
	struct quic_cid cid;

	for (unsigned i = 0; i < NONCE_LEN; i++)
		nonce[i] = (uint8_t)(0x70 + i);
	nonce[0] = worker;
	cr_assert(eq(int, quic_lb_encode_nonce(lb, nonce, NULL, &cid), 0));
	p[0] = 0x41;
	memcpy(p + 1, cid.data, cid.len);
	memset(p + 1 + cid.len, 0xee, 8);
	return 1 + cid.len + 8;
}

/* Whether payload p matches r as a NIC would apply it. */
static bool
raw_match(const struct dp_flow_raw *r, const uint8_t *p, size_t len)
{
	if (len < r->len)
		return false;
	for (unsigned i = 0; i < r->len; i++) {
		if ((p[i] & r->mask[i]) != (r->spec[i] & r->mask[i]))
			return false;
	}
	return true;
}

HB_TEST(dp_flow, raw_item_offsets_and_masks)
{
	struct dp_flow_raw r;
	struct crypto_ctx *cc;
	struct quic_lb *lb;
	uint8_t pkt[64];
	size_t len;

	for (size_t sid = 1; sid <= 15; sid++) {
		cr_assert(eq(int, dp_flow_cid_raw(&r, sid, (uint8_t)(sid + 3)), 0));
		cr_assert(eq(u8, r.len, 2 + sid + 1));
		cr_assert(eq(u8, r.spec[0] & r.mask[0], 0x40)); /* short header, fixed bit */
		cr_assert(eq(u8, r.mask[0], 0xc0));
		for (size_t i = 1; i < 2 + sid; i++)
			cr_assert(eq(u8, r.mask[i], 0), "byte %zu of sid_len %zu", i, sid);
		cr_assert(eq(u8, r.spec[2 + sid], sid + 3));
		cr_assert(eq(u8, r.mask[2 + sid], 0xff));
	}
	cr_assert(eq(int, dp_flow_cid_raw(&r, 0, 1), DP_ERR_INVAL));
	cr_assert(eq(int, dp_flow_cid_raw(&r, 15 + 1, 1), DP_ERR_INVAL));
	cr_assert(eq(int, dp_flow_cid_raw(NULL, 1, 1), DP_ERR_INVAL));

	/* Real clear CIDs: worker 5's matches worker 5's rule only; a long header matches none. */
	lb_make(&lb, &cc, false);
	cr_assert(eq(int, dp_flow_cid_raw(&r, SID_LEN, 5), 0));
	len = short_pkt(lb, 5, pkt);
	cr_assert(raw_match(&r, pkt, len));
	cr_assert(not(raw_match(&r, pkt, r.len - 1u)));
	len = short_pkt(lb, 4, pkt);
	cr_assert(not(raw_match(&r, pkt, len)));
	len = short_pkt(lb, 5, pkt);
	pkt[0] = 0xc1; /* long header form */
	cr_assert(not(raw_match(&r, pkt, len)));
	quic_lb_free(lb);
}

/* ctx: datagrams delivered per worker id. */
static void
on_datagram(void *ctx, struct dp_worker *w, const uint8_t *payload, size_t len,
	    const struct dp_path *path, uint64_t now_ns)
{
	unsigned *got = ctx;

	(void)payload, (void)len, (void)path, (void)now_ns;
	got[dp_worker_id(w)]++;
}

struct fixture {
	struct tport t;
	struct dp *dp;
	struct dp_worker *w[2];
	unsigned got[2];
	struct crypto_ctx *cc[2];
	struct quic_lb *lb[2];
	FILE *log;
	char text[LOG_MAX];
};

/* Two workers on a two-queue ring port, the log captured around set-up. */
static void
setup(struct fixture *fx, const char *name, bool key)
{
	struct dp_handler h = {.on_datagram = on_datagram};
	struct dp_opts o;
	size_t n;

	memset(fx, 0, sizeof(*fx));
	eal_up(name, "0-1", NULL);
	rte_log_set_level(RTE_LOGTYPE_USER1, RTE_LOG_DEBUG);
	tport_new(&fx->t, 2, 256);
	opts_one_port(&o, fx->t.id);
	cr_assert(eq(int, dp_new(&fx->dp, &o), 0));
	cr_assert(not(dp_port_flow_steering(fx->dp, 0)));
	fx->log = tmpfile();
	cr_assert(ne(ptr, fx->log, NULL));
	cr_assert(eq(int, rte_openlog_stream(fx->log), 0));
	for (unsigned i = 0; i < 2; i++) {
		fx->w[i] = dp_worker_get(fx->dp, i);
		cr_assert(eq(int, dp_worker_set_handler(fx->w[i], &h, fx->got), 0));
		lb_make(&fx->lb[i], &fx->cc[i], key);
		cr_assert(eq(int, dp_worker_set_steering(fx->w[i], fx->lb[i], server_id, SID_LEN),
			     0));
	}
	cr_assert(eq(int, rte_openlog_stream(NULL), 0));
	rewind(fx->log);
	n = fread(fx->text, 1, sizeof(fx->text) - 1, fx->log);
	fx->text[n] = '\0';
	fclose(fx->log);
}

static void
teardown(struct fixture *fx)
{
	steer_down(&fx->t, fx->dp, fx->lb, fx->cc, 2);
}

/* Worker 1's CID arriving on worker 0's queue reaches worker 1 through its ring. */
static void
check_software_steering(struct fixture *fx)
{
	uint8_t pkt[64], peer_mac[6], us_mac[6];
	struct dp_path p;
	struct dp_addr a;
	struct frame f;
	size_t len = short_pkt(fx->lb[0], 1, pkt);

	hex_bytes(PEER_MAC, peer_mac, 6);
	memcpy(us_mac, dp_iface_get(fx->dp, 0)->mac, 6);
	path_us_peer(&p, DP_AF_INET, 0);
	a = p.local; /* seen from the peer */
	p.local = p.remote;
	p.remote = a;
	memset(f.b, 0, sizeof(f.b));
	memcpy(f.b + DP_UDP4_HDRS, pkt, len);
	f.len = dp_udp_write_hdrs(f.b, peer_mac, us_mac, &p, len, 0) + len;
	inject(&fx->t, 0, &f);
	dp_worker_poll(fx->w[0], T0);
	cr_assert(eq(u32, fx->got[0], 0));
	cr_assert(eq(u64, cnt(fx->w[0], DP_CNT_STEER_OUT), 1));
	dp_worker_poll(fx->w[1], T0);
	cr_assert(eq(u32, fx->got[0], 0));
	cr_assert(eq(u32, fx->got[1], 1));
	cr_assert(eq(u64, cnt(fx->w[1], DP_CNT_STEER_IN), 1));
}

HB_TEST(dp_flow, port_without_rte_flow_falls_back_to_software)
{
	struct fixture fx;
	char want[96];

	setup(&fx, "flow_fb", false);
	snprintf(want, sizeof(want), "port %u: flow steering by CID not supported (", fx.t.id);
	cr_assert(ne(ptr, strstr(fx.text, want), NULL), "log: %s", fx.text);
	cr_assert(ne(ptr, strstr(fx.text, "using software steering"), NULL), "log: %s", fx.text);
	/* One line per port, not one per worker or rule. */
	cr_assert(eq(ptr, strstr(strstr(fx.text, want) + 1, want), NULL), "log: %s", fx.text);
	cr_assert(not(dp_port_flow_steering(fx.dp, 0)));
	cr_assert(not(dp_port_flow_steering(fx.dp, 1)));
	cr_assert(not(dp_port_flow_steering(NULL, 0)));
	check_software_steering(&fx);
	teardown(&fx);
}

HB_TEST(dp_flow, encrypted_cids_keep_software_steering)
{
	struct fixture fx;

	setup(&fx, "flow_key", true);
	cr_assert(ne(ptr, strstr(fx.text, "needs clear worker-id bytes"), NULL), "log: %s",
		  fx.text);
	cr_assert(eq(ptr, strstr(fx.text, "not supported"), NULL), "log: %s", fx.text);
	cr_assert(not(dp_port_flow_steering(fx.dp, 0)));
	check_software_steering(&fx);
	teardown(&fx);
}
