/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for the TLS server's first step: the input is the client's Initial CRYPTO
 * stream (a ClientHello, possibly with a ticket and binder, possibly followed by junk), fed to
 * a fresh server connection in two calls split at the middle so that the partial-message path
 * runs too. The server must end in one of: waiting for more, a HelloRetryRequest, its whole
 * flight, or a failure with an alert; it never holds more output than a flight needs.
 *
 * The server has an ECDSA certificate generated at start-up, accepts X25519 only (a P-256
 * share gets a HelloRetryRequest), has a fixed ticket key (so seeds carrying a ticket from the
 * generator below reach the binder and 0-RTT checks) and 0-RTT on.
 *
 * The seed corpus in corpus/tls_client_hello/ comes from the generator at the end of this file:
 *   cc -std=c11 -D_GNU_SOURCE -DHB_FUZZ_TLS_CH_SEEDS -Icrypto/include \
 *      tests/fuzz/fuzz_tls_client_hello.c BUILD/crypto/tls/libhb_tls.a \
 *      BUILD/crypto/libhb_crypto.a -lcrypto [-lIPSec_MB] -o gen && ./gen
 * tests/fuzz/corpus/tls_client_hello
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <crypto/tls.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW	 1700000000000ull
#define FUZZ_HOST	 "fuzz.test"
#define MAX_FLIGHT_BYTES ((size_t)64 * 1024)

static const uint8_t fuzz_tp[] = {0x04, 0x04, 0x80, 0x10, 0x00, 0x00};

struct fuzz_env {
	struct crypto_ctx *ctx;
	struct tls_server_config *scfg;
	struct tls_client_config *ccfg;
};

static void
check(bool ok)
{
	if (!ok)
		abort();
}

/* Deterministic "randomness", so that a crash reproduces from its input alone. */
static int
fixed_rand(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	memset(buf, 0x5a, len);
	return 0;
}

static const struct fuzz_env *
env(void)
{
	static struct fuzz_env e;
	static const struct crypto_rand rnd = {fixed_rand, NULL};
	struct tls_cert_params cp = {.key_type = TLS_KEY_ECDSA_P256, .host_name = FUZZ_HOST};
	enum crypto_group x25519 = CRYPTO_GROUP_X25519;
	uint8_t key[TLS_TICKET_KEY_LEN];
	char *cert, *pkey;
	size_t cert_len, key_len;

	if (e.scfg != NULL)
		return &e;
	memset(key, 0x42, sizeof(key));
	check(crypto_ctx_new(&e.ctx, CRYPTO_ENGINE_EVP) == 0);
	check(tls_cert_generate(&cp, &cert, &cert_len, &pkey, &key_len) == 0);
	check(tls_server_config_new(&e.scfg) == 0);
	check(tls_server_config_set_cert_pem(e.scfg, cert, cert_len, pkey, key_len) == 0);
	check(tls_server_config_rotate_ticket_key(e.scfg, key) == 0);
	check(tls_server_config_set_groups(e.scfg, &x25519, 1) == 0);
	tls_server_config_set_early_data(e.scfg, true, 10000);
	tls_server_config_set_rand(e.scfg, &rnd);
	check(tls_client_config_new(&e.ccfg) == 0);
	tls_client_config_set_insecure_skip_verify(e.ccfg, true);
	free(cert);
	free(pkey);
	return &e;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_env *e = env();
	struct tls_conn *s = NULL;
	size_t half = size / 2, out = 0, n;
	int rc, lv;

	check(tls_conn_new_server(&s, e->scfg, e->ctx, fuzz_tp, sizeof(fuzz_tp), NULL) == 0);
	rc = tls_conn_recv(s, TLS_LEVEL_INITIAL, data, half, FUZZ_NOW);
	if (rc == 0)
		rc = tls_conn_recv(s, TLS_LEVEL_INITIAL, data + half, size - half, FUZZ_NOW);
	check(rc == 0 || rc == TLS_ERR_ALERT || rc == TLS_ERR_PROTOCOL);
	check((rc == TLS_ERR_ALERT) == (tls_conn_alert(s) != TLS_ALERT_NONE));
	for (lv = 0; lv < TLS_LEVEL_COUNT; lv++) {
		tls_conn_pending(s, (enum tls_level)lv, &n);
		out += n;
	}
	check(out <= MAX_FLIGHT_BYTES);
	/* A failed handshake hands nothing to send at 1-RTT, and never completes. */
	if (rc != 0)
		check(!tls_conn_handshake_done(s));
	tls_conn_free(s);
	return 0;
}

#ifdef HB_FUZZ_TLS_CH_SEEDS
#include <stdio.h>

struct gen_session {
	uint8_t *blob;
	size_t len;
};

static void
keep_session(void *arg, const uint8_t *blob, size_t len)
{
	struct gen_session *g = arg;

	free(g->blob);
	g->blob = malloc(len);
	check(g->blob != NULL);
	memcpy(g->blob, blob, len);
	g->len = len;
}

static void
write_seed(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	check(f != NULL && fwrite(p, 1, len, f) == len && fclose(f) == 0);
}

/* The ClientHello a client with this session (or none) sends. */
static void
client_hello_seed(const char *dir, const char *name, const struct gen_session *g,
		  struct tls_client_config *ccfg)
{
	const struct fuzz_env *e = env();
	struct tls_conn *c = NULL;
	const uint8_t *ch;
	size_t len;

	check(tls_conn_new_client(&c, ccfg, e->ctx, FUZZ_HOST, fuzz_tp, sizeof(fuzz_tp), NULL) ==
	      0);
	if (g != NULL)
		check(tls_conn_set_session(c, g->blob, g->len, FUZZ_NOW) == 0);
	check(tls_conn_start(c, FUZZ_NOW) == 0);
	ch = tls_conn_pending(c, TLS_LEVEL_INITIAL, &len);
	write_seed(dir, name, ch, len);
	tls_conn_free(c);
}

/* A full handshake between the fuzz server and a client, keeping the client's session. */
static void
get_session(struct gen_session *g)
{
	const struct fuzz_env *e = env();
	struct tls_callbacks cb = {.session = keep_session, .arg = g};
	struct tls_conn *c = NULL, *s = NULL;
	const uint8_t *d;
	size_t len;
	int round, lv;

	check(tls_conn_new_client(&c, e->ccfg, e->ctx, FUZZ_HOST, fuzz_tp, sizeof(fuzz_tp), &cb) ==
	      0);
	check(tls_conn_new_server(&s, e->scfg, e->ctx, fuzz_tp, sizeof(fuzz_tp), NULL) == 0);
	check(tls_conn_start(c, FUZZ_NOW) == 0);
	for (round = 0; round < 4; round++) {
		for (lv = 0; lv < TLS_LEVEL_COUNT; lv++) {
			d = tls_conn_pending(c, (enum tls_level)lv, &len);
			if (len > 0)
				check(tls_conn_recv(s, (enum tls_level)lv, d, len, FUZZ_NOW) == 0);
			tls_conn_consume(c, (enum tls_level)lv, len);
			d = tls_conn_pending(s, (enum tls_level)lv, &len);
			if (len > 0)
				check(tls_conn_recv(c, (enum tls_level)lv, d, len, FUZZ_NOW) == 0);
			tls_conn_consume(s, (enum tls_level)lv, len);
		}
	}
	check(g->blob != NULL);
	tls_conn_free(c);
	tls_conn_free(s);
}

int
main(int argc, char **argv)
{
	const struct fuzz_env *e = env();
	struct tls_client_config *two = NULL;
	enum crypto_group groups[] = {CRYPTO_GROUP_SECP256R1, CRYPTO_GROUP_X25519};
	enum crypto_suite sha384 = CRYPTO_SUITE_AES_256_GCM_SHA384;
	struct gen_session g = {NULL, 0};

	check(argc == 2);
	client_hello_seed(argv[1], "full", NULL, e->ccfg);
	check(tls_client_config_new(&two) == 0);
	check(tls_client_config_set_groups(two, groups, 2, 2) == 0);
	check(tls_client_config_set_suites(two, &sha384, 1) == 0);
	client_hello_seed(argv[1], "two_shares_sha384", NULL, two);
	check(tls_client_config_set_groups(two, groups, 2, 1) == 0);
	client_hello_seed(argv[1], "p256_share_hrr_path", NULL, two);
	tls_client_config_free(two);
	get_session(&g);
	client_hello_seed(argv[1], "resume_0rtt", &g, e->ccfg);
	free(g.blob);
	return 0;
}
#endif /* HB_FUZZ_TLS_CH_SEEDS */
