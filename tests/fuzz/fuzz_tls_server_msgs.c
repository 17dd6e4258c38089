/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for the TLS client's handling of what a server sends. Input: a mode byte, then
 * records [level u8][length u16][bytes], each fed to the client at that level (level mod 4).
 * Mode bit 0 clear: the records go to a client that has just sent its ClientHello (ServerHello
 * or HelloRetryRequest, then EncryptedExtensions, Certificate, CertificateVerify, Finished).
 * Mode bit 0 set: the client first completes a real handshake with an in-process server, so the
 * records reach the post-handshake path (NewSessionTicket, KeyUpdate...). Mode bit 1 set: the
 * client offers a P-256 key share only, so a HelloRetryRequest for X25519 is acceptable.
 *
 * The client never crashes, ends waiting, done or failed with an alert or PROTOCOL_VIOLATION,
 * and never holds more output than one flight. Certificates are parsed but not checked against
 * a CA (insecure_skip_verify), so the CertificateVerify path is reached.
 *
 * The seed corpus in corpus/tls_server_msgs/ comes from the generator at the end of this file:
 *   cc -std=c11 -D_GNU_SOURCE -DHB_FUZZ_TLS_SERVER_SEEDS -Icrypto/include \
 *      tests/fuzz/fuzz_tls_server_msgs.c BUILD/crypto/tls/libhb_tls.a \
 *      BUILD/crypto/libhb_crypto.a -lcrypto [-lIPSec_MB] -o gen && ./gen
 * tests/fuzz/corpus/tls_server_msgs
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
	struct tls_client_config *ccfg_p256;
};

static void
check(bool ok)
{
	if (!ok)
		abort();
}

static int
fixed_rand(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	memset(buf, 0x3c, len);
	return 0;
}

static const struct fuzz_env *
env(void)
{
	static struct fuzz_env e;
	static const struct crypto_rand rnd = {fixed_rand, NULL};
	struct tls_cert_params cp = {.key_type = TLS_KEY_ED25519, .host_name = FUZZ_HOST};
	enum crypto_group groups[] = {CRYPTO_GROUP_SECP256R1, CRYPTO_GROUP_X25519};
	uint8_t key[TLS_TICKET_KEY_LEN];
	char *cert, *pkey;
	size_t cert_len, key_len;

	if (e.scfg != NULL)
		return &e;
	memset(key, 0x24, sizeof(key));
	check(crypto_ctx_new(&e.ctx, CRYPTO_ENGINE_EVP) == 0);
	check(tls_cert_generate(&cp, &cert, &cert_len, &pkey, &key_len) == 0);
	check(tls_server_config_new(&e.scfg) == 0);
	check(tls_server_config_set_cert_pem(e.scfg, cert, cert_len, pkey, key_len) == 0);
	check(tls_server_config_rotate_ticket_key(e.scfg, key) == 0);
	tls_server_config_set_early_data(e.scfg, true, 10000);
	check(tls_client_config_new(&e.ccfg) == 0);
	tls_client_config_set_insecure_skip_verify(e.ccfg, true);
	tls_client_config_set_rand(e.ccfg, &rnd);
	check(tls_client_config_new(&e.ccfg_p256) == 0);
	tls_client_config_set_insecure_skip_verify(e.ccfg_p256, true);
	tls_client_config_set_rand(e.ccfg_p256, &rnd);
	check(tls_client_config_set_groups(e.ccfg_p256, groups, 2, 1) == 0);
	free(cert);
	free(pkey);
	return &e;
}

/* Move everything pending from one side to the other; false on any failure. */
static bool
pump(struct tls_conn *from, struct tls_conn *to)
{
	int lv;

	for (lv = 0; lv < TLS_LEVEL_COUNT; lv++) {
		size_t len = 0;
		const uint8_t *d = tls_conn_pending(from, (enum tls_level)lv, &len);

		if (len > 0 && tls_conn_recv(to, (enum tls_level)lv, d, len, FUZZ_NOW) != 0)
			return false;
		tls_conn_consume(from, (enum tls_level)lv, len);
	}
	return true;
}

/* A client that completed a handshake with the in-process server. */
static struct tls_conn *
established_client(const struct fuzz_env *e)
{
	struct tls_conn *c = NULL, *s = NULL;
	int round;

	check(tls_conn_new_client(&c, e->ccfg, e->ctx, FUZZ_HOST, fuzz_tp, sizeof(fuzz_tp), NULL) ==
	      0);
	check(tls_conn_new_server(&s, e->scfg, e->ctx, fuzz_tp, sizeof(fuzz_tp), NULL) == 0);
	check(tls_conn_start(c, FUZZ_NOW) == 0);
	for (round = 0; round < 3; round++)
		check(pump(c, s) && pump(s, c));
	check(tls_conn_handshake_done(c));
	/* Drop the server's tickets: the records alone drive the client from here. */
	tls_conn_free(s);
	return c;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_env *e = env();
	struct tls_conn *c = NULL;
	size_t off = 1, out = 0, n;
	int rc = 0, lv;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		c = established_client(e);
	} else {
		check(tls_conn_new_client(&c, (data[0] & 2) ? e->ccfg_p256 : e->ccfg, e->ctx,
					  FUZZ_HOST, fuzz_tp, sizeof(fuzz_tp), NULL) == 0);
		check(tls_conn_start(c, FUZZ_NOW) == 0);
	}
	while (rc == 0 && off + 3 <= size) {
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		enum tls_level level = (enum tls_level)(data[off] & 3);

		off += 3;
		if (len > size - off)
			len = size - off;
		rc = tls_conn_recv(c, level, data + off, len, FUZZ_NOW);
		off += len;
	}
	check(rc == 0 || rc == TLS_ERR_ALERT || rc == TLS_ERR_PROTOCOL);
	check((rc == TLS_ERR_ALERT) == (tls_conn_alert(c) != TLS_ALERT_NONE));
	for (lv = 0; lv < TLS_LEVEL_COUNT; lv++) {
		tls_conn_pending(c, (enum tls_level)lv, &n);
		out += n;
	}
	check(out <= MAX_FLIGHT_BYTES);
	tls_conn_free(c);
	return 0;
}

#ifdef HB_FUZZ_TLS_SERVER_SEEDS
#include <stdio.h>

struct seed {
	uint8_t buf[16384];
	size_t len;
};

static void
seed_add(struct seed *s, enum tls_level level, const uint8_t *p, size_t len)
{
	check(s->len + 3 + len <= sizeof(s->buf) && len <= 0xffff);
	s->buf[s->len++] = (uint8_t)level;
	s->buf[s->len++] = (uint8_t)(len >> 8);
	s->buf[s->len++] = (uint8_t)len;
	memcpy(s->buf + s->len, p, len);
	s->len += len;
}

static void
seed_write(const char *dir, const char *name, const struct seed *s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	check(f != NULL && fwrite(s->buf, 1, s->len, f) == s->len && fclose(f) == 0);
}

/* Record everything the server sends to a fresh client, per level, into s (after mode). */
static void
record_server(const struct fuzz_env *e, struct tls_server_config *scfg,
	      struct tls_client_config *ccfg, struct seed *flight, struct seed *post)
{
	struct tls_conn *c = NULL, *s = NULL;
	const uint8_t *d;
	size_t len;
	int round, lv;

	check(tls_conn_new_client(&c, ccfg, e->ctx, FUZZ_HOST, fuzz_tp, sizeof(fuzz_tp), NULL) ==
	      0);
	check(tls_conn_new_server(&s, scfg, e->ctx, fuzz_tp, sizeof(fuzz_tp), NULL) == 0);
	check(tls_conn_start(c, FUZZ_NOW) == 0);
	for (round = 0; round < 4; round++) {
		check(pump(c, s));
		for (lv = 0; lv < TLS_LEVEL_COUNT; lv++) {
			d = tls_conn_pending(s, (enum tls_level)lv, &len);
			if (len == 0)
				continue;
			seed_add(lv == TLS_LEVEL_APPLICATION ? post : flight, (enum tls_level)lv, d,
				 len);
			check(tls_conn_recv(c, (enum tls_level)lv, d, len, FUZZ_NOW) == 0);
			tls_conn_consume(s, (enum tls_level)lv, len);
		}
	}
	tls_conn_free(c);
	tls_conn_free(s);
}

int
main(int argc, char **argv)
{
	const struct fuzz_env *e = env();
	static struct seed flight, post, hrr, hrr_post, ku;
	struct tls_server_config *x_only = NULL;
	enum crypto_group x25519 = CRYPTO_GROUP_X25519;
	struct tls_cert_params cp = {.key_type = TLS_KEY_ECDSA_P256, .host_name = FUZZ_HOST};
	static const uint8_t key_update[] = {24, 0, 0, 1, 0};
	char *cert, *pkey;
	size_t cert_len, key_len;

	check(argc == 2);
	flight.buf[flight.len++] = 0;
	post.buf[post.len++] = 1;
	record_server(e, e->scfg, e->ccfg, &flight, &post);
	seed_write(argv[1], "flight_ed25519", &flight);
	seed_write(argv[1], "post_tickets", &post);
	/* An ECDSA server that accepts X25519 only, and a client sharing P-256: HRR first. */
	check(tls_cert_generate(&cp, &cert, &cert_len, &pkey, &key_len) == 0);
	check(tls_server_config_new(&x_only) == 0);
	check(tls_server_config_set_cert_pem(x_only, cert, cert_len, pkey, key_len) == 0);
	check(tls_server_config_set_groups(x_only, &x25519, 1) == 0);
	tls_server_config_set_hrr_cookie(x_only, true);
	hrr.buf[hrr.len++] = 2;
	hrr_post.buf[hrr_post.len++] = 1;
	record_server(e, x_only, e->ccfg_p256, &hrr, &hrr_post);
	seed_write(argv[1], "flight_hrr_cookie_ecdsa", &hrr);
	ku.buf[ku.len++] = 1;
	seed_add(&ku, TLS_LEVEL_APPLICATION, key_update, sizeof(key_update));
	seed_write(argv[1], "post_key_update", &ku);
	tls_server_config_free(x_only);
	free(cert);
	free(pkey);
	return 0;
}
#endif /* HB_FUZZ_TLS_SERVER_SEEDS */
