/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Handshakes between two struct quic_conn over the simulated link: both roles, Initial and
 * Handshake spaces, TLS through CRYPTO frames, HANDSHAKE_DONE, key discarding, padding and
 * the anti-amplification limit (RFC 9000 §7, §8.1, §14.1; RFC 9001 §4).
 */
#include <stdlib.h>
#include <string.h>

#include <quic/conn.h>
#include <quic/packet.h>

#include "hb_test.h"
#include "pair.h"

TestSuite(transport_handshake);

#define HS_BUDGET (10000 * PAIR_MS)

static int
str_cmp(const char *a, const char *b)
{
	return a == NULL || b == NULL ? -1 : strcmp(a, b);
}

/* What the filter saw on one direction. */
struct seen {
	unsigned initial_dgrams;
	unsigned short_initial_dgrams; /* datagrams with an Initial, shorter than 1200 bytes */
	unsigned long_hdr_after_confirm;
	bool confirmed;
};

static bool
is_long_initial(const uint8_t *d, size_t len)
{
	uint32_t v;

	if (len < 5 || (d[0] & 0x80) == 0)
		return false;
	v = (uint32_t)d[1] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 8 | d[4];
	return v == QUIC_VERSION_1 && ((d[0] >> 4) & 3) == 0;
}

static bool
watch(void *arg, uint8_t *data, size_t *len, uint64_t index)
{
	struct seen *s = arg;

	(void)index;
	if (is_long_initial(data, *len)) {
		s->initial_dgrams++;
		if (*len < 1200)
			s->short_initial_dgrams++;
	}
	if (s->confirmed && (data[0] & 0x80) != 0)
		s->long_hdr_after_confirm++;
	return true;
}

static void
assert_same_params(struct pair *p)
{
	const struct quic_tparams *cp = quic_conn_peer_tparams(p->cli);
	const struct quic_tparams *sp = quic_conn_peer_tparams(p->srv);

	cr_assert(cp != NULL);
	cr_assert(sp != NULL);
	cr_assert(quic_tparams_equal(cp, quic_conn_local_tparams(p->srv)));
	cr_assert(quic_tparams_equal(sp, quic_conn_local_tparams(p->cli)));
}

/* RFC 9000 §7, RFC 9001 §4.1: a clean handshake. */
HB_TEST(transport_handshake, completes)
{
	struct pair_opts o;
	struct pair p;
	struct seen c2s = {0}, s2c = {0};
	struct quic_event ev;
	bool cli_done = false, srv_done = false;

	pair_opts_default(&o, 10);
	pair_init(&p, &o);
	p.dir[PAIR_C2S].filter = watch;
	p.dir[PAIR_C2S].filter_arg = &c2s;
	p.dir[PAIR_S2C].filter = watch;
	p.dir[PAIR_S2C].filter_arg = &s2c;
	cr_assert(pair_handshake(&p, HS_BUDGET));

	cr_assert(eq(int, str_cmp(quic_conn_alpn(p.cli), "hq-interop"), 0));
	cr_assert(eq(int, str_cmp(quic_conn_alpn(p.srv), quic_conn_alpn(p.cli)), 0));
	assert_same_params(&p);
	cr_assert(quic_conn_path_validated(p.srv));
	cr_assert(quic_conn_handshake_confirmed(p.srv));
	cr_assert(eq(u32, quic_conn_version(p.srv), QUIC_VERSION_1));
	/* RFC 9000 §7.2: the client now sends to the server's CID and vice versa. */
	cr_assert(eq(u8, quic_conn_dcid(p.cli)->len, quic_conn_scid(p.srv)->len));
	cr_assert(eq(int,
		     memcmp(quic_conn_dcid(p.cli)->data, quic_conn_scid(p.srv)->data,
			    quic_conn_scid(p.srv)->len),
		     0));
	/* RFC 9000 §8.1, at every step; RFC 9000 §14.1 on both sides. */
	cr_assert(eq(u64, p.amp_violations, 0));
	cr_assert(gt(u32, c2s.initial_dgrams, 0));
	cr_assert(eq(u32, c2s.short_initial_dgrams, 0));
	cr_assert(eq(u32, s2c.short_initial_dgrams, 0));
	while (quic_conn_poll_event(p.cli, &ev))
		cli_done |= ev.type == QUIC_EV_HANDSHAKE_DONE;
	while (quic_conn_poll_event(p.srv, &ev))
		srv_done |= ev.type == QUIC_EV_HANDSHAKE_DONE;
	cr_assert(cli_done);
	cr_assert(srv_done);
	/* RFC 9001 §4.9: once confirmed, neither side sends long headers any more. */
	c2s.confirmed = s2c.confirmed = true;
	pair_step(&p);
	pair_step(&p);
	cr_assert(eq(u32, c2s.long_hdr_after_confirm + s2c.long_hdr_after_confirm, 0));
	pair_free(&p);
}

static void
use_v2(void *arg, struct quic_conn_config *cli, struct quic_conn_config *srv)
{
	(void)arg;
	(void)srv;
	cli->versions[0] = QUIC_VERSION_2;
	cli->versions[1] = QUIC_VERSION_1;
}

/* RFC 9369: the same handshake in QUIC version 2. */
HB_TEST(transport_handshake, version2)
{
	struct pair_opts o;
	struct pair p;

	pair_opts_default(&o, 5);
	o.tweak = use_v2;
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, HS_BUDGET));
	cr_assert(eq(u32, quic_conn_version(p.cli), QUIC_VERSION_2));
	cr_assert(eq(u32, quic_conn_version(p.srv), QUIC_VERSION_2));
	assert_same_params(&p);
	cr_assert(eq(u64, p.amp_violations, 0));
	pair_free(&p);
}

/*
 * HelloRetryRequest: the client offers P-256 then X25519 with a key share for P-256 only, the
 * server accepts X25519 only, so it must ask for X25519 (RFC 9846 §4.1.4). tweak_arg is the pair,
 * whose TLS configurations exist before the connections (pair_init()).
 */
static void
force_hrr(void *arg, struct quic_conn_config *cli, struct quic_conn_config *srv)
{
	static const enum crypto_group cli_groups[] = {CRYPTO_GROUP_SECP256R1, CRYPTO_GROUP_X25519};
	static const enum crypto_group srv_groups[] = {CRYPTO_GROUP_X25519};
	struct pair *p = arg;

	(void)cli;
	(void)srv;
	cr_assert(eq(int, tls_client_config_set_groups(p->tls_cli, cli_groups, 2, 1), 0));
	cr_assert(eq(int, tls_server_config_set_groups(p->tls_srv, srv_groups, 1), 0));
}

/* HRR inside QUIC (RFC 9001 §4.7): the second ClientHello goes in the same Initial space. */
HB_TEST(transport_handshake, hello_retry_request)
{
	static const uint64_t delays[] = {0, 5, 40};
	struct pair_opts o;
	struct pair p;
	size_t i;

	for (i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		pair_opts_default(&o, delays[i]);
		o.tweak = force_hrr;
		o.tweak_arg = &p;
		pair_init(&p, &o);
		cr_assert(pair_handshake(&p, HS_BUDGET), "HRR handshake, delay %llu ms",
			  (unsigned long long)delays[i]);
		cr_assert(quic_conn_hrr(p.cli));
		cr_assert(quic_conn_hrr(p.srv));
		cr_assert(quic_conn_handshake_confirmed(p.srv));
		assert_same_params(&p);
		cr_assert(eq(u64, p.amp_violations, 0));
		pair_free(&p);
	}
	/* The same configurations without the split key share: no HRR (the assertion can fail). */
	pair_opts_default(&o, 5);
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, HS_BUDGET));
	cr_assert(not(quic_conn_hrr(p.cli)));
	pair_free(&p);
}

/* One impaired link pattern: which datagrams of each direction are hit, and how. */
struct impair {
	const char *name;
	uint64_t c2s_loss;
	uint64_t s2c_loss;
	uint64_t dup;
	uint64_t reorder;
	uint64_t corrupt;
	uint32_t loss_permille;
	bool want_pto;
};

static const struct impair impairs[] = {
	{"client Initial lost", 0x1, 0, 0, 0, 0, 0, true},
	{"server first flight lost", 0, 0x1, 0, 0, 0, 0, true},
	{"server second datagram lost", 0, 0x2, 0, 0, 0, 0, true},
	{"client Finished lost", 0x2, 0, 0, 0, 0, 0, true},
	{"everything lost twice", 0x3, 0x3, 0, 0, 0, 0, true},
	{"alternate loss", 0x5555, 0xaaaa, 0, 0, 0, 0, true},
	{"duplicates", 0, 0, 0xffff, 0, 0, 0, false},
	{"reordered", 0, 0, 0, 0x1, 0, 0, false},
	{"corrupted", 0, 0, 0, 0, 0x3, 0, true},
	{"30 percent loss", 0, 0, 0, 0, 0, 300, true},
};

static void
run_impaired(const struct impair *im, const char *cc)
{
	struct pair_opts o;
	struct pair p;
	struct quic_conn_stats cs, ss;
	int d;

	pair_opts_default(&o, 10);
	o.cc_algo = cc;
	for (d = 0; d < 2; d++) {
		o.link[d].dup_mask = im->dup;
		o.link[d].reorder_mask = im->reorder;
		o.link[d].reorder_ns = 15 * PAIR_MS;
		o.link[d].corrupt_mask = im->corrupt;
		o.link[d].loss_permille = im->loss_permille;
	}
	o.link[PAIR_C2S].loss_mask = im->c2s_loss;
	o.link[PAIR_S2C].loss_mask = im->s2c_loss;
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, 60000 * PAIR_MS), "%s: no handshake", im->name);
	cr_assert(eq(u64, p.amp_violations, 0), "%s", im->name);
	cr_assert(eq(int, str_cmp(quic_conn_alpn(p.srv), "hq-interop"), 0));
	assert_same_params(&p);
	quic_conn_stats(p.cli, &cs);
	quic_conn_stats(p.srv, &ss);
	if (im->want_pto)
		cr_assert(gt(u64, cs.pto_count + ss.pto_count + p.accept_failures, 0), "%s",
			  im->name);
	pair_free(&p);
}

/* RFC 9002 §6: loss detection and PTO recover every handshake flight. */
HB_TEST(transport_handshake, impaired_links)
{
	size_t i;

	for (i = 0; i < sizeof(impairs) / sizeof(impairs[0]); i++)
		run_impaired(&impairs[i], NULL);
}

/* The same with CUBIC (RFC 9438) as the congestion controller. */
HB_TEST(transport_handshake, impaired_links_cubic)
{
	size_t i;

	for (i = 0; i < sizeof(impairs) / sizeof(impairs[0]); i++)
		run_impaired(&impairs[i], "cubic");
}

/* The client's first datagram, as the server would get it. */
static size_t
first_client_dgram(struct pair *p, uint8_t *buf, size_t cap)
{
	size_t lens[4];
	struct quic_path path;
	int n = quic_conn_write(p->cli, buf, cap, 1452, lens, 4, &path, p->now);

	cr_assert(ge(int, n, 1));
	return lens[0];
}

/* RFC 9000 §14.1, §7.2, §6: what quic_conn_accept() refuses before making any state. */
HB_TEST(transport_handshake, accept_checks)
{
	struct pair_opts o;
	struct pair p;
	struct quic_conn *srv = NULL;
	uint8_t d[1500];
	size_t len;

	pair_opts_default(&o, 1);
	pair_init(&p, &o);
	len = first_client_dgram(&p, d, sizeof(d));
	cr_assert(ge(sz, len, 1200));
	/* A7: fewer than 1200 bytes (every shorter prefix). */
	for (size_t n = 0; n < 1200; n += 7)
		cr_assert(eq(int, quic_conn_accept(&srv, &p.scfg, d, n, &p.spath, p.now),
			     QUIC_ERR_MALFORMED));
	/* A4/A5: an unknown version. */
	d[1] ^= 0x10;
	cr_assert(eq(int, quic_conn_accept(&srv, &p.scfg, d, len, &p.spath, p.now),
		     QUIC_ERR_VERSION));
	d[1] ^= 0x10;
	/* A8: a client-chosen DCID shorter than 8 bytes without a token. */
	d[5] = 7;
	cr_assert(eq(int, quic_conn_accept(&srv, &p.scfg, d, len, &p.spath, p.now),
		     QUIC_ERR_MALFORMED));
	cr_assert(eq(ptr, srv, NULL));
	pair_free(&p);
}

/* A certificate chain far larger than 3 x 1200 bytes: the server must stop at its limit. */
static char *
pem_cat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	cr_assert(not(eq(ptr, s, NULL)));
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

static void
big_chain(struct pair *p)
{
	struct tls_cert_params cp = {
		.key_type = TLS_KEY_RSA_2048, .host_name = "root.test", .is_ca = true};
	char *rc, *rk, *ic, *ik, *lc, *lk, *chain, *chain2;
	size_t n, m;

	cr_assert(eq(int, tls_cert_generate(&cp, &rc, &n, &rk, &m), 0));
	cp.host_name = "intermediate.test";
	cp.issuer_cert_pem = rc;
	cp.issuer_key_pem = rk;
	cr_assert(eq(int, tls_cert_generate(&cp, &ic, &n, &ik, &m), 0));
	cp.host_name = PAIR_HOST;
	cp.is_ca = false;
	cp.issuer_cert_pem = ic;
	cp.issuer_key_pem = ik;
	cr_assert(eq(int, tls_cert_generate(&cp, &lc, &n, &lk, &m), 0));
	chain = pem_cat(lc, ic);
	chain2 = pem_cat(chain, rc);
	cr_assert(eq(
		int,
		tls_server_config_set_cert_pem(p->tls_srv, chain2, strlen(chain2), lk, strlen(lk)),
		0));
	cr_assert(eq(int, tls_client_config_set_ca_pem(p->tls_cli, rc, strlen(rc)), 0));
	free(chain);
	free(chain2);
	free(rc);
	free(rk);
	free(ic);
	free(ik);
	free(lc);
	free(lk);
}

/* RFC 9000 §8.1: at most 3x the bytes received before the address is validated. */
HB_TEST(transport_handshake, amplification_limit)
{
	struct pair_opts o;
	struct pair p;
	struct quic_conn_stats ss;

	pair_opts_default(&o, 10);
	pair_init(&p, &o);
	big_chain(&p);
	cr_assert(pair_handshake(&p, HS_BUDGET));
	quic_conn_stats(p.srv, &ss);
	cr_assert(eq(u64, p.amp_violations, 0));
	cr_assert(gt(u64, ss.amp_blocked, 0));
	cr_assert(le(u64, ss.max_amp_ratio_x100, 300));
	cr_assert(gt(u64, p.max_unvalidated_tx, 3 * 1200 - 1200));
	pair_free(&p);
}

/* The same, with the client's acknowledgements of the first flight lost: the client's PTO
 * (RFC 9002 §6.2.2.1 anti-deadlock) is what lets the server go on. */
HB_TEST(transport_handshake, amplification_deadlock)
{
	struct pair_opts o;
	struct pair p;

	pair_opts_default(&o, 10);
	o.link[PAIR_C2S].loss_mask = 0x6;
	pair_init(&p, &o);
	big_chain(&p);
	cr_assert(pair_handshake(&p, HS_BUDGET));
	cr_assert(eq(u64, p.amp_violations, 0));
	pair_free(&p);
}
