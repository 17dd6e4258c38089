/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address validation and version selection before a connection exists: Retry (RFC 9000
 * §8.1.2, §17.2.5; RFC 9001 §5.8), NEW_TOKEN (§8.1.3, §19.7) and Version Negotiation (§6),
 * with the server screening first datagrams through quic_server_screen() as a dataplane does.
 */
#include <stdlib.h>
#include <string.h>

#include <quic/conn.h>
#include <quic/packet.h>

#include "hb_test.h"
#include "pair.h"

TestSuite(transport_retry);

#define BUDGET (20000 * PAIR_MS)

static int
str_cmp(const char *a, const char *b)
{
	return a == NULL || b == NULL ? -1 : strcmp(a, b);
}

/* RFC 9000 §8.1.2, §7.3: a Retry round trip, then the handshake; the CIDs add up. */
HB_TEST(transport_retry, retry_handshake)
{
	struct pair_opts o;
	struct pair p;
	const struct quic_tparams *tp;

	pair_opts_default(&o, 10);
	o.retry = true;
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	cr_assert(eq(u64, p.screen_replies, 1));
	cr_assert(eq(u64, p.tokens_issued, 1));
	cr_assert(ge(u64, p.tokens_valid, 1));
	cr_assert(quic_conn_retried(p.cli));
	/* The token proved the address: no amplification limit from the first datagram. */
	cr_assert(quic_conn_path_validated(p.srv));
	tp = quic_conn_peer_tparams(p.cli);
	cr_assert(tp != NULL);
	cr_assert(quic_tparams_has(tp, QUIC_TP_RETRY_SCID));
	cr_assert(quic_tparams_equal(tp, quic_conn_local_tparams(p.srv)));
	cr_assert(eq(int, str_cmp(quic_conn_alpn(p.cli), "hq-interop"), 0));
	cr_assert(eq(u64, p.amp_violations, 0));
	pair_free(&p);
}

/* The Retry itself lost, and then the client's answer: PTO brings both back. */
HB_TEST(transport_retry, retry_lost)
{
	struct pair_opts o;
	struct pair p;

	pair_opts_default(&o, 10);
	o.retry = true;
	o.link[PAIR_S2C].loss_mask = 0x1;
	o.link[PAIR_C2S].loss_mask = 0x2;
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	cr_assert(quic_conn_retried(p.cli));
	cr_assert(ge(u64, p.screen_replies, 2));
	pair_free(&p);
}

/* A Retry that fails its integrity tag is discarded (RFC 9000 §17.2.5.2, RFC 9001 §5.8). */
static bool
break_retry_tag(void *arg, uint8_t *data, size_t *len, uint64_t index)
{
	unsigned *broken = arg;

	if (index == 0 && *len > 16 && (data[0] & 0x80) != 0) {
		data[*len - 1] ^= 1;
		(*broken)++;
	}
	return true;
}

HB_TEST(transport_retry, retry_bad_tag_ignored)
{
	struct pair_opts o;
	struct pair p;
	unsigned broken = 0;

	pair_opts_default(&o, 10);
	o.retry = true;
	pair_init(&p, &o);
	p.dir[PAIR_S2C].filter = break_retry_tag;
	p.dir[PAIR_S2C].filter_arg = &broken;
	/* The client ignores the bad Retry, its PTO resends the Initial, a good Retry follows. */
	cr_assert(pair_handshake(&p, BUDGET));
	cr_assert(eq(u32, broken, 1));
	cr_assert(ge(u64, p.screen_replies, 2));
	cr_assert(quic_conn_retried(p.cli));
	pair_free(&p);
}

static void
send_new_token(void *arg, struct quic_conn_config *cli, struct quic_conn_config *srv)
{
	(void)arg;
	(void)cli;
	srv->send_new_token = true;
}

/* RFC 9000 §8.1.3: a NEW_TOKEN token lets the next connection skip the Retry. */
HB_TEST(transport_retry, new_token_skips_retry)
{
	struct pair_opts o;
	struct pair p, q;
	struct quic_event ev;
	const uint8_t *tok;
	size_t tok_len = 0;
	bool got = false;

	pair_opts_default(&o, 10);
	o.retry = true;
	o.tweak = send_new_token;
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	pair_step(&p);
	pair_step(&p);
	while (quic_conn_poll_event(p.cli, &ev))
		got |= ev.type == QUIC_EV_NEW_TOKEN;
	cr_assert(got);
	tok = quic_conn_new_token(p.cli, &tok_len);
	cr_assert(gt(sz, tok_len, 0));

	pair_init(&q, &o);
	cr_assert(eq(int, quic_conn_set_token(q.cli, tok, tok_len), 0));
	cr_assert(pair_handshake(&q, BUDGET));
	cr_assert(eq(u64, q.screen_replies, 0));
	cr_assert(not(quic_conn_retried(q.cli)));
	cr_assert(quic_conn_path_validated(q.srv));
	pair_free(&q);
	pair_free(&p);
}

static void
server_v1_client_v2(void *arg, struct quic_conn_config *cli, struct quic_conn_config *srv)
{
	(void)arg;
	cli->versions[0] = QUIC_VERSION_2;
	cli->versions[1] = QUIC_VERSION_1;
	cli->n_versions = 2;
	srv->versions[0] = QUIC_VERSION_1;
	srv->n_versions = 1;
}

/* RFC 9000 §6: the server answers an unsupported version with a VN; the client moves on. */
HB_TEST(transport_retry, version_negotiation)
{
	struct pair_opts o;
	struct pair p;

	pair_opts_default(&o, 10);
	o.tweak = server_v1_client_v2;
	pair_init(&p, &o);
	cr_assert(pair_handshake(&p, BUDGET));
	cr_assert(eq(u64, p.screen_replies, 1));
	cr_assert(eq(u32, quic_conn_version(p.cli), QUIC_VERSION_1));
	cr_assert(eq(u32, quic_conn_version(p.srv), QUIC_VERSION_1));
	cr_assert(eq(u64, p.amp_violations, 0));
	pair_free(&p);
}

static void
no_common_version(void *arg, struct quic_conn_config *cli, struct quic_conn_config *srv)
{
	(void)arg;
	cli->versions[0] = QUIC_VERSION_2;
	cli->n_versions = 1;
	srv->versions[0] = QUIC_VERSION_1;
	srv->n_versions = 1;
}

static bool
cli_closed(struct pair *p, void *arg)
{
	(void)arg;
	return quic_conn_is_closed(p->cli);
}

/* No version in common: the attempt ends, nothing more is sent. */
HB_TEST(transport_retry, version_negotiation_fails)
{
	struct pair_opts o;
	struct pair p;
	struct quic_conn_close_info ci;

	pair_opts_default(&o, 10);
	o.tweak = no_common_version;
	pair_init(&p, &o);
	cr_assert(pair_run(&p, cli_closed, NULL, BUDGET));
	cr_assert(quic_conn_close_info(p.cli, &ci));
	cr_assert(eq(u64, ci.error_code, QUIC_CONNECTION_REFUSED));
	cr_assert(eq(ptr, p.srv, NULL));
	pair_free(&p);
}

/* quic_server_screen() on its own: bad-input A4-A8, A11. */
HB_TEST(transport_retry, screen_rows)
{
	struct pair_opts o;
	struct pair p;
	uint8_t d[1500], out[QUIC_RETRY_MAX_LEN];
	size_t lens[2], out_len = 0, len;
	struct quic_path path;
	struct quic_packet_hdr h;

	pair_opts_default(&o, 1);
	pair_init(&p, &o);
	cr_assert(eq(int, quic_conn_write(p.cli, d, sizeof(d), 1452, lens, 2, &path, p.now), 1));
	len = lens[0];
	/* A11: no token and a Retry required. */
	cr_assert(eq(int,
		     quic_server_screen(&p.scfg, true, d, len, &p.spath, p.now, out, sizeof(out),
					&out_len),
		     QUIC_SCREEN_REPLY));
	cr_assert(eq(int, quic_packet_parse(out, out_len, 0, &h), 0));
	cr_assert(eq(int, h.type, QUIC_PKT_RETRY));
	/* Accepted without a Retry requirement. */
	cr_assert(eq(int,
		     quic_server_screen(&p.scfg, false, d, len, &p.spath, p.now, out, sizeof(out),
					&out_len),
		     QUIC_SCREEN_ACCEPT));
	/* A7: an Initial in a datagram below 1200 bytes. */
	cr_assert(eq(int,
		     quic_server_screen(&p.scfg, false, d, 1199, &p.spath, p.now, out, sizeof(out),
					&out_len),
		     QUIC_SCREEN_DROP));
	/* A4: an unknown version at 1200 bytes and more: a VN listing ours. */
	d[1] = 0x1a;
	cr_assert(eq(int,
		     quic_server_screen(&p.scfg, false, d, len, &p.spath, p.now, out, sizeof(out),
					&out_len),
		     QUIC_SCREEN_REPLY));
	cr_assert(eq(int, quic_packet_parse(out, out_len, 0, &h), 0));
	cr_assert(eq(int, h.type, QUIC_PKT_VN));
	cr_assert(eq(sz, h.n_versions, 2));
	/* A5: the same below 1200 bytes. */
	cr_assert(eq(int,
		     quic_server_screen(&p.scfg, false, d, 1100, &p.spath, p.now, out, sizeof(out),
					&out_len),
		     QUIC_SCREEN_DROP));
	/* A6: a VN is never answered. */
	memcpy(d, out, out_len);
	cr_assert(eq(int,
		     quic_server_screen(&p.scfg, false, d, 1200, &p.spath, p.now, out, sizeof(out),
					&out_len),
		     QUIC_SCREEN_DROP));
	pair_free(&p);
}

/* ---- Amplification before validation with a long certificate chain (issue #7) ---- */

#define CHAIN_LEN 9

/* A leaf, 7 intermediates and a root (ECDSA P-256), leaf first, as a server is configured. */
static struct tls_server_config *
chain_config(size_t *chain_bytes)
{
	struct tls_cert_params cp = {.key_type = TLS_KEY_ECDSA_P256, .is_ca = true};
	char *cert[CHAIN_LEN] = {NULL}, *key[CHAIN_LEN] = {NULL}, *chain;
	size_t clen[CHAIN_LEN], klen[CHAIN_LEN], off = 0;
	struct tls_server_config *cfg = NULL;
	int i;

	/* cert[CHAIN_LEN - 1] is the root; each one below is signed by the one above. */
	for (i = CHAIN_LEN - 1; i >= 0; i--) {
		cp.host_name = i == 0 ? PAIR_HOST : "ca.hayabusa.test";
		cp.is_ca = i > 0;
		cp.issuer_cert_pem = i < CHAIN_LEN - 1 ? cert[i + 1] : NULL;
		cp.issuer_key_pem = i < CHAIN_LEN - 1 ? key[i + 1] : NULL;
		cr_assert(
			eq(int, tls_cert_generate(&cp, &cert[i], &clen[i], &key[i], &klen[i]), 0));
		off += clen[i];
	}
	*chain_bytes = off;
	chain = malloc(off);
	cr_assert(chain != NULL);
	for (i = 0, off = 0; i < CHAIN_LEN; off += clen[i], i++)
		memcpy(chain + off, cert[i], clen[i]);
	cr_assert(eq(int, tls_server_config_new(&cfg), 0));
	cr_assert(eq(int, tls_server_config_set_cert_pem(cfg, chain, off, key[0], klen[0]), 0));
	free(chain);
	for (i = 0; i < CHAIN_LEN; i++) {
		free(cert[i]);
		free(key[i]);
	}
	return cfg;
}

static void
use_chain(void *arg, struct quic_conn_config *cli, struct quic_conn_config *srv)
{
	(void)cli;
	srv->tls_server = arg;
}

/* What the vanishing client sends and what reaches its address. */
struct vanish {
	uint64_t c2s_bytes, s2c_bytes, s2c_dgrams;
};

/* The client's first datagram only: it vanishes after it. */
static bool
first_only(void *arg, uint8_t *data, size_t *len, uint64_t index)
{
	struct vanish *v = arg;

	(void)data;
	if (index > 0)
		return false;
	v->c2s_bytes += *len;
	return true;
}

/* Counted at the client's address, never delivered: nobody is there. */
static bool
count_and_drop(void *arg, uint8_t *data, size_t *len, uint64_t index)
{
	struct vanish *v = arg;

	(void)data;
	(void)index;
	v->s2c_bytes += *len;
	v->s2c_dgrams++;
	return false;
}

/*
 * RFC 9000 §8.1: one Initial, then silence, against a server whose first flight (a 9-certificate
 * chain) is longer than 3 x that Initial: whatever the server sends to the address over 60 s
 * of probe timeouts (RFC 9002 §6.2) stays within 3 x the bytes received, and it does use that
 * budget (the chain needed more).
 */
HB_TEST(transport_retry, vanish_against_nine_certificates)
{
	struct vanish v = {0};
	struct pair_opts o;
	struct pair p;
	size_t chain_bytes = 0;
	struct tls_server_config *cfg = chain_config(&chain_bytes);

	cr_assert(gt(sz, chain_bytes, 3 * 1200 * 4 / 3)); /* PEM: 4/3 of the DER */
	pair_opts_default(&o, 10);
	o.tweak = use_chain;
	o.tweak_arg = cfg;
	pair_init(&p, &o);
	p.dir[PAIR_C2S].filter = first_only;
	p.dir[PAIR_C2S].filter_arg = &v;
	p.dir[PAIR_S2C].filter = count_and_drop;
	p.dir[PAIR_S2C].filter_arg = &v;
	pair_run_for(&p, 60000 * PAIR_MS);
	cr_assert(p.srv != NULL);
	cr_assert(ge(u64, v.c2s_bytes, 1200));
	cr_assert(gt(u64, v.s2c_dgrams, 0));
	cr_assert(le(u64, v.s2c_bytes, 3 * v.c2s_bytes), "%llu bytes back for %llu",
		  (unsigned long long)v.s2c_bytes, (unsigned long long)v.c2s_bytes);
	cr_assert(gt(u64, v.s2c_bytes, 2 * v.c2s_bytes));
	cr_assert(eq(u64, p.amp_violations, 0));
	cr_assert(not(quic_conn_handshake_confirmed(p.srv)));
	pair_free(&p);
	tls_server_config_free(cfg);
}
