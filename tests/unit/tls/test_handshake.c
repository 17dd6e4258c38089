/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Full in-process handshakes (RFC 9846 §2, RFC 9001 §4): every suite x group x certificate
 * type, HelloRetryRequest with and without cookie, chains through an intermediate CA, byte-by-
 * byte delivery, and the secrets of both sides compared level by level.
 */
#include <string.h>

#include "tls_pair.h"

TestSuite(tls_handshake);

static const enum crypto_suite all_suites[] = {
	CRYPTO_SUITE_AES_128_GCM_SHA256,
	CRYPTO_SUITE_AES_256_GCM_SHA384,
	CRYPTO_SUITE_CHACHA20_POLY1305_SHA256,
};
static const enum crypto_group all_groups[] = {CRYPTO_GROUP_X25519, CRYPTO_GROUP_SECP256R1};

/* One handshake with a single suite and group forced on the client. */
static void
handshake_one(struct tls_server_config *scfg, const struct pem *ca, enum crypto_suite suite,
	      enum crypto_group group)
{
	struct tls_client_config *ccfg = client_cfg(ca);
	struct pair p;
	const uint8_t *tp;
	size_t tp_len;

	cr_assert(eq(int, tls_client_config_set_suites(ccfg, &suite, 1), 0));
	cr_assert(eq(int, tls_client_config_set_groups(ccfg, &group, 1, 1), 0));
	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), 0));
	cr_assert(tls_conn_handshake_done(p.cli.c));
	cr_assert(tls_conn_handshake_done(p.srv.c));
	cr_assert(eq(int, tls_conn_suite(p.cli.c), suite));
	cr_assert(eq(int, tls_conn_suite(p.srv.c), suite));
	cr_assert(eq(int, tls_conn_group(p.srv.c), group));
	cr_assert(not(tls_conn_hrr(p.cli.c)));
	cr_assert(not(tls_conn_resumed(p.srv.c)));
	cr_assert(eq(int, str_cmp(tls_conn_alpn(p.cli.c), "h3"), 0));
	cr_assert(eq(int, str_cmp(tls_conn_alpn(p.srv.c), "h3"), 0));
	cr_assert(eq(int, str_cmp(tls_conn_server_name(p.srv.c), PAIR_HOST), 0));
	tp = tls_conn_peer_tparams(p.srv.c, &tp_len);
	cr_assert(eq(sz, tp_len, sizeof(client_tp)));
	cr_assert(eq(int, memcmp(tp, client_tp, tp_len), 0));
	tp = tls_conn_peer_tparams(p.cli.c, &tp_len);
	cr_assert(eq(sz, tp_len, sizeof(server_tp)));
	cr_assert(eq(int, memcmp(tp, server_tp, tp_len), 0));
	pair_assert_secrets(&p);
	cr_assert(eq(int, p.cli.secret_suite[TLS_LEVEL_APPLICATION][TLS_DIR_WRITE], suite));
	/* No 0-RTT secret without a session. */
	cr_assert(eq(sz, p.cli.secret_len[TLS_LEVEL_EARLY][TLS_DIR_WRITE], 0));
	cr_assert(eq(int, tls_conn_alert(p.cli.c), TLS_ALERT_NONE));
	pair_free(&p);
	tls_client_config_free(ccfg);
}

static void
matrix(enum tls_key_type type)
{
	struct pem pem;
	struct tls_server_config *scfg = server_cfg(type, &pem);
	size_t i, j;

	for (i = 0; i < sizeof(all_suites) / sizeof(all_suites[0]); i++)
		for (j = 0; j < sizeof(all_groups) / sizeof(all_groups[0]); j++)
			handshake_one(scfg, &pem, all_suites[i], all_groups[j]);
	tls_server_config_free(scfg);
	pem_free(&pem);
}

HB_TEST(tls_handshake, matrix_ecdsa_p256)
{
	matrix(TLS_KEY_ECDSA_P256);
}

HB_TEST(tls_handshake, matrix_ed25519)
{
	matrix(TLS_KEY_ED25519);
}

HB_TEST(tls_handshake, matrix_rsa_pss, .timeout = 60)
{
	matrix(TLS_KEY_RSA_2048);
}

/* Server preference decides: default suites and groups give AES-128-GCM over X25519. */
HB_TEST(tls_handshake, defaults_and_server_preference)
{
	struct pem pem;
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ECDSA_P256, &pem);
	struct tls_client_config *ccfg = client_cfg(&pem);
	enum crypto_suite pref[] = {CRYPTO_SUITE_CHACHA20_POLY1305_SHA256,
				    CRYPTO_SUITE_AES_256_GCM_SHA384};
	static const char *const alpn[] = {"perf", "hq-interop"};
	struct pair p;

	cr_assert(eq(int, tls_server_config_set_suites(scfg, pref, 2), 0));
	cr_assert(eq(int, tls_client_config_set_alpn(ccfg, alpn, 2), 0));
	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), 0));
	cr_assert(eq(int, tls_conn_suite(p.srv.c), CRYPTO_SUITE_CHACHA20_POLY1305_SHA256));
	cr_assert(eq(int, tls_conn_group(p.srv.c), CRYPTO_GROUP_X25519));
	/* Server ALPN order is h3, hq-interop, perf: hq-interop is its first in common. */
	cr_assert(eq(int, str_cmp(tls_conn_alpn(p.cli.c), "hq-interop"), 0));
	pair_assert_secrets(&p);
	pair_free(&p);
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	pem_free(&pem);
}

/* Every byte delivered on its own: partial messages are buffered and resumed. */
HB_TEST(tls_handshake, byte_by_byte)
{
	struct pem pem;
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ECDSA_P256, &pem);
	struct tls_client_config *ccfg = client_cfg(&pem);
	struct pair p;

	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, pair_run_chunked(&p, PAIR_NOW, 1), 0));
	cr_assert(tls_conn_handshake_done(p.cli.c));
	cr_assert(tls_conn_handshake_done(p.srv.c));
	pair_assert_secrets(&p);
	pair_free(&p);
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	pem_free(&pem);
}

static void
hrr_case(bool cookie, enum crypto_suite suite)
{
	struct pem pem;
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ECDSA_P256, &pem);
	struct tls_client_config *ccfg = client_cfg(&pem);
	enum crypto_group only_x25519 = CRYPTO_GROUP_X25519;
	enum crypto_group cli_groups[] = {CRYPTO_GROUP_SECP256R1, CRYPTO_GROUP_X25519};
	struct pair p;

	/* The client sends a P-256 share only; the server accepts X25519 only: HRR. */
	cr_assert(eq(int, tls_server_config_set_groups(scfg, &only_x25519, 1), 0));
	tls_server_config_set_hrr_cookie(scfg, cookie);
	cr_assert(eq(int, tls_client_config_set_groups(ccfg, cli_groups, 2, 1), 0));
	cr_assert(eq(int, tls_client_config_set_suites(ccfg, &suite, 1), 0));
	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), 0));
	cr_assert(tls_conn_handshake_done(p.cli.c));
	cr_assert(tls_conn_handshake_done(p.srv.c));
	cr_assert(tls_conn_hrr(p.cli.c));
	cr_assert(tls_conn_hrr(p.srv.c));
	cr_assert(eq(int, tls_conn_group(p.cli.c), CRYPTO_GROUP_X25519));
	cr_assert(eq(int, tls_conn_suite(p.cli.c), suite));
	pair_assert_secrets(&p);
	pair_free(&p);
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	pem_free(&pem);
}

HB_TEST(tls_handshake, hello_retry_request)
{
	hrr_case(false, CRYPTO_SUITE_AES_128_GCM_SHA256);
}

HB_TEST(tls_handshake, hello_retry_request_cookie_sha384)
{
	hrr_case(true, CRYPTO_SUITE_AES_256_GCM_SHA384);
}

/* Both shares offered: no HRR even when the server wants the second group. */
HB_TEST(tls_handshake, two_shares_no_hrr)
{
	struct pem pem;
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ED25519, &pem);
	struct tls_client_config *ccfg = client_cfg(&pem);
	enum crypto_group srv = CRYPTO_GROUP_SECP256R1;
	enum crypto_group cli[] = {CRYPTO_GROUP_X25519, CRYPTO_GROUP_SECP256R1};
	struct pair p;

	cr_assert(eq(int, tls_server_config_set_groups(scfg, &srv, 1), 0));
	cr_assert(eq(int, tls_client_config_set_groups(ccfg, cli, 2, 2), 0));
	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), 0));
	cr_assert(not(tls_conn_hrr(p.srv.c)));
	cr_assert(eq(int, tls_conn_group(p.cli.c), CRYPTO_GROUP_SECP256R1));
	pair_assert_secrets(&p);
	pair_free(&p);
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	pem_free(&pem);
}

/* A chain leaf <- intermediate <- root, with only the root trusted by the client. */
HB_TEST(tls_handshake, chain_through_intermediate)
{
	struct pem root, inter, leaf;
	struct tls_server_config *scfg = NULL;
	struct tls_client_config *ccfg;
	char *chain;
	struct pair p;

	pem_gen(&root, TLS_KEY_ECDSA_P256, "root.test", true, NULL);
	pem_gen(&inter, TLS_KEY_RSA_2048, "inter.test", true, &root);
	pem_gen(&leaf, TLS_KEY_ED25519, PAIR_HOST, false, &inter);
	chain = malloc(leaf.cert_len + inter.cert_len + 1);
	cr_assert(not(eq(ptr, chain, NULL)));
	memcpy(chain, leaf.cert, leaf.cert_len);
	memcpy(chain + leaf.cert_len, inter.cert, inter.cert_len + 1);
	cr_assert(eq(int, tls_server_config_new(&scfg), 0));
	cr_assert(eq(int,
		     tls_server_config_set_cert_pem(scfg, chain, leaf.cert_len + inter.cert_len,
						    leaf.key, leaf.key_len),
		     0));
	ccfg = client_cfg(&root);
	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, pair_run(&p, PAIR_NOW), 0));
	cr_assert(tls_conn_handshake_done(p.cli.c));
	pair_assert_secrets(&p);
	pair_free(&p);
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	free(chain);
	pem_free(&root);
	pem_free(&inter);
	pem_free(&leaf);
}

/* Secrets are handed over in the order RFC 9001 §4.1.4 describes. */
HB_TEST(tls_handshake, secret_timing)
{
	struct pem pem;
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ECDSA_P256, &pem);
	struct tls_client_config *ccfg = client_cfg(&pem);
	struct pair p;
	bool moved = false;

	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, tls_conn_start(p.cli.c, PAIR_NOW), 0));
	cr_assert(eq(int, tls_conn_start(p.cli.c, PAIR_NOW), TLS_ERR_STATE));
	cr_assert(eq(u32, p.cli.secret_calls, 0));
	cr_assert(eq(int, pump(p.cli.c, p.srv.c, 0, PAIR_NOW, &moved), 0));
	/* Server after ClientHello: handshake both ways and 1-RTT write, not 1-RTT read. */
	cr_assert(ne(sz, p.srv.secret_len[TLS_LEVEL_HANDSHAKE][TLS_DIR_READ], 0));
	cr_assert(ne(sz, p.srv.secret_len[TLS_LEVEL_APPLICATION][TLS_DIR_WRITE], 0));
	cr_assert(eq(sz, p.srv.secret_len[TLS_LEVEL_APPLICATION][TLS_DIR_READ], 0));
	cr_assert(not(tls_conn_handshake_done(p.srv.c)));
	cr_assert(eq(int, pump(p.srv.c, p.cli.c, 0, PAIR_NOW, &moved), 0));
	cr_assert(tls_conn_handshake_done(p.cli.c));
	cr_assert(ne(sz, p.cli.secret_len[TLS_LEVEL_APPLICATION][TLS_DIR_WRITE], 0));
	cr_assert(eq(int, pump(p.cli.c, p.srv.c, 0, PAIR_NOW, &moved), 0));
	cr_assert(tls_conn_handshake_done(p.srv.c));
	cr_assert(ne(sz, p.srv.secret_len[TLS_LEVEL_APPLICATION][TLS_DIR_READ], 0));
	pair_assert_secrets(&p);
	pair_free(&p);
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	pem_free(&pem);
}

/* The benchmark entry point: one server flight from a ready ClientHello. */
HB_TEST(tls_handshake, server_respond_once)
{
	struct pem pem;
	struct tls_server_config *scfg = server_cfg(TLS_KEY_ECDSA_P256, &pem);
	struct tls_client_config *ccfg = client_cfg(&pem);
	struct pair p;
	const uint8_t *ch;
	size_t ch_len = 0, flight = 0;

	pair_init(&p, ccfg, scfg, PAIR_HOST);
	cr_assert(eq(int, tls_conn_start(p.cli.c, PAIR_NOW), 0));
	ch = tls_conn_pending(p.cli.c, TLS_LEVEL_INITIAL, &ch_len);
	cr_assert(gt(sz, ch_len, 0));
	cr_assert(eq(int,
		     tls_server_respond_once(scfg, p.ctx, ch, ch_len, server_tp, sizeof(server_tp),
					     PAIR_NOW, &flight),
		     0));
	cr_assert(gt(sz, flight, 200));
	/* Half a ClientHello produces no flight. */
	cr_assert(eq(int,
		     tls_server_respond_once(scfg, p.ctx, ch, ch_len / 2, server_tp,
					     sizeof(server_tp), PAIR_NOW, &flight),
		     TLS_ERR_ALERT));
	pair_free(&p);
	tls_client_config_free(ccfg);
	tls_server_config_free(scfg);
	pem_free(&pem);
}
